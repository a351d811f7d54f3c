// Deterministic output: key order fixed (apiVersion, kind, metadata, name, namespace first; the rest alphabetical, as
// kubectl prints), no `status` (B4: removed structurally, never by editing text), no undefined fields.
// YAML is written for YAML 1.1 readers (kubectl, go-yaml): strings like "no", "on" or "0755" are quoted.

import type { KubeObject } from './context.js';
import { stringifyKubeOrdered } from './yaml-writer.js';

const FIRST = ['apiVersion', 'kind', 'metadata', 'name', 'namespace'];

function rank(key: string): number {
  const i = FIRST.indexOf(key);
  return i < 0 ? FIRST.length : i;
}

function compareKeys(a: string, b: string): number {
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** A copy with keys in canonical order and undefined values dropped. */
export function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => compareKeys(a, b));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalize(v)]));
  }
  return value;
}

function prepare(object: KubeObject): unknown {
  const { status: _status, ...rest } = object;
  return canonicalize(rest);
}

const OMIT = new Set(['status']);
const canonicalOrder = (keys: string[]) => keys.sort(compareKeys);

export function toYamlStream(objects: readonly KubeObject[]): string {
  // The same as writing prepare(o), without building that copy of every object.
  return objects.map((o) => `---\n${stringifyKubeOrdered(o as unknown as Record<string, unknown>, canonicalOrder, OMIT, () => prepare(o))}`).join('');
}

/** A `v1 List`, the form `kubectl apply -f` accepts as one JSON document. */
export function toJsonList(objects: readonly KubeObject[]): string {
  return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects.map(prepare) }, null, 2)}\n`;
}
