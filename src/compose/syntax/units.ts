// Scalar formats shared by many Compose attributes: durations (xhit/go-str2duration, printed like Go's
// time.Duration.String()), byte sizes (docker/go-units v0.5.0 RAMInBytes), YAML 1.1 booleans and octal
// file modes. Parsers throw a plain Error whose message matches the Go library; callers add the path.

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SECOND = 1000n * MS;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const INT64_MAX = (1n << 63n) - 1n;

const DURATION_UNITS: Record<string, bigint> = {
  ns: NS,
  us: US,
  'µs': US, // U+00B5 micro sign
  'μs': US, // U+03BC Greek mu
  ms: MS,
  s: SECOND,
  m: MINUTE,
  h: HOUR,
  d: 24n * HOUR,
  w: 168n * HOUR,
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * Parses a duration into nanoseconds as a bigint (exact, like Go's int64). Accepts an optional sign and
 * one or more `{number}{unit}` groups; a bare `0` is zero. Numbers are formatted first, as compose-go
 * does with fmt.Sprint, so any number other than 0 lacks a unit.
 */
export function parseDurationNs(input: string | number): bigint {
  const orig = typeof input === 'number' ? String(input) : input;
  const invalid = () => new Error(`time: invalid duration "${orig}"`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) throw invalid();
    let i = 0;
    let whole = 0n;
    while (isDigit(s[i])) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > INT64_MAX) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    let frac = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (isDigit(s[j])) {
        // Like Go's leadingFraction: stop accumulating precision instead of failing on overflow.
        if (!overflow) {
          const next = frac * 10n + BigInt(s.charCodeAt(j) - 48);
          if (next > INT64_MAX) overflow = true;
          else {
            frac = next;
            scale *= 10;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) throw new Error(`time: missing unit in duration "${orig}"`);
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = DURATION_UNITS[unitName];
    if (unit === undefined) throw new Error(`time: unknown unit "${unitName}" in duration "${orig}"`);
    if (whole > INT64_MAX / unit) throw invalid();
    let v = whole * unit;
    if (frac > 0n) {
      // float64 arithmetic, exactly as the Go code does, to get the same rounding.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / scale)));
      if (v > INT64_MAX) throw invalid();
    }
    total += v;
    if (total > INT64_MAX) throw invalid();
  }
  return neg ? -total : total;
}

/** Nanoseconds as a number; precise up to about 104 days. Use parseDurationNs when exactness matters. */
export function parseDuration(input: string | number): number {
  return Number(parseDurationNs(input));
}

/** Formats nanoseconds exactly like Go's time.Duration.String(): `1m30s`, `500ms`, `1.5µs`, `0s`, `1h0m0s`. */
export function formatDuration(ns: number | bigint): string {
  let u = typeof ns === 'bigint' ? ns : BigInt(Math.trunc(ns));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return '0s';
    if (u < US) out = `${u}ns`;
    else if (u < MS) out = `${fraction(u, 3)}µs`;
    else out = `${fraction(u, 6)}ms`;
  } else {
    const secondsPart = fraction(u % MINUTE, 9);
    let minutes = u / MINUTE;
    out = `${secondsPart}s`;
    if (minutes > 0n) {
      const hours = minutes / 60n;
      minutes %= 60n;
      out = `${minutes}m${out}`;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `v / 10**prec` with trailing zeros (and a bare point) removed, as Go's fmtFrac + fmtInt print it. */
function fraction(v: bigint, prec: number): string {
  const div = 10n ** BigInt(prec);
  const whole = v / div;
  const rest = (v % div).toString().padStart(prec, '0').replace(/0+$/, '');
  return rest === '' ? `${whole}` : `${whole}.${rest}`;
}

/** Parses and re-prints a duration, the form in which `docker compose config` shows it (`90s` → `1m30s`). */
export function normalizeDuration(input: string | number): string {
  return formatDuration(parseDurationNs(input));
}

const BINARY_MULTIPLIERS: Record<string, number> = {
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};
const INT64_MIN = -(2 ** 63);

/**
 * A byte size as compose-go's UnitBytes.DecodeMapstructure takes it:
 * - a number only when YAML made it a Go int (an integer within int64); anything else (a float such as `1.5` or
 *   `1e300`, an integer beyond int64) leaves the field 0, i.e. unset — docker compose drops it silently. (A float
 *   with an integral value below 2^63, `1e3`, cannot be told from an integer here and is taken as it is.)
 * - a string: strconv.ParseInt(s, 10, 64), else go-units v0.5.0 RAMInBytes: the number is everything up to the
 *   last digit, dot or space (strconv.ParseFloat: `1e3`, `.5`, `5.`, `1_000`, `0x1p3`), then an optional
 *   case-insensitive b / k / m / g / t / p suffix (binary multipliers) with an optional `b` or `ib`; negative
 *   sizes are refused; the result is Go's int64(float) (NaN and overflow give -2^63 on amd64).
 */
export function parseBytes(v: string | number): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= INT64_MIN && v < 2 ** 63 ? v : 0;
  if (/^[+-]?[0-9]+$/.test(v)) {
    const n = BigInt(v);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return Number(n);
    // A JavaScript number cannot hold int64's bounds exactly: 2^63-1 becomes 2^63 and -2^63 prints as
    // -9223372036854776000, just outside int64. Digit strings that round to ±2^63 stand for the bound, so config
    // output reloads to the same value (docker compose would take 2^63..2^63+1023 as -2^63).
    if (Math.abs(Number(n)) === 2 ** 63) return Number(n);
  }
  let sep = -1;
  for (let i = v.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(v[i]!)) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${v}'`);
  const num = v[sep] === ' ' ? v.slice(0, sep) : v.slice(0, sep + 1);
  let sfx = v.slice(sep + 1);
  let size = goParseFloat(num);
  if (size < 0) throw new Error(`invalid size: '${v}'`);
  if (sfx.length === 0) return goInt64(size);
  const badSuffix = () => new Error(`invalid suffix: '${sfx}'`);
  if (Buffer.byteLength(sfx, 'utf8') > 3) throw badSuffix();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw badSuffix();
    return goInt64(size);
  }
  const mul = Object.hasOwn(BINARY_MULTIPLIERS, sfx[0]!) ? BINARY_MULTIPLIERS[sfx[0]!]! : undefined;
  if (mul === undefined) throw badSuffix();
  size *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw badSuffix();
  return goInt64(size);
}

/** Go's int64(f) on amd64: truncation; NaN and values outside int64 give -2^63. */
function goInt64(f: number): number {
  if (Number.isNaN(f) || f >= 2 ** 63 || f < INT64_MIN) return INT64_MIN;
  return Math.trunc(f) + 0;
}

const DEC = String.raw`[0-9](?:_?[0-9])*`;
const HEX = String.raw`[0-9a-fA-F](?:_?[0-9a-fA-F])*`;
const GO_DECIMAL = new RegExp(String.raw`^[+-]?(?:${DEC}(?:\.(?:${DEC})?)?|\.${DEC})(?:[eE][+-]?${DEC})?$`);
const GO_HEX = new RegExp(String.raw`^([+-]?)0[xX]_?(?:(${HEX})(?:\.(${HEX})?)?|\.(${HEX}))[pP]([+-]?${DEC})$`);

/** strconv.ParseFloat(s, 64): Go's float literal syntax (underscores between digits, hex with a p exponent), inf, nan. */
export function goParseFloat(s: string): number {
  const invalid = () => new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  let value: number;
  if (/^[+-]?(?:inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (GO_DECIMAL.test(s)) value = Number(s.replace(/_/g, ''));
  else {
    const m = GO_HEX.exec(s);
    if (!m) throw invalid();
    const int = (m[2] ?? '').replace(/_/g, '');
    const frac = (m[3] ?? m[4] ?? '').replace(/_/g, '');
    const mantissa = Number(BigInt(`0x${int}${frac}` === '0x' ? '0' : `0x${int}${frac}`));
    value = mantissa * 2 ** (Number(m[5]!.replace(/_/g, '')) - 4 * frac.length);
    if (m[1] === '-') value = -value;
  }
  if (!Number.isFinite(value)) throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  return value;
}

const TRUE_WORDS = new Set(['true', 'y', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'n', 'no', 'off']);

/**
 * The YAML 1.1 boolean table compose-go applies to boolean fields (case-insensitive). `legacy` is set for
 * spellings other than true/false so the caller can warn about them.
 */
export function parseBool(v: boolean | string): { value: boolean; legacy: boolean } {
  if (typeof v === 'boolean') return { value: v, legacy: false };
  const lower = v.toLowerCase();
  if (TRUE_WORDS.has(lower)) return { value: true, legacy: lower !== 'true' };
  if (FALSE_WORDS.has(lower)) return { value: false, legacy: lower !== 'false' };
  throw new Error(`invalid boolean: ${v}`);
}

/**
 * File modes: a number is used as is (the YAML reader already turned an unquoted `0440` into 0o440); a
 * string is parsed in base 8 like Go's strconv.ParseInt(s, 8, 64), so `"0440"` is 0o440.
 */
export function parseOctalMode(v: string | number): number {
  if (typeof v === 'number') return v;
  if (!/^[+-]?[0-7]+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return parseInt(v, 8);
}

/** Go's strconv.Atoi/ParseInt(s, 10, 64) for fields typed as integers in compose-go. */
export function parseInteger(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    return v;
  }
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** Go's strconv.ParseFloat (decimal forms) for fields typed as floats. */
export function parseFloatStrict(v: string | number): number {
  if (typeof v === 'number') return v;
  const n = v === '' || /\s|^[+-]?0[xob]/i.test(v) ? NaN : Number(v);
  if (Number.isNaN(n)) throw new Error(`strconv.ParseFloat: parsing "${v}": invalid syntax`);
  return n;
}

/**
 * Go's fmt.Sprint of a YAML scalar. Integers print plainly (go-yaml decodes them as int); other floats
 * use %g with the shortest precision, which switches to exponent form when the exponent is < -4 or >= 6.
 */
export function goSprint(v: string | number | boolean): string {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}
