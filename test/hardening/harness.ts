// The invariants every input must satisfy, checked in-process (loadProject + lowerProject) so a fuzz run can
// afford hundreds of thousands of inputs. `check` never throws for a well-behaved compiler: it returns the
// list of violations (empty = fine). Anything thrown that is not a DiagnosticError is a bug.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../../src/compose/loader.js';
import { composeConfigObject, composeConfigYaml } from '../../src/emit/compose-config.js';
import { lowerProject, type KubeObject, type LowerOptions } from '../../src/lower/index.js';
import { toYamlStream } from '../../src/emit/index.js';
import { loweringOptions } from '../../src/compile/index.js';
import { DiagnosticError, Diagnostics, type Diagnostic } from '../../src/model/diagnostics.js';
import type { LoadedProject } from '../../src/model/project.js';

export const root = join(import.meta.dirname, '..', '..');

export interface Outcome {
  /** 'loaded' (and lowered), 'rejected' (a DiagnosticError from the loader), or 'bug'. */
  kind: 'loaded' | 'rejected' | 'bug';
  violations: string[];
  /** Objects of the default conversion (for sampling schema validation). */
  objects?: KubeObject[];
  errorCodes?: string[];
}

export interface CheckOptions {
  /** Directory the input is loaded from (relative env_file, bind mounts, ... resolve against it). */
  dir: string;
  env?: Record<string, string>;
  /** Also check that config's YAML reloads to the same model (costs a second load). */
  idempotence?: boolean;
  /** Also lower twice and compare (costs a second lowering). */
  determinism?: boolean;
  lowerOptions?: Partial<LowerOptions>;
}

function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return `non-Error thrown: ${String(e)}`;
}

/** Diagnostics of a failure must say where: a file always, a line whenever the file is a compose file we parsed. */
export function locationViolations(ds: readonly Diagnostic[], what: string): string[] {
  const out: string[] = [];
  for (const d of ds) {
    if (d.severity !== 'error') continue;
    if (!d.file && !d.path) out.push(`${what}: error ${d.code} has neither file nor compose path: ${d.message}`);
    if (d.file && d.line === undefined && !NO_LINE_CODES.has(d.code)) out.push(`${what}: error ${d.code} has a file but no line: ${d.message}`);
    if (/\n\s+at /.test(d.message)) out.push(`${what}: error ${d.code} message holds a stack trace`);
  }
  return out;
}

/** Errors about a whole file (it cannot be read, is too large, ...): there is no line to point at. */
export const NO_LINE_CODES = new Set([
  'files.unreadable',
  'files.special',
  'yaml.too-large',
  'env.not-found',
  'env.unreadable',
  'env.not-a-file',
  'env-file.not-found',
  'env-file.unreadable',
  'label-file.not-found',
  'label-file.unreadable',
  'paths.special-file',
  'paths.outside-project',
]);

export function loadText(text: string, o: CheckOptions): LoadedProject {
  return loadProject({ files: ['-'], readStdin: () => text, cwd: o.dir, env: o.env ?? {}, diagnostics: new Diagnostics() });
}

export function lowerOptionsFor(loaded: LoadedProject, extra: Partial<LowerOptions> = {}): Partial<LowerOptions> {
  return { ...loweringOptions(loaded), ...extra };
}

export function check(text: string, o: CheckOptions): Outcome {
  const violations: string[] = [];
  let loaded: LoadedProject;
  try {
    loaded = loadText(text, o);
  } catch (e) {
    if (e instanceof DiagnosticError) {
      violations.push(...locationViolations(e.diagnostics, 'load'));
      if (e.diagnostics.length === 0) violations.push('load: DiagnosticError without diagnostics');
      return { kind: violations.length ? 'bug' : 'rejected', violations, errorCodes: e.diagnostics.map((d) => d.code) };
    }
    return { kind: 'bug', violations: [`load threw ${describeThrown(e)}`] };
  }
  let objects: KubeObject[] | undefined;
  let first: string | undefined;
  try {
    const d = new Diagnostics();
    const r = lowerProject(loaded.project, lowerOptionsFor(loaded, o.lowerOptions), d);
    // With errors the CLI prints nothing, so only error-free conversions must be schema-valid.
    if (d.errors.length === 0) objects = r.objects;
    for (const e of d.errors) if (!e.path && !e.file) violations.push(`lower: error ${e.code} has no compose path: ${e.message}`);
    first = toYamlStream(r.objects);
    if (o.determinism) {
      const r2 = lowerProject(loadText(text, o).project, lowerOptionsFor(loaded, o.lowerOptions), new Diagnostics());
      if (toYamlStream(r2.objects) !== first) violations.push('lower: two conversions of the same input differ');
    }
  } catch (e) {
    violations.push(`lower threw ${e instanceof DiagnosticError ? 'DiagnosticError (lowering reports, never throws): ' + e.message : describeThrown(e)}`);
  }
  // A dependency on a disabled service (required: false) is printed but does not load again, in docker compose too.
  if (o.idempotence && !idempotenceExempt(loaded)) {
    violations.push(...idempotenceViolations(loaded, o));
  }
  return { kind: violations.length ? 'bug' : 'loaded', violations, objects };
}

/** config's YAML, loaded again, prints the same YAML. */
export function idempotenceViolations(loaded: LoadedProject, o: CheckOptions): string[] {
  let once: string;
  try {
    once = composeConfigYaml(composeConfigObject(loaded, { escape: true, nestedExtensions: true }));
  } catch (e) {
    if (e instanceof DiagnosticError) return []; // e.g. an env_file that cannot be read: config fails too, located
    return [`config threw ${describeThrown(e)}`];
  }
  try {
    const again = loadText(once, o);
    const twice = composeConfigYaml(composeConfigObject(again, { escape: true, nestedExtensions: true }));
    if (twice !== once) return [`config is not idempotent: ${firstDifference(once, twice)}`];
  } catch (e) {
    return [`config output does not load again: ${e instanceof DiagnosticError ? e.message : describeThrown(e)}\n--- output\n${once}`];
  }
  return [];
}

/** Every file under `dir` whose name ends in .yaml/.yml (any name: mutations of env files are inputs too). */
export function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && st.size < 256 * 1024) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The seeds of mutation: compose files of the corpus ($COMPOSE2K8S_CORPUS, when set) and of fixtures/. */
export function seedFiles(corpus = process.env.COMPOSE2K8S_CORPUS): string[] {
  const all = [...(corpus ? yamlFilesUnder(corpus) : []), ...yamlFilesUnder(join(root, 'fixtures'))];
  return all.filter((f) => {
    const text = readFileSync(f, 'utf8');
    // Kubernetes manifests, Helm/Kustomize outputs and golden files are not compose files.
    return !/^(apiVersion|kind|resources|kustomization|\{\{)/m.test(text) && !/\/(expected|golden|output)[^/]*$/.test(f) && !f.includes('/templates/');
  });
}

/** The first differing line of two texts, with a little context. */
export function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && la[i] === lb[i]) i++;
  return `line ${i + 1}:\n${la.slice(Math.max(0, i - 3), i + 3).join('\n')}\n--- became\n${lb.slice(Math.max(0, i - 3), i + 3).join('\n')}`;
}

function hasDollarKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasDollarKey);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => k.includes('$') || hasDollarKey(x));
  return false;
}

/** Marker planted in every secret source of the playground; it must never show up in an output. */
export const PLAYGROUND_SECRET = 'PLAYGROUND-SECRET-5f3a9c';

/** A project directory holding every file the grammar's documents refer to (env files, secrets, configs, bind sources). */
export function makePlayground(dir: string): string {
  mkdirSync(join(dir, 'conf', 'sub'), { recursive: true });
  mkdirSync(join(dir, 'app'), { recursive: true });
  const files: Record<string, string> = {
    '.env': `A=1\nIMAGE=alpine:3\nNAME=fromenv\nSECRET_ENV=${PLAYGROUND_SECRET}-env\nCFG=config-from-env\n`,
    'a.env': 'A=from-a\nDB_HOST=db\n',
    'b.env': 'B=from-b\nC=${A}\n',
    's1.txt': `${PLAYGROUND_SECRET}-file\n`,
    'c1.conf': 'listen 80;\n',
    'conf/app.conf': 'key=value\n',
    'conf/sub/nested.conf': 'nested=1\n',
    'app/Dockerfile': 'FROM alpine\n',
    Dockerfile: 'FROM alpine\n',
    'other.yaml': 'services:\n  base:\n    image: base\n    environment: [FROM_BASE=1]\n  web:\n    image: other-web\n',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/**
 * Models whose `docker compose config` output does not load back to the same model in docker compose either
 * (checked with docker compose v5.5.1); we print what docker compose prints, so they are not held to it:
 * - a key with `$` (keys are never interpolated, but `$` is printed as `$$`);
 * - a dependency on a disabled service (`required: false`): printed, then "depends on undefined service";
 * - an entry `=x` in a list-form environment or labels: printed as the key "", which the map form refuses;
 * - a config with `content: ""`: printed without content (omitempty), then "one of file|environment|content";
 * - an external resource with the legacy `external: {name: ""}`, or any network, volume, secret or config with
 *   `name: ""`: printed without a name, reloaded with one;
 * - a build without context (`build: !override` with nothing) or with `dockerfile: ""`: printed without, reloaded
 *   with `context: .` / `dockerfile: Dockerfile`.
 */
export function idempotenceExempt(loaded: LoadedProject): boolean {
  const p = loaded.project;
  if (Object.keys(loaded.source.disabledServices).length > 0 || hasDollarKey(p)) return true;
  if (Object.values(p.configs ?? {}).some((c) => c.content === '')) return true;
  const resources = [p.networks, p.volumes, p.secrets, p.configs].flatMap((m) => Object.values(m ?? {})) as { external?: unknown; name?: string }[];
  // `name: ""` (external or not) is printed without a name and reloaded with the default `<project>_<key>`.
  if (resources.some((r) => r && (r.name === '' || (r.external && !r.name)))) return true;
  return hasEmptyKey(p) || Object.values(p.services).some((s) => s.build && (!s.build.context || (!s.build.dockerfile && !s.build.dockerfile_inline)));
}

function hasEmptyKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasEmptyKey);
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => k === '' || hasEmptyKey(x));
  return false;
}
