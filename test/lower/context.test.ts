import { describe, expect, test } from 'vitest';
import { merged } from '../../src/lower/objects.js';

describe('merged', () => {
  test('is the spread of its maps: later maps win, keys keep their first position, undefined maps are skipped', () => {
    const out = merged<Record<string, number>>({ a: 1, b: 2 }, undefined, { c: 3, a: 4 });
    expect(out).toEqual({ a: 4, b: 2, c: 3 });
    expect(Object.keys(out)).toEqual(['a', 'b', 'c']);
  });

  test('keeps a key spelled __proto__ as data, as a spread does', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "k": "v"}') as Record<string, unknown>;
    const out = merged<Record<string, unknown>>({ a: 1 }, data);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['a', '__proto__', 'k']);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
