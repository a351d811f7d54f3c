// The apply lock: at most one apply/up/down of a project's ApplySet at a time. The lock is an annotation on the
// ApplySet parent (a JSON record: who holds it, since when, last renewal, time to live), taken and released with
// optimistic concurrency (a merge patch carrying the resourceVersion it read, so of two racing writers exactly one
// wins; the parent is created with a POST that fails when it already exists). The holder renews it every third of
// its TTL; a waiter considers it stale when it has seen the same record, unrenewed, for a whole TTL on its own clock
// (as Kubernetes leader election does with Leases: no clock comparison between machines), or at once when the holder
// ran on this same machine and its process is gone. Released at the end of the run, on errors, and on SIGINT/SIGTERM
// when asked to.
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { error } from '../model/diagnostics.js';
import { checkParent, describeParent, parentApiPath, parentObject, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { ApiError } from './errors.js';
import { sleep } from '../model/async.js';
import type { KubeObject, Logger } from './types.js';

export const ANNOTATION_LOCK = 'compose2k8s.io/apply-lock';
/** Field manager of the lock's writes (kept apart from the server-side apply manager of the parent). */
export const LOCK_FIELD_MANAGER = 'compose2k8s-lock';
export const DEFAULT_LOCK_TTL_MS = 30_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/** What the annotation holds. */
export interface LockRecord {
  /** Unique per run. */
  holder: string;
  /** The command that holds it (`apply`, `up`, `down`). */
  command: string;
  host: string;
  pid: number;
  /** Identifies this machine and PID namespace (Linux), so a waiter on the same one can check the PID. */
  hostId?: string;
  acquiredAt: string;
  renewedAt: string;
  ttlSeconds: number;
}

export interface LockOptions {
  /** How long to wait for another holder; 0 refuses at once. Default 2 minutes. */
  timeoutMs?: number;
  /** How long the lock lives without renewal (renewed every third of it). Default 30 s. */
  ttlMs?: number;
  /** Recorded in the lock and shown to waiters. Default `apply`. */
  command?: string;
  /** How often a waiter looks again. Default 1 s. */
  pollMs?: number;
  /** On SIGINT/SIGTERM while held: release the lock, then exit (130/143). For the CLI. */
  releaseOnSignals?: boolean;
  /** Create the parent (holding the lock) when it does not exist. Default true; `down` has nothing to lock then. */
  createParent?: boolean;
  log?: Logger;
  /** Tests: another identity than this process's. */
  identity?: { host?: string; pid?: number; hostId?: string };
}

/** The namespace of the parent does not exist yet, so there is nowhere to put the lock. */
export class LockNamespaceMissing extends Error {
  constructor(readonly namespace: string) {
    super(`namespace "${namespace}" does not exist`);
  }
}

let cachedHostId: string | undefined | null = null;
/** sha256 of hostname + boot id + PID namespace (Linux only; undefined elsewhere). */
export function localHostId(): string | undefined {
  if (cachedHostId !== null) return cachedHostId;
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidns = readlinkSync('/proc/self/ns/pid');
    cachedHostId = createHash('sha256').update(`${hostname()}\n${boot}\n${pidns}`).digest('hex').slice(0, 24);
  } catch {
    cachedHostId = undefined;
  }
  return cachedHostId;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function parseLock(value: string | undefined): LockRecord | undefined {
  if (!value) return undefined;
  try {
    const r = JSON.parse(value) as Partial<LockRecord>;
    if (typeof r.holder === 'string' && r.holder) {
      const ttl = Number(r.ttlSeconds);
      return {
        holder: r.holder,
        command: typeof r.command === 'string' ? r.command : 'apply',
        host: typeof r.host === 'string' ? r.host : 'unknown host',
        pid: Number.isInteger(r.pid) ? (r.pid as number) : 0,
        hostId: typeof r.hostId === 'string' ? r.hostId : undefined,
        acquiredAt: String(r.acquiredAt ?? ''),
        renewedAt: String(r.renewedAt ?? ''),
        ttlSeconds: Number.isFinite(ttl) && ttl >= 1 ? Math.min(ttl, 3600) : DEFAULT_LOCK_TTL_MS / 1000,
      };
    }
  } catch {
    // not JSON: someone else's value; treated as held by an unknown holder, stale after the default TTL
  }
  return { holder: value, command: 'unknown', host: 'unknown host', pid: 0, acquiredAt: '', renewedAt: '', ttlSeconds: DEFAULT_LOCK_TTL_MS / 1000 };
}

export function describeLock(r: LockRecord): string {
  const since = r.acquiredAt ? `, since ${r.acquiredAt}` : '';
  const renewed = r.renewedAt && r.renewedAt !== r.acquiredAt ? `, renewed ${r.renewedAt}` : '';
  return `${r.command} (pid ${r.pid} on ${r.host}${since}${renewed})`;
}

/** Sets (value) or removes (null) the lock annotation, only if the parent is still at `resourceVersion`. */
async function writeLock(cluster: Cluster, parent: ParentRef, resourceVersion: string, value: string | null): Promise<KubeObject> {
  return cluster.client.request<KubeObject>(
    {
      method: 'PATCH',
      path: parentApiPath(parent),
      query: { fieldManager: LOCK_FIELD_MANAGER },
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { resourceVersion, annotations: { [ANNOTATION_LOCK]: value } } }),
    },
    `apply lock on ${describeParent(parent)}`,
  );
}

const isConflict = (e: unknown) => e instanceof ApiError && e.status === 409;

/** A held lock. `lost` turns true when a renewal finds someone else's record (or none). */
export class ApplyLock {
  lost = false;
  lostReason?: string;
  private timer?: NodeJS.Timeout;
  private renewing?: Promise<void>;
  private lastRenewal = Date.now();
  private released = false;
  private signalHandler?: (signal: NodeJS.Signals) => void;

  constructor(
    private readonly cluster: Cluster,
    readonly parent: ParentRef,
    readonly record: LockRecord,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  get holder(): string {
    return this.record.holder;
  }

  /** Starts renewing every third of the TTL (timers are unref'd: they never keep the process alive). */
  start(releaseOnSignals: boolean): void {
    this.timer = setInterval(() => void this.renew(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    if (releaseOnSignals) {
      let interrupted = false;
      this.signalHandler = (signal) => {
        if (interrupted) process.exit(signal === 'SIGINT' ? 130 : 143); // a second Ctrl-C: go now
        interrupted = true;
        this.log(`interrupted (${signal}): releasing the apply lock on ${describeParent(this.parent)}`);
        void this.release().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
      };
      process.on('SIGINT', this.signalHandler);
      process.on('SIGTERM', this.signalHandler);
    }
  }

  /** Throws when the lock was lost (another run took it over: ours was not renewed within its TTL). */
  check(): void {
    if (this.lost) throw error('deploy.lock-lost', `lost the apply lock on ${describeParent(this.parent)}: ${this.lostReason}`);
  }

  renew(): Promise<void> {
    if (this.released || this.lost) return Promise.resolve();
    return (this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined)));
  }

  private async renewOnce(): Promise<void> {
    try {
      for (let i = 0; i < 5; i++) {
        const live = await this.cluster.client.getOptional<KubeObject>(parentApiPath(this.parent));
        if (this.released) return;
        const current = parseLock(live?.metadata.annotations?.[ANNOTATION_LOCK]);
        if (!live || current?.holder !== this.record.holder) {
          this.lost = true;
          this.lostReason = !live ? 'the ApplySet parent was deleted' : current ? `now held by ${describeLock(current)}` : 'the lock was removed';
          this.log(`error: ${this.lostReason}`);
          return;
        }
        this.record.renewedAt = new Date().toISOString();
        try {
          await writeLock(this.cluster, this.parent, String(live.metadata.resourceVersion), JSON.stringify(this.record));
          this.lastRenewal = Date.now();
          return;
        } catch (e) {
          if (!isConflict(e)) throw e; // the parent changed since we read it (our own apply, usually): read again
        }
      }
    } catch (e) {
      // Not reachable for now; the next tick tries again. Past the TTL another run may take the lock over.
      if (Date.now() - this.lastRenewal > this.ttlMs) {
        this.lost = true;
        this.lostReason = `could not renew it for ${Math.round((Date.now() - this.lastRenewal) / 1000)}s (${(e as Error).message})`;
      }
    }
  }

  /** Stops renewing without touching the parent (down deletes the parent, and the lock with it). */
  detach(): void {
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    if (this.signalHandler) {
      process.off('SIGINT', this.signalHandler);
      process.off('SIGTERM', this.signalHandler);
    }
  }

  /**
   * Removes the annotation if it is still ours. Never throws: when the server cannot be reached, says so (the lock
   * then expires on its own after its TTL). Returns whether the lock is known to be released.
   */
  async release(): Promise<boolean> {
    this.releasing ??= (async () => {
      this.detach();
      await this.renewing?.catch(() => {});
      try {
        for (let i = 0; i < 5; i++) {
          const live = await this.cluster.client.getOptional<KubeObject>(parentApiPath(this.parent));
          const current = parseLock(live?.metadata.annotations?.[ANNOTATION_LOCK]);
          if (!live || current?.holder !== this.record.holder) return true;
          try {
            await writeLock(this.cluster, this.parent, String(live.metadata.resourceVersion), null);
            return true;
          } catch (e) {
            if (!isConflict(e)) throw e;
          }
        }
        throw new Error('the parent kept changing');
      } catch (e) {
        this.log(
          `warning: could not release the apply lock on ${describeParent(this.parent)} (${(e as Error).message}); ` +
            `it expires ${Math.round(this.ttlMs / 1000)}s after its last renewal, at once for a rerun on this machine`,
        );
        return false;
      }
    })();
    return this.releasing;
  }
  private releasing?: Promise<boolean>;
}

/** The parent as the lock creates it when it does not exist yet: an empty ApplySet that says who holds it. */
function newParent(parent: ParentRef, lockValue: string): KubeObject {
  const object = parentObject(parent, [], []);
  object.metadata.annotations = { ...object.metadata.annotations, [ANNOTATION_LOCK]: lockValue };
  return object;
}

/**
 * Takes the apply lock of a set, waiting up to `timeoutMs` for another holder. Throws a DiagnosticError
 * (`deploy.locked`) when the wait ends, `deploy.applyset-not-ours` when the parent is not ours, and
 * LockNamespaceMissing when there is no namespace to put it in. Returns undefined only with `createParent: false`
 * when the parent does not exist.
 */
export async function acquireLock(cluster: Cluster, parent: ParentRef, opts: LockOptions = {}): Promise<ApplyLock | undefined> {
  const log = opts.log ?? (() => {});
  const ttlMs = opts.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const pollMs = opts.pollMs ?? 1000;
  const deadline = Date.now() + timeoutMs;
  const now = new Date().toISOString();
  const hostId = opts.identity ? opts.identity.hostId : localHostId();
  const me: LockRecord = {
    holder: randomUUID(),
    command: opts.command ?? 'apply',
    host: opts.identity?.host ?? hostname(),
    pid: opts.identity?.pid ?? process.pid,
    ...(hostId ? { hostId } : {}),
    acquiredAt: now,
    renewedAt: now,
    ttlSeconds: Math.max(1, Math.round(ttlMs / 1000)),
  };
  const held = (): ApplyLock => {
    const lock = new ApplyLock(cluster, parent, me, ttlMs, log);
    lock.start(!!opts.releaseOnSignals);
    return lock;
  };
  let observed: { value: string; since: number } | undefined;
  let announced = false;
  let spins = 0;
  for (;;) {
    // Lost races go round at once, but not forever: the parent changing all the time waits like a held lock.
    if (spins > 3) {
      if (Date.now() >= deadline) {
        throw error('deploy.locked', `could not take the apply lock on ${describeParent(parent)}: the parent kept changing (another run is taking it)`);
      }
      await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      spins = 0;
    }
    const live = await cluster.client.getOptional<KubeObject>(parentApiPath(parent));
    if (!live) {
      if (opts.createParent === false) return undefined;
      me.acquiredAt = me.renewedAt = new Date().toISOString();
      try {
        await cluster.client.request(
          {
            method: 'POST',
            path: parentApiPath(parent).replace(/\/[^/]+$/, ''),
            query: { fieldManager: LOCK_FIELD_MANAGER },
            body: JSON.stringify(newParent(parent, JSON.stringify(me))),
          },
          `apply lock on ${describeParent(parent)}`,
        );
        return held();
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) {
          // Created meanwhile: by another run, or by our own first attempt whose answer was lost. Look again.
          spins++;
          continue;
        }
        if (e instanceof ApiError && e.status === 404) throw new LockNamespaceMissing(parent.namespace);
        throw e;
      }
    }
    checkParent(live, parent);
    const value = live.metadata.annotations?.[ANNOTATION_LOCK];
    const current = parseLock(value);
    let free = !current;
    if (current && current.holder === me.holder) return held(); // our create/patch went through, its answer was lost
    if (current && value) {
      if (observed?.value !== value) observed = { value, since: Date.now() };
      const sameMachine = current.hostId !== undefined && current.hostId === hostId && current.pid !== process.pid;
      if (sameMachine && current.pid > 0 && !processAlive(current.pid)) {
        log(`taking over the apply lock on ${describeParent(parent)}: its holder ${describeLock(current)} is gone`);
        free = true;
      } else if (Date.now() - observed.since >= current.ttlSeconds * 1000) {
        log(`taking over the apply lock on ${describeParent(parent)}: ${describeLock(current)} did not renew it for ${current.ttlSeconds}s`);
        free = true;
      }
    }
    if (free) {
      me.acquiredAt = me.renewedAt = new Date().toISOString();
      try {
        await writeLock(cluster, parent, String(live.metadata.resourceVersion), JSON.stringify(me));
        return held();
      } catch (e) {
        if (!isConflict(e)) throw e;
        spins++;
        continue; // someone else wrote the parent in between: look again
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw error(
        'deploy.locked',
        `another ${current!.command} of this project is in progress: the apply lock on ${describeParent(parent)} is held by ${describeLock(current!)}` +
          (timeoutMs > 0 ? `; gave up after waiting ${Math.round(timeoutMs / 1000)}s` : '') +
          ` (rerun when it is done, or wait longer with --lock-timeout; an abandoned lock expires ${current!.ttlSeconds}s after its last renewal)`,
      );
    }
    if (!announced) {
      log(`waiting up to ${Math.round(timeoutMs / 1000)}s for the apply lock on ${describeParent(parent)}, held by ${describeLock(current!)}`);
      announced = true;
    }
    await sleep(Math.min(pollMs, left));
  }
}
