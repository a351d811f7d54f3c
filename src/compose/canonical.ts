// Short syntax -> canonical long form (compose-go transform/* and transform/defaults.go, plus the value
// decoding its typed model does: durations re-printed Go-style, byte sizes as numbers, YAML 1.1
// booleans, octal modes), applied to the merged plain-JS model. Then relative paths are resolved against
// the working directory by the table of resolve-paths.ts, and the bare keys of `environment` and
// `build.args` against the project environment.
//
// This file is the dispatch: which transform each attribute gets. The transforms live in transform/, one
// file per attribute family (ports, volumes, build, ...), on the casts and decoders of transform/casts.ts.
//
// The loader calls this after every document it merges, so each step must be idempotent: feeding the
// canonical form back in returns it unchanged. Keys this file does not know (x-* extensions included)
// are kept verbatim.

import { homedir } from 'node:os';
import type { Project } from '../model/project.js';
import { parseExtraHosts } from './syntax/hosts.js';
import { resolveRelativePaths } from './resolve-paths.js';
import { canonicalBuild } from './transform/build.js';
import { fail, goType, guard, isDict, mapEntries, mapping, options, stringList, withCasts, type CanonicalContext, type Cast, type Dict, type RunContext } from './transform/casts.js';
import { canonicalDevelop, hooks, shellCommand } from './transform/commands.js';
import { canonicalDeploy } from './transform/deploy.js';
import { canonicalDevices, canonicalGpus } from './transform/devices.js';
import { canonicalEnvFiles, canonicalEnvironment } from './transform/environment.js';
import { canonicalHealthcheck } from './transform/healthcheck.js';
import { canonicalBlkio, canonicalUlimits } from './transform/limits.js';
import { canonicalPorts } from './transform/ports.js';
import { canonicalDependsOn, canonicalExtends, canonicalNamedRefs, canonicalServiceNetworks } from './transform/references.js';
import { canonicalResource } from './transform/resources.js';
import { fileReferences } from './transform/secrets-configs.js';
import { canonicalMounts } from './transform/volumes.js';

export type { CanonicalContext };

export function toCanonicalForm(project: Record<string, unknown>, context: CanonicalContext): Project {
  const ctx: RunContext = {
    workingDir: context.workingDir,
    lookupEnv: context.lookupEnv,
    warn: context.warn,
    durations: new Map(),
    sizes: new Map(),
    absPaths: new Map(),
  };
  const out: Dict = { ...project };
  if (isDict(project.services)) {
    out.services = mapEntries(project.services, (svc, name) => canonicalService(svc, `services.${name}`, ctx));
  }
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    const resources = project[kind];
    if (isDict(resources)) out[kind] = mapEntries(resources, (r, key) => canonicalResource(kind, r, `${kind}.${key}`, ctx));
  }
  if (isDict(project.models)) {
    out.models = mapEntries(project.models, (m, key) =>
      isDict(m) ? withCasts(m, `models.${key}`, ctx, { context_size: 'int' }) : m,
    );
  }
  const home = context.lookupEnv('HOME') ?? homedir();
  return resolveRelativePaths(out, { workingDir: context.workingDir, home, memo: ctx.absPaths }) as unknown as Project;
}

// ---------------------------------------------------------------------------------------------------
// Services

type Transform = (value: unknown, path: string, ctx: RunContext) => unknown;

const SIMPLE_CASTS: Record<string, Cast> = {
  attach: 'bool',
  init: 'bool',
  oom_kill_disable: 'bool',
  privileged: 'bool',
  read_only: 'bool',
  stdin_open: 'bool',
  tty: 'bool',
  use_api_socket: 'bool',
  cpu_count: 'int',
  cpu_period: 'int',
  cpu_quota: 'int',
  cpu_rt_period: 'int',
  cpu_rt_runtime: 'int',
  cpu_shares: 'int',
  oom_score_adj: 'int',
  pids_limit: 'int',
  scale: 'int',
  cpu_percent: 'float',
  cpus: 'float',
  mem_limit: 'bytes',
  mem_reservation: 'bytes',
  memswap_limit: 'bytes',
  mem_swappiness: 'bytes',
  shm_size: 'bytes',
  stop_grace_period: 'duration',
};

/** Attributes whose null means something (an explicit "use the image default"). */
const KEEPS_NULL = new Set(['command', 'entrypoint']);

const SERVICE_TRANSFORMS: Record<string, Transform> = {
  annotations: (v, p) => mapping(v, p),
  blkio_config: (v, p, ctx) => canonicalBlkio(v as Dict, p, ctx),
  build: (v, p, ctx) => canonicalBuild(v, p, ctx),
  command: (v, p) => shellCommand(v, p),
  configs: (v, p) => fileReferences(v, p, false),
  depends_on: (v, p, ctx) => canonicalDependsOn(v, p, ctx),
  deploy: (v, p, ctx) => canonicalDeploy(v as Dict, p, ctx),
  develop: (v, p, ctx) => canonicalDevelop(v as Dict, p, ctx),
  devices: (v, p) => canonicalDevices(v, p),
  dns: (v) => {
    // loader/omitEmpty.go: empty DNS entries are dropped, and an empty list with them.
    const list = stringList(v).filter((x) => x !== '');
    return list.length > 0 ? list : undefined;
  },
  dns_search: (v) => stringList(v),
  entrypoint: (v, p) => shellCommand(v, p),
  env_file: (v, p, ctx) => canonicalEnvFiles(v, p, ctx),
  environment: (v, p, ctx) => canonicalEnvironment(v, p, ctx),
  expose: (v) => stringList(v),
  extends: (v, p) => canonicalExtends(v, p),
  extra_hosts: (v, p) => guard('canonical.extra-hosts', p, () => parseExtraHosts(v as unknown[] | Dict)),
  gpus: (v, p) => canonicalGpus(v, p),
  group_add: (v) => stringList(v),
  healthcheck: (v, p, ctx) => canonicalHealthcheck(v as Dict, p, ctx),
  label_file: (v) => stringList(v),
  labels: (v, p) => mapping(v, p),
  logging: (v, p) => (isDict(v) && v.options != null ? { ...v, options: options(v.options, `${p}.options`) } : v),
  models: (v, p) => canonicalNamedRefs(v, p),
  networks: (v, p, ctx) => canonicalServiceNetworks(v, p, ctx),
  ports: (v, p) => canonicalPorts(v, p),
  post_start: (v, p, ctx) => hooks(v, p, ctx),
  pre_start: (v, p, ctx) => hooks(v, p, ctx),
  pre_stop: (v, p, ctx) => hooks(v, p, ctx),
  pull_policy: (v) => (v === 'if_not_present' ? 'missing' : v),
  secrets: (v, p) => fileReferences(v, p, true),
  storage_opt: (v, p) => options(v, p),
  sysctls: (v, p) => mapping(v, p),
  tmpfs: (v) => stringList(v),
  ulimits: (v, p) => canonicalUlimits(v, p),
  volumes: (v, p, ctx) => canonicalMounts(v, p, ctx),
};

function canonicalService(value: unknown, path: string, ctx: RunContext): Dict {
  if (value === null || value === undefined) return {};
  if (!isDict(value)) fail('canonical.type', `${path}: invalid type ${goType(value)} for service`, path);
  const out = withCasts(value, path, ctx, SIMPLE_CASTS);
  for (const key of Object.keys(out)) {
    if (key.startsWith('x-')) continue;
    const v = out[key];
    if (v === null) {
      if (!KEEPS_NULL.has(key)) delete out[key];
      continue;
    }
    const transform = SERVICE_TRANSFORMS[key];
    if (!transform) continue;
    const t = transform(v, `${path}.${key}`, ctx);
    if (t === undefined) delete out[key];
    else out[key] = t;
  }
  return out;
}
