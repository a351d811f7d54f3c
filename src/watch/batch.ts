// Coalescing file events into batches, one queue per service. A batch starts once the events have been quiet for
// `quietMs` (an editor saving several files, a `git checkout`), or at the latest `maxWaitMs` after its first
// event, so a steady stream of writes cannot hold everything back. While a batch runs (a rebuild may take
// seconds), new events pile up into exactly one next batch, which starts when the running one ends.

/** What happened to a path; the last event of a path in a batch wins. */
export type Change = 'upsert' | 'delete';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

export interface CoalescerOptions {
  quietMs: number;
  maxWaitMs: number;
  timers?: Timers;
}

export class Coalescer {
  private pending = new Map<string, Change>();
  private firstAt = 0;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private readonly timers: Timers;
  private closed = false;

  constructor(
    private readonly run: (batch: Map<string, Change>) => Promise<void>,
    private readonly o: CoalescerOptions,
  ) {
    this.timers = o.timers ?? realTimers;
  }

  add(path: string, change: Change): void {
    if (this.closed) return;
    // Re-inserting keeps the order of last change, which is the order files are reported in.
    this.pending.delete(path);
    this.pending.set(path, change);
    if (this.pending.size === 1) this.firstAt = this.timers.now();
    if (!this.running) this.schedule();
  }

  /** A batch is running. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Resolves when no batch runs and none is waiting (tests; shutdown uses close). */
  async idle(): Promise<void> {
    while (this.running || this.timer !== undefined) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Drops what is pending and starts nothing more; resolves when the running batch (if any) ends. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.running;
  }

  private schedule(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.o.quietMs, this.firstAt + this.o.maxWaitMs - this.timers.now()));
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
  }

  private flush(): void {
    if (this.pending.size === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = new Map();
    this.running = (async () => {
      try {
        await this.run(batch);
      } catch {
        // The runner reports its own failures; a batch that throws must not stop the queue.
      } finally {
        this.running = undefined;
        if (this.pending.size > 0 && !this.closed) {
          this.firstAt = this.timers.now();
          this.schedule();
        }
      }
    })();
  }
}
