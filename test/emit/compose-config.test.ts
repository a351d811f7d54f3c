import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeConfigJson, composeConfigObject, composeConfigYaml } from '../../src/emit/compose-config.js';
import { loadProject } from '../../src/compose/loader.js';
import { Diagnostics } from '../../src/model/diagnostics.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-config-'));
const load = (text: string) => loadProject({ files: ['-'], readStdin: () => text, cwd: dir, env: {}, diagnostics: new Diagnostics() });

describe('composeConfigObject', () => {
  const text = [
    'name: p',
    'services:',
    '  web:',
    '    image: "nginx"',
    '    x-top: 1',
    '    labels:',
    '      "cost$$": "$$5"',
    '      plain: "text"',
    '    deploy:',
    '      x-nested: {a: 1}',
    '      replicas: 2',
    'x-project: {b: 2}',
  ].join('\n');

  it('re-escapes `$` in keys and values, drops nested extensions from JSON', () => {
    const json = JSON.parse(composeConfigJson(composeConfigObject(load(text)))) as { services: { web: Record<string, unknown> } } & Record<string, unknown>;
    const web = json.services.web;
    expect(web.labels).toEqual({ 'cost$$$$': '$$5', plain: 'text' });
    expect(web['x-top']).toBeUndefined();
    expect(web.deploy).toEqual({ replicas: 2, placement: {}, resources: {} });
    expect(json['x-project']).toEqual({ b: 2 });
  });

  it('keeps nested extensions in the YAML shape', () => {
    const obj = composeConfigObject(load(text), { yaml: true }) as { services: { web: Record<string, unknown> } };
    expect(obj.services.web['x-top']).toBe(1);
    expect((obj.services.web.deploy as Record<string, unknown>)['x-nested']).toEqual({ a: 1 });
  });
});

describe('composeConfigYaml', () => {
  it('double-quotes text that reads as a timestamp, as a key or a value at any depth', () => {
    const yaml = composeConfigYaml({ services: { web: { labels: { when: '2024-01-15', '2024-01-16': 'x' }, command: ['at', '2024-01-17 10:00:00'] } } });
    expect(yaml).toContain('when: "2024-01-15"');
    expect(yaml).toContain('"2024-01-16": x');
    expect(yaml).toContain('- "2024-01-17 10:00:00"');
  });

  it('leaves other text as the library writes it', () => {
    expect(composeConfigYaml({ a: '2024', b: ['x: y', 'no'] })).toBe("a: \"2024\"\nb:\n  - \"x: y\"\n  - no\n");
  });
});
