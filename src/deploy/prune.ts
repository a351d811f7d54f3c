// Pruning, the one place that decides which live members of a project's ApplySet go and deletes them: `apply
// --prune` deletes the members no longer desired and narrows the parent, `diff --prune` shows them, and `down`
// deletes every member. Only objects labelled part-of this set are ever candidates, never the parent itself.
import { describeParent, parentObject, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { objectPath } from './discovery.js';
import { ApiError, withContext } from './errors.js';
import { applyParent, DEFAULT_CONCURRENCY, listMembers, type Member } from './set.js';
import { deletionOrder, mapLimit } from './stages.js';
import { describeRef, refKey, type Logger, type ObjectRef } from './types.js';

/** The group-kinds and namespaces (besides the parent's) a set's members are listed in. */
export interface SetScope {
  groupKinds: readonly string[];
  namespaces: readonly string[];
}

/** The live members to delete: listed with the part-of label, not desired, and never the parent itself. */
export function pruneCandidates<T extends ObjectRef>(live: readonly T[], desired: readonly ObjectRef[], parent: ParentRef): T[] {
  const keep = new Set(desired.map(refKey));
  keep.add(refKey({ group: parent.group, kind: parent.kind, namespace: parent.namespace, name: parent.name }));
  return live.filter((r) => !keep.has(refKey(r)));
}

/** The live members of the set (within `scope`) that are not in `desired` (refs with namespaces resolved). */
export async function prunable(cluster: Cluster, parent: ParentRef, id: string, desired: readonly ObjectRef[], scope: SetScope): Promise<Member[]> {
  const members = await listMembers(cluster, id, scope.groupKinds, [parent.namespace, ...scope.namespaces]);
  return pruneCandidates(members, desired, parent);
}

export interface DeleteResult {
  deleted: ObjectRef[];
  errors: { ref: ObjectRef; message: string }[];
}

export interface DeleteOptions {
  dryRun?: boolean;
  concurrency?: number;
  log?: Logger;
}

/**
 * Deletes objects with background propagation (like kubectl), in reverse apply order (the rest, workloads,
 * Services, configuration, then Namespaces and CRDs). A uid precondition makes sure only the object that was
 * listed is deleted, never a namesake created since.
 */
export async function deleteMembers(cluster: Cluster, refs: readonly Member[], opts: DeleteOptions = {}): Promise<DeleteResult> {
  const deleted: ObjectRef[] = [];
  const errors: { ref: ObjectRef; message: string }[] = [];
  const asObjects = refs.map((r) => ({ apiVersion: r.group ? `${r.group}/v` : 'v1', kind: r.kind, ref: r }));
  for (const wave of deletionOrder(asObjects)) {
    await mapLimit(wave, opts.concurrency ?? DEFAULT_CONCURRENCY, async ({ ref }) => {
      try {
        const info = await cluster.discovery.resolveGroupKind(ref.group, ref.kind);
        if (!info) return;
        const gone = await cluster.client.delete(
          objectPath(info, ref.name, ref.namespace),
          { propagationPolicy: 'Background', dryRun: opts.dryRun, preconditionUid: ref.uid },
          describeRef(ref),
        );
        if (gone) {
          deleted.push({ group: ref.group, kind: ref.kind, namespace: ref.namespace, name: ref.name });
          opts.log?.(`${opts.dryRun ? 'would delete' : 'deleted'} ${describeRef(ref)}`);
        }
      } catch (e) {
        // 409 with a uid precondition: the object was replaced since listing; the new one is not ours to delete.
        if (e instanceof ApiError && e.status === 409 && ref.uid) return;
        errors.push({ ref, message: (e as Error).message });
      }
    });
  }
  deleted.sort((a, b) => refKey(a).localeCompare(refKey(b)));
  return { deleted, errors };
}

/**
 * Deletes the members of the set (listed within `listed`) that are not in `desired`, then narrows the parent to
 * `desiredScope`, the group-kinds and namespaces of the desired objects. Call only after every desired object was
 * applied. `listed` is what the parent announced before (apply sets it to the union of old and new, so that an
 * interrupted run still prunes everything later).
 */
export async function pruneSet(
  cluster: Cluster,
  parent: ParentRef,
  id: string,
  desired: readonly ObjectRef[],
  scopes: { listed: SetScope; desired: SetScope },
  opts: DeleteOptions & { fieldManager: string },
): Promise<DeleteResult> {
  const doomed = await withContext(`listing the members of the ApplySet ${describeParent(parent)} to prune (nothing was pruned)`, () =>
    prunable(cluster, parent, id, desired, scopes.listed),
  );
  const del = await deleteMembers(cluster, doomed, opts);
  if (del.errors.length > 0) return del;
  // The set now holds exactly the desired group-kinds and namespaces.
  try {
    const announced = parentObject(parent, scopes.listed.groupKinds, scopes.listed.namespaces);
    const { groupKinds, namespaces } = scopes.desired;
    await applyParent(cluster, parent, announced, groupKinds, namespaces, { fieldManager: opts.fieldManager, dryRun: opts.dryRun });
  } catch (e) {
    del.errors.push({ ref: { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name }, message: (e as Error).message });
  }
  return del;
}
