// A service's resolved environment; env files are read and parsed once per load (one project environment).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newEnvFileCache, withServiceEnvFilesResolved } from '../../src/compose/service-env.js';
import { loadProject } from '../../src/compose/loader.js';
import { effectiveEnvironment } from '../../src/model/environment.js';
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
/** The container environment of a service resolved as the loader does it. */
const resolveServiceEnvironment = (svc: Service, projectEnv: Record<string, string>, cache = newEnvFileCache()) =>
  effectiveEnvironment(withServiceEnvFilesResolved(svc, projectEnv, 'services.s', cache));

describe('the loaded model carries each env file resolved (issue #13)', () => {
  it('a file sees the project environment, the files before it and the service environment', () => {
    const project = mkdtempSync(join(dir, 'p-'));
    writeFileSync(join(project, 'a.env'), 'A=one\n');
    writeFileSync(join(project, 'b.env'), 'B=${A}-two\nC=${SVC:-dflt}\n');
    writeFileSync(join(project, 'compose.yaml'), 'services:\n  s:\n    image: x\n    env_file: [a.env, b.env]\n    environment: {SVC: from-environment}\n');
    const { project: p } = loadProject({ cwd: project, env: {} });
    const svc = p.services.s!;
    expect(svc.env_file!.map((f) => f.values)).toEqual([{ A: 'one' }, { B: 'one-two', C: 'from-environment' }]);
    expect(effectiveEnvironment(svc)).toEqual({ A: 'one', B: 'one-two', C: 'from-environment', SVC: 'from-environment' });
  });
  it('a missing required env file is a load error at its env_file entry', () => {
    const project = mkdtempSync(join(dir, 'p-'));
    writeFileSync(join(project, 'compose.yaml'), 'services:\n  s:\n    image: x\n    env_file:\n      - nope.env\n');
    let thrown: unknown;
    try {
      loadProject({ cwd: project, env: {} });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DiagnosticError);
    const d = (thrown as DiagnosticError).diagnostics[0]!;
    expect([d.code, d.file, d.line]).toEqual(['env-file.not-found', join(project, 'compose.yaml'), 5]);
  });
  it('a missing optional env file has no values and adds nothing', () => {
    const svc = withServiceEnvFilesResolved(service({ env_file: [{ path: join(dir, 'absent.env'), required: false }] }), {}, 'services.s');
    expect(svc.env_file).toEqual([{ path: join(dir, 'absent.env'), required: false }]);
    expect(effectiveEnvironment(svc)).toEqual({});
  });
});

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
