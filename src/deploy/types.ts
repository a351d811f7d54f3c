// Shared types of the deploy stage. Nothing here imports @kubernetes/client-node: the client is loaded lazily
// (see client.ts) so that `convert` and the unit-tested pure modules never pay for it.

/** A plain Kubernetes object as JSON; structurally compatible with the lowering stage's KubeObject. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** Identifies one object: group (empty for core), kind, namespace (empty for cluster-scoped) and name. */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Optional progress sink: every stage reports through it instead of printing. */
export type Logger = (line: string) => void;

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function versionOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    group: groupOf(object.apiVersion),
    kind: object.kind,
    namespace: object.metadata.namespace || undefined,
    name: object.metadata.name,
  };
}

/** `Kind.group` (or just `Kind` for the core group), the form ApplySets and kubectl use. */
export function groupKind(group: string, kind: string): string {
  return group ? `${kind}.${group}` : kind;
}

export function parseGroupKind(gk: string): { group: string; kind: string } {
  const i = gk.indexOf('.');
  return i < 0 ? { group: '', kind: gk } : { group: gk.slice(i + 1), kind: gk.slice(0, i) };
}

/** A stable key for maps and sets: `group/Kind/namespace/name`. */
export function refKey(ref: ObjectRef): string {
  return `${ref.group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** Human form used in every message: `Deployment.apps/web -n shop` style, like kubectl's `deployment.apps/web`. */
export function describeRef(ref: ObjectRef): string {
  const ns = ref.namespace ? ` (namespace ${ref.namespace})` : '';
  return `${groupKind(ref.group, ref.kind)}/${ref.name}${ns}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
