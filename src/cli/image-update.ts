// `update` (re-resolve the tags the deployed workloads follow, roll exactly those whose digest moved), `rollback`
// (put back the images recorded on the ApplySet parent), and pruning superseded built images after a rollout (`up`,
// `update`). The registry side comes from build/ (digests.ts, prune.ts), the cluster side from deploy/ (images.ts).
import type { Cluster, ImageChange, ImageMap } from '../deploy/index.js';
import { DiagnosticError, Diagnostics } from '../model/diagnostics.js';
import { sleep } from '../model/async.js';
import { parseReference } from '../model/image-reference.js';
import { LABEL, refKey, refOf, trackedTags, type KubeObject, type ObjectRef } from '../model/kube.js';
import type { Project } from '../model/project.js';
import type { Resolution } from '../build/digests.js';
import { durationFlag, lockOptionsOf, logLine, namespaceOf, projectOf, withCluster, type DeployDeps, type DeployFlags } from './deploy-common.js';
import { UsageError } from './exit.js';

export interface UpdateFlags extends DeployFlags {
  every?: string;
  keepImages?: number;
  pruneImages?: boolean;
  registry?: string;
  insecureRegistry?: string[];
}

/** Does this workload run this service? Its component label, its name, or one of its containers' names. */
function runs(w: KubeObject, service: string, containers: ImageMap): boolean {
  return w.metadata.labels?.[LABEL.component] === service || w.metadata.name === service || containers[service] !== undefined;
}

/** The workloads of the named services (all without names), and the names no workload runs. */
export function selectWorkloads(workloads: readonly KubeObject[], services: readonly string[], imagesOf: (o: KubeObject) => ImageMap): { selected: KubeObject[]; unknown: string[] } {
  if (services.length === 0) return { selected: [...workloads], unknown: [] };
  const selected = workloads.filter((w) => services.some((s) => runs(w, s, imagesOf(w))));
  const unknown = services.filter((s) => !workloads.some((w) => runs(w, s, imagesOf(w))));
  return { selected, unknown };
}

export interface Move {
  workload: KubeObject;
  ref: ObjectRef;
  container: string;
  /** The reference the workload follows, as the project names it. */
  tag: string;
  from: string;
  to: string;
}

/**
 * The tags each selected workload follows (IMAGE_TAGS_ANNOTATION), for containers it still has. Not Jobs: their pod
 * template cannot change (a Job runs the current digest when it is recreated).
 */
export function followedTags(workloads: readonly KubeObject[], imagesOf: (o: KubeObject) => ImageMap): { workload: KubeObject; container: string; tag: string; image: string }[] {
  const out = [];
  for (const w of workloads) {
    if (w.kind === 'Job') continue;
    const images = imagesOf(w);
    for (const [container, tag] of Object.entries(trackedTags(w))) {
      const image = images[container];
      if (image !== undefined) out.push({ workload: w, container, tag, image });
    }
  }
  return out;
}

/** What would roll: the containers whose tag points to another digest than the one deployed (or that run by tag). */
export function planMoves(
  followed: ReturnType<typeof followedTags>,
  resolved: ReadonlyMap<string, Resolution>,
  pin: (ref: string, digest: string) => string,
): Move[] {
  const out: Move[] = [];
  for (const f of followed) {
    const r = resolved.get(f.tag);
    if (!r?.ok) continue;
    const to = pin(f.tag, r.digest);
    if (to !== f.image) out.push({ workload: f.workload, ref: refOf(f.workload), container: f.container, tag: f.tag, from: f.image, to });
  }
  return out;
}

/** The first 12 hex digits of a reference's digest; `unpinned` for one without. */
export function shortDigest(image: string): string {
  const digest = parseReference(image)?.digest;
  return digest ? digest.replace(/^[^:]+:/, '').slice(0, 12) : 'unpinned';
}

/** One line per workload: `deployment.apps/web: web 1a2b3c4d5e6f -> 7a8b9c0d1e2f (nginx:1.27)`. */
export function formatMoves(moves: readonly Pick<Move, 'ref' | 'container' | 'tag' | 'from' | 'to'>[], kubectlName: (r: ObjectRef) => string, suffix = ''): string {
  const byWorkload = new Map<string, { ref: ObjectRef; parts: string[] }>();
  for (const m of moves) {
    const key = refKey(m.ref);
    const e = byWorkload.get(key) ?? { ref: m.ref, parts: [] };
    e.parts.push(`${m.container} ${shortDigest(m.from)} -> ${shortDigest(m.to)} (${m.tag})`);
    byWorkload.set(key, e);
  }
  return [...byWorkload.values()].map((e) => `${kubectlName(e.ref)}: ${e.parts.join('; ')}${suffix}\n`).join('');
}

/** The changes to send: per workload, container -> new image. */
function changesOf(moves: readonly Move[]): ImageChange[] {
  const byWorkload = new Map<string, ImageChange>();
  for (const m of moves) {
    const key = refKey(m.ref);
    const c = byWorkload.get(key) ?? { ref: m.ref, images: {} };
    c.images[m.container] = m.to;
    byWorkload.set(key, c);
  }
  return [...byWorkload.values()];
}

/** Resolution failures, one line per registry that did not answer and per image, naming the workloads. */
export function formatResolutionErrors(followed: ReturnType<typeof followedTags>, resolved: ReadonlyMap<string, Resolution>, kubectlName: (r: ObjectRef) => string): string[] {
  const lines = new Map<string, Set<string>>();
  for (const f of followed) {
    const r = resolved.get(f.tag);
    if (!r || r.ok) continue;
    const key = r.kind === 'unreachable' || r.kind === 'unavailable' ? r.message : `cannot resolve ${f.tag}: ${r.message}`;
    const set = lines.get(key) ?? new Set<string>();
    set.add(r.kind === 'unreachable' || r.kind === 'unavailable' ? `${kubectlName(refOf(f.workload))} (${f.tag})` : kubectlName(refOf(f.workload)));
    lines.set(key, set);
  }
  return [...lines].map(([message, workloads]) => `${message} (${[...workloads].join(', ')})`);
}

type Outcome = 'ok' | 'registry-error' | 'failed';

interface RunContext {
  cluster: Cluster;
  namespace: string;
  projectName: string;
  project?: Project;
  workingDir?: string;
  services: string[];
  flags: UpdateFlags;
  signal: AbortSignal;
  timeoutMs: number;
}

/** One round of `update`. Registry errors are reported and change nothing. */
async function updateOnce(c: RunContext): Promise<Outcome> {
  const { deployedWorkloads, imagesOf, setImages, kubectlName } = await import('../deploy/index.js');
  const { pinnedReference, resolveTags } = await import('../build/digests.js');
  const deployed = await deployedWorkloads(c.cluster, c.namespace, c.projectName);
  if (!deployed.live) {
    process.stderr.write(`error: project ${c.projectName} is not deployed in namespace ${c.namespace} (deploy it with \`compose2k8s up\`)\n`);
    return 'failed';
  }
  const { selected, unknown } = selectWorkloads(deployed.workloads, c.services, imagesOf);
  if (unknown.length > 0) {
    process.stderr.write(`error: no workload of project ${c.projectName} in namespace ${c.namespace} runs ${unknown.join(', ')}\n`);
    return 'failed';
  }
  const followed = followedTags(selected, imagesOf);
  if (followed.length === 0) {
    logLine(`nothing to update: no workload of project ${c.projectName} follows an image tag (images built by compose2k8s are pinned to their content)`);
    return 'ok';
  }
  const resolved = await resolveTags(
    followed.map((f) => f.tag),
    { insecureRegistries: c.flags.insecureRegistry, signal: c.signal, log: logLine },
  );
  const errors = formatResolutionErrors(followed, resolved, kubectlName);
  if (errors.length > 0) {
    for (const e of errors) process.stderr.write(`error: ${e}\n`);
    logLine('nothing was changed');
    return 'registry-error';
  }
  const moves = planMoves(followed, resolved, pinnedReference);
  if (moves.length === 0) {
    logLine(`no image moved: the ${new Set(followed.map((f) => f.tag)).size} tag(s) followed by ${new Set(followed.map((f) => refKey(refOf(f.workload)))).size} workload(s) still point to the deployed digests`);
    return 'ok';
  }
  if (c.flags.dryRun) {
    process.stdout.write(formatMoves(moves, kubectlName, ' (dry run)'));
    return 'ok';
  }
  const lock = await lockOptionsOf(c.flags, 'update');
  const result = await setImages(changesOf(moves), {
    cluster: c.cluster,
    namespace: c.namespace,
    projectName: c.projectName,
    fieldManager: c.flags.fieldManager,
    forceConflicts: c.flags.forceConflicts,
    lock,
    log: logLine,
  });
  const rolled = result.results.filter((r) => r.outcome === 'configured');
  const rolledKeys = new Set(rolled.map((r) => refKey(r.ref)));
  process.stdout.write(formatMoves(moves.filter((m) => rolledKeys.has(refKey(m.ref))), kubectlName));
  for (const r of result.results) if (r.outcome === 'failed') process.stderr.write(`${kubectlName(r.ref)} not updated: ${r.message}\n`);
  const waited = await waitRolled(c, rolled.map((r) => r.live!).filter(Boolean));
  if (!result.ok || !waited) return 'failed';
  if (rolled.length > 0) await pruneAfterRollout({ ...c, pushed: false });
  return 'ok';
}

/** Waits like `up` for the workloads that changed; false when one did not become ready. */
async function waitRolled(c: Pick<RunContext, 'cluster' | 'namespace' | 'flags' | 'signal' | 'timeoutMs'>, objects: KubeObject[]): Promise<boolean> {
  if (c.flags.wait === false || objects.length === 0) return true;
  const { waitFor, formatWait } = await import('../deploy/index.js');
  logLine(`waiting up to ${c.flags.timeout} for ${objects.length} workload(s) to roll out`);
  const waited = await waitFor(objects, { cluster: c.cluster, namespace: c.namespace, timeoutMs: c.timeoutMs, log: logLine, progressEveryMs: 10_000, signal: c.signal });
  const out = formatWait(waited, c.flags.timeout);
  if (waited.ok) process.stdout.write(out);
  else process.stderr.write(out);
  return waited.ok;
}

/** Ctrl-C/TERM: aborts registry requests and waits; `duringWork` tells whether work was cut short (or a pause). */
function stopSignal() {
  const abort = new AbortController();
  let received: NodeJS.Signals | undefined;
  let duringWork = false;
  const state = { busy: false };
  const on = (signal: NodeJS.Signals) => {
    received = signal;
    duringWork = state.busy;
    abort.abort();
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return {
    signal: abort.signal,
    get received() {
      return received;
    },
    get duringWork() {
      return duringWork;
    },
    state,
    dispose() {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/** The pause before the next round: the interval with ±10% jitter, doubled per consecutive registry error (up to 10 min, or the interval if longer). */
export function nextDelay(everyMs: number, registryErrors: number, random: () => number = Math.random): number {
  const cap = Math.max(everyMs, 10 * 60_000);
  const base = Math.min(cap, everyMs * 2 ** Math.min(registryErrors, 16));
  return Math.round(base * (0.9 + random() * 0.2));
}

export async function updateCommand(services: string[], flags: UpdateFlags, deps: DeployDeps): Promise<void> {
  const timeoutMs = await durationFlag('--timeout', flags.timeout);
  const everyMs = flags.every !== undefined ? await durationFlag('--every', flags.every) : undefined;
  if (everyMs !== undefined && everyMs < 1000) throw new UsageError(`--every must be at least 1s, not ${flags.every}`);
  const converted = await projectOf(flags, deps, 'update');
  const stop = stopSignal();
  try {
    await withCluster(flags, async (cluster) => {
      const ctx: RunContext = {
        cluster,
        namespace: namespaceOf(flags, converted, cluster.config?.contextNamespace),
        projectName: converted.projectName,
        project: converted.project,
        workingDir: converted.workingDir,
        services,
        flags,
        signal: stop.signal,
        timeoutMs,
      };
      if (everyMs === undefined) {
        stop.state.busy = true;
        const outcome = await updateOnce(ctx).catch((e: unknown) => interrupted(stop.received, e));
        if (stop.received) interrupted(stop.received, undefined);
        if (outcome !== 'ok') process.exitCode = 1;
        return;
      }
      logLine(`checking the image tags of project ${ctx.projectName} every ${flags.every} (Ctrl-C stops)`);
      let registryErrors = 0;
      for (;;) {
        stop.state.busy = true;
        const outcome = await updateOnce(ctx).catch((e: unknown) => {
          if (stop.received) return interrupted(stop.received, e);
          // An API server that failed beyond its retries: reported, and the next round tries again.
          process.stderr.write(`error: ${(e as Error).message}\n`);
          return 'failed' as const;
        });
        stop.state.busy = false;
        // Cut short in the middle of a check or a rollout: an interrupted command; between two checks: just stopped.
        if (stop.received && stop.duringWork) interrupted(stop.received, undefined);
        if (stop.received) break;
        registryErrors = outcome === 'registry-error' ? registryErrors + 1 : 0;
        const delay = nextDelay(everyMs, registryErrors);
        if (registryErrors > 0) logLine(`registry error ${registryErrors} in a row: next check in ${(delay / 1000).toFixed(0)}s; the deployment keeps running what it runs`);
        await sleep(delay, stop.signal);
        if (stop.received) break;
      }
      logLine(`stopped (${stop.received})`);
    });
  } finally {
    stop.dispose();
  }
}

/** Work cut short by Ctrl-C/TERM: said, and the exit code of an interrupted command. */
function interrupted(signal: NodeJS.Signals | undefined, e: unknown): never {
  if (!signal) throw e;
  process.stderr.write(`error: interrupted (${signal}); nothing more was changed\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

export async function rollbackCommand(services: string[], flags: UpdateFlags, deps: DeployDeps): Promise<void> {
  const timeoutMs = await durationFlag('--timeout', flags.timeout);
  const converted = await projectOf(flags, deps, 'rollback');
  const stop = stopSignal();
  try {
    await withCluster(flags, async (cluster) => {
      const { deployedWorkloads, imagesOf, setImages, kubectlName } = await import('../deploy/index.js');
      const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
      const deployed = await deployedWorkloads(cluster, namespace, converted.projectName);
      if (!deployed.live) {
        process.stderr.write(`error: project ${converted.projectName} is not deployed in namespace ${namespace}\n`);
        process.exitCode = 1;
        return;
      }
      const { selected, unknown } = selectWorkloads(deployed.workloads, services, imagesOf);
      if (unknown.length > 0) {
        process.stderr.write(`error: no workload of project ${converted.projectName} in namespace ${namespace} runs ${unknown.join(', ')}\n`);
        process.exitCode = 1;
        return;
      }
      const moves: Move[] = [];
      for (const w of selected) {
        const previous = deployed.history[refKey(refOf(w))] ?? {};
        const images = imagesOf(w);
        for (const [container, image] of Object.entries(previous)) {
          if (images[container] === undefined || images[container] === image) continue;
          moves.push({ workload: w, ref: refOf(w), container, tag: tagOf(trackedTags(w)[container] ?? image), from: images[container]!, to: image });
        }
      }
      if (moves.length === 0) {
        process.stderr.write(`error: nothing to roll back: no previous images are recorded for ${services.length ? services.join(', ') : `project ${converted.projectName}`} in namespace ${namespace} (they are recorded when up, apply or update change a workload's images)\n`);
        process.exitCode = 1;
        return;
      }
      if (flags.dryRun) {
        process.stdout.write(formatMoves(moves, kubectlName, ' (dry run)'));
        return;
      }
      const result = await setImages(changesOf(moves), {
        cluster,
        namespace,
        projectName: converted.projectName,
        fieldManager: flags.fieldManager,
        forceConflicts: flags.forceConflicts,
        lock: await lockOptionsOf(flags, 'rollback'),
        log: logLine,
      });
      const rolled = result.results.filter((r) => r.outcome === 'configured');
      const rolledKeys = new Set(rolled.map((r) => refKey(r.ref)));
      process.stdout.write(formatMoves(moves.filter((m) => rolledKeys.has(refKey(m.ref))), kubectlName));
      for (const r of result.results) if (r.outcome === 'failed') process.stderr.write(`${kubectlName(r.ref)} not rolled back: ${r.message}\n`);
      const waited = await waitRolled({ cluster, namespace, flags, signal: stop.signal, timeoutMs }, rolled.map((r) => r.live!).filter(Boolean)).catch((e: unknown) =>
        interrupted(stop.received, e),
      );
      if (!result.ok || !waited) process.exitCode = 1;
    });
  } finally {
    stop.dispose();
  }
}

/** The tag part to show for an image (`nginx:1.27` of `nginx:1.27@sha256:…`); the reference itself without one. */
function tagOf(image: string): string {
  const p = parseReference(image);
  return p?.tag ? image.replace(/@.*$/, '') : image;
}

/**
 * After a successful rollout: delete the superseded images compose2k8s built for the project, locally and (when
 * they were pushed) in the registry, keeping `--keep-images` per service and every image a workload of the project
 * still uses. Never fails the command: problems are warnings.
 */
export async function pruneAfterRollout(o: {
  cluster: Cluster;
  namespace: string;
  projectName: string;
  project?: Project;
  workingDir?: string;
  flags: UpdateFlags;
  pushed: boolean;
}): Promise<void> {
  const { project, flags } = o;
  if (flags.pruneImages === false || !project || !Object.values(project.services).some((s) => s.build)) return;
  const { deployedWorkloads, imagesOf } = await import('../deploy/index.js');
  const { pruneImages } = await import('../build/prune.js');
  const { printWarnings } = await import('./output.js');
  const diagnostics = new Diagnostics();
  try {
    const { workloads } = await deployedWorkloads(o.cluster, o.namespace, o.projectName);
    const protect = workloads.flatMap((w) => Object.values(imagesOf(w)));
    const r = await pruneImages(project, {
      keep: flags.keepImages ?? 2,
      registry: flags.registry,
      insecureRegistries: flags.insecureRegistry,
      pushed: o.pushed,
      protect,
      diagnostics,
      workingDir: o.workingDir,
      log: logLine,
    });
    if (r.removed.length > 0 || r.registryRemoved.length > 0) {
      logLine(`pruned superseded images: ${r.removed.length} local, ${r.registryRemoved.length} in the registry (kept ${flags.keepImages ?? 2} per service and every image in use)`);
    }
  } catch (e) {
    const message = e instanceof DiagnosticError ? e.diagnostics.map((d) => d.message).join('; ') : (e as Error).message;
    diagnostics.warn('prune.failed', `superseded images were not pruned: ${message}`);
  }
  printWarnings(diagnostics);
}
