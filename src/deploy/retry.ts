// Bounded exponential backoff with jitter for transient API failures (429, 5xx, connection refused/reset).
import { isRetryable, type ApiError } from './errors.js';

export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 4000 };

/** The delay before attempt `attempt + 1` (attempt counts from 1); honours Retry-After within the bound. */
export function backoffDelay(policy: RetryPolicy, attempt: number, err?: ApiError, random: () => number = Math.random): number {
  if (err?.retryAfter !== undefined) return Math.min(err.retryAfter * 1000, policy.maxDelayMs);
  const exp = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  // "Equal jitter": half fixed, half random, so retries of concurrent requests spread out.
  return Math.round(exp / 2 + (random() * exp) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` until it succeeds, fails with a non-retryable error, or the attempts are used up. */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  onRetry?: (err: ApiError, attempt: number, delayMs: number) => void,
  wait: (ms: number) => Promise<void> = sleep,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err) || attempt >= policy.attempts) throw err;
      const delay = backoffDelay(policy, attempt, err as ApiError);
      onRetry?.(err as ApiError, attempt, delay);
      await wait(delay);
    }
  }
}
