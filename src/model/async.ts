// The two mechanisms of waiting that build/ and deploy/ share: retrying transient failures with backoff, and
// running tasks with a bound on how many are in flight. One of each, with the policies of each caller named here.

export interface RetryPolicy {
  /** Total attempts, including the first (>= 1). */
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs: number;
  /** Upper bound of one backoff delay. */
  maxDelayMs?: number;
}

export interface RetryOptions extends RetryPolicy {
  isTransient: (e: unknown) => boolean;
  /** A delay the failure itself asks for (a Retry-After header), used instead of the backoff when longer. */
  delayFor?: (e: unknown) => number | undefined;
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  /** How to wait (tests pass one that records instead of sleeping). */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/**
 * Registries (build, push, digests): 5 attempts, about 1, 2, 4 and 8 s apart, so a registry that restarts or sheds
 * load for a few seconds is ridden out and one that stays down is reported after ~15 s.
 */
export const REGISTRY_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000 };

/**
 * The API server (deploy): 6 attempts from 250 ms up to 4 s apart. Its transient failures (429 from priority and
 * fairness, a restarting apiserver) are short, and a deploy applies many objects at once, so retries start sooner.
 */
export const API_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 4000 };

/** The longest wait a Retry-After header may impose between two attempts. */
export const MAX_RETRY_AFTER_MS = 30_000;

/** The delay before attempt `attempt + 1`: exponential, bounded, ±15% jitter so that concurrent retries spread out. */
export function backoffDelay(policy: RetryPolicy, attempt: number, asked?: number, random: () => number = Math.random): number {
  const backoff = Math.min(policy.maxDelayMs ?? Infinity, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.85 + random() * 0.3);
  return Math.round(asked !== undefined && asked > backoff ? Math.min(asked, MAX_RETRY_AFTER_MS) : backoff);
}

/** Runs `fn` until it succeeds, fails with a non-transient error, the attempts are used up, or `signal` aborts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const wait = o.wait ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= o.attempts || !o.isTransient(e) || o.signal?.aborted) throw e;
      const delay = backoffDelay(o, attempt, o.delayFor?.(e), o.random);
      o.onRetry?.(e, attempt, delay);
      await wait(delay, o.signal);
      // Interrupted while waiting: report the failure we had rather than starting another attempt.
      if (o.signal?.aborted) throw e;
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Seconds (or an HTTP date) of a Retry-After header, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export type Outcome<T> = { status: 'ok'; value: T } | { status: 'failed'; error: unknown } | { status: 'cancelled' };

/**
 * Runs `task` for each key with at most `limit` in flight. By default, after the first failure no new task starts
 * (those not started are `cancelled`) while the running ones finish; an abort signal also stops new starts.
 */
export async function runPool<K, T>(
  keys: readonly K[],
  limit: number,
  task: (key: K, index: number) => Promise<T>,
  o: { signal?: AbortSignal; stopOnFailure?: boolean; onCancel?: (key: K) => void } = {},
): Promise<Map<K, Outcome<T>>> {
  const results = new Map<K, Outcome<T>>();
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const index = next++;
      const key = keys[index]!;
      if ((failed && o.stopOnFailure !== false) || o.signal?.aborted) {
        results.set(key, { status: 'cancelled' });
        o.onCancel?.(key);
        continue;
      }
      try {
        results.set(key, { status: 'ok', value: await task(key, index) });
      } catch (error) {
        failed = true;
        results.set(key, { status: 'failed', error });
      }
    }
  };
  const n = Math.max(1, Math.min(limit, keys.length));
  await Promise.all(Array.from({ length: n }, () => worker()));
  return results;
}

/** `runPool` over every item, results in input order; the first failure (by position) is thrown once all ended. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const outcomes = await runPool(items.map((_, i) => i), limit, (i) => fn(items[i]!, i), { stopOnFailure: false });
  return items.map((_, i) => {
    const o = outcomes.get(i)!;
    if (o.status !== 'ok') throw o.status === 'failed' ? o.error : new Error('cancelled');
    return o.value;
  });
}
