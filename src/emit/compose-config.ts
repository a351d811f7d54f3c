// Renders the normalized model the way `docker compose config` prints it, so the two can be diffed.
// The model keeps natural JS types; the Go marshalling quirks live only here.
import { Document, visit, type ScalarTag } from 'yaml';
import { goTimestamp } from '../compose/index.js';
import type { DependsOn, LoadedProject, Project, Service } from '../model/project.js';
import { effectiveEnvironment } from '../model/environment.js';

const TOP_LEVEL_ORDER = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** Sets an own property as Object.fromEntries does (assigning `__proto__` would set the prototype instead). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Most text has no `$`: it is returned as it is, without a copy. */
const doubleDollars = (s: string) => (s.includes('$') ? s.replaceAll('$', () => '$$') : s);

/** docker compose prints its output re-escaped, so it can be loaded again: every `$` becomes `$$`. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return doubleDollars(v);
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === 'object') {
    const source = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(source)) setOwn(out, doubleDollars(k), escapeDollars(source[k]));
    return out;
  }
  return v;
}

const bytes = (n: number | undefined) => (n === undefined ? undefined : String(n));
const octal = (n: number | undefined) => (n === undefined ? undefined : '0' + n.toString(8).padStart(3, '0'));

/** compose-go's HostsList marshals as sorted `host=ip` strings. */
function hostsShape(h: Record<string, string[] | string> | undefined): string[] | undefined {
  if (!h) return undefined;
  const list: string[] = [];
  for (const [host, ips] of Object.entries(h)) for (const ip of Array.isArray(ips) ? ips : [ips]) list.push(`${host}=${ip}`);
  // Go's sort.Strings: byte order, not locale order.
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** compose-go's SSHKey marshals as `id`, or `id: path` when a path is set. */
function sshShape(ssh: Record<string, string | null> | undefined): string[] | undefined {
  if (!ssh) return undefined;
  return Object.entries(ssh).map(([id, path]) => (path ? `${id}: ${path}` : id));
}

/** blkio device entries: rates are UnitBytes (strings); JSON has no field tags, so Go's field names show. */
function blkioShape(b: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!b) return undefined;
  const out: Record<string, unknown> = { ...b };
  for (const k of ['device_read_bps', 'device_read_iops', 'device_write_bps', 'device_write_iops']) {
    if (Array.isArray(b[k])) out[k] = (b[k] as Record<string, unknown>[]).map((d) => ({ ...d, rate: d.rate === undefined ? undefined : String(d.rate) }));
  }
  return out;
}

function blkioForJson(b: Record<string, unknown>): Record<string, unknown> {
  const capital = (d: Record<string, unknown>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), v]));
  const out: Record<string, unknown> = { ...b };
  for (const k of ['weight_device', 'device_read_bps', 'device_read_iops', 'device_write_bps', 'device_write_iops']) {
    if (Array.isArray(b[k])) out[k] = (b[k] as Record<string, unknown>[]).map(capital);
  }
  return out;
}

/** provider.options is a map of string lists in compose-go. */
function providerShape(p: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!p || !p.options || typeof p.options !== 'object') return p;
  const options = Object.fromEntries(Object.entries(p.options as Record<string, unknown>).map(([k, v]) => [k, (Array.isArray(v) ? v : [v]).map((x) => String(x))]));
  return { ...p, options };
}

/** compose-go's UlimitsConfig marshals a non-zero `single` as the bare number. */
function ulimitsShape(u: Record<string, { single?: number; soft?: number; hard?: number }> | undefined): unknown {
  if (!u) return undefined;
  return Object.fromEntries(Object.entries(u).map(([k, l]) => [k, l.single ? l.single : l]));
}

/** compose-go's JSON tags for soft and hard are omitempty (its YAML ones are not): `nofile: 0` prints `{}`. */
function ulimitsForJson(u: unknown): unknown {
  if (!u || typeof u !== 'object') return u;
  return Object.fromEntries(
    Object.entries(u as Record<string, unknown>).map(([k, l]) =>
      [k, l !== null && typeof l === 'object' ? Object.fromEntries(Object.entries(l).filter(([, v]) => v !== 0)) : l],
    ),
  );
}

/** Go marshalling of one service: UnitBytes as strings, FileMode as octal strings, omitempty fields. */
function goShape(svc: Service, raw = false): Record<string, unknown> {
  const s: Record<string, unknown> = raw ? { ...svc } : { command: null, entrypoint: null, ...svc };
  for (const k of ['mem_limit', 'mem_reservation', 'memswap_limit', 'shm_size', 'mem_swappiness'] as const) if (svc[k] !== undefined) s[k] = bytes(svc[k]);
  if (svc.build?.shm_size !== undefined) s.build = { ...svc.build, shm_size: bytes(svc.build.shm_size) };
  if (svc.ulimits) s.ulimits = ulimitsShape(svc.ulimits);
  const extra = svc as unknown as Record<string, Record<string, unknown> | undefined>;
  if (extra.blkio_config) s.blkio_config = blkioShape(extra.blkio_config);
  if (extra.provider) s.provider = providerShape(extra.provider);
  if (svc.extra_hosts) s.extra_hosts = hostsShape(svc.extra_hosts as Record<string, string[]>);
  if (svc.build && (svc.build.extra_hosts || svc.build.ssh)) {
    const b: Record<string, unknown> = { ...(s.build as object) };
    if (svc.build.extra_hosts) b.extra_hosts = hostsShape(svc.build.extra_hosts as Record<string, string[]>);
    if (svc.build.ssh) b.ssh = sshShape(svc.build.ssh as Record<string, string | null>);
    s.build = b;
  }
  if (svc.build?.ulimits) s.build = { ...(s.build as object), ulimits: ulimitsShape(svc.build.ulimits) };
  if (svc.deploy) {
    const r = svc.deploy.resources ?? {};
    const res = (x: typeof r.limits) => (x ? { ...x, memory: bytes(x.memory) } : undefined);
    s.deploy = { ...svc.deploy, resources: { ...r, limits: res(r.limits), reservations: res(r.reservations) }, placement: svc.deploy.placement ?? {} };
  }
  for (const k of ['secrets', 'configs'] as const) {
    if (svc[k]) s[k] = svc[k]!.map((f) => ({ ...f, mode: octal(f.mode) }));
  }
  if (svc.volumes) {
    s.volumes = svc.volumes.map((v) => {
      const out: Record<string, unknown> = { ...v };
      // create_host_path is an opt-out flag in compose-go: true is the default and is not printed.
      if (v.bind) {
        const { create_host_path, ...bind } = v.bind;
        out.bind = create_host_path === false || (raw && create_host_path) ? { ...bind, create_host_path } : bind;
      }
      if (v.tmpfs?.size !== undefined) out.tmpfs = { ...v.tmpfs, size: bytes(v.tmpfs.size) };
      return out;
    });
  }
  if (svc.depends_on) {
    s.depends_on = Object.fromEntries(
      Object.entries(svc.depends_on).map(([k, d]) => {
        const { restart, ...rest } = d as DependsOn;
        return [k, restart ? { ...rest, restart } : rest];
      }),
    );
  }
  // A watch trigger's `exec` is a plain struct in compose-go: always printed, `command` null when unset.
  const watch = svc.develop?.watch;
  if (Array.isArray(watch) && !raw) s.develop = { ...svc.develop, watch: watch.map((w) => ({ exec: { command: null }, ...w })) };
  delete s.env_file;
  return s;
}

// Go's `omitempty`: compose-go's struct fields drop `false` and `""`, except these (pointers or plain fields).
const KEEP_ZERO = new Set(['init', 'attach', 'enable_ipv4', 'enable_ipv6', 'required', 'create_host_path', 'condition', 'type', 'command', 'entrypoint']);
// Values that are Go maps (user keys with scalar values): never pruned.
const SCALAR_MAPS = new Set(['environment', 'labels', 'annotations', 'sysctls', 'args', 'driver_opts', 'options', 'storage_opt', 'additional_contexts', 'extra_hosts', 'runtime_flags']);
// Values that are Go maps of structs: their own keys are user names, their values are structs.
const STRUCT_MAPS = new Set(['services', 'networks', 'volumes', 'secrets', 'configs', 'models', 'depends_on', 'ulimits']);

function omitEmpty(v: unknown, asMapOfStructs = false): unknown {
  if (Array.isArray(v)) return v.map((x) => omitEmpty(x));
  if (v === null || typeof v !== 'object') return v;
  const source = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(source)) {
    const x = source[k];
    if (asMapOfStructs) {
      out[k] = omitEmpty(x);
      continue;
    }
    if (k.startsWith('x-') || SCALAR_MAPS.has(k)) {
      out[k] = x;
      continue;
    }
    if ((x === false || x === '') && !KEEP_ZERO.has(k)) continue;
    out[k] = STRUCT_MAPS.has(k) && x !== null && typeof x === 'object' && !Array.isArray(x) ? omitEmpty(x, true) : omitEmpty(x);
  }
  return out;
}

/** compose-go's JSON drops every `x-*` extension below the top level (`json:"-"`); its YAML keeps them. */
function withoutNestedExtensions(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNestedExtensions);
  if (v === null || typeof v !== 'object') return v;
  const source = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(source)) if (!k.startsWith('x-')) setOwn(out, k, withoutNestedExtensions(source[k]));
  return out;
}

export interface ComposeConfigOptions {
  /** false = `--no-interpolate`: `$` is printed as written. */
  escape?: boolean;
  /**
   * The model as docker compose prints it with --no-interpolate: its map form, not Go structs (no `command: null`,
   * no empty `ipam`, `create_host_path: true` kept). Lists that compose keeps as written (e.g. a list `environment`)
   * still come out in their canonical form here.
   */
  rawModel?: boolean;
  /**
   * The shape of the YAML output rather than the JSON one. compose-go marshals some fields only for YAML:
   * `x-*` fields inside services and resources, top-level `models`, and lower-case blkio device fields
   * (`Path`, `Rate`, `Weight` in JSON, which has no tags for them).
   */
  yaml?: boolean;
  /** Former name of `yaml`. */
  nestedExtensions?: boolean;
}

/** The shape of `docker compose config --format json` (with `nestedExtensions`, of its YAML output). */
export function composeConfigObject(loaded: LoadedProject, options: ComposeConfigOptions = {}): Record<string, unknown> {
  const p: Project = loaded.project;
  let services: Record<string, unknown> = {};
  for (const name of Object.keys(p.services).sort()) {
    const svc = { ...p.services[name]! };
    if (svc.env_file || svc.environment) {
      const env = effectiveEnvironment(svc);
      if (Object.keys(env).length > 0) svc.environment = env;
    }
    services[name] = omitEmpty(sortKeys(goShape(svc, options.rawModel)));
  }
  const all: Record<string, unknown> = { ...p, services };
  if (p.networks && !options.rawModel) all.networks = Object.fromEntries(Object.entries(p.networks).map(([k, n]) => [k, { ipam: {}, ...n }]));
  const out: Record<string, unknown> = {};
  const yaml = options.yaml ?? options.nestedExtensions ?? false;
  if (!yaml) {
    for (const k of Object.keys(all)) if (!k.startsWith('x-')) all[k] = withoutNestedExtensions(all[k]);
    delete all.models;
    for (const svc of Object.values(all.services as Record<string, Record<string, unknown>>)) {
      if (svc.blkio_config) svc.blkio_config = blkioForJson(svc.blkio_config as Record<string, unknown>);
      if (svc.ulimits) svc.ulimits = ulimitsForJson(svc.ulimits);
      const build = svc.build as Record<string, unknown> | undefined;
      if (build?.ulimits) svc.build = { ...build, ulimits: ulimitsForJson(build.ulimits) };
    }
    services = all.services as Record<string, unknown>;
  } else {
    // compose-go's YAML tags say omitempty where its JSON tags do not: `command`, `entrypoint` and a network's `ipam`.
    for (const svc of Object.values(services as Record<string, Record<string, unknown>>)) {
      if (svc.command === null) delete svc.command;
      if (svc.entrypoint === null) delete svc.entrypoint;
      // go-yaml's omitempty also drops zero structs (encoding/json keeps them): deploy's placement and resources.
      const deploy = svc.deploy as Record<string, unknown> | undefined;
      if (deploy) for (const k of ['placement', 'resources']) if (isEmptyObject(deploy[k])) delete deploy[k];
      // ... and a watch trigger's `exec` when it is the zero struct that JSON prints as {command: null}.
      const develop = svc.develop as { watch?: Record<string, unknown>[] } | undefined;
      if (Array.isArray(develop?.watch)) {
        develop.watch = develop.watch.map((w) => (JSON.stringify(w.exec) === '{"command":null}' ? withoutKey(w, 'exec') : w));
      }
    }
    if (all.networks) all.networks = Object.fromEntries(Object.entries(all.networks as Record<string, Record<string, unknown>>).map(([k, n]) => [k, isEmptyObject(n.ipam) ? withoutKey(n, 'ipam') : n]));
  }
  const shape = (k: string) => (k === 'services' ? services : STRUCT_MAPS.has(k) ? omitEmpty(sortKeys(all[k]), true) : sortKeys(all[k]));
  for (const k of TOP_LEVEL_ORDER) if (all[k] !== undefined) out[k] = shape(k);
  for (const k of Object.keys(all).sort()) if (!(k in out) && all[k] !== undefined) out[k] = shape(k);
  return options.escape === false ? out : (escapeDollars(out) as Record<string, unknown>);
}

/**
 * Text holding NEL, LS or PS: go-yaml (and our reader) take them as line breaks even inside quotes, so they are
 * written escaped (`\N`, `\L`, `\P`) in double quotes, as go-yaml writes them; the yaml package writes them raw.
 */
const BREAK_LIKE = /[\u0085\u2028\u2029]/;
const escapedBreaks: ScalarTag = {
  tag: 'tag:yaml.org,2002:str',
  default: true,
  identify: (v: unknown) => typeof v === 'string' && BREAK_LIKE.test(v),
  resolve: (text: string) => text,
  stringify: (item) =>
    `"${JSON.stringify(String(item.value)).slice(1, -1).replace(/\u0085/g, '\\N').replace(/\u2028/g, '\\L').replace(/\u2029/g, '\\P')}"`,
};

const isTimestampText = (v: unknown) => typeof v === 'string' && goTimestamp(v) !== undefined;

/** Whether a key or value anywhere in `v` is text that reads as a timestamp. */
function hasTimestampText(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return isTimestampText(v);
  if (Array.isArray(v)) return v.some(hasTimestampText);
  for (const k of Object.keys(v)) if (isTimestampText(k) || hasTimestampText((v as Record<string, unknown>)[k])) return true;
  return false;
}

export function composeConfigYaml(obj: unknown): string {
  const doc = new Document(obj, { aliasDuplicateObjects: false, customTags: (tags) => [escapedBreaks, ...tags] });
  // A string that reads as a YAML 1.1 timestamp when plain (e.g. a quoted "2024-01-15") must stay quoted, or
  // loading the output again turns it into a Go time (go-yaml quotes it for the same reason). Visiting every node
  // costs far more than looking through the plain values, and most projects have no such string.
  if (hasTimestampText(obj)) {
    visit(doc, {
      Scalar(_key, node) {
        if (isTimestampText(node.value)) node.type = 'QUOTE_DOUBLE';
      },
    });
  }
  return doc.toString({ lineWidth: 0 });
}

export function composeConfigJson(obj: unknown): string {
  return JSON.stringify(obj, null, 2) + '\n';
}

function isEmptyObject(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

function withoutKey<T extends Record<string, unknown>>(o: T, key: string): T {
  const { [key]: _, ...rest } = o;
  return rest as T;
}
