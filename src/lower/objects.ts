// Plain-object helpers of the lowering: merging maps and a key-order-independent JSON form. A module of their own
// so that context.ts, settings.ts and the passes can all use them without importing each other.

/**
 * `{ ...a, ...b }`. In V8 (Node 20) an object literal that starts with a spread and goes on gets a hidden class of
 * its own, so thousands of them (labels, settings, metadata) made every later read of them megamorphic;
 * Object.assign builds objects of one shape. It sets where a spread defines, which differs only for a key spelled
 * `__proto__` (it would replace the prototype): such maps take the spread.
 */
export function merged<T extends object>(...maps: (Partial<T> | undefined)[]): T {
  if (maps.some((m) => m !== undefined && Object.hasOwn(m, '__proto__'))) return maps.reduce<object>((out, m) => ({ ...out, ...m }), {}) as T;
  return Object.assign({}, ...maps) as T;
}

/** JSON with object keys sorted (and undefined values dropped): equal objects give equal text. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
