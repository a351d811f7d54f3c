// End-to-end tests of the deploy stage against a real API server (scripts/e2e/cluster.sh: etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok). Enabled when COMPOSE2K8S_KUBECONFIG names its kubeconfig:
//   export COMPOSE2K8S_KUBECONFIG=$(scripts/e2e/cluster.sh up | tail -1)
// Each test works in a namespace of its own, deleted afterwards.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import { ANNOTATION_GROUP_KINDS, ANNOTATION_TOOLING, LABEL_ID, LABEL_PART_OF, applySetId, parentFor } from '../../src/deploy/applyset.js';
import { connect, type Cluster } from '../../src/deploy/client.js';
import { diffObjects } from '../../src/deploy/diff.js';
import { deleteSet } from '../../src/deploy/down.js';
import { setStatus } from '../../src/deploy/set.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { waitFor } from '../../src/deploy/wait.js';
import { runDeployCommand } from '../helpers/deploy-cli.js';
import { FIXTURES, TcpProxy, loadManifests, redirectKubeconfig, serverOf } from './helpers.js';

const KUBECONFIG = process.env.COMPOSE2K8S_KUBECONFIG;
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
if (!KUBECONFIG) {
  console.warn(
    '[deploy e2e] skipped: set COMPOSE2K8S_KUBECONFIG to a cluster kubeconfig (export COMPOSE2K8S_KUBECONFIG=$(scripts/e2e/cluster.sh up | tail -1))',
  );
}

const project = () => loadManifests(join(FIXTURES, 'project'));
const service = (o: KubeObject) => o.metadata.labels?.['com.docker.compose.service'];
const tmp = mkdtempSync(join(tmpdir(), 'c2k-e2e-'));

describe.skipIf(!KUBECONFIG)('deploy e2e (real API server)', () => {
  let cluster: Cluster;
  const namespaces: string[] = [];
  const newNamespace = async (prefix: string) => {
    const ns = `c2k-${prefix}-${randomBytes(3).toString('hex')}`;
    namespaces.push(ns);
    await cluster.client.applyPatch(`/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { fieldManager: 'e2e-setup' });
    return ns;
  };
  const get = (path: string) => cluster.client.getOptional<KubeObject>(path);
  const pathOf = (o: KubeObject, ns: string) => {
    const plural: Record<string, string> = {
      ConfigMap: 'configmaps',
      Secret: 'secrets',
      Service: 'services',
      Deployment: 'deployments',
      Job: 'jobs',
      PersistentVolumeClaim: 'persistentvolumeclaims',
    };
    const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
    return `${base}/namespaces/${ns}/${plural[o.kind]}/${o.metadata.name}`;
  };

  beforeAll(async () => {
    cluster = await connect({ kubeconfig: KUBECONFIG });
  });
  afterAll(async () => {
    for (const ns of namespaces) await cluster.client.delete(`/api/v1/namespaces/${ns}`).catch(() => {});
    cluster?.close();
  });

  it('applies the fixture project: every object exists with our field manager and operation Apply, in an ApplySet', async () => {
    const ns = await newNamespace('apply');
    const res = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    expect(res.results.filter((r) => r.outcome !== 'created')).toEqual([]);
    expect(res.ok).toBe(true);
    const id = applySetId(parentFor('shop', ns));
    for (const o of project()) {
      const live = await get(pathOf(o, ns));
      expect(live, `${o.kind}/${o.metadata.name}`).toBeDefined();
      const mf = live!.metadata.managedFields as { manager: string; operation: string }[];
      expect(mf.some((m) => m.manager === 'compose2k8s' && m.operation === 'Apply'), `${o.kind}/${o.metadata.name}`).toBe(true);
      expect(live!.metadata.labels![LABEL_PART_OF]).toBe(id);
    }
    const parent = (await get(`/api/v1/namespaces/${ns}/secrets/compose2k8s-shop`))!;
    expect(parent.metadata.labels![LABEL_ID]).toBe(id);
    expect(parent.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe('ConfigMap,Deployment.apps,Job.batch,PersistentVolumeClaim,Secret,Service');
    expect(parent.metadata.annotations![ANNOTATION_TOOLING]).toMatch(/^compose2k8s\//);
  });

  it('re-applying unchanged manifests is a no-op: every resourceVersion stays', async () => {
    const ns = await newNamespace('noop');
    const first = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    // Let the controllers finish writing status first: their writes bump resourceVersions too.
    expect((await waitFor(first.results.map((r) => r.live!), { cluster, namespace: ns, timeoutMs: 60_000 })).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    const rv = async () =>
      Promise.all([...project(), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'compose2k8s-shop' } }].map(async (o) => (await get(pathOf(o, ns)))!.metadata.resourceVersion));
    const before = await rv();
    const res = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop', prune: true });
    expect(res.results.map((r) => r.outcome)).toEqual(project().map(() => 'unchanged'));
    // Provably unchanged objects were not even sent.
    expect(res.results.filter((r) => r.live)).toEqual([]);
    // Sending them all anyway changes nothing either: the server sees no-op applies.
    const sent = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop', skipUnchanged: false });
    expect(sent.results.map((r) => r.outcome)).toEqual(project().map(() => 'unchanged'));
    expect(sent.results.every((r) => r.live)).toBe(true);
    expect(res.pruned).toEqual([]);
    expect(await rv()).toEqual(before);
    const diff = await diffObjects(project(), { cluster, namespace: ns, projectName: 'shop', prune: true });
    expect(diff.text).toBe('');
    expect(diff.changed).toBe(false);
  });

  it('never skips an object that drifted: fields changed or removed by others are re-applied or reported', async () => {
    const ns = await newNamespace('drift');
    await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    // Someone edits a field we own (like kubectl edit/scale) and removes one of our labels.
    await cluster.client.request({
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${ns}/deployments/web`,
      query: { fieldManager: 'kubectl-edit' },
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ spec: { replicas: 5 } }),
    });
    await cluster.client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/configmaps/web-config`,
      query: { fieldManager: 'kubectl-edit' },
      contentType: 'application/json-patch+json',
      body: JSON.stringify([{ op: 'remove', path: '/metadata/labels/com.docker.compose.service' }]),
    });
    const res = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    const by = (kind: string, name: string) => res.results.find((r) => r.ref.kind === kind && r.ref.name === name)!;
    const cmr = by('ConfigMap', 'web-config');
    expect(cmr.outcome, JSON.stringify({ sent: !!cmr.live, managedFields: cmr.live?.metadata.managedFields, rv: cmr.live?.metadata.resourceVersion })).toBe('configured');
    expect((await get(`/api/v1/namespaces/${ns}/configmaps/web-config`))!.metadata.labels!['com.docker.compose.service']).toBe('web');
    expect(by('Deployment', 'web').outcome).toBe('failed');
    expect(by('Deployment', 'web').conflicts).toMatchObject([{ field: '.spec.replicas', manager: 'kubectl-edit' }]);
    expect(res.results.filter((r) => r.ref.name !== 'web-config' && !(r.ref.kind === 'Deployment' && r.ref.name === 'web')).every((r) => r.outcome === 'unchanged')).toBe(true);
  });

  it('removing a service and applying with --prune deletes exactly its objects; unrelated objects survive', async () => {
    const ns = await newNamespace('prune');
    await cluster.client.applyPatch(
      `/api/v1/namespaces/${ns}/configmaps/unrelated`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: ns }, data: { x: '1' } },
      { fieldManager: 'someone-else' },
    );
    await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    const without = project().filter((o) => service(o) !== 'worker');
    const diff = await diffObjects(without, { cluster, namespace: ns, projectName: 'shop', prune: true });
    expect(diff.objects.filter((d) => d.change !== 'none').map((d) => `${d.change} ${d.ref.kind}/${d.ref.name}`).sort()).toEqual([
      'delete ConfigMap/worker-config',
      'delete Deployment/worker',
      'delete Secret/worker-secret',
    ]);
    expect(diff.text).not.toContain('worker-token-never-printed');
    expect(diff.text).not.toContain(Buffer.from('worker-token-never-printed').toString('base64'));
    const res = await applyObjects(without, { cluster, namespace: ns, projectName: 'shop', prune: true });
    expect(res.ok).toBe(true);
    expect(res.pruned.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['ConfigMap/worker-config', 'Deployment/worker', 'Secret/worker-secret']);
    for (const o of project()) expect(!!(await get(pathOf(o, ns))), `${o.kind}/${o.metadata.name}`).toBe(service(o) !== 'worker');
    expect(await get(`/api/v1/namespaces/${ns}/configmaps/unrelated`)).toBeDefined();
    expect((await get(`/api/v1/namespaces/${ns}/secrets/compose2k8s-shop`))!.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe(
      'ConfigMap,Deployment.apps,Job.batch,PersistentVolumeClaim,Secret,Service',
    );
    // down removes the rest of the set, and only the set.
    const down = await deleteSet({ cluster, namespace: ns, projectName: 'shop' });
    expect(down.errors).toEqual([]);
    expect(down.deleted).toHaveLength(without.length);
    expect(await get(`/api/v1/namespaces/${ns}/configmaps/unrelated`)).toBeDefined();
    expect(await get(`/api/v1/namespaces/${ns}/secrets/compose2k8s-shop`)).toBeUndefined();
  });

  it('--dry-run=server rejects a manifest with an unknown field with the server message, and creates nothing', async () => {
    const ns = await newNamespace('dryrun');
    const res = await applyObjects(loadManifests(join(FIXTURES, 'invalid', 'unknown-field.yaml')), { cluster, namespace: ns, projectName: 'bad', dryRun: 'server' });
    expect(res.ok).toBe(false);
    expect(res.results[0]!.outcome).toBe('failed');
    expect(res.results[0]!.message).toMatch(/\.spec\.template\.spec\.containers\[name="web"\]\.imagePullPolicyy: field not declared in schema/);
    expect(await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`)).toBeUndefined();
    const ok = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop', dryRun: 'server' });
    expect(ok.ok).toBe(true);
    expect(await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`)).toBeUndefined();
    expect(await get(`/api/v1/namespaces/${ns}/secrets/compose2k8s-shop`)).toBeUndefined();
  });

  it('reports a conflicting field manager by object and field; --force-conflicts takes ownership', async () => {
    const ns = await newNamespace('conflict');
    await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    // Another tool takes .data.greeting (forcing, as `kubectl apply --server-side --force-conflicts` would).
    await cluster.client.applyPatch(
      `/api/v1/namespaces/${ns}/configmaps/web-config`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: ns }, data: { greeting: 'hijacked' } },
      { fieldManager: 'other-tool', force: true },
    );
    const res = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    expect(res.ok).toBe(false);
    const cmr = res.results.find((r) => r.ref.name === 'web-config')!;
    expect(cmr.outcome).toBe('failed');
    expect(cmr.conflicts).toMatchObject([{ field: '.data.greeting', manager: 'other-tool' }]);
    expect(cmr.message).toContain('.data.greeting is owned by "other-tool"');
    const forced = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop', forceConflicts: true });
    expect(forced.ok).toBe(true);
    expect(((await get(`/api/v1/namespaces/${ns}/configmaps/web-config`))!.data as Record<string, string>).greeting).toBe('hello');
  });

  it('when the API server goes away mid-apply, says what was and was not applied; a rerun converges', async () => {
    const ns = await newNamespace('outage');
    const target = serverOf(KUBECONFIG!);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 443));
    await proxy.start();
    const viaProxy = join(tmp, 'via-proxy.yaml');
    redirectKubeconfig(KUBECONFIG!, viaProxy, `https://127.0.0.1:${proxy.port}`);
    const flaky = await connect({ kubeconfig: viaProxy, retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 200 } });
    try {
      const many: KubeObject[] = [];
      for (let i = 0; i < 30; i++) {
        many.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
        many.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { ports: [{ port: 80 }] } });
      }
      // "Stop" the server as soon as the Services stage starts.
      const res = await applyObjects(many, {
        cluster: flaky,
        namespace: ns,
        projectName: 'outage',
        log: (line) => {
          if (line.includes('services')) void proxy.stop();
        },
      });
      expect(res.ok).toBe(false);
      const outcomes = (kind: string) => new Set(res.results.filter((r) => r.ref.kind === kind).map((r) => r.outcome));
      expect(outcomes('ConfigMap')).toEqual(new Set(['created']));
      expect(outcomes('Service')).toEqual(new Set(['failed']));
      expect(res.results.find((r) => r.ref.kind === 'Service')!.message).toMatch(/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: (connection refused|connection reset)/);
      expect(res.pruned).toEqual([]);
      // The server is back: the same apply converges.
      await proxy.start();
      const rerun = await applyObjects(many, { cluster: flaky, namespace: ns, projectName: 'outage', prune: true });
      expect(rerun.ok).toBe(true);
      expect(new Set(rerun.results.filter((r) => r.ref.kind === 'ConfigMap').map((r) => r.outcome))).toEqual(new Set(['unchanged']));
      expect(new Set(rerun.results.filter((r) => r.ref.kind === 'Service').map((r) => r.outcome))).toEqual(new Set(['created']));
    } finally {
      flaky.close();
      await proxy.stop();
    }
  });

  it('--wait sees Deployments become available (kwok), the Job complete and the PVC bound', async () => {
    const ns = await newNamespace('wait');
    const res = await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    expect(res.ok).toBe(true);
    const progress: string[] = [];
    const waited = await waitFor(
      res.results.map((r) => r.live!),
      { cluster, namespace: ns, timeoutMs: 90_000, log: (l) => progress.push(l), progressEveryMs: 5000 },
    );
    expect(waited.objects.filter((o) => o.status !== 'Current')).toEqual([]);
    expect(waited.ok).toBe(true);
    const msg = (kind: string, name: string) => waited.objects.find((o) => o.ref.kind === kind && o.ref.name === name)!.message;
    expect(msg('Deployment', 'web')).toBe('Deployment is available. Replicas: 2');
    expect(msg('Job', 'migrate')).toBe('Job Completed. succeeded: 1/1');
    expect(msg('PersistentVolumeClaim', 'db-data')).toBe('PVC is Bound');
    const st = await setStatus({ cluster, namespace: ns, projectName: 'shop' });
    expect(st.members.filter((m) => m.status !== 'Current')).toEqual([]);
  }, 120_000);

  it('on timeout names the object that is not ready and why (unschedulable pods)', async () => {
    const ns = await newNamespace('timeout');
    const stuck: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'stuck' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'stuck' } },
        template: {
          metadata: { labels: { app: 'stuck' } },
          spec: { nodeSelector: { 'no-such-node': 'true' }, containers: [{ name: 'c', image: 'example/stuck:1' }] },
        },
      },
    };
    const res = await applyObjects([stuck], { cluster, namespace: ns, projectName: 'stuck' });
    const waited = await waitFor([res.results[0]!.live!], { cluster, namespace: ns, timeoutMs: 4000 });
    expect(waited.ok).toBe(false);
    expect(waited.timedOut).toBe(true);
    const [o] = waited.objects;
    expect(o!.status).toBe('InProgress');
    expect(o!.details.join('\n')).toMatch(/pod stuck-[a-z0-9-]+: not scheduled: Unschedulable \(0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/);
  }, 30_000);

  it.skipIf(!existsSync(KUBECTL))('kubectl sees the same ApplySet ID (and, being other tooling, refuses to modify the set)', async () => {
    const ns = await newNamespace('kubectl');
    await applyObjects(project(), { cluster, namespace: ns, projectName: 'shop' });
    const probe = join(tmp, 'probe.yaml');
    writeFileSync(probe, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  a: "1"\n');
    const r = spawnSync(KUBECTL, ['--kubeconfig', KUBECONFIG!, 'apply', '-n', ns, '--server-side', '--prune', '--applyset=compose2k8s-shop', '-f', probe, '--dry-run=server'], {
      env: { ...process.env, KUBECTL_APPLYSET: 'true' },
      encoding: 'utf8',
    });
    // An ID mismatch would fail earlier with "does not have the correct ID"; kubectl gets as far as the tooling check.
    expect(r.stderr).toContain('already exists and is managed by tooling "compose2k8s" instead of "kubectl"');
  });

  it('the commands end to end: up (apply + wait), status, diff, down --wait', async () => {
    const ns = `c2k-cli-${randomBytes(3).toString('hex')}`;
    namespaces.push(ns);
    const convert = async () => ({ objects: project(), projectName: 'shop', namespace: ns });
    const run = (args: string[]) => runDeployCommand([...args, '--kubeconfig', KUBECONFIG!], convert);
    const up = await run(['up', '--timeout', '90s']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`namespace/${ns} created`);
    expect(up.stdout).toContain('deployment.apps/web created');
    expect(up.stdout).toContain(`all ${project().length + 1} object(s) ready`);
    expect(up.stdout + up.stderr).not.toMatch(/s3cr3t-value-never-printed|worker-token-never-printed/);
    const again = await run(['up', '--timeout', '90s']);
    expect(again.code).toBe(0);
    expect(again.stdout.split('\n').filter((l) => l.endsWith(' unchanged'))).toHaveLength(project().length + 1);
    const status = await run(['status']);
    expect(status.stdout.split('\n')[0]).toMatch(/^KIND\s+NAME\s+NAMESPACE\s+STATUS\s+MESSAGE$/);
    expect(status.stdout).toMatch(/Deployment\.apps\s+web\s+c2k-cli-\w+\s+Current\s+Deployment is available\. Replicas: 2/);
    expect((await run(['diff'])).code).toBe(0);
    const down = await run(['down', '--wait', '--timeout', '60s']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`namespace/${ns} deleted`);
    const left = await get(`/api/v1/namespaces/${ns}`);
    expect(left, JSON.stringify({ down, status: left?.status, meta: left?.metadata })).toBeUndefined();
  }, 180_000);

  it('refuses to touch an ApplySet owned by another tool', async () => {
    const ns = await newNamespace('foreign');
    const parent = parentFor('shop', ns);
    await cluster.client.applyPatch(
      `/api/v1/namespaces/${ns}/secrets/${parent.name}`,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: parent.name, namespace: ns, labels: { [LABEL_ID]: applySetId(parent) }, annotations: { [ANNOTATION_TOOLING]: 'kubectl/v1.32.4' } },
      },
      { fieldManager: 'kubectl' },
    );
    await expect(applyObjects(project(), { cluster, namespace: ns, projectName: 'shop', prune: true })).rejects.toThrow(/managed by "kubectl\/v1\.32\.4"/);
    expect(await get(`/apis/apps/v1/namespaces/${ns}/deployments/web`)).toBeUndefined();
  });
});
