// The state passes share: the read-only inputs (model, options, settings, names) and, per Compose service,
// a ServiceUnit that passes contribute to. The assemble step turns units into workload objects; passes never
// build workloads themselves, so a later pass can still add a volume, an init container or an env var.

import type { PersistentVolumeClaim, Container, PodSpec, Volume, VolumeMount, EnvVar } from 'kubernetes-types/core/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { Diagnostics } from '../model/diagnostics.js';
import type { Project, Service } from '../model/project.js';
import type { NameTable } from './names.js';
import type { PodSecurityService } from './pod-security.js';
import type { FilePort, LowerOptions } from './options.js';
import type { Report } from './report.js';
import type { ResolvedSettings } from './settings.js';
import type { CronSettings, ServiceSettings, WorkloadKind } from './settings-types.js';

export type { KubeObject } from '../model/kube.js';
import type { KubeObject } from '../model/kube.js';

/** How a workload replaces its pods; computed once (B11) and translated per kind by the assembler. */
export type Rollout =
  | { type: 'RollingUpdate'; maxSurge?: number | string; maxUnavailable?: number | string; minReadySeconds?: number }
  | { type: 'Recreate'; reason: string };

export interface JobSpecParts {
  restartPolicy: 'Never' | 'OnFailure';
  backoffLimit?: number;
  completions?: number;
  parallelism?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

/**
 * Services that run as containers of ONE pod and workload (`kompose.service.group`, or shared volumes with
 * `serviceGroupMode: volume`). Every member keeps its own ServiceUnit (container, Services, report entries);
 * the assembler merges the members' pod-level contributions into one workload (groups.ts).
 */
export interface PodGroup {
  /** Kubernetes name of the group's workload (also its HPA, ServiceAccount and wait Role). */
  readonly name: string;
  /** Compose service names of the members, in name order; the first one leads (its values win ties). */
  readonly members: readonly string[];
  /** The group in messages: `service group "x" (kompose.service.group)` or `service group "a-b" (shared volumes)`. */
  readonly why: string;
  /** Per member, the Compose path that put it in the group (its label, else the service). */
  readonly origins: Readonly<Record<string, string>>;
  readonly selector: Record<string, string>;
  /** Labels and annotations of the group's own objects (workload, HPA, ServiceAccount, Role). */
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface ServiceUnit {
  /** Compose service name. */
  readonly service: string;
  readonly compose: Service;
  /** Compose path of the service, `services.<name>`. */
  readonly path: string;
  /** Kubernetes name of the service's container, its Service, and every other per-service object. */
  readonly name: string;
  /** Kubernetes name of the workload the service runs in: `name`, or its group's name. */
  readonly workload: string;
  /** The group whose pod this service shares, if any. */
  readonly group?: PodGroup;
  readonly settings: ServiceSettings;
  /** Decided by the workloads pass (first); read by every later pass. */
  kind: WorkloadKind;
  /** Immutable pod selector. */
  readonly selector: Record<string, string>;
  /** Labels for every object of this service (recommended labels + x-kubernetes labels). */
  readonly labels: Record<string, string>;
  /** Annotations for every object of this service. */
  readonly annotations: Record<string, string>;
  /** The service's container; named after the service. */
  container: Container;
  initContainers: Container[];
  /** Further regular containers (e.g. service groups), after the main one. */
  sidecars: Container[];
  /** Pod-level fields except containers, initContainers and volumes. */
  pod: Omit<PodSpec, 'containers' | 'initContainers' | 'volumes'>;
  volumes: Volume[];
  /**
   * What each emptyDir volume stands for (`bind:<source>`, `named:<volume>`, `anon:<service>:<target>`), so a
   * group pod can keep ONE volume where Compose shared one; emptyDirs without a key stay private per container.
   */
  emptyDirKeys: Record<string, string>;
  /** Pod-template labels besides the selector (which is always added and cannot be overridden). */
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  /** Workload metadata besides `labels`/`annotations`. */
  workloadLabels: Record<string, string>;
  workloadAnnotations: Record<string, string>;
  /** Desired replicas; undefined leaves the field out (Kubernetes default, or an HPA owns it). */
  replicas?: number;
  rollout?: Rollout;
  /** Job and CronJob only. */
  job?: JobSpecParts;
  cron?: CronSettings;
  /** StatefulSet only: the governing headless Service the Services pass must emit (with `selector`). */
  headlessServiceName?: string;
  /** StatefulSet only: claims the storage pass moves here instead of emitting PVCs. */
  volumeClaimTemplates: PersistentVolumeClaim[];
  /** `ConfigMap/<name>` and `Secret/<name>` the pod reads; their content feeds the config checksum. */
  configRefs: Set<string>;
}

export interface LowerContext {
  readonly project: Project;
  readonly options: LowerOptions;
  readonly diagnostics: Diagnostics;
  readonly report: Report;
  readonly names: NameTable;
  readonly settings: ResolvedSettings;
  /** One unit per Compose service, in service-name order. */
  readonly units: ReadonlyMap<string, ServiceUnit>;
  readonly files: FilePort;
  /** Namespace of every namespaced object, if any. */
  readonly namespace?: string;
  /**
   * Adds a non-workload object (ConfigMap, Service, HPA, RBAC, ...). Two objects of one kind and name are an error.
   * `origin`: the Compose path the object comes from (for errors about the object itself, e.g. its size);
   * by default the path of the service its `app.kubernetes.io/component` label names.
   */
  emit(object: KubeObject, origin?: string): void;
  /** The Compose path an emitted object comes from, if known. */
  originOf(object: KubeObject): string | undefined;
  /** Objects emitted so far (not the workloads, which the assembler builds). */
  emitted(): readonly KubeObject[];
  /** Whether an object of this kind and name was emitted (without scanning `emitted()`). */
  isEmitted(kind: string, name: string): boolean;
  /** Labels of the Namespace the assembler emits, besides the project's (e.g. pod-security.kubernetes.io/enforce). */
  readonly namespaceLabels: Record<string, string>;
  /** Per service, the Pod Security level it meets and what blocks the next (the pod-security pass fills it). */
  readonly podSecurity: PodSecurityService[];
  /** The value `make` returns for `key`, made once per lowering run (e.g. an env file several services read). */
  memo<T>(key: string, make: () => T): T;
}

export { merged } from './objects.js';
import { merged } from './objects.js';

/** A typed kubernetes-types object as a KubeObject (they always carry apiVersion, kind and a name here). */
export function asKube(object: { apiVersion?: string; kind?: string; metadata?: ObjectMeta }): KubeObject {
  if (!object.apiVersion || !object.kind || !object.metadata?.name) throw new Error('internal: object without apiVersion, kind or name');
  return object as KubeObject;
}

/** Adds a pod volume once; a second volume with the same name must be identical. */
export function addVolume(unit: ServiceUnit, volume: Volume): void {
  const existing = unit.volumes.find((v) => v.name === volume.name);
  if (!existing) unit.volumes.push(volume);
  else if (JSON.stringify(existing) !== JSON.stringify(volume)) {
    throw new Error(`internal: two different pod volumes named ${volume.name} in ${unit.service}`);
  }
}

export function addMount(container: Container, mount: VolumeMount): void {
  container.volumeMounts = [...(container.volumeMounts ?? []), mount];
}

/** The metadata owner of pod-level objects (workload, HPA, ServiceAccount): the group, else the unit itself. */
export function podOwner(unit: ServiceUnit): { name: string; labels: Record<string, string>; annotations: Record<string, string> } {
  return unit.group ? { name: unit.group.name, labels: unit.group.labels, annotations: unit.group.annotations } : unit;
}

/** How the report names the unit's workload: `Deployment/web`, or `Deployment/grp container web` in a group. */
export function workloadRef(unit: ServiceUnit): string {
  return unit.group ? `${unit.kind}/${unit.workload} container ${unit.name}` : `${unit.kind}/${unit.name}`;
}

/** Sets an env var on the main container, replacing one of the same name. */
export function setEnv(container: Container, variable: EnvVar): void {
  container.env = [...(container.env ?? []).filter((e) => e.name !== variable.name), variable];
}

/** Sets one resource quantity (`limits` or `requests`) on a container. */
export function setResource(container: Container, bucket: 'limits' | 'requests', resource: string, quantity: string): void {
  const resources = (container.resources ??= {});
  resources[bucket] = merged(resources[bucket], { [resource]: quantity });
}

/** A ServiceUnit with nothing contributed yet. */
export function newUnit(args: {
  service: string;
  compose: Service;
  name: string;
  settings: ServiceSettings;
  selector: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  group?: PodGroup;
}): ServiceUnit {
  // Fields copied one by one: in V8 (Node 20) `{ ...args, more }` gives every object its own hidden class, which
  // made each pass's reads of unit fields megamorphic.
  return {
    service: args.service,
    compose: args.compose,
    name: args.name,
    settings: args.settings,
    selector: args.selector,
    labels: args.labels,
    annotations: args.annotations,
    ...(args.group ? { group: args.group } : {}),
    workload: args.group?.name ?? args.name,
    path: `services.${args.service}`,
    kind: 'Deployment',
    container: { name: args.name },
    initContainers: [],
    sidecars: [],
    pod: {},
    volumes: [],
    emptyDirKeys: {},
    podLabels: {},
    podAnnotations: {},
    workloadLabels: {},
    workloadAnnotations: {},
    volumeClaimTemplates: [],
    configRefs: new Set(),
  };
}

/** Metadata for an object belonging to a unit (the assembler adds the namespace to every namespaced object). */
export function unitMetadata(unit: Pick<ServiceUnit, 'name' | 'labels' | 'annotations'>, name = unit.name): KubeObject['metadata'] {
  return {
    name,
    labels: { ...unit.labels },
    ...(Object.keys(unit.annotations).length ? { annotations: { ...unit.annotations } } : {}),
  };
}
