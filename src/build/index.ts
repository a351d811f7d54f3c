// The build stage: for every service with `build:`, hash its inputs into a content tag, and build (and push)
// only when that tag is not already there - in the registry when pushing, else in the local engine. Builds
// run in parallel; the first failure stops new builds, lets running ones finish and fails the whole stage
// (so no manifests are written). The result maps each service to the image reference manifests should use:
// `REPO@sha256:...` when pushed, else the local content tag.
import { availableParallelism } from 'node:os';
import type Dockerode from 'dockerode';
import { DiagnosticError, Diagnostics, error, type Diagnostic } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { CredentialStore, type AuthConfig } from './auth.js';
import { baseImages, contextTar } from './context.js';
import { connect, engineLost, engineUnreachable, isConnectionError, pingEngine, resolveEngine, type EngineEndpoint, type EngineInfo } from './engine.js';
import { BuildFailure, DEFAULT_PUSH_IDLE_MS, inspectImage, PushFailure, pushImage, runBuild, tagImage, type BuildParams } from './engine-ops.js';
import { imageContentTag, needsClassicBuilder, planBuilds, remoteInputDigest, resolvePlan, LABEL_INPUTS, type ResolvedPlan, type ServicePlan } from './plan.js';
import { createReporter, type ProgressMode, type ProgressReporter, type Sink } from './progress.js';
import { apiPathOf, parseReference, parseRegistryTarget, registryOf, repositoryOf, type RegistryTarget } from '../model/image-reference.js';
import { DEFAULT_REGISTRY_TIMEOUT_MS, RegistryClient, RegistryError, secondsFromEnv } from './registry.js';
import { REGISTRY_RETRY as DEFAULT_RETRY, runPool, withRetry, type RetryOptions } from '../model/async.js';

export { pinImages, type PinResult } from './pin.js';
export { pinDigests, pinnedReference, resolveProjectDigests, resolveTags, unpushedImages, type DigestOptions, type ProjectDigestChoices, type Resolution } from './digests.js';
export { contextIgnores, dockerignoreMatcher, packEntries, type ContextEntry } from './context.js';
export type { ProgressMode } from './progress.js';

export type BuilderKind = 'auto' | 'classic' | 'buildkit';

export interface BuildOptions {
  /** Only these services (default: every service with `build:`). */
  services?: string[];
  push?: boolean;
  /** `HOST[:PORT][/NAMESPACE]`: images are re-rooted under it. */
  registry?: string;
  /** Registries (host[:port]) that may be reached over plain HTTP (loopback ones always may). */
  insecureRegistries?: string[];
  /** Builds in flight at once (default: the number of CPUs). */
  parallel?: number;
  progress?: ProgressMode;
  /** `auto`: DOCKER_BUILDKIT if set, else the engine's default builder (Builder-Version from /_ping). */
  builder?: BuilderKind;
  env?: NodeJS.ProcessEnv;
  /** Warnings are added here. */
  diagnostics?: Diagnostics;
  signal?: AbortSignal;
  retry?: Partial<RetryOptions>;
  /** Where progress goes (default process.stderr). */
  progressStream?: Sink;
  /** Base for relative build contexts. */
  workingDir?: string;
  credentials?: CredentialStore;
  /** Warn (`build.local-only`) when images were built without --push (default true; convert warns per service instead). */
  warnLocalOnly?: boolean;
  /** Time limit of one registry API request (default: COMPOSE2K8S_REGISTRY_TIMEOUT seconds, else 30 s). */
  registryTimeoutMs?: number;
  /** A push the engine reports nothing about for this long is aborted and retried (default: COMPOSE2K8S_PUSH_IDLE_TIMEOUT seconds, else 120 s). */
  pushIdleMs?: number;
}

export interface BuiltImage {
  service: string;
  /** What manifests should use: `REPO@sha256:...` when pushed, else `REPO:c2k-...` (local only). */
  reference: string;
  /** The registry manifest digest, when the image is in the registry. */
  digest?: string;
  /** The image is in the registry (pushed now or found there). */
  pushed: boolean;
  /** Built by this run (false: the content tag already existed). */
  built: boolean;
  /** Pushed by this run. */
  uploaded: boolean;
  /** Local image ID, when the local engine was consulted. */
  imageId?: string;
  /** The content tag `c2k-...` and `REPO:c2k-...`. */
  tag: string;
  taggedRef: string;
  /** The image name the lowering gave the service's containers. */
  sourceImage: string;
}

/** Builds (and pushes) every selected service with `build:`. Throws DiagnosticError on any failure. */
export async function buildAndPush(project: Project, o: BuildOptions = {}): Promise<Map<string, BuiltImage>> {
  const env = o.env ?? process.env;
  const d = o.diagnostics ?? new Diagnostics();
  let registry: RegistryTarget | undefined;
  if (o.registry !== undefined) {
    registry = parseRegistryTarget(o.registry);
    if (!registry) throw error('build.invalid-registry', `invalid --registry "${o.registry}": expected HOST[:PORT][/NAMESPACE]`);
  }
  const planDiag = new Diagnostics();
  const plans = planBuilds(project, o.services, { registry, push: o.push }, planDiag);
  for (const item of planDiag.items) d.add(item);
  planDiag.throwIfErrors();
  const results = new Map<string, BuiltImage>();
  if (plans.length === 0) return results;

  const timeouts = {
    registryMs: o.registryTimeoutMs ?? secondsFromEnv(env, 'COMPOSE2K8S_REGISTRY_TIMEOUT') ?? DEFAULT_REGISTRY_TIMEOUT_MS,
    pushIdleMs: o.pushIdleMs ?? secondsFromEnv(env, 'COMPOSE2K8S_PUSH_IDLE_TIMEOUT') ?? DEFAULT_PUSH_IDLE_MS,
  };
  const out = o.progressStream ?? process.stderr;
  const reporter = createReporter(o.progress ?? 'auto', out, plans.map((p) => p.service));
  const credentials = o.credentials ?? CredentialStore.load(env);
  const retry = { ...DEFAULT_RETRY, ...o.retry };
  const ctx = new StageContext(env, credentials, o, reporter, retry, timeouts);

  const byName = new Map(plans.map((p) => [p.service, p]));
  let outcomes;
  try {
    outcomes = await runPool(
      plans.map((p) => p.service),
      o.parallel ?? availableParallelism(),
      (name) => buildOne(ctx, byName.get(name)!, o),
      { signal: o.signal, onCancel: (name) => reporter.phase(name, 'cancelled') },
    );
  } finally {
    reporter.close();
  }

  const errors: Diagnostic[] = [];
  const cancelled: string[] = [];
  for (const { service: name } of plans) {
    const r = outcomes.get(name)!;
    if (r.status === 'ok') results.set(name, r.value);
    else if (r.status === 'cancelled') cancelled.push(name);
    else errors.push(...toDiagnostics(r.error, byName.get(name)!));
  }
  if (o.signal?.aborted) {
    const unfinished = plans.map((p) => p.service).filter((s) => !results.has(s));
    throw new DiagnosticError([
      { severity: 'error', code: 'build.cancelled', message: `interrupted; not finished: ${unfinished.join(', ')} (the engine cancels a build or push when its connection closes)` },
      ...finishedNote(results),
    ]);
  }
  if (errors.length > 0) {
    // One unreachable (or lost) engine or registry is reported once, naming the services it stopped.
    const unique: Diagnostic[] = [];
    const global = new Map<string, { d: Diagnostic; services: string[] }>();
    for (const e of errors) {
      if (GLOBAL_CODES.has(e.code)) {
        const k = e.code + e.message;
        const service = e.path?.replace(/^services\.([^.]+)\..*$/, '$1') ?? '';
        const g = global.get(k);
        if (g) g.services.push(service);
        else {
          const g2 = { d: { ...e }, services: [service] };
          global.set(k, g2);
          unique.push(g2.d);
        }
      } else if (!unique.some((u) => u.path === e.path && u.message === e.message)) unique.push(e);
    }
    for (const { d, services } of global.values()) {
      if (services.length > 1) {
        d.message += ` (services ${services.join(', ')})`;
        delete d.path;
      }
    }
    if (cancelled.length > 0) {
      // An engine or registry that is gone stops everything: say so in its one message.
      if (unique.every((e) => GLOBAL_CODES.has(e.code))) unique[0]!.message += `; not started: ${cancelled.join(', ')}`;
      else unique.push({ severity: 'error', code: 'build.cancelled', message: `not started because of the failure above: ${cancelled.join(', ')}` });
    }
    throw new DiagnosticError([...unique, ...finishedNote(results)]);
  }
  if (cancelled.length > 0) throw error('build.cancelled', `cancelled before building: ${cancelled.join(', ')}`);
  if (!o.push && o.warnLocalOnly !== false) {
    const refs = [...results.values()].map((r) => r.reference);
    d.warn(
      'build.local-only',
      `images were built into the local engine only (${refs.join(', ')}); the cluster must be able to see them (a cluster that shares this Docker engine, or a load such as \`kind load docker-image\`), otherwise pass --push --registry`,
    );
  }
  return results;
}

/** Failures that are about the engine or the registry as a whole, not one service. */
const GLOBAL_CODES = new Set(['build.engine-unreachable', 'build.engine-lost', 'build.registry-unreachable']);

/** After a failure: what did finish, so the user knows the rerun will not redo it. */
function finishedNote(results: Map<string, BuiltImage>): Diagnostic[] {
  const done = [...results.values()].filter((r) => r.built || r.uploaded);
  if (done.length === 0) return [];
  const what = done.map((r) => `${r.service} (${[r.built ? 'built' : '', r.uploaded ? `pushed ${r.reference}` : ''].filter(Boolean).join(', ')})`);
  return [{ severity: 'info', code: 'build.finished', message: `finished before the failure, a rerun reuses them: ${what.join('; ')}` }];
}

function toDiagnostics(e: unknown, p: ServicePlan): Diagnostic[] {
  if (e instanceof DiagnosticError) return e.diagnostics.map((x) => ({ ...x, path: x.path ?? p.path }));
  if (e instanceof BuildFailure) {
    const where = e.step ? ` at ${e.step}` : '';
    const tail = e.lastLines.length > 0 ? `\n  last output:\n${e.lastLines.map((l) => `    | ${l}`).join('\n')}` : '';
    return [{ severity: 'error', code: 'build.failed', path: p.path, message: `${p.service}: build failed${where}: ${e.message}${tail}` }];
  }
  if (e instanceof PushFailure) return [{ severity: 'error', code: 'build.push-failed', path: p.path, message: `${p.service}: ${e.message}` }];
  if (e instanceof RegistryError) return [{ severity: 'error', code: 'build.registry', path: p.path, message: `${p.service}: ${e.message}` }];
  return [{ severity: 'error', code: 'build.error', path: p.path, message: `${p.service}: ${(e as Error)?.message ?? String(e)}` }];
}

/** Shared, lazily created state of one run: the engine connection and registry clients. */
class StageContext {
  private engineP: Promise<{ docker: Dockerode; info: EngineInfo; ep: EngineEndpoint }> | undefined;
  private readonly registries = new Map<string, RegistryClient>();
  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly credentials: CredentialStore,
    readonly o: BuildOptions,
    readonly reporter: ProgressReporter,
    readonly retry: typeof DEFAULT_RETRY & Partial<RetryOptions>,
    readonly timeouts: { registryMs: number; pushIdleMs: number },
  ) {}

  engine() {
    this.engineP ??= (async () => {
      const ep = resolveEngine(this.env);
      const docker = await connect(ep);
      const info = await pingEngine(docker, ep);
      return { docker, info, ep };
    })();
    return this.engineP;
  }

  registry(host: string): RegistryClient {
    let c = this.registries.get(host);
    if (!c) {
      c = new RegistryClient(host, {
        credentials: this.credentials,
        insecure: this.o.insecureRegistries,
        retry: this.retry,
        timeoutMs: this.timeouts.registryMs,
        signal: this.o.signal,
      });
      this.registries.set(host, c);
    }
    return c;
  }

  private bridgeP: Promise<boolean> | undefined;

  /** Whether the engine has the default `bridge` network (BuildKit RUN steps need it unless build.network is set). */
  hasBridge(docker: Dockerode): Promise<boolean> {
    this.bridgeP ??= docker
      .getNetwork('bridge')
      .inspect()
      .then(
        () => true,
        (e: { statusCode?: number }) => e.statusCode !== 404,
      );
    return this.bridgeP;
  }

  /**
   * Which builder: --builder, else DOCKER_BUILDKIT, else the engine's default if it announces BuildKit, else
   * BuildKit when the engine has it (API >= 1.39, Linux) unless the classic builder is needed: for
   * base images that need registry credentials (BuildKit would ask for them over a session we do not open;
   * the classic builder takes them in X-Registry-Config) or when RUN steps would need a `bridge` network the
   * engine does not have.
   */
  async builderVersion(docker: Dockerode, info: EngineInfo, p: ServicePlan, needsPullAuth: boolean): Promise<'1' | '2'> {
    const kind = this.o.builder ?? 'auto';
    const env = this.env.DOCKER_BUILDKIT;
    const chosen = kind !== 'auto' ? kind : env !== undefined && env !== '' ? (env === '0' || env.toLowerCase() === 'false' ? 'classic' : 'buildkit') : undefined;
    if (needsClassicBuilder(p)) {
      if (chosen === 'buildkit') {
        const why = kind === 'buildkit' ? '--builder buildkit' : `DOCKER_BUILDKIT=${env}`;
        throw error('build.remote-context', `${p.service}: the git context ${p.remote} is fetched over SSH, which BuildKit does only with your SSH agent forwarded over a client session, which compose2k8s does not open; the classic builder clones it with the SSH keys of the engine's host: drop ${why}, or clone the repository and point build.context at the directory`);
      }
      return '1';
    }
    if (chosen === 'classic') return '1';
    if (chosen === 'buildkit') return '2';
    if (info.builderVersion === '2' && !needsPullAuth) return '2';
    if (info.builderVersion === '1') return '1';
    const [major, minor] = info.apiVersion.split('.').map(Number) as [number, number];
    if (major < 1 || (major === 1 && minor < 39) || (info.osType && info.osType !== 'linux')) return '1';
    if (needsPullAuth) return '1';
    if (!p.build.network && !(await this.hasBridge(docker))) return '1';
    return '2';
  }
}

/** Engine calls of one service: a closed connection is the engine going away (or never being there), Ctrl-C an interruption. */
function engineGuard(o: BuildOptions, ep: EngineEndpoint, service: string) {
  return async <T>(doing: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (o.signal?.aborted) throw error('build.cancelled', `${service}: interrupted`);
      if (isConnectionError(e)) throw engineLost(ep, e, doing);
      throw e;
    }
  };
}

async function buildOne(ctx: StageContext, plan: ServicePlan, o: BuildOptions): Promise<BuiltImage> {
  if (plan.remote !== undefined) return buildRemote(ctx, plan, plan.remote, o);
  const r = ctx.reporter;
  r.phase(plan.service, 'hashing');
  const p = await resolvePlan(plan, o.workingDir);
  const repo = repositoryOf(p.repository);
  const base = { service: p.service, tag: p.tag, taggedRef: p.taggedRef, sourceImage: p.sourceImage };

  if (o.push) {
    const digest = await registryDigest(ctx, o, p);
    if (digest) {
      r.phase(p.service, 'cached', `${p.taggedRef} is already in the registry`);
      return { ...base, reference: `${repo}@${digest}`, digest, pushed: true, built: false, uploaded: false };
    }
  }

  const { docker, info, ep } = await ctx.engine();
  const guard = engineGuard(o, ep, p.service);
  let imageId: string;
  let built = false;
  const local = await guard(`looking up ${p.taggedRef}`, () => inspectImage(docker, p.taggedRef));
  if (local) {
    imageId = local.id;
    for (const t of p.extraTags) if (!local.repoTags.includes(t)) await guard(`tagging ${t}`, () => tagImage(docker, imageId, t));
    if (!o.push) r.phase(p.service, 'cached', `${p.taggedRef} exists locally`);
  } else {
    r.phase(p.service, 'building', p.taggedRef);
    const registryConfig = await pullCredentials(ctx.credentials, p);
    const version = await guard('asking for its networks', () => ctx.builderVersion(docker, info, p, Object.keys(registryConfig).length > 0));
    const query = buildQuery(p, { tags: [p.taggedRef, ...p.extraTags], dockerfile: p.context.dockerfileName, inputs: p.inputs }, version);
    imageId = await runServiceBuild(ctx, guard, p.service, `building ${p.service} (${p.taggedRef})`, { tar: await contextTar(p.context), query, registryConfig, signal: o.signal });
    built = true;
    if (!o.push) r.phase(p.service, 'done', `${p.taggedRef} (${imageId.slice(7, 19)})`);
  }
  if (!o.push) return { ...base, reference: p.taggedRef, pushed: false, built, uploaded: false, imageId };
  const { reference, digest } = await pushBuilt(ctx, o, guard, p);
  return { ...base, reference, digest, pushed: true, built, uploaded: true, imageId };
}

/** The digest of `tag` in the registry, if it is there. */
async function registryDigest(ctx: StageContext, o: BuildOptions, p: Pick<ServicePlan, 'service' | 'repository'> & { tag: string; taggedRef: string }): Promise<string | undefined> {
  try {
    return await ctx.registry(registryOf(p.repository)).manifestDigest(apiPathOf(p.repository), p.tag, (line) => ctx.reporter.note(p.service, line));
  } catch (e) {
    if (o.signal?.aborted) throw error('build.cancelled', `${p.service}: interrupted`);
    // An unreachable registry is reported once for every service (see GLOBAL_CODES); an error answer is per image.
    if (e instanceof RegistryError) throw new RegistryError(`cannot check whether ${p.taggedRef} is in the registry: ${e.message}`, e.status, e.transient);
    throw e;
  }
}

/** Runs one build with progress; resolves with the image ID. */
async function runServiceBuild(ctx: StageContext, guard: ReturnType<typeof engineGuard>, service: string, doing: string, params: BuildParams): Promise<string> {
  const { docker, ep } = await ctx.engine();
  const r = ctx.reporter;
  return guard(doing, async () => {
    try {
      return await runBuild(docker, params, { step: (n, of, text) => r.step(service, n, of, text), output: (line) => r.output(service, line) });
    } catch (e) {
      // A step killed by a signal (137 KILL, 143 TERM) is what a stopping daemon does to a classic build's
      // RUN container before it goes: if the engine no longer answers, that is what happened.
      if (e instanceof BuildFailure && KILLED_STEP.test(e.message)) {
        const gone = await engineGone(docker);
        if (gone) throw engineLost(ep, gone, `${doing}, whose step was killed (${KILLED_STEP.exec(e.message)![1]})`);
        throw new BuildFailure(`${e.message} (the step was killed: out of memory, or the Docker daemon stopping)`, e.step, e.lastLines);
      }
      throw e;
    }
  });
}

/**
 * A build from a remote context: the engine fetches the git repository or URL itself (`remote=`), so nothing is
 * hashed first and the build always runs (the engine's cache makes an unchanged one quick). The content tag
 * comes from the image ID; with --push, a tag already in the registry is not pushed again.
 */
async function buildRemote(ctx: StageContext, p: ServicePlan, remote: string, o: BuildOptions): Promise<BuiltImage> {
  const r = ctx.reporter;
  const repo = repositoryOf(p.repository);
  const { docker, info, ep } = await ctx.engine();
  const guard = engineGuard(o, ep, p.service);
  r.phase(p.service, 'building', remote);
  const version = await guard('asking for its networks', () => ctx.builderVersion(docker, info, p, false));
  const query = buildQuery(p, { tags: p.extraTags, dockerfile: p.build.dockerfile ?? 'Dockerfile', inputs: remoteInputDigest({ ...p, remote }), remote }, version);
  let imageId: string;
  try {
    imageId = await runServiceBuild(ctx, guard, p.service, `building ${p.service} from ${remote}`, { query, signal: o.signal });
  } catch (e) {
    throw remoteFailure(p.service, remote, e);
  }
  const tag = imageContentTag(imageId);
  const taggedRef = `${repo}:${tag}`;
  await guard(`tagging ${taggedRef}`, () => tagImage(docker, imageId, taggedRef));
  const base = { service: p.service, tag, taggedRef, sourceImage: p.sourceImage, imageId, built: true };
  if (!o.push) {
    r.phase(p.service, 'done', `${taggedRef} (${imageId.slice(7, 19)})`);
    return { ...base, reference: taggedRef, pushed: false, uploaded: false };
  }
  const target = { service: p.service, repository: p.repository, tag, taggedRef };
  const existing = await registryDigest(ctx, o, target);
  if (existing) {
    r.phase(p.service, 'cached', `${taggedRef} is already in the registry`);
    return { ...base, reference: `${repo}@${existing}`, digest: existing, pushed: true, uploaded: false };
  }
  const { reference, digest } = await pushBuilt(ctx, o, guard, target);
  return { ...base, reference, digest, pushed: true, uploaded: true };
}

/**
 * A remote build that failed before any Dockerfile step ran failed on the context: the engine could not fetch
 * it (unreachable host, unknown ref, a URL form it does not take) or find the Dockerfile in it.
 */
function remoteFailure(service: string, remote: string, e: unknown): unknown {
  if (e instanceof BuildFailure && e.step?.startsWith('step ')) return e;
  let message: string;
  if (e instanceof BuildFailure) message = e.message;
  else if (typeof (e as { statusCode?: unknown })?.statusCode === 'number') {
    const json = (e as { json?: { message?: string } }).json;
    message = json?.message ?? (e as Error).message.replace(/^\(HTTP code \d+\) [\w ]+ - /, '');
  } else return e;
  // git's multi-line complaints, quoted by the engine, read better on one line; a web server's error page does not help.
  const oneLine = message
    .replace(/:?\s*<(!DOCTYPE|html)[\s\S]*$/i, '')
    .split(/\s*\n\s*/)
    .filter(Boolean)
    .join(' ')
    .replace(/ : /g, ': ')
    .trim();
  return error('build.remote-context', `${service}: the Docker engine could not fetch or read the remote build context ${remote}: ${oneLine}`);
}

/** Pushes `taggedRef` with retries; resolves with the pinned reference `REPO@sha256:...`. */
async function pushBuilt(
  ctx: StageContext,
  o: BuildOptions,
  guard: ReturnType<typeof engineGuard>,
  p: Pick<ServicePlan, 'service' | 'repository'> & { tag: string; taggedRef: string },
): Promise<{ reference: string; digest: string }> {
  const r = ctx.reporter;
  const { docker } = await ctx.engine();
  const repo = repositoryOf(p.repository);
  const host = registryOf(p.repository);
  r.phase(p.service, 'pushing', p.taggedRef);
  const auth = await ctx.credentials.get(host);
  let attempts = 0;
  const digest = await withRetry(
    async () => {
      attempts++;
      return guard(`pushing ${p.taggedRef}`, () =>
        pushImage(docker, repo, p.tag, auth, { bytes: (c, t) => r.pushBytes(p.service, c, t), note: (text) => r.note(p.service, text) }, o.signal, ctx.timeouts.pushIdleMs),
      );
    },
    {
      ...ctx.retry,
      // A failure the engine already retried for ~50 s (layer uploads) is not pushed again: that is docker
      // push's own patience; the ones it does not retry (its /v2/ check, the manifest, 429) are.
      isTransient: (e) => e instanceof PushFailure && e.transient && !e.engineRetried,
      onRetry: (e, attempt, delay) => r.note(p.service, `push failed (${(e as Error).message}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1}/${ctx.retry.attempts})`),
      signal: o.signal,
    },
  ).catch((e: unknown) => {
    if (o.signal?.aborted) throw error('build.cancelled', `${p.service}: interrupted`);
    if (e instanceof PushFailure) {
      const tries = e.engineRetried
        ? `the engine retried the upload itself${attempts > 1 ? `, and the push was tried ${attempts} times` : ''}`
        : `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
      const why = e.transient ? `; ${tries} - is the registry ${host} running and reachable from the Docker engine?` : '';
      throw new PushFailure(`pushing ${p.taggedRef} failed: ${e.message}${why}`, e.transient, e.engineRetried);
    }
    throw e;
  });
  r.phase(p.service, 'done', `${repo}@${digest}`);
  return { reference: `${repo}@${digest}`, digest };
}

const KILLED_STEP = /returned a non-zero code: (137|143)\b/;

/**
 * Whether the engine is going away: pinged three times over ~2 s (a stopping dockerd kills the containers it
 * waited for, then exits within a second). The connection error if it stopped answering, else undefined.
 */
async function engineGone(docker: Dockerode): Promise<Error | undefined> {
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((res) => setTimeout(res, 1000));
    try {
      await docker.ping({ abortSignal: AbortSignal.timeout(3000) } as never);
    } catch (e) {
      if (isConnectionError(e)) return e as Error;
      if ((e as Error).name === 'AbortError' || (e as Error).name === 'TimeoutError') return Object.assign(new Error('no answer to a ping within 3 s'), { code: 'ETIMEDOUT' });
    }
  }
  return undefined;
}

/**
 * Query parameters of POST /build for one service: `tags` to give the image, the Dockerfile's name in the
 * context, the input digest for the inputs label, and `remote` when the engine fetches the context itself.
 */
export function buildQuery(
  p: Pick<ServicePlan, 'build' | 'args' | 'labels' | 'platform'>,
  x: { tags: string[]; dockerfile: string; inputs: string; remote?: string },
  version: '1' | '2',
): Record<string, unknown> {
  const b = p.build;
  const q: Record<string, unknown> = {
    t: x.tags,
    dockerfile: x.dockerfile,
    labels: { ...p.labels, [LABEL_INPUTS]: x.inputs },
    rm: true,
    forcerm: true,
    version,
  };
  if (x.remote !== undefined) q.remote = x.remote;
  if (Object.keys(p.args).length > 0) q.buildargs = p.args;
  if (b.target) q.target = b.target;
  if (b.cache_from && b.cache_from.length > 0) q.cachefrom = JSON.stringify(b.cache_from);
  if (b.network) q.networkmode = b.network;
  if (b.extra_hosts) {
    const hosts: string[] = [];
    for (const [h, ips] of Object.entries(b.extra_hosts)) for (const ip of ips) hosts.push(`${h}:${ip}`);
    if (hosts.length > 0) q.extrahosts = hosts;
  }
  if (b.shm_size !== undefined) q.shmsize = b.shm_size;
  if (b.no_cache) q.nocache = true;
  if (b.pull) q.pull = true;
  if (p.platform) q.platform = p.platform;
  if (b.isolation) q.isolation = b.isolation;
  if (b.ulimits) {
    q.ulimits = JSON.stringify(
      Object.entries(b.ulimits).map(([name, u]) => ({ Name: name, Soft: u.soft ?? u.single ?? 0, Hard: u.hard ?? u.single ?? 0 })),
    );
  }
  return q;
}

/** X-Registry-Config for the classic builder: credentials for the registries of FROM and cache_from images. */
async function pullCredentials(store: CredentialStore, p: ResolvedPlan): Promise<Record<string, AuthConfig>> {
  const hosts = new Set<string>();
  for (const img of [...baseImages(p.context.dockerfileContent, p.args), ...(p.build.cache_from ?? [])]) {
    const r = parseReference(img);
    if (r) hosts.add(registryOf(r));
  }
  const out: Record<string, AuthConfig> = {};
  for (const h of hosts) {
    const a = await store.get(h);
    if (a) out[h === 'docker.io' ? 'https://index.docker.io/v1/' : h] = a;
  }
  return out;
}
export { checkImageUsers, classifyUser, type ImageUserCheck, type ImageUserProblem } from './image-user.js';
