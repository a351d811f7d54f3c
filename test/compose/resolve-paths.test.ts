// The one table of path-valued compose fields and the one rule for remote build contexts (resolve-paths.ts):
// every form of build context docker compose accepts, classified and resolved, and compared with
// `docker compose config` when COMPOSE2K8S_DOCKER_COMPOSE names it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadProject } from '../../src/compose/loader.js';
import { contextKind, isGitOverSsh, isRemoteContext, localPaths, resolveRelativePaths, type ContextKind } from '../../src/compose/resolve-paths.js';
import { composeConfigObject } from '../../src/emit/compose-config.js';
import { Diagnostics } from '../../src/model/diagnostics.js';

/** Every form, with what it is. Remote and builder forms stay as written; local ones are joined to the working directory. */
const CONTEXTS: [string, ContextKind][] = [
  ['.', 'local'],
  ['./app', 'local'],
  ['app', 'local'],
  ['../up', 'local'],
  ['/abs/dir', 'local'],
  ['~/ctx', 'local'],
  ['target:foo', 'local'], // not a builder prefix: docker compose joins it to the working directory
  ['dir#main', 'local'],
  ['Git@host:x.git', 'local'], // prefixes are case-sensitive, as in BuildKit and compose-go
  ['C:\\win\\ctx', 'local'],
  ['ssh://git@host/repo.git', 'git'],
  ['ssh://git@host:2222/org/repo.git#main:sub', 'git'],
  ['git@github.com:docker/x.git', 'git'],
  ['git@github.com:docker/x.git#main:sub', 'git'],
  ['git://host/x.git', 'git'],
  ['git://host/x', 'git'],
  ['github.com/docker/x', 'git'],
  ['github.com/docker/x#main', 'git'],
  ['https://github.com/docker/x.git', 'git'],
  ['https://github.com/docker/x.git#v1:dir', 'git'],
  ['http://127.0.0.1:8080/repo.git', 'git'],
  ['https://example.com/ctx.tar.gz', 'url'],
  ['http://host/Dockerfile', 'url'],
  ['https://host/x.git#', 'url'], // moby's rule wants a non-empty fragment after .git#
  ['docker-image://alpine:3', 'builder'],
  ['oci-layout://./layout', 'builder'],
  ['weird+scheme://x', 'builder'],
  ['dir://x', 'builder'],
  ['service:base', 'service'],
];

describe('contextKind: one rule for what a build context names', () => {
  it.each(CONTEXTS)('%s is %s', (context, kind) => {
    expect(contextKind(context)).toBe(kind);
    expect(isRemoteContext(context)).toBe(kind === 'git' || kind === 'url');
  });

  it('knows which git contexts are fetched over SSH', () => {
    expect(CONTEXTS.filter(([c]) => isGitOverSsh(c)).map(([c]) => c)).toEqual([
      'ssh://git@host/repo.git',
      'ssh://git@host:2222/org/repo.git#main:sub',
      'git@github.com:docker/x.git',
      'git@github.com:docker/x.git#main:sub',
    ]);
  });
});

describe('resolveRelativePaths: the table', () => {
  const base = { workingDir: '/wd', home: '/home/u' };

  it('resolves every path-valued field of a canonical model, and nothing else', () => {
    const model = {
      services: {
        web: {
          build: {
            context: './app',
            additional_contexts: { lib: '../lib', img: 'docker-image://alpine', repo: 'ssh://git@h/r.git', base: 'service:base' },
            ssh: { default: null, key: '~/.ssh/id', empty: '' },
          },
          env_file: [{ path: 'a.env', required: true }],
          label_file: ['labels'],
          extends: { service: 'x', file: 'base.yaml' },
          develop: { watch: [{ path: 'src', action: 'sync' }] },
          volumes: [
            { type: 'bind', source: './data', target: '/d' },
            { type: 'volume', source: 'named', target: '/n' },
          ],
          working_dir: 'relative-stays',
          image: 'app',
        },
        remote: { build: { context: 'git@github.com:o/r.git#main:sub' } },
      },
      volumes: { b: { driver: 'local', driver_opts: { o: 'bind', device: 'host/dir', type: 'none' } }, n: { driver: 'local', driver_opts: { device: 'rel' } } },
      secrets: { s: { file: './s.txt' }, e: { environment: 'E' } },
      configs: { c: { file: 'C:\\conf' } },
    };
    const before = structuredClone(model);
    const out = resolveRelativePaths(model, base);
    expect(model).toEqual(before); // the input is not modified
    expect(out.services.web.build).toEqual({
      context: '/wd/app',
      additional_contexts: { lib: '/lib', img: 'docker-image://alpine', repo: 'ssh://git@h/r.git', base: 'service:base' },
      ssh: { default: null, key: '/home/u/.ssh/id', empty: '' },
    });
    expect(out.services.web.env_file).toEqual([{ path: '/wd/a.env', required: true }]);
    expect(out.services.web.label_file).toEqual(['/wd/labels']);
    expect(out.services.web.extends.file).toBe('/wd/base.yaml');
    expect(out.services.web.develop.watch[0]!.path).toBe('/wd/src');
    expect(out.services.web.volumes).toEqual([
      { type: 'bind', source: '/wd/data', target: '/d' },
      { type: 'volume', source: 'named', target: '/n' },
    ]);
    expect(out.services.web.working_dir).toBe('relative-stays');
    expect(out.services.remote.build.context).toBe('git@github.com:o/r.git#main:sub');
    expect(out.volumes.b.driver_opts.device).toBe('/wd/host/dir');
    expect(out.volumes.n.driver_opts.device).toBe('rel'); // not a bind: not a path
    expect(out.secrets.s.file).toBe('/wd/s.txt');
    expect(out.configs.c.file).toBe('C:\\conf'); // a Windows absolute path is kept for a Windows engine
    expect(resolveRelativePaths(out, base)).toBe(out); // idempotent, and nothing copied when nothing changes
  });

  it('keeps `~` for later when no home is given (extends rebases before the loader expands it)', () => {
    const out = resolveRelativePaths({ services: { a: { label_file: ['~/l', 'x'] } } }, { workingDir: '/other', home: undefined });
    expect(out.services.a.label_file).toEqual(['~/l', '/other/x']);
  });

  it('lists the local paths the project check looks at, leaving out remote contexts and external files', () => {
    const model = resolveRelativePaths(
      {
        services: {
          'a.b': {
            build: { context: '.', additional_contexts: { r: 'https://h/r.git', l: './lib' } },
            env_file: [{ path: 'e.env' }],
            volumes: [{ type: 'bind', source: './d', target: '/d' }, { type: 'tmpfs', target: '/t' }],
          },
          r: { build: { context: 'ssh://git@h/r.git' } },
        },
        secrets: { s: { file: 's' }, x: { file: 'x', external: true } },
      },
      base,
    );
    expect(localPaths(model)).toEqual([
      { at: 'services.a.b.build.context', what: 'build context', path: '/wd', read: false },
      { at: 'services.a.b.build.additional_contexts.l', what: 'build context', path: '/wd/lib', read: false },
      { at: 'services.a.b.env_file[0]', what: 'env_file', path: '/wd/e.env', read: true },
      { at: 'services.a.b.volumes[0]', what: 'bind mount source', path: '/wd/d', read: false },
      { at: 'secrets.s.file', what: 'secret file', path: '/wd/s', read: true },
    ]);
  });
});

const oracle = process.env.COMPOSE2K8S_DOCKER_COMPOSE;
if (!oracle) console.warn('COMPOSE2K8S_DOCKER_COMPOSE is not set: the build-context comparison with docker compose is SKIPPED');

describe('the loaded model, against docker compose config', () => {
  const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/home/someone' };
  const dir = mkdtempSync(join(tmpdir(), 'c2k-ctx-'));
  const yamlString = (s: string) => JSON.stringify(s);
  // One service per form as `build: X`, one as `build: {context: X}`, and every form as an additional context.
  const lines = ['services:', '  base:', '    build: .']; // what `service:base` names
  CONTEXTS.forEach(([c], i) => {
    lines.push(`  s${i}:`, `    build: ${yamlString(c)}`, `  l${i}:`, '    build:', `      context: ${yamlString(c)}`);
  });
  lines.push('  extra:', '    build:', '      context: .', '      additional_contexts:');
  CONTEXTS.forEach(([c], i) => lines.push(`        c${i}: ${yamlString(c)}`));
  // The same forms in a service taken by `extends` from a file in another directory.
  mkdirSync(join(dir, 'sub'));
  const base = ['services:', '  base:', '    build:', '      context: .', '      additional_contexts:'];
  CONTEXTS.forEach(([c], i) => base.push(`        c${i}: ${yamlString(c)}`));
  CONTEXTS.forEach(([c], i) => base.push(`  b${i}:`, `    build: ${yamlString(c)}`));
  base.push('  listform:', '    build:', '      context: ctx', '      additional_contexts: ["lib=./lib", "r=git@h:r.git"]', '      ssh: ["default", "key=./id_key"]');
  writeFileSync(join(dir, 'sub', 'base.yaml'), base.join('\n') + '\n');
  lines.push('  extended:', '    extends: {file: sub/base.yaml, service: base}', '  listform:', '    extends: {file: sub/base.yaml, service: listform}');
  CONTEXTS.forEach((_, i) => lines.push(`  e${i}:`, `    extends: {file: sub/base.yaml, service: b${i}}`));
  writeFileSync(join(dir, 'compose.yaml'), lines.join('\n') + '\n');
  symlinkSync(dir, join(dir, 'loop')); // a symlinked directory in the project must not disturb anything

  const ours = () => {
    const loaded = loadProject({ files: [join(dir, 'compose.yaml')], cwd: dir, env: ENV, diagnostics: new Diagnostics() });
    return JSON.parse(JSON.stringify(composeConfigObject(loaded))) as { services: Record<string, { build: { context: string; additional_contexts?: Record<string, string>; ssh?: unknown } }> };
  };

  it('keeps remote and builder contexts as written and resolves local ones, also through extends', () => {
    const { services } = ours();
    CONTEXTS.forEach(([c, kind], i) => {
      const expected = kind === 'local' ? undefined : c;
      for (const name of [`s${i}`, `l${i}`, `e${i}`]) {
        const got = services[name]!.build.context;
        if (expected) expect(got, name).toBe(expected);
        else expect(got.startsWith('/'), `${name}: ${got}`).toBe(true);
      }
      const extra = services.extra!.build.additional_contexts![`c${i}`]!;
      if (expected) expect(extra).toBe(expected);
      else expect(extra.startsWith('/'), extra).toBe(true);
    });
    expect(services.s1!.build.context).toBe(join(dir, 'app'));
    expect(services.s5!.build.context).toBe('/home/someone/ctx');
    expect(services.e1!.build.context).toBe(join(dir, 'sub', 'app')); // relative to the file that wrote it
    expect(services.listform!.build).toMatchObject({
      context: join(dir, 'sub', 'ctx'),
      additional_contexts: { lib: join(dir, 'sub', 'lib'), r: 'git@h:r.git' },
      ssh: ['default', `key: ${join(dir, 'sub', 'id_key')}`], // printed as docker compose does
    });
  });

  it.skipIf(!oracle)('is what docker compose config prints for every form', () => {
    // YAML: docker compose v5.5.1 cannot marshal build.ssh to JSON ("error calling MarshalJSON for type types.SSHKey").
    const r = spawnSync(oracle!, ['-f', join(dir, 'compose.yaml'), 'config', '--format', 'yaml'], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const theirs = parseYaml(r.stdout) as ReturnType<typeof ours>;
    const mine = ours();
    for (const [name, svc] of Object.entries(theirs.services)) {
      expect(mine.services[name]?.build.context, name).toBe(svc.build.context);
      expect(mine.services[name]?.build.additional_contexts, name).toEqual(svc.build.additional_contexts);
      // docker compose prints ssh keys in Go map order, which varies from run to run.
      const sorted = (v: unknown) => (Array.isArray(v) ? [...(v as string[])].sort() : v);
      expect(sorted(mine.services[name]?.build.ssh), name).toEqual(sorted(svc.build.ssh));
    }
    expect(Object.keys(mine.services).sort()).toEqual(Object.keys(theirs.services).sort());
  });
});
