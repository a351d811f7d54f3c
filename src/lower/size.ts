// Objects the API server would refuse for their size, found at conversion time with the Compose path that made
// them (the apply would fail far from the cause): every object's serialized size (etcd's request limit, 1.5 MiB by
// default), the data of a ConfigMap or Secret (1 MiB), and the annotations of an object or pod template (256 KiB).
// Messages name the object, its largest field and sizes, never a value (Secret data must not leak).

import type { KubeObject, LowerContext } from './context.js';
import { podTemplateOf } from '../model/kube.js';

/** etcd's default --max-request-bytes; the API server's own request limit (3 MiB) is larger. */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
/** ConfigMap and Secret validation: keys and values together. */
export const MAX_DATA_BYTES = 1024 * 1024;
/** Object metadata validation: annotation keys and values together. */
export const MAX_ANNOTATION_BYTES = 256 * 1024;

function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/** The longest JSON text of a number (`-1.7976931348623157e+308`). */
const MAX_NUMBER_CHARS = 24;
/** The most UTF-8 bytes one UTF-16 code unit takes in JSON text (a control character is escaped as `\u001f`). */
const MAX_BYTES_PER_CHAR = 6;

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))` that allocates nothing: serializing every object
 * only to find it a thousand times under the limit was most of the size check. Infinity for values JSON.stringify
 * may render in a way not bounded here (toJSON, bigint), so they are measured exactly.
 */
export function jsonBytesBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return MAX_BYTES_PER_CHAR * value.length + 2;
    case 'number':
      return MAX_NUMBER_CHARS;
    case 'boolean':
    case 'undefined':
    case 'function':
    case 'symbol':
      return 5; // `false`; the others are left out or written as `null`
    case 'object':
      return value === null ? 4 : objectBytesBound(value);
    default:
      return Infinity;
  }
}

function objectBytesBound(value: object): number {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let bytes = 2; // brackets or braces
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += jsonBytesBound(value[i]) + 1;
    return bytes;
  }
  // for-in also visits inherited enumerable keys, which JSON.stringify leaves out: still a bound.
  for (const key in value) bytes += MAX_BYTES_PER_CHAR * key.length + 4 + jsonBytesBound((value as Record<string, unknown>)[key]);
  return bytes;
}

/** The serialized size of an object over `limit`; undefined when it is within (proved without serializing if the bound allows). */
function serializedBytesOver(o: KubeObject, limit: number): number | undefined {
  if (jsonBytesBound(o) <= limit) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(o));
  return bytes > limit ? bytes : undefined;
}

/** The field holding the longest string (`spec.template.spec.containers[name=web].env[name=BIG].value`) and its bytes. */
export function largestField(value: unknown, at = ''): { path: string; bytes: number } {
  let best = { path: at, bytes: 0 };
  const visit = (v: unknown, p: string) => {
    if (typeof v === 'string') {
      const bytes = Buffer.byteLength(v);
      if (bytes > best.bytes) best = { path: p, bytes };
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        const name = x && typeof x === 'object' && typeof (x as { name?: unknown }).name === 'string' ? `name=${(x as { name: string }).name}` : String(i);
        visit(x, `${p}[${name}]`);
      });
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) visit(x, p ? `${p}.${k}` : k);
    }
  };
  visit(value, at);
  return best;
}

function dataBytes(o: KubeObject): number {
  let total = 0;
  const add = (m: unknown, decode: boolean) => {
    for (const [k, v] of Object.entries((m as Record<string, string> | undefined) ?? {})) {
      total += Buffer.byteLength(k) + (decode ? Buffer.from(v, 'base64').length : Buffer.byteLength(v));
    }
  };
  if (o.kind === 'ConfigMap') {
    add(o.data, false);
    add(o.binaryData, true);
  } else {
    add(o.data, true);
    add(o.stringData, false);
  }
  return total;
}

function annotationBytes(a: Record<string, string> | undefined): number {
  return Object.entries(a ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** Every annotation map of an object: its own and its pod template's. */
function annotationMaps(o: KubeObject): [string, Record<string, string> | undefined][] {
  const template = podTemplateOf(o);
  return [
    ['metadata.annotations', o.metadata.annotations],
    ['pod template annotations', template?.metadata?.annotations],
  ];
}

/**
 * Reports every object too large for the API server. `origin` gives the Compose path of an object (by kind and
 * name, and the path of its largest field); an object whose origin already has a size error (e.g.
 * `secret.too-large`) is not reported twice.
 */
export function checkObjectSizes(ctx: LowerContext, objects: readonly KubeObject[], origin: (o: KubeObject, largest: string) => string | undefined): void {
  const d = ctx.diagnostics;
  for (const o of objects) {
    const ref = `${o.kind}/${o.metadata.name}`;
    const problems: { code: string; message: string; largest: string }[] = [];
    const data = o.kind === 'ConfigMap' || o.kind === 'Secret' ? dataBytes(o) : 0;
    const size = data > MAX_DATA_BYTES ? undefined : serializedBytesOver(o, MAX_OBJECT_BYTES);
    if (data > MAX_DATA_BYTES) {
      const big = largestField({ data: o.data, binaryData: o.binaryData, stringData: o.stringData });
      problems.push({ code: 'lower.object-too-large', message: `${ref} holds ${mib(data)} of data, but a ${o.kind} holds at most 1 MiB (largest: ${big.path}, ${mib(big.bytes)})`, largest: big.path });
    } else if (size !== undefined) {
      const big = largestField(o);
      problems.push({ code: 'lower.object-too-large', message: `${ref} is ${mib(size)} serialized, but the API server stores objects of at most 1.5 MiB (largest field: ${big.path}, ${mib(big.bytes)})`, largest: big.path });
    } else {
      for (const [where, map] of annotationMaps(o)) {
        const bytes = annotationBytes(map);
        if (bytes <= MAX_ANNOTATION_BYTES) continue;
        const big = largestField(map, where === 'metadata.annotations' ? where : 'spec.template.metadata.annotations');
        problems.push({ code: 'lower.annotations-too-large', message: `${ref}: ${where} total ${mib(bytes)}, but Kubernetes allows at most 256 KiB (largest: ${big.path}, ${mib(big.bytes)})`, largest: big.path });
      }
    }
    for (const p of problems) {
      const path = origin(o, p.largest);
      if (path !== undefined && d.errors.some((e) => e.path === path && e.code.endsWith('too-large'))) continue;
      d.error(p.code, p.message, path !== undefined ? { path } : {});
    }
  }
}
