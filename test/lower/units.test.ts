import { describe, expect, test } from 'vitest';
import { bytesToQuantity, cpusToQuantity, durationSeconds, escapeKubeExpansion, parseBytes, parseDuration, parseQuantity, splitShellWords } from '../../src/lower/units.js';

describe('units', () => {
  test('Go durations', () => {
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('400ms')).toBe(400);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('abc')).toBeUndefined();
    expect(parseDuration('10')).toBeUndefined();
    expect(durationSeconds('1500ms')).toBe(2);
    expect(durationSeconds('0s', 1)).toBe(1);
  });
  test('bytes become exact binary quantities', () => {
    expect(bytesToQuantity(268435456)).toBe('256Mi');
    expect(bytesToQuantity(1536 * 1024)).toBe('1536Ki');
    expect(bytesToQuantity(1073741824)).toBe('1Gi');
    expect(bytesToQuantity(1000)).toBe('1000');
    expect(bytesToQuantity(0)).toBe('0');
    expect(parseBytes('64m')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1gb')).toBe(1024 ** 3);
    expect(parseBytes('2GiB')).toBe(2 * 1024 ** 3);
  });
  test('cpus become millicores', () => {
    expect(cpusToQuantity(0.5)).toBe('500m');
    expect(cpusToQuantity(2)).toBe('2');
    expect(cpusToQuantity(0.0001)).toBe('1m');
    expect(cpusToQuantity(1.25)).toBe('1250m');
  });
  test('huge values stay quantities: never exponent notation', () => {
    // String(1e23) is "1e+23": an invalid quantity the API server refuses.
    expect(cpusToQuantity(1e20)).toMatch(/^\d{21,}m?$/);
    expect(cpusToQuantity(1e18)).toBe('1000000000000000000');
    expect(bytesToQuantity(1e23)).toMatch(/^\d+(Ki|Mi|Gi|Ti|Pi|Ei)?$/);
    expect(parseQuantity(bytesToQuantity(1e23))).toBeCloseTo(1e23, -10);
  });
  test('quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('1Gi')).toBe(1024 ** 3);
    expect(parseQuantity('50%')).toBeUndefined();
  });
  test('B1: $ is never rewritten; only Kubernetes expansion syntax is escaped', () => {
    expect(escapeKubeExpansion('$MY_VAR ${VAR}')).toBe('$MY_VAR ${VAR}');
    expect(escapeKubeExpansion('echo $(date)')).toBe('echo $$(date)');
    // `$$` would be reduced to `$` by Kubernetes: keep both.
    expect(escapeKubeExpansion('echo $$')).toBe('echo $$$');
    expect(escapeKubeExpansion('$$(x)')).toBe('$$$$(x)');
  });
  test('shell words', () => {
    expect(splitShellWords(`curl -f "http://x/a b" 'c d' e\\ f`)).toEqual(['curl', '-f', 'http://x/a b', 'c d', 'e f']);
    expect(splitShellWords('')).toEqual([]);
  });
});
