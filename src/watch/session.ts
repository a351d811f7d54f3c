// One watch session: the rules of the watched services, a file watcher over their paths, one coalescing queue per
// service, and the actions a batch asks for, carried out against the cluster. Each batch prints one line (the
// service, what was done, the files, how long it took); a failure prints an error and the session goes on.
import { basename } from 'node:path';
import { listPods, restartContainer, RestartHistory, runningContainers, type Cluster, type LockOptions, type RunningContainer } from '../deploy/index.js';
import { DiagnosticError } from '../model/diagnostics.js';
import { mapLimit } from '../model/async.js';
import type { KubeObject, Placement } from '../model/kube.js';
import type { Project } from '../model/project.js';
import { Coalescer, type Change } from './batch.js';
import { execCommand, describeCommand } from './exec.js';
import { chokidarWatcher, type WatchFactory } from './files.js';
import { describeFiles, isEmpty, planBatch, type Plan, type SyncItem } from './plan.js';
import { compileRules, ignoredByAll, SYNCS, type Rule } from './rules.js';
import { rebuildWorkload } from './rebuild.js';
import { NoTarError, syncInto, walk } from './sync.js';

export interface WatchOptions {
  project: Project;
  workingDir: string;
  /** The services to watch; empty: every service with develop.watch rules. */
  services: readonly string[];
  placements: Readonly<Record<string, Placement>>;
  /** The objects as applied (images pinned); a rebuild re-applies its workload from here. */
  objects: KubeObject[];
  cluster: Cluster;
  namespace: string;
  projectName: string;
  build: { push?: boolean; registry?: string; insecureRegistries?: string[]; parallel?: number };
  apply: { fieldManager?: string; forceConflicts?: boolean; concurrency?: number; lock?: LockOptions };
  /** How long a rollout or a restarted container may take to be ready. */
  timeoutMs: number;
  /** Action lines (stdout). */
  print(line: string): void;
  /** Errors and notes (stderr). */
  warn(line: string): void;
  /** Ends the session; a build, rollout or restart in progress is cut short. */
  signal: AbortSignal;
  quietMs?: number;
  maxWaitMs?: number;
  /** Tests: another watcher than chokidar. */
  watcher?: WatchFactory;
  /** Called once the watcher is ready (after the initial syncs). */
  onReady?(): void;
  /** Called after a rebuild rolled out (the CLI deletes superseded built images, as after up and update). */
  afterRollout?(): Promise<void>;
}

export interface WatchOutcome {
  /** A build, rollout or restart was running when the session was ended. */
  interrupted: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** Compose files and Dockerfiles are not copied by an initial sync (as compose's initialSync). */
const NOT_INITIALLY_SYNCED = new Set(['Dockerfile', 'compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml', 'compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml']);

export async function runWatch(o: WatchOptions): Promise<WatchOutcome> {
  const rules = compileRules(o.project, o.services, o.workingDir);
  const session = new Session(o, rules);
  return session.run();
}

class Session {
  private readonly byService = new Map<string, Rule[]>();
  private readonly queues = new Map<string, Coalescer>();
  /** Rules whose containers have no tar: carried out as rebuilds. */
  private readonly noTar = new Set<Rule>();
  private readonly restarts = new RestartHistory();
  private interrupted = false;

  constructor(
    private readonly o: WatchOptions,
    private readonly rules: Rule[],
  ) {
    for (const r of rules) {
      const list = this.byService.get(r.service) ?? [];
      list.push(r);
      this.byService.set(r.service, list);
    }
  }

  async run(): Promise<WatchOutcome> {
    const o = this.o;
    for (const service of this.byService.keys()) {
      if (!o.placements[service]) throw new DiagnosticError([{ severity: 'error', code: 'watch.not-deployed', message: `${service}: the conversion gave it no workload to watch` }]);
      this.queues.set(service, new Coalescer((batch) => this.handle(service, batch), { quietMs: o.quietMs ?? 200, maxWaitMs: o.maxWaitMs ?? 2000 }));
    }
    for (const r of this.rules) if (r.initialSync && (r.action === 'sync' || r.action === 'sync+restart')) await this.initialSync(r);
    if (o.signal.aborted) return { interrupted: this.interrupted };

    const paths = [...new Set(this.rules.map((r) => r.path))].sort();
    const watcher = await (o.watcher ?? chokidarWatcher)(paths, {
      ignored: (abs) => ignoredByAll(this.rules, abs),
      change: (abs, change) => this.dispatch(abs, change),
      error: (e) => o.warn(`watch: ${e.message}`),
    });
    o.warn(`watching ${paths.length} path(s) for ${[...this.byService.keys()].join(', ')} (Ctrl-C to stop; the deployment keeps running)`);
    o.onReady?.();
    await new Promise<void>((resolve) => (o.signal.aborted ? resolve() : o.signal.addEventListener('abort', () => resolve(), { once: true })));
    await watcher.close();
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    return { interrupted: this.interrupted };
  }

  /** A changed path goes to every service with a rule that covers it and does not ignore it. */
  private dispatch(abs: string, change: Change): void {
    const services = new Set(this.rules.filter((r) => r.map(abs) !== undefined).map((r) => r.service));
    for (const s of services) this.queues.get(s)!.add(abs, change);
  }

  private async containers(service: string): Promise<RunningContainer[]> {
    const p = this.o.placements[service]!;
    const found = runningContainers(await listPods(this.o.cluster, this.o.namespace, p.selector), p.container);
    if (found.length === 0) throw new Error(`no running container ${p.container} in the pods of ${p.kind}/${p.name} (namespace ${this.o.namespace})`);
    return found;
  }

  private async initialSync(rule: Rule): Promise<void> {
    const started = Date.now();
    try {
      const found = await walk(rule.path, (abs) => rule.map(abs) !== undefined && !NOT_INITIALLY_SYNCED.has(basename(abs)));
      if (found.paths.length === 0) return;
      const items = found.paths.map((f) => ({ rule, hostPath: f, containerPath: rule.map(f)!, deleted: false }));
      if ((await this.sync(rule.service, items)) === 'no-tar') return;
      this.o.print(`${rule.service}: initial sync of ${describeFiles(found.files, rule.path)} to ${rule.target} (${seconds(Date.now() - started)})`);
    } catch (e) {
      this.report(rule.service, 'initial sync', started, e);
    }
  }

  /** Copies into every running container of the service; a missing tar turns the rules into rebuilds (said once). */
  private async sync(service: string, items: readonly SyncItem[]): Promise<'synced' | 'no-tar'> {
    try {
      await syncInto({ cluster: this.o.cluster, namespace: this.o.namespace, containers: await this.containers(service) }, items);
      return 'synced';
    } catch (e) {
      if (!(e instanceof NoTarError)) throw e;
      const rules = [...new Set(items.map((i) => i.rule))];
      for (const r of rules) {
        if (this.noTar.has(r)) continue;
        this.noTar.add(r);
        const instead = this.o.project.services[service]?.build ? 'rebuilds the image instead' : 'cannot be carried out (the service has no build: section to rebuild from)';
        this.o.warn(`${service}: the container has no ${e.tool}, so files cannot be copied into it; ${r.at} (${r.action} ${r.path}) ${instead}`);
      }
      return 'no-tar';
    }
  }

  private async handle(service: string, batch: Map<string, Change>): Promise<void> {
    const o = this.o;
    const rules = this.byService.get(service) ?? [];
    let plan = planBatch(rules, batch, (r) => this.noTar.has(r));
    if (isEmpty(plan)) return;
    const started = Date.now();
    const done: string[] = [];
    let doing = 'sync';
    const base = commonBase(rules);
    try {
      if (plan.syncs.length > 0 && plan.rebuild.length === 0) {
        // Syncing finds out whether the image has tar; a rule that cannot sync becomes a rebuild.
        doing = 'sync';
        if ((await this.sync(service, plan.syncs)) === 'no-tar') plan = planBatch(rules, batch, (r) => this.noTar.has(r));
        else done.push(syncSummary(plan, base));
      }
      if (plan.rebuild.length > 0) {
        // The new pods get every sync path after the rollout (resync), so nothing is copied into the old ones.
        doing = 'rebuild';
        done.push(await this.rebuild(service, plan, base));
      } else if (plan.restart) {
        doing = 'restart';
        done.push(await this.restart(service));
      }
      for (const rule of plan.execs) {
        doing = `exec of ${rule.at}`;
        done.push(await this.runExecCommand(service, rule));
      }
      o.print(`${service}: ${done.join(', ')} (${seconds(Date.now() - started)})`);
    } catch (e) {
      this.report(service, doing, started, e);
    }
  }

  private report(service: string, doing: string, started: number, e: unknown): void {
    if (this.o.signal.aborted) {
      this.interrupted = true;
      this.o.warn(`${service}: ${doing} interrupted after ${seconds(Date.now() - started)}`);
      return;
    }
    const text = e instanceof DiagnosticError ? e.diagnostics.map((d) => d.message).join('\n  ') : e instanceof Error ? e.message : String(e);
    this.o.warn(`${service}: ${doing} failed after ${seconds(Date.now() - started)}: ${text}`);
  }

  /** Rebuilds and rolls out the service's workload (rebuild.ts), then copies the sync paths into the new pods. */
  private async rebuild(service: string, plan: Plan, base: string): Promise<string> {
    const o = this.o;
    const why = `${plan.rebuild.some((r) => r.action !== 'rebuild') ? ' (no tar to sync)' : ''} for ${describeFiles(plan.files, base)}`;
    const rolled = await rebuildWorkload(o, service);
    if (!rolled) return `rebuilt${why}: the image is unchanged, nothing to roll out`;
    const resynced = await this.resync(service);
    await o.afterRollout?.();
    const again = resynced.length > 0 ? `, synced ${resynced.join(', ')} again` : '';
    return `rebuilt${why} and rolled out ${rolled.workload} (${rolled.reference.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+$/, '@sha256:$1…')})${again}`;
  }

  /**
   * Restarts the service's containers, in place when their main process stops on SIGTERM, else by replacing the
   * pod. A restarted container starts from its image again (Kubernetes does not keep a container's files across
   * restarts, unlike `docker restart`), so the paths of the service's sync rules are copied into it again.
   */
  private async restart(service: string): Promise<string> {
    const o = this.o;
    const place = o.placements[service]!;
    const results = await mapLimit(await this.containers(service), 4, (c) =>
      restartContainer(o.cluster, c, { namespace: o.namespace, selector: place.selector, timeoutMs: o.timeoutMs, history: this.restarts, signal: o.signal }),
    );
    const resynced = await this.resync(service);
    const inPlace = results.filter((r) => r.how === 'in place').length;
    const replaced = results.filter((r) => r.how === 'replaced');
    const parts: string[] = [];
    if (inPlace > 0) parts.push(`restarted ${inPlace === 1 ? 'the container' : `${inPlace} containers`} in place`);
    if (replaced.length > 0) parts.push(`replaced ${replaced.length === 1 ? 'the pod' : `${replaced.length} pods`} (${replaced[0]!.why})`);
    if (resynced.length > 0) parts.push(`synced ${resynced.join(', ')} again`);
    return parts.join(', ');
  }

  /**
   * Copies the paths of the service's sync rules into its containers again: a restarted container or a new pod
   * starts from the image, without what was synced into the one before. Returns the targets.
   */
  private async resync(service: string): Promise<string[]> {
    const targets: string[] = [];
    for (const r of this.byService.get(service) ?? []) {
      if (!SYNCS.has(r.action) || this.noTar.has(r)) continue;
      const found = await walk(r.path, (abs) => r.map(abs) !== undefined);
      if (found.paths.length === 0) continue;
      if ((await this.sync(service, found.paths.map((f) => ({ rule: r, hostPath: f, containerPath: r.map(f)!, deleted: false })))) === 'synced') targets.push(r.target ?? r.path);
    }
    return targets;
  }

  /** Runs the rule's exec command in every running container; a non-zero exit is an error naming the pod. */
  private async runExecCommand(service: string, rule: Rule): Promise<string> {
    const o = this.o;
    const hook = rule.exec!;
    const command = execCommand(hook);
    await mapLimit(await this.containers(service), 4, async (c) => {
      const r = await o.cluster.exec!({ namespace: o.namespace, pod: c.pod, container: c.container, command, timeoutMs: o.timeoutMs });
      if (r.exitCode !== 0) {
        const out = (r.startError ?? `${r.stderr}${r.stdout}`).trim().split('\n').slice(-5).join(' | ');
        throw new Error(`${describeCommand(hook)} in ${c.pod} exited with ${r.exitCode < 0 ? 'an error' : r.exitCode}${out ? `: ${out}` : ''}`);
      }
    });
    return `ran ${describeCommand(hook)}`;
  }
}

/** `synced index.html`, `synced 12 files, removed 2`. */
function syncSummary(plan: Plan, base: string): string {
  const copied = plan.syncs.filter((s) => !s.deleted).map((s) => s.hostPath);
  const removed = plan.syncs.filter((s) => s.deleted).map((s) => s.hostPath);
  const parts: string[] = [];
  if (copied.length > 0) parts.push(`synced ${describeFiles([...new Set(copied)], base)}`);
  if (removed.length > 0) parts.push(`removed ${describeFiles([...new Set(removed)], base)}`);
  return parts.join(', ');
}

/** The rule paths' deepest common directory, so that files are named relative to it. */
function commonBase(rules: readonly Rule[]): string {
  const parts = rules.map((r) => r.path.split('/'));
  const first = parts[0] ?? [];
  let n = first.length;
  for (const p of parts) {
    let i = 0;
    while (i < n && i < p.length && p[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join('/');
}
