// Operations on a whole ApplySet: read/write its parent, list its members, prune the members no longer desired,
// delete the set (down), and report each member's readiness (status).
import { error } from '../model/diagnostics.js';
import {
  LABEL_PART_OF,
  applySetId,
  checkParent,
  parentFor,
  parentApiPath,
  parentObject,
  pruneCandidates,
  readParent,
  type ParentRef,
} from './applyset.js';
import type { Cluster } from './client.js';
import { collectionPath, objectPath } from './discovery.js';
import { ApiError } from './errors.js';
import { deletionOrder, mapLimit } from './stages.js';
import { computeStatus, type Status } from './status.js';
import { describeRef, parseGroupKind, refKey, type KubeObject, type Logger, type ObjectRef } from './types.js';
import { waitFor } from './wait.js';
import { acquireLock, type ApplyLock, type LockOptions } from './lock.js';

export const DEFAULT_FIELD_MANAGER = 'compose2k8s';
export const DEFAULT_CONCURRENCY = 32;

/** The parent's live state after checking it is ours; undefined when it does not exist. */
export async function fetchParent(cluster: Cluster, parent: ParentRef): Promise<KubeObject | undefined> {
  const live = await cluster.client.getOptional<KubeObject>(parentApiPath(parent));
  if (live) checkParent(live, parent);
  return live;
}

function sameParent(live: KubeObject | undefined, want: KubeObject): boolean {
  if (!live) return false;
  const la = live.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(want.metadata.annotations ?? {})) if ((la[k] ?? '') !== v) return false;
  for (const [k, v] of Object.entries(want.metadata.labels ?? {})) if (live.metadata.labels?.[k] !== v) return false;
  return true;
}

/** Server-side applies the parent with these group-kinds and namespaces; no request when the live one matches. */
export async function applyParent(
  cluster: Cluster,
  parent: ParentRef,
  live: KubeObject | undefined,
  groupKinds: readonly string[],
  namespaces: readonly string[],
  opts: { fieldManager?: string; dryRun?: boolean },
): Promise<KubeObject> {
  const body = parentObject(parent, groupKinds, namespaces);
  if (live && sameParent(live, body)) return live;
  const res = await cluster.client.applyPatch(
    parentApiPath(parent),
    body,
    // The parent was checked to be ours: take its fields even if someone else touched them.
    { fieldManager: opts.fieldManager ?? DEFAULT_FIELD_MANAGER, force: true, dryRun: opts.dryRun },
    `ApplySet parent ${parent.kind}/${parent.name}`,
  );
  return res.object;
}

export type Member = ObjectRef & {
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  managedFields?: { manager?: string; operation?: string; subresource?: string; time?: string; fieldsV1?: unknown }[];
};

/** Lists the live members of a set (metadata only) for its group-kinds, in its namespaces (cluster-wide for cluster-scoped kinds). */
export async function listMembers(cluster: Cluster, id: string, groupKinds: readonly string[], namespaces: readonly string[]): Promise<Member[]> {
  const out: Member[] = [];
  const nss = [...new Set(namespaces)];
  await Promise.all(
    groupKinds.map(async (gk) => {
      const { group, kind } = parseGroupKind(gk);
      const info = await cluster.discovery.resolveGroupKind(group, kind);
      if (!info) return; // the kind is gone from the server (e.g. its CRD was deleted): nothing of it is left
      const paths = info.namespaced ? nss.map((ns) => collectionPath(info, ns)) : [collectionPath(info)];
      await Promise.all(
        paths.map(async (path) => {
          let cont: string | undefined;
          do {
            const list = await cluster.client.request<{ items?: KubeObject[]; metadata?: { continue?: string } }>({
              method: 'GET',
              path,
              query: { labelSelector: `${LABEL_PART_OF}=${id}`, limit: 500, continue: cont },
              accept: 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
            });
            for (const item of list.items ?? []) {
              out.push({
                group,
                kind,
                name: item.metadata.name,
                namespace: info.namespaced ? item.metadata.namespace : undefined,
                resourceVersion: item.metadata.resourceVersion as string | undefined,
                uid: item.metadata.uid as string | undefined,
                generation: item.metadata.generation as number | undefined,
                annotations: item.metadata.annotations,
                deletionTimestamp: item.metadata.deletionTimestamp as string | undefined,
                managedFields: item.metadata.managedFields as Member['managedFields'],
              });
            }
            cont = list.metadata?.continue || undefined;
          } while (cont);
        }),
      );
    }),
  );
  return out;
}

export interface DeleteResult {
  deleted: ObjectRef[];
  errors: { ref: ObjectRef; message: string }[];
}

/**
 * Deletes objects with background propagation (like kubectl), in reverse apply order (the rest, workloads,
 * Services, configuration, then Namespaces and CRDs). A uid precondition makes sure only the object that was
 * listed is deleted, never a namesake created since.
 */
export async function deleteRefs(
  cluster: Cluster,
  refs: readonly Member[],
  opts: { dryRun?: boolean; concurrency?: number; log?: Logger } = {},
): Promise<DeleteResult> {
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

export interface SetOptions {
  cluster: Cluster;
  /** Namespace of the parent (and default namespace of members). */
  namespace: string;
  projectName?: string;
  applySet?: ParentRef;
  fieldManager?: string;
  dryRun?: boolean;
  concurrency?: number;
  log?: Logger;
}

function parentOf(opts: SetOptions): ParentRef {
  if (opts.applySet) return opts.applySet;
  if (!opts.projectName) throw error('deploy.no-project', 'a project name is needed to find its ApplySet');
  return parentFor(opts.projectName, opts.namespace);
}

export interface PruneResult extends DeleteResult {
  applySetId: string;
}

/**
 * Deletes the members of the set that are not in `desired` (refs with namespaces resolved, as applyObjects returns
 * them), then narrows the parent to the desired group-kinds and namespaces. Call only after every desired object
 * was applied successfully. Objects without this set's part-of label are never touched.
 */
export async function pruneSet(
  desired: readonly ObjectRef[],
  opts: SetOptions & { groupKinds: readonly string[]; additionalNamespaces: readonly string[] },
): Promise<PruneResult> {
  const parent = parentOf(opts);
  const id = applySetId(parent);
  const live = await fetchParent(opts.cluster, parent);
  if (!live) return { deleted: [], errors: [], applySetId: id };
  const state = readParent(live);
  const members = await listMembers(opts.cluster, id, state.groupKinds, [parent.namespace, ...state.namespaces]);
  const doomed = pruneCandidates(members, desired, parent) as Member[];
  const del = await deleteRefs(opts.cluster, doomed, opts);
  if (del.errors.length === 0) {
    try {
      await applyParent(opts.cluster, parent, live, opts.groupKinds, opts.additionalNamespaces, opts);
    } catch (e) {
      del.errors.push({ ref: { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name }, message: (e as Error).message });
    }
  }
  return { ...del, applySetId: id };
}

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
  const members = await listMembers(opts.cluster, id, state.groupKinds, [parent.namespace, ...state.namespaces]);
  const isParentNs = (m: Member) => m.kind === 'Namespace' && m.group === '' && m.name === parent.namespace;
  const first = await deleteRefs(opts.cluster, members.filter((m) => !isParentNs(m)), opts);
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
  const last = await deleteRefs(opts.cluster, members.filter(isParentNs), opts);
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

export interface MemberStatus {
  ref: ObjectRef;
  status: Status;
  reason?: string;
  message: string;
}

/** status: each member of the project's set with its kstatus; `found` false when the project has no set here. */
export async function setStatus(opts: SetOptions): Promise<{ found: boolean; applySetId: string; members: MemberStatus[] }> {
  const parent = parentOf(opts);
  const id = applySetId(parent);
  const live = await fetchParent(opts.cluster, parent);
  if (!live) return { found: false, applySetId: id, members: [] };
  const state = readParent(live);
  const out: MemberStatus[] = [];
  const namespaces = [...new Set([parent.namespace, ...state.namespaces])];
  await Promise.all(
    state.groupKinds.map(async (gk) => {
      const { group, kind } = parseGroupKind(gk);
      const info = await opts.cluster.discovery.resolveGroupKind(group, kind);
      if (!info) return;
      const paths = info.namespaced ? namespaces.map((ns) => collectionPath(info, ns)) : [collectionPath(info)];
      for (const path of paths) {
        const list = await opts.cluster.client.get<{ items?: KubeObject[] }>(path, { labelSelector: `${LABEL_PART_OF}=${id}` });
        for (const item of list.items ?? []) {
          const obj = { ...item, apiVersion: group ? `${group}/${info.version}` : info.version, kind };
          const st = computeStatus(obj);
          out.push({
            ref: { group, kind, name: item.metadata.name, namespace: info.namespaced ? item.metadata.namespace : undefined },
            status: st.status,
            reason: st.reason,
            message: st.message,
          });
        }
      }
    }),
  );
  out.sort((a, b) => refKey(a.ref).localeCompare(refKey(b.ref)));
  return { found: true, applySetId: id, members: out };
}
