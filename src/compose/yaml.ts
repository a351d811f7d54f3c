// Reads a Compose YAML file into plain JS values while keeping where every path was written.
// We walk the `yaml` package's node tree ourselves (instead of toJS) to reproduce compose-go's rules:
// non-string keys are errors, `!reset`/`!override` become markers, unquoted `0440` is octal, merge keys
// follow YAML's precedence, and alias expansion is bounded so a "billion laughs" file fails fast.
import {
  Alias,
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  Scalar,
  YAMLMap,
  YAMLSeq,
  visit,
  type Node as YamlNode,
  type Document,
} from 'yaml';
import { error, type Diagnostic } from '../model/diagnostics.js';
import type { SourceLocation } from '../model/project.js';
import { OverrideTag, ResetTag } from './tags.js';
import { fastParseCompose, withMergedKeys } from './yaml-fast.js';

/** Files larger than this are refused before parsing (documented in the README's limits). */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Nodes produced through aliases; a legitimate file stays far below, an alias bomb hits it at once. */
export const MAX_ALIAS_EXPANSION = 500_000;
/**
 * Nesting deeper than this is refused rather than risking the stack: every later stage (interpolation, merge,
 * schema validation, canonical forms, lowering, printing) recurses over the tree, and around 700 levels some of
 * them overflowed. The YAML parser itself gives up near 800 levels; that is reported as the same error.
 */
export const MAX_DEPTH = 250;

export interface ParsedFile {
  file: string;
  /** One plain-JS value per YAML document (multi-document files merge like override files). */
  documents: unknown[];
  /** Compose path -> position, for the whole file (later documents win for a shared path). */
  locations: Map<string, SourceLocation>;
}

export function parseComposeYaml(text: string, file: string): ParsedFile {
  if (Buffer.byteLength(text, 'utf8') > MAX_FILE_BYTES) {
    throw error('yaml.too-large', `file is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB; refusing to parse it`, { file });
  }
  if (text.includes('\u0000')) {
    throw error('yaml.binary', 'file is not text (it contains NUL bytes)', { file, line: lineOfOffset(text, text.indexOf('\u0000')) });
  }
  text = goLineBreaks(text);
  // Most files are plain block YAML, which yaml-fast.ts reads directly with the same result; anything else (and
  // every error) goes through the `yaml` package below.
  const fast = fastParseCompose(text, file, resolvePlain);
  if (fast) return { file, ...fast };
  return parseWithLibrary(text, file);
}

const GO_BREAKS = /[\u0085\u2028\u2029]/;

/**
 * go-yaml (YAML 1.1, docker compose's parser) reads NEL (U+0085), LS (U+2028) and PS (U+2029) as line breaks; the
 * `yaml` package (YAML 1.2) reads them as ordinary characters, so a raw LS could make a key docker compose never
 * sees (`  <LS>: x` is a syntax error there). Outside quoted scalars they become `\n` here (one character for one:
 * offsets stay, and lines are counted as docker compose counts them). Inside quoted scalars they are left alone:
 * go-yaml keeps LS and PS in the value (the `yaml` package folds them to a space) and drops NEL; inside block
 * scalars go-yaml keeps an LS of the text where this makes it `\n`. Both are rarer than a scanner of our own is
 * worth; they are listed in docs/front-end.md.
 */
export function goLineBreaks(text: string): string {
  if (!GO_BREAKS.test(text)) return text;
  const quoted: [number, number][] = [];
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === CST.DOCUMENT || token === CST.FLOW_END || token === CST.SCALAR) continue;
    if (token[0] === '"' || token[0] === "'") quoted.push([offset, offset + token.length]);
    offset += token.length;
  }
  // The lexer's tokens cover the text exactly; if they ever did not, treat every character as outside quotes.
  if (offset !== text.length) quoted.length = 0;
  let q = 0;
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x85 && c !== 0x2028 && c !== 0x2029) continue;
    while (q < quoted.length && quoted[q]![1] <= i) q++;
    if (q < quoted.length && quoted[q]![0] <= i) continue;
    out += text.slice(last, i) + '\n';
    last = i + 1;
  }
  return out + text.slice(last);
}

/** @internal The `yaml` package's reading of a file (what the fast reader must match; see yaml-fast.ts). */
export function parseWithLibrary(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(text, { lineCounter, ...PARSE_OPTIONS });
  } catch (e) {
    if (e instanceof RangeError) throw error('yaml.too-deep', `nesting deeper than ${MAX_DEPTH} levels`, { file, line: 1 });
    throw e;
  }
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [docs as unknown as Document.Parsed];
  const locations = new Map<string, SourceLocation>();
  const documents: unknown[] = [];
  // go-yaml keeps anchors from one document to the next in a stream; the `yaml` package scopes them per document.
  const earlierAnchors = new Map<string, YamlNode>();
  for (const doc of list) {
    if (doc.errors.length > 0) throw yamlSyntaxError(doc.errors[0]!, file, lineCounter);
    const reader = new NodeReader(doc, file, lineCounter, locations, earlierAnchors);
    const value = reader.read(doc.contents as YamlNode | null, '', 0);
    // compose-go ignores documents that hold nothing (e.g. a trailing `---`).
    if (value === null || value === undefined) continue;
    documents.push(value);
    // Only a later document of this file can use the anchors.
    if (doc === list[list.length - 1]) continue;
    visit(doc, {
      Node: (_key, node) => {
        const anchor = (node as { anchor?: string }).anchor;
        if (anchor && !isAlias(node)) earlierAnchors.set(anchor, node as YamlNode);
      },
    });
  }
  return { file, documents, locations };
}

const PARSE_OPTIONS = { merge: true, uniqueKeys: false, prettyErrors: false, strict: false } as const;

interface ScalarTag {
  default?: boolean | 'key';
  test?: RegExp;
  resolve(source: string, onError: (message: string) => void, options: object): unknown;
}
let schema: { tags: ScalarTag[]; options: object } | undefined;

/**
 * A plain scalar's value exactly as the library composes it (the first schema tag whose test matches, else a string)
 * and NodeReader then reads it (scalarValue). Used by yaml-fast.ts.
 */
export function resolvePlain(source: string, atKey: boolean): unknown {
  const common = commonPlainValue(source);
  if (common !== undefined) return common;
  if (!schema) {
    const doc = parseDocument('', PARSE_OPTIONS);
    schema = { tags: (doc.schema as unknown as { tags: ScalarTag[] }).tags, options: doc.options };
  }
  const tag = schema.tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(source));
  let value: unknown = source;
  if (tag) {
    let failed = false;
    value = tag.resolve(source, () => (failed = true), schema.options);
    // Null and booleans resolve to a node holding the value, which the library unwraps the same way.
    if (isScalar(value)) value = value.value;
    // A resolve error, the merge key (a symbol) or another node: the library path handles it.
    if (failed || (value !== null && typeof value === 'object') || typeof value === 'symbol') return undefined;
  }
  return scalarValue({ value, type: 'PLAIN', source } as Scalar);
}

/**
 * First characters of the plain scalars the core schema does not read as strings: null `~`, the merge key `<<`, and
 * numbers (with `.inf` and `.nan`), which go-yaml's timestamps also start like. The other non-strings are the null and
 * boolean words below.
 */
const NUMBER_STARTS = '0123456789+-.';
const NULL_AND_BOOLEAN_WORDS = new Map<string, null | boolean>([
  ['null', null], ['Null', null], ['NULL', null],
  ['true', true], ['True', true], ['TRUE', true],
  ['false', false], ['False', false], ['FALSE', false],
]);
/** A character that no core-schema number (decimal, 0o, 0x, float, .inf, .nan) nor go-yaml timestamp holds. */
const NOT_IN_NUMBERS = /[^0-9a-fA-F+\-.: inoxINTtZ]/;

/**
 * The value of the commonest plain scalars, as the schema and scalarValue give it, without the schema's regexes (and,
 * in a small project, without building the schema at all); undefined for the others.
 */
function commonPlainValue(source: string): unknown {
  if (isCertainlyString(source)) return source;
  if (isSmallDecimal(source)) return Number(source);
  return NULL_AND_BOOLEAN_WORDS.get(source);
}

/** Digits without a leading zero (which go-yaml reads as octal), few enough to be an exact number. */
function isSmallDecimal(source: string): boolean {
  if (source.length === 0 || source.length > 15 || (source.charCodeAt(0) === 48 /* 0 */ && source.length > 1)) return false;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Most plain scalars are strings, known here without running the schema's regexes: names, images and paths by their
 * first character, and sizes and durations such as `256M` or `10s` by a character no number has.
 */
function isCertainlyString(source: string): boolean {
  if (source === '') return false;
  const first = source[0]!;
  if (first === '~' || first === '<') return false;
  if (NUMBER_STARTS.includes(first)) return NOT_IN_NUMBERS.test(source);
  return (source.length !== 4 && source.length !== 5) || !NULL_AND_BOOLEAN_WORDS.has(source);
}

function yamlSyntaxError(e: { message: string; linePos?: [{ line: number; col: number }, ...unknown[]]; pos: [number, number]; code?: string }, file: string, lc: LineCounter): never {
  const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
  const firstLine = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // The parser runs out of stack near 800 levels of nesting and reports it as an error at that place.
  if (/Maximum call stack size exceeded/.test(firstLine)) throw error('yaml.too-deep', `nesting deeper than ${MAX_DEPTH} levels`, { file, line: pos.line, column: pos.col });
  const code = e.code === 'DUPLICATE_KEY' ? 'yaml.duplicate-key' : 'yaml.syntax';
  throw error(code, firstLine, { file, line: pos.line, column: pos.col });
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Formats a path segment the way diagnostics print compose paths: `a.b[1].c`. */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

class NodeReader {
  private aliasBudget = MAX_ALIAS_EXPANSION;
  private aliasDepth = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly file: string,
    private readonly lc: LineCounter,
    private readonly locations: Map<string, SourceLocation>,
    private readonly earlierAnchors: Map<string, YamlNode> = new Map(),
  ) {}

  read(node: YamlNode | null | undefined, path: string, depth: number): unknown {
    if (node === null || node === undefined) return null;
    if (depth > MAX_DEPTH) this.fail('yaml.too-deep', `nesting deeper than ${MAX_DEPTH} levels`, node, path);
    if (this.aliasDepth > 0 && --this.aliasBudget < 0) {
      this.fail('yaml.alias-bomb', `too many alias expansions (more than ${MAX_ALIAS_EXPANSION} nodes); is this an alias bomb?`, node, path);
    }
    // Inside an alias expansion, diagnostics point at the alias itself (its parent path), so skip marking.
    if (path !== '' && this.aliasDepth === 0 && !this.locations.has(path)) this.mark(path, node);
    const tag = (node as { tag?: string }).tag;
    if (tag === '!reset') return new ResetTag();
    if (tag === '!override') return new OverrideTag(this.readUntagged(node, path, depth));
    return this.readUntagged(node, path, depth);
  }

  private readUntagged(node: YamlNode, path: string, depth: number): unknown {
    if (isAlias(node)) return this.readAlias(node, path, depth);
    if (isScalar(node)) {
      const v = scalarValue(node);
      return v !== null && typeof v === 'object' ? this.taggedScalar(node, v, path) : v;
    }
    if (isSeq(node)) return this.readSeq(node, path, depth);
    if (isMap(node)) return this.readMap(node, path, depth);
    this.fail('yaml.unsupported', 'unsupported YAML node', node, path);
  }

  /**
   * Explicit YAML 1.1 tags the `yaml` package turns into objects: go-yaml makes `!!binary` the decoded string (an
   * invalid one is an error) and `!!timestamp` a time.Time. (A Buffer left as is was spread into a mapping later.)
   */
  private taggedScalar(node: Scalar, value: object, path: string): unknown {
    const source = String(node.source ?? '');
    if (value instanceof Uint8Array) {
      const decoded = goBase64(source);
      if (decoded === undefined) this.fail('yaml.binary-invalid', '!!binary value contains invalid base64 data', node, path);
      return decoded;
    }
    if (value instanceof Date) {
      const t = goTimestamp(source);
      if (t !== undefined) return t;
    }
    this.fail('yaml.unsupported', `unsupported value for the tag ${node.tag ?? '(none)'}`, node, path);
  }

  private readAlias(node: Alias, path: string, depth: number): unknown {
    const target = this.resolveAlias(node);
    this.aliasDepth++;
    try {
      return this.read(target, path, depth + 1);
    } finally {
      this.aliasDepth--;
    }
  }

  private readonly resolved = new Map<Alias, YamlNode | undefined>();

  private resolveAlias(node: Alias): YamlNode {
    // Alias.resolve walks the document, so cache it: an alias bomb reuses the same few aliases.
    if (!this.resolved.has(node)) this.resolved.set(node, (node.resolve(this.doc) as YamlNode | undefined) ?? this.earlierAnchors.get(node.source));
    const target = this.resolved.get(node);
    if (!target) this.fail('yaml.unknown-anchor', `unknown anchor "${node.source}" referenced`, node, '');
    return target;
  }

  private readSeq(node: YAMLSeq, path: string, depth: number): unknown[] {
    const out: unknown[] = [];
    node.items.forEach((item, i) => {
      out.push(this.read(item as YamlNode, joinPath(path, i), depth + 1));
    });
    return out;
  }

  private readMap(node: YAMLMap, path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merged: Record<string, unknown>[] = [];
    // Duplicate keys are checked here (not by the parser) to give go-yaml's message with both lines.
    const firstLine = new Map<string, number>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        // `<<: *a` or `<<: [*a, *b]`: earlier maps win over later ones, explicit keys over all.
        merged.push(...this.readMergeSources(pair.value as YamlNode, path, depth));
        continue;
      }
      const key = this.keyOf(keyNode, path);
      // A `__proto__` key would set the prototype of the plain object it lands in (and vanish) here and in
      // every later merge: refuse it rather than silently dropping a service or inheriting its fields.
      if (key === '__proto__') this.fail('yaml.reserved-key', 'the key "__proto__" is not supported', keyNode, path);
      const line = this.lineOf(keyNode);
      const seen = firstLine.get(key);
      if (seen !== undefined) {
        this.fail('yaml.duplicate-key', `mapping key ${JSON.stringify(key)} already defined at line ${seen}`, keyNode, joinPath(path, key));
      }
      firstLine.set(key, line ?? 0);
      const childPath = joinPath(path, key);
      if (keyNode && this.aliasDepth === 0) this.mark(childPath, keyNode);
      out[key] = this.read(pair.value as YamlNode | null, childPath, depth + 1);
    }
    return merged.length === 0 ? out : withMergedKeys(out, merged);
  }

  private readMergeSources(value: YamlNode, path: string, depth: number): Record<string, unknown>[] {
    const sources = isSeq(value) ? (value.items as YamlNode[]) : [value];
    return sources.map((s) => {
      const v = this.read(s, '', depth + 1);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        this.fail('yaml.merge', 'merge key `<<` must reference a mapping or a list of mappings', s, path);
      }
      return v as Record<string, unknown>;
    });
  }

  private keyOf(keyNode: YamlNode | null, path: string): string {
    if (isScalar(keyNode) && typeof keyNode.value === 'string') return keyNode.value;
    const where = path === '' ? 'at top level' : `in ${path}`;
    const shown = isScalar(keyNode) ? String(scalarValue(keyNode)) : 'a collection';
    this.fail('yaml.non-string-key', `non-string key ${where}: ${shown}`, keyNode, path);
  }

  private lineOf(node: YamlNode | null): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lc.linePos(range[0]).line : undefined;
  }

  private mark(path: string, node: YamlNode): void {
    const range = (node as { range?: [number, number, number] }).range;
    if (!range) return;
    const pos = this.lc.linePos(range[0]);
    this.locations.set(path, { file: this.file, line: pos.line, column: pos.col });
  }

  private fail(code: string, message: string, node: YamlNode | null | undefined, path: string): never {
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    const pos = range ? this.lc.linePos(range[0]) : undefined;
    const d: Partial<Diagnostic> = { file: this.file, line: pos?.line, column: pos?.col };
    if (path) d.path = path;
    throw error(code, message, d);
  }
}

/** Go's base64.StdEncoding.DecodeString: padding required, `\r` and `\n` ignored, nothing else; undefined if invalid. */
function goBase64(text: string): string | undefined {
  const t = text.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined;
  return Buffer.from(t, 'base64').toString('utf8');
}

/**
 * Plain scalars the way go-yaml v4 resolves them where the YAML 1.2 core schema differs: an unquoted `0440` is
 * octal; an integer beyond 2^53 keeps its digits (Go holds it in an int64/uint64); and a YAML 1.1 timestamp
 * becomes a Go time.Time, which compose prints with Time.String() wherever it wants a string.
 */
function scalarValue(node: Scalar): unknown {
  const v = node.value;
  if (node.type !== 'PLAIN' || typeof node.source !== 'string') return v;
  const src = node.source;
  if (typeof v === 'number' && /^[-+]?0[0-7]+$/.test(src)) return parseInt(src, 8);
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v) && /^[-+]?[0-9]+$/.test(src)) {
    const big = BigInt(src);
    if (big >= -(2n ** 63n) && big < 2n ** 64n) return big.toString();
  }
  if (typeof v === 'string') {
    const t = goTimestamp(src);
    if (t !== undefined) return t;
  }
  return v;
}

/**
 * go-yaml's parseTimestamp (formats `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
 * `2006-1-2 15:4:5.999999999` and `2006-1-2`), rendered like Go's Time.String() with the local zone taken as UTC.
 */
export function goTimestamp(s: string): string | undefined {
  // Every format starts with `dddd-`: most strings are rejected here, before the regex.
  if (s.charCodeAt(4) !== 45 /* - */) return undefined;
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, sep, h, mi, sec, frac, zone] = m;
  if (sep !== undefined && (sep === ' ') !== (zone === undefined)) return undefined;
  const nums = [y, mo, d, h ?? '0', mi ?? '0', sec ?? '0'].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = nums;
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate() || hour > 23 || minute > 59 || second > 59) return undefined;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const fraction = frac ? `.${frac}`.replace(/0+$/, '').replace(/\.$/, '') : '';
  let offset = 0;
  if (zone && zone !== 'Z') offset = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const off = `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  const name = offset === 0 ? 'UTC' : off;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}${fraction} ${off} ${name}`;
}
