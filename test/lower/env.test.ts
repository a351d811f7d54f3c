import { describe, expect, test } from 'vitest';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../src/lower/metadata.js';
import { lowerProject } from '../../src/lower/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { find, lower, mainContainer, project } from './helpers.js';

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
  test('B7: env_file -> one ConfigMap per file with the loaded values; envFrom in file order, env after (environment wins)', () => {
    const r = lower(
      project({
        web: {
          image: 'x',
          env_file: [
            { path: '/p/common.env', required: true, values: { A: 'common', B: 'common' } },
            { path: '/p/web.env', required: true, values: { B: 'web' } },
          ],
          environment: { A: 'environment' },
        },
      }),
    );
    const c = mainContainer(find(r.objects, 'Deployment', 'web'));
    expect(c.envFrom).toEqual([{ configMapRef: { name: 'web-common-env' } }, { configMapRef: { name: 'web-web-env' } }]);
    expect(c.env).toEqual([{ name: 'A', value: 'environment' }]);
    expect(find(r.objects, 'ConfigMap', 'web-common-env').data).toEqual({ A: 'common', B: 'common' });
    // No host path leaks into the output.
    expect(JSON.stringify(r.objects)).not.toContain('/p/');
  });
  test('B16: two env files with the same base name get distinct ConfigMaps', () => {
    const r = lower(project({ web: { image: 'x', env_file: [{ path: '/a/.env', required: true, values: { A: '1' } }, { path: '/b/.env', required: true, values: { B: '2' } }] } }));
    const names = r.objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
    expect(new Set(names).size).toBe(2);
    expect(names).toContain('web-env');
  });
  test('a missing optional env_file (no values from the loader) adds nothing', () => {
    const r = lower(project({ web: { image: 'x', env_file: [{ path: '/nope', required: false }] } }));
    expect(r.diagnostics.errors).toHaveLength(0);
    expect(r.objects.filter((o) => o.kind === 'ConfigMap')).toEqual([]);
    expect(mainContainer(find(r.objects, 'Deployment', 'web')).envFrom).toBeUndefined();
  });
  test('a key that `environment` unsets (null) is left out of the ConfigMap, as compose leaves it out of the container', () => {
    const r = lower(project({ web: { image: 'x', env_file: [{ path: '/e', required: true, values: { A: '1', GONE: '2' } }], environment: { GONE: null } } }));
    expect(find(r.objects, 'ConfigMap', 'web-e').data).toEqual({ A: '1' });
    expect(mainContainer(find(r.objects, 'Deployment', 'web')).env).toBeUndefined();
  });
  test('keys that cannot be ConfigMap keys are set as env (the last file wins, environment wins over both)', () => {
    const r = lower(
      project({
        web: {
          image: 'x',
          env_file: [
            { path: '/e1', required: true, values: { 'a:b': 'first', 'c d': 'file', OK: '1' } },
            { path: '/e2', required: true, values: { 'a:b': 'second' } },
          ],
          environment: { 'c d': 'environment' },
        },
      }),
    );
    expect(find(r.objects, 'ConfigMap', 'web-e1').data).toEqual({ OK: '1' });
    expect(mainContainer(find(r.objects, 'Deployment', 'web')).env).toEqual([
      { name: 'a:b', value: 'second' },
      { name: 'c d', value: 'environment' },
    ]);
  });
  test('the pod template carries a checksum of the env ConfigMaps, which changes with their content', () => {
    const run = (value: string) =>
      find(lower(project({ web: { image: 'x', env_file: [{ path: '/e', required: true, values: { A: value } }] } })).objects, 'Deployment', 'web').spec.template.metadata
        .annotations[CONFIG_CHECKSUM_ANNOTATION];
    expect(run('1')).toMatch(/^[0-9a-f]{64}$/);
    expect(run('1')).toBe(run('1'));
    expect(run('2')).not.toBe(run('1'));
  });
  test('the lowering reads no env file: the values come from the loaded model', () => {
    const d = new Diagnostics();
    const files = { read: (p: string): Buffer => { throw new Error(`read ${p}`); } };
    const { objects } = lowerProject(project({ web: { image: 'x', env_file: [{ path: '/e', required: true, values: { A: '1' } }] } }), { files }, d);
    expect(d.errors).toEqual([]);
    expect(find(objects, 'ConfigMap', 'web-e').data).toEqual({ A: '1' });
  });
});
