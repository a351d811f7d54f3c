// down: deletes every member of the project's set (pruning with nothing desired, prune.ts), then its parent, then
// the set's own namespace; with a wait, until the members are gone. Holds the project's apply lock meanwhile.
import { applySetId, parentApiPath, readParent, type ParentRef } from './applyset.js';
import { acquireLock, type ApplyLock, type LockOptions } from './lock.js';
import { deleteMembers, prunable, type DeleteResult } from './prune.js';
import { fetchParent, parentOf, type Member, type SetOptions } from './set.js';
import { describeRef, type KubeObject, type ObjectRef } from './types.js';
import { waitFor } from './wait.js';

export interface DeleteSetResult extends DeleteResult {
  /** False when there was no ApplySet to delete. */
  found: boolean;
  applySetId: string;
  /** With wait: objects still present when the timeout passed. */
  remaining: ObjectRef[];
}

/**
 * down: deletes every member of the project's set, then its parent. Namespaces of the set go last (deleting one
 * deletes what is left in it, the parent included). With `waitTimeoutMs`, waits until the members are gone.
 */
export async function deleteSet(opts: SetOptions & { waitTimeoutMs?: number; lock?: LockOptions }): Promise<DeleteSetResult> {
  const parent = parentOf(opts);
  const id = applySetId(parent);
  let live = await fetchParent(opts.cluster, parent);
  if (!live) return { found: false, deleted: [], errors: [], applySetId: id, remaining: [] };
  // With a lock: wait for a running apply of the project, and keep others out until the parent is gone.
  let lock: ApplyLock | undefined;
  if (opts.lock && !opts.dryRun) {
    lock = await acquireLock(opts.cluster, parent, { command: 'down', ...opts.lock, createParent: false, log: opts.lock.log ?? opts.log });
    live = lock ? await fetchParent(opts.cluster, parent) : undefined;
    if (!live) {
      await lock?.release();
      return { found: false, deleted: [], errors: [], applySetId: id, remaining: [] };
    }
  }
  try {
    return await deleteSetLocked(opts, parent, id, live, lock);
  } finally {
    await lock?.release();
  }
}

async function deleteSetLocked(
  opts: SetOptions & { waitTimeoutMs?: number },
  parent: ParentRef,
  id: string,
  live: KubeObject,
  lock: ApplyLock | undefined,
): Promise<DeleteSetResult> {
  const state = readParent(live);
  const members = await prunable(opts.cluster, parent, id, [], state);
  const isParentNs = (m: Member) => m.kind === 'Namespace' && m.group === '' && m.name === parent.namespace;
  const first = await deleteMembers(opts.cluster, members.filter((m) => !isParentNs(m)), opts);
  const result: DeleteSetResult = { found: true, ...first, applySetId: id, remaining: [] };
  if (result.errors.length > 0) return result; // keep the parent: a rerun must still find the rest
  const parentRef = { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name };
  try {
    lock?.check();
    // The lock goes with the parent: stop renewing it first.
    lock?.detach();
    if (await opts.cluster.client.delete(parentApiPath(parent), { dryRun: opts.dryRun, preconditionUid: live.metadata.uid as string | undefined })) {
      opts.log?.(`${opts.dryRun ? 'would delete' : 'deleted'} ApplySet parent ${describeRef(parentRef)}`);
    }
  } catch (e) {
    result.errors.push({ ref: parentRef, message: (e as Error).message });
    return result;
  }
  const last = await deleteMembers(opts.cluster, members.filter(isParentNs), opts);
  result.deleted.push(...last.deleted);
  result.errors.push(...last.errors);
  if (opts.waitTimeoutMs && !opts.dryRun && result.deleted.length > 0) {
    const objects = await Promise.all(
      result.deleted.map(async (r): Promise<KubeObject | undefined> => {
        const info = await opts.cluster.discovery.resolveGroupKind(r.group, r.kind);
        return info ? { apiVersion: r.group ? `${r.group}/${info.version}` : info.version, kind: r.kind, metadata: { name: r.name, namespace: r.namespace } } : undefined;
      }),
    );
    const waited = await waitFor(
      objects.filter((o): o is KubeObject => !!o),
      { cluster: opts.cluster, namespace: opts.namespace, timeoutMs: opts.waitTimeoutMs, until: 'deleted', log: opts.log },
    );
    result.remaining = waited.objects.filter((o) => o.status !== 'NotFound').map((o) => o.ref);
  }
  return result;
}
