// Pod Security Standards against a real API server (scripts/e2e/cluster.sh: kube-apiserver v1.34 with its
// PodSecurity admission plugin, controllers, and kwok). Enabled when COMPOSE2K8S_KUBECONFIG names its kubeconfig.
// - Every project of examples/ and fixtures/convert/ whose services meet `restricted` (as the converter says),
//   converted with --pod-security restricted, goes into a namespace the converter labels enforce=restricted: a
//   server dry run and a real apply admit every object without a PodSecurity warning, a pod of every workload is
//   admitted (dry run), and the controllers create the pods.
// - Converter and admission agree on every workload of every project: a pod is admitted iff its services meet
//   restricted, and the server's reasons for refusing one are reasons the converter reported.
// - A deliberately privileged service: the converter warns at its compose line; the server refuses its pods with
//   its own message, naming the same container and field.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import { clusterFrom, HttpTransport, type Cluster, type KubeRequest } from '../../src/deploy/client.js';
import { ApiError } from '../../src/deploy/errors.js';
import { loadKubeconfig } from '../../src/deploy/kubeconfig.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { lowerProject, toKubeName, type LowerOptions } from '../../src/lower/index.js';
import { RULES } from '../../src/lower/pod-security.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { cliPath, ensureBuilt, root } from '../helpers/build.js';
import { diskOptions, loadFixture } from '../lower/fs-port.js';

const KUBECONFIG = process.env.COMPOSE2K8S_KUBECONFIG;
if (!KUBECONFIG) console.warn('[pod security e2e] skipped: set COMPOSE2K8S_KUBECONFIG (export COMPOSE2K8S_KUBECONFIG=$(scripts/e2e/cluster.sh up | tail -1))');

interface Fixture {
  name: string;
  dir: string;
  options: Partial<LowerOptions>;
}

const FIXTURES: Fixture[] = [
  ...readdirSync(join(root, 'examples')).map((d) => ({ name: `examples/${d}`, dir: join(root, 'examples', d), options: {} })),
  ...readdirSync(join(root, 'fixtures/convert')).map((d) => {
    const dir = join(root, 'fixtures/convert', d);
    const file = join(dir, 'options.json');
    return { name: `fixtures/convert/${d}`, dir, options: existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LowerOptions>) : {} };
  }),
].filter((f) => existsSync(join(f.dir, 'compose.yaml')));

function convert(f: Fixture, namespace: string, mode: LowerOptions['podSecurityMode'] = 'enforce') {
  const loaded = loadFixture(join(f.dir, 'compose.yaml'), f.dir);
  const diagnostics = new Diagnostics();
  const result = lowerProject(loaded.project, { ...diskOptions(loaded), ...f.options, namespace, podSecurity: 'restricted', podSecurityMode: mode }, diagnostics);
  return { ...result, project: loaded.project.name, errors: diagnostics.errors };
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
type PodTemplate = { metadata?: { labels?: Record<string, string> }; spec: Record<string, any> };

function templateOf(o: KubeObject): PodTemplate {
  const spec = o.spec as any;
  return o.kind === 'CronJob' ? spec.jobTemplate.spec.template : spec.template;
}

/**
 * A Pod from a workload's template, as its controller would create it. The service account is left out: the
 * ServiceAccount admission plugin would refuse a dry run before the account exists, and PodSecurity ignores it.
 * A StatefulSet's claim templates become the claims the controller would name.
 */
function podOf(o: KubeObject): KubeObject {
  const t = templateOf(o);
  const { serviceAccountName: _sa, ...spec } = t.spec;
  const claims = ((o.spec as any).volumeClaimTemplates ?? []) as { metadata: { name: string } }[];
  const volumes = [...(spec.volumes ?? []), ...claims.map((c) => ({ name: c.metadata.name, persistentVolumeClaim: { claimName: `${c.metadata.name}-${o.metadata.name}-0` } }))];
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${o.metadata.name}-probe`, labels: t.metadata?.labels ?? {} }, spec: { ...spec, ...(volumes.length ? { volumes } : {}) } };
}

describe.skipIf(!KUBECONFIG)('Pod Security Standards (real API server)', () => {
  let cluster: Cluster;
  /** Every Warning header the server sent, e.g. `299 - "would violate PodSecurity ..."`. */
  const warnings: string[] = [];
  const namespaces: string[] = [];
  const fresh = (prefix: string) => {
    const ns = `c2k-psa-${prefix}-${randomBytes(3).toString('hex')}`;
    namespaces.push(ns);
    return ns;
  };
  // A Warning header quotes its text: `299 - "would violate PodSecurity \"restricted:latest\": ..."`.
  const podSecurityWarnings = () => warnings.filter((w) => w.includes('PodSecurity')).map((w) => w.replace(/\\"/g, '"'));

  /** A pod, server dry run: undefined when admitted, else the server's message. */
  async function tryPod(ns: string, pod: KubeObject): Promise<string | undefined> {
    try {
      await cluster.client.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, query: { dryRun: 'All' }, body: JSON.stringify(pod), contentType: 'application/json' });
      return undefined;
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) return e.message;
      throw e;
    }
  }

  async function labelledNamespace(ns: string, labels: Record<string, string>): Promise<void> {
    await cluster.client.applyPatch(`/api/v1/namespaces/${ns}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } }, { fieldManager: 'compose2k8s' });
  }

  /** Pods in `ns` whose labels include `selector`, once the controllers made at least one (or after `ms`). */
  async function podsOf(ns: string, selector: Record<string, string>, ms = 60_000): Promise<KubeObject[]> {
    const query = { labelSelector: Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') };
    for (const end = Date.now() + ms; ; ) {
      const list = await cluster.client.get<{ items: KubeObject[] }>(`/api/v1/namespaces/${ns}/pods`, query);
      if (list.items.length || Date.now() > end) return list.items;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function events(ns: string): Promise<{ reason: string; message: string; involvedObject: { kind: string; name: string } }[]> {
    return (await cluster.client.get<{ items: any[] }>(`/api/v1/namespaces/${ns}/events`)).items;
  }

  beforeAll(async () => {
    ensureBuilt();
    const config = await loadKubeconfig({ kubeconfig: KUBECONFIG });
    const http = await HttpTransport.create(config.kc);
    // The deploy client does not surface Warning headers; the test reads them off the wire.
    const recording = {
      server: http.server,
      async request(req: KubeRequest) {
        const res = await http.request(req);
        const w = res.headers.warning;
        if (w) warnings.push(...(Array.isArray(w) ? w : [w]));
        return res;
      },
      close: () => http.close(),
    };
    cluster = clusterFrom(recording, () => Promise.reject(new Error('no watches in this test')));
  });
  afterAll(async () => {
    for (const ns of namespaces) await cluster.client.delete(`/api/v1/namespaces/${ns}`).catch(() => {});
    cluster?.close();
  });

  // Which projects meet restricted is data the converter decides; pinned so a regression shows.
  const meeting = FIXTURES.filter((f) => convert(f, 'x', 'report').podSecurity.every((s) => s.meets === 'restricted'));
  it('the converter finds most projects meeting restricted as written', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(20);
    // pod-security-baseline runs a service as root; pod-security-violations breaks every rule it can; ports
    // publishes host ports (kompose.controller.port.expose).
    expect(FIXTURES.filter((f) => !meeting.includes(f)).map((f) => f.name)).toEqual([
      'fixtures/convert/pod-security-baseline',
      'fixtures/convert/pod-security-violations',
      'fixtures/convert/ports',
    ]);
  });

  for (const f of meeting) {
    it(`${f.name}: a namespace enforcing restricted admits every object (server dry run, then a real apply) and the pods`, async () => {
      const ns = fresh('ok');
      const { objects, errors, project } = convert(f, ns);
      expect(errors).toEqual([]);
      const namespace = objects.find((o) => o.kind === 'Namespace')!;
      expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' });
      // The converter's Namespace first, so that admission evaluates the dry run in it.
      await labelledNamespace(ns, namespace.metadata.labels!);
      warnings.length = 0;
      const dry = await applyObjects(objects as KubeObject[], { cluster, namespace: ns, projectName: project, dryRun: 'server' });
      expect(dry.results.filter((r) => r.outcome !== 'dry-run').map((r) => `${r.ref.kind}/${r.ref.name}: ${r.message}`)).toEqual([]);
      expect(podSecurityWarnings()).toEqual([]);
      const real = await applyObjects(objects as KubeObject[], { cluster, namespace: ns, projectName: project });
      expect(real.results.filter((r) => r.outcome === 'failed').map((r) => `${r.ref.kind}/${r.ref.name}: ${r.message}`)).toEqual([]);
      expect(podSecurityWarnings()).toEqual([]);
      const live = await cluster.client.get<KubeObject>(`/api/v1/namespaces/${ns}`);
      expect(live.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
      const workloads = objects.filter((o) => WORKLOADS.has(o.kind)) as KubeObject[];
      expect(workloads.length).toBeGreaterThan(0);
      for (const w of workloads) expect(await tryPod(ns, podOf(w)), `${w.kind}/${w.metadata.name}`).toBeUndefined();
      // The controllers create the pods (a CronJob's wait for its schedule).
      for (const w of workloads.filter((o) => o.kind !== 'CronJob')) {
        const selector = (w.spec as any).selector?.matchLabels ?? templateOf(w).metadata!.labels!;
        expect((await podsOf(ns, selector)).length, `pods of ${w.kind}/${w.metadata.name}`).toBeGreaterThan(0);
      }
      expect((await events(ns)).filter((e) => e.reason === 'FailedCreate').map((e) => e.message)).toEqual([]);
    }, 120_000);
  }

  it('converter and admission agree on every workload of every project: admitted iff its services meet restricted', async () => {
    const ns = fresh('agree');
    await labelledNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const reasonOf = new Map(RULES.map((r) => [r.check, r.reason]));
    let admitted = 0;
    let refused = 0;
    let checkedReasons = 0;
    for (const f of FIXTURES) {
      // Report mode: contradictions are not errors, the compliant services still get the restricted fields.
      const { objects, podSecurity, errors } = convert(f, ns, 'report');
      expect(errors, f.name).toEqual([]);
      const byContainer = new Map(podSecurity.map((s) => [toKubeName(s.service, { startWithLetter: true }), s]));
      for (const w of objects.filter((o) => WORKLOADS.has(o.kind)) as KubeObject[]) {
        const services = (templateOf(w).spec.containers as { name: string }[]).map((c) => byContainer.get(c.name)!);
        const message = await tryPod(ns, podOf(w));
        const label = `${f.name} ${w.kind}/${w.metadata.name}`;
        expect(message === undefined, `${label}: ${message}`).toBe(services.every((s) => s.meets === 'restricted'));
        if (message === undefined) {
          admitted++;
          continue;
        }
        refused++;
        // A service whose file chose a lower level did not get the restricted fields: the server finds more.
        if (services.some((s) => s.level !== 'restricted')) continue;
        // `... violates PodSecurity "restricted:latest": reason (detail), reason (detail)`: each reason is one the converter found.
        const ours = new Set(services.flatMap((s) => s.breaks.restricted.map((x) => reasonOf.get(x.check))));
        const list = message.split('"restricted:latest": ')[1] ?? '';
        const theirs = [...list.matchAll(/(?:^|\), )([a-zA-Z][^(]*?) \(/g)].map((m) => m[1]!.replace(/profiles$/, 'profile'));
        expect(theirs.length, message).toBeGreaterThan(0);
        for (const reason of theirs) expect(ours, `${label}: server reason "${reason}"`).toContain(reason);
        checkedReasons++;
      }
    }
    expect(admitted).toBeGreaterThan(20);
    // pod-security-violations: one refused pod per contradiction, each for the reasons the converter gave.
    expect(refused).toBeGreaterThanOrEqual(15);
    expect(checkedReasons).toBeGreaterThanOrEqual(14);
  }, 180_000);

  it('a privileged service: the converter warns at its compose line; the server refuses its pods with its own message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2k-psa-e2e-'));
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: web:1\n    user: "1000"\n  tools:\n    image: tools:1\n    user: "1000"\n    privileged: true\n');
    // Converted without a namespace, as for `compose2k8s up` into the context's namespace: the labels go on the
    // namespace the deploy creates.
    const r = spawnSync(process.execPath, ['--', cliPath, 'convert', '--pod-security', 'restricted', '--pod-security-mode', 'warn'], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('compose.yaml:8:5: warning: tools: container "tools": securityContext.privileged=true breaks "Privileged Containers"');
    const objects = parseAllDocuments(r.stdout).map((d) => d.toJS() as KubeObject);
    const ns = fresh('refuse');
    warnings.length = 0;
    const applied = await applyObjects(objects, {
      cluster,
      namespace: ns,
      projectName: 'refuse',
      createNamespace: true,
      namespaceLabels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' },
    });
    expect(applied.ok).toBe(true);
    expect((await cluster.client.get<KubeObject>(`/api/v1/namespaces/${ns}`)).metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    // The Deployment is accepted with a warning; its pods are not.
    expect(podSecurityWarnings()).toEqual([expect.stringContaining('would violate PodSecurity "restricted:latest": privileged (container "tools" must not set securityContext.privileged=true)')]);
    const tools = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'tools')!;
    const refusal = await tryPod(ns, podOf(tools));
    expect(refusal).toContain('violates PodSecurity "restricted:latest": privileged (container "tools" must not set securityContext.privileged=true)');
    const web = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!;
    expect(await tryPod(ns, podOf(web))).toBeUndefined();
    expect((await podsOf(ns, (web.spec as any).selector.matchLabels)).length).toBeGreaterThan(0);
    // The ReplicaSet controller reports the refusal.
    for (let i = 0; i < 60; i++) {
      const failed = (await events(ns)).filter((e) => e.reason === 'FailedCreate');
      if (failed.length) {
        expect(failed[0]!.message).toContain('violates PodSecurity "restricted:latest": privileged (container "tools" must not set securityContext.privileged=true)');
        expect(await podsOf(ns, (tools.spec as any).selector.matchLabels, 0)).toEqual([]);
        return;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    throw new Error('no FailedCreate event for the privileged Deployment');
  }, 120_000);
});
