// ApplySets (KEP-3659) as kubectl implements them: a parent object per project and namespace (a Secret by default)
// labelled with the set's ID, annotated with the tooling and the group-kinds (and extra namespaces) of its members;
// each member carries applyset.kubernetes.io/part-of=<id>. kubectl can list and prune a compose2k8s set.
import { createHash } from 'node:crypto';
import { VERSION } from '../version.js';
import { error } from '../model/diagnostics.js';
import { groupKind, groupOf, type KubeObject } from './types.js';

export const LABEL_ID = 'applyset.kubernetes.io/id';
export const LABEL_PART_OF = 'applyset.kubernetes.io/part-of';
export const ANNOTATION_TOOLING = 'applyset.kubernetes.io/tooling';
export const ANNOTATION_GROUP_KINDS = 'applyset.kubernetes.io/contains-group-kinds';
export const ANNOTATION_NAMESPACES = 'applyset.kubernetes.io/additional-namespaces';

export const TOOL_NAME = 'compose2k8s';
export const TOOLING = `${TOOL_NAME}/${VERSION}`;

export interface ParentRef {
  kind: 'Secret' | 'ConfigMap';
  /** Always the core group for Secret and ConfigMap parents. */
  group: '';
  name: string;
  namespace: string;
}

/** `applyset-<base64url(sha256(<name>.<namespace>.<kind>.<group>))>-v1`, without base64 padding as in kubectl. */
export function applySetId(parent: { name: string; namespace: string; kind: string; group: string }): string {
  const hash = createHash('sha256').update(`${parent.name}.${parent.namespace}.${parent.kind}.${parent.group}`).digest('base64url');
  return `applyset-${hash}-v1`;
}

/** The parent of a project's set in a namespace: Secret `compose2k8s-<project>`. */
export function parentFor(projectName: string, namespace: string, kind: ParentRef['kind'] = 'Secret'): ParentRef {
  return { kind, group: '', name: `compose2k8s-${projectName}`.slice(0, 253).replace(/[-.]+$/, ''), namespace };
}

/** How messages name the parent: `Secret shop/compose2k8s-shop`. */
export const describeParent = (p: ParentRef): string => `${p.kind} ${p.namespace}/${p.name}`;

/** The API path of the parent object (a Secret or ConfigMap in the core group). */
export function parentApiPath(parent: ParentRef): string {
  const resource = parent.kind === 'Secret' ? 'secrets' : 'configmaps';
  return `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/${resource}/${encodeURIComponent(parent.name)}`;
}

/** Sorted, de-duplicated `Kind.group` list of the objects. */
export function groupKindsOf(objects: readonly KubeObject[]): string[] {
  return [...new Set(objects.map((o) => groupKind(groupOf(o.apiVersion), o.kind)))].sort();
}

/** Namespaces of members other than the parent's, sorted. */
export function additionalNamespacesOf(objects: readonly KubeObject[], parentNamespace: string): string[] {
  const set = new Set<string>();
  for (const o of objects) if (o.metadata.namespace && o.metadata.namespace !== parentNamespace) set.add(o.metadata.namespace);
  return [...set].sort();
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The parent object to server-side apply. `groupKinds` and `namespaces` are already merged/sorted by the caller. */
export function parentObject(parent: ParentRef, groupKinds: readonly string[], namespaces: readonly string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: parent.kind,
    metadata: {
      name: parent.name,
      namespace: parent.namespace,
      labels: { [LABEL_ID]: applySetId(parent) },
      annotations: {
        [ANNOTATION_TOOLING]: TOOLING,
        [ANNOTATION_GROUP_KINDS]: [...new Set(groupKinds)].sort().join(','),
        [ANNOTATION_NAMESPACES]: [...new Set(namespaces)].sort().join(','),
      },
    },
  };
}

export interface ParentState {
  groupKinds: string[];
  namespaces: string[];
  tooling?: string;
}

export function readParent(live: KubeObject | undefined): ParentState {
  const a = live?.metadata.annotations ?? {};
  return { groupKinds: splitList(a[ANNOTATION_GROUP_KINDS]), namespaces: splitList(a[ANNOTATION_NAMESPACES]), tooling: a[ANNOTATION_TOOLING] };
}

/**
 * Refuses to adopt an existing parent that is not ours, with kubectl's rules: it must carry the ID label with
 * the ID computed from its name/namespace/kind/group, and a tooling annotation whose name part is ours.
 */
export function checkParent(live: KubeObject, parent: ParentRef): void {
  const where = describeParent(parent);
  const id = live.metadata.labels?.[LABEL_ID];
  if (id === undefined) {
    throw error('deploy.applyset-not-ours', `ApplySet parent ${where} already exists and is not an ApplySet parent (no ${LABEL_ID} label); refusing to take it over`);
  }
  if (id !== applySetId(parent)) {
    throw error('deploy.applyset-not-ours', `ApplySet parent ${where} has ID ${id}, not ${applySetId(parent)}; refusing to modify it`);
  }
  const tooling = live.metadata.annotations?.[ANNOTATION_TOOLING];
  if (tooling === undefined) {
    throw error('deploy.applyset-not-ours', `ApplySet parent ${where} has no ${ANNOTATION_TOOLING} annotation; refusing to modify it`);
  }
  const name = tooling.split('/')[0];
  if (name !== TOOL_NAME) {
    throw error('deploy.applyset-not-ours', `ApplySet ${where} is managed by "${tooling}", not ${TOOL_NAME}; refusing to modify it`);
  }
}

/** A copy of each object with the part-of label (and the default namespace for objects without one when namespaced). */
export function withPartOf(object: KubeObject, id: string): KubeObject {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, [LABEL_PART_OF]: id } } };
}
