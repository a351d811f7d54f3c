// The shared part of the canonical transforms (canonical.ts and transform/*): the context of one run, errors at a
// compose path, the typed casts compose-go's model applies to scalar fields (durations re-printed Go-style, byte
// sizes as numbers, YAML 1.1 booleans, octal modes), and the decoders of its collection types (string_or_list,
// list_or_dict, options maps, key=value lists).

import { DiagnosticError, error } from '../../model/diagnostics.js';
import {
  goSprint,
  normalizeDuration,
  parseBool,
  parseBytes,
  parseFloatStrict,
  parseInteger,
  parseOctalMode,
} from '../syntax/units.js';

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
export interface RunContext extends CanonicalContext {
  durations: Map<string, string>;
  sizes: Map<string, number>;
  absPaths: Map<string, string>;
}

export type Dict = Record<string, unknown>;

export const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);

export function fail(code: string, message: string, path: string): never {
  throw error(code, message, { path });
}

/** Runs a syntax parser, turning its plain Error into a diagnostic at `path`. */
export function guard<T>(code: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DiagnosticError) throw e;
    throw error(code, (e as Error).message, { path });
  }
}

/** Go's %T for the values a YAML decoder produces, for messages copied from compose-go. */
export function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

const asScalar = (v: unknown): string | number => (typeof v === 'number' ? v : String(v));

export function toBool(v: unknown, path: string, ctx: RunContext): boolean {
  if (typeof v === 'boolean') return v;
  const { value, legacy } = guard('canonical.bool', path, () => parseBool(String(v)));
  if (legacy) {
    ctx.warn('canonical.legacy-bool', `${JSON.stringify(String(v))} for boolean is not supported by YAML 1.2, please use \`${value}\``, path);
  }
  return value;
}

export const toInt = (v: unknown, path: string): number => guard('canonical.int', path, () => parseInteger(asScalar(v)));
const toFloat = (v: unknown, path: string): number => guard('canonical.float', path, () => parseFloatStrict(asScalar(v)));
const toBytes = (v: unknown, path: string, ctx: RunContext): number =>
  typeof v === 'string' ? memo(ctx.sizes, v, () => parseBytesAt(v, path)) : parseBytesAt(asScalar(v), path);
const parseBytesAt = (v: string | number, path: string): number => guard('canonical.bytes', path, () => parseBytes(v));
const toDuration = (v: unknown, path: string, ctx: RunContext): string =>
  typeof v === 'string' ? memo(ctx.durations, v, () => normalizeDurationAt(v, path)) : normalizeDurationAt(asScalar(v), path);
const normalizeDurationAt = (v: string | number, path: string): string => guard('canonical.duration', path, () => normalizeDuration(v));
export const toMode = (v: unknown, path: string): number => guard('canonical.mode', path, () => parseOctalMode(asScalar(v)));

/** The value cached for `key`, computed on first use; a computation that throws caches nothing. */
export function memo<V>(cache: Map<string, V>, key: string, compute: () => V): V {
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

export type Cast = keyof typeof CASTS;

/** Casts the listed keys of `obj` that are present; other keys are kept as they are. */
export function withCasts(obj: Dict, path: string, ctx: RunContext, casts: Record<string, Cast>): Dict {
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

export function mapEntries<T>(obj: Dict, fn: (value: unknown, key: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj)) out[k] = fn(obj[k], k);
  return out;
}

/** `string_or_list`: a single string becomes a one-element list. */
export function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => scalarText(x));
  return [scalarText(v)];
}

export function scalarText(v: unknown): string {
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
export function mapping(v: unknown, path: string): Record<string, string> {
  return mapEntries(listOrDict(v, path, false), (value) => (value as string | null) ?? '');
}

/**
 * `list_or_dict` as MappingWithEquals decodes it (environment, build.args, hook environment): a bare key
 * (or null value) stays null. In the list form a key ending in white space (`DEBUG = true`) is an error.
 */
export function mappingWithEquals(v: unknown, path: string): Record<string, string | null> {
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
export function options(v: unknown, path: string): Record<string, string> {
  if (!isDict(v)) fail('canonical.mapping', `${path} must be a mapping`, path);
  return mapEntries(v, (value) => (value === null || value === undefined ? '' : scalarText(value)));
}

/** transform/mapping.go transformKeyValue: list items must be `key=value`. */
export function keyValues(v: unknown, path: string): Dict {
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
