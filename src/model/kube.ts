// The Kubernetes vocabulary every stage shares: the object type, references to objects, the pod template of a
// workload, the table of kinds (apply order, apply stage, cluster scope) and the label names. Types only and
// small pure functions: importing this module loads nothing.
import type { PodSpec, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

/** An object's metadata: ObjectMeta's fields, writable (the deploy stage sets server fields when it reads objects). */
export type KubeMetadata = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] } & { name: string; [field: string]: unknown };

/** Any Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

/** Identifies one object: group (empty for core), kind, namespace (empty for cluster-scoped) and name. */
export interface ObjectRef {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
}

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

/** Human form used in every message: `Deployment.apps/web (namespace shop)`, like kubectl's `deployment.apps/web`. */
export function describeRef(ref: ObjectRef): string {
  const ns = ref.namespace ? ` (namespace ${ref.namespace})` : '';
  return `${groupKind(ref.group, ref.kind)}/${ref.name}${ns}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Workloads

/** The kinds whose spec holds a pod template (`spec.template`, or `spec.jobTemplate.spec.template`). */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob']);

/** The pod template of a workload (a CronJob's is inside its job template); undefined for other objects. */
export function podTemplateOf(o: Pick<KubeObject, 'kind'> & { spec?: unknown }): PodTemplateSpec | undefined {
  const spec = o.spec as { template?: PodTemplateSpec; jobTemplate?: { spec?: { template?: PodTemplateSpec } } } | undefined;
  if (!spec || typeof spec !== 'object') return undefined;
  return o.kind === 'CronJob' ? spec.jobTemplate?.spec?.template : spec.template;
}

/** The pod spec of a Pod or a workload. */
export function podSpecOf(o: Pick<KubeObject, 'kind'> & { spec?: unknown }): PodSpec | undefined {
  if (o.kind === 'Pod') return o.spec as PodSpec | undefined;
  return podTemplateOf(o)?.spec;
}

/**
 * Where the lowering put a compose service: the workload that runs it (its own, or its group's), the name of the
 * service's container in the pod, and the labels that select the workload's pods.
 */
export interface Placement {
  kind: string;
  name: string;
  container: string;
  selector: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------------
// Kinds: apply order, apply stage, scope

/** The stages of an apply: each starts when the previous one succeeded (deploy/stages.ts). */
export const APPLY_STAGES = ['namespaces and CRDs', 'identities, secrets, configuration and storage', 'services', 'workloads', 'the rest'] as const;

interface KindInfo {
  kind: string;
  group: string;
  stage: number;
  clusterScoped?: true;
}

/**
 * Kinds in apply order (B15): namespaces and CRDs, identities and configuration the workloads reference, Services
 * (so that endpoints exist when pods start), workloads, then the rest. Kinds not listed come after, by name.
 */
const KINDS: readonly KindInfo[] = [
  { kind: 'Namespace', group: '', stage: 0, clusterScoped: true },
  { kind: 'CustomResourceDefinition', group: 'apiextensions.k8s.io', stage: 0, clusterScoped: true },
  { kind: 'PriorityClass', group: 'scheduling.k8s.io', stage: 1, clusterScoped: true },
  { kind: 'StorageClass', group: 'storage.k8s.io', stage: 1, clusterScoped: true },
  { kind: 'ServiceAccount', group: '', stage: 1 },
  { kind: 'ClusterRole', group: 'rbac.authorization.k8s.io', stage: 1, clusterScoped: true },
  { kind: 'Role', group: 'rbac.authorization.k8s.io', stage: 1 },
  { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', stage: 1, clusterScoped: true },
  { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', stage: 1 },
  { kind: 'Secret', group: '', stage: 1 },
  { kind: 'ConfigMap', group: '', stage: 1 },
  { kind: 'LimitRange', group: '', stage: 1 },
  { kind: 'ResourceQuota', group: '', stage: 1 },
  { kind: 'PersistentVolume', group: '', stage: 1, clusterScoped: true },
  { kind: 'PersistentVolumeClaim', group: '', stage: 1 },
  { kind: 'Service', group: '', stage: 2 },
  { kind: 'Deployment', group: 'apps', stage: 3 },
  { kind: 'StatefulSet', group: 'apps', stage: 3 },
  { kind: 'DaemonSet', group: 'apps', stage: 3 },
  { kind: 'ReplicaSet', group: 'apps', stage: 3 },
  { kind: 'ReplicationController', group: '', stage: 3 },
  { kind: 'Pod', group: '', stage: 3 },
  { kind: 'Job', group: 'batch', stage: 3 },
  { kind: 'CronJob', group: 'batch', stage: 3 },
  { kind: 'HorizontalPodAutoscaler', group: 'autoscaling', stage: 4 },
  { kind: 'PodDisruptionBudget', group: 'policy', stage: 4 },
  { kind: 'IngressClass', group: 'networking.k8s.io', stage: 4, clusterScoped: true },
  { kind: 'Ingress', group: 'networking.k8s.io', stage: 4 },
  { kind: 'NetworkPolicy', group: 'networking.k8s.io', stage: 4 },
  { kind: 'ValidatingWebhookConfiguration', group: 'admissionregistration.k8s.io', stage: 4, clusterScoped: true },
  { kind: 'MutatingWebhookConfiguration', group: 'admissionregistration.k8s.io', stage: 4, clusterScoped: true },
  { kind: 'APIService', group: 'apiregistration.k8s.io', stage: 4, clusterScoped: true },
  { kind: 'Node', group: '', stage: 4, clusterScoped: true },
];

/** The kinds in apply order. */
export const APPLY_ORDER: readonly string[] = KINDS.map((k) => k.kind);

const BY_GROUP_KIND = new Map(KINDS.map((k, i) => [`${k.kind}/${k.group}`, { ...k, rank: i }]));
const RANK_BY_KIND = new Map(KINDS.map((k, i) => [k.kind, i]));

/** Position of a kind in the apply order; unknown kinds after every known one. */
export function kindRank(kind: string): number {
  return RANK_BY_KIND.get(kind) ?? KINDS.length;
}

/** The apply stage of an object (index into APPLY_STAGES). */
export function applyStage(o: Pick<KubeObject, 'apiVersion' | 'kind'>): number {
  return BY_GROUP_KIND.get(`${o.kind}/${groupOf(o.apiVersion)}`)?.stage ?? APPLY_STAGES.length - 1;
}

/** A built-in cluster-scoped kind (for when discovery is not available: output and client-side dry runs). */
export function isClusterScoped(o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean {
  return BY_GROUP_KIND.get(`${o.kind}/${groupOf(o.apiVersion)}`)?.clusterScoped === true;
}

// ---------------------------------------------------------------------------------------------------------
// Labels and annotations

/** The recommended labels compose2k8s sets (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export const LABEL = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** Annotation holding the checksum of the ConfigMaps and Secrets a pod template uses. */
export const CONFIG_CHECKSUM_ANNOTATION = 'compose2k8s.io/config-checksum';

/** The containers of a pod spec, init and ephemeral ones included (names are unique across the three lists). */
export function containersOf(pod: PodSpec | undefined): { name?: string; image?: string }[] {
  if (!pod) return [];
  return [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...((pod.ephemeralContainers ?? []) as { name?: string; image?: string }[])];
}

/**
 * Annotation on a workload (its metadata, not the pod template, so writing it restarts nothing): JSON of container
 * name -> the image reference as the project names it (`nginx:1.27`), for each container whose tag compose2k8s
 * resolves to a digest. `update` re-resolves exactly these tags; digests the compose file pins itself are left alone.
 */
export const IMAGE_TAGS_ANNOTATION = 'compose2k8s.io/image-tags';

/** The tags a workload tracks (IMAGE_TAGS_ANNOTATION); empty when it has none or the value is not ours. */
export function trackedTags(o: Pick<KubeObject, 'metadata'>): Record<string, string> {
  const raw = o.metadata.annotations?.[IMAGE_TAGS_ANNOTATION];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (!isPlainObject(v)) return {};
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
