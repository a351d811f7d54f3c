import { describe, expect, test } from 'vitest';
import { mountPath } from '../../src/lower/configs-secrets.js';
import { toYamlStream } from '../../src/emit/index.js';
import { entry, find, lower, mainContainer, memFiles, podSpec, project } from './helpers.js';

const SECRET = 's3cr3t-Value-nobody-may-see';

const sample = () =>
  project(
    {
      app: {
        image: 'x',
        configs: [{ source: 'app_conf' }, { source: 'inline', target: '/etc/inline.txt', mode: 0o440 }],
        secrets: [{ source: 'db_password', target: '/run/secrets/db_password' }, { source: 'api_key', target: 'nested/key' }, { source: 'ext' }],
      },
    },
    {
      configs: { app_conf: { file: '/proj/app.conf' }, inline: { content: 'hello\n' } },
      secrets: { db_password: { file: '/proj/db_password.txt' }, api_key: { environment: 'API_KEY' }, ext: { external: true, name: 'prod_ext' } },
    },
  );
const files = memFiles({ '/proj/app.conf': 'a=1\n', '/proj/db_password.txt': SECRET });
const lookupEnv = (k: string) => (k === 'API_KEY' ? `${SECRET}-env` : undefined);

describe('configs and secrets', () => {
  test('mount paths are Compose-exact (B8): secrets under /run/secrets/<target|source>, configs at target or /<source>', () => {
    expect(mountPath('secret', { source: 'db_password' })).toBe('/run/secrets/db_password');
    expect(mountPath('secret', { source: 's', target: 'nested/key' })).toBe('/run/secrets/nested/key');
    expect(mountPath('secret', { source: 's', target: '/etc/key' })).toBe('/etc/key');
    expect(mountPath('config', { source: 'app_conf' })).toBe('/app_conf');
  });

  test('configs -> ConfigMaps (file, content) with data key = Compose name, mounted with subPath and mode', () => {
    const r = lower(sample(), { files, lookupEnv });
    expect(find(r.objects, 'ConfigMap', 'app-conf').data).toEqual({ app_conf: 'a=1\n' });
    expect(find(r.objects, 'ConfigMap', 'inline').data).toEqual({ inline: 'hello\n' });
    const d = find(r.objects, 'Deployment', 'app');
    const mounts = mainContainer(d).volumeMounts;
    expect(mounts[0]).toEqual({ name: 'config-app-conf', mountPath: '/app_conf', subPath: 'app_conf', readOnly: true });
    expect(podSpec(d).volumes[1]).toEqual({ name: 'config-inline', configMap: { name: 'inline', items: [{ key: 'inline', path: 'inline', mode: 0o440 }] } });
  });

  test('secrets default to references: nothing written, a warning says how to create them; paths and keys unchanged', () => {
    const r = lower(sample(), { files, lookupEnv });
    expect(r.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const d = find(r.objects, 'Deployment', 'app');
    const mounts = mainContainer(d).volumeMounts;
    expect(mounts.slice(2).map((m: any) => `${m.mountPath}:${m.subPath}`)).toEqual(['/run/secrets/db_password:db_password', '/run/secrets/nested/key:api_key', '/run/secrets/ext:ext']);
    expect(podSpec(d).volumes.slice(2).map((v: any) => v.secret.secretName)).toEqual(['db-password', 'api-key', 'prod-ext']);
    expect(r.codes.filter((c) => c === 'secret.reference')).toHaveLength(2);
    expect(r.codes).toContain('secret.external');
    expect(entry(r.report, 'secrets.db_password')[0]!.status).toBe('approximated');
    // The checksum covers referenced objects by name.
    expect(d.spec.template.metadata.annotations['compose2k8s.io/config-checksum']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('secrets inline: base64 data in a Secret; never in a ConfigMap, an annotation, a diagnostic or the report', () => {
    const r = lower(sample(), { files, lookupEnv, secrets: 'inline' });
    const s = find(r.objects, 'Secret', 'db-password');
    expect(s).toMatchObject({ type: 'Opaque', data: { db_password: Buffer.from(SECRET).toString('base64') } });
    expect(find(r.objects, 'Secret', 'api-key').data).toEqual({ api_key: Buffer.from(`${SECRET}-env`).toString('base64') });
    const yaml = toYamlStream(r.objects);
    expect(yaml).not.toContain(SECRET);
    for (const cm of r.objects.filter((o) => o.kind === 'ConfigMap')) expect(JSON.stringify(cm)).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(JSON.stringify(r.diagnostics.items)).not.toContain(SECRET);
    expect(JSON.stringify(r.report)).not.toContain(SECRET);
    expect(r.codes).not.toContain('secret.reference');
  });

  test('an unset environment secret is an error without crashing; an unreadable file too', () => {
    const r = lower(sample(), { files: memFiles({}), secrets: 'inline' });
    expect(r.diagnostics.errors.map((e) => e.code).sort()).toEqual(['config.file-unreadable', 'secret.environment-unset', 'secret.file-unreadable']);
  });

  test('external configs reference the existing ConfigMap by name', () => {
    const r = lower(project({ a: { image: 'x', configs: [{ source: 'c', target: '/etc/c.conf' }] } }, { configs: { c: { external: true, name: 'shared.conf' } } }));
    expect(r.objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
    expect(podSpec(find(r.objects, 'Deployment', 'a')).volumes[0].configMap.name).toBe('shared-conf');
  });

  test('uid/gid are approximated; every key is accounted for', () => {
    const r = lower(project({ a: { image: 'x', configs: [{ source: 'c', uid: '1000', gid: '1000' }] } }, { configs: { c: { content: 'x' } } }));
    expect(entry(r.report, 'services.a.configs[0]')[0]!.status).toBe('approximated');
    expect(entry(r.report, 'configs.c')[0]!.status).toBe('mapped');
  });
});
