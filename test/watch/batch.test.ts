// Coalescing: a burst becomes one batch after the quiet period, a steady stream is cut at maxWait, the last event
// of a path wins, and changes during a running batch (a rebuild) make exactly one more batch.
import { describe, expect, it } from 'vitest';
import { Coalescer, type Change, type Timers } from '../../src/watch/batch.js';

/** A clock the test advances by hand. */
class Clock implements Timers {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.id;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  /** Advances time, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(run?: (batch: Map<string, Change>) => Promise<void>) {
  const clock = new Clock();
  const batches: Map<string, Change>[] = [];
  const q = new Coalescer(
    async (b) => {
      batches.push(b);
      await run?.(b);
    },
    { quietMs: 200, maxWaitMs: 2000, timers: clock },
  );
  return { clock, batches, q };
}

describe('Coalescer', () => {
  it('a burst of 50 writes is one batch, after the quiet period', async () => {
    const { clock, batches, q } = setup();
    for (let i = 0; i < 50; i++) {
      if (i > 0) await clock.advance(5);
      q.add(`/p/f${i}`, 'upsert');
    }
    expect(batches).toHaveLength(0);
    await clock.advance(199);
    expect(batches).toHaveLength(0);
    await clock.advance(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.size).toBe(50);
  });

  it('a steady stream is cut at maxWait so changes are not held back forever', async () => {
    const { clock, batches, q } = setup();
    for (let i = 0; i < 30; i++) {
      q.add(`/p/f${i}`, 'upsert');
      await clock.advance(100);
    }
    expect(batches.length).toBeGreaterThanOrEqual(1);
    expect(batches[0]!.size).toBe(20); // 2000 ms of events, 100 ms apart
  });

  it('the last event of a path wins', async () => {
    const { clock, batches, q } = setup();
    q.add('/p/a', 'upsert');
    q.add('/p/a', 'delete');
    q.add('/p/b', 'delete');
    q.add('/p/b', 'upsert');
    await clock.advance(200);
    expect([...batches[0]!]).toEqual([
      ['/p/a', 'delete'],
      ['/p/b', 'upsert'],
    ]);
  });

  it('changes during a running batch give exactly one more batch, after it', async () => {
    let release!: () => void;
    const { clock, batches, q } = setup((b) => (b.has('/p/first') ? new Promise<void>((r) => (release = r)) : Promise.resolve()));
    q.add('/p/first', 'upsert');
    await clock.advance(200);
    expect(batches).toHaveLength(1);
    expect(q.busy).toBe(true);
    // A rebuild is running: 10 more changes over 5 s.
    for (let i = 0; i < 10; i++) {
      q.add(`/p/during${i}`, 'upsert');
      await clock.advance(500);
    }
    expect(batches).toHaveLength(1);
    release();
    await flush();
    await clock.advance(200);
    expect(batches).toHaveLength(2);
    expect(batches[1]!.size).toBe(10);
    await clock.advance(10_000);
    expect(batches).toHaveLength(2);
  });

  it('a failing batch does not stop the queue; close drops what is pending', async () => {
    const { clock, batches, q } = setup(async () => {
      throw new Error('boom');
    });
    q.add('/p/a', 'upsert');
    await clock.advance(200);
    q.add('/p/b', 'upsert');
    await clock.advance(200);
    expect(batches).toHaveLength(2);
    q.add('/p/c', 'upsert');
    await q.close();
    await clock.advance(1000);
    expect(batches).toHaveLength(2);
  });
});
