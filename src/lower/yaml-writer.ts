// A direct writer for the JSON-like trees we emit, producing exactly what
// `stringify(value, { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false })` of the `yaml`
// package produces, without building its node tree (the library spends most of `convert` on large projects there).
//
// It only handles what it can reproduce with certainty: plain objects and arrays, finite numbers, booleans, strings
// of printable ASCII, and multi-line values of printable ASCII, tabs and newlines (block literals: config files and
// scripts in ConfigMaps). Anything else in a document (null, undefined in an array, a Buffer, non-ASCII text,
// multi-line keys, `|+` blocks, very long keys, `<<`, text starting with a document marker) makes that whole document
// go through the library instead, so the output is always the library's. test/lower/yaml-writer.test.ts compares them.

import { Document, stringify } from 'yaml';

export const KUBE_YAML_OPTIONS = { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false } as const;

/** Thrown inside the writer when the library must write the document. */
const FALLBACK = Symbol('fallback');

/** Non-empty printable ASCII, and not starting with a document marker (the library treats those by context). */
const SIMPLE = /^(?!---|\.\.\.)[\x20-\x7e]+$/;
/** The library's test for text that cannot be a plain scalar (stringifyString.js plainString). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;

let implicitTypes: RegExp[] | undefined;
/** The tests of every YAML 1.1 scalar type a plain string could be read as (bool, int, float, null, timestamp, ...). */
function typeTests(): RegExp[] {
  if (!implicitTypes) {
    const schema = new Document(null, KUBE_YAML_OPTIONS).schema as unknown as {
      tags: { default?: unknown; tag: string; test?: RegExp }[];
      compat?: { default?: unknown; tag: string; test?: RegExp }[] | null;
    };
    implicitTypes = [...schema.tags, ...(schema.compat ?? [])]
      .filter((t) => t.default && t.tag !== 'tag:yaml.org,2002:str' && t.test)
      .map((t) => t.test!);
  }
  return implicitTypes;
}

const plainCache = new Map<string, string>();

function str(s: string): string {
  const cached = plainCache.get(s);
  if (cached !== undefined) return cached;
  // `<<` becomes the library's merge-key node, written by its own rules.
  if (!SIMPLE.test(s) || s === '<<') throw FALLBACK;
  let out: string;
  if (!NOT_PLAIN.test(s) && !typeTests().some((t) => t.test(s))) out = s;
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
      return Object.is(v, -0) ? '-0' : JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      throw FALLBACK;
  }
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Key order for the canonical writer: the keys to write (undefined values already dropped), in order. */
export type KeyOrder = (keys: string[]) => string[];
let keyOrder: KeyOrder | undefined;

/** Keys JavaScript always enumerates first (array indices); a copy with sorted keys would not keep their order. */
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

/** A collection in block style at `indent` (the first line carries no indentation), or `{}` / `[]` when empty. */
function collection(v: object, indent: string): string {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    const itemIndent = indent + '  ';
    let out = '';
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (i > 0) out += `\n${indent}`;
      out += '- ' + (item !== null && typeof item === 'object' ? collection(item, itemIndent) : scalar(item, itemIndent));
    }
    return out;
  }
  if (!isPlainObject(v)) throw FALLBACK;
  let keys = Object.keys(v);
  if (keyOrder) {
    keys = keyOrder(keys.filter((k) => v[k] !== undefined));
    for (const k of keys) if (INDEX_KEY.test(k)) throw FALLBACK;
  }
  if (keys.length === 0) return '{}';
  const valueIndent = indent + '  ';
  let out = '';
  let first = true;
  for (const key of keys) {
    const value = v[key];
    if (value === undefined) continue;
    if (key.length > 1000) throw FALLBACK;
    if (!first) out += `\n${indent}`;
    first = false;
    out += str(key) + ':';
    if (value !== null && typeof value === 'object') {
      const body = collection(value, valueIndent);
      out += body === '{}' || body === '[]' ? ` ${body}` : `\n${valueIndent}${body}`;
    } else out += ' ' + scalar(value, valueIndent);
  }
  // Only undefined values: the library writes an empty map.
  return first ? '{}' : out;
}

/**
 * The YAML document for a copy of `value` with the keys of every mapping in `order` (undefined values dropped) and
 * the top-level keys in `omit` left out, written without making that copy; `copy()` makes it when the library must
 * write the document. Identical to `stringifyKube(copy())`.
 */
export function stringifyKubeOrdered(value: Record<string, unknown>, order: KeyOrder, omit: ReadonlySet<string>, copy: () => unknown): string {
  keyOrder = order;
  try {
    const top: Record<string, unknown> = {};
    for (const k of Object.keys(value)) if (!omit.has(k)) top[k] = value[k];
    const body = collection(top, '');
    if (body !== '{}') return body + '\n';
  } catch (e) {
    if (e !== FALLBACK) throw e;
  } finally {
    keyOrder = undefined;
  }
  return stringifyKube(copy());
}

/** The YAML document for one object, identical to the `yaml` package's output with KUBE_YAML_OPTIONS. */
export function stringifyKube(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    try {
      const body = collection(value, '');
      if (body !== '{}') return body + '\n';
    } catch (e) {
      if (e !== FALLBACK) throw e;
    }
  }
  return stringify(value, KUBE_YAML_OPTIONS);
}
