import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { buildNameTable, isDnsLabel, NameTable, pureSha256Hex, sha256Hex, toKubeName } from '../../src/lower/names.js';
import { find, lower, project } from './helpers.js';

describe('toKubeName', () => {
  test('lower-cases and turns _ and . into -', () => {
    expect(toKubeName('My_Web.App')).toBe('my-web-app');
  });
  test('strips invalid characters and leading/trailing dashes', () => {
    expect(toKubeName('_web@api!_')).toBe('webapi');
    expect(toKubeName('--x--')).toBe('x');
  });
  test('an empty result still gives a valid, stable name', () => {
    expect(toKubeName('@@@')).toMatch(/^x-[0-9a-f]{6}$/);
    expect(toKubeName('@@@')).toBe(toKubeName('@@@'));
  });
  test('DNS-1035 names start with a letter', () => {
    expect(toKubeName('1web', { startWithLetter: true })).toBe('x-1web');
    expect(toKubeName('1web')).toBe('1web');
  });
  test('B16: truncation keeps 63 characters, adds a stable hash and never ends with -', () => {
    const raw = `${'a'.repeat(55)}-${'b'.repeat(20)}`;
    const name = toKubeName(raw);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/-[0-9a-f]{6}$/);
    expect(isDnsLabel(name)).toBe(true);
    // A dash just before the cut is not left dangling.
    const dashy = toKubeName(`${'a'.repeat(55)}${'-'.repeat(10)}b`);
    expect(dashy).not.toMatch(/--/);
    expect(isDnsLabel(dashy)).toBe(true);
  });
  test('every output is an RFC 1123 label (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (raw) => {
        expect(isDnsLabel(toKubeName(raw))).toBe(true);
        expect(/^[a-z]/.test(toKubeName(raw, { startWithLetter: true }))).toBe(true);
      }),
    );
  });
});

describe('sha256Hex', () => {
  // Names and config-checksum annotations were node:crypto digests of the UTF-8 text; they must not change.
  const native = (text: string) => createHash('sha256').update(text).digest('hex');
  test('the pure-JS hash equals node:crypto on any string, lone surrogates included', () => {
    for (const text of ['', 'web', 'ünï\0cødé', '\ud800lone', '😀\udc00', 'x'.repeat(70_000)]) expect(pureSha256Hex(text)).toBe(native(text));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => pureSha256Hex(text) === native(text)));
  });
  test('the same digests before and after it switches to node:crypto', () => {
    for (let i = 0; i < 40; i++) expect(sha256Hex(`svc${i}`)).toBe(native(`svc${i}`));
  });
});

describe('name table', () => {
  test('B16: web_api, web.api and web-api collide: an error naming both services', () => {
    const d = new Diagnostics();
    buildNameTable(project({ 'web_api': { image: 'a' }, 'web.api': { image: 'b' }, 'web-api': { image: 'c' } }), {}, false, d);
    const errors = d.errors.filter((e) => e.code === 'names.collision');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.message).toContain('"web-api" and "web.api"');
    expect(errors[1]!.message).toContain('"web-api" and "web_api"');
  });
  test('renameCollisions gives distinct names; the canonical spelling keeps its name', () => {
    const d = new Diagnostics();
    const t = buildNameTable(project({ web_api: { image: 'a' }, 'web-api': { image: 'c' } }), {}, true, d);
    expect(t.service('web-api')).toBe('web-api');
    expect(t.service('web_api')).toMatch(/^web-api-[0-9a-f]{6}$/);
    expect(d.errors).toHaveLength(0);
    expect(d.warnings.map((w) => w.code)).toEqual(['names.renamed']);
  });
  test('names are per kind: a volume and a service may share a name', () => {
    const d = new Diagnostics();
    const t = buildNameTable(project({ data: { image: 'a' } }, { volumes: { data: {} } }), {}, false, d);
    expect(t.service('data')).toBe('data');
    expect(t.volume('data')).toBe('data');
    expect(d.errors).toHaveLength(0);
  });
  test('generated names never collide: claim suffixes a taken name', () => {
    const t = new NameTable();
    const a = t.claim('ConfigMap', 'one', 'web-env');
    const b = t.claim('ConfigMap', 'two', 'web-env');
    expect(a).toBe('web-env');
    expect(b).not.toBe(a);
    expect(t.claim('ConfigMap', 'two', 'web-env')).toBe(b);
  });
  test('B16: every object name in the output is sanitized (Kompose left my_api in Service names)', () => {
    const r = lower(project({ My_Api: { image: 'x' } }));
    expect(find(r.objects, 'Deployment', 'my-api').metadata.name).toBe('my-api');
  });
  test('a name override (x-kubernetes.name) is sanitized and collision-checked too', () => {
    const r = lower(project({ a: { image: 'x', 'x-kubernetes': { name: 'B_b' } }, 'b-b': { image: 'y' } }));
    expect(r.codes).toContain('names.collision');
  });
});
