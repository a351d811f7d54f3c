// The compile driver: load -> lower -> (validate) -> (build, push, pin) -> (tags to digests), one function per phase, as TypeScript's
// program.ts drives its phases. Every command and test compiles through here; the CLI only turns flags into
// CompileOptions. Emitting (YAML, a directory, Kustomize, Helm) is the caller's choice of output, in emit/.
import { loadProject, type LoadOptions } from '../compose/index.js';
import { lowerProject, type LowerOptions, type LowerResult, type ReportEntry } from '../lower/index.js';
import { nodeFilePort } from './node-files.js';
import { Diagnostics, DiagnosticError } from '../model/diagnostics.js';
import type { KubeObject, Placement } from '../model/kube.js';
import type { LoadedProject } from '../model/project.js';

/** The lowering choices; file access and the project environment are the driver's to wire. */
export type LoweringChoices = Partial<Omit<LowerOptions, 'files' | 'lookupEnv'>>;

export interface BuildChoices {
  push?: boolean;
  registry?: string;
  insecureRegistries?: string[];
  parallel?: number;
  signal?: AbortSignal;
  /** The build stage's own warning about images it did not push (off when the lowering already warned). */
  warnLocalOnly?: boolean;
}

export interface DigestChoices {
  /** false: no registry requests, the tags stay as written, with a warning (`--no-resolve-digests`). Default true. */
  resolve?: boolean;
  /** Why not, for the warning (default `--no-resolve-digests`). */
  offlineBecause?: string;
  insecureRegistries?: string[];
  signal?: AbortSignal;
  /** Retry notes (a registry answering 5xx or slowly). */
  log?: (line: string) => void;
}

export interface CompileOptions {
  /** How to find and load the project (files, directory, profiles, environment...). */
  load: LoadOptions;
  lower?: LoweringChoices;
  /** Validate every object against the Kubernetes schema (kubernetes-models; heavy, loaded on demand). */
  validate?: boolean;
  /** Build (and push) the images of services with `build:` and pin the workloads to what was built. */
  build?: BuildChoices;
  /**
   * Pin every container image without a digest to the digest its tag points to now, through the registry API, after
   * the build (`up`, `apply`, `diff`, `convert --resolve-digests`). Images built into the local engine only are left.
   */
  resolveDigests?: DigestChoices;
  diagnostics?: Diagnostics;
  /** Called as each phase ends (the CLI's COMPOSE2K8S_TIMING). */
  onPhase?: (phase: 'load' | 'lower' | 'validate' | 'build' | 'digests') => void;
}

export interface Compiled extends LowerResult {
  loaded: LoadedProject;
  diagnostics: Diagnostics;
}

/** Phase 1: the resolved compose model, environment included. */
export function load(options: LoadOptions, diagnostics: Diagnostics): LoadedProject {
  return loadProject({ diagnostics, ...options });
}

/** The lowering options for a loaded project: files read from disk, `${...}` of configs from its environment. */
export function loweringOptions(loaded: LoadedProject, choices: LoweringChoices = {}): Partial<LowerOptions> {
  const env = loaded.source.environment;
  return { ...choices, files: nodeFilePort, lookupEnv: (k) => env[k] };
}

/** Phase 2: Kubernetes objects and the per-key report. */
export function lower(loaded: LoadedProject, choices: LoweringChoices, diagnostics: Diagnostics): LowerResult {
  return lowerProject(loaded.project, loweringOptions(loaded, choices), diagnostics);
}

/** Load and lower, without the asynchronous phases; diagnostics are collected, not thrown (for tests and tools). */
export function compileSync(options: Omit<CompileOptions, 'validate' | 'build' | 'resolveDigests'>): Compiled {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const loaded = load(options.load, diagnostics);
  options.onPhase?.('load');
  const lowered = lower(loaded, options.lower ?? {}, diagnostics);
  options.onPhase?.('lower');
  return { ...lowered, loaded, diagnostics };
}

/**
 * Every phase. Throws DiagnosticError on any error (located in the compose files): images are built only after
 * the project converted cleanly, and the objects are returned only after every build and push succeeded, so
 * they pin exactly what was pushed.
 */
export async function compile(options: CompileOptions): Promise<Compiled> {
  const compiled = compileSync(options);
  const { loaded, objects, diagnostics } = compiled;
  if (options.validate) {
    const { validateObjects } = await import('../emit/index.js');
    await validateObjects(objects, diagnostics);
    options.onPhase?.('validate');
  }
  let built: Map<string, { reference: string; pushed: boolean }> | undefined;
  if (options.build && Object.values(loaded.project.services).some((svc) => svc.build)) {
    throwLocated(diagnostics, loaded);
    const { buildAndPush, pinImages } = await import('../build/index.js');
    built = await buildAndPush(loaded.project, { ...options.build, diagnostics, workingDir: loaded.source.workingDir });
    pinImages(objects, built);
    options.onPhase?.('build');
  }
  if (options.resolveDigests) {
    throwLocated(diagnostics, loaded);
    const { resolveProjectDigests } = await import('../build/index.js');
    await resolveProjectDigests(objects, loaded.project, built, options.resolveDigests, diagnostics);
    options.onPhase?.('digests');
  }
  throwLocated(diagnostics, loaded);
  return compiled;
}

/**
 * Throws the errors so far, each with the file and line of its compose path. The warnings get theirs too: the
 * caller prints them before the errors and knows no source map.
 */
function throwLocated(diagnostics: Diagnostics, loaded: LoadedProject): void {
  const errors = diagnostics.errors;
  if (errors.length === 0) return;
  diagnostics.items.forEach((d, i) => (diagnostics.items[i] = locateIn(d, loaded)));
  throw new DiagnosticError(errors.map((d) => locateIn(d, loaded)));
}

/** A diagnostic with a compose path gets the file and line it came from. */
function locateIn(d: DiagnosticError['diagnostics'][number], loaded: LoadedProject) {
  if (d.line !== undefined || !d.path) return d;
  const at = loaded.locations.get(d.path);
  return at ? { ...d, file: d.file ?? at.file, line: at.line, column: at.column } : d;
}
