// Conversions between Compose scalar formats and Kubernetes ones. Kept exact: a value that cannot be
// represented exactly is rounded in the direction that keeps the Compose guarantee, and said so by the caller.

import type { Diagnostics } from '../model/diagnostics.js';
import type { Report } from './conversion-report.js';

/** The largest value of the API's int32 fields (replicas, ports, backoffLimit, periodSeconds, ids, ...). */
export const INT32_MAX = 2_147_483_647;
/** int64 fields (activeDeadlineSeconds, ...): what a JSON number keeps exactly. */
export const INT64_SAFE_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Whether an integer from Compose fits the API field it is going to; otherwise an error located at the Compose
 * path (the API server would refuse the whole object at apply time, far from the cause).
 */
export function inRange(
  ctx: { diagnostics: Diagnostics; report: Report },
  value: number,
  path: string | undefined,
  what: string,
  min = 0,
  max = INT32_MAX,
  hint = '',
): boolean {
  if (Number.isInteger(value) && value >= min && value <= max) return true;
  ctx.diagnostics.error('lower.out-of-range', `${what} ${value} is out of range: Kubernetes accepts ${min} to ${max}${hint}`, path ? { path } : {});
  if (path) ctx.report.ignored(path, `${what} out of range (${min} to ${max})`, true);
  return false;
}

/** An integer written without an exponent (`String(1e21)` is "1e+21", which is not a quantity). */
function plainInteger(n: number): string {
  return !Number.isFinite(n) || Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses a Go-style duration ("1m30s", "400ms", "1.5h") to milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : undefined;
}

/** Whole seconds, rounded up so that a timeout or grace period is never shorter than asked; at least `min`. */
export function durationSeconds(text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined) return undefined;
  return Math.max(min, Math.ceil(ms / 1000));
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Bytes as the largest exact binary quantity: 268435456 -> "256Mi", 1000 -> "1000". */
export function bytesToQuantity(bytes: number): string {
  let n = Math.round(bytes);
  let i = 0;
  while (n !== 0 && n % 1024 === 0 && i < BINARY_SUFFIXES.length - 1) {
    n /= 1024;
    i++;
  }
  return `${plainInteger(n)}${BINARY_SUFFIXES[i]}`;
}

/** Parses a Docker byte string ("300m", "1gb", "2GiB", "512 kb"; binary multipliers) to bytes. */
export function parseBytes(text: string | number): number | undefined {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(b|ib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const power = ' kmgtp'.indexOf((m[2] || ' ').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** CPUs (0.5, 2) as a CPU quantity ("500m", "2"); at least 1m. */
export function cpusToQuantity(cpus: number): string {
  const milli = Math.max(1, Math.round(cpus * 1000));
  return milli % 1000 === 0 ? plainInteger(milli / 1000) : `${plainInteger(milli)}m`;
}

/** Kubernetes expands `$(VAR)` and reduces `$$` in command, args and env values; escape so the text arrives verbatim. */
export function escapeKubeExpansion(text: string): string {
  return text.replace(/\$(?=[$(])/g, () => '$$');
}

/** Splits a command line like a POSIX shell does for words and quotes (no expansion), as go-shellwords does. */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) current += line[++i];
      else current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** A Kubernetes quantity as a number in base units (cores or bytes), for comparisons; undefined when malformed. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return q;
  const m = /^([+-]?\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) return undefined;
  const factor: Record<string, number> = {
    '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  };
  return Number(m[1]) * factor[m[2] ?? '']!;
}

export function isQuantity(q: string): boolean {
  return parseQuantity(q) !== undefined;
}
