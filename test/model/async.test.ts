import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/model/async.js';
import { parseRetryAfter, withRetry } from '../../src/model/async.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runPool', () => {
  it('runs at most `limit` at once', async () => {
    let running = 0;
    let peak = 0;
    const res = await runPool([1, 2, 3, 4, 5], 2, async (k) => {
      running++;
      peak = Math.max(peak, running);
      await delay(10);
      running--;
      return k * 2;
    });
    expect(peak).toBe(2);
    expect([...res.values()].map((r) => (r.status === 'ok' ? r.value : -1))).toEqual([2, 4, 6, 8, 10]);
  });

  it('after a failure lets running tasks finish and cancels the rest', async () => {
    const finished: number[] = [];
    const cancelled: number[] = [];
    const res = await runPool(
      [1, 2, 3, 4],
      2,
      async (k) => {
        if (k === 1) throw new Error('boom');
        await delay(20);
        finished.push(k);
        return k;
      },
      { onCancel: (k) => cancelled.push(k) },
    );
    expect(res.get(1)!.status).toBe('failed');
    expect(finished).toEqual([2]);
    expect(cancelled).toEqual([3, 4]);
  });

  it('an abort signal stops new starts', async () => {
    const ac = new AbortController();
    const res = await runPool([1, 2, 3], 1, async (k) => {
      ac.abort();
      return k;
    }, { signal: ac.signal });
    expect([...res.values()].map((r) => r.status)).toEqual(['ok', 'cancelled', 'cancelled']);
  });
});

describe('withRetry', () => {
  it('retries transient errors with growing delays, then gives up', async () => {
    const delays: number[] = [];
    let n = 0;
    await expect(
      withRetry(async () => {
        n++;
        throw new Error('transient');
      }, { attempts: 4, baseDelayMs: 2, isTransient: () => true, onRetry: (_e, _a, d) => delays.push(d) }),
    ).rejects.toThrow('transient');
    expect(n).toBe(4);
    expect(delays).toHaveLength(3);
    expect(delays[2]!).toBeGreaterThan(delays[0]!);
  });

  it('waits what the failure asks for (Retry-After) when that is longer than the backoff, up to 30 s', async () => {
    const delays: number[] = [];
    let n = 0;
    await withRetry(
      async () => {
        if (++n < 3) throw new Error('busy');
      },
      { attempts: 3, baseDelayMs: 1, isTransient: () => true, delayFor: () => (n === 1 ? 40 : 0), onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(delays[0]).toBe(40);
    expect(delays[1]).toBeLessThan(5);
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 10_000).toUTCString())).toBeGreaterThan(8000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('stops when interrupted during the wait, with the last failure', async () => {
    const ac = new AbortController();
    let n = 0;
    const p = withRetry(async () => { n++; throw new Error(`fail ${n}`); }, { attempts: 5, baseDelayMs: 10_000, isTransient: () => true, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toThrow('fail 1');
    expect(n).toBe(1);
  });

  it('does not retry permanent errors', async () => {
    let n = 0;
    await expect(withRetry(async () => { n++; throw new Error('no'); }, { attempts: 5, baseDelayMs: 1, isTransient: () => false })).rejects.toThrow('no');
    expect(n).toBe(1);
  });
});
