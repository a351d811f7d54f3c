// RFC 6902 JSON Patch, applied to emitted objects selected by kind (and name): the escape hatch for any field
// the conversion does not produce. Operations work on a deep copy; a failing patch leaves the object unchanged.

import type { PatchOperation } from './settings-types.js';

export class PatchError extends Error {}

type Json = unknown;
type Container = Record<string, Json> | Json[];

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isContainer(v: Json): v is Container {
  return v !== null && typeof v === 'object';
}

/** The parent container of the pointer's last token, and that token. */
function locate(doc: Json, pointer: string): [Container, string] {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError('operations on the whole document are not supported');
  let current: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (!isContainer(current)) throw new PatchError(`path ${pointer} does not exist`);
    current = Array.isArray(current) ? current[arrayIndex(current, token, false)] : current[token];
  }
  if (!isContainer(current)) throw new PatchError(`path ${pointer} does not exist`);
  return [current, tokens[tokens.length - 1]!];
}

function arrayIndex(array: Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index "${token}"`);
  const i = Number(token);
  if (i > array.length || (!forInsert && i === array.length)) throw new PatchError(`array index ${i} out of range`);
  return i;
}

function get(doc: Json, pointer: string): Json {
  const [parent, token] = locate(doc, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, token, false)];
  if (!(token in parent)) throw new PatchError(`path ${pointer} does not exist`);
  return parent[token];
}

function remove(doc: Json, pointer: string): Json {
  const [parent, token] = locate(doc, pointer);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, token, false), 1)[0];
  if (!(token in parent)) throw new PatchError(`path ${pointer} does not exist`);
  const old = parent[token];
  delete parent[token];
  return old;
}

function add(doc: Json, pointer: string, value: Json): void {
  const [parent, token] = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else parent[token] = value;
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function equal(a: Json, b: Json): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isContainer(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, Json>)[k])]));
  return v;
}

/** Applies the operations to a copy of `doc` and returns it; throws PatchError on the first failing operation. */
export function applyJsonPatch<T>(doc: T, operations: PatchOperation[]): T {
  const out = clone(doc);
  for (const op of operations) {
    switch (op.op) {
      case 'add':
        add(out, op.path, clone(op.value));
        break;
      case 'remove':
        remove(out, op.path);
        break;
      case 'replace':
        remove(out, op.path);
        add(out, op.path, clone(op.value));
        break;
      case 'move': {
        if (op.from === undefined) throw new PatchError('move needs "from"');
        if (op.path.startsWith(`${op.from}/`)) throw new PatchError('cannot move a value into itself');
        add(out, op.path, remove(out, op.from));
        break;
      }
      case 'copy':
        if (op.from === undefined) throw new PatchError('copy needs "from"');
        add(out, op.path, clone(get(out, op.from)));
        break;
      case 'test':
        if (!equal(get(out, op.path), op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
    }
  }
  return out;
}
