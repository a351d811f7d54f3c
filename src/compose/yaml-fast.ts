// A fast reader for the plain block YAML most Compose files are written in: block mappings and sequences indented
// with spaces, one-line plain and quoted scalars, one-line flow collections of scalars, comments, and the usual
// anchors (`&name` on a block collection or a scalar, `*name` as a value, `<<: *name`, `<<: [*a, *b]`). It produces
// exactly what yaml.ts's NodeReader produces from the `yaml` package's node tree (the same values, the same location
// of every path) without building that tree, which is most of the cost of loading a large project.
//
// Anything outside that subset, and anything that is or might be an error (duplicate keys, non-string keys, odd
// indentation, tabs, tags, block scalars, multi-line scalars, several documents, anchors on keys or flow collections,
// aliases to unknown or redefined anchors, merges of anything but aliases of mappings, ...),
// returns undefined and the caller parses the file with the `yaml` package as before, errors included.
// test/compose/yaml-fast.test.ts compares both readers on every corpus and fixture file.

import type { SourceLocation } from '../model/project.js';

/**
 * Resolves a plain scalar's text to its value (the caller applies the YAML schema and the go-yaml quirks);
 * undefined when only the library can (then the whole file takes the library path).
 */
export type PlainResolver = (source: string, atKey: boolean) => unknown;

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

/** Characters that make the whole file take the library path: controls (tab, CR included), BOM, NEL, LS, PS. */
const UNUSUAL_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;
/** First characters a plain scalar here may not start with (YAML indicators, and `-?:` kept simple). */
const PLAIN_INDICATORS = '-?:,[]{}#&*!|>\'"%@`';
const MAX_FAST_DEPTH = 64;
/**
 * The library's reads of aliased nodes the fast reader allows in a file: far below yaml.ts's MAX_ALIAS_EXPANSION
 * (which an alias bomb must reach there, with its error), and counted at least as NodeReader counts them.
 */
const MAX_FAST_ALIAS_READS = 100_000;
/** The plain `<<` key, which merges mappings into the one holding it. */
const MERGE_KEY = Symbol('<<');
/** Anchor and alias names read here (YAML allows more; the others go to the library). */
const ANCHOR_NAME_CHAR = /[A-Za-z0-9_-]/;

/** The entry of the document itself, parent of the top-level keys. */
const DOCUMENT = -1;

/**
 * Every path the reader saw, in the order it saw them: entry i is the key `keys[i]` (a mapping key, or a sequence
 * index) under entry `parents[i]`, written at `lines[i]`:`columns[i]`. Numbers rather than a path string and a
 * location object per node: building those was a third of the reading, and few paths are ever looked up.
 */
interface PathEntries {
  parents: number[];
  keys: (string | number)[];
  lines: number[];
  columns: number[];
}

/**
 * An anchored value, and what yaml.ts's NodeReader does again at each alias to it (it reads the anchored node anew):
 * `reads`, its read() calls (which its alias budget counts), and `height`, how much deeper than the value they go
 * (which its depth limit counts).
 */
interface Anchor {
  value: unknown;
  reads: number;
  height: number;
}

export function fastParseCompose(text: string, file: string, resolvePlain: PlainResolver): { documents: unknown[]; locations: Map<string, SourceLocation> } | undefined {
  if (UNUSUAL_CHARS.test(text)) return undefined;
  try {
    return new FastReader(text, file, resolvePlain).readDocument();
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

function unsupported(): never {
  throw UNSUPPORTED;
}

/** Whether `source` (trimmed) can be a plain scalar here: not empty, and not starting with an indicator. */
function startsPlain(source: string): boolean {
  return source !== '' && !PLAIN_INDICATORS.includes(source[0]!);
}

/** A merge source must be a mapping; merging anything else is an error the library reports. */
function asMergeSource(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) unsupported();
  return value as Record<string, unknown>;
}

/**
 * `out` with the keys of the `<<` mappings `merged` it lacks, as yaml.ts's NodeReader merges them (both use this):
 * earlier mappings win over later ones, explicit keys over all, and merged keys come first.
 */
export function withMergedKeys(out: Record<string, unknown>, merged: Record<string, unknown>[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const source of merged) {
    for (const [k, v] of Object.entries(source)) if (!(k in result)) result[k] = v;
  }
  for (const k of Object.keys(out)) delete result[k];
  return { ...result, ...out };
}

/** A deep copy: the library reads an anchored node anew at each alias, so no two paths share an object. */
function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyValue((value as Record<string, unknown>)[key]);
  return out;
}

/** Formats a path segment the way diagnostics print compose paths: `a.b[1].c` (as yaml.ts's joinPath). */
function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/**
 * Reads the text line by line with a cursor on the current line; lines holding only spaces or a comment are skipped.
 * Every method reads from the current line, which a value never leaves (multi-line values are unsupported).
 */
class FastReader {
  private readonly entries: PathEntries = { parents: [], keys: [], lines: [], columns: [] };
  /** Offset of the current line's first character. */
  private lineStart = 0;
  /** Offset just past the current line's last character (before the newline). */
  private lineEnd = 0;
  /** Offset of the first non-space character (on the first line of a `- key: value` item, of the key). */
  private content = 0;
  /** Column of `content`, 0-based. */
  private indent = 0;
  /** 1-based number of the current line. */
  private lineNumber = 0;
  /** Past the last line. */
  private done = false;
  /** Offset where the line after the current one starts (-1: none), and its number. */
  private nextStart = 0;
  private nextNumber = 1;
  /** Offset just past what readKey, readFlow, flowScalar, readAnchor or anchorName last read (besides their result). */
  private pos = 0;
  private readonly anchors = new Map<string, Anchor>();
  /** The library's reads of aliased nodes so far in the file (its alias budget). */
  private aliasReads = 0;
  /** The library's reads that the aliases read so far add to the recorded entries (for an enclosing anchor's reads). */
  private aliasExtraReads = 0;
  /**
   * The deepest library depth of a value read so far (a collection at `depth` here holds values at that depth in
   * NodeReader's count); readAnchored restarts it to measure an anchored value's height.
   */
  private deepest = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly resolver: PlainResolver,
  ) {
    this.advance();
  }

  readDocument(): { documents: unknown[]; locations: Map<string, SourceLocation> } {
    // An empty document, or one that does not start with a mapping at column 1.
    if (this.done || this.indent !== 0) unsupported();
    const value = this.readMap(0, DOCUMENT, 1);
    if (!this.done) unsupported();
    return { documents: [value], locations: new FastLocations(this.file, this.entries) };
  }

  /** Moves to the next line with content. */
  private advance(): void {
    const text = this.text;
    while (this.nextStart >= 0) {
      const start = this.nextStart;
      const number = this.nextNumber++;
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      this.nextStart = end === text.length ? -1 : end + 1;
      let content = start;
      while (content < end && text.charCodeAt(content) === 32) content++;
      if (content === end || text.charCodeAt(content) === 35 /* # */) continue;
      // Document markers and directives: several documents or a YAML directive, not handled here.
      if (content === start && (text.startsWith('---', start) || text.startsWith('...', start) || text.charCodeAt(start) === 37)) unsupported();
      this.lineStart = start;
      this.lineEnd = end;
      this.content = content;
      this.indent = content - start;
      this.lineNumber = number;
      return;
    }
    this.done = true;
  }

  private resolvePlain(source: string, atKey: boolean): unknown {
    const value = this.resolver(source, atKey);
    if (value === undefined) unsupported();
    return value;
  }

  /** Records the path `key` under entry `parent`, written at offset `at` of the current line; returns its entry. */
  private mark(parent: number, key: string | number, at: number): number {
    const e = this.entries;
    e.parents.push(parent);
    e.keys.push(key);
    e.lines.push(this.lineNumber);
    e.columns.push(at - this.lineStart + 1);
    return e.parents.length - 1;
  }

  /** A block mapping whose keys start at column `indent` (0-based). The first line may start after a `- `. */
  private readMap(indent: number, entry: number, depth: number): Record<string, unknown> {
    this.enter(depth);
    const out: Record<string, unknown> = {};
    let merged: Record<string, unknown>[] | undefined;
    while (!this.done && this.indent >= indent) {
      if (this.indent > indent) unsupported();
      const keyStart = this.content;
      const key = this.readKey(keyStart);
      const after = this.pos;
      if (key === MERGE_KEY) {
        if (merged) unsupported(); // several `<<` in one mapping: left to the library
        merged = this.readMergeSources(this.skipSpaces(after), depth);
        this.advance();
        this.expectNoContinuation(indent);
        continue;
      }
      // Duplicate keys, `__proto__`, a quoted `<<`: the library path reports or handles them.
      if (key === '__proto__' || key === '<<' || Object.hasOwn(out, key)) unsupported();
      const child = this.mark(entry, key, keyStart);
      let rest = this.skipSpaces(after);
      const anchor = this.readAnchor(rest);
      if (anchor !== undefined) rest = this.pos;
      if (rest === this.lineEnd || (anchor === undefined && this.text.charCodeAt(rest) === 35 /* # */)) {
        this.advance();
        out[key] = anchor === undefined ? this.readNested(indent, child, depth) : this.readAnchored(anchor, depth, () => this.readNested(indent, child, depth));
      } else {
        if (rest === after) unsupported(); // `key:value` is not a pair
        out[key] = this.readLineValue(rest, anchor, child, depth);
        this.advance();
        this.expectNoContinuation(indent);
      }
    }
    return merged ? withMergedKeys(out, merged) : out;
  }

  /** Checks the nesting limit at a collection, and records the depth its values reach. */
  private enter(depth: number): void {
    if (depth > MAX_FAST_DEPTH) unsupported();
    if (depth > this.deepest) this.deepest = depth;
  }

  /** The value of `key:` with nothing after it: a nested block, a sequence at the same indentation, or null. */
  private readNested(indent: number, entry: number, depth: number): unknown {
    if (this.done) return null;
    if (this.indent > indent) {
      if (this.isSeqItem()) return this.readSeq(this.indent, entry, depth + 1);
      return this.readMap(this.indent, entry, depth + 1);
    }
    if (this.indent === indent && this.isSeqItem()) return this.readSeq(indent, entry, depth + 1);
    return null;
  }

  private isSeqItem(): boolean {
    if (this.text.charCodeAt(this.content) !== 45 /* - */) return false;
    const c = this.content + 1;
    if (c === this.lineEnd) unsupported(); // `-` alone: an item on the next lines
    return this.text.charCodeAt(c) === 32;
  }

  /** A block sequence whose dashes are at column `indent`. */
  private readSeq(indent: number, entry: number, depth: number): unknown[] {
    this.enter(depth);
    const out: unknown[] = [];
    while (!this.done && this.indent >= indent) {
      if (this.indent > indent || !this.isSeqItem()) {
        // A mapping key at the same indentation ends a sequence written under its parent key (`key:\n- a\nnext:`).
        if (this.indent === indent) break;
        unsupported();
      }
      const start = this.skipSpaces(this.content + 1);
      const c = this.text.charCodeAt(start);
      if (c === 35 /* # */ || c === 45 /* - */) unsupported(); // `- # ...`, `- - nested`
      if (this.startsPair(start)) {
        // `- key: value`: a mapping whose keys are at the column of this first key: make the line look indented to it.
        const item = this.mark(entry, out.length, start);
        this.content = start;
        this.indent = start - this.lineStart;
        out.push(this.readMap(this.indent, item, depth + 1));
      } else {
        // The library places an anchored item at its value, after the anchor.
        const anchor = this.readAnchor(start);
        const at = anchor === undefined ? start : this.pos;
        const item = this.mark(entry, out.length, at);
        out.push(this.readLineValue(at, anchor, item, depth));
        this.advance();
        this.expectNoContinuation(indent);
      }
    }
    return out;
  }

  /** Whether a block mapping entry (`key:` followed by a space or the end of the line) starts at `at`. */
  private startsPair(at: number): boolean {
    const c = this.text.charCodeAt(at);
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const after = this.skipSpaces(this.quotedEnd(at));
      return this.text.charCodeAt(after) === 58 /* : */ && (after + 1 === this.lineEnd || this.text.charCodeAt(after + 1) === 32);
    }
    if (c === 91 /* [ */ || c === 123 /* { */) return false;
    return this.plainKeyEnd(at) >= 0;
  }

  /** End (offset of the `:`) of a plain key at `at`, or -1 when the line holds no `key:` there. */
  private plainKeyEnd(at: number): number {
    for (let p = at; p < this.lineEnd; p++) {
      const c = this.text.charCodeAt(p);
      if (c === 58 /* : */ && (p + 1 === this.lineEnd || this.text.charCodeAt(p + 1) === 32)) return p;
      if (c === 35 /* # */ && this.text.charCodeAt(p - 1) === 32) return -1;
    }
    return -1;
  }

  /** The mapping key at `at`, a string or the plain `<<`; `pos` is left just after its `:`. */
  private readKey(at: number): string | typeof MERGE_KEY {
    const c = this.text.charCodeAt(at);
    let key: unknown;
    let colon: number;
    if (c === 34 || c === 39) {
      const end = this.quotedEnd(at);
      key = this.quotedValue(at, end);
      colon = this.skipSpaces(end);
      if (this.text.charCodeAt(colon) !== 58) unsupported();
    } else {
      colon = this.plainKeyEnd(at);
      if (colon < 0) unsupported();
      const source = this.text.slice(at, colon).trimEnd();
      if (source === '<<') key = MERGE_KEY;
      else if (!startsPlain(source) || source.length > 1000) unsupported();
      else key = this.resolvePlain(source, true);
    }
    if (typeof key !== 'string' && key !== MERGE_KEY) unsupported();
    if (colon + 1 < this.lineEnd && this.text.charCodeAt(colon + 1) !== 32) unsupported();
    this.pos = colon + 1;
    return key;
  }

  /** A scalar or a one-line flow collection starting at `at`, which must end the line (or a comment). */
  private readInline(at: number, entry: number, depth: number): unknown {
    const c = this.text.charCodeAt(at);
    let value: unknown;
    let end: number;
    if (c === 91 /* [ */ || c === 123 /* { */) {
      value = this.readFlow(at, entry, depth + 1);
      end = this.pos;
    } else if (c === 34 || c === 39) {
      end = this.quotedEnd(at);
      value = this.quotedValue(at, end);
    } else {
      return this.readPlain(at);
    }
    this.expectLineEnd(end);
    return value;
  }

  /** After a value ending at `end`, only spaces and a comment may follow on the line. */
  private expectLineEnd(end: number): void {
    const rest = this.skipSpaces(end);
    if (rest < this.lineEnd && !(this.text.charCodeAt(rest) === 35 /* # */ && rest > end)) unsupported();
  }

  /**
   * A value that ends the current line, starting at `at`: an alias, or a scalar or flow collection carrying the anchor
   * `anchor` (if any) read before `at`.
   */
  private readLineValue(at: number, anchor: string | undefined, entry: number, depth: number): unknown {
    const c = this.text.charCodeAt(at);
    if (c === 42 /* * */) {
      if (anchor !== undefined) unsupported();
      const value = this.readAlias(at + 1, depth);
      this.expectLineEnd(this.pos);
      return value;
    }
    if (anchor === undefined) return this.readInline(at, entry, depth);
    if (c === 91 /* [ */ || c === 123 /* { */) unsupported(); // an anchored flow collection: left to the library
    return this.readAnchored(anchor, depth, () => this.readInline(at, entry, depth));
  }

  /** The name of an anchor `&name ` at `at` (and `pos` at what follows it), or undefined if there is none. */
  private readAnchor(at: number): string | undefined {
    if (this.text.charCodeAt(at) !== 38 /* & */) return undefined;
    const name = this.anchorName(at + 1);
    if (this.pos < this.lineEnd && this.text.charCodeAt(this.pos) !== 32) unsupported();
    this.pos = this.skipSpaces(this.pos);
    return name;
  }

  /** An anchor or alias name starting at `at`; `pos` is left just after it. */
  private anchorName(at: number): string {
    let end = at;
    while (end < this.lineEnd && ANCHOR_NAME_CHAR.test(this.text[end]!)) end++;
    if (end === at) unsupported();
    this.pos = end;
    return this.text.slice(at, end);
  }

  /**
   * Reads the value of the anchor `name` (a collection or scalar in a collection at `depth`) with `read`, and keeps it
   * with what the library would read again at each alias to it.
   */
  private readAnchored(name: string, depth: number, read: () => unknown): unknown {
    const entriesBefore = this.entries.parents.length;
    const extraBefore = this.aliasExtraReads;
    const deepestOutside = this.deepest;
    this.deepest = depth;
    const value = read();
    // An anchored null, or a name defined twice (the library resolves each alias to the definition before it).
    if (value === null || this.anchors.has(name)) unsupported();
    const reads = 1 + this.entries.parents.length - entriesBefore + this.aliasExtraReads - extraBefore;
    this.anchors.set(name, { value, reads, height: this.deepest - depth });
    this.deepest = Math.max(deepestOutside, this.deepest);
    return value;
  }

  /**
   * A fresh copy of the value anchored under the alias name at `at` (`pos` is left after the name), used in a
   * collection at `depth`. Unknown names (undefined yet, or the anchor being read) go to the library, as do files
   * where aliases would approach the library's alias budget or depth limit.
   */
  private readAlias(at: number, depth: number): unknown {
    const anchor = this.anchors.get(this.anchorName(at));
    if (!anchor) unsupported();
    this.aliasReads += anchor.reads;
    // Inside an anchored value, the alias node too is read again with it.
    this.aliasExtraReads += 1 + anchor.reads;
    const reached = depth + 1 + anchor.height;
    if (this.aliasReads > MAX_FAST_ALIAS_READS || reached > MAX_FAST_DEPTH) unsupported();
    if (reached > this.deepest) this.deepest = reached;
    return copyValue(anchor.value);
  }

  /** The mappings a `<<` at `at` merges in a mapping at `depth`: `*name` or `[*a, *b]` naming anchored mappings. */
  private readMergeSources(at: number, depth: number): Record<string, unknown>[] {
    if (this.text.charCodeAt(at) === 42 /* * */) {
      const source = this.readAlias(at + 1, depth);
      this.expectLineEnd(this.pos);
      return [asMergeSource(source)];
    }
    if (this.text.charCodeAt(at) !== 91 /* [ */) unsupported();
    const sources: Record<string, unknown>[] = [];
    let p = this.skipSpaces(at + 1);
    for (;;) {
      if (this.text.charCodeAt(p) !== 42) unsupported(); // an empty list, or not an alias
      sources.push(asMergeSource(this.readAlias(p + 1, depth)));
      p = this.skipSpaces(this.pos);
      if (this.text.charCodeAt(p) === 93 /* ] */) break;
      if (this.text.charCodeAt(p) !== 44 /* , */) unsupported();
      p = this.skipSpaces(p + 1);
    }
    this.expectLineEnd(p + 1);
    return sources;
  }

  /** A plain scalar at `at`: it runs to a comment or the end of the line. */
  private readPlain(at: number): unknown {
    let end = this.lineEnd;
    for (let p = at; p < end; p++) {
      if (this.text.charCodeAt(p) === 35 && this.text.charCodeAt(p - 1) === 32) {
        end = p;
        break;
      }
    }
    const source = this.text.slice(at, end).trimEnd();
    if (!startsPlain(source) || source.includes(': ') || source.endsWith(':')) unsupported();
    return this.resolvePlain(source, false);
  }

  /** A flow sequence or mapping of scalars on one line; `pos` is left just after its closing bracket. */
  private readFlow(at: number, entry: number, depth: number): unknown {
    this.enter(depth);
    const isSeq = this.text.charCodeAt(at) === 91;
    const close = isSeq ? 93 : 125;
    const seq: unknown[] = [];
    const map: Record<string, unknown> = {};
    let p = this.skipSpaces(at + 1);
    while (this.text.charCodeAt(p) !== close) {
      if (p >= this.lineEnd) unsupported();
      if (isSeq) {
        const value = this.flowScalar(p, false);
        this.mark(entry, seq.length, p);
        seq.push(value);
      } else {
        const key = this.flowScalar(p, true);
        if (typeof key !== 'string' || key === '__proto__' || key === '<<' || Object.hasOwn(map, key)) unsupported();
        this.mark(entry, key, p);
        const colon = this.skipSpaces(this.pos);
        if (this.text.charCodeAt(colon) !== 58 || this.text.charCodeAt(colon + 1) !== 32) unsupported();
        map[key] = this.flowScalar(this.skipSpaces(colon + 1), false);
      }
      p = this.skipSpaces(this.pos);
      const c = this.text.charCodeAt(p);
      if (c === close) break;
      if (c !== 44 /* , */) unsupported();
      p = this.skipSpaces(p + 1);
      if (this.text.charCodeAt(p) === close) unsupported(); // trailing comma
    }
    this.pos = p + 1;
    return isSeq ? seq : map;
  }

  /** A quoted or plain scalar inside a flow collection; `pos` is left just after it. */
  private flowScalar(at: number, atKey: boolean): unknown {
    const c = this.text.charCodeAt(at);
    if (c === 34 || c === 39) {
      this.pos = this.quotedEnd(at);
      return this.quotedValue(at, this.pos);
    }
    let p = at;
    for (; p < this.lineEnd; p++) {
      const ch = this.text.charCodeAt(p);
      if (ch === 44 || ch === 93 || ch === 125) break; // , ] }
      if (ch === 91 || ch === 123 || ch === 35) unsupported(); // [ { #
      if (ch === 58 /* : */) {
        const n = this.text.charCodeAt(p + 1);
        if (n === 32) {
          if (!atKey) unsupported(); // an implicit pair inside a flow sequence, or `a: b: c`
          break;
        }
        if (n === 44 || n === 93 || n === 125 || p + 1 === this.lineEnd) unsupported();
      }
    }
    const source = this.text.slice(at, p).trimEnd();
    if (!startsPlain(source)) unsupported();
    this.pos = at + source.length;
    return this.resolvePlain(source, atKey);
  }

  /** Offset just after the closing quote of a one-line quoted scalar at `at`. */
  private quotedEnd(at: number): number {
    const q = this.text.charCodeAt(at);
    for (let p = at + 1; p < this.lineEnd; p++) {
      const c = this.text.charCodeAt(p);
      if (q === 34 && c === 92 /* \ */) unsupported(); // escapes: the library decodes them
      if (c === q) {
        if (q === 39 && this.text.charCodeAt(p + 1) === 39) {
          p++;
          continue;
        }
        return p + 1;
      }
    }
    return unsupported(); // continues on the next line
  }

  private quotedValue(at: number, end: number): string {
    const inner = this.text.slice(at + 1, end - 1);
    return this.text.charCodeAt(at) === 39 ? inner.replaceAll("''", "'") : inner;
  }

  private skipSpaces(p: number): number {
    while (p < this.lineEnd && this.text.charCodeAt(p) === 32) p++;
    return p;
  }

  /** After a one-line value, a more indented line would continue a multi-line scalar: not handled here. */
  private expectNoContinuation(indent: number): void {
    if (!this.done && this.indent > indent) unsupported();
  }
}

/**
 * The fast reader's locations, as the Map of compose path -> location the library path fills (the same entries in
 * the same order), built from the recorded entries only when something iterates it. `get`, what the loader uses for
 * diagnostics, walks the entries instead and builds nothing else.
 */
class FastLocations extends Map<string, SourceLocation> {
  private built = false;
  /** The children of each entry (-1: the document) as linked lists, built at the first lookup. */
  private links?: ChildLinks;
  /** The children of the parents with many that lookups visited, by key. */
  private readonly childIndexes = new Map<number, Map<string | number, number>>();

  constructor(
    private readonly file: string,
    private readonly recorded: PathEntries,
  ) {
    super();
  }

  override get(path: string): SourceLocation | undefined {
    if (this.built) return super.get(path);
    const entry = this.find(path);
    return entry < 0 ? undefined : this.location(entry);
  }

  override has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  override get size(): number {
    this.build();
    return super.size;
  }

  override set(path: string, location: SourceLocation): this {
    this.build();
    return super.set(path, location);
  }

  override delete(path: string): boolean {
    this.build();
    return super.delete(path);
  }

  override clear(): void {
    this.build();
    super.clear();
  }

  override forEach(f: (location: SourceLocation, path: string, map: Map<string, SourceLocation>) => void, thisArg?: unknown): void {
    this.build();
    super.forEach(f, thisArg);
  }

  override entries(): MapIterator<[string, SourceLocation]> {
    this.build();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.build();
    return super.keys();
  }

  override values(): MapIterator<SourceLocation> {
    this.build();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, SourceLocation]> {
    this.build();
    return super.entries();
  }

  /** Fills the Map itself the way the library path does: a mapping key always sets its path, an item only a new one. */
  private build(): void {
    if (this.built) return;
    this.built = true;
    const { parents, keys } = this.recorded;
    const paths: string[] = [];
    for (let i = 0; i < parents.length; i++) {
      const parent = parents[i]!;
      const key = keys[i]!;
      const path = joinPath(parent === DOCUMENT ? '' : paths[parent]!, key);
      paths.push(path);
      if (typeof key === 'string' || !super.has(path)) super.set(path, this.location(i));
    }
  }

  /** The entry that gives `path` its location, or -1. */
  private find(path: string): number {
    // Down the keys, as long as each parent's keys leave one way to split the path: then the entry reached is the only
    // one with that path (an ambiguous parent is searched in full).
    let entry = DOCUMENT;
    let at = 0;
    for (;;) {
      if (at === path.length && entry !== DOCUMENT) return entry;
      const links = this.childLinks();
      if (links.count[entry + 1] === 0) return -1;
      if (this.isAmbiguous(entry)) return this.search(entry, path, at);
      let next: string | number;
      if (path.charCodeAt(at) === 91 /* [ */) {
        [next, at] = readIndex(path, at + 1);
      } else {
        if (entry !== DOCUMENT && path.charCodeAt(at) !== 46 /* . */) return -1;
        const from = entry === DOCUMENT ? at : at + 1;
        at = segmentEnd(path, from);
        next = path.slice(from, at);
      }
      const child = this.childOf(entry, next);
      if (child < 0) return -1;
      entry = child;
    }
  }

  /** Of the entries under `entry` whose path is `path`, the one the library path's Map ends with, or -1. */
  private search(entry: number, path: string, at: number): number {
    const found: number[] = [];
    this.collect(entry, entry === DOCUMENT, path, at, found);
    return this.winner(found);
  }

  /**
   * Adds to `found` the entries under `entry` whose path is `path` (`entry`'s own path is its first `at` characters).
   * Keys may hold dots and brackets, so under a parent with such keys every split at a `.` or `[` is tried.
   * `emptyPath`: `entry`'s path is '' (the document, or a '' key under it), where a key is not preceded by a dot.
   */
  private collect(entry: number, emptyPath: boolean, path: string, at: number, found: number[]): void {
    if (at === path.length && entry !== DOCUMENT) found.push(entry);
    if (this.childLinks().count[entry + 1] === 0) return;
    if (path.charCodeAt(at) === 91 /* [ */) {
      const [index, end] = readIndex(path, at + 1);
      const item = this.childOf(entry, index);
      if (item >= 0) this.collect(item, false, path, end, found);
    }
    // Under a path of '', a '' key adds nothing to the path (joinPath('', '') is ''): its children are reached from here.
    if (emptyPath && at < path.length) {
      const blank = this.childOf(entry, '');
      if (blank >= 0) this.collect(blank, true, path, at, found);
    }
    const from = emptyPath ? at : path.charCodeAt(at) === 46 /* . */ ? at + 1 : -1;
    if (from < 0) return;
    for (let end = segmentEnd(path, from); end <= path.length; end = segmentEnd(path, end + 1)) {
      const child = this.childOf(entry, path.slice(from, end));
      if (child >= 0) this.collect(child, emptyPath && end === from, path, end, found);
      if (end === path.length) break;
    }
  }

  /** Of the entries of one path, the one the library path's Map ends with: the last key, else the first item. */
  private winner(found: number[]): number {
    let lastKey = -1;
    let firstItem = -1;
    for (const entry of found) {
      if (typeof this.recorded.keys[entry] === 'string') lastKey = Math.max(lastKey, entry);
      else if (firstItem < 0 || entry < firstItem) firstItem = entry;
    }
    return lastKey >= 0 ? lastKey : firstItem;
  }

  /** The child of `entry` with the key `key`, or -1 (keys are unique under one parent: duplicates go to the library). */
  private childOf(entry: number, key: string | number): number {
    const links = this.childLinks();
    if (links.count[entry + 1]! <= CHILDREN_SCANNED) {
      for (let child = links.first[entry + 1]!; child >= 0; child = links.next[child]!) if (this.recorded.keys[child] === key) return child;
      return -1;
    }
    let index = this.childIndexes.get(entry);
    if (!index) {
      index = new Map();
      for (let child = links.first[entry + 1]!; child >= 0; child = links.next[child]!) index.set(this.recorded.keys[child]!, child);
      this.childIndexes.set(entry, index);
    }
    return index.get(key) ?? -1;
  }

  /** Whether a key under `entry` is empty or holds a `.` or a `[`: then several keys may match where a path continues. */
  private isAmbiguous(entry: number): boolean {
    const links = this.childLinks();
    if (links.ambiguity[entry + 1] === UNKNOWN) {
      let ambiguous = false;
      for (let child = links.first[entry + 1]!; child >= 0 && !ambiguous; child = links.next[child]!) {
        const key = this.recorded.keys[child]!;
        ambiguous = typeof key === 'string' && (key === '' || key.includes('.') || key.includes('['));
      }
      links.ambiguity[entry + 1] = ambiguous ? AMBIGUOUS : UNAMBIGUOUS;
    }
    return links.ambiguity[entry + 1] === AMBIGUOUS;
  }

  private childLinks(): ChildLinks {
    return (this.links ??= linkChildren(this.recorded.parents));
  }

  private location(entry: number): SourceLocation {
    return { file: this.file, line: this.recorded.lines[entry]!, column: this.recorded.columns[entry]! };
  }
}

/** Where the path segment starting at `from` ends: at the next `.` or `[`, or at the end. */
function segmentEnd(path: string, from: number): number {
  let end = from;
  while (end < path.length && path.charCodeAt(end) !== 46 && path.charCodeAt(end) !== 91) end++;
  return end;
}

/** Up to this many children, a lookup compares keys one by one; a parent with more gets a Map at its first lookup. */
const CHILDREN_SCANNED = 16;

/**
 * The children of each entry p, at p + 1 (the document's at 0): `first` child (-1: none), their `count`, and their
 * `ambiguity` once a lookup needed it; `next[c]`: the child after c under the same parent.
 */
interface ChildLinks {
  first: Int32Array;
  count: Int32Array;
  ambiguity: Uint8Array;
  next: Int32Array;
}

const UNKNOWN = 0;
const UNAMBIGUOUS = 1;
const AMBIGUOUS = 2;

function linkChildren(parents: number[]): ChildLinks {
  const first = new Int32Array(parents.length + 1).fill(-1);
  const count = new Int32Array(parents.length + 1);
  const next = new Int32Array(parents.length);
  for (let i = parents.length - 1; i >= 0; i--) {
    const slot = parents[i]! + 1;
    next[i] = first[slot]!;
    first[slot] = i;
    count[slot] = count[slot]! + 1;
  }
  return { first, count, ambiguity: new Uint8Array(parents.length + 1), next };
}

/** The sequence index written at `at` of a path as joinPath writes it (`12]`), and the offset after the `]`; -1 if none. */
function readIndex(path: string, at: number): [number, number] {
  let index = 0;
  let p = at;
  for (; p < path.length; p++) {
    const d = path.charCodeAt(p) - 48;
    if (d < 0 || d > 9) break;
    index = index * 10 + d;
  }
  const canonical = p > at && (p === at + 1 || path.charCodeAt(at) !== 48) && Number.isSafeInteger(index);
  return canonical && path.charCodeAt(p) === 93 /* ] */ ? [index, p + 1] : [-1, p];
}
