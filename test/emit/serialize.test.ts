import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inOutputKeyOrder } from '../../src/emit/serialize.js';

/** The output key order spelled out: the FIRST keys in their order, then the rest by UTF-16 code units. */
const FIRST = ['apiVersion', 'kind', 'metadata', 'name', 'namespace'];
const rank = (k: string) => (FIRST.includes(k) ? FIRST.indexOf(k) : FIRST.length);
function reference(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reference);
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, reference(v)]));
  }
  return value;
}

describe('inOutputKeyOrder', () => {
  it('puts apiVersion, kind, metadata, name and namespace first, then the rest in code-unit order', () => {
    const value = { z: 1, namespace: 'n', B: 2, name: 'x', a: undefined, 'é': 3, metadata: {}, _: 4, kind: 'K', apiVersion: 'v1', aa: 5 };
    expect(Object.keys(inOutputKeyOrder(value) as object)).toEqual(['apiVersion', 'kind', 'metadata', 'name', 'namespace', 'B', '_', 'aa', 'z', 'é']);
  });

  it('orders many keys the same way', () => {
    const keys = Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}`).concat('namespace', 'B', 'kind', '_');
    const value = Object.fromEntries(keys.map((k) => [k, 1]));
    expect(JSON.stringify(inOutputKeyOrder(value))).toBe(JSON.stringify(reference(value)));
  });

  it('keeps `__proto__` as an ordinary key', () => {
    const value = JSON.parse('{"b": 1, "__proto__": {"x": 1}}') as object;
    const copy = inOutputKeyOrder(value) as object;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe('{"__proto__":{"x":1},"b":1}');
  });

  it('orders keys like the spelled-out order, at every depth', () => {
    const key = fc.oneof(fc.constantFrom(...FIRST, 'Name', 'names', 'a', 'Z', '_', '-', '10', '2', 'é', '😀', '__proto__'), fc.string());
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.constant(undefined), tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 3 }),
      map: fc.dictionary(key, tie('node'), { maxKeys: 8 }),
    })).map;
    fc.assert(
      fc.property(tree, (v) => {
        expect(JSON.stringify(inOutputKeyOrder(v))).toBe(JSON.stringify(reference(v)));
      }),
      { numRuns: 2000 },
    );
  });
});
