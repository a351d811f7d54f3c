// Deterministic output: key order fixed (apiVersion, kind, metadata, name, namespace first; the rest alphabetical, as
// kubectl prints), no `status` (B4: removed structurally, never by editing text), no undefined fields.
// YAML is written for YAML 1.1 readers (kubectl, go-yaml): strings like "no", "on" or "0755" are quoted.

import type { KubeObject } from '../model/kube.js';
import { stringifyKubeStream } from './yaml-writer.js';

/** Keys written first. They are in alphabetical order themselves, so sorting keeps them in this order. */
const FIRST = new Set(['apiVersion', 'kind', 'metadata', 'name', 'namespace']);

/** The keys of `value` in output order (undefined values included: the writers skip them). */
function outputKeyOrder(value: Record<string, unknown>): string[] {
  const keys = Object.keys(value);
  let firsts = 0;
  for (const k of keys) if (FIRST.has(k)) firsts++;
  sortByCodeUnits(keys);
  return firsts === 0 ? keys : firstKeysToFront(keys, firsts);
}

/**
 * Sorts in place by UTF-16 code units, as `<` compares. Most mappings have two or three keys, for which the built-in
 * sort's setup costs more than an insertion sort's work.
 */
function sortByCodeUnits(keys: string[]): void {
  if (keys.length > 16) {
    // Without a comparator, the built-in sort compares code units too, without calling back into JavaScript.
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
}

/** Moves the FIRST keys of sorted `keys` to the front, keeping both groups in order. */
function firstKeysToFront(keys: string[], firsts: number): string[] {
  const out = new Array<string>(keys.length);
  let front = 0;
  let rest = firsts;
  for (const k of keys) {
    if (FIRST.has(k)) out[front++] = k;
    else out[rest++] = k;
  }
  return out;
}

/** A copy with keys in output order (see `outputKeyOrder`) and undefined values dropped, at every depth. */
export function inOutputKeyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inOutputKeyOrder);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const source = value as Record<string, unknown>;
    const copy: Record<string, unknown> = {};
    for (const k of outputKeyOrder(source)) {
      if (source[k] === undefined) continue;
      const v = inOutputKeyOrder(source[k]);
      // Assigning `__proto__` would set the prototype; the copy needs it as an ordinary key.
      if (k === '__proto__') Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
      else copy[k] = v;
    }
    return copy;
  }
  return value;
}

function prepare(object: KubeObject): unknown {
  const { status: _status, ...rest } = object;
  return inOutputKeyOrder(rest);
}

const OMIT = new Set(['status']);

export function toYamlStream(objects: readonly KubeObject[]): string {
  // The same as writing prepare(o) for each object, without building those copies.
  return stringifyKubeStream(objects, outputKeyOrder, OMIT, prepare);
}

/** A `v1 List`, the form `kubectl apply -f` accepts as one JSON document. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.map(prepare) }, null, 2)}\n`;
}
