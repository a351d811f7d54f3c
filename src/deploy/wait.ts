// --wait: watch the applied objects until kstatus says each is Current (or Failed), or the timeout passes.
// One LIST + WATCH per collection (kind and namespace), never a polling loop; a watch that ends is resumed from
// the last resourceVersion (relisting on 410 Gone). On timeout each object that is not ready is named with the
// reason, and for workloads the pods' waiting reasons (ImagePullBackOff, CrashLoopBackOff, ...) and warning events.
import { LABEL_PART_OF } from './applyset.js';
import type { Cluster, Query } from './client.js';
import { collectionPath, type ResourceInfo } from './discovery.js';
import { computeStatus, type Status, type StatusContext, type StatusResult } from './status.js';
import { describeRef, isPlainObject, refKey, refOf, type KubeObject, type Logger, type ObjectRef } from './types.js';

export interface WaitOptions {
  cluster: Cluster;
  timeoutMs: number;
  /** Namespace for namespaced objects that name none. */
  namespace: string;
  log?: Logger;
  /** Progress line every this many ms while waiting (0: never). */
  progressEveryMs?: number;
  signal?: AbortSignal;
  /** `ready` (default): until Current or Failed; `deleted`: until NotFound. */
  until?: 'ready' | 'deleted';
  /**
   * With `ready` (default true): stop at the first Failed object instead of waiting out the others. A failed Job
   * is final, and what depends on it (an init container waiting for it) would only run into the timeout.
   */
  failFast?: boolean;
}

export interface WaitObjectResult {
  ref: ObjectRef;
  status: Status;
  reason?: string;
  message: string;
  /** Why it is not ready: pod waiting reasons, events, hints. Empty when Current. */
  details: string[];
}

export interface WaitResult {
  ok: boolean;
  timedOut: boolean;
  objects: WaitObjectResult[];
}

interface Tracked {
  ref: ObjectRef;
  key: string;
  live?: KubeObject;
  group: string;
  /** False until the first LIST of its collection answered: until then nothing is known, not even NotFound. */
  listed?: boolean;
}

interface Group {
  info: ResourceInfo;
  namespace?: string;
  path: string;
  query: Query;
  members: Tracked[];
}

/** Done when nothing is still in progress: Current and Failed are final (Failed fails the wait). */
function settledReady(status: Status): boolean {
  return status === 'Current' || status === 'Failed';
}

/** Watches `objects` until every one is Current or Failed, or the timeout. */
export async function waitFor(objects: readonly KubeObject[], opts: WaitOptions): Promise<WaitResult> {
  const { cluster } = opts;
  const log = opts.log ?? (() => {});
  const deleting = opts.until === 'deleted';
  const settled = deleting ? (s: Status) => s === 'NotFound' : settledReady;
  const groups = new Map<string, Group>();
  const tracked: Tracked[] = [];
  for (const o of objects) {
    const info = await cluster.discovery.resolve(o.apiVersion, o.kind);
    const namespace = info.namespaced ? o.metadata.namespace || opts.namespace : undefined;
    const ref = { ...refOf(o), namespace };
    const path = collectionPath(info, namespace);
    let g = groups.get(path);
    if (!g) groups.set(path, (g = { info, namespace, path, query: {}, members: [] }));
    const t: Tracked = { ref, key: refKey(ref), group: path };
    g.members.push(t);
    tracked.push(t);
  }
  // Narrow each watch: one object by name, several by their common ApplySet label.
  const partOf = (o: KubeObject) => o.metadata.labels?.[LABEL_PART_OF];
  for (const g of groups.values()) {
    if (g.members.length === 1) g.query = { fieldSelector: `metadata.name=${g.members[0]!.ref.name}` };
    else {
      const ids = new Set(objects.filter((o) => g.members.some((m) => m.ref.name === o.metadata.name && m.ref.kind === o.kind)).map(partOf));
      const only = ids.size === 1 ? [...ids][0] : undefined;
      if (only) g.query = { labelSelector: `${LABEL_PART_OF}=${only}` };
    }
  }

  const ctx = await statusContext(cluster, tracked);
  const byKey = new Map(tracked.map((t) => [t.key, t]));
  const statusOf = (t: Tracked): StatusResult => (t.listed ? computeStatus(t.live, ctx) : { status: 'Unknown', message: 'not listed yet' });
  const allSettled = () => tracked.every((t) => settled(statusOf(t).status));

  let finish!: (timedOut: boolean) => void;
  const finished = new Promise<boolean>((r) => (finish = r));
  let done = false;
  const failFast = !deleting && opts.failFast !== false;
  const check = () => {
    if (done) return;
    if (allSettled() || (failFast && tracked.some((t) => statusOf(t).status === 'Failed'))) finish(false);
  };
  const timer = setTimeout(() => finish(true), opts.timeoutMs);
  const onAbort = () => finish(true);
  opts.signal?.addEventListener('abort', onAbort);
  const progressEvery = opts.progressEveryMs ?? 0;
  const progress =
    progressEvery > 0
      ? setInterval(() => {
          const waiting = tracked.filter((t) => !settled(statusOf(t).status));
          if (waiting.length === 0) return;
          const sample = waiting.slice(0, 5).map((t) => `${describeRef(t.ref)}: ${statusOf(t).message}`);
          log(`waiting for ${waiting.length} object(s): ${sample.join('; ')}${waiting.length > 5 ? '; ...' : ''}`);
        }, progressEvery)
      : undefined;

  const aborts: { abort(): void }[] = [];
  const apply = (obj: KubeObject, deleted: boolean, g: Group) => {
    const ref = { ...refOf(obj), namespace: g.info.namespaced ? obj.metadata.namespace : undefined, group: g.info.group };
    const t = byKey.get(refKey(ref));
    if (!t) return;
    t.live = deleted ? undefined : obj;
  };

  const run = async (g: Group) => {
    let rv: string | undefined;
    const relist = async () => {
      const list = await cluster.client.get<{ items?: KubeObject[]; metadata?: { resourceVersion?: string } }>(g.path, g.query);
      const seen = new Set<string>();
      for (const item of list.items ?? []) {
        // LIST items lack apiVersion/kind.
        const obj = { ...item, apiVersion: g.info.group ? `${g.info.group}/${g.info.version}` : g.info.version, kind: g.info.kind };
        apply(obj, false, g);
        seen.add(item.metadata.name);
      }
      for (const m of g.members) {
        if (!seen.has(m.ref.name)) m.live = undefined;
        m.listed = true;
      }
      rv = list.metadata?.resourceVersion;
      check();
    };
    let warned = false;
    // (Re)start: relist when the last stream failed or expired (410), then watch from the last resourceVersion.
    // Failures (the server is unreachable, 5xx) are retried every second until the wait ends.
    const resume = async (needList: boolean): Promise<void> => {
      if (done) return;
      try {
        if (needList) await relist();
        await start();
      } catch (e) {
        if (!warned) log(`warning: cannot watch ${g.path}: ${(e as Error).message}; retrying`);
        warned = true;
        setTimeout(() => void resume(true), 1000);
      }
    };
    const start = async (): Promise<void> => {
      if (done) return;
      let expired = false;
      const handle = await cluster.watch(
        g.path,
        { ...g.query, resourceVersion: rv, allowWatchBookmarks: true },
        (ev) => {
          if (!isPlainObject(ev.object)) return;
          if (ev.type === 'ERROR') {
            if ((ev.object as { code?: number }).code === 410) expired = true;
            return;
          }
          const newRv = ev.object.metadata?.resourceVersion as string | undefined;
          if (newRv) rv = newRv;
          if (ev.type === 'BOOKMARK') return;
          apply(ev.object, ev.type === 'DELETED', g);
          check();
        },
        (err) => {
          if (done) return;
          // The stream ended (server timeout, connection lost, 410): resume.
          setTimeout(() => void resume(expired || !!err), err ? 500 : 0);
        },
      );
      aborts.push(handle);
      if (done) handle.abort();
    };
    await resume(true);
  };

  const startAll = Promise.all([...groups.values()].map((g) => run(g))).catch((e) => {
    log(`warning: watch failed: ${(e as Error).message}`);
  });
  void startAll;
  check();
  const timedOut = await finished;
  done = true;
  clearTimeout(timer);
  if (progress) clearInterval(progress);
  opts.signal?.removeEventListener('abort', onAbort);
  for (const a of aborts) a.abort();

  const results: WaitObjectResult[] = [];
  for (const t of tracked) {
    const st = statusOf(t);
    const details = st.status === 'Current' || deleting ? [] : await diagnose(cluster, t, opts.namespace).catch(() => []);
    results.push({ ref: t.ref, status: st.status, reason: st.reason, message: st.message, details });
  }
  return { ok: results.every((r) => r.status === (deleting ? 'NotFound' : 'Current')), timedOut, objects: results };
}

/** StorageClass binding modes, fetched only when PVCs are waited for. */
async function statusContext(cluster: Cluster, tracked: Tracked[]): Promise<StatusContext> {
  if (!tracked.some((t) => t.ref.kind === 'PersistentVolumeClaim' && t.ref.group === '')) return {};
  const list = await cluster.client
    .get<{ items?: KubeObject[] }>('/apis/storage.k8s.io/v1/storageclasses')
    .catch(() => ({ items: [] as KubeObject[] }));
  const modes = new Map<string, string>();
  let def: string | undefined;
  for (const sc of list.items ?? []) {
    modes.set(sc.metadata.name, String(sc.volumeBindingMode ?? 'Immediate'));
    const a = sc.metadata.annotations ?? {};
    if (a['storageclass.kubernetes.io/is-default-class'] === 'true' || a['storageclass.beta.kubernetes.io/is-default-class'] === 'true') def = sc.metadata.name;
  }
  return { volumeBindingMode: (name) => modes.get(name ?? def ?? '') };
}

const HINTS: Record<string, string> = {
  ImagePullBackOff: 'was the image pushed, is its name right, and does the cluster need an imagePullSecret?',
  ErrImagePull: 'was the image pushed, is its name right, and does the cluster need an imagePullSecret?',
  InvalidImageName: 'the image reference is malformed',
  CrashLoopBackOff: 'the container keeps exiting; see `kubectl logs --previous`',
  CreateContainerConfigError: 'a referenced ConfigMap, Secret or key is missing',
  RunContainerError: 'the container could not start (command, mounts or security context)',
};

/** Reasons a pod is not ready, one line each (pure; used on timeout). */
export function podProblems(pod: KubeObject): string[] {
  const out: string[] = [];
  const name = pod.metadata.name;
  const status = (pod.status ?? {}) as Record<string, unknown>;
  const conds = Array.isArray(status.conditions) ? (status.conditions as { type: string; status: string; reason?: string; message?: string }[]) : [];
  const sched = conds.find((c) => c.type === 'PodScheduled');
  if (sched?.status === 'False') out.push(`pod ${name}: not scheduled: ${sched.reason ?? ''}${sched.message ? ` (${sched.message})` : ''}`);
  for (const key of ['initContainerStatuses', 'containerStatuses']) {
    const list = Array.isArray(status[key]) ? (status[key] as Record<string, unknown>[]) : [];
    for (const cs of list) {
      const state = (cs.state ?? {}) as Record<string, { reason?: string; message?: string; exitCode?: number } | undefined>;
      const waiting = state.waiting;
      const terminated = state.terminated;
      const kind = key === 'initContainerStatuses' ? 'init container' : 'container';
      if (waiting?.reason && waiting.reason !== 'ContainerCreating' && waiting.reason !== 'PodInitializing') {
        const hint = HINTS[waiting.reason];
        out.push(`pod ${name}: ${kind} ${String(cs.name)}: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}${hint ? ` — ${hint}` : ''}`);
      } else if (terminated && terminated.exitCode !== 0 && terminated.exitCode !== undefined) {
        out.push(`pod ${name}: ${kind} ${String(cs.name)} exited with code ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`);
      } else if (cs.ready === false && state.running && kind === 'container') {
        out.push(`pod ${name}: container ${String(cs.name)} is running but not ready (readiness probe failing?)`);
      }
    }
  }
  if (out.length === 0 && status.phase && status.phase !== 'Running' && status.phase !== 'Succeeded') out.push(`pod ${name}: phase ${String(status.phase)}`);
  return out;
}

/** Warning events of an object, newest last, de-duplicated by reason and message. */
export function eventLines(events: readonly KubeObject[], prefix: string, limit = 3): string[] {
  const warnings = events
    .filter((e) => e.type === 'Warning')
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')));
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of warnings.reverse()) {
    const line = `${prefix}: event ${String(e.reason)}: ${String(e.message ?? '').trim()}`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
  }
  return lines.slice(0, limit).reverse();
}

async function eventsFor(cluster: Cluster, namespace: string, kind: string, name: string): Promise<KubeObject[]> {
  const list = await cluster.client.get<{ items?: KubeObject[] }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
    fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
  });
  return list.items ?? [];
}

function selectorOf(obj: KubeObject | undefined): string | undefined {
  const ml = (obj?.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels;
  if (!ml || Object.keys(ml).length === 0) return undefined;
  return Object.entries(ml)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

async function diagnose(cluster: Cluster, t: Tracked, defaultNs: string): Promise<string[]> {
  const ns = t.ref.namespace ?? defaultNs;
  const lines: string[] = [];
  if (!t.live) return [`${describeRef(t.ref)} does not exist`];
  if (t.ref.namespace) lines.push(...eventLines(await eventsFor(cluster, ns, t.ref.kind, t.ref.name), `${t.ref.kind} ${t.ref.name}`));
  if (t.ref.kind === 'Pod') lines.push(...podProblems(t.live), ...eventLines(await eventsFor(cluster, ns, 'Pod', t.ref.name), `pod ${t.ref.name}`));
  else if (WORKLOADS.has(t.ref.kind)) {
    const selector = selectorOf(t.live);
    if (selector) {
      const pods = await cluster.client.get<{ items?: KubeObject[] }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, { labelSelector: selector });
      const items = pods.items ?? [];
      if (items.length === 0) lines.push(`no pods match ${selector} yet`);
      for (const p of items.slice(0, 5)) {
        const problems = podProblems(p);
        lines.push(...problems);
        if (problems.length > 0 || p.status === undefined) lines.push(...eventLines(await eventsFor(cluster, ns, 'Pod', p.metadata.name), `pod ${p.metadata.name}`, 2));
      }
    }
  }
  return lines;
}
