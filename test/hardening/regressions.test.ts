// One test per bug the fuzzer found (docs/reliability.md lists them): each input used to crash, lose data or
// give an unlocated error.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { composeConfigObject, composeConfigYaml } from '../../src/emit/compose-config.js';
import { lowerProject } from '../../src/lower/index.js';
import { DiagnosticError, Diagnostics } from '../../src/model/diagnostics.js';
import { check, loadText, lowerOptionsFor } from './harness.js';

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
