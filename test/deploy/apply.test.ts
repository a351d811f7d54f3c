// applyObjects, prune, down and status against the in-memory API server.
import { describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import { LABEL_ID, LABEL_PART_OF, ANNOTATION_GROUP_KINDS, ANNOTATION_TOOLING, applySetId, parentFor } from '../../src/deploy/applyset.js';
import { diffObjects } from '../../src/deploy/diff.js';
import { deleteSet } from '../../src/deploy/down.js';
import { setStatus } from '../../src/deploy/set.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { FakeCluster, cm, deployment, service } from './fake-cluster.js';

const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const ID = applySetId(parentFor('shop', 'shop'));

function project(): KubeObject[] {
  return [deployment('web'), service('web'), cm('web-config'), deployment('db'), service('db'), ns('shop')];
}

const writes = (f: FakeCluster) => f.requests.filter((r) => r.method !== 'GET');

describe('applyObjects', () => {
  it('applies in stages with the field manager, labels members and creates the ApplySet parent', async () => {
    const f = new FakeCluster();
    const res = await applyObjects(project(), { cluster: f.cluster(), namespace: 'shop', projectName: 'shop' });
    expect(res.ok).toBe(true);
    expect(res.results.map((r) => r.outcome)).toEqual(Array(6).fill('created'));
    const order = writes(f).map((r) => r.path.split('/').slice(-2).join('/'));
    // Namespace first, then the parent, then ConfigMaps, Services, workloads.
    expect(order[0]).toBe('namespaces/shop');
    expect(order[1]).toBe('secrets/compose2k8s-shop');
    const idx = (s: string) => order.indexOf(s);
    expect(idx('configmaps/web-config')).toBeLessThan(idx('services/web'));
    expect(Math.max(idx('services/web'), idx('services/db'))).toBeLessThan(Math.min(idx('deployments/web'), idx('deployments/db')));
    for (const r of writes(f)) {
      expect(r.query?.fieldManager).toBe('compose2k8s');
      expect(r.contentType).toBe('application/apply-patch+yaml');
    }
    expect(f.get('Deployment', 'web', 'shop')!.metadata.labels![LABEL_PART_OF]).toBe(ID);
    expect(f.get('Namespace', 'shop')!.metadata.labels![LABEL_PART_OF]).toBe(ID);
    const parent = f.get('Secret', 'compose2k8s-shop', 'shop')!;
    expect(parent.metadata.labels).toEqual({ [LABEL_ID]: ID });
    expect(parent.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe('ConfigMap,Deployment.apps,Namespace,Service');
    expect(parent.metadata.annotations![ANNOTATION_TOOLING]).toMatch(/^compose2k8s\//);
  });

  it('re-applying unchanged objects changes nothing and reports unchanged', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    const before = new Map([...f.objects].map(([k, o]) => [k, o.metadata.resourceVersion]));
    f.requests.length = 0;
    const res = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    expect(res.results.map((r) => r.outcome)).toEqual(Array(6).fill('unchanged'));
    expect(new Map([...f.objects].map(([k, o]) => [k, o.metadata.resourceVersion]))).toEqual(before);
    // The parent is not re-sent when it already says the right thing.
    expect(writes(f).some((r) => r.path.includes('compose2k8s-shop'))).toBe(false);
    const changed = project();
    (changed[2]!.data as Record<string, string>).a = '2';
    const res2 = await applyObjects(changed, { cluster, namespace: 'shop', projectName: 'shop' });
    expect(res2.results.find((r) => r.ref.name === 'web-config')!.outcome).toBe('configured');
  });

  it('reports conflicts per object and field with the other manager, and --force-conflicts takes ownership', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    f.foreignOwners.set('apps/Deployment/shop/web', { '.spec.replicas': 'kubectl-scale' });
    const res = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    expect(res.ok).toBe(false);
    const web = res.results.find((r) => r.ref.kind === 'Deployment' && r.ref.name === 'web')!;
    expect(web.outcome).toBe('failed');
    expect(web.conflicts).toEqual([{ field: '.spec.replicas', manager: 'kubectl-scale', apiVersion: 'apps/v1' }]);
    expect(web.message).toBe('conflict: .spec.replicas is owned by "kubectl-scale" (rerun with --force-conflicts to take ownership)');
    const forced = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop', forceConflicts: true });
    expect(forced.ok).toBe(true);
    expect(f.requests.filter((r) => r.query?.force === 'true' && r.path.includes('deployments')).length).toBeGreaterThan(0);
  });

  it('retries transient failures (503, 429, connection reset) and succeeds', async () => {
    const f = new FakeCluster();
    f.fail({ match: (r) => r.path.endsWith('/deployments/web'), status: 503, times: 2 });
    f.fail({ match: (r) => r.path.endsWith('/services/db'), status: 'ECONNRESET', times: 1 });
    f.fail({ match: (r) => r.path.endsWith('/configmaps/web-config'), status: 429, times: 1 });
    const logs: string[] = [];
    const res = await applyObjects(project(), { cluster: f.cluster({ log: (l) => logs.push(l) }), namespace: 'shop', projectName: 'shop' });
    expect(res.ok).toBe(true);
    expect(logs.filter((l) => l.startsWith('retrying'))).toHaveLength(4);
  });

  it('after giving up says what was applied, failed and skipped, does not prune, and a rerun converges', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster({ attempts: 3 });
    await applyObjects([...project(), cm('old')], { cluster, namespace: 'shop', projectName: 'shop' });
    f.fail({ match: (r) => r.path.endsWith('/services/web'), status: 'ECONNREFUSED', times: 3 });
    const res = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop', prune: true });
    expect(res.ok).toBe(false);
    const by = Object.fromEntries(res.results.map((r) => [`${r.ref.kind}/${r.ref.name}`, r.outcome]));
    expect(by).toEqual({
      'Deployment/web': 'skipped',
      'Service/web': 'failed',
      'ConfigMap/web-config': 'unchanged',
      'Deployment/db': 'skipped',
      'Service/db': 'unchanged',
      'Namespace/shop': 'unchanged',
    });
    expect(res.results.find((r) => r.ref.name === 'web' && r.ref.kind === 'Service')!.message).toMatch(/ECONNREFUSED/);
    expect(res.pruned).toEqual([]);
    expect(f.get('ConfigMap', 'old', 'shop')).toBeDefined();
    const rerun = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop', prune: true });
    expect(rerun.ok).toBe(true);
    expect(rerun.pruned).toEqual([{ group: '', kind: 'ConfigMap', namespace: 'shop', name: 'old' }]);
  });

  it('prunes exactly the members no longer desired; unrelated objects and other sets survive', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    f.put(ns('shop'));
    f.put(cm('unrelated', {}, 'shop'));
    f.put({ ...cm('other-set', {}, 'shop'), metadata: { name: 'other-set', namespace: 'shop', labels: { [LABEL_PART_OF]: 'applyset-other-v1' } } });
    await applyObjects([...project(), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: {} }], { cluster, namespace: 'shop', projectName: 'shop' });
    expect(f.get('Secret', 'compose2k8s-shop', 'shop')!.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe('ConfigMap,Deployment.apps,Job.batch,Namespace,Service');
    // "db" is removed from the project, and so is the Job.
    const without = project().filter((o) => o.metadata.name !== 'db');
    const res = await applyObjects(without, { cluster, namespace: 'shop', projectName: 'shop', prune: true });
    expect(res.ok).toBe(true);
    expect(res.pruned.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(['Deployment/db', 'Job/migrate', 'Service/db']);
    expect(f.get('Deployment', 'db', 'shop')).toBeUndefined();
    expect(f.get('ConfigMap', 'unrelated', 'shop')).toBeDefined();
    expect(f.get('ConfigMap', 'other-set', 'shop')).toBeDefined();
    expect(f.get('Deployment', 'web', 'shop')).toBeDefined();
    // The parent now lists only what remains.
    expect(f.get('Secret', 'compose2k8s-shop', 'shop')!.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe('ConfigMap,Deployment.apps,Namespace,Service');
  });

  it('without --prune leaves removed members and keeps them in the parent for a later prune', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([...project(), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' }, spec: {} }], { cluster, namespace: 'shop', projectName: 'shop' });
    await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    expect(f.get('Job', 'migrate', 'shop')).toBeDefined();
    expect(f.get('Secret', 'compose2k8s-shop', 'shop')!.metadata.annotations![ANNOTATION_GROUP_KINDS]).toContain('Job.batch');
    const res = await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop', prune: true });
    expect(res.pruned.map((r) => r.name)).toEqual(['migrate']);
  });

  it('refuses a set whose parent belongs to another tool, before writing anything', async () => {
    const f = new FakeCluster();
    f.put(ns('shop'));
    f.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'compose2k8s-shop', namespace: 'shop', labels: { [LABEL_ID]: ID }, annotations: { [ANNOTATION_TOOLING]: 'kubectl/v1.31' } },
    });
    f.requests.length = 0;
    await expect(applyObjects(project(), { cluster: f.cluster(), namespace: 'shop', projectName: 'shop', prune: true })).rejects.toThrow(/managed by "kubectl\/v1.31"/);
    expect(writes(f)).toEqual([]);
  });

  it('rejects unknown kinds and duplicates before writing anything', async () => {
    const f = new FakeCluster();
    await expect(
      applyObjects([cm('a'), { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }], { cluster: f.cluster(), namespace: 'default', projectName: 'p' }),
    ).rejects.toThrow(/Widget\.example\.com\/w.*no resource for kind Widget/s);
    await expect(applyObjects([cm('a'), cm('a')], { cluster: f.cluster(), namespace: 'default', projectName: 'p' })).rejects.toThrow(/appears 2 times/);
    expect(writes(f)).toEqual([]);
  });

  it('applies CRDs first, waits until established, then their custom resources (discovered from the CRD)', async () => {
    const f = new FakeCluster();
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true }] },
    };
    const widgets = Array.from({ length: 5 }, (_, i): KubeObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: `w${i}` }, spec: { size: i } }));
    const res = await applyObjects([...widgets, crd, cm('c')], { cluster: f.cluster(), namespace: 'default', projectName: 'p' });
    expect(res.ok).toBe(true);
    expect(res.results.map((r) => r.outcome)).toEqual(Array(7).fill('created'));
    const writesTo = writes(f).map((r) => r.path);
    // The parent first (no Namespace to create), then the CRD, before anything else.
    expect(writesTo.slice(0, 2)).toEqual(['/api/v1/namespaces/default/secrets/compose2k8s-p', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com']);
    expect(writesTo.filter((p) => p.includes('/widgets/'))).toHaveLength(5);
    // Discovery was not refetched once per custom resource.
    expect(f.requests.filter((r) => r.path === '/apis').length).toBeLessThanOrEqual(3);
    expect(f.get('Secret', 'compose2k8s-p')!.metadata.annotations![ANNOTATION_GROUP_KINDS]).toBe('ConfigMap,CustomResourceDefinition.apiextensions.k8s.io,Widget.example.com');
  });

  it('--dry-run=server sends dryRun=All with strict field validation and changes nothing', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    const snapshot = JSON.stringify([...f.objects]);
    f.requests.length = 0;
    const bad = deployment('web');
    (bad.spec as Record<string, unknown>).bogus = true;
    const res = await applyObjects([...project().filter((o) => !(o.kind === 'Deployment' && o.metadata.name === 'web')), bad, cm('new')], {
      cluster,
      namespace: 'shop',
      projectName: 'shop',
      dryRun: 'server',
      prune: true,
    });
    expect(JSON.stringify([...f.objects])).toBe(snapshot);
    for (const r of writes(f)) {
      expect(r.query?.dryRun).toBe('All');
      expect(r.query?.fieldValidation ?? 'Strict').toBe('Strict');
    }
    const web = res.results.find((r) => r.ref.kind === 'Deployment' && r.ref.name === 'web')!;
    expect(web.outcome).toBe('failed');
    expect(web.message).toBe('.spec.bogus: field not declared in schema');
  });

  it('--dry-run=client sends nothing', async () => {
    const f = new FakeCluster();
    const res = await applyObjects(project(), { cluster: f.cluster(), namespace: 'shop', projectName: 'shop', dryRun: 'client' });
    expect(f.requests).toEqual([]);
    expect(res.results.every((r) => r.outcome === 'dry-run')).toBe(true);
    expect(res.results[0]!.live!.metadata.labels![LABEL_PART_OF]).toBe(ID);
  });

  it('applies at most `concurrency` objects at once within a stage', async () => {
    const f = new FakeCluster();
    let inFlight = 0;
    let peak = 0;
    const inner = f.request.bind(f);
    f.request = async (req) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      try {
        return await inner(req);
      } finally {
        inFlight--;
      }
    };
    const many = Array.from({ length: 40 }, (_, i) => cm(`c${i}`));
    const res = await applyObjects(many, { cluster: f.cluster(), namespace: 'default', projectName: 'p', concurrency: 8 });
    expect(res.ok).toBe(true);
    expect(peak).toBe(8);
  });
});

describe('deleteSet and setStatus', () => {
  it('down deletes every member and the parent, namespaces last, and leaves the rest', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    f.put(cm('unrelated', {}, 'default'));
    await applyObjects(project(), { cluster, namespace: 'shop', projectName: 'shop' });
    f.requests.length = 0;
    const res = await deleteSet({ cluster, namespace: 'shop', projectName: 'shop' });
    expect(res.found).toBe(true);
    expect(res.errors).toEqual([]);
    expect(res.deleted).toHaveLength(6);
    const dels = f.requests.filter((r) => r.method === 'DELETE').map((r) => r.path.split('/').slice(-2).join('/'));
    expect(dels.at(-1)).toBe('namespaces/shop');
    expect(dels.at(-2)).toBe('secrets/compose2k8s-shop');
    expect(dels.indexOf('deployments/web')).toBeLessThan(dels.indexOf('services/web'));
    expect([...f.objects.values()].map((o) => o.metadata.name)).toEqual(['unrelated']);
    expect((await deleteSet({ cluster, namespace: 'shop', projectName: 'shop' })).found).toBe(false);
  });

  it('status lists members with their kstatus', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([deployment('web'), cm('c')], { cluster, namespace: 'default', projectName: 'p' });
    const st = await setStatus({ cluster, namespace: 'default', projectName: 'p' });
    expect(st.found).toBe(true);
    expect(st.members.map((m) => `${m.ref.kind}/${m.ref.name}=${m.status}`)).toEqual(['ConfigMap/c=Current', 'Deployment/web=InProgress']);
  });
});

describe('diffObjects', () => {
  it('shows creates, updates and (with prune) deletions, and exits clean when nothing changes', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([cm('a'), cm('gone')], { cluster, namespace: 'default', projectName: 'p' });
    const same = await diffObjects([cm('a'), cm('gone')], { cluster, namespace: 'default', projectName: 'p', prune: true });
    expect(same.changed).toBe(false);
    expect(same.text).toBe('');
    const d = await diffObjects([cm('a', { a: '2' }), cm('b')], { cluster, namespace: 'default', projectName: 'p', prune: true });
    expect(d.changed).toBe(true);
    expect(d.objects.map((o) => `${o.ref.name}:${o.change}`)).toEqual(['a:update', 'b:create', 'gone:delete']);
    expect(d.text).toContain('--- live/ConfigMap/default/a\n+++ merged/ConfigMap/default/a\n');
    expect(d.text).toContain('-  a: "1"\n+  a: "2"');
    expect(d.text).not.toContain('resourceVersion');
    expect(f.get('ConfigMap', 'b')).toBeUndefined();
  });
});

describe('failures that may have been applied', () => {
  it('says so when an attempt broke after sending, even if the last one was refused; not when every attempt was refused', async () => {
    const f = new FakeCluster();
    const isPatch = (name: string) => (r: { method: string; path: string }) => r.method === 'PATCH' && r.path.endsWith(`/configmaps/${name}`);
    f.fail({ match: isPatch('sent'), status: 'ECONNRESET', times: 1 });
    f.fail({ match: isPatch('sent'), status: 'ECONNREFUSED', times: 3 });
    f.fail({ match: isPatch('refused'), status: 'ECONNREFUSED', times: 4 });
    const res = await applyObjects([cm('sent'), cm('refused')], { cluster: f.cluster({ attempts: 4 }), namespace: 'default', projectName: 'shop' });
    const msg = (name: string) => res.results.find((r) => r.ref.name === name)!.message;
    expect(msg('sent')).toBe('cannot reach the API server: ECONNREFUSED (the server may or may not have applied it; rerun to converge)');
    expect(msg('refused')).toBe('cannot reach the API server: ECONNREFUSED');
  });

  it('a prune whose DELETE answer was lost (the object is gone on the retry) still reports it pruned', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([cm('keep'), cm('old')], { cluster, namespace: 'default', projectName: 'shop' });
    f.fail({ match: (r) => r.method === 'DELETE' && r.path.endsWith('/configmaps/old'), status: 'ECONNRESET', afterExecuting: true });
    const res = await applyObjects([cm('keep')], { cluster, namespace: 'default', projectName: 'shop', prune: true });
    expect(res.ok).toBe(true);
    expect(f.get('ConfigMap', 'old')).toBeUndefined();
    expect(res.pruned.map((r) => r.name)).toEqual(['old']);
    expect(f.requests.filter((r) => r.method === 'DELETE')).toHaveLength(2);
  });
});

