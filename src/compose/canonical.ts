// Short syntax -> canonical long form (compose-go transform/* and transform/defaults.go, plus the value
// decoding its typed model does: durations re-printed Go-style, byte sizes as numbers, YAML 1.1
// booleans, octal modes), applied to the merged plain-JS model. Then relative paths are resolved against
// the working directory by the table of resolve-paths.ts, and the bare keys of `environment` and
// `build.args` against the project environment.
//
// The loader calls this after every document it merges, so each step must be idempotent: feeding the
// canonical form back in returns it unchanged. Keys this file does not know (x-* extensions included)
// are kept verbatim.

import { homedir } from 'node:os';
import { DiagnosticError, error } from '../model/diagnostics.js';
import type { Port, Project } from '../model/project.js';
import { parseDeviceSpec } from './syntax/devices.js';
import { parseExtraHosts } from './syntax/hosts.js';
import { parsePortSpec, portDefaults } from './syntax/ports.js';
import { splitShellWords } from './syntax/shellwords.js';
import {
  goSprint,
  normalizeDuration,
  parseBool,
  parseBytes,
  parseFloatStrict,
  parseInteger,
  parseOctalMode,
} from './syntax/units.js';
import { cleanPath, parseVolumeSpec } from './syntax/volumes.js';
import { resolveRelativePaths } from './resolve-paths.js';

export interface CanonicalContext {
  /** The project directory; relative paths resolve against it. */
  workingDir: string;
  /** The project environment (OS environment over .env files). */
  lookupEnv: (name: string) => string | undefined;
  warn: (code: string, message: string, path: string) => void;
}

/**
 * One run's context: the caller's, plus parse results by input text, because services repeat the same
 * durations, sizes and paths. Only immutable results (strings, numbers) are kept.
 */
interface RunContext extends CanonicalContext {
  durations: Map<string, string>;
  sizes: Map<string, number>;
  absPaths: Map<string, string>;
}

type Dict = Record<string, unknown>;

const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);

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
// Errors and scalar casts

function fail(code: string, message: string, path: string): never {
  throw error(code, message, { path });
}

/** Runs a syntax parser, turning its plain Error into a diagnostic at `path`. */
function guard<T>(code: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    throw error(code, (e as Error).message, { path });
  }
}

/** Go's %T for the values a YAML decoder produces, for messages copied from compose-go. */
function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

const asScalar = (v: unknown): string | number => (typeof v === 'number' ? v : String(v));

function toBool(v: unknown, path: string, ctx: RunContext): boolean {
  if (typeof v === 'boolean') return v;
  const { value, legacy } = guard('canonical.bool', path, () => parseBool(String(v)));
  if (legacy) {
    ctx.warn('canonical.legacy-bool', `${JSON.stringify(String(v))} for boolean is not supported by YAML 1.2, please use \`${value}\``, path);
  }
  return value;
}

const toInt = (v: unknown, path: string): number => guard('canonical.int', path, () => parseInteger(asScalar(v)));
const toFloat = (v: unknown, path: string): number => guard('canonical.float', path, () => parseFloatStrict(asScalar(v)));
const toBytes = (v: unknown, path: string, ctx: RunContext): number =>
  typeof v === 'string' ? memo(ctx.sizes, v, () => parseBytesAt(v, path)) : parseBytesAt(asScalar(v), path);
const parseBytesAt = (v: string | number, path: string): number => guard('canonical.bytes', path, () => parseBytes(v));
const toDuration = (v: unknown, path: string, ctx: RunContext): string =>
  typeof v === 'string' ? memo(ctx.durations, v, () => normalizeDurationAt(v, path)) : normalizeDurationAt(asScalar(v), path);
const normalizeDurationAt = (v: string | number, path: string): string => guard('canonical.duration', path, () => normalizeDuration(v));
const toMode = (v: unknown, path: string): number => guard('canonical.mode', path, () => parseOctalMode(asScalar(v)));

/** The value cached for `key`, computed on first use; a computation that throws caches nothing. */
function memo<V>(cache: Map<string, V>, key: string, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute();
    cache.set(key, value);
  }
  return value;
}

const toText = (v: unknown): string => (typeof v === 'string' ? v : goSprint(v as number | boolean));

/** The typed decoding compose-go applies to a field, by the Go type of the field. */
const CASTS = {
  bool: toBool,
  int: toInt,
  float: toFloat,
  bytes: toBytes,
  duration: toDuration,
  string: toText,
} satisfies Record<string, (v: unknown, path: string, ctx: RunContext) => unknown>;

type Cast = keyof typeof CASTS;

/** Casts the listed keys of `obj` that are present; other keys are kept as they are. */
function withCasts(obj: Dict, path: string, ctx: RunContext, casts: Record<string, Cast>): Dict {
  const out: Dict = { ...obj };
  for (const key in casts) {
    const cast = casts[key]!;
    const v = out[key];
    if (v !== undefined && v !== null) out[key] = CASTS[cast](v, `${path}.${key}`, ctx);
    // compose-go's UnitBytes fields are omitempty (all but blkio's `rate`): a size of 0 is no size at all.
    if (cast === 'bytes' && out[key] === 0 && key !== 'rate') delete out[key];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Collections

function mapEntries<T>(obj: Dict, fn: (value: unknown, key: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj)) out[k] = fn(obj[k], k);
  return out;
}

/** `string_or_list`: a single string becomes a one-element list. */
function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => scalarText(x));
  return [scalarText(v)];
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return goSprint(v);
  return String(v);
}

function checkScalar(v: unknown, path: string): void {
  if (v !== null && typeof v === 'object') fail('canonical.mapping', `${path} must be a boolean, null, number or string`, path);
}

/**
 * `list_or_dict` as compose-go's Mapping/Labels decode it: `["k=v", "k"]` or `{k: v}`; a bare key or a
 * null value becomes "", other scalars are printed like Go's fmt.Sprint.
 */
function mapping(v: unknown, path: string): Record<string, string> {
  return mapEntries(listOrDict(v, path, false), (value) => (value as string | null) ?? '');
}

/**
 * `list_or_dict` as MappingWithEquals decodes it (environment, build.args, hook environment): a bare key
 * (or null value) stays null. In the list form a key ending in white space (`DEBUG = true`) is an error.
 */
function mappingWithEquals(v: unknown, path: string): Record<string, string | null> {
  return listOrDict(v, path, true);
}

function listOrDict(v: unknown, path: string, rejectTrailingSpace: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const text = scalarText(item);
      const at = text.indexOf('=');
      const key = at < 0 ? text : text.slice(0, at);
      if (rejectTrailingSpace && endsWithGoSpace(key)) {
        fail('canonical.environment', `'${goFieldPath(path)}' environment variable ${key} is declared with a trailing space`, path);
      }
      out[key] = at < 0 ? null : text.slice(at + 1);
    }
    return out;
  }
  if (!isDict(v)) fail('canonical.mapping', `${path} must be a mapping`, path);
  for (const [k, value] of Object.entries(v)) {
    checkScalar(value, `${path}.${k}`);
    out[k] = value === null || value === undefined ? null : scalarText(value);
  }
  return out;
}

/** Go's unicode.IsSpace(rune(k[len(k)-1])): the test looks at the last byte of the UTF-8 encoding. */
function endsWithGoSpace(key: string): boolean {
  const bytes = Buffer.from(key, 'utf8');
  const last = bytes[bytes.length - 1];
  return last !== undefined && [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0].includes(last);
}

/** The field path mapstructure prints: `services.foo.environment` is `services[foo].environment`. */
function goFieldPath(path: string): string {
  return path.replace(/^(services|networks|volumes|secrets|configs|models)\.([^.[]+)/, '$1[$2]');
}

/** Options maps (`driver_opts`, `storage_opt`, logging options): values printed as strings, null as "". */
function options(v: unknown, path: string): Record<string, string> {
  if (!isDict(v)) fail('canonical.mapping', `${path} must be a mapping`, path);
  return mapEntries(v, (value) => (value === null || value === undefined ? '' : scalarText(value)));
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

/** A string command is split like a shell would (no variable expansion); a list is kept. */
function shellCommand(v: unknown, path: string): string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') return guard('canonical.command', path, () => splitShellWords(v));
  if (Array.isArray(v)) return v.map((x) => scalarText(x));
  fail('canonical.command', `${path}: invalid type ${goType(v)} for command`, path);
}

function canonicalEnvironment(v: unknown, path: string, ctx: RunContext): Record<string, string | null> {
  if (!Array.isArray(v) && !isDict(v)) fail('canonical.environment', `${path} must be a mapping`, path);
  const env = mappingWithEquals(v, path);
  // Bare keys take their value from the project environment; unset ones stay null (left out later).
  for (const [key, value] of Object.entries(env)) {
    if (value === null) env[key] = ctx.lookupEnv(key) ?? null;
  }
  return env;
}

function canonicalEnvFiles(v: unknown, path: string, ctx: RunContext): Dict[] {
  if (typeof v !== 'string' && !Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for env_file`, path);
  const entries: unknown[] = typeof v === 'string' ? [v] : v;
  return entries.map((e, i) => {
    const at = `${path}[${i}]`;
    let entry: Dict;
    if (typeof e === 'string') entry = { path: e };
    else if (isDict(e)) entry = { ...e };
    else fail('canonical.type', `${at}: invalid type ${goType(e)} for env_file`, at);
    entry.path = String(entry.path ?? '');
    entry.required = entry.required === undefined || entry.required === null ? true : toBool(entry.required, `${at}.required`, ctx);
    return entry;
  });
}

function canonicalExtends(v: unknown, path: string): Dict {
  if (typeof v === 'string') return { service: v };
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for extends`, path);
  return { ...v };
}

function canonicalDependsOn(v: unknown, path: string, ctx: RunContext): Record<string, Dict> {
  if (Array.isArray(v)) {
    return Object.fromEntries(v.map((s) => [String(s), { condition: 'service_started', required: true }]));
  }
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for depend_on`, path);
  return mapEntries(v, (dep, service) => {
    const at = `${path}.${service}`;
    if (!isDict(dep)) fail('canonical.type', `${at}: unsupported value ${JSON.stringify(dep)}`, at);
    const out = withCasts(dep, at, ctx, { required: 'bool', restart: 'bool' });
    if (out.condition === undefined) out.condition = 'service_started';
    if (out.required === undefined) out.required = true;
    return out;
  });
}

/** `networks` and `models` of a service: a list of names becomes a map with null values. */
function canonicalNamedRefs(v: unknown, path: string): Record<string, unknown> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)}`, path);
  return { ...v };
}

function canonicalServiceNetworks(v: unknown, path: string, ctx: RunContext): Record<string, unknown> {
  return mapEntries(canonicalNamedRefs(v, path), (net, key) => {
    if (!isDict(net)) return net ?? null;
    const at = `${path}.${key}`;
    const out = withCasts(net, at, ctx, { priority: 'int', gw_priority: 'int' });
    if (net.driver_opts != null) out.driver_opts = options(net.driver_opts, `${at}.driver_opts`);
    return out;
  });
}

function canonicalPorts(v: unknown, path: string): Port[] {
  if (!Array.isArray(v)) fail('canonical.ports', `${path}: invalid type ${goType(v)} for port`, path);
  return v.flatMap((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string' || (typeof entry === 'number' && Number.isInteger(entry))) {
      return guard('canonical.ports', at, () => parsePortSpec(entry));
    }
    if (isDict(entry)) {
      const port = portDefaults(entry);
      if (port.target !== undefined) port.target = toInt(port.target, `${at}.target`);
      return [port];
    }
    fail('canonical.ports', `${at}: invalid type ${goType(entry)} for port`, at);
  });
}

function canonicalMounts(v: unknown, path: string, ctx: RunContext): Dict[] {
  if (!Array.isArray(v)) fail('canonical.volumes', `${path}: invalid type ${goType(v)} for service volumes`, path);
  return v.map((entry, i) => canonicalMount(entry, `${path}[${i}]`, ctx));
}

function canonicalMount(v: unknown, path: string, ctx: RunContext): Dict {
  let mount: Dict;
  if (typeof v === 'string') mount = guard('canonical.volumes', path, () => parseVolumeSpec(v)) as unknown as Dict;
  else if (isDict(v)) mount = withCasts(v, path, ctx, { read_only: 'bool' });
  else fail('canonical.volumes', `${path}: invalid type ${goType(v)} for service volume mount`, path);

  if (isDict(mount.bind)) {
    // transform/defaults.go defaultVolumeBind: only applies when a `bind` block is present.
    const bind = withCasts(mount.bind, `${path}.bind`, ctx, { create_host_path: 'bool' });
    if (bind.create_host_path === undefined) bind.create_host_path = true;
    mount.bind = bind;
  }
  if (isDict(mount.volume)) {
    const volume = withCasts(mount.volume, `${path}.volume`, ctx, { nocopy: 'bool' });
    if (volume.labels != null) volume.labels = mapping(volume.labels, `${path}.volume.labels`);
    mount.volume = volume;
  }
  if (isDict(mount.tmpfs)) {
    const tmpfs = withCasts(mount.tmpfs, `${path}.tmpfs`, ctx, { size: 'bytes' });
    // Mode is a uint32 in compose-go, which does not convert strings (unlike secret and config modes).
    if (typeof tmpfs.mode === 'string') {
      fail('canonical.mode', "expected type 'uint32', got unconvertible type 'string'", `${path}.tmpfs.mode`);
    }
    mount.tmpfs = tmpfs;
  }
  if (typeof mount.target === 'string') mount.target = cleanPath(mount.target);
  if (mount.type === 'bind') {
    if (mount.source === undefined || mount.source === null) {
      fail('canonical.volumes', 'invalid mount config for type "bind": field Source must not be empty', path);
    }
    mount.source = String(mount.source);
  }
  return mount;
}

/** `secrets` and `configs` of a service (or of a build): a name becomes `{source}`. */
function fileReferences(v: unknown, path: string, secretTarget: boolean): Dict[] {
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)}`, path);
  return v.map((entry, i) => {
    const at = `${path}[${i}]`;
    let ref: Dict;
    if (typeof entry === 'string') ref = { source: entry };
    else if (isDict(entry)) ref = { ...entry };
    else fail('canonical.type', `${at}: unsupported type ${goType(entry)}`, at);
    if (ref.mode !== undefined && ref.mode !== null) ref.mode = toMode(ref.mode, `${at}.mode`);
    for (const id of ['uid', 'gid']) if (typeof ref[id] === 'number') ref[id] = String(ref[id]);
    // transform/defaults.go sets a default target for service secrets only, not for configs.
    if (secretTarget && ref.target === undefined) ref.target = `/run/secrets/${String(ref.source)}`;
    return ref;
  });
}

function canonicalDevices(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail('canonical.devices', `${path}: invalid type ${goType(v)} for devices`, path);
  return v.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') return guard('canonical.devices', at, () => parseDeviceSpec(entry));
    if (isDict(entry)) return { ...entry };
    fail('canonical.devices', `${at}: invalid type ${goType(entry)} for service volume mount`, at);
  });
}

function canonicalGpus(v: unknown, path: string): Dict[] {
  if (typeof v === 'string') return [{ count: -1 }]; // `gpus: all`
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for gpus`, path);
  return v.map((d, i) => deviceRequest(d, `${path}[${i}]`));
}

/** A device request: `count: all` is -1, and so is a request naming neither count nor device_ids. */
function deviceRequest(v: unknown, path: string): Dict {
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for device request`, path);
  const out: Dict = { ...v };
  if (out.count === undefined && out.device_ids === undefined) out.count = -1;
  else if (out.count !== undefined) out.count = deviceCount(out.count, `${path}.count`);
  if (out.options != null) out.options = mapping(out.options, `${path}.options`);
  for (const key of ['capabilities', 'device_ids']) if (out[key] != null) out[key] = stringList(out[key]);
  return out;
}

function deviceCount(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  if (s.toLowerCase() === 'all') return -1;
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  fail('canonical.device-count', `invalid value ${JSON.stringify(s)}, the only value allowed is 'all' or a number`, path);
}

function canonicalUlimits(v: unknown, path: string): Record<string, Dict> {
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for ulimits`, path);
  return mapEntries(v, (limit, name) => {
    const at = `${path}.${name}`;
    if (isDict(limit)) {
      const out: Dict = { ...limit };
      for (const key of ['single', 'soft', 'hard']) if (out[key] != null) out[key] = toInt(out[key], `${at}.${key}`);
      return out;
    }
    if (typeof limit === 'number' || typeof limit === 'string') {
      // compose-go's UlimitsConfig: `single` is omitempty, so `nofile: 0` is soft 0 / hard 0, and config prints it so.
      const n = toInt(limit, at);
      return n === 0 ? { soft: 0, hard: 0 } : { single: n };
    }
    fail('canonical.type', `${at}: invalid type ${goType(limit)} for ulimits`, at);
  });
}

function canonicalHealthcheck(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, {
    interval: 'duration',
    timeout: 'duration',
    start_period: 'duration',
    start_interval: 'duration',
    retries: 'int',
    disable: 'bool',
  });
  if (typeof out.test === 'string') out.test = ['CMD-SHELL', out.test];
  else if (Array.isArray(out.test)) out.test = out.test.map((x) => scalarText(x));
  return out;
}

function canonicalDeploy(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { replicas: 'int' });
  if (out.labels != null) out.labels = mapping(out.labels, `${path}.labels`);
  for (const key of ['update_config', 'rollback_config']) {
    if (isDict(out[key])) {
      out[key] = withCasts(out[key], `${path}.${key}`, ctx, {
        parallelism: 'int',
        delay: 'duration',
        monitor: 'duration',
        max_failure_ratio: 'float',
      });
    }
  }
  if (isDict(out.restart_policy)) {
    out.restart_policy = withCasts(out.restart_policy, `${path}.restart_policy`, ctx, {
      delay: 'duration',
      window: 'duration',
      max_attempts: 'int',
    });
  }
  if (isDict(out.placement)) {
    out.placement = withCasts(out.placement, `${path}.placement`, ctx, { max_replicas_per_node: 'int' });
  }
  if (isDict(out.resources)) {
    const resources: Dict = { ...out.resources };
    for (const kind of ['limits', 'reservations']) {
      if (isDict(resources[kind])) resources[kind] = canonicalResourceLimits(resources[kind], `${path}.resources.${kind}`, ctx);
    }
    out.resources = resources;
  }
  return out;
}

function canonicalResourceLimits(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { cpus: 'float', memory: 'bytes', pids: 'int' });
  if (Array.isArray(out.devices)) out.devices = out.devices.map((d, i) => deviceRequest(d, `${path}.devices[${i}]`));
  if (Array.isArray(out.generic_resources)) {
    out.generic_resources = out.generic_resources.map((g, i) => {
      if (!isDict(g) || !isDict(g.discrete_resource_spec)) return g;
      const at = `${path}.generic_resources[${i}].discrete_resource_spec`;
      return { ...g, discrete_resource_spec: withCasts(g.discrete_resource_spec, at, ctx, { value: 'int' }) };
    });
  }
  return out;
}

function canonicalBlkio(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { weight: 'int' });
  if (Array.isArray(out.weight_device)) {
    out.weight_device = out.weight_device.map((d, i) => (isDict(d) ? withCasts(d, `${path}.weight_device[${i}]`, ctx, { weight: 'int' }) : d));
  }
  // ThrottleDevice.Rate is a byte size for all four lists, IOPS included.
  for (const key of ['device_read_bps', 'device_read_iops', 'device_write_bps', 'device_write_iops']) {
    if (Array.isArray(out[key])) {
      out[key] = (out[key] as unknown[]).map((d, i) => (isDict(d) ? withCasts(d, `${path}.${key}[${i}]`, ctx, { rate: 'bytes' }) : d));
    }
  }
  return out;
}

function canonicalDevelop(v: Dict, path: string, ctx: RunContext): Dict {
  const out: Dict = { ...v };
  if (Array.isArray(out.watch)) {
    out.watch = out.watch.map((w, i) => {
      if (!isDict(w)) return w;
      const at = `${path}.watch[${i}]`;
      const rule = withCasts(w, at, ctx, { initial_sync: 'bool' });
      for (const key of ['ignore', 'include']) if (rule[key] != null) rule[key] = stringList(rule[key]);
      if (isDict(rule.exec)) rule.exec = hook(rule.exec, `${at}.exec`, ctx);
      return rule;
    });
  }
  return out;
}

function hooks(v: unknown, path: string, ctx: RunContext): unknown[] {
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for hooks`, path);
  return v.map((h, i) => (isDict(h) ? hook(h, `${path}[${i}]`, ctx) : h));
}

function hook(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { privileged: 'bool', per_replica: 'bool' });
  if (out.command !== undefined) out.command = shellCommand(out.command, `${path}.command`);
  if (out.environment != null) out.environment = mappingWithEquals(out.environment, `${path}.environment`);
  return out;
}

const BUILD_CASTS: Record<string, Cast> = {
  no_cache: 'bool',
  pull: 'bool',
  privileged: 'bool',
  shm_size: 'bytes',
  provenance: 'string', // true/false become "true"/"false" (transformStringOrX)
  sbom: 'string',
};

function canonicalBuild(v: unknown, path: string, ctx: RunContext): Dict {
  let build: Dict;
  if (typeof v === 'string') build = { context: v };
  else if (isDict(v)) build = withCasts(v, path, ctx, BUILD_CASTS);
  else fail('canonical.type', `${path}: invalid type ${goType(v)} for build`, path);
  build.context = typeof build.context === 'string' ? build.context : '.';
  if (build.dockerfile === undefined && build.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
  if (build.args != null) {
    // Bare keys take their value from the project environment and are dropped when it is unset.
    const args = mappingWithEquals(build.args, `${path}.args`);
    for (const [key, value] of Object.entries(args)) {
      if (value !== null) continue;
      const found = ctx.lookupEnv(key);
      if (found === undefined) delete args[key];
      else args[key] = found;
    }
    build.args = args;
  }
  if (build.ssh != null) build.ssh = canonicalSsh(build.ssh, `${path}.ssh`);
  if (build.labels != null) build.labels = mapping(build.labels, `${path}.labels`);
  if (build.additional_contexts != null) {
    build.additional_contexts = mapEntries(keyValues(build.additional_contexts, `${path}.additional_contexts`), (c) => String(c));
  }
  for (const key of ['cache_from', 'cache_to', 'tags', 'platforms', 'entitlements', 'no_cache_filter']) {
    if (build[key] != null) build[key] = stringList(build[key]);
  }
  if (build.extra_hosts != null) {
    const at = `${path}.extra_hosts`;
    build.extra_hosts = guard('canonical.extra-hosts', at, () => parseExtraHosts(build.extra_hosts as unknown[] | Dict));
  }
  if (build.secrets != null) build.secrets = fileReferences(build.secrets, `${path}.secrets`, false);
  if (build.ulimits != null) build.ulimits = canonicalUlimits(build.ulimits, `${path}.ulimits`);
  return build;
}

/** transform/mapping.go transformKeyValue: list items must be `key=value`. */
function keyValues(v: unknown, path: string): Dict {
  if (isDict(v)) return { ...v };
  if (!Array.isArray(v)) fail('canonical.key-value', `${path}: invalid type ${goType(v)}`, path);
  const out: Dict = {};
  for (const item of v) {
    const text = scalarText(item);
    const at = text.indexOf('=');
    if (at < 0) fail('canonical.key-value', `${path}: invalid value ${text}, expected key=value`, path);
    out[text.slice(0, at)] = text.slice(at + 1);
  }
  return out;
}

/** build.ssh: `[default, id=path]` becomes `{default: null, id: path}` (key paths are resolved with the others). */
function canonicalSsh(v: unknown, path: string): Record<string, string | null> {
  let ssh: Record<string, string | null>;
  if (Array.isArray(v)) {
    ssh = {};
    for (const item of v) {
      if (typeof item !== 'string') fail('canonical.ssh', `invalid ssh key type ${goType(item)}`, path);
      const at = item.indexOf('=');
      if (at < 0) {
        if (item !== 'default') fail('canonical.ssh', `invalid ssh key ${JSON.stringify(item)}`, path);
        ssh[item] = null;
      } else {
        ssh[item.slice(0, at)] = item.slice(at + 1);
      }
    }
  } else if (isDict(v)) {
    ssh = mapEntries(v, (x) => (x === null || x === undefined ? null : scalarText(x)));
  } else {
    fail('canonical.ssh', `${path}: invalid type ${goType(v)} for ssh`, path);
  }
  return ssh;
}

// ---------------------------------------------------------------------------------------------------
// Top-level networks, volumes, secrets and configs

type ResourceKind = 'networks' | 'volumes' | 'secrets' | 'configs';

const RESOURCE_CASTS: Record<ResourceKind, Record<string, Cast>> = {
  networks: { internal: 'bool', attachable: 'bool', enable_ipv4: 'bool', enable_ipv6: 'bool' },
  volumes: {},
  secrets: {},
  configs: {},
};

function canonicalResource(kind: ResourceKind, value: unknown, path: string, ctx: RunContext): Dict {
  if (value === null || value === undefined) return {};
  if (!isDict(value)) fail('canonical.type', `${path}: invalid type ${goType(value)}`, path);
  const r = withCasts(value, path, ctx, RESOURCE_CASTS[kind]);
  if (r.external !== undefined && r.external !== null) {
    if (isDict(r.external)) {
      // transform/external.go: the deprecated `external: {name: x}` becomes `external: true` + `name: x`.
      const legacyName = r.external.name;
      r.external = true;
      if (legacyName !== undefined) {
        ctx.warn('canonical.external-name', `${path}: external.name is deprecated. Please set name and external: true`, `${path}.external`);
        if (r.name !== undefined && r.name !== legacyName) {
          fail('canonical.external', `${path}: name and external.name conflict; only use name`, `${path}.name`);
        }
        r.name = legacyName;
      }
    } else {
      r.external = toBool(r.external, `${path}.external`, ctx);
    }
  }
  if (r.labels != null) r.labels = mapping(r.labels, `${path}.labels`);
  if (r.driver_opts != null) r.driver_opts = options(r.driver_opts, `${path}.driver_opts`);
  if (kind === 'networks' && isDict(r.ipam)) r.ipam = canonicalIpam(r.ipam, `${path}.ipam`);
  return r;
}

function canonicalIpam(v: Dict, path: string): Dict {
  const out: Dict = { ...v };
  if (out.options != null) out.options = options(out.options, `${path}.options`);
  if (Array.isArray(out.config)) {
    out.config = out.config.map((c, i) =>
      isDict(c) && c.aux_addresses != null ? { ...c, aux_addresses: mapping(c.aux_addresses, `${path}.config[${i}].aux_addresses`) } : c,
    );
  }
  return out;
}
