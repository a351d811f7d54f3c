import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kustomizeEnvFile, kustomizeFiles, matchGenerator, writeKustomize } from '../../src/emit/kustomize.js';
import { jsonDiff } from '../../src/emit/kustomize-patch.js';
import { loadProject } from '../../src/compose/loader.js';
import { lowerProject } from '../../src/lower/index.js';
import { DiagnosticError, Diagnostics } from '../../src/model/diagnostics.js';
import { byId, FIXTURES, fsFiles, KUBECTL, kustomizeBuild, lowerFixture, tempDir, warnSkip, withSecondHalf } from './helpers.js';

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

/** Every path a generator of a kustomization reads, resolved: they must all be inside its directory. */
function generatorPaths(kustomizationFile: string): string[] {
  const k = parse(readFileSync(kustomizationFile, 'utf8'));
  const dir = dirname(kustomizationFile);
  return [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]
    .flatMap((g: { envs?: string[]; files?: string[] }) => [...(g.envs ?? []), ...(g.files ?? []).map((f) => f.slice(f.indexOf('=') + 1))])
    .map((p: string) => resolve(dir, p));
}

function kustomizationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name === 'kustomization.yaml')
    .map((e) => join(e.parentPath, e.name));
}

/** Does what the kustomize.secret-files warnings say: copy each secret file where the output expects it. */
function putSecretFiles(diagnostics: { code: string; message: string }[]): string[] {
  const targets: string[] = [];
  for (const d of diagnostics.filter((x) => x.code === 'kustomize.secret-files')) {
    const m = /copy (\S+) to (\S+) before/.exec(d.message)!;
    copyFileSync(resolve(m[1]!), m[2]!);
    targets.push(m[2]!);
  }
  return targets;
}

describe('writeKustomize', () => {
  it('copies the files of ConfigMap generators into the output; secret files never', () => {
    const { base, baseObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out);
    expect(parse(readFileSync(join(out, 'kustomization.yaml'), 'utf8')).resources).toEqual(['base']);
    const k = parse(readFileSync(join(out, 'base', 'kustomization.yaml'), 'utf8'));
    expect(k.kind).toBe('Kustomization');
    expect(k.generatorOptions).toEqual({ disableNameSuffixHash: true });
    expect(k.configMapGenerator).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'web-app-env', envs: ['files/app.env'] }),
        expect.objectContaining({ name: 'nginx-conf', files: ['nginx_conf=files/nginx.conf'] }),
      ]),
    );
    expect(readFileSync(join(out, 'base/files/app.env'))).toEqual(readFileSync(join(FIXTURES, 'shop/app.env')));
    expect(readFileSync(join(out, 'base/files/nginx.conf'))).toEqual(readFileSync(join(FIXTURES, 'shop/nginx.conf')));
    // The Secret is generated by a Component in secrets/, from a file the user puts there.
    expect(k.secretGenerator).toBeUndefined();
    expect(k.components).toEqual(['../secrets']);
    const c = parse(readFileSync(join(out, 'secrets', 'kustomization.yaml'), 'utf8'));
    expect(c).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', generatorOptions: { disableNameSuffixHash: true } });
    expect(c.secretGenerator).toEqual([expect.objectContaining({ name: 'db-password', type: 'Opaque', files: ['db_password=db_password.txt'] })]);
    expect(existsSync(join(out, 'secrets', 'db_password.txt'))).toBe(false);
    expect(baseObjects.some((o) => o.kind === 'Secret' && JSON.stringify(o).includes(Buffer.from(SECRET).toString('base64')))).toBe(true);
    for (const f of k.resources) expect(existsSync(join(out, 'base', f))).toBe(true);
    expect(k.resources).toContain('deployment-web.yaml');
    // No secret material anywhere in the output.
    const text = allText(out);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64'));
    // The warning says what to copy where; the README says it too.
    const codes = base.diagnostics.items.map((d) => d.code);
    expect(codes).not.toContain('kustomize.load-restrictor');
    const warning = base.diagnostics.items.find((d) => d.code === 'kustomize.secret-files')!;
    expect(warning.message).toContain(`copy ${relative(process.cwd(), join(FIXTURES, 'shop/secrets/db_password.txt'))} to ${join(out, 'secrets/db_password.txt')} before \`kubectl apply -k ${out}\``);
    const readme = readFileSync(join(out, 'secrets', 'README.md'), 'utf8');
    expect(readme).toContain(`cp ${relative(out, join(FIXTURES, 'shop/secrets/db_password.txt'))} secrets/db_password.txt`);
    expect(readme).toContain('`db-password`');
    expect(readFileSync(join(out, 'secrets', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('every file a generator reads is inside its kustomization directory (no ../../app.env)', () => {
    const { base, prod, baseObjects, prodObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out, [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    const files = kustomizationFiles(out);
    expect(files.map((f) => relative(out, f)).sort()).toEqual(['base/kustomization.yaml', 'kustomization.yaml', 'overlays/prod/kustomization.yaml', 'secrets/kustomization.yaml']);
    let count = 0;
    for (const f of files) {
      for (const p of generatorPaths(f)) {
        count++;
        expect(relative(dirname(f), p), `${relative(out, f)} reads ${p}`).not.toMatch(/^\.\.(\/|$)/);
      }
    }
    expect(count).toBeGreaterThanOrEqual(5);
  });

  it('overlays: patches for changed objects, generators for new files, $patch: delete for removed objects', () => {
    const { base, prod, baseObjects, prodObjects } = shop();
    const tree = kustomizeFiles(baseObjects, base.ctx, '/tmp/out', [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    const k = parse(tree.get('overlays/prod/kustomization.yaml') as string);
    expect(k.resources[0]).toBe('../../base');
    expect(k.resources).toContain('deployment-metrics.yaml');
    expect(k.configMapGenerator).toEqual([expect.objectContaining({ name: 'web-app-prod-env', behavior: 'create', envs: ['files/app.prod.env'] })]);
    expect(tree.get('overlays/prod/files/app.prod.env')).toEqual(readFileSync(join(FIXTURES, 'shop/app.prod.env')));
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

  it('an overlay that changes or adds a secret file gets its own Component in secrets/overlays/NAME', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  a:\n    image: a\n    secrets: [s]\nsecrets:\n  s:\n    file: ./s.txt\n');
    writeFileSync(join(dir, 'prod.yaml'), 'services:\n  a:\n    secrets: [s, t]\nsecrets:\n  s:\n    file: ./prod/s.txt\n  t:\n    file: ./t.txt\n');
    mkdirSync(join(dir, 'prod'));
    writeFileSync(join(dir, 's.txt'), 'base');
    writeFileSync(join(dir, 'prod/s.txt'), 'prod');
    writeFileSync(join(dir, 't.txt'), 'new');
    const load = (files: string[]) => {
      const diagnostics = new Diagnostics();
      const { project } = loadProject({ cwd: dir, files, env: {}, diagnostics });
      return { project, objects: lowerProject(project, { files: fsFiles, secrets: 'inline' }, diagnostics).objects, diagnostics };
    };
    const b = load(['compose.yaml']);
    const p = load(['compose.yaml', 'prod.yaml']);
    const out = join(dir, 'k8s');
    writeKustomize(b.objects, { project: b.project, files: fsFiles, diagnostics: b.diagnostics }, out, [{ name: 'prod', objects: p.objects, project: p.project }]);
    const o = parse(readFileSync(join(out, 'overlays/prod/kustomization.yaml'), 'utf8'));
    expect(o.components).toEqual(['../../secrets/overlays/prod']);
    const c = parse(readFileSync(join(out, 'secrets/overlays/prod/kustomization.yaml'), 'utf8'));
    expect(c.secretGenerator).toEqual([
      expect.objectContaining({ name: 's', behavior: 'replace', files: ['s=s.txt'] }),
      expect.objectContaining({ name: 't', behavior: 'create', files: ['t=t.txt'] }),
    ]);
    const messages = b.diagnostics.items.filter((d) => d.code === 'kustomize.secret-files').map((d) => d.message);
    expect(messages).toEqual([
      expect.stringContaining(`to ${join(out, 'secrets/s.txt')}`),
      expect.stringContaining(`to ${join(out, 'secrets/overlays/prod/s.txt')}`),
      expect.stringContaining(`to ${join(out, 'secrets/overlays/prod/t.txt')}`),
    ]);
    expect(messages[1]).toContain(`copy ${join(dir, 'prod/s.txt')} `);
    const readme = readFileSync(join(out, 'secrets/README.md'), 'utf8');
    for (const f of ['secrets/s.txt', 'secrets/overlays/prod/s.txt', 'secrets/overlays/prod/t.txt']) expect(readme).toContain(`\`${f}\``);
    if (!KUBECTL) {
      warnSkip('kubectl kustomize of an overlay with secrets', 'no kubectl');
      return;
    }
    putSecretFiles(b.diagnostics.items);
    const built = kustomizeBuild(join(out, 'overlays/prod'));
    expect(built.status, built.stderr).toBe(0);
    expect(byId(built.objects)).toEqual(byId(p.objects));
    expect(byId(kustomizeBuild(out).objects)).toEqual(byId(b.objects));
  });

  it('plain kubectl kustomize fails naming the missing secret file, then renders exactly the plain streams', (t) => {
    if (!KUBECTL) {
      warnSkip('kubectl kustomize comparison', 'no kubectl at /usr/bin/kubectl');
      return t.skip();
    }
    const { base, prod, baseObjects, prodObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out, [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    const before = kustomizeBuild(out);
    expect(before.status).not.toBe(0);
    expect(before.stderr).toContain(join(out, 'secrets/db_password.txt'));
    expect(before.stderr).toContain('no such file or directory');
    expect(putSecretFiles(base.diagnostics.items)).toEqual([join(out, 'secrets/db_password.txt')]);
    const built = kustomizeBuild(out);
    expect(built.status, built.stderr).toBe(0);
    expect(byId(built.objects)).toEqual(byId(baseObjects));
    expect(byId(kustomizeBuild(join(out, 'overlays', 'prod')).objects)).toEqual(byId(prodObjects));
  });

  it('the old references outside the output are refused by plain kubectl kustomize (what this layout avoids)', (t) => {
    if (!KUBECTL) {
      warnSkip('kubectl kustomize load restrictor', 'no kubectl');
      return t.skip();
    }
    const out = join(tempDir(), 'k8s');
    mkdirSync(out);
    writeFileSync(join(out, 'kustomization.yaml'), `configMapGenerator:\n  - name: x\n    envs: [${relative(out, join(FIXTURES, 'shop/app.env'))}]\n`);
    const r = kustomizeBuild(out);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/is not in or below/);
  });
});

describe('rewriting the output keeps the secret files the user put in', () => {
  it('keeps them (mode included), says nothing once they are in place, and lists the ones no Secret reads', () => {
    const { base, baseObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out);
    const [target] = putSecretFiles(base.diagnostics.items);
    chmodSync(target!, 0o600);
    writeFileSync(join(out, 'secrets', 'old-token.txt'), 'stale');
    const again = new Diagnostics();
    writeKustomize(baseObjects, { ...base.ctx, diagnostics: again }, out);
    expect(readFileSync(target!)).toEqual(readFileSync(join(FIXTURES, 'shop/secrets/db_password.txt')));
    expect(statSync(target!).mode & 0o777).toBe(0o600);
    expect(again.items.map((d) => d.code)).not.toContain('kustomize.secret-files');
    expect(readFileSync(join(out, 'secrets/README.md'), 'utf8')).toMatch(/No Secret reads these files any more.*`secrets\/old-token.txt`/);
    expect(readFileSync(join(out, '.compose2k8s-files'), 'utf8')).not.toContain('db_password.txt');
    // Without any Secret generator, the folder (and its .gitignore) stays while it holds the user's files.
    writeKustomize(baseObjects.filter((o) => o.kind !== 'Secret'), { ...base.ctx, diagnostics: new Diagnostics() }, out);
    expect(existsSync(target!)).toBe(true);
    expect(existsSync(join(out, 'secrets/.gitignore'))).toBe(true);
    expect(existsSync(join(out, 'secrets/kustomization.yaml'))).toBe(false);
  });

  it('a changed secret file is warned about again; files outside secrets/ are still foreign', () => {
    const { base, baseObjects } = shop();
    const out = join(tempDir(), 'k8s');
    writeKustomize(baseObjects, base.ctx, out);
    writeFileSync(join(out, 'secrets/db_password.txt'), 'outdated');
    const again = new Diagnostics();
    writeKustomize(baseObjects, { ...base.ctx, diagnostics: again }, out);
    expect(again.items.map((d) => d.code)).toContain('kustomize.secret-files');
    writeFileSync(join(out, 'base', 'mine.yaml'), 'x');
    expect(() => writeKustomize(baseObjects, base.ctx, out)).toThrow(/mine\.yaml/);
    expect(readFileSync(join(out, 'secrets/db_password.txt'), 'utf8')).toBe('outdated');
  });

  it('git ignores everything in secrets/ except what compose2k8s writes', (t) => {
    const git = spawnSync('git', ['--version']);
    if (git.status !== 0) {
      warnSkip('git check-ignore of secrets/', 'no git');
      return t.skip();
    }
    const { base, prod, baseObjects, prodObjects } = shop();
    const repo = tempDir();
    expect(spawnSync('git', ['init', '-q', repo]).status).toBe(0);
    const out = join(repo, 'k8s');
    writeKustomize(baseObjects, base.ctx, out, [{ name: 'prod', objects: prodObjects, project: prod.project }]);
    mkdirSync(join(out, 'secrets/overlays/prod'), { recursive: true });
    const paths = ['secrets/db_password.txt', 'secrets/overlays/prod/x.txt', 'secrets/.env', 'secrets/README.md', 'secrets/.gitignore', 'secrets/kustomization.yaml', 'secrets/overlays/prod/kustomization.yaml', 'base/kustomization.yaml'];
    for (const p of paths) if (!existsSync(join(out, p))) writeFileSync(join(out, p), 'x');
    const ignored = (p: string) => spawnSync('git', ['-C', repo, 'check-ignore', '-q', `k8s/${p}`]).status === 0;
    expect(paths.filter(ignored)).toEqual(['secrets/db_password.txt', 'secrets/overlays/prod/x.txt', 'secrets/.env']);
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
