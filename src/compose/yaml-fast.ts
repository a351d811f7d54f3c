// A fast reader for the plain block YAML most Compose files are written in: block mappings and sequences indented
// with spaces, one-line plain and quoted scalars, one-line flow collections of scalars, comments. It produces exactly
// what yaml.ts's NodeReader produces from the `yaml` package's node tree (the same values, the same location of
// every path) without building that tree, which is most of the cost of loading a large project.
//
// Anything outside that subset, and anything that is or might be an error (duplicate keys, non-string keys, odd
// indentation, tabs, anchors, aliases, tags, block scalars, multi-line scalars, merge keys, several documents, ...),
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
const PLAIN_START = /^[-?:,[\]{}#&*!|>'"%@`]/;
const MAX_FAST_DEPTH = 64;

interface Line {
  /** Offset of the line's first character in the text. */
  start: number;
  /** Offset just past the line's last character (before the newline). */
  end: number;
  /** Offset of the first non-space character (for the first line of a `- key: value` item, of the key). */
  content: number;
  /** Column of `content`, 0-based. */
  indent: number;
  /** 1-based line number. */
  number: number;
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

function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

class FastReader {
  private readonly lines: Line[] = [];
  /** Index of the next line not yet consumed. */
  private i = 0;
  readonly locations = new Map<string, SourceLocation>();

  private readonly resolver: PlainResolver;

  constructor(
    private readonly text: string,
    private readonly file: string,
    resolvePlain: PlainResolver,
  ) {
    this.resolver = resolvePlain;
    let start = 0;
    let number = 1;
    for (;;) {
      let end = text.indexOf('\n', start);
      const last = end < 0;
      if (last) end = text.length;
      let content = start;
      while (content < end && text.charCodeAt(content) === 32) content++;
      // Comment-only and blank lines carry nothing: drop them here.
      if (content < end && text.charCodeAt(content) !== 35 /* # */) {
        // Document markers and directives: several documents or a YAML directive, not handled here.
        if (content === start && (text.startsWith('---', start) || text.startsWith('...', start) || text.charCodeAt(start) === 37)) unsupported();
        this.lines.push({ start, end, content, indent: content - start, number });
      }
      if (last) break;
      start = end + 1;
      number++;
    }
  }

  readDocument(): { documents: unknown[]; locations: Map<string, SourceLocation> } {
    const first = this.lines[0];
    // An empty document, or one that does not start with a mapping at column 1.
    if (!first || first.content !== first.start) unsupported();
    const value = this.readMap(0, '', 1);
    if (this.i !== this.lines.length) unsupported();
    return { documents: [value], locations: this.locations };
  }

  private resolvePlain(source: string, atKey: boolean): unknown {
    const value = this.resolver(source, atKey);
    if (value === undefined) unsupported();
    return value;
  }

  private mark(path: string, offset: number, line: Line): void {
    this.locations.set(path, { file: this.file, line: line.number, column: offset - line.start + 1 });
  }

  private indentOf(line: Line): number {
    return line.indent;
  }

  /** A block mapping whose keys start at column `indent` (0-based). The first line may start after a `- `. */
  private readMap(indent: number, path: string, depth: number): Record<string, unknown> {
    if (depth > MAX_FAST_DEPTH) unsupported();
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      const lineIndent = this.indentOf(line);
      if (lineIndent < indent) break;
      if (lineIndent > indent) unsupported();
      const { key, keyStart, after } = this.readKey(line, line.content);
      // Duplicate keys, `__proto__`, `<<` merges: the library path reports or handles them.
      if (seen.has(key) || key === '__proto__' || key === '<<') unsupported();
      seen.add(key);
      const childPath = joinPath(path, key);
      this.mark(childPath, keyStart, line);
      this.i++;
      const rest = this.skipSpaces(after, line.end);
      if (rest === line.end || this.text.charCodeAt(rest) === 35 /* # */) {
        out[key] = this.readNested(indent, childPath, depth);
      } else {
        if (rest === after) unsupported(); // `key:value` is not a pair
        out[key] = this.readInline(line, rest, childPath, depth);
        this.expectNoContinuation(indent);
      }
    }
    return out;
  }

  /** The value of `key:` with nothing after it: a nested block, a sequence at the same indentation, or null. */
  private readNested(indent: number, path: string, depth: number): unknown {
    const next = this.lines[this.i];
    if (!next) return null;
    const nextIndent = this.indentOf(next);
    if (nextIndent > indent) {
      if (this.isSeqItem(next)) return this.readSeq(nextIndent, path, depth + 1);
      return this.readMap(nextIndent, path, depth + 1);
    }
    if (nextIndent === indent && this.isSeqItem(next)) return this.readSeq(indent, path, depth + 1);
    return null;
  }

  private isSeqItem(line: Line): boolean {
    if (this.text.charCodeAt(line.content) !== 45 /* - */) return false;
    const c = line.content + 1;
    if (c === line.end) unsupported(); // `-` alone: an item on the next lines
    return this.text.charCodeAt(c) === 32;
  }

  /** A block sequence whose dashes are at column `indent`. */
  private readSeq(indent: number, path: string, depth: number): unknown[] {
    if (depth > MAX_FAST_DEPTH) unsupported();
    const out: unknown[] = [];
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      const lineIndent = this.indentOf(line);
      if (lineIndent < indent) break;
      if (lineIndent > indent || !this.isSeqItem(line)) {
        // A mapping key at the same indentation ends a sequence written under its parent key (`key:\n- a\nnext:`).
        if (lineIndent === indent) break;
        unsupported();
      }
      const itemPath = joinPath(path, out.length);
      const start = this.skipSpaces(line.content + 1, line.end);
      const c = this.text.charCodeAt(start);
      if (c === 35 /* # */ || c === 45 /* - */) unsupported(); // `- # ...`, `- - nested`
      if (this.startsPair(line, start)) {
        // `- key: value`: a mapping whose keys are at the column of this first key.
        if (!this.locations.has(itemPath)) this.mark(itemPath, start, line);
        // The mapping's keys are at the column of this first key: make the line look indented to it.
        line.content = start;
        line.indent = start - line.start;
        out.push(this.readMap(line.indent, itemPath, depth + 1));
      } else {
        if (!this.locations.has(itemPath)) this.mark(itemPath, start, line);
        this.i++;
        out.push(this.readInline(line, start, itemPath, depth));
        this.expectNoContinuation(indent);
      }
    }
    return out;
  }

  /** Whether a block mapping entry (`key:` followed by a space or the end of the line) starts at `at`. */
  private startsPair(line: Line, at: number): boolean {
    const c = this.text.charCodeAt(at);
    if (c === 34 /* " */ || c === 39 /* ' */) {
      const end = this.quotedEnd(at, line.end);
      const after = this.skipSpaces(end, line.end);
      return this.text.charCodeAt(after) === 58 /* : */ && (after + 1 === line.end || this.text.charCodeAt(after + 1) === 32);
    }
    if (c === 91 /* [ */ || c === 123 /* { */) return false;
    return this.plainKeyEnd(at, line.end) >= 0;
  }

  /** End (offset of the `:`) of a plain key at `at`, or -1 when the line holds no `key:` there. */
  private plainKeyEnd(at: number, end: number): number {
    for (let p = at; p < end; p++) {
      const c = this.text.charCodeAt(p);
      if (c === 58 /* : */ && (p + 1 === end || this.text.charCodeAt(p + 1) === 32)) return p;
      if (c === 35 /* # */ && this.text.charCodeAt(p - 1) === 32) return -1;
    }
    return -1;
  }

  private readKey(line: Line, at: number): { key: string; keyStart: number; after: number } {
    const c = this.text.charCodeAt(at);
    let key: unknown;
    let colon: number;
    if (c === 34 || c === 39) {
      const end = this.quotedEnd(at, line.end);
      key = this.quotedValue(at, end);
      colon = this.skipSpaces(end, line.end);
      if (this.text.charCodeAt(colon) !== 58) unsupported();
    } else {
      colon = this.plainKeyEnd(at, line.end);
      if (colon < 0) unsupported();
      const source = this.text.slice(at, colon).trimEnd();
      if (source === '' || PLAIN_START.test(source) || source.length > 1000) unsupported();
      key = this.resolvePlain(source, true);
    }
    if (typeof key !== 'string') unsupported();
    if (colon + 1 < line.end && this.text.charCodeAt(colon + 1) !== 32) unsupported();
    return { key, keyStart: at, after: colon + 1 };
  }

  /** A scalar or a one-line flow collection starting at `at` on `line`, which must end the line (or a comment). */
  private readInline(line: Line, at: number, path: string, depth: number): unknown {
    const c = this.text.charCodeAt(at);
    let value: unknown;
    let end: number;
    if (c === 91 /* [ */ || c === 123 /* { */) {
      [value, end] = this.readFlow(line, at, path, depth + 1);
    } else if (c === 34 || c === 39) {
      end = this.quotedEnd(at, line.end);
      value = this.quotedValue(at, end);
    } else {
      // A plain scalar runs to a comment or the end of the line.
      end = line.end;
      for (let p = at; p < line.end; p++) {
        if (this.text.charCodeAt(p) === 35 && this.text.charCodeAt(p - 1) === 32) {
          end = p;
          break;
        }
      }
      const source = this.text.slice(at, end).trimEnd();
      if (PLAIN_START.test(source) || source.includes(': ') || source.endsWith(':')) unsupported();
      return this.resolvePlain(source, false);
    }
    const rest = this.skipSpaces(end, line.end);
    if (rest < line.end && !(this.text.charCodeAt(rest) === 35 && rest > end)) unsupported();
    return value;
  }

  /** A flow sequence or mapping of scalars on one line; returns the value and the offset after the bracket. */
  private readFlow(line: Line, at: number, path: string, depth: number): [unknown, number] {
    if (depth > MAX_FAST_DEPTH) unsupported();
    const isSeq = this.text.charCodeAt(at) === 91;
    const close = isSeq ? 93 : 125;
    const seq: unknown[] = [];
    const map: Record<string, unknown> = {};
    let p = this.skipSpaces(at + 1, line.end);
    if (this.text.charCodeAt(p) === close) return [isSeq ? seq : map, p + 1];
    for (;;) {
      if (p >= line.end) unsupported();
      if (isSeq) {
        const itemPath = joinPath(path, seq.length);
        const [value, end] = this.flowScalar(line, p, false);
        if (!this.locations.has(itemPath)) this.mark(itemPath, p, line);
        seq.push(value);
        p = this.skipSpaces(end, line.end);
      } else {
        const [key, keyEnd] = this.flowScalar(line, p, true);
        if (typeof key !== 'string' || key in map || key === '__proto__' || key === '<<') unsupported();
        const childPath = joinPath(path, key);
        this.mark(childPath, p, line);
        let q = this.skipSpaces(keyEnd, line.end);
        if (this.text.charCodeAt(q) !== 58 || this.text.charCodeAt(q + 1) !== 32) unsupported();
        q = this.skipSpaces(q + 1, line.end);
        const [value, end] = this.flowScalar(line, q, false);
        map[key] = value;
        p = this.skipSpaces(end, line.end);
      }
      const c = this.text.charCodeAt(p);
      if (c === close) return [isSeq ? seq : map, p + 1];
      if (c !== 44 /* , */) unsupported();
      p = this.skipSpaces(p + 1, line.end);
      if (this.text.charCodeAt(p) === close) unsupported(); // trailing comma
    }
  }

  /** A quoted or plain scalar inside a flow collection; returns the value and the offset after it. */
  private flowScalar(line: Line, at: number, atKey: boolean): [unknown, number] {
    const c = this.text.charCodeAt(at);
    if (c === 34 || c === 39) {
      const end = this.quotedEnd(at, line.end);
      return [this.quotedValue(at, end), end];
    }
    let p = at;
    for (; p < line.end; p++) {
      const ch = this.text.charCodeAt(p);
      if (ch === 44 || ch === 93 || ch === 125) break; // , ] }
      if (ch === 91 || ch === 123 || ch === 35) unsupported(); // [ { #
      if (ch === 58 /* : */) {
        const n = this.text.charCodeAt(p + 1);
        if (n === 32) {
          if (!atKey) unsupported(); // an implicit pair inside a flow sequence, or `a: b: c`
          break;
        }
        if (n === 44 || n === 93 || n === 125 || p + 1 === line.end) unsupported();
      }
    }
    const source = this.text.slice(at, p).trimEnd();
    if (source === '' || PLAIN_START.test(source)) unsupported();
    return [this.resolvePlain(source, atKey), at + source.length];
  }

  /** Offset just after the closing quote of a one-line quoted scalar at `at`. */
  private quotedEnd(at: number, end: number): number {
    const q = this.text.charCodeAt(at);
    for (let p = at + 1; p < end; p++) {
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

  private skipSpaces(p: number, end: number): number {
    while (p < end && this.text.charCodeAt(p) === 32) p++;
    return p;
  }

  /** After a one-line value, a more indented line would continue a multi-line scalar: not handled here. */
  private expectNoContinuation(indent: number): void {
    const next = this.lines[this.i];
    if (next && this.indentOf(next) > indent) unsupported();
  }
}
