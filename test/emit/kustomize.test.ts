import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kustomizeEnvFile, kustomizeFiles, matchGenerator, writeKustomize } from '../../src/emit/kustomize.js';
import { jsonDiff } from '../../src/emit/kustomize-patch.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { byId, FIXTURES, KUBECTL, lowerFixture, parseStream, tempDir, warnSkip, withSecondHalf } from './helpers.js';

const SECRET = 'hunter2-not-a-real-secret';

function allText(dir: string): string {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [readFileSync(join(d, e.name), 'utf8')]));
  return walk(dir).join('\n');
}

function shop() {
  // `secrets: inline` puts the secret into the stream; the base must turn it back into a file reference.
  const base = lowerFixture('shop', ['compose.yaml'], { secrets: 'inline' });
  const prod = lowerFixture('shop', ['compose.yaml', 'compose.prod.yaml'], { secrets: 'inline' });
  return { base, prod, baseObjects: withSecondHalf(base), prodObjects: withSecondHalf(prod) };
}

describe('kustomize env-file emulation', () => {
  it('reads KEY=VALUE lines verbatim like kustomize', () => {
    expect(kustomizeEnvFile(Buffer.from('\uFEFFA=1\r\n  # c\n\nB= two words \nC=x=y'))).toEqual(
      new Map([
        ['A', '1'],
        ['B', ' two words '],
        ['C', 'x=y'],
      ]),
    );
  });
  it('refuses what kustomize would read differently or reject', () => {
    expect(kustomizeEnvFile(Buffer.from('A\n'))).toBeUndefined(); // value from the OS environment
    expect(kustomizeEnvFile(Buffer.from('A=1\nA=2\n'))).toBeUndefined(); // duplicate key
    expect(kustomizeEnvFile(Buffer.from('1A=1\n'))).toBeUndefined();
    expect(kustomizeEnvFile(Buffer.from([0xff, 0xfe]))).toBeUndefined();
  });
  it('uses a generator only when it reproduces the data exactly', () => {
    const src = [{ path: '/p/a.env', content: Buffer.from('A="quoted"\n'), env: kustomizeEnvFile(Buffer.from('A="quoted"\n')) }];
    const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data });
    expect(matchGenerator(cm({ A: 'quoted' }), src)).toBeUndefined(); // Compose strips quotes, kustomize does not
    expect(matchGenerator(cm({ A: '"quoted"' }), src)).toMatchObject({ envs: ['/p/a.env'] });
    expect(matchGenerator(cm({ 'a.env': 'A="quoted"\n' }), src)).toMatchObject({ files: [{ key: 'a.env', path: '/p/a.env' }] });
    expect(matchGenerator({ ...cm({ A: '"quoted"' }), immutable: true }, src)).toBeUndefined();
  });
});

describe('JSON6902 diff', () => {
  it('diffs maps by key, lists by index or at the end, escapes pointers', () => {
    expect(jsonDiff({ a: 1, 'x/y': { b: [1, 2] } }, { 'x/y': { b: [1, 2, 3] }, c: 'n' })).toEqual([
      { op: 'remove', path: '/a' },
      { op: 'add', path: '/c', value: 'n' },
      { op: 'add', path: '/x~1y/b/-', value: 3 },
    ]);
    expect(jsonDiff({ l: [1, 2, 3] }, { l: [1] })).toEqual([
      { op: 'remove', path: '/l/2' },
      { op: 'remove', path: '/l/1' },
    ]);
    expect(jsonDiff({ l: [1, 2] }, { l: [3] })).toEqual([{ op: 'replace', path: '/l', value: [3] }]);
  });
});

describe('writeKustomize', () => {
  it('writes one file per object and generators that reference the original files', () => {
    const { base, baseObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out);
    expect(parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).resources).toEqual(['base']);
    const k = parse(readFileSync(join(out, 'base', 'kustomization.yaml'), 'utf8'));
    expect(k.kind).toBe('Kustomization');
    expect(k.generatorOptions).toEqual({ disableNameSuffixHash: true });
    const rel = (f: string) => relative(join(out, 'base'), join(FIXTURES, 'shop', f));
    expect(k.configMapGenerator).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'web-app-env', envs: [rel('app.env')] }),
        expect.objectContaining({ name: 'nginx-conf', files: [expect.stringMatching(new RegExp(`(^|=)${rel('nginx.conf')}$`))] }),
      ]),
    );
    expect(k.secretGenerator).toEqual([
      expect.objectContaining({ name: 'db-password', type: 'Opaque', files: [expect.stringMatching(new RegExp(`(^|=)${rel('secrets/db_password.txt')}$`))] }),
    ]);
    expect(baseObjects.some((o) => o.kind === 'Secret' && JSON.stringify(o).includes(Buffer.from(SECRET).toString('base64')))).toBe(true);
    for (const f of k.resources) expect(existsSync(join(out, 'base', f))).toBe(true);
    expect(k.resources).toContain('deployment-web.yaml');
    // No secret material anywhere in the output.
    const text = allText(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(base.diagnostics.items.map((d) => d.code)).toContain('kustomize.load-restrictor');
  });

  it('overlays: patches for changed objects, generators for new files, $patch: delete for removed objects', () => {
    const { base, prod, baseObjects, prodObjects } = shop();
    const tree = kustomizeFiles(baseObjects, base.ctx, '/tmp/out', [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    const k = parse(tree.get('overlays/prod/kustomization.yaml') as string);
    expect(k.resources[0]).toBe('../../base');
    expect(k.resources).toContain('deployment-metrics.yaml');
    expect(k.configMapGenerator).toEqual([expect.objectContaining({ name: 'web-app-prod-env', behavior: 'create' })]);
    const patch = parse(tree.get('overlays/prod/deployment-web.patch.yaml') as string);
    expect(patch).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/spec/replicas', value: 4 },
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'registry.example.com/shop/web:1.5.0' },
      ]),
    );
    expect(parse(tree.get('overlays/prod/configmap-worker-worker-env.delete.yaml') as string)).toMatchObject({ $patch: 'delete', kind: 'ConfigMap' });
    expect(k.patches).toEqual(expect.arrayContaining([{ path: 'configmap-worker-worker-env.delete.yaml' }]));
  });

  it('kubectl kustomize renders exactly the plain stream, for the base and each overlay', (t) => {
    if (!KUBECTL) {
      warnSkip('kubectl kustomize comparison', 'no kubectl at /usr/bin/kubectl');
      return t.skip();
    }
    const { base, prod, baseObjects, prodObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out, [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    const build = (dir: string) => parseStream(execFileSync(KUBECTL!, ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', dir], { encoding: 'utf8' }));
    expect(byId(build(out))).toEqual(byId(baseObjects));
    expect(byId(build(join(out, 'overlays', 'prod')))).toEqual(byId(prodObjects));
  });

  it('without generators outside the root, plain kubectl kustomize works', (t) => {
    if (!KUBECTL) {
      warnSkip('kubectl kustomize (root only)', 'no kubectl');
      return t.skip();
    }
    const { base } = shop();
    const out = join(tempDir(), 'k8s');
    const plain = base.objects.filter((o) => o.kind !== 'ConfigMap' && o.kind !== 'Secret');
    writeKustomize(plain, base.ctx, out);
    const built = parseStream(execFileSync(KUBECTL, ['kustomize', out], { encoding: 'utf8' }));
    expect(byId(built)).toEqual(byId(plain));
  });
});

describe('bad output paths', () => {
  it('refuses a directory with foreign files and leaves it untouched', () => {
    const { base } = shop();
    const out = tempDir();
    writeFileSync(join(out, 'mine.txt'), 'keep me');
    expect(() => writeKustomize(base.objects, base.ctx, out)).toThrow(DiagnosticError);
    try {
      writeKustomize(base.objects, base.ctx, out);
    } catch (e) {
      expect((e as DiagnosticError).diagnostics[0]!.code).toBe('output.foreign-files');
      expect((e as Error).message).toContain('mine.txt');
    }
    expect(readdirSync(out)).toEqual(['mine.txt']);
  });

  it('replaces its own previous output', () => {
    const { base } = shop();
    const out = join(tempDir(), 'k');
    writeKustomize(base.objects, base.ctx, out);
    writeKustomize(base.objects.filter((o) => o.kind !== 'Job'), base.ctx, out);
    expect(existsSync(join(out, 'base', 'job-migrate.yaml'))).toBe(false);
    expect(existsSync(join(out, 'base', 'deployment-web.yaml'))).toBe(true);
    expect(readdirSync(join(out, '..')).filter((f) => f.startsWith('.'))).toEqual([]); // no temp dirs left
  });

  it('an unwritable parent is output.unwritable, nothing written', () => {
    if (process.getuid?.() === 0) {
      // root ignores permissions: use a path below a regular file instead
      const parent = tempDir();
      writeFileSync(join(parent, 'file'), 'x');
      const { base } = shop();
      expect(() => writeKustomize(base.objects, base.ctx, join(parent, 'file', 'k8s'))).toThrow(/cannot write/);
      return;
    }
    const parent = tempDir();
    mkdirSync(join(parent, 'ro'));
    chmodSync(join(parent, 'ro'), 0o500);
    const { base } = shop();
    expect(() => writeKustomize(base.objects, base.ctx, join(parent, 'ro', 'k8s'))).toThrow(/cannot write/);
  });

  it('rejects bad overlay names', () => {
    const { base } = shop();
    expect(() => kustomizeFiles(base.objects, base.ctx, '/tmp/x', [{ name: '../evil', objects: [], project: base.project }])).toThrow(/overlay name/);
  });
});
