// The load pipeline, one function per phase like compose-go's loader: options -> environment -> files ->
// per file (parse, interpolate, include, extends, merge, validate, toCanonicalForm) -> normalize -> profiles
// -> consistency. Produces the normalized Project every later stage consumes.
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { DiagnosticError, Diagnostics, error, type Diagnostic } from '../model/diagnostics.js';
import type { LoadedProject, Project, SourceLocation, SourceMap } from '../model/project.js';
import { toCanonicalForm } from './canonical.js';
import { OverrideTag, ResetTag } from './tags.js';
import { checkConsistency } from './consistency.js';
import { buildProjectEnvironment, envFilesFor, type Env } from './environment.js';
import { applyExtends } from './extends.js';
import { discoverComposeFiles, filesFromEnv, resolveFileArgs } from './files.js';
import { applyIncludes } from './include.js';
import { interpolateDocument } from './interpolate-tree.js';
import { formatInterpolationError, InterpolationError, substitute } from './interpolate.js';
import { enforceUniqueness, mergeModels } from './merge.js';
import { normalize } from './normalize.js';
import { applyProfiles } from './profiles.js';
import { resolveProjectName } from './project-name.js';
import { resolveServiceLabels, withEnvFilesResolved } from './service-env.js';
import { withoutUnusedResources } from './unused.js';
import { validateSchema } from './validate.js';
import { checkProjectPaths, readRegularFile } from './paths.js';
import { MAX_FILE_BYTES, parseComposeYaml, type ParsedFile } from './yaml.js';

export interface LoadOptions {
  cwd?: string;
  /** The OS environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** -f; `-` reads stdin. */
  files?: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles?: string[];
  profiles?: string[];
  /** Services named on the command line: they are enabled whatever their profiles. */
  services?: string[];
  /** false = `--no-interpolate`. */
  interpolate?: boolean;
  /** Keep top-level resources that no enabled service uses (docker compose config --no-interpolate does). */
  keepUnusedResources?: boolean;
  readStdin?: () => string;
  diagnostics?: Diagnostics;
  /**
   * Refuse (instead of warning about) env files, label files, bind mounts, build contexts, Dockerfiles and
   * secret/config files outside the project directory or naming special files (`--restrict-paths`).
   */
  restrictPaths?: boolean;
}

/** Shared state of one load: where paths were written, warnings, and the files read so far. */
export class LoadSession {
  readonly diagnostics: Diagnostics;
  private readonly fileLocations: Map<string, SourceLocation>[] = [];
  readonly interpolate: boolean;
  readonly readStdin: () => string;

  constructor(o: LoadOptions) {
    this.diagnostics = o.diagnostics ?? new Diagnostics();
    this.interpolate = o.interpolate !== false;
    this.readStdin = o.readStdin ?? (() => readFileSync(0, 'utf8'));
  }

  /**
   * `explicit`: named by the user (-f, COMPOSE_FILE), which may be a pipe such as `/dev/stdin` or `<(...)`.
   * Files named by compose content (include, extends.file) must be regular files: a FIFO would hang.
   */
  parseFile(path: string, explicit = false): ParsedFile {
    const display = path === '-' ? '(stdin)' : path;
    let text: string;
    try {
      text = path === '-' ? this.readStdin() : decodeUtf8(explicit && !isRegularFile(path) ? readCapped(path, MAX_FILE_BYTES + 1) : readRegularFile(path, MAX_FILE_BYTES), display);
    } catch (e) {
      if (e instanceof DiagnosticError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ETOOBIG') throw error('yaml.too-large', `file is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB; refusing to parse it`, { file: display });
      if (code === 'ESPECIAL') throw error('files.special', `open ${display}: ${(e as Error).message.replace(`${path} `, '')}; refusing to read it`, { file: display });
      const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message);
      throw error('files.unreadable', `open ${display}: ${why}`, { file: display });
    }
    const parsed = parseComposeYaml(text, display);
    if (parsed.documents.length === 0) throw error('files.empty', 'empty compose file', { file: display, line: 1 });
    this.fileLocations.push(parsed.locations);
    return parsed;
  }

  /** Where a compose path was written: the latest file that mentions it, else its nearest ancestor. */
  locate(path: string): SourceLocation | undefined {
    // An empty top-level key ('') has the path '' and a location of its own.
    for (let p: string | undefined = path; p !== undefined; p = p === '' ? undefined : enclosingPath(p)) {
      for (let i = this.fileLocations.length - 1; i >= 0; i--) {
        const hit = this.fileLocations[i]!.get(p);
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /** Fills file/line/column of diagnostics that only know their compose path. */
  locateAll(e: DiagnosticError, fallbackFile?: string): DiagnosticError {
    const list: Diagnostic[] = e.diagnostics.map((d) => {
      if (d.line !== undefined) return d;
      const loc = d.path ? this.locate(d.path) : undefined;
      if (loc) return { ...d, file: d.file ?? loc.file, line: loc.line, column: loc.column };
      return d.file || !fallbackFile ? d : { ...d, file: fallbackFile };
    });
    return new DiagnosticError(list);
  }

  sourceMap(): SourceMap {
    return { get: (p) => this.locate(p) };
  }
}

/** go-yaml refuses bytes that are not UTF-8 ("invalid leading UTF-8 octet"); Node would silently replace them. */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // Find the first bad byte for the line number: decode growing prefixes would be quadratic, so scan once.
    let line = 1;
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i]!;
      const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      const ok = len > 0 && i + len <= bytes.length && [...bytes.subarray(i + 1, i + len)].every((c) => (c & 0xc0) === 0x80);
      if (!ok) throw error('yaml.encoding', `invalid UTF-8: byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} (is this a binary file?)`, { file, line });
      if (b === 10) line++;
      i += len;
    }
    throw error('yaml.encoding', 'invalid UTF-8', { file, line: 1 });
  }
}

/** The compose path one level up (`services.a.ports[0]` -> `services.a.ports`); undefined at the top. */
export function enclosingPath(p: string): string | undefined {
  const m = /^(.*)(\.[^.[\]]+|\[\d+\])$/.exec(p);
  if (m) return m[1];
  // A key with dots or brackets of its own (`depends_on../`): cut at the last separator anyway, so the
  // diagnostic still gets the nearest ancestor's line.
  const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
  return cut > 0 ? p.slice(0, cut) : undefined;
}

/** One compose model (a project or an included sub-project): files merged in order, canonical, not normalized. */
export interface ModelInput {
  files: ParsedFile[];
  env: Env;
  workingDir: string;
  /** Include chain, for cycle detection. */
  chain: string[];
}

export function loadModel(input: ModelInput, session: LoadSession): Record<string, unknown> {
  let dict: Record<string, unknown> = {};
  for (const file of input.files) {
    for (const doc of file.documents) {
      dict = loadDocument(dict, doc, file.file, input, session);
    }
  }
  return dict;
}

function loadDocument(dict: Record<string, unknown>, doc: unknown, file: string, input: ModelInput, session: LoadSession): Record<string, unknown> {
  try {
    // `!override` on a whole mapping document is accepted by docker compose (and means nothing more); on anything
    // else, and `!reset` on a document at all, it fails ("cannot construct !reset `` into cli.named").
    if (doc instanceof OverrideTag && doc.value !== null && typeof doc.value === 'object' && !Array.isArray(doc.value) && !(doc.value instanceof ResetTag || doc.value instanceof OverrideTag)) doc = doc.value;
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof ResetTag || doc instanceof OverrideTag) {
      const tag = doc instanceof ResetTag ? ' (tagged !reset)' : doc instanceof OverrideTag ? ' (tagged !override)' : '';
      throw error('schema.top-level', `Top-level object must be a mapping${tag}`, { file, line: 1 });
    }
    const lookup = (name: string) => input.env[name];
    let tagged = false;
    let cfg = interpolateDocument(doc, {
      file,
      lookup,
      interpolate: session.interpolate,
      warn: (d) => session.diagnostics.add({ ...d, severity: 'warning' }),
      locate: (p) => session.locate(p),
      onTag: () => (tagged = true),
    }) as Record<string, unknown>;
    // Includes and extends add only merged (untagged) definitions: a document without tags stays without.
    cfg = applyIncludes(cfg, file, input, session, loadModel);
    cfg = applyExtends(cfg, file, dict, input, session);
    let merged = enforceUniqueness(mergeModels(dict, cfg, tagged));
    validateSchema(merged, (p) => session.locate(p));
    if ('version' in merged) {
      session.diagnostics.warn('compose.version-obsolete', 'the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion', {
        file,
        path: 'version',
        ...session.locate('version'),
      });
      delete merged.version;
    }
    merged = toCanonicalForm(merged, {
      workingDir: input.workingDir,
      lookupEnv: lookup,
      warn: (code, message, path) => session.diagnostics.warn(code, message, { path, ...session.locate(path) }),
    }) as unknown as Record<string, unknown>;
    return enforceUniqueness(merged);
  } catch (e) {
    if (e instanceof DiagnosticError) throw session.locateAll(e, file);
    throw e;
  }
}

/** The whole front end: from CLI-style options to the normalized project. */
export function loadProject(o: LoadOptions = {}): LoadedProject {
  const session = new LoadSession(o);
  const cwd = resolve(o.cwd ?? goGetwd());
  const osEnv: Env = {};
  for (const [k, v] of Object.entries(o.env ?? process.env)) if (v !== undefined) osEnv[k] = v;
  if (!osEnv.PWD) osEnv.PWD = cwd;

  const explicitProjectDir = o.projectDirectory ? resolve(cwd, o.projectDirectory) : undefined;
  const givenFiles = o.files && o.files.length > 0 ? o.files : undefined;
  const firstDir = givenFiles && givenFiles[0] !== '-' ? dirname(resolve(cwd, givenFiles[0]!)) : undefined;

  // First pass: env files next to the project directory as far as it is known, so .env may set COMPOSE_FILE.
  const wd0 = explicitProjectDir ?? firstDir ?? cwd;
  const envFiles0 = envFilesFor(o.envFiles, osEnv, wd0, cwd);
  let env = buildProjectEnvironment(osEnv, envFiles0.files);

  let files: string[];
  if (givenFiles) files = resolveFileArgs(givenFiles, cwd);
  else {
    const fromEnv = filesFromEnv(env);
    if (fromEnv) files = resolveFileArgs(fromEnv, explicitProjectDir ?? cwd);
    else {
      const found = discoverComposeFiles(explicitProjectDir ?? cwd);
      for (const w of found.warnings) session.diagnostics.warn('files.multiple', w);
      files = found.files;
    }
  }
  const projectDir = explicitProjectDir ?? (files[0] !== '-' ? dirname(files[0]!) : cwd);
  if (projectDir !== wd0 && !envFiles0.explicit) env = buildProjectEnvironment(osEnv, envFilesFor(undefined, osEnv, projectDir, cwd).files);

  const parsed = files.map((f) => session.parseFile(f, true));
  const fromFiles = lastNameInFiles(parsed, env, session);
  const name = resolveProjectName({ flag: o.projectName, env: env.COMPOSE_PROJECT_NAME, fromFiles, directory: projectDir });
  if (!o.projectName && !env.COMPOSE_PROJECT_NAME && !fromFiles && isSymlinkedDir(projectDir)) {
    session.diagnostics.warn('project.symlink-name', `project has been loaded without an explicit name from a symlink. Using name "${name}"`);
  }
  // compose-go overrides COMPOSE_PROJECT_NAME with the resolved name (docker/compose#11734).
  env = { ...env, COMPOSE_PROJECT_NAME: name };

  const dict = loadModel({ files: parsed, env, workingDir: projectDir, chain: files }, session);
  dict.name = name;
  delete dict.include;
  if (dict.services === undefined || dict.services === null) dict.services = {};
  try {
    let project = normalize(dict as unknown as Project);
    const activeProfiles = o.profiles && o.profiles.length > 0 ? o.profiles : splitProfiles(env.COMPOSE_PROFILES);
    const before = project;
    const profiled = applyProfiles(project, activeProfiles, o.services);
    project = profiled.project;
    // Label files and restored dependencies change services but never the resources they use: filter once.
    const usedOnly = withoutUnusedResources(project);
    checkPaths(usedOnly, projectDir, o.restrictPaths === true, session);
    project = withLabelFilesResolved(project, session);
    project = withEnvFilesResolved(project, env);
    checkConsistency(project, profiled.disabled);
    project = withOptionalDisabledDependencies(project, before, profiled.disabled);
    if (!o.keepUnusedResources) project = { ...usedOnly, services: project.services };
    return {
      project,
      source: {
        workingDir: projectDir,
        composeFiles: files.map((f) => (f === '-' ? '(stdin)' : f)),
        environment: env,
        disabledServices: profiled.disabled,
      },
      locations: session.sourceMap(),
    };
  } catch (e) {
    if (e instanceof DiagnosticError) throw session.locateAll(e, files[0] === '-' ? '(stdin)' : files[0]);
    throw e;
  }
}

/**
 * applyProfiles drops an optional (`required: false`) dependency on a disabled service so the checks only see
 * enabled services; docker compose still prints it, and lowering maps it to "not in the project". Put it back.
 */
function withOptionalDisabledDependencies(project: Project, before: Project, disabled: Record<string, string[]>): Project {
  if (Object.keys(disabled).length === 0) return project; // nothing was dropped
  const services = { ...project.services };
  for (const [name, svc] of Object.entries(services)) {
    const original = before.services[name]?.depends_on;
    if (!original) continue;
    const restored = Object.entries(original).filter(([dep, d]) => svc.depends_on?.[dep] !== undefined || (dep in disabled && d.required === false));
    if (restored.length === Object.keys(svc.depends_on ?? {}).length) continue;
    services[name] = { ...svc, depends_on: Object.fromEntries(restored.map(([dep, d]) => [dep, svc.depends_on?.[dep] ?? d])) };
  }
  return { ...project, services };
}

/** Path policy (paths.ts): warnings go to the session; errors (special files, or anything with restrict) abort. */
function checkPaths(project: Project, projectDir: string, restrict: boolean, session: LoadSession): void {
  const found = new Diagnostics();
  checkProjectPaths(project, { projectDir, restrict, diagnostics: found, locate: (p) => session.locate(p) });
  for (const w of found.warnings) session.diagnostics.add(w);
  if (found.errors.length > 0) throw new DiagnosticError(found.errors);
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true; // let the reader report it
  }
}

/** Reads at most `limit` bytes of a pipe or device the user named (a larger input is refused by the caller). */
function readCapped(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total >= limit) break;
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Reads every enabled service's `label_file`s into its `labels` (compose-go does this at load time). */
function withLabelFilesResolved(project: Project, session: LoadSession): Project {
  const services = { ...project.services };
  for (const [name, svc] of Object.entries(services)) {
    if (!svc.label_file || svc.label_file.length === 0) continue;
    const labels = resolveServiceLabels(svc, (message, file) => session.diagnostics.warn('interpolate.unset', message, { file }));
    services[name] = { ...svc, labels };
  }
  return { ...project, services };
}

/** Go's os.Getwd: $PWD when it names the current directory (so a symlinked path keeps its name). */
function goGetwd(): string {
  const cwd = process.cwd();
  const pwd = process.env.PWD;
  if (pwd && isAbsolute(pwd)) {
    try {
      const a = statSync(pwd);
      const b = statSync(cwd);
      if (a.ino === b.ino && a.dev === b.dev) return pwd;
    } catch {
      // PWD is stale: use the real directory
    }
  }
  return cwd;
}

/** True when the directory's base name differs from its real path's (compose-go warns then). */
function isSymlinkedDir(dir: string): boolean {
  try {
    return basename(realpathSync(dir)) !== basename(dir);
  } catch {
    return false;
  }
}

function splitProfiles(v: string | undefined): string[] {
  return v ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** The last non-empty top-level `name:` across files and documents, interpolated on its own. */
function lastNameInFiles(files: ParsedFile[], env: Env, session: LoadSession): string | undefined {
  let name: string | undefined;
  for (const f of files) {
    for (const doc of f.documents) {
      const n = (doc as Record<string, unknown> | null)?.name;
      if (typeof n !== 'string' || n === '') continue;
      try {
        name = session.interpolate ? substitute(n, (k) => env[k]) : n;
      } catch (e) {
        if (!(e instanceof InterpolationError)) throw e;
        // The same failure interpolating the document would report, located at `name`.
        const code = e.kind === 'invalid' ? 'interpolate.invalid' : 'interpolate.required';
        const at = f.locations.get('name');
        throw error(code, formatInterpolationError('name', n, e), { file: f.file, path: 'name', ...(at ? { line: at.line, column: at.column } : {}) });
      }
    }
  }
  return name || undefined;
}
