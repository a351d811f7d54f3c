// Golden fixtures: fixtures/convert/<case>/compose.yaml (+ options.json) -> expected.yaml, the YAML stream of
// lowerProject(...).objects, and expected.diagnostics, every diagnostic (severity, code, path, message) so
// warnings are asserted exactly. UPDATE_GOLDEN=1 rewrites both.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lowerProject } from '../../src/lower/index.js';
import { toYamlStream, validateObjects } from '../../src/emit/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { diskOptions, loadFixture } from './fs-port.js';

const ROOT = join(import.meta.dirname, '../../fixtures/convert');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const CASES = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'compose.yaml'))).sort();

function convert(dir: string) {
  const loaded = loadFixture(join(dir, 'compose.yaml'), dir);
  const optionsFile = join(dir, 'options.json');
  const options = existsSync(optionsFile) ? JSON.parse(readFileSync(optionsFile, 'utf8')) : {};
  const diagnostics = new Diagnostics();
  const result = lowerProject(loaded.project, { ...diskOptions(loaded), ...options }, diagnostics);
  const diag = diagnostics.items
    .map((d) => `${d.severity} ${d.code}${d.path ? ` (${d.path})` : ''}: ${d.message}`.split(dir).join('<fixture>'))
    .join('\n');
  return { yaml: toYamlStream(result.objects), diag: diag ? `${diag}\n` : '', objects: result.objects, diagnostics };
}

describe('golden fixtures (fixtures/convert)', () => {
  test('there are fixtures for every mapping', () => {
    expect(CASES).toEqual(expect.arrayContaining(['ports', 'storage', 'configs', 'secrets-reference', 'secrets-inline', 'network-policies', 'expose-nodeport', 'expose-loadbalancer', 'expose-ingress', 'statefulset', 'job', 'cronjob', 'hpa', 'healthchecks', 'depends-on', 'service-group', 'service-group-volume', 'pod-security-restricted', 'pod-security-baseline']));
  });

  for (const name of CASES) {
    test(name, async () => {
      const dir = join(ROOT, name);
      const { yaml, diag, objects, diagnostics } = convert(dir);
      const yamlFile = join(dir, 'expected.yaml');
      const diagFile = join(dir, 'expected.diagnostics');
      if (UPDATE) {
        writeFileSync(yamlFile, yaml);
        writeFileSync(diagFile, diag);
      }
      expect(yaml).toBe(readFileSync(yamlFile, 'utf8'));
      expect(diag).toBe(readFileSync(diagFile, 'utf8'));
      // Regenerating gives the same bytes, and the output is valid.
      expect(convert(dir).yaml).toBe(yaml);
      const v = new Diagnostics();
      expect(await validateObjects(objects, v)).toBe(0);
      expect(diagnostics.errors).toEqual([]);
    });
  }
});
