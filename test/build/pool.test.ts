import { describe, expect, it } from 'vitest';
import { runPool } from '../../src/build/pool.js';
import { withRetry } from '../../src/build/retry.js';

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

  it('does not retry permanent errors', async () => {
    let n = 0;
    await expect(withRetry(async () => { n++; throw new Error('no'); }, { attempts: 5, baseDelayMs: 1, isTransient: () => false })).rejects.toThrow('no');
    expect(n).toBe(1);
  });
});
