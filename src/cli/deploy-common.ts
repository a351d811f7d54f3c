// What the deploy commands (deploy-commands.ts, image-update.ts, watch.ts) share: the injected conversion, the flags,
// the connection and lock options, running against a cluster with API errors reported as the end of the run, and
// apply-then-wait. No deploy module is imported up front.
import { Command, Option } from 'commander';
import type { KubeObject, Placement } from '../model/kube.js';
import type { Project, SourceMap } from '../model/project.js';
import { UsageError } from './exit.js';

export interface ConvertResult {
  objects: KubeObject[];
  projectName: string;
  /** The project's namespace, if the compose project names one; `-n` overrides it. */
  namespace?: string;
  /** Labels of the namespace a deploy creates (the pod-security.kubernetes.io labels of --pod-security). */
  namespaceLabels?: Record<string, string>;
  /** The loaded compose project (absent when only -p was given): `up` and `update` prune its built images. */
  project?: Project;
  workingDir?: string;
  /** The loaded project, its directory and where each service runs (what `watch` needs). */
  loaded?: { project: Project; source: { workingDir: string }; locations?: SourceMap };
  placements?: Record<string, Placement>;
}

export interface DeployDeps {
  addProjectOptions(cmd: Command): Command;
  /**
   * Loads and lowers the project. Receives every parsed flag; for `up`, `flags.build` and `flags.push` are
   * `undefined` unless --build/--no-build or --push/--no-push was given, meaning "build and push the services that
   * have build:", and `flags.command` names the command.
   */
  convert(flags: Record<string, unknown>): Promise<ConvertResult>;
}

export interface DeployFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  fieldManager: string;
  /** apply, up, down: the mode; update and rollback: `--dry-run` is a plain switch (true). */
  dryRun?: 'server' | 'client' | 'none' | true;
  forceConflicts?: boolean;
  prune?: boolean;
  wait?: boolean;
  timeout: string;
  concurrency: string;
  [flag: string]: unknown;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('-n, --namespace <namespace>', "namespace (default: the project's, else the context's, else default)")
    .option('--field-manager <name>', 'server-side apply field manager', 'compose2k8s')
    .option('--request-timeout <duration>', 'give up on a request (and retry it) when the server sends nothing for this long', '60s')
    .addOption(new Option('--concurrency <n>', 'objects sent at once').default('32').hideHelp());
}

export function addLockOptions(cmd: Command): Command {
  return cmd
    .option('--lock-timeout <duration>', "how long to wait while another apply/up/down of the project holds its lock (0: don't wait)", '2m')
    .addOption(new Option('--lock-ttl <duration>', 'how long the lock lives without renewal').default('30s').hideHelp());
}

/** The apply lock of the CLI: held while writing, released at the end, on errors, and on Ctrl-C/SIGTERM. */
export async function lockOptionsOf(flags: DeployFlags, command: string): Promise<import('../deploy/index.js').LockOptions> {
  const timeoutMs = await durationFlag('--lock-timeout', String(flags.lockTimeout ?? '2m'));
  const ttlMs = await durationFlag('--lock-ttl', String(flags.lockTtl ?? '30s'));
  if (ttlMs < 1000) throw new UsageError(`--lock-ttl must be at least 1s, not ${flags.lockTtl}`);
  return { timeoutMs, ttlMs, command, releaseOnSignals: true, log: logLine };
}

/** A duration flag; a malformed one is a usage error (exit 2), named. */
export async function durationFlag(name: string, value: string): Promise<number> {
  const { parseDuration } = await import('../deploy/index.js');
  try {
    return parseDuration(value);
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
}

export const logLine = (line: string) => process.stderr.write(`${line}\n`);

export async function withCluster<T>(
  flags: DeployFlags,
  fn: (cluster: import('../deploy/index.js').Cluster) => Promise<T>,
  exitOnApiError = 1,
): Promise<T | undefined> {
  const { connect } = await import('../deploy/index.js');
  const timeoutMs = await durationFlag('--request-timeout', String(flags.requestTimeout ?? '60s'));
  if (timeoutMs < 1) throw new UsageError(`--request-timeout must be positive, not ${flags.requestTimeout}`);
  const cluster = await connect({ kubeconfig: flags.kubeconfig, context: flags.context, log: logLine, timeoutMs });
  try {
    return await fn(cluster);
  } catch (e) {
    // The API server failed a request beyond the retries (down, overloaded, refusing): that ends the run with the
    // request's context, not as an internal error.
    const { ApiError } = await import('../deploy/index.js');
    if (!(e instanceof ApiError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = exitOnApiError;
    return undefined;
  } finally {
    cluster.close();
  }
}

export function namespaceOf(flags: DeployFlags, converted: { namespace?: string } | undefined, contextNamespace: string | undefined): string {
  return flags.namespace || converted?.namespace || contextNamespace || 'default';
}

export function concurrencyOf(flags: DeployFlags): number {
  const n = Number(flags.concurrency);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--concurrency must be a positive integer, not ${flags.concurrency}`);
  return n;
}

/** down and status need only the project name and namespace: with -p they work without a compose file. */
export async function projectOf(flags: DeployFlags, deps: DeployDeps, command: string): Promise<ConvertResult> {
  try {
    return await deps.convert({ ...flags, command });
  } catch (e) {
    if (typeof flags.projectName === 'string' && flags.projectName) return { objects: [], projectName: flags.projectName };
    throw e;
  }
}

/**
 * Server-side apply of the converted objects (prune and wait as the flags say), printing what happened; false when
 * something failed (already printed).
 */
export async function applyAndWait(
  flags: DeployFlags,
  converted: ConvertResult,
  cluster: import('../deploy/index.js').Cluster,
  o: { dryRun: 'server' | 'none'; lock: import('../deploy/index.js').LockOptions; timeoutMs: number },
): Promise<boolean> {
  const { applyObjects, formatApply, formatWait } = await import('../deploy/index.js');
  const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
  const result = await applyObjects(converted.objects, {
    cluster,
    namespace,
    projectName: converted.projectName,
    fieldManager: flags.fieldManager,
    dryRun: o.dryRun,
    forceConflicts: flags.forceConflicts,
    prune: flags.prune,
    createNamespace: flags.createNamespace !== false,
    namespaceLabels: converted.namespaceLabels,
    skipUnchanged: flags.skipUnchanged !== false,
    concurrency: concurrencyOf(flags),
    lock: o.lock,
    recordImages: o.dryRun === 'none',
    log: logLine,
  });
  const text = formatApply(result, { dryRun: o.dryRun });
  process.stdout.write(text.stdout);
  process.stderr.write(text.stderr);
  if (!result.ok) return false;
  if (flags.wait && o.dryRun === 'none') {
    const { waitFor } = await import('../deploy/index.js');
    logLine(`waiting up to ${flags.timeout} for ${result.results.length} object(s) to become ready`);
    const waited = await waitFor(
      result.results.map((r) => r.live ?? r.object!).filter(Boolean),
      { cluster, namespace, timeoutMs: o.timeoutMs, log: logLine, progressEveryMs: 10_000 },
    );
    const out = formatWait(waited, flags.timeout);
    if (!waited.ok) {
      process.stderr.write(out);
      return false;
    }
    process.stdout.write(out);
  }
  return true;
}
