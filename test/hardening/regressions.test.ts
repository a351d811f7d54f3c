// One test per bug the fuzzer found (docs/reliability.md lists them): each input used to crash, lose data or
// give an unlocated error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { composeConfigObject, composeConfigYaml } from '../../src/emit/compose-config.js';
import { lowerProject } from '../../src/lower/index.js';
import { DiagnosticError, Diagnostics } from '../../src/model/diagnostics.js';
import { check, idempotenceExempt, idempotenceViolations, loadText, lowerOptionsFor } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-regr-'));

function rejected(text: string): DiagnosticError {
  try {
    loadText(text, { dir });
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw new Error(`not a DiagnosticError: ${String(e)}`);
  }
  throw new Error('loaded');
}

describe('fuzzer findings stay fixed', () => {
  test('an invalid `name:` template is a located interpolation error, not an InterpolationError crash', () => {
    const d = rejected('services:\n  a:\n    image: x\nname: ${A:b-c}\n').diagnostics[0]!;
    expect(d).toMatchObject({ code: 'interpolate.invalid', file: '(stdin)', line: 4, path: 'name' });
  });

  test('a null include entry is a schema error, not a TypeError', () => {
    expect(rejected('include:\n  - null\nservices:\n  a:\n    image: x\n').diagnostics[0]).toMatchObject({ code: 'schema.invalid', path: 'include[0]', line: 2 });
  });

  test('extends: toString (an Object.prototype name) is "not found", not a DataCloneError', () => {
    expect(rejected('services:\n  foo:\n    extends: toString\n').diagnostics[0]).toMatchObject({ code: 'extends.not-found', line: 3 });
  });

  test('a __proto__ key is refused instead of silently dropping the service', () => {
    expect(rejected('services:\n  __proto__:\n    image: x\n').diagnostics[0]).toMatchObject({ code: 'yaml.reserved-key', line: 2 });
  });

  test('an unknown top-level key has a line', () => {
    expect(rejected('services:\n  a:\n    image: x\nservces: {}\n').diagnostics[0]).toMatchObject({ code: 'schema.invalid', line: 4 });
  });

  test('a dependency on a service named with dots and slashes still points at a line', () => {
    const d = rejected('services:\n  a:\n    image: x\n    depends_on:\n      - ./\n').diagnostics[0]!;
    expect(d.code).toBe('consistency.undefined-service');
    expect(d.line).toBeGreaterThan(0);
  });

  test('config quotes a string that reads as a timestamp, so its output reloads to the same model', () => {
    const loaded = loadText('services:\n  a:\n    image: x\n    environment:\n      D: "2024-01-15"\n', { dir });
    const once = composeConfigYaml(composeConfigObject(loaded, { escape: true, nestedExtensions: true }));
    expect(once).toContain('D: "2024-01-15"');
    expect(check('services:\n  a:\n    image: x\n    environment:\n      D: "2024-01-15"\n', { dir, idempotence: true }).violations).toEqual([]);
  });

  test('an environment entry `=x` (empty name) is left out of the container with a warning', () => {
    const loaded = loadText('services:\n  a:\n    image: x\n    environment:\n      - =x\n      - B=1\n', { dir });
    const d = new Diagnostics();
    const { objects } = lowerProject(loaded.project, lowerOptionsFor(loaded), d);
    const dep = objects.find((o) => o.kind === 'Deployment') as any;
    expect(dep.spec.template.spec.containers[0].env).toEqual([{ name: 'B', value: '1' }]);
    expect(d.warnings.map((w) => w.code)).toContain('env.invalid-name');
  });

  test('nesting past the limit is a yaml.too-deep error at every depth (the parser overflowed near 800 levels)', () => {
    for (const n of [300, 900, 10_000]) {
      expect(rejected(`services:\n  a:\n    image: x\nx-d: ${'['.repeat(n)}${']'.repeat(n)}\n`).diagnostics[0]!.code).toBe('yaml.too-deep');
    }
  });
});

test('an empty top-level key has a line', () => {
  expect(rejected('services:\n  a:\n    image: x\n"": 1\n').diagnostics[0]).toMatchObject({ code: 'schema.invalid', line: 4 });
});

test('an integer kompose label beyond int32 is an error, not an invalid object', () => {
  const loaded = loadText('services:\n  a:\n    image: x\n    restart: on-failure\n    labels:\n      kompose.cronjob.schedule: "*/5 * * * *"\n      kompose.cronjob.backoff_limit: 4.21394379353897e+223\n', { dir });
  const d = new Diagnostics();
  lowerProject(loaded.project, lowerOptionsFor(loaded), d);
  expect(d.errors.map((e) => e.code)).toEqual(['kompose.invalid-label']);
});

// The four findings of the 100,000-input nightly run (seed 100001), each checked against docker compose v5.5.1.
describe('nightly run 100001: config output reloads, errors have lines, as docker compose', () => {
  const idempotent = (text: string) => expect(check(text, { dir, idempotence: true }).violations).toEqual([]);
  const configYaml = (text: string) => composeConfigYaml(composeConfigObject(loadText(text, { dir }), { escape: true, nestedExtensions: true }));

  test('a raw U+2028 (LINE SEPARATOR) is a line break, as in go-yaml: `<LS>: x` is not an environment key', () => {
    // The fuzzer's input loaded with the key "\u2028", which config printed raw and the schema then refused.
    const e = rejected('services:\n  a:\n    image: x\n    environment:\n      \u2028: -2134021928\n');
    // docker compose: "did not find expected key" (L1-L6); here the `: -2134021928` line is a key-less top-level pair.
    expect(e.diagnostics[0]).toMatchObject({ code: 'yaml.non-string-key', file: '(stdin)' });
    expect(e.diagnostics[0]!.line).toBeGreaterThan(0);
    // It ends a comment like a newline: docker compose reads the rest as the next line.
    const loaded = loadText('services:\n  a:\n    image: x # c\u2028    labels:\n      l: a\n', { dir });
    expect(loaded.project.services.a!.labels).toEqual({ l: 'a' });
    // NEL and PS as well; inside quotes they stay characters of the value.
    expect(rejected('services:\n  a:\n    image: x\n    environment:\n      \u0085: 1\n').diagnostics[0]!.line).toBeGreaterThan(0);
    expect(loadText("services:\n  a:\n    image: x\n    labels:\n      l: 'a\u2029b'\n", { dir }).project.services.a!.labels).toEqual({ l: 'a\u2029b' }); // docker compose: the same
  });

  test('schema patterns use Go regexp semantics: `.` matches \\r and U+2028 (environment keys docker compose accepts)', () => {
    for (const key of ['\\r', '\\u2028', 'a\\u2029']) {
      const loaded = loadText(`services:\n  a:\n    image: x\n    environment:\n      "${key}": x\n`, { dir });
      expect(Object.keys(loaded.project.services.a!.environment!)).toEqual([JSON.parse(`"${key}"`)]);
    }
    expect(rejected('services:\n  a:\n    image: x\n    environment:\n      "\\n": x\n').diagnostics[0]).toMatchObject({ code: 'schema.invalid', line: 5 });
    idempotent('services:\n  a:\n    image: x\n    environment:\n      "\\r": x\n');
  });

  test('ulimits `nofile: 0` is soft 0 / hard 0 (compose-go: single is omitempty), not a `single` key', () => {
    for (const text of ['services:\n  a:\n    image: x\n    ulimits:\n      nofile: 0\n', 'services:\n  a:\n    image: x\n    ulimits:\n      nofile: "0"\n']) {
      expect(loadText(text, { dir }).project.services.a!.ulimits).toEqual({ nofile: { soft: 0, hard: 0 } });
      expect(configYaml(text)).toMatch(/nofile:\n\s+hard: 0\n\s+soft: 0\n/);
      idempotent(text);
    }
    expect(loadText('services:\n  a:\n    image: x\n    ulimits:\n      nofile: 5\n', { dir }).project.services.a!.ulimits).toEqual({ nofile: { single: 5 } });
  });

  test('a long-form mount with `target: ""` gets target "." (path.Clean in normalize.go), so config reloads', () => {
    // From corpus compose-with-paths.yaml (source C:\docker\project) with the target emptied.
    const text = 'services:\n  test:\n    image: x\n    volumes:\n      - type: bind\n        source: C:\\docker\\project\n        target: ""\n';
    expect(loadText(text, { dir }).project.services.test!.volumes).toEqual([{ type: 'bind', source: 'C:\\docker\\project', target: '.' }]);
    idempotent(text);
    // Without a target at all it stays an error with its line.
    expect(rejected('services:\n  test:\n    image: x\n    volumes:\n      - type: bind\n        source: /src\n').diagnostics[0]).toMatchObject({ code: 'unique.missing-target', line: 5 });
  });

  test('!!binary is decoded like go-yaml; top-level or invalid base64 is a located error, not keys 0, 1, ...', () => {
    // The fuzzer's input: the yaml package's Buffer was spread into a mapping with keys '0'..'6', without a line.
    expect(rejected('!!binary \u7f3cervice0755\n').diagnostics[0]).toMatchObject({ code: 'yaml.binary-invalid', line: 1 });
    expect(rejected('!!binary aGVsbG8=\n').diagnostics[0]).toMatchObject({ line: 1 });
    expect(loadText('services:\n  a:\n    image: !!binary eA==\n    labels:\n      l: !!binary 4pyT\n      t: !!timestamp 2001-12-14\n', { dir }).project.services.a).toMatchObject({
      image: 'x',
      labels: { l: '✓', t: '2001-12-14 00:00:00 +0000 UTC' },
    });
    expect(rejected('services:\n  a:\n    image: !!binary aGVsbG8\n').diagnostics[0]).toMatchObject({ code: 'yaml.binary-invalid', line: 3, path: 'services.a.image' });
  });
});

// config wrote U+2028/U+2029 raw in a plain scalar, which go-yaml and now our reader take as a line break, so
// `l: "a\u2028b"` did not reload; src/emit/compose-config.ts now writes NEL/LS/PS escaped in double quotes.
test('config output of a value holding U+2028 reloads to the same model (written escaped in double quotes)', () => {
  expect(check('services:\n  a:\n    image: x\n    labels:\n      l: "a\\u2028b"\n', { dir, idempotence: true }).violations).toEqual([]);
  expect(check('services:\n  a:\n    image: x\n    environment:\n      "k\\u2029": "x\\u0085y\\u2028"\n', { dir, idempotence: true }).violations).toEqual([]);
});

test('a document that is only `!override` or `!reset` is "Top-level object must be a mapping" at its line (fresh run, seed 731953)', () => {
  // docker compose: "cannot construct !override `` into cli.named"; here it was "cannot override" without a line.
  for (const text of ['!override \n', '!reset \n', '!reset\nservices: {}\n', '!override [a]\n']) {
    expect(rejected(text).diagnostics[0], text).toMatchObject({ code: 'schema.top-level', line: 1 });
  }
  // `!override` on a whole mapping is accepted, as by docker compose.
  expect(loadText('!override\nservices:\n  a:\n    image: x\n', { dir }).project.services.a!.image).toBe('x');
});

test('`services: !override` with nothing is "services must be a mapping" at services (extends walked the tag as services: services.value)', () => {
  expect(rejected('services: !override\n').diagnostics[0]).toMatchObject({ code: 'schema.invalid', path: 'services', line: 1, message: 'services must be a mapping' });
  expect(loadText('services: !override\n  a:\n    extends: b\n  b:\n    image: y\n', { dir }).project.services.a!.image).toBe('y');
});

test('a byte size that is a YAML float is no size (compose-go keeps 0: docker compose drops it); strings follow go-units v0.5.0 (fresh run, seed 58213)', () => {
  // mem_limit: 1.86932038281567e+239 was printed as that string, which the old size grammar refused on reload.
  const text = 'services:\n  foo:\n    image: x\n    mem_limit: 1.86932038281567e+239\n    shm_size: 1.5\n    memswap_limit: 0\n    mem_reservation: "1e3 k"\n';
  const svc = loadText(text, { dir }).project.services.foo!;
  expect(svc).not.toHaveProperty('mem_limit');
  expect(svc).not.toHaveProperty('shm_size');
  expect(svc).not.toHaveProperty('memswap_limit');
  expect(svc.mem_reservation).toBe(1024000);
  idempotentLoad(text);
  idempotentLoad('services:\n  foo:\n    image: x\n    mem_limit: "nan b"\n');
});

function idempotentLoad(text: string): void {
  expect(check(text, { dir, idempotence: true }).violations).toEqual([]);
}

test('`name: ""` on a resource is exempt from the idempotence check: docker compose v5.5.1 reloads it with a default name too (fresh run, seed 904117)', () => {
  const text = 'services:\n  a:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    name: ""\n';
  const loaded = loadText(text, { dir });
  expect(idempotenceExempt(loaded)).toBe(true);
  // The exemption is needed: our output does reload with another name, exactly as docker compose's does.
  expect(idempotenceViolations(loaded, { dir })).not.toEqual([]);
  expect(idempotenceExempt(loadText('services:\n  a:\n    image: x\n    networks: [net]\nnetworks:\n  net:\n    name: n\n', { dir }))).toBe(false);
});
