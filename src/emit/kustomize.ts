// `convert --format kustomize -o DIR`: a Kustomize base with one file per object, and overlays from Compose
// override files, that plain `kubectl kustomize DIR` / `kubectl apply -k DIR` builds (Kustomize loads files
// only from inside a kustomization's directory). ConfigMaps and Secrets whose data is exactly a file of the
// project (an env_file, a config or secret file) become configMapGenerator / secretGenerator entries. The
// match is verified by content: a generator is used only when Kustomize would produce exactly the data the
// lowering produced (its env-file parser is emulated below), otherwise the object is written as a resource.
//
// Where generator files go:
// - a ConfigMap's file is copied next to its kustomization (DIR/base/files/, DIR/overlays/NAME/files/);
// - a Secret's file is never copied: its generator is in a Kustomize Component in DIR/secrets/ (an overlay's
//   in DIR/secrets/overlays/NAME/), which reads a file the user puts there. The folder is git-ignored, has a
//   README saying which file goes where, and is kept when the output is rewritten (warning
//   `kustomize.secret-files` until the file is there; until then `kubectl kustomize` fails naming it).
//
// Layout: DIR/base/ holds one file per object and the kustomization listing them; DIR/kustomization.yaml
// just includes base/, so `kubectl kustomize DIR` renders the base. (The objects cannot live directly in DIR:
// Kustomize rejects an overlay inside its base's directory as a cycle, and files outside an overlay's root.)
//
// Overlays: DIR/overlays/NAME holds the difference between the lowered base and the lowered base+override:
// JSON6902 patches per changed object, added objects as resources (or generators), removed ones as
// `$patch: delete`.

import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../model/kube.js';
import { toYamlStream, inOutputKeyOrder } from './serialize.js';
import type { Project } from '../model/project.js';
import { error } from '../model/diagnostics.js';
import { keptFiles, objectFileNames, writeTreeAtomic, type FileTree, type PackageContext } from './directory.js';
import { deepEqual, jsonDiff } from './kustomize-patch.js';

export interface KustomizeOverlay {
  /** Directory name under DIR/overlays/ (e.g. `prod`). */
  name: string;
  /** The objects lowered from the base files plus this override file. */
  objects: KubeObject[];
  /** The model of base+override (its files are the overlay's generator sources). */
  project: Project;
}

const KUSTOMIZATION_HEADER = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };
const OVERLAY_NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/i;

// ---------------------------------------------------------------------------------------------------------
// Generator sources

interface SourceFile {
  path: string;
  content: Buffer;
  /** What a Kustomize `envs:` entry makes of the file, or undefined when Kustomize would fail or differ. */
  env?: Map<string, string>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function decodeUtf8(b: Buffer): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

const ENV_VAR_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Kustomize's env-file reader (api/kv KeyValuesFromLines), minus reading values from the OS environment. */
export function kustomizeEnvFile(content: Buffer): Map<string, string> | undefined {
  let text = decodeUtf8(content);
  if (text === undefined) return undefined;
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out = new Map<string, string>();
  for (let line of lines) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.replace(/^\s+/u, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) return undefined; // the value would come from the environment of whoever runs kustomize
    const key = line.slice(0, eq);
    if (!ENV_VAR_NAME.test(key) || out.has(key)) return undefined;
    out.set(key, line.slice(eq + 1));
  }
  return out;
}

/** Every file of the model that a ConfigMap or Secret may have been made from. */
export function projectSourceFiles(project: Project, ctx: Pick<PackageContext, 'files'>): SourceFile[] {
  const paths = new Set<string>();
  for (const service of Object.values(project.services)) {
    for (const f of service.env_file ?? []) paths.add(resolve(f.path));
    for (const v of service.volumes ?? []) if (v.type === 'bind' && v.source) paths.add(resolve(v.source));
  }
  for (const group of [project.configs, project.secrets]) {
    for (const element of Object.values(group ?? {})) if (element.file) paths.add(resolve(element.file));
  }
  const out: SourceFile[] = [];
  for (const path of [...paths].sort()) {
    let content: Buffer;
    try {
      content = ctx.files.read(path);
    } catch {
      continue; // a directory, or missing: not a generator source
    }
    out.push({ path, content, env: kustomizeEnvFile(content) });
  }
  return out;
}

interface Generator {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  namespace?: string;
  type?: string;
  envs?: string[];
  /** Absolute paths, with the key when it differs from the file's base name. */
  files?: { key: string; path: string }[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const ALLOWED_META = new Set(['name', 'namespace', 'labels', 'annotations']);

function onlyKeys(o: Record<string, unknown>, allowed: string[]): boolean {
  return Object.keys(o).every((k) => o[k] === undefined || allowed.includes(k));
}

function asStringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const entries = Object.entries(v as Record<string, unknown>);
  return entries.every(([, x]) => typeof x === 'string') ? (v as Record<string, string>) : undefined;
}

/** A generator producing exactly `object` from the files in `sources`, or undefined. */
export function matchGenerator(object: KubeObject, sources: readonly SourceFile[]): Generator | undefined {
  if (object.apiVersion !== 'v1' || (object.kind !== 'ConfigMap' && object.kind !== 'Secret')) return undefined;
  const meta = object.metadata as unknown as Record<string, unknown>;
  if (!Object.keys(meta).every((k) => meta[k] === undefined || ALLOWED_META.has(k))) return undefined;
  const base: Generator = {
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    ...(object.metadata.labels && Object.keys(object.metadata.labels).length ? { labels: object.metadata.labels } : {}),
    ...(object.metadata.annotations && Object.keys(object.metadata.annotations).length ? { annotations: object.metadata.annotations } : {}),
  };
  if (object.kind === 'ConfigMap') {
    if (!onlyKeys(object, ['apiVersion', 'kind', 'metadata', 'data', 'binaryData'])) return undefined;
    const data = asStringMap(object.data);
    const binary = asStringMap(object.binaryData);
    if (!data || !binary || Object.keys(data).length + Object.keys(binary).length === 0) return undefined;
    if (Object.keys(binary).length === 0) {
      const env = sources.find((s) => s.env && s.env.size > 0 && deepEqual(Object.fromEntries(s.env), data));
      if (env) return { ...base, envs: [env.path] };
    }
    const files: { key: string; path: string }[] = [];
    for (const [key, value] of Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const s = sources.find((x) => decodeUtf8(x.content) === value);
      if (!s) return undefined;
      files.push({ key, path: s.path });
    }
    for (const [key, value] of Object.entries(binary).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const s = sources.find((x) => decodeUtf8(x.content) === undefined && x.content.toString('base64') === value);
      if (!s) return undefined;
      files.push({ key, path: s.path });
    }
    return { ...base, files };
  }
  // Secret. Kustomize always writes a type; a Secret without one is an Opaque Secret to the API server.
  if (!onlyKeys(object, ['apiVersion', 'kind', 'metadata', 'data', 'type'])) return undefined;
  const data = asStringMap(object.data);
  if (!data || Object.keys(data).length === 0) return undefined;
  const type = typeof object.type === 'string' ? object.type : 'Opaque';
  const decoded = Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64')] as const);
  const env = sources.find(
    (s) => s.env && s.env.size === decoded.length && decoded.every(([k, v]) => s.env!.get(k) !== undefined && Buffer.from(s.env!.get(k)!).equals(v)),
  );
  if (env) return { ...base, type, envs: [env.path] };
  const files: { key: string; path: string }[] = [];
  for (const [key, value] of decoded.sort(([a], [b]) => (a < b ? -1 : 1))) {
    const s = sources.find((x) => x.content.equals(value));
    if (!s) return undefined;
    files.push({ key, path: s.path });
  }
  return { ...base, type, files };
}

// ---------------------------------------------------------------------------------------------------------
// Where generator files go inside DIR

/** The folder (relative to DIR) of the secret files the user puts in, and of the Components that read them. */
export const SECRETS_DIR = 'secrets';
const isSecretsFile = (rel: string) => rel.startsWith(`${SECRETS_DIR}/`);

/** A secret file that the user copies into DIR (compose2k8s never writes it). */
export interface SecretFile {
  /** The project's file (absolute). */
  source: string;
  /** Where it goes, relative to DIR, with `/`. */
  target: string;
  /** The names of the Secrets made from it. */
  secrets: string[];
}

/** Gives each source file one name in a folder: its base name, made safe and unique. */
class Folder {
  private readonly bySource = new Map<string, string>();
  private readonly used: Set<string>;
  constructor(reserved: readonly string[] = []) {
    this.used = new Set(reserved);
  }
  name(source: string): string {
    const known = this.bySource.get(source);
    if (known) return known;
    const safe = basename(source).replace(/[^-._a-zA-Z0-9]/g, '-');
    const ext = extname(safe);
    const stem = safe.slice(0, safe.length - ext.length) || 'file';
    let name = `${stem}${ext}`;
    for (let i = 2; this.used.has(name); i++) name = `${stem}-${i}${ext}`;
    this.used.add(name);
    this.bySource.set(source, name);
    return name;
  }
  entries(): [source: string, name: string][] {
    return [...this.bySource];
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kustomization files

function generatorEntry(g: Generator, pathOf: (source: string) => string, behavior?: 'create' | 'replace'): Record<string, unknown> {
  const options = { ...(g.labels ? { labels: inOutputKeyOrder(g.labels) } : {}), ...(g.annotations ? { annotations: inOutputKeyOrder(g.annotations) } : {}) };
  return {
    name: g.name,
    ...(g.namespace ? { namespace: g.namespace } : {}),
    ...(behavior ? { behavior } : {}),
    ...(g.kind === 'Secret' ? { type: g.type } : {}),
    ...(g.envs ? { envs: g.envs.map(pathOf) } : {}),
    ...(g.files
      ? {
          files: g.files.map(({ key, path }) => {
            const rel = pathOf(path);
            return key === basename(rel) ? rel : `${key}=${rel}`;
          }),
        }
      : {}),
    ...(Object.keys(options).length ? { options } : {}),
  };
}

function yamlDoc(value: unknown, header?: string): string {
  const body = stringify(value, { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });
  return header ? `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n${body}` : body;
}

function objectId(o: KubeObject): string {
  return `${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

function groupVersion(apiVersion: string): { group?: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function target(o: KubeObject): Record<string, string> {
  const gv = groupVersion(o.apiVersion);
  return {
    ...(gv.group ? { group: gv.group } : {}),
    version: gv.version,
    kind: o.kind,
    name: o.metadata.name,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
  };
}

function secretWarning(ctx: PackageContext, o: KubeObject, where: string): void {
  ctx.diagnostics.warn(
    'kustomize.secret-copied',
    `Secret ${o.metadata.name}: its data does not come from a file of the project, so it is written into ${where}; use --secrets reference to keep secret material out of the output`,
  );
}

function header(project: string, what: string): string {
  return `Kustomize ${what} generated by compose2k8s from the Compose project "${project.replace(/[\r\n]/g, ' ')}".`;
}

/** One kustomization directory (the base or an overlay) and the secrets Component beside it. */
interface Root {
  /** Relative to DIR: `base` or `overlays/NAME`. */
  dir: string;
  /** Relative to DIR: the Component holding this root's secretGenerators and the user's secret files. */
  secretsDir: string;
  what: string;
}

/**
 * Puts the generators of one kustomization into the tree: ConfigMap files copied into `<root>/files/`,
 * Secrets into the Component in `root.secretsDir`, whose files the user supplies. Returns the fields for the
 * root's kustomization.
 */
function placeGenerators(
  root: Root,
  generators: readonly { g: Generator; behavior?: 'create' | 'replace' }[],
  sources: ReadonlyMap<string, SourceFile>,
  project: string,
  tree: FileTree,
  secretFiles: SecretFile[],
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const copies = new Folder();
  const cms = generators.filter(({ g }) => g.kind === 'ConfigMap').map(({ g, behavior }) => generatorEntry(g, (p) => `files/${copies.name(p)}`, behavior));
  for (const [source, name] of copies.entries()) tree.set(`${root.dir}/files/${name}`, sources.get(source)!.content);
  if (cms.length) {
    fields.configMapGenerator = cms;
    fields.generatorOptions = { disableNameSuffixHash: true };
  }
  const secrets = generators.filter(({ g }) => g.kind === 'Secret');
  if (secrets.length) {
    const dropIns = new Folder(['README.md', '.gitignore', 'kustomization.yaml', 'overlays']);
    const entries = secrets.map(({ g, behavior }) => generatorEntry(g, (p) => dropIns.name(p), behavior));
    const users = new Map<string, string[]>();
    for (const { g } of secrets) {
      for (const p of [...(g.envs ?? []), ...(g.files ?? []).map((f) => f.path)]) users.set(p, [...(users.get(p) ?? []), g.name]);
    }
    for (const [source, name] of dropIns.entries()) {
      secretFiles.push({ source, target: `${root.secretsDir}/${name}`, secrets: [...new Set(users.get(source))] });
    }
    const component = {
      apiVersion: 'kustomize.config.k8s.io/v1alpha1',
      kind: 'Component',
      secretGenerator: entries,
      generatorOptions: { disableNameSuffixHash: true },
    };
    const note = `The secretGenerators of the ${root.what}. They read files you put into this folder (see ${relPath(root.secretsDir, SECRETS_DIR)}/README.md).`;
    tree.set(`${root.secretsDir}/kustomization.yaml`, yamlDoc(component, `${header(project, `component`)}\n${note}`));
    fields.components = [relPath(root.dir, root.secretsDir)];
  }
  return fields;
}

function relPath(fromDir: string, to: string): string {
  return relative(resolve('/', fromDir), resolve('/', to)).split(sep).join('/') || '.';
}

function sourceMap(project: Project, ctx: Pick<PackageContext, 'files'>): Map<string, SourceFile> {
  return new Map(projectSourceFiles(project, ctx).map((s) => [s.path, s]));
}

function baseLayout(objects: readonly KubeObject[], ctx: PackageContext, tree: FileTree, secretFiles: SecretFile[]): Map<string, Generator> {
  const sources = sourceMap(ctx.project, ctx);
  const resources: KubeObject[] = [];
  const generated = new Map<string, Generator>();
  for (const o of objects) {
    const g = matchGenerator(o, [...sources.values()]);
    if (g) generated.set(objectId(o), g);
    else {
      if (o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined)) secretWarning(ctx, o, 'the Kustomize base');
      resources.push(o);
    }
  }
  const names = objectFileNames(resources);
  resources.forEach((o, i) => tree.set(`base/${names[i]!}`, toYamlStream([o]).replace(/^---\n/, '')));
  const root: Root = { dir: 'base', secretsDir: SECRETS_DIR, what: 'base' };
  const kustomization: Record<string, unknown> = { ...KUSTOMIZATION_HEADER };
  if (names.length) kustomization.resources = names;
  const generators = [...generated.values()].map((g) => ({ g }));
  Object.assign(kustomization, placeGenerators(root, generators, sources, ctx.project.name, tree, secretFiles));
  tree.set('base/kustomization.yaml', yamlDoc(kustomization, header(ctx.project.name, 'base')));
  return generated;
}

function overlayLayout(
  base: readonly KubeObject[],
  overlay: KustomizeOverlay,
  baseGenerated: Map<string, Generator>,
  ctx: PackageContext,
  tree: FileTree,
  secretFiles: SecretFile[],
): void {
  const sources = sourceMap(overlay.project, ctx);
  const sourceList = [...sources.values()];
  const root: Root = { dir: `overlays/${overlay.name}`, secretsDir: `${SECRETS_DIR}/overlays/${overlay.name}`, what: `overlay "${overlay.name}"` };
  const baseById = new Map(base.map((o) => [objectId(o), o]));
  const overlayById = new Map(overlay.objects.map((o) => [objectId(o), o]));
  const added: KubeObject[] = [];
  const generators: { g: Generator; behavior: 'create' | 'replace' }[] = [];
  const patches: { file: string; target?: Record<string, string> }[] = [];
  const patchFiles = new Map<string, string>();
  const usedPatchNames = new Set<string>();
  const patchName = (o: KubeObject, suffix: string) => {
    let n = `${o.kind.toLowerCase()}-${o.metadata.name}${suffix}`;
    for (let i = 2; usedPatchNames.has(n); i++) n = `${o.kind.toLowerCase()}-${o.metadata.name}-${i}${suffix}`;
    usedPatchNames.add(n);
    return n;
  };

  for (const o of overlay.objects) {
    const before = baseById.get(objectId(o));
    if (!before) {
      const g = matchGenerator(o, sourceList);
      if (g) generators.push({ g, behavior: 'create' });
      else {
        if (o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined)) secretWarning(ctx, o, `overlay ${overlay.name}`);
        added.push(o);
      }
      continue;
    }
    if (deepEqual(inOutputKeyOrder(before), inOutputKeyOrder(o))) continue;
    if (baseGenerated.has(objectId(o))) {
      const g = matchGenerator(o, sourceList);
      if (g) {
        generators.push({ g, behavior: 'replace' });
        continue;
      }
    }
    if (o.kind === 'Secret') secretWarning(ctx, o, `a patch of overlay ${overlay.name}`);
    const ops = jsonDiff(inOutputKeyOrder(before), inOutputKeyOrder(o));
    const file = patchName(o, '.patch.yaml');
    patchFiles.set(file, yamlDoc(ops));
    patches.push({ file, target: target(before) });
  }
  for (const o of base) {
    if (overlayById.has(objectId(o))) continue;
    const file = patchName(o, '.delete.yaml');
    const meta = { name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
    patchFiles.set(file, yamlDoc({ $patch: 'delete', apiVersion: o.apiVersion, kind: o.kind, metadata: meta }));
    patches.push({ file });
  }

  const names = objectFileNames(added);
  added.forEach((o, i) => tree.set(`${root.dir}/${names[i]!}`, toYamlStream([o]).replace(/^---\n/, '')));
  for (const [f, text] of patchFiles) tree.set(`${root.dir}/${f}`, text);
  const kustomization: Record<string, unknown> = { ...KUSTOMIZATION_HEADER, resources: ['../../base', ...names] };
  Object.assign(kustomization, placeGenerators(root, generators, sources, overlay.project.name, tree, secretFiles));
  if (patches.length) kustomization.patches = patches.map((p) => ({ path: p.file, ...(p.target ? { target: p.target } : {}) }));
  tree.set(`${root.dir}/kustomization.yaml`, yamlDoc(kustomization, header(overlay.project.name, root.what)));
}

// ---------------------------------------------------------------------------------------------------------
// The secrets folder

/** Everything in the secrets folder is ignored by git except what compose2k8s writes there. */
const SECRETS_GITIGNORE = `# Secret files for the Kustomize secretGenerators: never commit them.
# Only what compose2k8s writes here (this file, README.md, kustomization.yaml files) is tracked.
*
!*/
!/.gitignore
!/README.md
!kustomization.yaml
`;

function secretsReadme(files: readonly SecretFile[], kept: readonly string[]): string {
  const lines = [
    '# Secret files for `kubectl apply -k`',
    '',
    'compose2k8s does not copy secret material into its output. The secretGenerators in the',
    '`kustomization.yaml` files of this folder read the files listed below: put them here, then build',
    'from the output directory with `kubectl kustomize .` or `kubectl apply -k .`. Until a file is here, the',
    'build fails with "no such file or directory" naming it.',
    '',
  ];
  if (files.length) {
    lines.push(
      '| Put this file (path in the output directory) | A copy of (relative to the output directory) | For the Secret |',
      '|---|---|---|',
      ...files.map((f) => `| \`${f.target}\` | \`${f.source}\` | ${f.secrets.map((n) => `\`${n}\``).join(', ')} |`),
      '',
      'From the output directory:',
      '',
      '```sh',
      ...files.map((f) => `cp ${shellWord(f.source)} ${shellWord(f.target)}`),
      `chmod 600 ${files.map((f) => shellWord(f.target)).join(' ')}`,
      '```',
      '',
    );
  } else {
    lines.push('The output needs no secret file now.', '');
  }
  const unused = kept.filter((k) => !files.some((f) => f.target === k));
  if (unused.length) lines.push(`No Secret reads these files any more (kept from before): ${unused.map((k) => `\`${k}\``).join(', ')}.`, '');
  lines.push(
    'Copy the files rather than linking them: Kustomize refuses a symbolic link that points outside this',
    'directory. Everything here except `README.md`, `.gitignore` and the `kustomization.yaml` files is',
    'git-ignored, and compose2k8s keeps your files when it writes the output again.',
    '',
  );
  return lines.join('\n');
}

function shellWord(s: string): string {
  return /^[-._/a-zA-Z0-9]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The files of the Kustomize base and its overlays (relative to `dir`), without writing anything. Warns
 * (`kustomize.secret-files`) for each secret file the user has still to put into `dir`.
 */
export function kustomizeFiles(objects: readonly KubeObject[], ctx: PackageContext, dir: string, overlays: readonly KustomizeOverlay[] = []): FileTree {
  const seen = new Set<string>();
  for (const o of overlays) {
    if (!OVERLAY_NAME.test(o.name)) throw error('kustomize.overlay-name', `overlay name "${o.name}" must be letters, digits, '-', '_' or '.'`);
    if (seen.has(o.name)) throw error('kustomize.overlay-name', `overlay "${o.name}" is given twice`);
    seen.add(o.name);
  }
  const tree: FileTree = new Map();
  const secretFiles: SecretFile[] = [];
  const baseGenerated = baseLayout(objects, ctx, tree, secretFiles);
  for (const overlay of overlays) overlayLayout(objects, overlay, baseGenerated, ctx, tree, secretFiles);
  const rootNote = ['The objects are in base/; overlays/<name>/ hold the differences of each Compose override file.'];
  if (secretFiles.length) rootNote.push(`Secrets are generated from files that you put into ${SECRETS_DIR}/ (see ${SECRETS_DIR}/README.md).`);
  tree.set('kustomization.yaml', yamlDoc({ ...KUSTOMIZATION_HEADER, resources: ['base'] }, [header(ctx.project.name, 'root'), ...rootNote].join('\n')));

  const root = resolve(dir);
  const kept = keptFiles(root, isSecretsFile, tree);
  if (secretFiles.length || kept.length) {
    const shown = secretFiles.map((f) => ({ ...f, source: relPath(root, f.source) }));
    tree.set(`${SECRETS_DIR}/README.md`, secretsReadme(shown, kept));
    tree.set(`${SECRETS_DIR}/.gitignore`, SECRETS_GITIGNORE);
  }
  for (const f of secretFiles) {
    if (sameContent(ctx, resolve(root, f.target), f.source)) continue;
    ctx.diagnostics.warn(
      'kustomize.secret-files',
      `Secret ${f.secrets.join(', ')}: its file is not copied into the output; copy ${shownPath(f.source)} to ${join(dir, f.target)} before \`kubectl apply -k ${dir}\` (${join(dir, SECRETS_DIR)}/ is git-ignored; its README.md lists every file)`,
    );
  }
  return tree;
}

/** True when the user already put an identical copy in place (so there is nothing to say). */
function sameContent(ctx: Pick<PackageContext, 'files'>, placed: string, source: string): boolean {
  try {
    return ctx.files.read(placed).equals(ctx.files.read(source));
  } catch {
    return false;
  }
}

/** A path as the user may type it from the current directory. */
function shownPath(abs: string): string {
  const r = relative(process.cwd(), abs);
  return r && !r.startsWith('..') ? r : abs;
}

/**
 * Writes the Kustomize base into `dir` (and `dir/overlays/<name>/` per overlay), atomically; the secret files
 * the user put into `dir/secrets/` are kept.
 * Throws a DiagnosticError for a bad overlay name, foreign files in `dir` or an unwritable `dir`.
 */
export function writeKustomize(objects: readonly KubeObject[], ctx: PackageContext, dir: string, overlays: readonly KustomizeOverlay[] = []): void {
  writeTreeAtomic(dir, kustomizeFiles(objects, ctx, dir, overlays), isSecretsFile);
}
