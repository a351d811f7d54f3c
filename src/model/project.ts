// The normalized Compose model: the canonical long forms that the front end produces and every later
// stage consumes. Field names and shapes follow `docker compose config --format json` (compose-go's JSON
// tags), so `compose2k8s config --format json` can be diffed against the reference implementation.
// Optional fields are absent rather than null unless Compose itself keeps a null (environment values).

export type Extensions = { [key: `x-${string}`]: unknown };

export interface Project extends Extensions {
  name: string;
  services: Record<string, Service>;
  networks?: Record<string, Network>;
  volumes?: Record<string, Volume>;
  secrets?: Record<string, Secret>;
  configs?: Record<string, Config>;
  models?: Record<string, Model>;
}

/** Where the project came from; not part of the Compose model, used for diagnostics and relative paths. */
export interface ProjectSource {
  workingDir: string;
  composeFiles: string[];
  /** The interpolation environment (OS env over .env files), with COMPOSE_PROJECT_NAME set. */
  environment: Record<string, string>;
  /** Services removed because none of their profiles is active (name -> profiles). */
  disabledServices: Record<string, string[]>;
}

export interface Service extends Extensions {
  annotations?: Record<string, string>;
  attach?: boolean;
  blkio_config?: BlkioConfig;
  build?: BuildConfig;
  cap_add?: string[];
  cap_drop?: string[];
  cgroup?: string;
  cgroup_parent?: string;
  command?: string[] | null;
  configs?: FileReference[];
  container_name?: string;
  cpu_count?: number;
  cpu_percent?: number;
  cpu_period?: number;
  cpu_quota?: number;
  cpu_rt_period?: number;
  cpu_rt_runtime?: number;
  cpu_shares?: number;
  cpus?: number;
  cpuset?: string;
  credential_spec?: Record<string, unknown>;
  depends_on?: Record<string, DependsOn>;
  deploy?: Deploy;
  develop?: Develop;
  device_cgroup_rules?: string[];
  devices?: Device[];
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  domainname?: string;
  entrypoint?: string[] | null;
  env_file?: EnvFile[];
  environment?: Record<string, string | null>;
  expose?: string[];
  extends?: { service: string; file?: string };
  external_links?: string[];
  extra_hosts?: Record<string, string[]>;
  gpus?: DeviceRequest[];
  group_add?: string[];
  healthcheck?: Healthcheck;
  hostname?: string;
  image?: string;
  init?: boolean;
  ipc?: string;
  isolation?: string;
  label_file?: string[];
  labels?: Record<string, string>;
  links?: string[];
  logging?: { driver?: string; options?: Record<string, string | null> };
  mac_address?: string;
  mem_limit?: number;
  mem_reservation?: number;
  mem_swappiness?: number;
  memswap_limit?: number;
  models?: Record<string, { endpoint_var?: string; model_var?: string } | null>;
  network_mode?: string;
  networks?: Record<string, ServiceNetwork | null>;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pid?: string | null;
  pids_limit?: number;
  platform?: string;
  ports?: Port[];
  post_start?: ServiceHook[];
  pre_stop?: ServiceHook[];
  pre_start?: ServiceHook[];
  privileged?: boolean;
  profiles?: string[];
  provider?: { type: string; options?: Record<string, unknown> };
  pull_policy?: string;
  pull_refresh_after?: string;
  read_only?: boolean;
  restart?: string;
  runtime?: string;
  scale?: number;
  secrets?: FileReference[];
  security_opt?: string[];
  shm_size?: number;
  stdin_open?: boolean;
  stop_grace_period?: string;
  stop_signal?: string;
  storage_opt?: Record<string, string>;
  sysctls?: Record<string, string>;
  tmpfs?: string[];
  tty?: boolean;
  ulimits?: Record<string, Ulimit>;
  use_api_socket?: boolean;
  user?: string;
  userns_mode?: string;
  uts?: string;
  volumes?: ServiceVolume[];
  volumes_from?: string[];
  working_dir?: string;
}

export interface BuildConfig extends Extensions {
  context: string;
  dockerfile?: string;
  dockerfile_inline?: string;
  entitlements?: string[];
  args?: Record<string, string | null>;
  ssh?: Record<string, string | null>;
  labels?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  no_cache?: boolean;
  no_cache_filter?: string[];
  additional_contexts?: Record<string, string>;
  network?: string;
  provenance?: string;
  sbom?: string;
  pull?: boolean;
  target?: string;
  shm_size?: number;
  extra_hosts?: Record<string, string[]>;
  isolation?: string;
  privileged?: boolean;
  secrets?: FileReference[];
  tags?: string[];
  ulimits?: Record<string, Ulimit>;
  platforms?: string[];
}

export interface BlkioConfig {
  weight?: number;
  weight_device?: { path: string; weight: number }[];
  device_read_bps?: { path: string; rate: number }[];
  device_read_iops?: { path: string; rate: number }[];
  device_write_bps?: { path: string; rate: number }[];
  device_write_iops?: { path: string; rate: number }[];
}

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface DependsOn {
  condition: DependsOnCondition;
  required: boolean;
  restart?: boolean;
}

export interface Deploy extends Extensions {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  resources?: { limits?: Resource; reservations?: Resource };
  restart_policy?: { condition?: string; delay?: string; max_attempts?: number; window?: string };
  placement?: {
    constraints?: string[];
    preferences?: { spread: string }[];
    max_replicas_per_node?: number;
  };
  endpoint_mode?: string;
}

export interface UpdateConfig {
  parallelism?: number;
  delay?: string;
  failure_action?: string;
  monitor?: string;
  max_failure_ratio?: number;
  order?: string;
}

export interface Resource {
  cpus?: number;
  memory?: number;
  pids?: number;
  devices?: DeviceRequest[];
  generic_resources?: { discrete_resource_spec?: { kind?: string; value?: number } }[];
}

export interface DeviceRequest {
  capabilities?: string[];
  driver?: string;
  /** A number, or -1 for `all` (compose-go encodes `all` as -1). */
  count?: number;
  device_ids?: string[];
  options?: Record<string, string>;
}

export interface Device {
  source: string;
  /** Always set by the short syntax; the long syntax may leave it out (compose-go keeps it empty). */
  target?: string;
  permissions?: string;
}

export interface EnvFile {
  path: string;
  required: boolean;
  format?: string;
  /**
   * Set by the loader: the file's variables as compose resolves them (each `${...}` sees the project
   * environment, the service's earlier env files and its `environment`). Absent for a missing optional file.
   */
  values?: Record<string, string>;
}

export interface FileReference extends Extensions {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  start_interval?: string;
  disable?: boolean;
}

export interface Port extends Extensions {
  name?: string;
  mode: string;
  host_ip?: string;
  target: number;
  published?: string;
  protocol: string;
  app_protocol?: string;
}

export interface ServiceNetwork extends Extensions {
  aliases?: string[];
  interface_name?: string;
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
}

/** `develop`: what `watch` does when files change (compose-go types/develop.go). */
export interface Develop extends Extensions {
  watch?: WatchRule[];
}

export type WatchAction = 'rebuild' | 'sync' | 'restart' | 'sync+restart' | 'sync+exec';

export interface WatchRule extends Extensions {
  /** Absolute after loading (symbolic links followed). */
  path: string;
  action: WatchAction;
  /** Where `path` goes in the container; required unless `rebuild` (a consistency error otherwise). */
  target?: string;
  ignore?: string[];
  include?: string[];
  exec?: ServiceHook;
  initial_sync?: boolean;
}

export interface ServiceHook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
  image?: string;
  per_replica?: boolean;
}

export interface Ulimit {
  single?: number;
  soft?: number;
  hard?: number;
}

export type VolumeType = 'bind' | 'volume' | 'tmpfs' | 'cluster' | 'npipe' | 'image';

export interface ServiceVolume extends Extensions {
  type: VolumeType;
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; recursive?: string; selinux?: string };
  volume?: { labels?: Record<string, string>; nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export interface Network extends Extensions {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: {
    driver?: string;
    config?: { subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }[];
    options?: Record<string, string>;
  };
  external?: boolean;
  internal?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
}

export interface Volume extends Extensions {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

export interface Secret extends Extensions {
  name?: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
}

/** Configs have the same shape as secrets, with `content` allowed. */
export type Config = Secret;

export interface Model extends Extensions {
  model: string;
  name?: string;
  context_size?: number;
  runtime_flags?: string[];
}

/** A loaded project: the model plus where it came from and the YAML source positions of its paths. */
export interface LoadedProject {
  project: Project;
  source: ProjectSource;
  /** Compose path (e.g. `services.web.ports[0]`) -> where it was written. Used by later stages for diagnostics. */
  locations: SourceMap;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface SourceMap {
  get(path: string): SourceLocation | undefined;
}
