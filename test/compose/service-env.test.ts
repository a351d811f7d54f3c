// A service's resolved environment; env files are read and parsed once per load (one project environment).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newEnvFileCache, resolveServiceEnvironment } from '../../src/compose/service-env.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import type { Service } from '../../src/model/project.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-service-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function envFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const service = (s: Partial<Service>): Service => s as Service;

describe('resolveServiceEnvironment with shared env files', () => {
  it('interpolates a shared file with each service environment', () => {
    const cache = newEnvFileCache();
    const path = envFile('shared.env', 'URL=http://${HOST}:${PORT:-80}\nPLAIN=x\n');
    const projectEnv = { PORT: '8080' };
    const a = resolveServiceEnvironment(service({ env_file: [{ path, required: true }], environment: { HOST: 'a' } }), projectEnv, cache);
    const b = resolveServiceEnvironment(service({ env_file: [{ path, required: true }], environment: { HOST: 'b' } }), projectEnv, cache);
    const again = resolveServiceEnvironment(service({ env_file: [{ path, required: true }], environment: { HOST: 'a' } }), projectEnv, cache);
    expect(a).toEqual({ URL: 'http://a:8080', PLAIN: 'x', HOST: 'a' });
    expect(b).toEqual({ URL: 'http://b:8080', PLAIN: 'x', HOST: 'b' });
    expect(again).toEqual(a);
  });

  it('gives each service its own map: changing one leaves the others', () => {
    const cache = newEnvFileCache();
    const path = envFile('plain.env', 'A=1\n');
    const projectEnv = {};
    const first = resolveServiceEnvironment(service({ env_file: [{ path, required: true }] }), projectEnv, cache);
    first.A = 'changed';
    expect(resolveServiceEnvironment(service({ env_file: [{ path, required: true }] }), projectEnv, cache)).toEqual({ A: '1' });
  });

  it('parses the same file apart in the raw format', () => {
    const cache = newEnvFileCache();
    const path = envFile('quoted.env', 'Q="a b"\n');
    const projectEnv = {};
    const files = (format?: string) => [{ path, required: true, ...(format ? { format } : {}) }];
    expect(resolveServiceEnvironment(service({ env_file: files() }), projectEnv, cache)).toEqual({ Q: 'a b' });
    expect(resolveServiceEnvironment(service({ env_file: files('raw') }), projectEnv, cache)).toEqual({ Q: '"a b"' });
  });

  it('fails for a missing required file at every use and skips a missing optional one', () => {
    const cache = newEnvFileCache();
    const path = join(dir, 'missing.env');
    const projectEnv = {};
    expect(resolveServiceEnvironment(service({ env_file: [{ path, required: false }] }), projectEnv, cache)).toEqual({});
    for (let i = 0; i < 2; i++) {
      expect(() => resolveServiceEnvironment(service({ env_file: [{ path, required: true }] }), projectEnv, cache)).toThrow(DiagnosticError);
    }
  });
});
