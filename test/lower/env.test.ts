import { describe, expect, test } from 'vitest';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../src/lower/metadata.js';
import { parseDotenv } from '../../src/compose/dotenv.js';
import { lowerProject } from '../../src/lower/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { find, lower, mainContainer, memFiles, project } from './helpers.js';

describe('env', () => {
  test('environment -> env sorted by name; unset (null) variables are left out as in Compose', () => {
    const r = lower(project({ a: { image: 'x', environment: { Z: '1', A: 'two', UNSET: null } } }));
    expect(mainContainer(find(r.objects, 'Deployment', 'a')).env).toEqual([
      { name: 'A', value: 'two' },
      { name: 'Z', value: '1' },
    ]);
  });
  test('B1: env values keep $VAR and escape $( from Kubernetes expansion', () => {
    const r = lower(project({ a: { image: 'x', environment: { P: 'a$b$(c)' } } }));
    expect(mainContainer(find(r.objects, 'Deployment', 'a')).env[0].value).toBe('a$b$$(c)');
  });
  test('B7: env_file -> one ConfigMap per file; envFrom in file order, env after (environment wins)', () => {
    const files = memFiles({ '/p/common.env': 'A=common\nB=common\n', '/p/web.env': 'B=web\n' });
    const r = lower(
      project({
        web: {
          image: 'x',
          env_file: [{ path: '/p/common.env', required: true }, { path: '/p/web.env', required: true }],
          environment: { A: 'environment' },
        },
      }),
      { files },
    );
    const c = mainContainer(find(r.objects, 'Deployment', 'web'));
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'web-common-env' } }, { configMapRef: { name: 'web-web-env' } }]);
    expect(c.env).toEqual([{ name: 'A', value: 'environment' }]);
    expect(find(r.objects, 'ConfigMap', 'web-common-env').data).toEqual({ A: 'common', B: 'common' });
    // No host path leaks into the output.
    expect(JSON.stringify(r.objects)).not.toContain('/p/');
  });
  test('B16: two env files with the same base name get distinct ConfigMaps', () => {
    const files = memFiles({ '/a/.env': 'A=1', '/b/.env': 'B=2' });
    const r = lower(project({ web: { image: 'x', env_file: [{ path: '/a/.env', required: true }, { path: '/b/.env', required: true }] } }), { files });
    const names = r.objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
    expect(new Set(names).size).toBe(2);
    expect(names).toContain('web-env');
  });
  test('a missing optional env_file is skipped; a missing required one is an error', () => {
    const files = memFiles({});
    const optional = lower(project({ web: { image: 'x', env_file: [{ path: '/nope', required: false }] } }), { files });
    expect(optional.diagnostics.errors).toHaveLength(0);
    const required = lower(project({ web: { image: 'x', env_file: [{ path: '/nope', required: true }] } }), { files });
    expect(required.codes).toContain('env.file-unreadable');
  });
  test('the pod template carries a checksum of the env ConfigMaps, which changes with their content', () => {
    const run = (content: string) =>
      find(
        lower(project({ web: { image: 'x', env_file: [{ path: '/e', required: true }] } }), { files: memFiles({ '/e': content }) }).objects,
        'Deployment',
        'web',
      ).spec.template.metadata.annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(run('A=1')).toMatch(/^[0-9a-f]{64}$/);
    expect(run('A=1')).toBe(run('A=1'));
    expect(run('A=2')).not.toBe(run('A=1'));
  });
  test('the loader can supply its own env_file parser', () => {
    const r = lower(project({ web: { image: 'x', env_file: [{ path: '/e', required: true }] } }), {
      files: memFiles({ '/e': 'ignored' }),
      parseEnvFile: () => ({ FROM_LOADER: 'yes' }),
    });
    expect(find(r.objects, 'ConfigMap', 'web-e').data).toEqual({ FROM_LOADER: 'yes' });
  });
  test('without a parser from the loader, an env_file is an error naming the file, not a second grammar', () => {
    const d = new Diagnostics();
    lowerProject(project({ web: { image: 'x', env_file: [{ path: '/e', required: true }] } }), { files: memFiles({ '/e': 'A=1' }) }, d);
    expect(d.errors.map((e) => [e.code, e.path, e.message])).toEqual([['env.file-invalid', 'services.web.env_file[0]', 'web: /e: no env_file parser configured (reading /e)']]);
  });
  test('an env_file used by several services is read and parsed once', () => {
    let reads = 0;
    let parses = 0;
    const files = memFiles({ '/e': 'A=1' });
    const r = lower(project({ a: { image: 'x', env_file: [{ path: '/e', required: true }] }, b: { image: 'x', env_file: [{ path: '/e', required: true }] } }), {
      files: { ...files, read: (p: string) => (reads++, files.read(p)) },
      parseEnvFile: (content, path) => (parses++, parseDotenv(content, { file: path, lookup: () => undefined })),
    });
    expect([reads, parses]).toEqual([1, 1]);
    expect(find(r.objects, 'ConfigMap', 'a-e').data).toEqual({ A: '1' });
    expect(find(r.objects, 'ConfigMap', 'b-e').data).toEqual({ A: '1' });
  });
});
