// A direct writer for the JSON-like trees we emit, producing exactly what
// `stringify(value, { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false })` of the `yaml`
// package produces, without building its node tree (the library spends most of `convert` on large projects there).
//
// It only handles what it can reproduce with certainty: plain objects and arrays, finite numbers, booleans, strings
// of printable ASCII, and multi-line values of printable ASCII, tabs and newlines (block literals: config files and
// scripts in ConfigMaps). Anything else in a document (null, undefined in an array, a Buffer, non-ASCII text,
// multi-line keys, `|+` blocks, very long keys, `<<`, text starting with a document marker) makes that whole document
// go through the library instead, so the output is always the library's. test/emit/yaml-writer.test.ts compares them.

import { Document, stringify } from 'yaml';

export const KUBE_YAML_OPTIONS = { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false } as const;

/** Thrown inside the writer when the library must write the document. */
const FALLBACK = Symbol('fallback');

/** Non-empty printable ASCII, and not starting with a document marker (the library treats those by context). */
const SIMPLE = /^(?!---|\.\.\.)[\x20-\x7e]+$/;
/** The library's test for text that cannot be a plain scalar (stringifyString.js plainString). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

let implicitType: RegExp | undefined;
/**
 * One test for every YAML 1.1 scalar type a plain string could be read as (bool, int, float, null, timestamp, ...):
 * the library's tests as alternatives of one expression, a single match instead of one per type.
 */
function readsAsImplicitType(s: string): boolean {
  if (!implicitType) {
    const schema = new Document(null, KUBE_YAML_OPTIONS).schema as unknown as {
      tags: { default?: unknown; tag: string; test?: RegExp }[];
      compat?: { default?: unknown; tag: string; test?: RegExp }[] | null;
    };
    const tests = [...schema.tags, ...(schema.compat ?? [])]
      .filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test)
      .map((t) => t.test!);
    // Flags could not carry over into the combined expression.
    if (tests.some((t) => t.flags)) throw new Error('yaml-writer: a YAML 1.1 type test has flags');
    implicitType = new RegExp(tests.map((t) => `(?:${t.source})`).join('|'));
  }
  return implicitType.test(s);
}

const plainCache = new Map<string, string>();

function str(s: string): string {
  const cached = plainCache.get(s);
  if (cached !== undefined) return cached;
  // `<<` becomes the library's merge-key node, written by its own rules.
  if (!SIMPLE.test(s) || s === '<<') throw FALLBACK;
  let out: string;
  if (!NOT_PLAIN.test(s) && !readsAsImplicitType(s)) out = s;
  // quotedString: single quotes only when the text has double quotes and no single ones.
  else if (s.includes('"') && !s.includes("'")) out = `'${s}'`;
  else out = JSON.stringify(s);
  if (plainCache.size < 100_000) plainCache.set(s, out);
  return out;
}

/** Multi-line text the block writer below takes: printable ASCII, tabs and newlines. */
const MULTILINE = /^[\x20-\x7e\t\n]*\n[\x20-\x7e\t\n]*$/;
/** The library's test for newlines inside a block's trailing whitespace that need indenting. */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/**
 * A multi-line value as the library writes it with lineWidth 0 at `indent` (stringifyString.js blockString, literal
 * style, its steps in its order). Text it would quote, and `|+` (which changes how the library ends the collection),
 * go to the library.
 */
function blockLiteral(value: string, indent: string): string {
  if (/\n[\t ]+$/.test(value)) throw FALLBACK;
  let endStart: number;
  for (endStart = value.length; endStart > 0; --endStart) {
    const ch = value[endStart - 1];
    if (ch !== '\n' && ch !== '\t' && ch !== ' ') break;
  }
  let end = value.substring(endStart);
  const endNlPos = end.indexOf('\n');
  let chomp: string;
  if (endNlPos === -1) chomp = '-';
  else if (value === end || endNlPos !== end.length - 1) throw FALLBACK;
  else chomp = '';
  if (end) {
    value = value.slice(0, -end.length);
    if (end[end.length - 1] === '\n') end = end.slice(0, -1);
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd: number;
  let startNlPos = -1;
  for (startEnd = 0; startEnd < value.length; ++startEnd) {
    const ch = value[startEnd];
    if (ch === ' ') startWithSpace = true;
    else if (ch === '\n') startNlPos = startEnd;
    else break;
  }
  let start = value.substring(0, startNlPos < startEnd ? startNlPos + 1 : startEnd);
  if (start) {
    value = value.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startWithSpace ? '2' : '') + chomp;
  value = value.replace(/\n+/g, `$&${indent}`);
  return `|${header}\n${indent}${start}${value}${end}`;
}

/** A value (never a key) at `indent`, the indentation of a block scalar's lines. */
function scalar(v: unknown, indent: string): string {
  switch (typeof v) {
    case 'string':
      if (v.includes('\n') && MULTILINE.test(v)) return blockLiteral(v, indent);
      return str(v);
    case 'number':
      if (!Number.isFinite(v)) throw FALLBACK;
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      throw FALLBACK;
  }
}

const keyCache = new Map<string, string>();

/** A mapping key with its colon. Keys repeat across objects far more than values do, so each is worked out once. */
function keyText(key: string): string {
  const cached = keyCache.get(key);
  if (cached !== undefined) return cached;
  if (key.length > 1000) throw FALLBACK;
  const out = str(key) + ':';
  if (keyCache.size < 100_000) keyCache.set(key, out);
  return out;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The keys of a mapping in the order to write them (the writer skips those with an undefined value). */
export type KeyOrder = (value: Record<string, unknown>) => string[];

/** Keys JavaScript always enumerates first (array indices); a copy with sorted keys would not keep their order. */
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

function isIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 0x30 && c <= 0x39 && INDEX_KEY.test(key);
}

const indents: string[] = [''];
/** The indentation of block lines at `depth` (two spaces a level). */
function indentAt(depth: number): string {
  while (indents.length <= depth) indents.push(indents[indents.length - 1] + '  ');
  return indents[depth]!;
}

const lineStarts: string[] = ['\n'];
/** A line break and the indentation at `depth`, one piece of output. */
function lineStartAt(depth: number): string {
  while (lineStarts.length <= depth) lineStarts.push(lineStarts[lineStarts.length - 1] + '  ');
  return lineStarts[depth]!;
}

/**
 * Writes block-style collections of one document into a list of pieces, joined once: the document is then a single
 * flat string rather than a deep tree of concatenations the engine must flatten later. A list per document keeps the
 * engine's cheap young-generation writes, where one list for a whole stream would not.
 */
class BlockWriter {
  readonly parts: string[] = [];

  /** `order` lists a mapping's keys; undefined means their own enumeration order. */
  constructor(private readonly order: KeyOrder | undefined) {}

  /** The keys to write for a mapping at any level. */
  keysOf(v: object): string[] {
    if (!isPlainObject(v)) throw FALLBACK;
    return this.order ? this.order(v) : Object.keys(v);
  }

  /** A collection after `- `: its first line carries no indentation. */
  collection(v: object, depth: number): void {
    if (Array.isArray(v)) {
      if (v.length === 0) this.parts.push('[]');
      else this.sequence(v, depth);
    } else if (!this.mapping(v as Record<string, unknown>, this.keysOf(v), depth)) this.parts.push('{}');
  }

  sequence(items: readonly unknown[], depth: number): void {
    const parts = this.parts;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i > 0) parts.push(lineStartAt(depth));
      parts.push('- ');
      if (item !== null && typeof item === 'object') this.collection(item, depth + 1);
      else parts.push(scalar(item, indentAt(depth + 1)));
    }
  }

  /** The entries with a defined value, the first line without indentation; false when there are none. */
  mapping(v: Record<string, unknown>, keys: readonly string[], depth: number): boolean {
    const parts = this.parts;
    let written = false;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const value = v[key];
      if (value === undefined) continue;
      if (this.order && isIndexKey(key)) throw FALLBACK;
      if (written) parts.push(lineStartAt(depth));
      parts.push(keyText(key));
      this.mappingValue(value, depth + 1);
      written = true;
    }
    return written;
  }

  /** What follows `key:`: an empty collection or a scalar on the same line, a collection on the next lines. */
  mappingValue(value: unknown, depth: number): void {
    const parts = this.parts;
    if (value === null || typeof value !== 'object') parts.push(' ', scalar(value, indentAt(depth)));
    else if (Array.isArray(value)) {
      if (value.length === 0) parts.push(' []');
      else {
        parts.push(lineStartAt(depth));
        this.sequence(value, depth);
      }
    } else {
      // Whether the mapping is empty shows only once its values are read: the line break becomes ` {}` then.
      const lineStart = parts.length;
      parts.push(lineStartAt(depth));
      if (!this.mapping(value as Record<string, unknown>, this.keysOf(value), depth)) parts[lineStart] = ' {}';
    }
  }

  /** A whole document for a mapping: its top-level keys minus `omit`. The library writes an empty one (`{}`). */
  document(value: Record<string, unknown>, omit: ReadonlySet<string> | undefined): string | undefined {
    let keys = this.keysOf(value);
    if (omit) keys = keys.filter((k) => !omit.has(k));
    if (!this.mapping(value, keys, 0)) return undefined;
    this.parts.push('\n');
    return this.parts.join('');
  }
}

/** The document this writer writes for a mapping, or undefined when the library must write it. */
function writeDocument(value: Record<string, unknown>, order: KeyOrder | undefined, omit: ReadonlySet<string> | undefined): string | undefined {
  try {
    return new BlockWriter(order).document(value, omit);
  } catch (e) {
    if (e !== FALLBACK) throw e;
    return undefined;
  }
}

/**
 * The `---`-separated YAML documents for copies of `values` with the keys of every mapping in `order` (undefined
 * values dropped) and the top-level keys in `omit` left out, written without making those copies; `copy(value)` makes
 * one when the library must write that document. Identical to joining `---\n` + `stringifyKube(copy(value))`.
 */
export function stringifyKubeStream<T extends object>(values: readonly T[], order: KeyOrder, omit: ReadonlySet<string>, copy: (value: T) => unknown): string {
  const documents: string[] = [];
  for (const value of values) documents.push('---\n', writeDocument(value as Record<string, unknown>, order, omit) ?? stringifyKube(copy(value)));
  return documents.join('');
}

/** The YAML document for one object, identical to the `yaml` package's output with KUBE_YAML_OPTIONS. */
export function stringifyKube(value: unknown): string {
  const written = value !== null && typeof value === 'object' && !Array.isArray(value) ? writeDocument(value as Record<string, unknown>, undefined, undefined) : undefined;
  return written ?? stringify(value, KUBE_YAML_OPTIONS);
}
