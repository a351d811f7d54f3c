// Retrying transient failures with exponential backoff (and a little jitter).

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs: number;
  maxDelayMs?: number;
  isTransient: (e: unknown) => boolean;
  /** A delay the failure itself asks for (e.g. a registry's Retry-After), used instead of the backoff when longer. */
  delayFor?: (e: unknown) => number | undefined;
  onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
}

/**
 * 5 attempts, waiting about 1, 2, 4 and 8 s in between: a registry that restarts, or sheds load for a few
 * seconds, is ridden out; one that stays down is reported after ~15 s.
 */
export const DEFAULT_RETRY = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000 };

/** The longest wait a Retry-After header may impose between two attempts. */
export const MAX_RETRY_AFTER_MS = 30_000;

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= o.attempts || !o.isTransient(e) || o.signal?.aborted) throw e;
      const backoff = Math.min(o.maxDelayMs ?? Infinity, o.baseDelayMs * 2 ** (attempt - 1)) * (0.85 + Math.random() * 0.3);
      const asked = o.delayFor?.(e);
      const delay = asked !== undefined && asked > backoff ? Math.min(asked, MAX_RETRY_AFTER_MS) : backoff;
      o.onRetry?.(e, attempt, delay);
      await sleep(delay, o.signal);
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
