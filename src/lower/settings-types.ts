// Resolved per-service Kubernetes settings: the single place passes read Kubernetes-specific intent from.
// Sources (x-kubernetes, kompose.* labels, CLI options, defaults) are merged once in settings.ts.

import type { Affinity, PodSecurityContext, Probe, SecurityContext, Toleration } from 'kubernetes-types/core/v1.js';
import type { ExposeMode, PodSecurityLevel } from './options.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob';
export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'Headless';

/** false: none; true: derived from the Compose healthcheck; object: a probe (timings from the healthcheck when `inheritTimings`). */
export type ProbeSetting = boolean | { probe: Probe; inheritTimings: boolean };

/** A metric target: a utilization percentage of the request, or an average quantity. */
export type MetricTarget = { utilization: number } | { averageValue: string };

export interface IngressSettings {
  /** One rule per entry; `host` absent means any host. */
  rules: { host?: string; path: string }[];
  pathType: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  port?: number;
  tls?: { secretName?: string };
  className?: string;
  annotations: Record<string, string>;
}

export interface CronSettings {
  schedule: string;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  timeZone?: string;
  startingDeadlineSeconds?: number;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  suspend?: boolean;
}

export interface JobSettings {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export interface PatchSpec {
  target: { kind: string; name?: string };
  patch: PatchOperation[];
  /** Compose path of the patch, for diagnostics. */
  origin: string;
}

export interface ServiceSettings {
  /** Name override (x-kubernetes.name, kompose.service.name_override); sanitized by the name table. */
  name?: string;
  controller?: WorkloadKind;
  replicas?: number;
  expose: ExposeMode;
  serviceType?: ServiceType;
  nodePort?: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  ingress?: IngressSettings;
  cron?: CronSettings;
  /** Cron settings came from kompose labels, which only apply to one-shot services (Kompose semantics). */
  cronFromLabels?: boolean;
  job: JobSettings;
  nodeSelector: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  podLabels: Record<string, string>;
  podAnnotations: Record<string, string>;
  serviceAccountName?: string;
  imagePullSecrets: string[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  resources: { limits: Record<string, string>; requests: Record<string, string> };
  probes: { readiness?: ProbeSetting; liveness?: ProbeSetting; startup?: ProbeSetting };
  storageClass?: string;
  volumeSize: string;
  accessModes?: string[];
  volumeType?: 'persistentVolumeClaim' | 'emptyDir' | 'hostPath' | 'configMap';
  volumeSubpath?: string;
  autoscale?: { min?: number; max?: number; cpu?: MetricTarget; memory?: MetricTarget };
  securityContext: PodSecurityContext;
  containerSecurityContext: SecurityContext;
  /** Pod Security Standards level the service must meet (pod-security.ts). */
  podSecurity: PodSecurityLevel;
  /** kompose.controller.port.expose: publish container ports as hostPorts. */
  hostPortExpose?: boolean;
  /** kompose.service.group: services with one value share a pod (groups.ts). */
  serviceGroup?: string;
  /** kompose.init.containers.*: one extra init container. */
  initContainer?: { name: string; image: string; command?: string[] };
  patches: PatchSpec[];
  /** For each field, the Compose path (or `option:<name>`/`default`) it was taken from. */
  origin: Partial<Record<keyof ServiceSettings, string>>;
}

export interface ProjectSettings {
  namespace?: string;
  patches: PatchSpec[];
}

export interface VolumeSettings {
  size?: string;
  storageClass?: string;
  accessModes?: string[];
  existingClaim?: string;
  /** kompose.volume.selector: PVC selector `matchLabels`. */
  selector?: Record<string, string>;
  origin: Partial<Record<keyof VolumeSettings, string>>;
}
