// `convert --format kustomize -o DIR`: a Kustomize base with one file per object, and overlays from Compose
// override files. ConfigMaps and Secrets whose data is exactly a file of the project (an env_file, a config or
// secret file) become configMapGenerator / secretGenerator entries that reference the ORIGINAL file by a path
// relative to the kustomization, so no secret material is copied into DIR. The match is verified by content:
// a generator is used only when Kustomize would produce exactly the data the lowering produced (its env-file
// parser is emulated below), otherwise the object is written as a resource file.
//
// Kustomize only loads files inside the kustomization root by default; files referenced from outside DIR need
// `kubectl kustomize --load-restrictor LoadRestrictionsNone DIR` (warning `kustomize.load-restrictor`).
//
// Layout: DIR/base/ holds one file per object and the kustomization listing them; DIR/kustomization.yaml
// just includes base/, so `kubectl kustomize DIR` renders the base. (The objects cannot live directly in DIR:
// Kustomize rejects an overlay inside its base's directory as a cycle, and files outside an overlay's root.)
//
// Overlays: DIR/overlays/NAME holds the difference between the lowered base and the lowered base+override:
// JSON6902 patches per changed object, added objects as resources (or generators), removed ones as
// `$patch: delete`.

import { resolve, relative, basename, sep } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../lower/context.js';
import { toYamlStream, canonicalize } from '../lower/serialize.js';
import type { Project } from '../model/project.js';
import { error } from '../model/diagnostics.js';
import { objectFileNames, writeTreeAtomic, type FileTree, type PackageContext } from './directory.js';
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
// Kustomization files

function relPath(fromDir: string, file: string): string {
  return relative(fromDir, file).split(sep).join('/');
}

function generatorEntry(g: Generator, fromDir: string, behavior?: 'create' | 'replace'): Record<string, unknown> {
  const options = { ...(g.labels ? { labels: canonicalize(g.labels) } : {}), ...(g.annotations ? { annotations: canonicalize(g.annotations) } : {}) };
  return {
    name: g.name,
    ...(g.namespace ? { namespace: g.namespace } : {}),
    ...(behavior ? { behavior } : {}),
    ...(g.kind === 'Secret' ? { type: g.type } : {}),
    ...(g.envs ? { envs: g.envs.map((p) => relPath(fromDir, p)) } : {}),
    ...(g.files
      ? {
          files: g.files.map(({ key, path }) => {
            const rel = relPath(fromDir, path);
            return key === basename(path) ? rel : `${key}=${rel}`;
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

function outside(dir: string, file: string): boolean {
  const r = relative(dir, file);
  return r.startsWith('..') || resolve(r) === r;
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

interface Layout {
  files: FileTree;
  /** Absolute paths referenced from outside the kustomization root. */
  outsideRoot: string[];
}

function secretWarning(ctx: PackageContext, o: KubeObject, where: string): void {
  ctx.diagnostics.warn(
    'kustomize.secret-copied',
    `Secret ${o.metadata.name}: its data does not come from a file of the project, so it is written into ${where}; use --secrets reference to keep secret material out of the output`,
  );
}

function baseLayout(objects: readonly KubeObject[], ctx: PackageContext, root: string): Layout & { generated: Map<string, Generator> } {
  const sources = projectSourceFiles(ctx.project, ctx);
  const files: FileTree = new Map();
  const resources: KubeObject[] = [];
  const generated = new Map<string, Generator>();
  const generators: Generator[] = [];
  for (const o of objects) {
    const g = matchGenerator(o, sources);
    if (g) {
      generators.push(g);
      generated.set(objectId(o), g);
    } else {
      if (o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined)) secretWarning(ctx, o, 'the Kustomize base');
      resources.push(o);
    }
  }
  const names = objectFileNames(resources);
  resources.forEach((o, i) => files.set(names[i]!, toYamlStream([o]).replace(/^---\n/, '')));
  const outsideRoot = generators.flatMap((g) => [...(g.envs ?? []), ...(g.files ?? []).map((f) => f.path)]).filter((p) => outside(root, p));
  const kustomization: Record<string, unknown> = { ...KUSTOMIZATION_HEADER };
  if (names.length) kustomization.resources = names;
  const cms = generators.filter((g) => g.kind === 'ConfigMap').map((g) => generatorEntry(g, root));
  const secrets = generators.filter((g) => g.kind === 'Secret').map((g) => generatorEntry(g, root));
  if (cms.length) kustomization.configMapGenerator = cms;
  if (secrets.length) kustomization.secretGenerator = secrets;
  if (generators.length) kustomization.generatorOptions = { disableNameSuffixHash: true };
  files.set('kustomization.yaml', yamlDoc(kustomization, header(ctx.project.name, 'base', outsideRoot.length > 0)));
  return { files, outsideRoot, generated };
}

function header(project: string, what: string, needsLoadRestrictor: boolean): string {
  const lines = [`Kustomize ${what} generated by compose2k8s from the Compose project "${project.replace(/[\r\n]/g, ' ')}".`];
  if (needsLoadRestrictor) {
    lines.push(
      'Generators reference files outside this directory; build with:',
      '  kubectl kustomize --load-restrictor LoadRestrictionsNone <dir>',
    );
  }
  return lines.join('\n');
}

function overlayLayout(
  base: readonly KubeObject[],
  overlay: KustomizeOverlay,
  baseGenerated: Map<string, Generator>,
  ctx: PackageContext,
  overlayRoot: string,
): Layout {
  const sources = projectSourceFiles(overlay.project, ctx);
  const files: FileTree = new Map();
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
      const g = matchGenerator(o, sources);
      if (g) generators.push({ g, behavior: 'create' });
      else {
        if (o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined)) secretWarning(ctx, o, `overlay ${overlay.name}`);
        added.push(o);
      }
      continue;
    }
    if (deepEqual(canonicalize(before), canonicalize(o))) continue;
    if (baseGenerated.has(objectId(o))) {
      const g = matchGenerator(o, sources);
      if (g) {
        generators.push({ g, behavior: 'replace' });
        continue;
      }
    }
    if (o.kind === 'Secret') secretWarning(ctx, o, `a patch of overlay ${overlay.name}`);
    const ops = jsonDiff(canonicalize(before), canonicalize(o));
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
  added.forEach((o, i) => files.set(names[i]!, toYamlStream([o]).replace(/^---\n/, '')));
  for (const [f, text] of patchFiles) files.set(f, text);
  const outsideRoot = generators.flatMap(({ g }) => [...(g.envs ?? []), ...(g.files ?? []).map((f) => f.path)]).filter((p) => outside(overlayRoot, p));
  const kustomization: Record<string, unknown> = { ...KUSTOMIZATION_HEADER, resources: ['../../base', ...names] };
  const cms = generators.filter(({ g }) => g.kind === 'ConfigMap').map(({ g, behavior }) => generatorEntry(g, overlayRoot, behavior));
  const secrets = generators.filter(({ g }) => g.kind === 'Secret').map(({ g, behavior }) => generatorEntry(g, overlayRoot, behavior));
  if (cms.length) kustomization.configMapGenerator = cms;
  if (secrets.length) kustomization.secretGenerator = secrets;
  if (generators.length) kustomization.generatorOptions = { disableNameSuffixHash: true };
  if (patches.length) kustomization.patches = patches.map((p) => ({ path: p.file, ...(p.target ? { target: p.target } : {}) }));
  files.set('kustomization.yaml', yamlDoc(kustomization, header(overlay.project.name, `overlay "${overlay.name}"`, outsideRoot.length > 0)));
  return { files, outsideRoot };
}

/** The files of the Kustomize base and its overlays (relative to `dir`), without writing anything. */
export function kustomizeFiles(objects: readonly KubeObject[], ctx: PackageContext, dir: string, overlays: readonly KustomizeOverlay[] = []): FileTree {
  const root = resolve(dir);
  const baseRoot = resolve(root, 'base');
  const seen = new Set<string>();
  for (const o of overlays) {
    if (!OVERLAY_NAME.test(o.name)) throw error('kustomize.overlay-name', `overlay name "${o.name}" must be letters, digits, '-', '_' or '.'`);
    if (seen.has(o.name)) throw error('kustomize.overlay-name', `overlay "${o.name}" is given twice`);
    seen.add(o.name);
  }
  const base = baseLayout(objects, ctx, baseRoot);
  const tree: FileTree = new Map([...base.files].map(([f, text]) => [`base/${f}`, text]));
  tree.set('kustomization.yaml', yamlDoc({ ...KUSTOMIZATION_HEADER, resources: ['base'] }, `${header(ctx.project.name, 'root', base.outsideRoot.length > 0)}
The objects are in base/; overlays/<name>/ hold the differences of each Compose override file.`));
  const outsideRoot = [...base.outsideRoot];
  for (const overlay of overlays) {
    const layout = overlayLayout(objects, overlay, base.generated, ctx, resolve(root, 'overlays', overlay.name));
    for (const [f, text] of layout.files) tree.set(`overlays/${overlay.name}/${f}`, text);
    outsideRoot.push(...layout.outsideRoot);
  }
  if (outsideRoot.length) {
    ctx.diagnostics.warn(
      'kustomize.load-restrictor',
      `the kustomization references ${[...new Set(outsideRoot)].length} file(s) outside ${dir} (e.g. ${outsideRoot[0]}); Kustomize refuses them unless built with \`kubectl kustomize --load-restrictor LoadRestrictionsNone ${dir}\``,
    );
  }
  return tree;
}

/**
 * Writes the Kustomize base into `dir` (and `dir/overlays/<name>/` per overlay), atomically.
 * Throws a DiagnosticError for a bad overlay name, foreign files in `dir` or an unwritable `dir`.
 */
export function writeKustomize(objects: readonly KubeObject[], ctx: PackageContext, dir: string, overlays: readonly KustomizeOverlay[] = []): void {
  writeTreeAtomic(dir, kustomizeFiles(objects, ctx, dir, overlays));
}
