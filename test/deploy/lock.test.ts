// The apply lock (src/deploy/lock.ts) against the in-memory API server: optimistic concurrency, waiting, refusing,
// stale locks, renewal, loss, release on success and on errors, and its use by applyObjects and deleteSet.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import { ANNOTATION_TOOLING, LABEL_ID, applySetId, parentFor } from '../../src/deploy/applyset.js';
import { ANNOTATION_LOCK, acquireLock, localHostId, parseLock, type LockRecord } from '../../src/deploy/lock.js';
import { deleteSet } from '../../src/deploy/down.js';
import { FakeCluster, cm, service } from './fake-cluster.js';

const parent = parentFor('shop', 'default');
const lockOf = (f: FakeCluster): LockRecord | undefined => parseLock(f.get('Secret', 'compose2k8s-shop', 'default')?.metadata.annotations?.[ANNOTATION_LOCK]);
const quiet = { log: () => {} };

function plant(f: FakeCluster, record: Partial<LockRecord>): void {
  const full: LockRecord = {
    holder: 'someone-else',
    command: 'apply',
    host: 'elsewhere',
    pid: 4242,
    acquiredAt: '2026-01-01T00:00:00Z',
    renewedAt: '2026-01-01T00:00:00Z',
    ttlSeconds: 30,
    ...record,
  };
  f.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: parent.name,
      namespace: 'default',
      labels: { [LABEL_ID]: applySetId(parent) },
      annotations: { [ANNOTATION_TOOLING]: 'compose2k8s/0.1.0', [ANNOTATION_LOCK]: JSON.stringify(full) },
    },
  });
}

describe('apply lock', () => {
  it('creates the parent holding the lock when there is none, and release removes only the lock', async () => {
    const f = new FakeCluster();
    const lock = (await acquireLock(f.cluster(), parent, { ...quiet, command: 'up' }))!;
    const rec = lockOf(f)!;
    expect(rec).toMatchObject({ holder: lock.holder, command: 'up', pid: process.pid, ttlSeconds: 30 });
    const live = f.get('Secret', 'compose2k8s-shop', 'default')!;
    expect(live.metadata.labels![LABEL_ID]).toBe(applySetId(parent));
    expect(live.metadata.annotations![ANNOTATION_TOOLING]).toMatch(/^compose2k8s\//);
    expect(f.requests.find((r) => r.method === 'POST')!.query!.fieldManager).toBe('compose2k8s-lock');
    expect(await lock.release()).toBe(true);
    expect(lockOf(f)).toBeUndefined();
    expect(f.get('Secret', 'compose2k8s-shop', 'default')!.metadata.labels![LABEL_ID]).toBe(applySetId(parent));
  });

  it('refuses at once with timeout 0, naming the holder', async () => {
    const f = new FakeCluster();
    const first = (await acquireLock(f.cluster(), parent, quiet))!;
    const err = await acquireLock(f.cluster(), parent, { ...quiet, timeoutMs: 0 }).catch((e) => e);
    expect(err.diagnostics[0].code).toBe('deploy.locked');
    expect(err.message).toMatch(new RegExp(`another apply of this project is in progress: the apply lock on Secret default/compose2k8s-shop is held by apply \\(pid ${process.pid} on `));
    expect(err.message).toContain('--lock-timeout');
    await first.release();
  });

  it('a waiter gets the lock as soon as the holder releases it', async () => {
    const f = new FakeCluster();
    const first = (await acquireLock(f.cluster(), parent, quiet))!;
    const logs: string[] = [];
    const t0 = Date.now();
    setTimeout(() => void first.release(), 300);
    const second = (await acquireLock(f.cluster(), parent, { timeoutMs: 5000, pollMs: 50, log: (l) => logs.push(l) }))!;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(lockOf(f)!.holder).toBe(second.holder);
    expect(logs[0]).toMatch(/^waiting up to 5s for the apply lock on Secret default\/compose2k8s-shop, held by apply \(pid \d+ on /);
    await second.release();
  });

  it('gives up after the timeout when the holder keeps renewing', async () => {
    const f = new FakeCluster();
    const first = (await acquireLock(f.cluster(), parent, { ...quiet, ttlMs: 1000 }))!;
    const t0 = Date.now();
    const err = await acquireLock(f.cluster(), parent, { ...quiet, timeoutMs: 1500, pollMs: 50 }).catch((e) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(err.message).toMatch(/gave up after waiting 2s/);
    // It was renewed meanwhile, so it never looked stale.
    expect(lockOf(f)!.renewedAt).not.toBe(lockOf(f)!.acquiredAt);
    await first.release();
  });

  it('of two runs racing for a free lock exactly one wins (resourceVersion precondition / AlreadyExists)', async () => {
    for (const existing of [false, true]) {
      const f = new FakeCluster();
      if (existing) {
        plant(f, {});
        // a free parent: the planted lock removed
        const p = f.get('Secret', 'compose2k8s-shop', 'default')!;
        delete p.metadata.annotations![ANNOTATION_LOCK];
      }
      const results = await Promise.allSettled([0, 1, 2].map(() => acquireLock(f.cluster(), parent, { ...quiet, timeoutMs: 0 })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won, `existing parent: ${existing}`).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.diagnostics[0].code)).toEqual(['deploy.locked', 'deploy.locked']);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value!.release();
    }
  });

  it('takes over a lock that was not renewed for its TTL', async () => {
    const f = new FakeCluster();
    plant(f, { ttlSeconds: 1 });
    const logs: string[] = [];
    const t0 = Date.now();
    const lock = (await acquireLock(f.cluster(), parent, { timeoutMs: 10_000, pollMs: 100, log: (l) => logs.push(l) }))!;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(lockOf(f)!.holder).toBe(lock.holder);
    expect(logs.join('\n')).toContain('did not renew it for 1s');
    await lock.release();
  });

  it('takes over at once a lock whose holder ran on this machine and is gone', async () => {
    const hostId = localHostId();
    if (!hostId) return expect(process.platform).not.toBe('linux');
    const f = new FakeCluster();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    plant(f, { hostId, pid: dead, ttlSeconds: 600 });
    const logs: string[] = [];
    const lock = (await acquireLock(f.cluster(), parent, { timeoutMs: 0, log: (l) => logs.push(l) }))!;
    expect(logs.join('\n')).toContain(`its holder apply (pid ${dead} on elsewhere`);
    await lock.release();
    // A live process on this machine (this one, under another holder id) is respected.
    plant(f, { hostId, pid: process.ppid, ttlSeconds: 600 });
    await expect(acquireLock(f.cluster(), parent, { ...quiet, timeoutMs: 0 })).rejects.toThrow(/is held by apply \(pid/);
  });

  it('a renewal that finds another holder marks the lock lost; applyObjects then prunes nothing', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([cm('a'), cm('old')], { cluster, namespace: 'default', projectName: 'shop', lock: quiet });
    expect(lockOf(f)).toBeUndefined();
    // Someone else overwrites the lock while our apply runs (between stages).
    let stolen = false;
    f.onWrite = (obj) => {
      if (!stolen && obj.kind === 'ConfigMap' && obj.metadata.name === 'a') {
        stolen = true;
        const p = f.get('Secret', 'compose2k8s-shop', 'default')!;
        p.metadata.annotations![ANNOTATION_LOCK] = JSON.stringify({ holder: 'thief', command: 'apply', host: 'h', pid: 1, ttlSeconds: 30 });
        p.metadata.resourceVersion = String(Number(p.metadata.resourceVersion) + 1000);
      }
    };
    const res = await applyObjects([cm('a', { a: '2' }), service('web')], { cluster, namespace: 'default', projectName: 'shop', prune: true, lock: quiet });
    expect(res.ok).toBe(false);
    expect(res.pruned).toEqual([]);
    expect(f.get('ConfigMap', 'old', 'default')).toBeDefined();
    expect(res.pruneErrors[0]!.message).toMatch(/nothing pruned: lost the apply lock \(now held by apply \(pid 1 on h\)\)/);
    // The thief's lock is left alone.
    expect(lockOf(f)!.holder).toBe('thief');
  });

  it('applyObjects releases the lock when it fails half-way, and creates a missing namespace before locking', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster({ attempts: 2 });
    f.fail({ match: (r) => r.method === 'PATCH' && r.path.endsWith('/services/web'), status: 503, times: 10 });
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } };
    const res = await applyObjects([ns, cm('a'), service('web')], { cluster, namespace: 'shop', projectName: 'shop', lock: quiet });
    expect(res.ok).toBe(false);
    expect(res.results.map((r) => `${r.ref.kind} ${r.outcome}`)).toEqual(['Namespace created', 'ConfigMap created', 'Service failed']);
    const p = f.get('Secret', 'compose2k8s-shop', 'shop')!;
    expect(p.metadata.annotations?.[ANNOTATION_LOCK]).toBeUndefined();
    // Thrown errors (here: the members cannot be listed) release it too.
    f.injected.length = 0;
    f.fail({ match: (r) => r.method === 'GET' && r.path.includes('/configmaps') && !!r.query?.labelSelector, status: 500, times: 10 });
    await expect(applyObjects([cm('a')], { cluster, namespace: 'shop', projectName: 'shop', lock: quiet })).rejects.toThrow(
      /^listing the members of the ApplySet Secret shop\/compose2k8s-shop: injected 500/,
    );
    expect(f.get('Secret', 'compose2k8s-shop', 'shop')!.metadata.annotations?.[ANNOTATION_LOCK]).toBeUndefined();
  });

  it('without a namespace to put it in, apply says so before writing anything', async () => {
    const f = new FakeCluster();
    await expect(applyObjects([cm('a')], { cluster: f.cluster(), namespace: 'nowhere', projectName: 'shop', lock: quiet })).rejects.toThrow(/namespace "nowhere" does not exist/);
    expect(f.requests.filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([]);
  });

  it('down waits for a running apply, then deletes the parent and its lock with it', async () => {
    const f = new FakeCluster();
    const cluster = f.cluster();
    await applyObjects([cm('a')], { cluster, namespace: 'default', projectName: 'shop', lock: quiet });
    const held = (await acquireLock(cluster, parent, quiet))!;
    await expect(deleteSet({ cluster, namespace: 'default', projectName: 'shop', lock: { ...quiet, timeoutMs: 0 } })).rejects.toThrow(/held by apply/);
    expect(f.get('ConfigMap', 'a', 'default')).toBeDefined();
    setTimeout(() => void held.release(), 200);
    const down = await deleteSet({ cluster, namespace: 'default', projectName: 'shop', lock: { ...quiet, timeoutMs: 5000, pollMs: 50 } });
    expect(down.errors).toEqual([]);
    expect(down.deleted.map((r) => r.name)).toEqual(['a']);
    expect(f.get('Secret', 'compose2k8s-shop', 'default')).toBeUndefined();
    // Nothing to lock when there is no set.
    expect((await deleteSet({ cluster, namespace: 'default', projectName: 'shop', lock: quiet })).found).toBe(false);
  });

  it('parses foreign or partial lock values conservatively', () => {
    expect(parseLock(undefined)).toBeUndefined();
    expect(parseLock('garbage')).toMatchObject({ holder: 'garbage', ttlSeconds: 30 });
    expect(parseLock('{"holder":"x","ttlSeconds":999999}')).toMatchObject({ holder: 'x', ttlSeconds: 3600 });
    expect(parseLock('{"holder":"x","ttlSeconds":0}')).toMatchObject({ ttlSeconds: 30 });
  });
});
