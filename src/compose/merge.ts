// Merging of Compose documents (`-f a.yml -f b.yml`, multi-document files, include conflicts) and of a service
// onto the one it `extends`, following compose-go (override/merge.go, override/uncity.go, loader/reset.go).
// Values are still in short syntax here: compose-go merges raw YAML trees before canonicalization, so every rule
// below is written against both the short and the long forms. Inputs are never mutated: the base is merged as a
// deep clone, and the override's subtrees, which merging only reads, are taken as they are (so the result shares them).
import { error } from '../model/diagnostics.js';
import { RuleNode } from './path-rules.js';
import { hasTags, isOverride, isReset, stripTags } from './tags.js';

type Mapping = Record<string, unknown>;
/** A compose path as a list of mapping keys; `*` in a pattern matches any one key. */
type Path = readonly string[];

// ---------------------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------------------

/**
 * Merges `override` (one parsed file, tags still in place) onto `base` (the model accumulated so far).
 * `!reset` paths are deleted from the base, `!override` paths are deleted and then take the file's value verbatim,
 * and everything else follows the generic rule plus the per-path rules of compose-go. The result holds no tags
 * and may share subtrees with `override`. `tagged` says whether `override` holds any tag, when the caller knows.
 */
export function mergeModels(base: Mapping, override: Mapping, tagged = hasTags(override)): Mapping {
  return mergeWithTags(base, override, [], tagged);
}

/**
 * Merges the service definition `local` (which carries `extends`) onto a clone of the service it extends.
 * Tags in `local` act on the clone of `base`, exactly as compose-go applies the extending file's resets to the
 * extended service. The resolved `extends` key is dropped from the result. `serviceName` only labels errors.
 */
export function mergeServiceForExtends(base: Mapping, local: Mapping, serviceName = 'x'): Mapping {
  const merged = mergeWithTags(base, local, ['services', serviceName], hasTags(local));
  delete merged['extends'];
  return merged;
}

/**
 * compose-go's EnforceUnicity: in the sequences listed in UNIQUE_KEYS, an entry whose key was already seen
 * replaces the earlier entry in place (the first position is kept, with the last value). `model` is a merged
 * model (no tags) and is not mutated: only the mappings leading to a changed sequence are copied.
 */
export function enforceUniqueness<T extends Mapping>(model: T): T {
  return uniqueIn(model, UNIQUE_RULES, []) as T;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isReset(v) && !isOverride(v);
}

function isTag(v: unknown): boolean {
  return isReset(v) || isOverride(v);
}

function pattern(p: string): Path {
  return p.split('.');
}

function matches(path: Path, pat: Path): boolean {
  if (path.length !== pat.length) return false;
  return pat.every((part, i) => part === '*' || part === path[i]);
}

function formatPath(path: Path): string {
  return path.join('.');
}

/** Assigns without ever touching the prototype, even for a key spelled `__proto__`. */
function setKey(target: Mapping, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Deep clone that also drops `!reset` nodes and unwraps `!override` ones. */
function cloneWithoutTags(v: unknown): unknown {
  return stripTags(v);
}

function mergeWithTags(base: Mapping, override: Mapping, path: Path, tagged: boolean): Mapping {
  // Merging writes only into the clone of `base`: an override without tags needs no stripped copy.
  const target = tagged ? applyTags(cloneWithoutTags(base), override, path) : cloneWithoutTags(base);
  const merged = mergeValues(target, tagged ? cloneWithoutTags(override) : override, path);
  return (isMapping(merged) ? merged : {}) as Mapping;
}

/** Byte-wise string order, like Go's `cmp.Compare` on strings. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Go's `%v` for the scalar (and odd nested) values found in list-or-dict mappings. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isMapping(v)) {
    const keys = Object.keys(v).sort(byteOrder);
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}

function goType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
}

function cannotOverride(path: Path): never {
  throw error('merge.cannot-override', `cannot override ${formatPath(path)}`, { path: formatPath(path) });
}

// ---------------------------------------------------------------------------------------------------------
// !reset and !override (loader/reset.go)
// ---------------------------------------------------------------------------------------------------------

// Mapping-or-list attributes that merging turns into `KEY=VAL` sequences. A reset of one key must also reach a
// base that is already in sequence form (compose-go's fix for docker/compose#11816).
const KEY_VALUE_PATHS: Path[] = [
  'services.*.environment',
  'services.*.labels',
  'services.*.annotations',
  'services.*.sysctls',
  'services.*.build.args',
  'services.*.build.labels',
  'services.*.build.additional_contexts',
  'services.*.deploy.labels',
  'networks.*.labels',
  'volumes.*.labels',
].map(pattern);

function isKeyValuePath(path: Path): boolean {
  return KEY_VALUE_PATHS.some((p) => matches(path, p));
}

/**
 * Deletes from `base` every path that `override` tags with `!reset` or `!override`, and returns the new base.
 * Like compose-go, paths only run through mappings: a tag inside a sequence item never reaches the base (the
 * tagged item is simply dropped from, or kept in, the overriding sequence by `stripTags`).
 */
function applyTags(base: unknown, override: unknown, path: Path): unknown {
  if (!isMapping(override)) return base;
  if (isMapping(base)) {
    for (const [key, value] of Object.entries(override)) {
      if (!Object.hasOwn(base, key)) continue;
      if (isTag(value)) delete base[key];
      else setKey(base, key, applyTags(base[key], value, [...path, key]));
    }
    return base;
  }
  if (Array.isArray(base) && isKeyValuePath(path)) {
    const tagged = new Set(Object.keys(override).filter((k) => isTag(override[k])));
    if (tagged.size === 0) return base;
    return base.filter((entry) => typeof entry !== 'string' || !tagged.has(keyBeforeEquals(entry)));
  }
  return base;
}

// ---------------------------------------------------------------------------------------------------------
// Merging (override/merge.go)
// ---------------------------------------------------------------------------------------------------------

type Merger = (base: unknown, override: unknown, path: Path) => unknown;

function mergeValues(base: unknown, override: unknown, path: Path): unknown {
  const rule = MERGE_RULES.ruleAt(path);
  // compose-go consults the special rules before the null check, so e.g. `command: null` does replace.
  if (rule) return rule(base, override, path);
  if (override === null || override === undefined) return base;
  if (isMapping(base)) {
    if (!isMapping(override)) cannotOverride(path);
    return mergeMappings(base, override, path);
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(override)) cannotOverride(path);
    // Plain concatenation at the pinned revision; duplicates are the uniqueness pass's business.
    return [...base, ...override];
  }
  return override;
}

/** Merges into `base`, which is always a clone owned by this module. */
function mergeMappings(base: Mapping, override: Mapping, path: Path): Mapping {
  for (const [key, value] of Object.entries(override)) {
    if (!Object.hasOwn(base, key)) setKey(base, key, value);
    else setKey(base, key, mergeValues(base[key], value, [...path, key]));
  }
  return base;
}

const replace: Merger = (_base, override) => override;

/** Mapping side → sorted `KEY=VAL` strings (`KEY` alone for null, one entry per item of a list value). */
function toSequence(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  if (!isMapping(v)) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(v)) {
    if (value === null || value === undefined) out.push(key);
    else if (Array.isArray(value)) for (const item of value) out.push(`${key}=${goValue(item)}`);
    else out.push(`${key}=${goValue(value)}`);
  }
  // Go sorts the whole `KEY=VAL` strings, not the keys: `A.B=1` sorts before `A=2`.
  return out.sort(byteOrder);
}

/** List side → mapping; each entry gets a fresh copy of `entryDefault`. Non-string entries are errors. */
function toMapping(v: unknown, entryDefault: Mapping | null, path: Path): Mapping {
  if (isMapping(v)) return v;
  const out: Mapping = {};
  if (!Array.isArray(v)) return out;
  for (const entry of v) {
    if (typeof entry !== 'string') {
      throw error('merge.invalid-key', `cannot use ${goValue(entry)} (${goType(entry)}) as a key in ${formatPath(path)}`, {
        path: formatPath(path),
      });
    }
    setKey(out, entry, entryDefault === null ? null : { ...entryDefault });
  }
  return out;
}

/** Concatenates both sides as sequences, then keeps one entry per key (EnforceUnicity runs right after Merge). */
function sequenceMerger(key: Indexer | null): Merger {
  return (base, override, path) => {
    const seq = [...toSequence(base), ...toSequence(override)];
    return key ? uniqueBy(seq, key, path) : seq;
  };
}

/** Only the override's entries already present verbatim in the base are dropped. */
const mergeExtraHosts: Merger = (base, override) => {
  // compose-go compares the entries as written; the accumulated side here is already canonical (host -> ips),
  // so both sides are compared as `host=ip`, one per address (`h:a` written twice is kept once, as in compose).
  const asHostEntries = (v: unknown): unknown[] =>
    toSequence(v).flatMap((e) => {
      if (typeof e !== 'string') return [e];
      const sep = e.includes('=') ? '=' : ':';
      const i = e.indexOf(sep);
      if (i < 0) return [e];
      return e.slice(i + 1).split(',').map((ip) => `${e.slice(0, i)}=${ip}`);
    });
  const right = asHostEntries(base);
  const left = asHostEntries(override).filter((entry) => !right.includes(entry));
  return [...right, ...left];
};

const mergeBuild: Merger = (base, override, path) => {
  const asMapping = (v: unknown): Mapping => (typeof v === 'string' ? { context: v } : isMapping(v) ? v : {});
  return mergeMappings(asMapping(base), asMapping(override), path);
};

const DEPENDS_ON_DEFAULT: Mapping = { condition: 'service_started', required: true };

const mergeDependsOn: Merger = (base, override, path) =>
  mergeMappings(toMapping(base, DEPENDS_ON_DEFAULT, path), toMapping(override, DEPENDS_ON_DEFAULT, path), path);

/** `networks` and `models` of a service: a list entry becomes a key with a null value. */
const mergeListAsMapping: Merger = (base, override, path) =>
  mergeMappings(toMapping(base, null, path), toMapping(override, null, path), path);

/** Options are merged only when both sides use the same driver (or one side names none). */
const mergeLogging: Merger = (base, override, path) => {
  if (override === null || override === undefined) return base;
  if (!isMapping(base)) return override;
  if (!isMapping(override)) cannotOverride(path);
  const bothNamed = Object.hasOwn(base, 'driver') && Object.hasOwn(override, 'driver');
  if (!bothNamed || base['driver'] === override['driver']) return mergeMappings(base, override, path);
  return override;
};

/**
 * `networks.*.ipam.config`, merged per subnet as compose-go does: each base entry is merged with the override
 * entries of the same subnet; override entries of other subnets are added. Base entries that no override entry
 * matches are NOT kept (upstream behaviour), and an empty side yields an empty list.
 */
const mergeIpamConfig: Merger = (base, override, path) => {
  if (!Array.isArray(base) || !Array.isArray(override)) {
    const found = Array.isArray(base) ? override : base;
    throw error('merge.unexpected-type', `${formatPath(path)}: unexpected type ${goType(found)}`, { path: formatPath(path) });
  }
  const subnetOf = (m: Mapping): string => (m['subnet'] === null || m['subnet'] === undefined ? '' : String(m['subnet']));
  const result: Mapping[] = [];
  const indexOfSubnet = (subnet: string): number => result.findIndex((m) => subnetOf(m) === subnet);
  for (const original of base) {
    let right: Mapping = isMapping(original) ? original : {};
    for (const entry of override) {
      const left: Mapping = isMapping(entry) ? { ...entry } : {};
      if (subnetOf(left) !== subnetOf(right)) {
        if (indexOfSubnet(subnetOf(left)) < 0) result.push(left);
        continue;
      }
      right = mergeMappings({ ...right }, left, path);
      const at = indexOfSubnet(subnetOf(right));
      if (at >= 0) result[at] = right;
      else result.push(right);
    }
  }
  return result;
};

// ---------------------------------------------------------------------------------------------------------
// Uniqueness keys (override/uncity.go)
// ---------------------------------------------------------------------------------------------------------

/** Computes the identity of one sequence entry; `at` is the entry's compose path, for errors. */
type Indexer = (entry: unknown, at: string) => string;

function keyBeforeEquals(s: string): string {
  const i = s.indexOf('=');
  return i < 0 ? s : s.slice(0, i);
}

const byKeyValue: Indexer = (entry, at) => {
  if (typeof entry !== 'string') throw error('unique.unexpected-type', `${at}: unexpected type ${goType(entry)}`, { path: at });
  return keyBeforeEquals(entry);
};

const byVolumeTarget: Indexer = (entry, at) => {
  if (isMapping(entry)) {
    const target = entry['target'];
    if (typeof target !== 'string') throw error('unique.missing-target', `service volume ${at} is missing a mount target`, { path: at });
    return target;
  }
  if (typeof entry === 'string') return shortVolumeTarget(entry, at);
  return '';
};

/** Short device syntax is `source[:target[:permissions]]`. */
const byDeviceTarget: Indexer = (entry, at) => {
  if (isMapping(entry)) {
    const target = entry['target'];
    if (typeof target !== 'string') throw error('unique.missing-target', `service device ${at} is missing a mount target`, { path: at });
    return target;
  }
  if (typeof entry === 'string') {
    const parts = entry.split(':');
    return parts.length === 1 ? parts[0]! : parts[1]!;
  }
  return '';
};

/** Secrets and configs: the target, defaulting to `<dir>/<source>` (`/run/secrets/x`, `/x`). */
function byMountTarget(dir: string): Indexer {
  return (entry, at) => {
    if (typeof entry === 'string') return `${dir}/${entry}`;
    if (isMapping(entry)) {
      if (Object.hasOwn(entry, 'target')) return String(entry['target']);
      return `${dir}/${goValue(entry['source'])}`;
    }
    throw error('unique.unexpected-type', `${at}: unsupported value ${goValue(entry)}`, { path: at });
  };
}

const byExpose: Indexer = (entry, at) => {
  if (typeof entry === 'string') return entry;
  if (typeof entry === 'number' && Number.isInteger(entry)) return String(entry);
  throw error('unique.unexpected-type', `${at}: unsupported expose value ${goValue(entry)}`, { path: at });
};

// Go's fmt prints a value of the wrong type for a verb as `%!verb(type=value)`; reproducing it keeps keys typed,
// so `published: 8080` and `published: "8080"` stay distinct exactly as they do in compose-go.
function goVerbS(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '%!s(<nil>)';
  return `%!s(${goType(v)}=${goValue(v)})`;
}

function goVerbD(v: unknown): string {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (v === null || v === undefined) return '%!d(<nil>)';
  return `%!d(${goType(v)}=${goValue(v)})`;
}

/** Long ports key on `host_ip:published:target/protocol` (defaults 0.0.0.0 and tcp); a short string is its own key. */
const byPort: Indexer = (entry, at) => {
  if (typeof entry === 'number') return Number.isInteger(entry) ? String(entry) : '';
  if (typeof entry === 'string') return entry;
  if (!isMapping(entry)) return '';
  if (!Object.hasOwn(entry, 'target')) throw error('unique.missing-target', `service ports ${at} is missing a target port`, { path: at });
  const host = Object.hasOwn(entry, 'host_ip') ? entry['host_ip'] : '0.0.0.0';
  const protocol = Object.hasOwn(entry, 'protocol') ? entry['protocol'] : 'tcp';
  return `${goVerbS(host)}:${goVerbS(entry['published'])}:${goVerbD(entry['target'])}/${goVerbS(protocol)}`;
};

const byEnvFilePath: Indexer = (entry, at) => {
  if (typeof entry === 'string') return entry;
  if (isMapping(entry)) {
    if (Object.hasOwn(entry, 'path')) return String(entry['path']);
    throw error('unique.missing-path', `environment path attribute ${at} is missing`, { path: at });
  }
  return '';
};

const UNIQUE_KEYS: Array<[Path, Indexer]> = (
  [
    ['networks.*.labels', byKeyValue],
    ['networks.*.ipam.options', byKeyValue],
    ['services.*.annotations', byKeyValue],
    ['services.*.build.args', byKeyValue],
    ['services.*.build.additional_contexts', byKeyValue],
    // Upstream spells it `build.platform` (singular), so `build.platforms` is not made unique. Kept as is.
    ['services.*.build.platform', byKeyValue],
    ['services.*.build.tags', byKeyValue],
    ['services.*.build.labels', byKeyValue],
    ['services.*.cap_add', byKeyValue],
    ['services.*.cap_drop', byKeyValue],
    ['services.*.configs', byMountTarget('')],
    ['services.*.deploy.labels', byKeyValue],
    ['services.*.devices', byDeviceTarget],
    ['services.*.dns', byKeyValue],
    ['services.*.dns_opt', byKeyValue],
    ['services.*.dns_search', byKeyValue],
    ['services.*.environment', byKeyValue],
    ['services.*.env_file', byEnvFilePath],
    ['services.*.expose', byExpose],
    ['services.*.labels', byKeyValue],
    ['services.*.links', byKeyValue],
    ['services.*.networks.*.aliases', byKeyValue],
    ['services.*.networks.*.link_local_ips', byKeyValue],
    ['services.*.ports', byPort],
    ['services.*.profiles', byKeyValue],
    ['services.*.secrets', byMountTarget('/run/secrets')],
    ['services.*.sysctls', byKeyValue],
    ['services.*.tmpfs', byKeyValue],
    ['services.*.volumes', byVolumeTarget],
  ] as Array<[string, Indexer]>
).map(([p, indexer]) => [pattern(p), indexer]);

/** `seq` itself when no key repeats. */
function uniqueBy<T>(seq: readonly T[], key: Indexer, path: Path): readonly T[] {
  const where = formatPath(path);
  if (seq.length < 2) {
    // Nothing can repeat, but an entry without a key still fails.
    seq.forEach((entry, i) => key(entry, `${where}[${i}]`));
    return seq;
  }
  const out: T[] = [];
  const seen = new Map<string, number>();
  seq.forEach((entry, i) => {
    const k = key(entry, `${where}[${i}]`);
    const at = seen.get(k);
    if (at === undefined) {
      seen.set(k, out.length);
      out.push(entry);
    } else {
      out[at] = entry;
    }
  });
  return out.length === seq.length ? seq : out;
}

const UNIQUE_RULES = RuleNode.of(UNIQUE_KEYS);

/**
 * Walks mappings only (like compose-go) and only where a UNIQUE_KEYS path can still match, de-duplicating the
 * sequences found at those paths. Returns `value` itself when nothing changed, else a copy of the mappings on the way.
 */
function uniqueIn(value: unknown, rules: RuleNode<Indexer>, path: Path): unknown {
  if (isMapping(value)) {
    if (rules.isLeaf) return value;
    let copy: Mapping | undefined;
    for (const key of Object.keys(value)) {
      const below = rules.child(key);
      if (!below) continue;
      const child = value[key];
      const unique = uniqueIn(child, below, [...path, key]);
      if (unique === child) continue;
      copy ??= { ...value };
      setKey(copy, key, unique);
    }
    return copy ?? value;
  }
  if (Array.isArray(value) && rules.rule) return uniqueBy(value, rules.rule, path);
  return value;
}

/**
 * The target of a short volume spec, following compose-go's format.ParseVolume: fields are split on `:` except
 * inside `${...}` (nesting counted) and after a one-letter Windows drive (`C:`); a single field is the target
 * (anonymous volume), otherwise the second field is. Specs of one or two characters are targets as a whole.
 * Options (`ro`, `z`, ...) are irrelevant to the key and are not validated here.
 */
function shortVolumeTarget(spec: string, at: string): string {
  const invalid = (message: string): never => {
    throw error('volume.invalid-spec', message, { path: at });
  };
  if (spec.length === 0) invalid('invalid empty volume spec');
  if (spec.length <= 2) return spec;
  let source: string | undefined;
  let target: string | undefined;
  let start = 0; // where the current field begins
  let depth = 0;
  for (let i = 0; i <= spec.length; i++) {
    const end = i === spec.length;
    const ch = end ? '' : spec[i]!;
    if (ch === '$' && spec[i + 1] === '{') depth++;
    else if (ch === '}' && depth > 0) depth--;
    else if ((ch === ':' || end) && depth === 0 && !(ch === ':' && i - start === 1 && /\p{L}/u.test(spec[start]!))) {
      const field = spec.slice(start, i);
      if (field === '') invalid(`invalid spec: ${spec}: empty section between colons`);
      if (source === undefined && end) return field;
      if (source === undefined) source = field;
      else if (target === undefined) target = field;
      else if (!end) invalid(`invalid spec: ${spec}: too many colons`);
      start = i + 1;
    }
  }
  return target ?? '';
}

// ---------------------------------------------------------------------------------------------------------
// Per-path merge rules (override/merge.go `mergeSpecials`)
// ---------------------------------------------------------------------------------------------------------

// Not listed: `services.*.volumes.*.volume.labels`. compose-go registers it, but merging never descends into
// sequences, so it cannot match; service volumes are concatenated and then made unique by target instead.
const MERGE_RULE_TABLE: Array<[Path, Merger]> = (
  [
    ['networks.*.ipam.config', mergeIpamConfig],
    ['networks.*.labels', sequenceMerger(byKeyValue)],
    ['volumes.*.labels', sequenceMerger(byKeyValue)],
    ['services.*.annotations', sequenceMerger(byKeyValue)],
    ['services.*.build', mergeBuild],
    ['services.*.build.args', sequenceMerger(byKeyValue)],
    ['services.*.build.additional_contexts', sequenceMerger(byKeyValue)],
    ['services.*.build.extra_hosts', mergeExtraHosts],
    ['services.*.build.labels', sequenceMerger(byKeyValue)],
    ['services.*.command', replace],
    ['services.*.depends_on', mergeDependsOn],
    ['services.*.deploy.labels', sequenceMerger(byKeyValue)],
    ['services.*.dns', sequenceMerger(byKeyValue)],
    ['services.*.dns_opt', sequenceMerger(byKeyValue)],
    ['services.*.dns_search', sequenceMerger(byKeyValue)],
    ['services.*.entrypoint', replace],
    ['services.*.env_file', sequenceMerger(byEnvFilePath)],
    ['services.*.label_file', sequenceMerger(null)],
    ['services.*.environment', sequenceMerger(byKeyValue)],
    ['services.*.extra_hosts', mergeExtraHosts],
    ['services.*.healthcheck.test', replace],
    ['services.*.labels', sequenceMerger(byKeyValue)],
    ['services.*.logging', mergeLogging],
    ['services.*.models', mergeListAsMapping],
    ['services.*.networks', mergeListAsMapping],
    ['services.*.sysctls', sequenceMerger(byKeyValue)],
    ['services.*.tmpfs', sequenceMerger(byKeyValue)],
    // Entry replaced as a whole, per the compose-go revision this project pins (newer compose-go merges two
    // soft/hard mappings key by key).
    ['services.*.ulimits.*', replace],
  ] as Array<[string, Merger]>
).map(([p, merger]) => [pattern(p), merger]);

const MERGE_RULES = RuleNode.of(MERGE_RULE_TABLE);
