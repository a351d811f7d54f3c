// Every example and fixture project, in both secret modes, through the real tools: the Kustomize output builds
// with plain `kubectl kustomize` (no --load-restrictor) and renders exactly the plain stream, overlays
// included; where a secret file is needed, the build fails naming it until the user copies the file as the
// warning says, and renders the stream afterwards. The Helm chart passes `helm lint --strict` and
// `helm template` renders the plain stream.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProject } from '../../src/compose/loader.js';
import { writeHelmChart } from '../../src/emit/helm.js';
import { writeKustomize, type KustomizeOverlay } from '../../src/emit/kustomize.js';
import { lowerProject } from '../../src/lower/index.js';
import { nodeFilePort } from '../../src/compile/node-files.js';
import type { LowerOptions } from '../../src/lower/options.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { cli, ensureBuilt } from '../hardening/cli-helpers.js';
import { byId, HELM, KUBECTL, kustomizeBuild, parseStream, tempDir, warnSkip } from './helpers.js';

const ROOT = resolve(__dirname, '../..');

interface ProjectCase {
  name: string;
  dir: string;
  options: Partial<LowerOptions>;
  overlays: { name: string; file: string }[];
}

function casesUnder(parent: string, label: string): ProjectCase[] {
  return readdirSync(join(ROOT, parent))
    .filter((d) => existsSync(join(ROOT, parent, d, 'compose.yaml')) && !d.startsWith('error-'))
    .sort()
    .map((d) => {
      const dir = join(ROOT, parent, d);
      const optionsFile = join(dir, 'options.json');
      return { name: `${label}/${d}`, dir, options: existsSync(optionsFile) ? JSON.parse(readFileSync(optionsFile, 'utf8')) : {}, overlays: [] };
    });
}

const CASES: ProjectCase[] = [
  ...casesUnder('examples', 'examples'),
  ...casesUnder('fixtures/convert', 'convert'),
  { name: 'emit/shop', dir: join(ROOT, 'fixtures/emit/shop'), options: {}, overlays: [{ name: 'prod', file: 'compose.prod.yaml' }] },
  ...casesUnder('fixtures/loader', 'loader'),
];

function lower(c: ProjectCase, secrets: 'reference' | 'inline', extra: string[] = []) {
  const diagnostics = new Diagnostics();
  const { project, source } = loadProject({ cwd: c.dir, files: ['compose.yaml', ...extra], env: {}, diagnostics });
  const env = source.environment;
  const { objects } = lowerProject(project, { files: nodeFilePort, lookupEnv: (k) => env[k], ...c.options, secrets }, diagnostics);
  return { project, objects, diagnostics };
}

function hasSecrets(c: ProjectCase): boolean {
  try {
    const { project } = loadProject({ cwd: c.dir, files: ['compose.yaml', ...c.overlays.map((o) => o.file)], env: {}, diagnostics: new Diagnostics() });
    return Object.keys(project.secrets ?? {}).length > 0;
  } catch {
    return true;
  }
}

/**
 * Loader fixtures that do not convert with an empty environment, on purpose (they test the loader): listed so
 * that no project leaves the matrix silently.
 */
const NOT_CONVERTIBLE: Record<string, string> = {
  'loader/deploy-and-runtime': 'a service without image or build',
  'loader/escapes-in-output': 'inline: the secret comes from the unset variable SECRET_SRC',
  'loader/secrets-configs-modes': 'sources from PATH, HOME and /abs/secret',
};

describe('every example and fixture project', () => {
  it('has the projects the matrix is about', () => {
    expect(CASES.map((c) => c.name)).toEqual(expect.arrayContaining(['examples/basic', 'convert/env-files', 'convert/configs', 'convert/secrets-inline', 'emit/shop', 'loader/env-file-service']));
  });

  for (const c of CASES) {
    // Without compose secrets both modes lower to the same objects: one run is enough.
    for (const secrets of hasSecrets(c) ? (['reference', 'inline'] as const) : (['reference'] as const)) {
      it(`${c.name} (secrets ${secrets}): plain kubectl kustomize and helm template render the stream`, async (t) => {
        if (!KUBECTL && !HELM) {
          warnSkip(`${c.name} through kustomize and helm`, 'neither kubectl (/usr/bin/kubectl) nor COMPOSE2K8S_HELM');
          return t.skip();
        }
        const base = lower(c, secrets);
        if (base.diagnostics.errors.length) {
          expect(NOT_CONVERTIBLE[c.name], `${c.name} does not convert: ${base.diagnostics.errors.map((d) => d.message).join('; ')}`).toBeDefined();
          return;
        }
        const overlays: KustomizeOverlay[] = c.overlays.map((o) => {
          const l = lower(c, secrets, [o.file]);
          return { name: o.name, objects: l.objects, project: l.project };
        });
        const ctx = { project: base.project, files: nodeFilePort, diagnostics: base.diagnostics };
        const out = join(tempDir('c2k-projects-'), 'k8s');

        if (KUBECTL) {
          writeKustomize(base.objects, ctx, out, overlays);
          const copies = base.diagnostics.items
            .filter((d) => d.code === 'kustomize.secret-files')
            .map((d) => {
              const m = /copy (\S+) to (\S+) before/.exec(d.message);
              expect(m, d.message).not.toBeNull();
              return { from: resolve(process.cwd(), m![1]!), to: m![2]! };
            });
          if (copies.length) {
            // Not written by us: the build fails naming the missing file.
            for (const f of copies) expect(existsSync(f.to)).toBe(false);
            const r = kustomizeBuild(out);
            expect(r.status).not.toBe(0);
            expect(r.stderr).toContain(copies.find((f) => r.stderr.includes(f.to))?.to ?? copies[0]!.to);
            expect(r.stderr).toMatch(/no such file or directory/);
            for (const f of copies) copyFileSync(f.from, f.to);
          }
          const r = kustomizeBuild(out);
          expect(r.status, r.stderr).toBe(0);
          expect(byId(r.objects)).toEqual(byId(base.objects));
          for (const o of overlays) {
            const ro = kustomizeBuild(join(out, 'overlays', o.name));
            expect(ro.status, ro.stderr).toBe(0);
            expect(byId(ro.objects)).toEqual(byId(o.objects));
          }
        }

        if (HELM) {
          const chart = join(out, '..', 'chart');
          await writeHelmChart(base.objects, ctx, chart);
          const lint = spawnSync(HELM, ['lint', '--strict', chart], { encoding: 'utf8' });
          expect(lint.status, lint.stdout + lint.stderr).toBe(0);
          const rendered = parseStream(execFileSync(HELM, ['template', 'rel', chart], { encoding: 'utf8' }));
          expect(byId(rendered)).toEqual(byId(base.objects));
        }
      });
    }
  }
});

describe('the matrix covers generators', () => {
  it('examples/basic with inline secrets: env file and config copied, secret file left to the user', () => {
    const c = CASES.find((x) => x.name === 'examples/basic')!;
    const l = lower(c, 'inline');
    const out = join(tempDir('c2k-projects-'), 'k8s');
    writeKustomize(l.objects, { project: l.project, files: nodeFilePort, diagnostics: l.diagnostics }, out);
    const k = parse(readFileSync(join(out, 'base', 'kustomization.yaml'), 'utf8'));
    expect(k.configMapGenerator.flatMap((g: { envs?: string[]; files?: string[] }) => [...(g.envs ?? []), ...(g.files ?? [])])).toEqual(
      expect.arrayContaining(['files/api.env', expect.stringMatching(/=files\/nginx\.conf$/)]),
    );
    expect(readFileSync(join(out, 'base', 'files', 'api.env'))).toEqual(readFileSync(join(c.dir, 'api.env')));
    expect(k.components).toEqual(['../secrets']);
    expect(existsSync(join(out, 'secrets', 'db_password.txt'))).toBe(false);
    expect(l.diagnostics.items.filter((d) => d.code === 'kustomize.secret-files')).toHaveLength(1);
  });
});

describe('the CLI, as a user runs it', () => {
  it('convert --format kustomize --secrets inline, then the commands of secrets/README.md, then kubectl kustomize = the stream', (t) => {
    if (!KUBECTL) {
      warnSkip('kustomize output through the CLI', 'no kubectl');
      return t.skip();
    }
    ensureBuilt();
    const proj = join(tempDir('c2k-projects-'), 'basic');
    cpSync(join(ROOT, 'examples/basic'), proj, { recursive: true });
    const convert = cli(['convert', '--secrets', 'inline', '--format', 'kustomize', '-o', 'k8s'], proj);
    expect(convert.status, convert.stderr).toBe(0);
    expect(convert.stderr).toContain(`warning: Secret db-password: its file is not copied into the output; copy db_password.txt to ${join('k8s', 'secrets', 'db_password.txt')} before \`kubectl apply -k k8s\``);
    expect(convert.stderr).not.toMatch(/load-restrictor/);
    const out = join(proj, 'k8s');
    const failed = kustomizeBuild(out);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(join(out, 'secrets', 'db_password.txt'));
    // The README's shell block, run from the output directory.
    const readme = readFileSync(join(out, 'secrets', 'README.md'), 'utf8');
    const script = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(script).toContain('cp ../db_password.txt secrets/db_password.txt');
    const sh = spawnSync('sh', ['-e', '-c', script], { cwd: out, encoding: 'utf8' });
    expect(sh.status, sh.stderr).toBe(0);
    const stream = cli(['convert', '--secrets', 'inline'], proj);
    expect(stream.status, stream.stderr).toBe(0);
    const built = kustomizeBuild(out);
    expect(built.status, built.stderr).toBe(0);
    expect(byId(built.objects)).toEqual(byId(parseStream(stream.stdout)));
    // A second run keeps the copied secret and has nothing more to say about it.
    const again = cli(['convert', '--secrets', 'inline', '--format', 'kustomize', '-o', 'k8s'], proj);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('kustomize.secret-files');
    expect(again.stderr).not.toContain('its file is not copied');
    expect(byId(kustomizeBuild(out).objects)).toEqual(byId(parseStream(stream.stdout)));
  });
});
