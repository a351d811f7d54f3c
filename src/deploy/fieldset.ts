// Skipping unchanged objects without asking the server. An object is sent again unless all of this holds:
//  1. its `compose2k8s.io/applied-hash` annotation equals the hash of what we would send now (so our intent is the
//     one applied last time — the annotation is part of the applied configuration, hence owned by us);
//  2. our field manager still has its Apply entry, and that entry's field set covers every field of the manifest.
//     Whoever changes a field we own to another value (kubectl edit, scale, another applier with force) takes its
//     ownership away from us, and removed fields leave every field set, so drift always uncovers a field.
// Anything unexpected (an unknown fieldsV1 shape, a list element that cannot be matched) means "send it": the check
// can only make apply slower, never skip an object whose live state differs from the manifest in a field we own.
import { createHash } from 'node:crypto';
import { isPlainObject, type KubeObject } from './types.js';

export const ANNOTATION_APPLIED_HASH = 'compose2k8s.io/applied-hash';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

/** base64url(sha256(canonical JSON)) of the object without the hash annotation. */
export function appliedHash(body: KubeObject): string {
  const annotations = { ...(body.metadata.annotations ?? {}) };
  delete annotations[ANNOTATION_APPLIED_HASH];
  const metadata = { ...body.metadata, annotations: Object.keys(annotations).length ? annotations : undefined };
  return createHash('sha256')
    .update(JSON.stringify(canonical({ ...body, metadata })))
    .digest('base64url');
}

/** The body with its hash annotation. */
export function withAppliedHash(body: KubeObject): KubeObject {
  return { ...body, metadata: { ...body.metadata, annotations: { ...body.metadata.annotations, [ANNOTATION_APPLIED_HASH]: appliedHash(body) } } };
}

type FieldsV1 = Record<string, unknown>;

function isLeaf(node: FieldsV1): boolean {
  return Object.keys(node).length === 0;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Does the field set `node` own every field of `value`? (Atomic maps and lists are owned as a whole: `{}`.) */
export function covers(value: unknown, node: unknown): boolean {
  // Empty maps and lists hold no field to own.
  if (Array.isArray(value) && value.length === 0) return true;
  if (isPlainObject(value) && Object.values(value).every((v) => v === null || v === undefined)) return true;
  if (!isPlainObject(node)) return false;
  if (Array.isArray(value)) {
    if (isLeaf(node)) return true; // atomic list
    return value.every((el, i) => {
      if (!isPlainObject(el)) return isPlainObject(node[`v:${JSON.stringify(el)}`]) || isPlainObject(node[`i:${i}`]);
      for (const [k, child] of Object.entries(node)) {
        if (!k.startsWith('k:')) continue;
        let key: Record<string, unknown>;
        try {
          key = JSON.parse(k.slice(2)) as Record<string, unknown>;
        } catch {
          continue;
        }
        // Key fields the manifest leaves out were defaulted by the server (e.g. a port's protocol).
        const present = Object.keys(key).filter((f) => el[f] !== undefined);
        if (present.length > 0 && present.every((f) => sameJson(el[f], key[f]))) return covers(el, child);
      }
      return isPlainObject(node[`i:${i}`]) && covers(el, node[`i:${i}`]);
    });
  }
  if (isPlainObject(value)) {
    if (isLeaf(node)) return true; // atomic map or struct
    return Object.entries(value).every(([k, v]) => v === null || v === undefined || covers(v, node[`f:${k}`]));
  }
  return true; // a scalar whose path exists
}

export interface LiveMetadata {
  annotations?: Record<string, string>;
  deletionTimestamp?: unknown;
  managedFields?: { manager?: string; operation?: string; subresource?: string; fieldsV1?: unknown }[];
}

/** True when sending `body` (which carries its hash annotation) cannot change the live object, by the rules above. */
export function unchangedSince(body: KubeObject, live: LiveMetadata | undefined, manager: string): boolean {
  if (!live || live.deletionTimestamp) return false;
  const want = body.metadata.annotations?.[ANNOTATION_APPLIED_HASH];
  if (!want || live.annotations?.[ANNOTATION_APPLIED_HASH] !== want) return false;
  const entry = (live.managedFields ?? []).find((m) => m.manager === manager && m.operation === 'Apply' && !m.subresource);
  if (!entry || !isPlainObject(entry.fieldsV1)) return false;
  const { apiVersion: _a, kind: _k, metadata, ...rest } = body;
  const { name: _n, namespace: _ns, ...meta } = metadata;
  return covers({ ...rest, metadata: meta }, entry.fieldsV1);
}
