// Changing only the images of deployed workloads (update, rollback) and the record of previous images: extraction of
// what compose2k8s applied from a managed field set (a real one, captured from kube-apiserver v1.34), the record's
// rules, and setImages / applyObjects({ recordImages }) against the in-memory API server.
import { describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import {
  ANNOTATION_PREVIOUS_IMAGES,
  deployedWorkloads,
  extractApplied,
  extractFields,
  imagesOf,
  keepJobDigests,
  nextHistory,
  readHistory,
  setImages,
  withImages,
} from '../../src/deploy/images.js';
import { ANNOTATION_LOCK } from '../../src/deploy/lock.js';
import { ANNOTATION_APPLIED_HASH, appliedHash } from '../../src/deploy/fieldset.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { FakeCluster, deployment, service } from './fake-cluster.js';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + '2'.repeat(64);

/** A Deployment as kube-apiserver returns it after `compose2k8s up` (defaults filled in), with its managed fields. */
function liveDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'app',
      namespace: 'iu',
      resourceVersion: '4711',
      generation: 2,
      labels: { 'app.kubernetes.io/component': 'app', 'app.kubernetes.io/instance': 'iu', 'applyset.kubernetes.io/part-of': 'applyset-x-v1' },
      annotations: {
        [ANNOTATION_APPLIED_HASH]: 'old-hash',
        'compose2k8s.io/image-tags': '{"app":"reg/app:v1"}',
        'deployment.kubernetes.io/revision': '2',
      },
      managedFields: [
        {
          manager: 'compose2k8s',
          operation: 'Apply',
          fieldsV1: {
            'f:metadata': {
              'f:annotations': { 'f:compose2k8s.io/applied-hash': {}, 'f:compose2k8s.io/image-tags': {} },
              'f:labels': { 'f:app.kubernetes.io/component': {}, 'f:app.kubernetes.io/instance': {}, 'f:applyset.kubernetes.io/part-of': {} },
            },
            'f:spec': {
              'f:selector': {},
              'f:template': {
                'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/component': {} } },
                'f:spec': {
                  'f:containers': {
                    'k:{"name":"app"}': {
                      '.': {},
                      'f:args': {},
                      'f:image': {},
                      'f:name': {},
                      'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                      'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
                    },
                  },
                  'f:initContainers': { 'k:{"name":"wait-for-db"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:command': {} } },
                },
              },
            },
          },
        },
        { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
        { manager: 'kubectl-edit', operation: 'Update', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      ],
    },
    spec: {
      progressDeadlineSeconds: 600,
      replicas: 3,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { 'app.kubernetes.io/component': 'app' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/component': 'app' } },
        spec: {
          initContainers: [{ name: 'wait-for-db', image: `busybox:1.36@${D1}`, command: ['sh', '-c', 'until nslookup db; do sleep 1; done'], imagePullPolicy: 'IfNotPresent' }],
          containers: [
            {
              name: 'app',
              image: `reg/app:v1@${D1}`,
              args: ['sleep', '3600'],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', value: '1' }],
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePath: '/dev/termination-log',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 3 },
  };
}

describe('extracting what compose2k8s applied', () => {
  it('takes exactly the fields of its Apply entry: no defaults, no status, nothing another manager owns', () => {
    const applied = extractApplied(liveDeployment(), 'compose2k8s')!;
    expect(applied).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'app',
        namespace: 'iu',
        labels: { 'app.kubernetes.io/component': 'app', 'app.kubernetes.io/instance': 'iu', 'applyset.kubernetes.io/part-of': 'applyset-x-v1' },
        annotations: { [ANNOTATION_APPLIED_HASH]: 'old-hash', 'compose2k8s.io/image-tags': '{"app":"reg/app:v1"}' },
      },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/component': 'app' } },
        template: {
          metadata: { labels: { 'app.kubernetes.io/component': 'app' } },
          spec: {
            containers: [{ name: 'app', image: `reg/app:v1@${D1}`, args: ['sleep', '3600'], ports: [{ containerPort: 80, protocol: 'TCP' }], env: [{ name: 'A', value: '1' }] }],
            initContainers: [{ name: 'wait-for-db', image: `busybox:1.36@${D1}`, command: ['sh', '-c', 'until nslookup db; do sleep 1; done'] }],
          },
        },
      },
    });
  });

  it('is undefined without an Apply entry of that manager', () => {
    expect(extractApplied(liveDeployment(), 'someone-else')).toBeUndefined();
    const live = liveDeployment();
    delete (live.metadata.managedFields as { fieldsV1?: unknown }[])[0]!.fieldsV1;
    expect(extractApplied(live, 'compose2k8s')).toBeUndefined();
  });

  it('lists: v: elements by value, i: by index, k: by every key field; atomic lists whole', () => {
    expect(extractFields({ finalizers: ['a', 'b', 'c'] }, { 'f:finalizers': { 'v:"a"': {}, 'v:"c"': {} } })).toEqual({ finalizers: ['a', 'c'] });
    expect(extractFields({ l: [{ x: 1 }, { x: 2 }] }, { 'f:l': { 'i:1': { 'f:x': {} } } })).toEqual({ l: [{ x: 2 }] });
    expect(extractFields({ p: [{ port: 1, protocol: 'UDP', n: 'a' }, { port: 1, protocol: 'TCP', n: 'b' }] }, { 'f:p': { 'k:{"port":1,"protocol":"TCP"}': { 'f:n': {} } } })).toEqual({
      p: [{ port: 1, protocol: 'TCP', n: 'b' }],
    });
    expect(extractFields({ args: ['a', 'b'] }, { 'f:args': {} })).toEqual({ args: ['a', 'b'] });
    expect(extractFields({ m: { a: 1 } }, { 'f:m': { '.': {} } })).toEqual({ m: {} });
  });

  it('withImages changes only the named containers, init containers included, and refuses unknown ones', () => {
    const applied = extractApplied(liveDeployment(), 'compose2k8s')!;
    const changed = withImages(applied, { app: `reg/app:v1@${D2}`, 'wait-for-db': `busybox:1.36@${D2}` });
    expect(imagesOf(changed)).toEqual({ app: `reg/app:v1@${D2}`, 'wait-for-db': `busybox:1.36@${D2}` });
    expect(imagesOf(applied)).toEqual({ app: `reg/app:v1@${D1}`, 'wait-for-db': `busybox:1.36@${D1}` });
    const { spec: a, ...restA } = applied;
    const { spec: b, ...restB } = changed;
    expect(restB).toEqual(restA);
    expect(JSON.stringify(b).replaceAll(D2, D1)).toBe(JSON.stringify(a));
    expect(() => withImages(applied, { nope: 'x' })).toThrow(/container nope/);
  });
});

describe('the record of previous images', () => {
  it('a workload whose images changed records what its changed containers ran before; others keep theirs', () => {
    const h = nextHistory({ keep: { c: 'old' } }, [
      { key: 'moved', before: { a: 'a1', b: 'b1' }, after: { a: 'a2', b: 'b1' } },
      { key: 'same', before: { a: 'x' }, after: { a: 'x' } },
    ]);
    expect(h).toEqual({ keep: { c: 'old' }, moved: { a: 'a1' } });
    // a rollback records what it replaced: rolling back twice goes forward again
    expect(nextHistory(h, [{ key: 'moved', before: { a: 'a2', b: 'b1' }, after: { a: 'a1', b: 'b1' } }])).toEqual({ keep: { c: 'old' }, moved: { a: 'a2' } });
    expect(nextHistory(h, [], new Set(['moved']))).toEqual({ moved: { a: 'a1' } });
  });

  it('reads only what it understands', () => {
    const parent = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'p', annotations: { [ANNOTATION_PREVIOUS_IMAGES]: v } } });
    expect(readHistory(parent('not json'))).toEqual({});
    expect(readHistory(parent('[1]'))).toEqual({});
    expect(readHistory(parent('{"w":{"a":"x","b":1},"v":"y","e":{}}'))).toEqual({ w: { a: 'x' } });
    expect(readHistory(undefined)).toEqual({});
  });
});

function pinned(name: string, digest: string): KubeObject {
  const d = deployment(name);
  const c = (d.spec as any).template.spec.containers[0];
  c.image = `reg/${name}:v1@${digest}`;
  d.metadata.annotations = { 'compose2k8s.io/image-tags': JSON.stringify({ [name]: `reg/${name}:v1` }) };
  return d;
}

describe('setImages and the record, against the in-memory API server', () => {
  const setup = async () => {
    const f = new FakeCluster();
    f.trackFieldSets = true;
    const cluster = f.cluster();
    const objects = [pinned('app', D1), pinned('other', D1), service('app')];
    const r = await applyObjects(objects, { cluster, namespace: 'default', projectName: 'iu', recordImages: true });
    expect(r.ok).toBe(true);
    return { f, cluster, objects };
  };

  it('changes the image of one workload only, under compose2k8s’ field manager, and records the previous one', async () => {
    const { f, cluster } = await setup();
    const otherBefore = structuredClone(f.get('Deployment', 'other')!);
    const appBefore = f.get('Deployment', 'app')!;
    f.requests.length = 0;
    const r = await setImages([{ ref: { group: 'apps', kind: 'Deployment', namespace: 'default', name: 'app' }, images: { app: `reg/app:v1@${D2}` } }], {
      cluster,
      namespace: 'default',
      projectName: 'iu',
      lock: { timeoutMs: 0 },
    });
    expect(r.ok).toBe(true);
    expect(r.results.map((x) => [x.ref.name, x.outcome, x.before.app, x.after.app])).toEqual([['app', 'configured', `reg/app:v1@${D1}`, `reg/app:v1@${D2}`]]);
    const app = f.get('Deployment', 'app')!;
    expect(imagesOf(app)).toEqual({ app: `reg/app:v1@${D2}` });
    expect(app.metadata.generation).toBe((appBefore.metadata.generation as number) + 1);
    expect((app.metadata.managedFields as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`)).toEqual(['compose2k8s/Apply']);
    // the applied-hash says what was applied now, so that the next up skips it only if it would send exactly this
    const { resourceVersion: _rv, ...meta } = extractApplied(app, 'compose2k8s')!.metadata;
    expect(app.metadata.annotations![ANNOTATION_APPLIED_HASH]).toBe(appliedHash({ ...extractApplied(app, 'compose2k8s')!, metadata: meta }));
    expect(app.metadata.annotations!['compose2k8s.io/image-tags']).toBe('{"app":"reg/app:v1"}');
    // the other workload was not touched at all
    expect(f.get('Deployment', 'other')).toEqual(otherBefore);
    expect(f.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/deployments/other'))).toEqual([]);
    const parent = f.get('Secret', 'compose2k8s-iu')!;
    expect(readHistory(parent)).toEqual({ 'apps/Deployment/default/app': { app: `reg/app:v1@${D1}` } });
    expect(parent.metadata.annotations?.[ANNOTATION_LOCK]).toBeUndefined(); // lock released
  });

  it('an image already in place is unchanged (no write), a workload gone or not ours fails alone', async () => {
    const { f, cluster } = await setup();
    const writes = () => f.requests.filter((q) => q.method === 'PATCH').length;
    const before = writes();
    const r = await setImages(
      [
        { ref: { group: 'apps', kind: 'Deployment', namespace: 'default', name: 'app' }, images: { app: `reg/app:v1@${D1}` } },
        { ref: { group: 'apps', kind: 'Deployment', namespace: 'default', name: 'gone' }, images: { gone: 'x' } },
      ],
      { cluster, namespace: 'default', projectName: 'iu' },
    );
    expect(r.results.map((x) => [x.ref.name, x.outcome])).toEqual([
      ['app', 'unchanged'],
      ['gone', 'failed'],
    ]);
    expect(r.ok).toBe(false);
    expect(writes()).toBe(before);
    f.put({ ...deployment('foreign'), metadata: { name: 'foreign', namespace: 'default', managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: {} }] } });
    const r2 = await setImages([{ ref: { group: 'apps', kind: 'Deployment', namespace: 'default', name: 'foreign' }, images: { foreign: 'x' } }], { cluster, namespace: 'default', projectName: 'iu' });
    expect(r2.results[0]!.message).toMatch(/no fields applied by field manager "compose2k8s"/);
  });

  it('refuses a project that is not deployed there', async () => {
    const f = new FakeCluster();
    await expect(
      setImages([], { cluster: f.cluster(), namespace: 'default', projectName: 'nope', lock: { timeoutMs: 0 } }),
    ).rejects.toThrow(/project nope is not deployed in namespace default/);
  });

  it('apply records the images a workload ran before when they change, and drops workloads that are gone', async () => {
    const { f, cluster, objects } = await setup();
    expect(f.get('Secret', 'compose2k8s-iu')!.metadata.annotations?.[ANNOTATION_PREVIOUS_IMAGES]).toBeUndefined();
    const next = [pinned('app', D2), objects[1]!, objects[2]!];
    expect((await applyObjects(next, { cluster, namespace: 'default', projectName: 'iu', recordImages: true })).ok).toBe(true);
    expect(readHistory(f.get('Secret', 'compose2k8s-iu'))).toEqual({ 'apps/Deployment/default/app': { app: `reg/app:v1@${D1}` } });
    // unchanged apply: the record stays
    expect((await applyObjects(next, { cluster, namespace: 'default', projectName: 'iu', recordImages: true })).ok).toBe(true);
    expect(readHistory(f.get('Secret', 'compose2k8s-iu'))).toEqual({ 'apps/Deployment/default/app': { app: `reg/app:v1@${D1}` } });
    // app removed and pruned: its entry goes
    expect((await applyObjects([objects[1]!], { cluster, namespace: 'default', projectName: 'iu', recordImages: true, prune: true })).ok).toBe(true);
    expect(readHistory(f.get('Secret', 'compose2k8s-iu'))).toEqual({});
    const { workloads, history } = await deployedWorkloads(cluster, 'default', 'iu');
    expect(workloads.map((w) => w.metadata.name)).toEqual(['other']);
    expect(history).toEqual({});
  });

  it('apply reads the images of the existing workloads it sends, one GET each, and none when nothing changed', async () => {
    const { f, cluster, objects } = await setup();
    const gets = () => f.requests.filter((q) => q.method === 'GET' && /\/deployments\/\w+$/.test(q.path)).map((q) => q.path.split('/').pop());
    f.requests.length = 0;
    expect((await applyObjects(objects, { cluster, namespace: 'default', projectName: 'iu', recordImages: true })).ok).toBe(true);
    expect(gets()).toEqual([]);
    expect(f.requests.filter((q) => q.method === 'PATCH')).toEqual([]);
    f.requests.length = 0;
    expect((await applyObjects([pinned('app', D2), objects[1]!, objects[2]!], { cluster, namespace: 'default', projectName: 'iu', recordImages: true })).ok).toBe(true);
    expect(gets()).toEqual(['app']);
  });

  it('without recordImages, apply reads no workloads and writes no record', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([pinned('app', D1)], { cluster, namespace: 'default', projectName: 'iu' });
    f.requests.length = 0;
    await applyObjects([pinned('app', D2)], { cluster, namespace: 'default', projectName: 'iu' });
    expect(f.requests.filter((q) => q.method === 'GET' && q.path.includes('/deployments') && !q.accept?.includes('PartialObjectMetadata'))).toEqual([]);
    expect(f.get('Secret', 'compose2k8s-iu')!.metadata.annotations?.[ANNOTATION_PREVIOUS_IMAGES]).toBeUndefined();
  });
});

describe('Jobs keep the digest they ran with', () => {
  const job = (image: string): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'seed' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'seed', image }], initContainers: [{ name: 'wait-for-db', image: `busybox:1.36@${D2}` }] } } },
  });

  it('only where the same repository and tag now point to another digest', () => {
    const kept = keepJobDigests(job(`reg/seed:1@${D2}`), { seed: `reg/seed:1@${D1}`, 'wait-for-db': `busybox:1.36@${D1}` })!;
    expect(imagesOf(kept)).toEqual({ seed: `reg/seed:1@${D1}`, 'wait-for-db': `busybox:1.36@${D1}` });
    expect(kept.metadata.annotations![ANNOTATION_APPLIED_HASH]).toBe(appliedHash(kept));
    expect(keepJobDigests(job(`reg/seed:2@${D2}`), { seed: `reg/seed:1@${D1}` })).toBeUndefined(); // another tag: the user changed it
    expect(keepJobDigests(job(`reg/seed:1@${D2}`), { seed: 'reg/seed:1' })).toBeUndefined();
    expect(keepJobDigests({ ...job(`reg/seed:1@${D2}`), kind: 'CronJob' }, { seed: `reg/seed:1@${D1}` })).toBeUndefined();
  });

  it('apply leaves an existing Job alone when only its tag moved, instead of failing on the immutable template', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    const lines: string[] = [];
    expect((await applyObjects([job(`reg/seed:1@${D1}`)], { cluster, namespace: 'default', projectName: 'iu', recordImages: true })).ok).toBe(true);
    const before = structuredClone(f.get('Job', 'seed')!);
    const r = await applyObjects([job(`reg/seed:1@${D2}`)], { cluster, namespace: 'default', projectName: 'iu', recordImages: true, log: (l) => lines.push(l) });
    expect(r.ok).toBe(true);
    expect(f.get('Job', 'seed')).toEqual(before);
    expect(lines).toContain("Job.batch/seed (namespace default): keeps the digest it ran with (a Job's pod template cannot change; it runs the new one when recreated)");
  });
});
