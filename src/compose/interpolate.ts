// Compose variable interpolation (`$VAR`, `${VAR:-default}`, ...), hand-written after compose-go
// template/template.go. compose-go finds an expression with a regex whose `.*` runs greedily to the
// last `}` of the line, then cuts that match after its first balanced `}` and substitutes the rest
// as a separate template. The scanner below reproduces what that combination does on every input,
// quirks included, because `docker compose` is the reference: a file must interpolate as it does there.

export type Lookup = (name: string) => string | undefined;
export type Warn = (message: string) => void;

type Operator = ':-' | '-' | ':+' | '+' | ':?' | '?';

/** A template compose rejects (`kind: 'invalid'`) or a `${VAR:?err}` / `${VAR?err}` whose variable is missing. */
export class InterpolationError extends Error {
  readonly kind: 'invalid' | 'required';
  /** The variable of a failed `?`/`:?` expression. */
  readonly variable?: string;
  /** The interpolated error text of a `?`/`:?` expression ("" when none was given). */
  readonly reason?: string;
  /**
   * For `invalid`: the template compose quotes in its message. That is the template being scanned when
   * the bad `${` was met, which for a nested default or the text after a `${VAR:-...}` is only a fragment.
   */
  readonly template?: string;

  private constructor(kind: 'invalid' | 'required', message: string, fields: { variable?: string; reason?: string; template?: string }) {
    super(message);
    this.name = 'InterpolationError';
    this.kind = kind;
    if (fields.variable !== undefined) this.variable = fields.variable;
    if (fields.reason !== undefined) this.reason = fields.reason;
    if (fields.template !== undefined) this.template = fields.template;
  }

  static invalid(template: string): InterpolationError {
    return new InterpolationError('invalid', `Invalid template: ${goQuote(template)}`, { template });
  }

  static required(variable: string, reason: string): InterpolationError {
    const message = reason === '' ? `required variable ${variable} is missing a value` : `required variable ${variable} is missing a value: ${reason}`;
    return new InterpolationError('required', message, { variable, reason });
  }
}

/** compose's user-facing text for an interpolation failure of the value `template` at `path` (interpolation/interpolation.go). */
export function formatInterpolationError(path: string, template: string, err: InterpolationError): string {
  if (err.kind === 'invalid') {
    return `invalid interpolation format for ${path}.\nYou may need to escape any $ with another $.\n${err.template ?? template}`;
  }
  return `error while interpolating ${path}: ${err.message}`;
}

/**
 * Substitutes variables in `template`. `lookup` returns undefined for an unset variable. `warn` receives
 * compose's "not set" warning for each unset `$VAR` / `${VAR}` actually evaluated. Throws InterpolationError.
 */
export function substitute(template: string, lookup: Lookup, warn?: Warn): string {
  return run(template, { lookup, ...(warn ? { warn } : {}) });
}

interface Ctx {
  lookup: Lookup;
  warn?: Warn;
}

const DOLLAR = 0x24;
const LBRACE = 0x7b;
const RBRACE = 0x7d;

// compose-go matches names with `(?i:[_a-z][_a-z0-9]*)`. Go's case folding also maps `s` to U+017F (ſ)
// and `k` to U+212A (Kelvin sign), so those two count as letters too.
function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x17f || c === 0x212a;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function nameEnd(s: string, from: number): number {
  let e = from;
  while (e < s.length && isNameChar(s.charCodeAt(e))) e++;
  return e;
}

/** The operator right after a variable name, if any. `:` must be followed by `-`, `+` or `?`. */
function operatorAt(s: string, i: number): Operator | undefined {
  const c = s[i];
  if (c === ':') {
    const d = s[i + 1];
    return d === '-' || d === '+' || d === '?' ? (`:${d}` as Operator) : undefined;
  }
  return c === '-' || c === '+' || c === '?' ? c : undefined;
}

/**
 * compose-go getFirstBraceClosingIndex over s[from, to): every `{` opens (and the character after it is
 * skipped, so `{}` never closes), every `}` closes; returns the index of the `}` that balances, or -1.
 */
function firstBalancedClose(s: string, from: number, to: number): number {
  let open = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === RBRACE) {
      open--;
      if (open === 0) return i;
    } else if (c === LBRACE) {
      open++;
      i++;
    }
  }
  return -1;
}

/** One braced or bare `$` expression found by the scanner. */
type Match =
  | { kind: 'escaped'; end: number }
  | { kind: 'literal'; end: number } // a `$` that starts nothing
  | { kind: 'invalid' }
  | { kind: 'plain'; name: string; end: number }
  // `${NAME op body}` closes with the `}` at headEnd-1; [headEnd, sEnd) is substituted as a template of its own.
  | { kind: 'operator'; name: string; op: Operator; body: string; headEnd: number; sEnd: number };

/** Finds ends of lines and their last `}` once per line, so scanning stays linear. */
class LineBraces {
  private lineEnd = -1;
  private lastBrace = -1;
  constructor(private readonly s: string) {}

  /** The last `}` at or after `from` and before the next newline (Go's `.` never matches `\n`); -1 if none. */
  lastCloseFrom(from: number): number {
    if (from > this.lineEnd) {
      const nl = this.s.indexOf('\n', from);
      this.lineEnd = nl < 0 ? this.s.length : nl;
      this.lastBrace = this.s.lastIndexOf('}', this.lineEnd - 1);
    }
    return this.lastBrace >= from ? this.lastBrace : -1;
  }
}

function matchAt(s: string, d: number, lines: LineBraces): Match {
  const c = s.charCodeAt(d + 1);
  if (c === DOLLAR) return { kind: 'escaped', end: d + 2 };
  if (isNameStart(c)) {
    const end = nameEnd(s, d + 2);
    return { kind: 'plain', name: s.slice(d + 1, end), end };
  }
  if (c !== LBRACE) return { kind: 'literal', end: d + 1 };

  if (!isNameStart(s.charCodeAt(d + 2))) return { kind: 'invalid' };
  const e = nameEnd(s, d + 3);
  const name = s.slice(d + 2, e);
  if (s.charCodeAt(e) === RBRACE) return { kind: 'plain', name, end: e + 1 };
  const op = operatorAt(s, e);
  if (!op) return { kind: 'invalid' };
  const bodyStart = e + op.length;
  const last = lines.lastCloseFrom(bodyStart);
  if (last < 0) return { kind: 'invalid' };
  const sEnd = last + 1;
  const close = firstBalancedClose(s, d, sEnd);
  const headEnd = close >= 0 ? close + 1 : sEnd;
  return { kind: 'operator', name, op, body: s.slice(bodyStart, headEnd - 1), headEnd, sEnd };
}

function run(template: string, ctx: Ctx): string {
  const lines = new LineBraces(template);
  let out = '';
  let i = 0;
  // After `${X op ...}`, compose substitutes the rest of the greedy match as a template of its own, so
  // an invalid `${` found there is reported with that fragment: [restStart, restEnd).
  let restStart = 0;
  let restEnd = -1;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    if (restEnd >= 0 && d >= restEnd) restEnd = -1;
    const m = matchAt(template, d, lines);
    switch (m.kind) {
      case 'escaped':
      case 'literal':
        out += '$';
        i = m.end;
        break;
      case 'invalid':
        throw InterpolationError.invalid(restEnd >= 0 ? template.slice(restStart, restEnd) : template);
      case 'plain':
        out += plainValue(m.name, ctx);
        i = m.end;
        break;
      case 'operator':
        out += applyOperator(m.name, m.op, m.body, ctx);
        if (m.headEnd < m.sEnd) {
          restStart = m.headEnd;
          restEnd = m.sEnd;
        }
        i = m.headEnd;
        break;
    }
  }
  return out;
}

function plainValue(name: string, ctx: Ctx): string {
  const v = ctx.lookup(name);
  if (v === undefined) ctx.warn?.(`The "${name}" variable is not set. Defaulting to a blank string.`);
  return v ?? '';
}

// Only the branch that is used is substituted, so an unused default never warns or fails.
function applyOperator(name: string, op: Operator, body: string, ctx: Ctx): string {
  const v = ctx.lookup(name);
  const unset = v === undefined;
  const empty = unset || v === '';
  switch (op) {
    case ':-':
      return empty ? run(body, ctx) : v!;
    case '-':
      return unset ? run(body, ctx) : v!;
    case ':+':
      return empty ? (v ?? '') : run(body, ctx);
    case '+':
      return unset ? '' : run(body, ctx);
    case ':?':
      if (empty) throw InterpolationError.required(name, run(body, ctx));
      return v!;
    case '?':
      if (unset) throw InterpolationError.required(name, run(body, ctx));
      return v!;
  }
}

export interface TemplateVariable {
  name: string;
  /** The text after `:-` or `-`, uninterpolated. */
  defaultValue?: string;
  /** The text after `:+` or `+`, uninterpolated. */
  presenceValue?: string;
  /** True when some occurrence uses `:?` or `?`. */
  required: boolean;
}

/**
 * The variables a template refers to, like compose-go template/variables.go (ExtractVariables): one entry
 * per name; required if any occurrence is, default and presence values from the first occurrence that
 * has one. Variables inside defaults, alternates and error texts are included. Invalid parts are skipped.
 */
export function extractVariables(template: string): TemplateVariable[] {
  const found: TemplateVariable[] = [];
  collectVariables(template, found);
  const byName = new Map<string, TemplateVariable>();
  for (const v of found) {
    const seen = byName.get(v.name);
    if (!seen) {
      byName.set(v.name, { ...v });
      continue;
    }
    seen.required ||= v.required;
    if (seen.defaultValue === undefined && v.defaultValue !== undefined) seen.defaultValue = v.defaultValue;
    if (seen.presenceValue === undefined && v.presenceValue !== undefined) seen.presenceValue = v.presenceValue;
  }
  return [...byName.values()];
}

// In textual order (compose-go happens to list the variables after an expression first), so "the
// first occurrence" is the first one written. Nested texts are scanned after their expression.
function collectVariables(template: string, out: TemplateVariable[]): void {
  const lines = new LineBraces(template);
  let i = 0;
  for (;;) {
    const d = template.indexOf('$', i);
    if (d < 0) return;
    const m = matchAt(template, d, lines);
    switch (m.kind) {
      case 'escaped':
      case 'literal':
        i = m.end;
        break;
      case 'invalid':
        i = d + 2;
        break;
      case 'plain':
        out.push({ name: m.name, required: false });
        i = m.end;
        break;
      case 'operator': {
        const v: TemplateVariable = { name: m.name, required: m.op.endsWith('?') };
        if (m.op.endsWith('-')) v.defaultValue = m.body;
        if (m.op.endsWith('+')) v.presenceValue = m.body;
        out.push(v);
        collectVariables(m.body, out);
        i = m.headEnd;
        break;
      }
    }
  }
}

/** Go's strconv.Quote (the `%q` / `%#v` of a string), used where compose quotes user text in messages. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const named = GO_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'; // a lone surrogate is not valid UTF-8
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

const GO_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
