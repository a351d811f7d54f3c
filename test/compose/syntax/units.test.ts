import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  goSprint,
  normalizeDuration,
  parseBool,
  parseBytes,
  parseDuration,
  parseDurationNs,
  parseFloatStrict,
  parseInteger,
  parseOctalMode,
} from '../../../src/compose/syntax/units.js';

const SECOND = 1e9;

describe('parseDuration (go-str2duration)', () => {
  it.each([
    ['0', 0],
    ['1ns', 1],
    ['1us', 1e3],
    ['1µs', 1e3],
    ['1μs', 1e3],
    ['400ms', 400e6],
    ['10s', 10 * SECOND],
    ['1m30s', 90 * SECOND],
    ['2h45m', (2 * 3600 + 45 * 60) * SECOND],
    ['1d', 86400 * SECOND],
    ['1w', 7 * 86400 * SECOND],
    ['1.5h', 5400 * SECOND],
    ['.5s', 0.5 * SECOND],
    ['1.s', SECOND],
    ['-1m', -60 * SECOND],
    ['+5s', 5 * SECOND],
    ['1h1h', 7200 * SECOND],
  ])('%s is %d ns', (text, ns) => {
    expect(parseDuration(text)).toBe(ns);
  });

  it('is exact beyond 2^53 nanoseconds', () => {
    expect(parseDurationNs('1000w')).toBe(1000n * 168n * 3600n * 1_000_000_000n);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.s', 'time: invalid duration ".s"'],
    ['10', 'time: missing unit in duration "10"'],
    ['3x', 'time: unknown unit "x" in duration "3x"'],
    ['1y', 'time: unknown unit "y" in duration "1y"'],
    ['9999999999999999999h', 'time: invalid duration "9999999999999999999h"'],
  ])('%s fails with %s', (text, message) => {
    expect(() => parseDuration(text)).toThrow(new Error(message));
  });

  it('formats numbers first, so only 0 has no unit', () => {
    expect(parseDuration(0)).toBe(0);
    expect(() => parseDuration(30)).toThrow('time: missing unit in duration "30"');
  });
});

describe('formatDuration (Go time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [1, '1ns'],
    [1100, '1.1µs'],
    [2.2e6, '2.2ms'],
    [500e6, '500ms'],
    [1.5 * SECOND, '1.5s'],
    [30 * SECOND, '30s'],
    [90 * SECOND, '1m30s'],
    [600 * SECOND, '10m0s'],
    [3600 * SECOND, '1h0m0s'],
    [86400 * SECOND, '24h0m0s'],
    [4000 * SECOND + 1, '1h6m40.000000001s'],
    [-90 * SECOND, '-1m30s'],
  ])('%d ns prints as %s', (ns, text) => {
    expect(formatDuration(ns)).toBe(text);
  });

  it('accepts bigint nanoseconds', () => {
    expect(formatDuration(2540400n * 3600n * 1_000_000_000n)).toBe('2540400h0m0s');
  });

  it('normalizeDuration re-prints what it parses', () => {
    expect(normalizeDuration('90s')).toBe('1m30s');
    expect(normalizeDuration('1d')).toBe('24h0m0s');
    expect(normalizeDuration('1500ms')).toBe('1.5s');
  });
});

describe('parseBytes (compose-go UnitBytes: ParseInt, else go-units v0.5.0 RAMInBytes; checked with docker compose v5.5.1)', () => {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  it.each([
    ['32', 32],
    ['32b', 32],
    ['32B', 32],
    ['32k', 32 * KiB],
    ['32K', 32 * KiB],
    ['32kb', 32 * KiB],
    ['32Kb', 32 * KiB],
    ['32Kib', 32 * KiB],
    ['32KIB', 32 * KiB],
    ['32Mb', 32 * MiB],
    ['32Gb', 32 * 1024 * MiB],
    ['32Tb', 32 * 1024 ** 4],
    ['32Pb', 32 * 1024 ** 5],
    ['32P', 32 * 1024 ** 5],
    ['32.3', 32],
    ['32.3 mb', Math.trunc(32.3 * MiB)],
    ['0.3MB', Math.trunc(0.3 * MiB)],
    ['300m', 300 * MiB],
    ['1gb', 1024 * MiB],
    ['2GiB', 2 * 1024 * MiB],
    ['512 kb', 512 * KiB],
    ['1 kib', KiB],
    ['1.5 ', 1],
    // strconv.ParseInt first: signs, negative sizes
    ['-32', -32],
    ['+5', 5],
    // strconv.ParseFloat's syntax: exponents, leading/trailing dots, underscores, hex floats
    ['1e3', 1000],
    ['1.5e3k', 1536000],
    ['1e3 m', 1000 * MiB],
    ['.5k', 512],
    ['5.', 5],
    ['1_000', 1000],
    ['0x1p3', 8],
    ['0x1.8p1k', 3 * KiB],
    // int64(NaN) and overflow are -2^63 on amd64
    ['nan b', -(2 ** 63)],
    ['1e19', -(2 ** 63)],
    ['1.86932038281567e+239', -(2 ** 63)],
    // JavaScript's own spelling of the int64 bounds (config output) stands for them
    ['-9223372036854776000', -(2 ** 63)],
    ['9223372036854775807', 2 ** 63],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each(['', 'hello', '-1.5k'])('%j is an invalid size', (text) => {
    expect(() => parseBytes(text)).toThrow(`invalid size: '${text}'`);
  });

  it.each([
    ['1i', 'i'],
    ['32bm', 'bm'],
    ['1x', 'x'],
    ['1_', '_'],
    ['1.5ib', 'ib'],
    ['1kä', 'kä'],
  ])('%j has an invalid suffix', (text, suffix) => {
    expect(() => parseBytes(text)).toThrow(`invalid suffix: '${suffix}'`);
  });

  it.each([
    [' 32 ', ' 32', 'invalid syntax'],
    ['32m b', '32m', 'invalid syntax'],
    ['1.2.3k', '1.2.3', 'invalid syntax'],
    ['0x10', '0x10', 'invalid syntax'],
    ['_1', '_1', 'invalid syntax'],
    ['1__0', '1__0', 'invalid syntax'],
    ['1K B', '1K', 'invalid syntax'],
    ['1e400', '1e400', 'value out of range'],
  ])('%j fails ParseFloat', (text, num, why) => {
    expect(() => parseBytes(text)).toThrow(`strconv.ParseFloat: parsing ${JSON.stringify(num)}: ${why}`);
  });

  it('takes a number only when it is an integer within int64 (compose-go ignores floats: the size stays 0)', () => {
    expect(parseBytes(1048576)).toBe(1048576);
    expect(parseBytes(-1)).toBe(-1);
    expect(parseBytes(1.5)).toBe(0);
    expect(parseBytes(1.86932038281567e239)).toBe(0);
  });
});

describe('parseBool (YAML 1.1 table)', () => {
  it.each([
    [true, true, false],
    [false, false, false],
    ['true', true, false],
    ['TRUE', true, false],
    ['False', false, false],
    ['yes', true, true],
    ['Y', true, true],
    ['on', true, true],
    ['no', false, true],
    ['n', false, true],
    ['OFF', false, true],
  ])('%j is %s (legacy %s)', (input, value, legacy) => {
    expect(parseBool(input)).toEqual({ value, legacy });
  });

  it('rejects other words', () => {
    expect(() => parseBool('1')).toThrow('invalid boolean: 1');
    expect(() => parseBool('maybe')).toThrow('invalid boolean: maybe');
  });
});

describe('parseOctalMode', () => {
  it('parses strings in base 8', () => {
    expect(parseOctalMode('0440')).toBe(0o440);
    expect(parseOctalMode('440')).toBe(0o440);
    expect(parseOctalMode('0777')).toBe(0o777);
  });

  it('keeps numbers (YAML already read 0440 as octal)', () => {
    expect(parseOctalMode(288)).toBe(0o440);
  });

  it('rejects non-octal strings, including the 0o prefix that base 8 does not allow', () => {
    expect(() => parseOctalMode('0489')).toThrow('strconv.ParseInt: parsing "0489": invalid syntax');
    expect(() => parseOctalMode('0o440')).toThrow('invalid syntax');
  });
});

describe('numeric casts and fmt.Sprint', () => {
  it('parseInteger accepts decimal integers only', () => {
    expect(parseInteger('42')).toBe(42);
    expect(parseInteger('-7')).toBe(-7);
    expect(() => parseInteger('4.2')).toThrow('invalid syntax');
    expect(() => parseInteger(4.2)).toThrow('invalid syntax');
  });

  it('parseFloatStrict accepts decimal floats', () => {
    expect(parseFloatStrict('1.5')).toBe(1.5);
    expect(parseFloatStrict('.5')).toBe(0.5);
    expect(() => parseFloatStrict('1.5 ')).toThrow('invalid syntax');
    expect(() => parseFloatStrict('0x10')).toThrow('invalid syntax');
  });

  it('goSprint prints like Go fmt.Sprint', () => {
    expect(goSprint(2)).toBe('2');
    expect(goSprint(2.5)).toBe('2.5');
    expect(goSprint(true)).toBe('true');
    expect(goSprint(0.00001)).toBe('1e-05');
    expect(goSprint(1234567.5)).toBe('1.2345675e+06');
    expect(goSprint('x')).toBe('x');
  });
});
