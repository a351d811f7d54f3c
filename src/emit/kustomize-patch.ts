// RFC 6902 (JSON6902) patches between two versions of one object, as Kustomize overlays apply them.
// Exact for every kind (no strategic-merge schema needed): maps are diffed key by key, lists of equal length
// element by element, a list that only grew or shrank at its end by add/remove at the end, any other list
// change replaces the list.

export type JsonPatchOp =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

export function pointerSegment(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => b[k] !== undefined && deepEqual(a[k], b[k]));
  }
  return false;
}

export function jsonDiff(from: unknown, to: unknown, path = ''): JsonPatchOp[] {
  if (deepEqual(from, to)) return [];
  if (isMap(from) && isMap(to)) {
    const ops: JsonPatchOp[] = [];
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) {
      const p = `${path}/${pointerSegment(k)}`;
      const a = from[k];
      const b = to[k];
      if (b === undefined && a !== undefined) ops.push({ op: 'remove', path: p });
      else if (a === undefined && b !== undefined) ops.push({ op: 'add', path: p, value: b });
      else ops.push(...jsonDiff(a, b, p));
    }
    return ops;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const common = Math.min(from.length, to.length);
    const prefixSame = from.slice(0, common).every((x, i) => deepEqual(x, to[i]));
    if (from.length === to.length) return from.flatMap((x, i) => jsonDiff(x, to[i], `${path}/${i}`));
    if (prefixSame && to.length > from.length) return to.slice(common).map((value) => ({ op: 'add' as const, path: `${path}/-`, value }));
    if (prefixSame && to.length < from.length) {
      const ops: JsonPatchOp[] = [];
      for (let i = from.length - 1; i >= common; i--) ops.push({ op: 'remove', path: `${path}/${i}` });
      return ops;
    }
  }
  return [{ op: 'replace', path: path || '', value: to }];
}
