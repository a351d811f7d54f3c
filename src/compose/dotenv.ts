// `.env` and `env_file` parsing, after compose-go dotenv/parser.go (the default format) and docker/cli
// pkg/kvfile (the `format: raw` that docker compose registers). Index-based, so a file is read in one
// pass without copying the rest of the input per statement (compose-go TestMemoryExplosion).
import { error } from '../model/diagnostics.js';
import { goQuote, InterpolationError, substitute, type Lookup, type Warn } from './interpolate.js';

export interface DotenvOptions {
  /** The file's path, for diagnostics. */
  file: string;
  /** Variables outside this file (OS env, then earlier files); consulted before this file's earlier lines. */
  lookup?: Lookup;
  /** Consulted after this file's earlier lines (the values of earlier env files, for project env files). */
  fallback?: Lookup;
  /** `format: raw`: `KEY=VALUE` lines taken as written, no unquoting, no interpolation. */
  raw?: boolean;
  /** Receives compose's "variable is not set" warnings raised while interpolating values. */
  warn?: Warn;
}

/** Parses one env file. Throws a DiagnosticError (`dotenv.syntax`, or `interpolate.*` for a bad `${...}`) with file and line. */
export function parseDotenv(text: string, options: DotenvOptions): Record<string, string> {
  const values = options.raw ? parseRaw(text, options) : new DotenvParser(text, options).parse();
  // fromEntries defines own properties, so even a key named `__proto__` survives.
  return Object.fromEntries(values);
}

/**
 * Parses env files in order; a later file overrides an earlier one. Interpolation in a file sees the OS
 * environment first, then the values of earlier files, then its own earlier lines (compose-go
 * dotenv/env.go GetEnvFromFile). The caller merges the result under the OS environment.
 */
export function parseEnvFiles(files: { path: string; text: string; raw?: boolean }[], osEnv: Record<string, string>, warn?: Warn): Record<string, string> {
  const merged = new Map<string, string>();
  const lookup: Lookup = (k) => (Object.hasOwn(osEnv, k) ? osEnv[k] : merged.get(k));
  for (const f of files) {
    const values = parseDotenv(f.text, { file: f.path, lookup, ...(f.raw ? { raw: true } : {}), ...(warn ? { warn } : {}) });
    for (const [k, v] of Object.entries(values)) merged.set(k, v);
  }
  return Object.fromEntries(merged);
}

const BOM = '\uFEFF';
const NL = 0x0a;
const BACKSLASH = 0x5c;

/** dotenv's isSpace: horizontal white space, never a line break. */
function isInlineSpace(c: number): boolean {
  return c === 0x09 || c === 0x0b || c === 0x0c || c === 0x0d || c === 0x20 || c === 0x85 || c === 0xa0;
}

/** Go regexp's `\s`: [\t\n\f\r ]. */
function isGoRegexpSpace(c: number): boolean {
  return c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
}

/** Go's unicode.IsSpace (JavaScript's \s differs: it has U+FEFF and lacks U+0085). */
function isUnicodeSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function trimRightUnicodeSpace(s: string): string {
  let e = s.length;
  while (e > 0 && isUnicodeSpace(s.charCodeAt(e - 1))) e--;
  return s.slice(0, e);
}

function trimLeftUnicodeSpace(s: string): string {
  let b = 0;
  while (b < s.length && isUnicodeSpace(s.charCodeAt(b))) b++;
  return s.slice(b);
}

// Key characters besides the separators: letters, numbers, `_ . - [ ]` (isValidKeyRune).
const NON_ASCII_KEY_CHAR = /^[\p{L}\p{N}]$/u;

function isKeyChar(cp: number): boolean {
  if (cp < 0x80) {
    return (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f || cp === 0x2e || cp === 0x2d || cp === 0x5b || cp === 0x5d;
  }
  return NON_ASCII_KEY_CHAR.test(String.fromCodePoint(cp));
}

// Escapes expanded in double-quoted values; `\0` takes up to three more digits (escapeSeqRegex).
const ESCAPE_SEQ = /\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})/g;
const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
};

function expandEscapes(value: string): string {
  return value.replace(ESCAPE_SEQ, (m) => {
    // `\$` becomes `$$` so that interpolation leaves a literal `$`.
    if (m === '\\$') return '$$';
    if (m.startsWith('\\0')) {
      // `\0ddd` is an octal byte; anything else (too few digits, not octal, > 255) stays as written.
      const digits = m.slice(2);
      if (digits.length === 3 && /^[0-7]{3}$/.test(digits)) {
        const code = parseInt(digits, 8);
        if (code <= 0xff) return String.fromCharCode(code);
      }
      return m;
    }
    return SIMPLE_ESCAPES[m[1]!] ?? m; // `\c` is matched but is no escape in Go
  });
}

class DotenvParser {
  private line = 1;
  private readonly out = new Map<string, string>();
  private readonly src: string;

  constructor(
    text: string,
    private readonly options: DotenvOptions,
  ) {
    // Editors on Windows may add a UTF-8 BOM; compose-go skips it.
    this.src = text.startsWith(BOM) ? text.slice(1) : text;
  }

  parse(): Map<string, string> {
    let p = this.statementStart(0);
    while (p >= 0) p = this.statementStart(this.statement(p));
    return this.out;
  }

  private fail(message: string, line: number): never {
    throw error('dotenv.syntax', message, { file: this.options.file, line });
  }

  /** Skips blank lines and `#` comments; returns where the next statement starts, or -1 at the end. */
  private statementStart(from: number): number {
    const s = this.src;
    let p = from;
    for (;;) {
      while (p < s.length && isUnicodeSpace(s.charCodeAt(p))) {
        if (s.charCodeAt(p) === NL) this.line++;
        p++;
      }
      if (p >= s.length) return -1;
      if (s[p] !== '#') return p;
      const nl = s.indexOf('\n', p);
      if (nl < 0) return -1;
      p = nl;
    }
  }

  /** Parses one `KEY=value`, `KEY: value` or bare `KEY` statement; returns the index after it. */
  private statement(start: number): number {
    const s = this.src;
    const entryLine = this.line;
    let p = start;
    // `export` followed by Go-regexp white space ([\t\n\f\r ]) is a prefix, not a key.
    if (s.startsWith('export', p) && isGoRegexpSpace(s.charCodeAt(p + 6))) {
      p += 6;
      while (p < s.length && isInlineSpace(s.charCodeAt(p))) p++;
    }

    // Scan to the separator. White space is skipped here and rejected below if it is a plain space.
    let keyEnd = -1;
    let inherited = false;
    for (let i = p; i < s.length; ) {
      const cp = s.codePointAt(i)!;
      if (cp === 0x3d || cp === 0x3a || cp === NL) {
        keyEnd = i;
        inherited = cp === NL;
        break;
      }
      if (!isInlineSpace(cp) && !isKeyChar(cp)) {
        const nl = s.indexOf('\n', p);
        const firstLine = s.slice(p, nl < 0 ? s.length : nl);
        this.fail(`unexpected character ${goQuote(String.fromCodePoint(cp))} in variable name ${goQuote(firstLine)}`, entryLine);
      }
      i += cp > 0xffff ? 2 : 1;
    }
    if (p >= s.length) this.fail('zero length string', entryLine);

    // compose-go quirk: a last line without separator or newline parses as key "" with the line as value.
    const rawKey = keyEnd < 0 ? '' : s.slice(p, keyEnd);
    let valueStart = keyEnd < 0 ? p : keyEnd + 1;
    if (inherited && !rawKey.includes(' ')) this.line++;
    const key = trimRightUnicodeSpace(rawKey);
    while (valueStart < s.length && isInlineSpace(s.charCodeAt(valueStart))) valueStart++;

    if (key.includes(' ')) this.fail('key cannot contain a space', entryLine);

    if (inherited) {
      // A bare KEY takes its value from outside the file only; unknown, it stays unset.
      const v = this.options.lookup?.(key);
      if (v !== undefined) this.out.set(key, v);
      return valueStart;
    }
    return this.value(key, valueStart, entryLine);
  }

  private value(key: string, start: number, entryLine: number): number {
    const s = this.src;
    const quote = s[start];
    if (quote !== '"' && quote !== "'") {
      // Unquoted: to the end of the line, cut at ` #` (a space is needed), trimmed, then interpolated.
      const nl = s.indexOf('\n', start);
      let text = s.slice(start, nl < 0 ? s.length : nl);
      this.line++;
      const hash = text.indexOf(' #');
      if (hash >= 0) text = text.slice(0, hash);
      this.out.set(key, this.interpolate(trimRightUnicodeSpace(text), entryLine));
      return nl < 0 ? s.length : nl + 1;
    }

    // Quoted: may span lines. A backslash before the quote drops out; any other backslash is kept
    // here (double quotes expand escapes next). Whatever follows the closing quote is parsed as the
    // next statement, which is how a trailing ` # comment` is skipped.
    const q = quote.charCodeAt(0);
    let text = '';
    let run = start + 1;
    for (let i = start + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === NL) this.line++;
      if (c === BACKSLASH) {
        if (i + 1 >= s.length) break;
        const next = s.charCodeAt(i + 1);
        if (next === NL) this.line++;
        text += s.slice(run, i) + (next === q ? quote : s.slice(i, i + 2));
        i++;
        run = i + 1;
        continue;
      }
      if (c === q) {
        text += s.slice(run, i);
        this.out.set(key, quote === '"' ? this.interpolate(expandEscapes(text), entryLine) : text);
        return i + 1;
      }
    }
    const nl = s.indexOf('\n', start);
    this.fail(`unterminated quoted value ${s.slice(start, nl < 0 ? s.length : nl)}`, entryLine);
  }

  /** Interpolates a value: the outside lookup wins, then values from earlier lines of this file. */
  private interpolate(value: string, entryLine: number): string {
    if (!value.includes('$')) return value;
    const outside = this.options.lookup;
    const fallback = this.options.fallback;
    const lookup: Lookup = (k) => outside?.(k) ?? this.out.get(k) ?? fallback?.(k);
    try {
      return substitute(value, lookup, this.options.warn);
    } catch (e) {
      if (e instanceof InterpolationError) {
        throw error(e.kind === 'required' ? 'interpolate.required' : 'interpolate.invalid', e.message, { file: this.options.file, line: entryLine });
      }
      throw e;
    }
  }
}

/**
 * `format: raw`, the docker/cli key/value file: one `KEY=VALUE` per line, leading white space dropped,
 * `#` lines and blank lines skipped, the value kept verbatim; a bare `KEY` is taken from the lookup.
 */
function parseRaw(text: string, options: DotenvOptions): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    let line = lines[n]!;
    if (line.endsWith('\r')) line = line.slice(0, -1); // bufio.ScanLines drops one CR
    if (n === 0 && line.startsWith(BOM)) line = line.slice(1);
    line = trimLeftUnicodeSpace(line);
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const at = { file: options.file, line: n + 1 };
    if (key === '') throw error('dotenv.syntax', `no variable name on line '${line}'`, at);
    if (/[ \t]/.test(key)) throw error('dotenv.syntax', `variable '${key}' contains whitespaces`, at);
    if (eq >= 0) {
      out.set(key, line.slice(eq + 1));
    } else {
      const v = options.lookup?.(key);
      if (v !== undefined) out.set(key, v);
    }
  }
  return out;
}
