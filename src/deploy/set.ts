// Operations on a whole ApplySet: read and write its parent, list its members, and report each member's readiness
// (status). Pruning members is prune.ts; deleting the whole set (down) is down.ts.
import { error } from '../model/diagnostics.js';
import { LABEL_PART_OF, applySetId, checkParent, parentFor, parentApiPath, parentObject, readParent, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { collectionPath } from './discovery.js';
import { computeStatus, type Status } from './status.js';
import { parseGroupKind, refKey, type KubeObject, type Logger, type ObjectRef } from './types.js';

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

/** The parent of the set the options name: `applySet`, else the project's in `namespace`. */
export function parentOf(opts: SetOptions): ParentRef {
  if (opts.applySet) return opts.applySet;
  if (!opts.projectName) throw error('deploy.no-project', 'a project name is needed to find its ApplySet');
  return parentFor(opts.projectName, opts.namespace);
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
