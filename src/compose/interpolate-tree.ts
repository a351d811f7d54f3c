// Interpolates every value (never a key) of one parsed compose document, then casts the strings found at
// typed paths to their declared type, as compose-go's loader/interpolate.go does.
import { error, type Diagnostic } from '../model/diagnostics.js';
import { OverrideTag, ResetTag } from './tags.js';
import { formatInterpolationError, goQuote, InterpolationError, substitute } from './interpolate.js';
import { RuleNode } from './path-rules.js';
import { joinPath } from './yaml.js';

export type Lookup = (name: string) => string | undefined;
type CastKind = 'int' | 'float' | 'bool';

// `*` matches one map key, `[]` one list index. From compose-go loader/interpolate.go (interpolateTypeCastMapping).
const CAST_PATTERNS: [string, CastKind][] = [
  ['configs.*.external', 'bool'],
  ['networks.*.external', 'bool'],
  ['networks.*.internal', 'bool'],
  ['networks.*.attachable', 'bool'],
  ['networks.*.enable_ipv4', 'bool'],
  ['networks.*.enable_ipv6', 'bool'],
  ['secrets.*.external', 'bool'],
  ['volumes.*.external', 'bool'],
  ['services.*.attach', 'bool'],
  ['services.*.blkio_config.weight', 'int'],
  ['services.*.blkio_config.weight_device.[].weight', 'int'],
  ['services.*.build.no_cache', 'bool'],
  ['services.*.build.pull', 'bool'],
  ['services.*.build.privileged', 'bool'],
  ['services.*.cpu_count', 'int'],
  ['services.*.cpu_percent', 'float'],
  ['services.*.cpu_period', 'int'],
  ['services.*.cpu_quota', 'int'],
  ['services.*.cpu_rt_period', 'int'],
  ['services.*.cpu_rt_runtime', 'int'],
  ['services.*.cpu_shares', 'int'],
  ['services.*.cpus', 'float'],
  ['services.*.depends_on.*.required', 'bool'],
  ['services.*.depends_on.*.restart', 'bool'],
  ['services.*.deploy.replicas', 'int'],
  ['services.*.deploy.update_config.parallelism', 'int'],
  ['services.*.deploy.update_config.max_failure_ratio', 'float'],
  ['services.*.deploy.rollback_config.parallelism', 'int'],
  ['services.*.deploy.rollback_config.max_failure_ratio', 'float'],
  ['services.*.deploy.restart_policy.max_attempts', 'int'],
  ['services.*.deploy.placement.max_replicas_per_node', 'int'],
  ['services.*.deploy.resources.limits.cpus', 'float'],
  ['services.*.deploy.resources.limits.pids', 'int'],
  ['services.*.deploy.resources.reservations.cpus', 'float'],
  ['services.*.healthcheck.retries', 'int'],
  ['services.*.healthcheck.disable', 'bool'],
  ['services.*.init', 'bool'],
  ['services.*.mem_swappiness', 'int'],
  ['services.*.oom_kill_disable', 'bool'],
  ['services.*.oom_score_adj', 'int'],
  ['services.*.pids_limit', 'int'],
  ['services.*.ports.[].target', 'int'],
  ['services.*.privileged', 'bool'],
  ['services.*.read_only', 'bool'],
  ['services.*.scale', 'int'],
  ['services.*.stdin_open', 'bool'],
  ['services.*.tty', 'bool'],
  ['services.*.use_api_socket', 'bool'],
  ['services.*.ulimits.*', 'int'],
  ['services.*.ulimits.*.hard', 'int'],
  ['services.*.ulimits.*.soft', 'int'],
  ['services.*.volumes.[].read_only', 'bool'],
  ['services.*.volumes.[].volume.nocopy', 'bool'],
  ['services.*.volumes.[].bind.create_host_path', 'bool'],
  ['services.*.develop.watch.[].initial_sync', 'bool'],
  ['include.[].required', 'bool'],
];

const LIST_ITEM = '[]';

/** The walk carries the node of its path: undefined once no cast can apply below it. */
const CASTS = RuleNode.of(
  CAST_PATTERNS.map(([p, kind]) => [p.split('.'), kind] as const),
  (key) => key !== LIST_ITEM,
);

const BOOL_TRUE = new Set(['true', 'y', 'yes', 'on']);
const BOOL_FALSE = new Set(['false', 'n', 'no', 'off']);

export interface InterpolateContext {
  file: string;
  lookup: Lookup;
  /** When false, values are left as written but still cast (docker compose config --no-interpolate). */
  interpolate: boolean;
  warn: (d: Omit<Diagnostic, 'severity'>) => void;
  locate: (path: string) => { line: number; column: number } | undefined;
  /** Called for each `!reset` or `!override` met, so the caller knows whether the document holds any. */
  onTag?: () => void;
}

/** Returns a new tree: nothing is shared with `doc`, not even subtrees that YAML aliases shared within it. */
export function interpolateDocument(doc: unknown, ctx: InterpolateContext): unknown {
  return walk(doc, '', CASTS, ctx);
}

function walk(v: unknown, path: string, casts: RuleNode<CastKind> | undefined, ctx: InterpolateContext): unknown {
  if (typeof v === 'string') {
    const value = ctx.interpolate ? interpolateString(v, path, ctx) : v;
    const kind = casts?.rule;
    return kind ? cast(value, kind, path, ctx) : value;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const itemCasts = casts?.child(LIST_ITEM);
    return v.map((x, i) => walk(x, joinPath(path, i), itemCasts, ctx));
  }
  if (v instanceof ResetTag || v instanceof OverrideTag) {
    ctx.onTag?.();
    return v instanceof ResetTag ? v : new OverrideTag(walk(v.value, path, casts, ctx));
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    // Extension fields are interpolated too (compose-go does), keys never.
    out[k] = walk((v as Record<string, unknown>)[k], joinPath(path, k), casts?.child(k), ctx);
  }
  return out;
}

function interpolateString(s: string, path: string, ctx: InterpolateContext): string {
  if (!s.includes('$')) return s;
  try {
    return substitute(s, ctx.lookup, (message) => ctx.warn({ code: 'interpolate.unset', message, file: ctx.file, path, ...ctx.locate(path) }));
  } catch (e) {
    if (e instanceof InterpolationError) {
      const code = e.kind === 'required' ? 'interpolate.required' : 'interpolate.invalid';
      throw error(code, formatInterpolationError(path, s, e), { file: ctx.file, path, ...ctx.locate(path) });
    }
    throw e;
  }
}

function cast(value: string, kind: CastKind, path: string, ctx: InterpolateContext): unknown {
  const at = () => ({ file: ctx.file, path, ...ctx.locate(path) });
  const t = value.trim();
  if (kind === 'bool') {
    const l = t.toLowerCase();
    if (BOOL_TRUE.has(l) || BOOL_FALSE.has(l)) {
      if (l !== 'true' && l !== 'false') {
        ctx.warn({ code: 'interpolate.legacy-boolean', message: `"${value}" for boolean is not supported by YAML 1.2, please use \`${BOOL_TRUE.has(l)}\``, ...at() });
      }
      return BOOL_TRUE.has(l);
    }
    throw error('cast.bool', `error while interpolating ${path}: failed to cast to expected type: invalid boolean: ${value}`, at());
  }
  if (kind === 'int') {
    if (/^[-+]?\d+$/.test(t)) return parseInt(t, 10);
    throw error('cast.int', `error while interpolating ${path}: failed to cast to expected type: strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`, at());
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return parseFloat(t);
  throw error('cast.float', `error while interpolating ${path}: failed to cast to expected type: strconv.ParseFloat: parsing ${goQuote(value)}: invalid syntax`, at());
}
