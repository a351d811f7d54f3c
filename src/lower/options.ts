// Options of the lowering stage (Compose model -> Kubernetes objects). The CLI maps its flags onto these;
// per-service `x-kubernetes` fields and `kompose.*` labels override them (see settings.ts).
import type { BuiltImages } from './built-images.js';

export type ExposeMode = 'none' | 'nodeport' | 'loadbalancer' | 'ingress';
/**
 * How services are grouped into one pod (Kompose's `--service-group-mode`): `label` by equal
 * `kompose.service.group` values (the default: the label is explicit intent), `volume` by shared volumes,
 * `none` never.
 */
export type ServiceGroupMode = 'label' | 'volume' | 'none';
/** A Pod Security Standards level (pod-security.ts); `none` changes nothing (the standard's "privileged"). */
export type PodSecurityLevel = 'none' | 'baseline' | 'restricted';
/**
 * What a contradiction of the level is: an error (`enforce`), a warning (`warn`), or only an entry of the
 * pod security summary (`report`, for `compose2k8s check`).
 */
export type PodSecurityMode = 'enforce' | 'warn' | 'report';
/** Controllers a user may request for long-running services; one-shot services stay Jobs (B10). */
export type ControllerOption = 'deployment' | 'statefulset' | 'daemonset';

/** What `FilePort.stat` reports; symlinks are followed. */
export interface FileInfo {
  type: 'file' | 'directory' | 'other';
  size: number;
  /** Identity of the file behind any symlinks (e.g. `dev:ino`), so directory walks can detect loops. */
  id?: string;
}

/** Read access to files the Compose model points at (env_file, bind mounts, config/secret files). */
export interface FilePort {
  /** Throws when the file cannot be read. */
  read(path: string): Buffer;
  /** undefined when the path does not exist. Optional: without it bind mounts cannot become ConfigMaps. */
  stat?(path: string): FileInfo | undefined;
  /** Entry names of a directory (any order). Optional: without it bind-mounted directories cannot become ConfigMaps. */
  list?(path: string): string[];
}


export interface LowerOptions {
  /** Sets metadata.namespace on every namespaced object and emits the Namespace first. */
  namespace?: string;
  controller?: ControllerOption;
  expose: ExposeMode;
  volumeSize: string;
  storageClass?: string;
  networkPolicies: boolean;
  /** Give colliding names distinct hash-suffixed names instead of failing. */
  renameCollisions: boolean;
  /** Image of the helper init containers (waiting for dependencies). */
  helperImage: string;
  /** Image with `kubectl` for the waits on `service_completed_successfully` Jobs (no shell needed). */
  kubectlImage: string;
  /** Also wait (by DNS) for `depends_on: service_started` dependencies. */
  waitForStarted: boolean;
  allowHostPaths: boolean;
  serviceGroupMode: ServiceGroupMode;
  /** With `serviceGroupMode: volume`: the workload name of the (single) group, instead of its members' names joined. */
  serviceGroupName?: string;
  secrets: 'inline' | 'reference';
  /** Default Pod Security Standards level of every service (x-kubernetes.podSecurity wins). */
  podSecurity: PodSecurityLevel;
  podSecurityMode: PodSecurityMode;
  /** Validate every object with kubernetes-models (see validate.ts; heavy, loaded on demand). */
  validate: boolean;
  /** Turn every `ignored` report entry, and images no cluster can pull, into errors. */
  strict: boolean;
  /** What this run's build stage does with the images of services with `build:` (see built-images.ts). */
  builtImages: BuiltImages;
  /** The project is deployed by `compose2k8s watch`, which carries out `develop.watch` (not ignored, then). */
  watch: boolean;
  /** Kubernetes cluster DNS domain, used by DNS waits. */
  clusterDomain: string;
  files: FilePort;
  /** The project environment (the loader's interpolation environment), for `environment:` configs and secrets. */
  lookupEnv?: (name: string) => string | undefined;
}

export const DEFAULT_HELPER_IMAGE = 'busybox:1.36';
export const DEFAULT_KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.34.4';

const noFiles: FilePort = {
  read(path: string): Buffer {
    throw new Error(`no file access configured (reading ${path})`);
  },
};

export function resolveOptions(partial: Partial<LowerOptions> = {}): LowerOptions {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<LowerOptions>;
  return {
    expose: 'none',
    volumeSize: '1Gi',
    networkPolicies: false,
    renameCollisions: false,
    helperImage: DEFAULT_HELPER_IMAGE,
    kubectlImage: DEFAULT_KUBECTL_IMAGE,
    waitForStarted: false,
    allowHostPaths: false,
    serviceGroupMode: 'label',
    secrets: 'reference',
    podSecurity: 'none',
    podSecurityMode: 'enforce',
    validate: false,
    strict: false,
    builtImages: 'none',
    watch: false,
    clusterDomain: 'cluster.local',
    files: noFiles,
    ...defined,
  };
}
