// The pods of a workload and the containers running in them, and restarting a container: in place when its main
// process stops on SIGTERM (the kubelet then starts the container again in the same pod), otherwise by replacing
// the pod (its controller creates a new one). Kubernetes has no "restart this container" call; `kill 1` from
// inside works only when PID 1 handles SIGTERM, since the kernel drops signals to a PID namespace's init that it
// has no handler for. The kubelet's crash-loop back-off delays repeated in-place restarts (10 s, then 20 s, ...), so
// a restart it would hold back replaces the pod too.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { sleep } from '../model/async.js';
import type { Cluster } from './client.js';
import { isNotFound, type ExecResult } from './exec.js';
import type { Logger } from './types.js';

/** One running container of one pod. */
export interface RunningContainer {
  pod: string;
  uid: string;
  container: string;
  containerID: string;
  restartCount: number;
}

export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export async function listPods(cluster: Cluster, namespace: string, selector: Record<string, string>): Promise<Pod[]> {
  const list = await cluster.client.get<{ items?: Pod[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector: selectorString(selector) });
  return list.items ?? [];
}

/** The containers named `container` that run now, in pods that are not being deleted. */
export function runningContainers(pods: readonly Pod[], container: string): RunningContainer[] {
  const out: RunningContainer[] = [];
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running') continue;
    const st = p.status.containerStatuses?.find((c) => c.name === container);
    if (!st?.state?.running || !st.containerID) continue;
    out.push({ pod: p.metadata!.name!, uid: p.metadata!.uid!, container, containerID: st.containerID, restartCount: st.restartCount });
  }
  return out.sort((a, b) => a.pod.localeCompare(b.pod));
}

function isReady(p: Pod): boolean {
  return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Signals PID 1 catches, from /proc/1/status (`SigCgt:` is a hex mask, bit n-1 for signal n). */
export function catchesSigterm(procStatus: string): boolean {
  const hex = /^SigCgt:\s*([0-9a-f]+)\s*$/im.exec(procStatus)?.[1];
  if (!hex) return false;
  return (BigInt(`0x${hex}`) & (1n << 14n)) !== 0n;
}

/**
 * The kubelet's crash-loop back-off as it applies to the restarts we cause (flowcontrol.Backoff in
 * kuberuntime_manager.go: per container, 10 s doubling up to 300 s, forgotten after 10 minutes): a container that
 * stopped again sooner than its current back-off after its last restart is started only when the back-off ends.
 * Such a restart is done by replacing the pod instead, which the back-off does not delay.
 */
export class RestartHistory {
  private readonly entries = new Map<string, { at: number; backoffMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The kubelet would hold the container back if it stopped now. */
  wouldBackOff(key: string): boolean {
    const e = this.entries.get(key);
    if (!e) return false;
    const since = this.now() - e.at;
    return since <= 600_000 && since < e.backoffMs;
  }

  /** The container was restarted in place now. */
  restarted(key: string): void {
    const e = this.entries.get(key);
    const fresh = !e || this.now() - e.at > 600_000;
    this.entries.set(key, { at: this.now(), backoffMs: fresh ? 10_000 : Math.min(e!.backoffMs * 2, 300_000) });
  }
}

export interface RestartOptions {
  namespace: string;
  selector: Record<string, string>;
  /** How long to wait for the restarted container (or the new pod) to run and be ready. */
  timeoutMs: number;
  /** The in-place restarts of this session, to foresee the kubelet's back-off. */
  history?: RestartHistory;
  log?: Logger;
  /** Polling interval of the pod list (default 250 ms). */
  pollMs?: number;
  /** How long a stopped container may stay stopped before it counts as held back by the kubelet (default 3 s). */
  backOffAfterMs?: number;
  /** Stops the waiting (the restart is then reported as interrupted). */
  signal?: AbortSignal;
}

export interface RestartResult {
  how: 'in place' | 'replaced';
  /** The pod the container runs in now (the same one when restarted in place). */
  pod: string;
  /** Why the pod was replaced rather than the container restarted. */
  why?: string;
}

/** Restarts one running container, in place when it can be, and waits until it runs and its pod is ready again. */
export async function restartContainer(cluster: Cluster, c: RunningContainer, o: RestartOptions): Promise<RestartResult> {
  const deadline = Date.now() + o.timeoutMs;
  const key = `${c.uid}/${c.container}`;
  if (o.history?.wouldBackOff(key)) return replacePod(cluster, c, o, deadline, 'the kubelet would delay restarting it again (crash-loop back-off)');
  const why = await killInPlace(cluster, c, o.namespace);
  if (why !== undefined) return replacePod(cluster, c, o, deadline, why);
  const grace = await graceSeconds(cluster, o.namespace, c.pod);
  // A process that handles SIGTERM gets its grace period to exit; then the kubelet starts the container again at
  // once, unless it holds it back (then the container stays stopped).
  let stoppedAt: number | undefined;
  const restarted = await waitForPod(cluster, o, Math.min(deadline, Date.now() + (grace + 5) * 1000), (pods) => {
    const p = pods.find((x) => x.metadata?.uid === c.uid);
    const st = p?.status?.containerStatuses?.find((s) => s.name === c.container);
    if (!p || !st) return 'gone';
    if (st.containerID !== c.containerID && st.state?.running) return isReady(p) ? 'done' : undefined;
    if (st.state?.waiting?.reason === 'CrashLoopBackOff') return 'back-off';
    if (!st.state?.running) {
      stoppedAt ??= Date.now();
      if (Date.now() - stoppedAt >= (o.backOffAfterMs ?? 3000)) return 'back-off';
    }
    return undefined;
  });
  if (restarted === 'done') {
    o.history?.restarted(key);
    return { how: 'in place', pod: c.pod };
  }
  const reason =
    restarted === 'back-off' ? 'the kubelet delays restarting it (crash-loop back-off)'
    : restarted === 'gone' ? 'the pod went away'
    : stoppedAt === undefined ? 'the container did not stop on SIGTERM'
    : 'the container did not start again';
  return replacePod(cluster, c, o, deadline, reason);
}

/**
 * Sends SIGTERM to PID 1 when it handles it; otherwise says why it cannot restart in place (undefined: signalled).
 */
async function killInPlace(cluster: Cluster, c: RunningContainer, namespace: string): Promise<string | undefined> {
  if (!cluster.exec) return 'exec is not available';
  const run = (command: string[]): Promise<ExecResult> => cluster.exec!({ namespace, pod: c.pod, container: c.container, command, timeoutMs: 10_000 });
  const status = await run(['cat', '/proc/1/status']).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message, startError: e.message }));
  if (status.exitCode !== 0) return isNotFound(status.startError) ? 'the container has no cat to read /proc/1/status' : `reading /proc/1/status failed: ${(status.startError ?? status.stderr).trim()}`;
  if (!catchesSigterm(status.stdout)) return 'its main process (PID 1) does not handle SIGTERM';
  const killed = await run(['kill', '-TERM', '1']).catch((e: Error) => ({ exitCode: -1, stdout: '', stderr: e.message, startError: e.message }));
  // The container may stop before the exec answers: a closed session is not a failure.
  if (killed.exitCode !== 0 && isNotFound(killed.startError)) return 'the container has no kill';
  return undefined;
}

async function graceSeconds(cluster: Cluster, namespace: string, pod: string): Promise<number> {
  const p = await cluster.client.getOptional<Pod>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`);
  return p?.spec?.terminationGracePeriodSeconds ?? 30;
}

/** Deletes the pod (its controller replaces it) and waits for a new pod whose container runs and which is ready. */
async function replacePod(cluster: Cluster, c: RunningContainer, o: RestartOptions, deadline: number, why: string): Promise<RestartResult> {
  const before = await listPods(cluster, o.namespace, o.selector);
  const pod = before.find((p) => p.metadata?.uid === c.uid);
  if (pod && !pod.metadata?.ownerReferences?.some((r) => r.controller)) {
    throw new Error(`cannot restart ${c.container} in pod ${c.pod}: ${why}, and the pod has no controller that would replace it`);
  }
  const old = new Set(before.map((p) => p.metadata?.uid));
  await cluster.client.delete(`/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(c.pod)}`, { preconditionUid: c.uid }, `Pod/${c.pod}`);
  let found: string | undefined;
  const r = await waitForPod(cluster, o, deadline, (pods) => {
    const fresh = pods.find((p) => !old.has(p.metadata?.uid) && !p.metadata?.deletionTimestamp && isReady(p) && runningContainers([p], c.container).length > 0);
    found = fresh?.metadata?.name;
    return fresh ? 'done' : undefined;
  });
  if (r !== 'done') throw new Error(`replaced pod ${c.pod} (${why}), but no new pod of it was ready within ${Math.round(o.timeoutMs / 1000)} s`);
  return { how: 'replaced', pod: found!, why };
}

/** Polls the pods until `check` gives an answer or the deadline passes (then undefined). */
async function waitForPod<T>(cluster: Cluster, o: RestartOptions, deadline: number, check: (pods: Pod[]) => T | undefined): Promise<T | undefined> {
  for (;;) {
    if (o.signal?.aborted) throw new Error('interrupted');
    const answer = check(await listPods(cluster, o.namespace, o.selector));
    if (answer !== undefined) return answer;
    if (Date.now() >= deadline) return undefined;
    await sleep(o.pollMs ?? 250, o.signal);
  }
}
