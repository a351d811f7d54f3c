// waitFor against the in-memory API server: watch-driven, kstatus-based, with reasons on timeout.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../src/deploy/wait.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { FakeCluster, deployment } from './fake-cluster.js';

const available = (d: KubeObject): KubeObject => ({
  ...d,
  status: {
    observedGeneration: d.metadata.generation,
    replicas: 1,
    updatedReplicas: 1,
    readyReplicas: 1,
    availableReplicas: 1,
    conditions: [
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      { type: 'Available', status: 'True' },
    ],
  },
});

describe('waitFor', () => {
  it('returns as soon as watch events make every object Current, without polling', async () => {
    const f = new FakeCluster();
    const web = f.put({ ...deployment('web'), metadata: { name: 'web', namespace: 'default' } });
    const api = f.put({ ...deployment('api'), metadata: { name: 'api', namespace: 'default' } });
    setTimeout(() => f.put(available(web)), 30);
    setTimeout(() => f.put(available(api)), 60);
    f.requests.length = 0;
    const t0 = Date.now();
    const res = await waitFor([deployment('web'), deployment('api')], { cluster: f.cluster(), namespace: 'default', timeoutMs: 5000 });
    expect(res.ok).toBe(true);
    expect(res.timedOut).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(res.objects.map((o) => o.status)).toEqual(['Current', 'Current']);
    // One LIST for the collection (plus discovery), no repeated GETs.
    const lists = f.requests.filter((r) => r.path === '/apis/apps/v1/namespaces/default/deployments');
    expect(lists).toHaveLength(1);
  });

  it('keeps trying when the server cannot be reached at first', async () => {
    const f = new FakeCluster();
    const web = f.put({ ...deployment('web'), metadata: { name: 'web', namespace: 'default' } });
    f.put(available(web));
    const cluster = f.cluster({ attempts: 2 });
    await cluster.discovery.resolve('apps/v1', 'Deployment');
    f.fail({ match: (r) => r.path === '/apis/apps/v1/namespaces/default/deployments', status: 'ECONNREFUSED', times: 2 });
    const logs: string[] = [];
    const res = await waitFor([deployment('web')], { cluster, namespace: 'default', timeoutMs: 5000, log: (l) => logs.push(l) });
    expect(res.ok).toBe(true);
    expect(logs[0]).toMatch(/^warning: cannot watch \/apis\/apps\/v1\/namespaces\/default\/deployments: .*ECONNREFUSED; retrying$/);
  });

  it('sees a Job complete', async () => {
    const f = new FakeCluster();
    const job = f.put({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'default' }, spec: {} });
    setTimeout(() => f.put({ ...job, status: { startTime: 'now', active: 1 } }), 10);
    setTimeout(() => f.put({ ...job, status: { startTime: 'now', succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } }), 40);
    const res = await waitFor([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate' } }], { cluster: f.cluster(), namespace: 'default', timeoutMs: 5000 });
    expect(res.ok).toBe(true);
    expect(res.objects[0]!.message).toBe('Job Completed. succeeded: 1/1');
  });

  it('on timeout names each object that is not ready and why, down to the pods', async () => {
    const f = new FakeCluster();
    f.put({ ...deployment('web'), metadata: { name: 'web', namespace: 'default' } });
    f.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-abc', namespace: 'default', labels: { app: 'web' } },
      status: { phase: 'Pending', containerStatuses: [{ name: 'web', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:1"' } } }] },
    });
    f.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-abc' },
      type: 'Warning',
      reason: 'Failed',
      message: 'Failed to pull image "web:1": not found',
      lastTimestamp: '2024-01-01T00:00:00Z',
    });
    const logs: string[] = [];
    const res = await waitFor([deployment('web')], { cluster: f.cluster(), namespace: 'default', timeoutMs: 150, progressEveryMs: 50, log: (l) => logs.push(l) });
    expect(res.ok).toBe(false);
    expect(res.timedOut).toBe(true);
    const [web] = res.objects;
    expect(web!.status).toBe('InProgress');
    expect(web!.message).toBe('Replicas: 0/1');
    expect(web!.details).toEqual([
      'pod web-abc: container web: ImagePullBackOff (Back-off pulling image "web:1") — was the image pushed, is its name right, and does the cluster need an imagePullSecret?',
      'pod web-abc: event Failed: Failed to pull image "web:1": not found',
    ]);
    expect(logs.some((l) => l.startsWith('waiting for 1 object(s): Deployment.apps/web'))).toBe(true);
  });

  it('ends early when an object fails (a Job that hit its backoff limit)', async () => {
    const f = new FakeCluster();
    f.put({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j', namespace: 'default' },
      status: { startTime: 'x', failed: 3, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    });
    const res = await waitFor([{ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' } }], { cluster: f.cluster(), namespace: 'default', timeoutMs: 5000 });
    expect(res.ok).toBe(false);
    expect(res.timedOut).toBe(false);
    expect(res.objects[0]!.reason).toBe('BackoffLimitExceeded');
  });

  it('does not wait for PVCs of a WaitForFirstConsumer class', async () => {
    const f = new FakeCluster();
    f.put({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, volumeBindingMode: 'WaitForFirstConsumer' });
    f.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: {}, status: { phase: 'Pending' } });
    const res = await waitFor([{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' } }], { cluster: f.cluster(), namespace: 'default', timeoutMs: 2000 });
    expect(res.ok).toBe(true);
  });

  it('waits for deletion with until: deleted, and not before the first LIST answered', async () => {
    const f = new FakeCluster();
    f.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
    const cluster = f.cluster();
    setTimeout(() => void cluster.client.delete('/api/v1/namespaces/default/configmaps/c'), 100);
    const t0 = Date.now();
    const res = await waitFor([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }], { cluster, namespace: 'default', timeoutMs: 2000, until: 'deleted' });
    expect(res.ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
  });
});
