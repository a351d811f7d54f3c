// How builds report progress. On a terminal each service has one live line (its step N/M while building,
// pushed bytes while pushing), redrawn in place; without a terminal (or with --progress plain) every event
// is an ordinary prefixed log line. Progress goes to stderr so stdout stays free for manifests.

export type Phase = 'queued' | 'hashing' | 'building' | 'pushing' | 'done' | 'cached' | 'failed' | 'cancelled';

export interface ProgressReporter {
  phase(service: string, phase: Phase, detail?: string): void;
  step(service: string, n: number, of: number, text: string): void;
  /** One line of build output. */
  output(service: string, line: string): void;
  pushBytes(service: string, current: number, total: number): void;
  /** Free-form note (retries, warnings). */
  note(service: string, text: string): void;
  close(): void;
}

export interface Sink {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export class PlainReporter implements ProgressReporter {
  private readonly width: number;
  private lastPush = new Map<string, number>();
  constructor(
    private readonly out: Sink,
    services: string[],
    private readonly showOutput = true,
  ) {
    this.width = Math.max(0, ...services.map((s) => s.length));
  }
  private line(service: string, text: string): void {
    this.out.write(`${service.padEnd(this.width)} | ${text}\n`);
  }
  phase(service: string, phase: Phase, detail?: string): void {
    if (phase === 'queued' || phase === 'hashing') return;
    this.line(service, detail ? `${phase}: ${detail}` : phase);
  }
  step(service: string, n: number, of: number, text: string): void {
    this.line(service, `step ${n}/${of}: ${text}`);
  }
  output(service: string, line: string): void {
    if (this.showOutput) this.line(service, `  ${line}`);
  }
  pushBytes(service: string, current: number, total: number): void {
    // One line per ~25% so a log stays readable.
    const pct = total > 0 ? Math.floor((current / total) * 4) : 0;
    if (this.lastPush.get(service) === pct) return;
    this.lastPush.set(service, pct);
    this.line(service, `pushed ${humanBytes(current)} of ${humanBytes(total)}`);
  }
  note(service: string, text: string): void {
    this.line(service, text);
  }
  close(): void {}
}

export class TtyReporter implements ProgressReporter {
  private readonly status = new Map<string, string>();
  private readonly order: string[];
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private readonly width: number;
  private readonly started = Date.now();
  constructor(
    private readonly out: Sink,
    services: string[],
  ) {
    this.order = [...services];
    this.width = Math.max(0, ...services.map((s) => s.length));
    for (const s of services) this.status.set(s, 'queued');
    this.timer = setInterval(() => this.flush(), 100);
    this.timer.unref();
  }
  private set(service: string, text: string): void {
    if (!this.status.has(service)) this.order.push(service);
    this.status.set(service, text);
    this.dirty = true;
  }
  phase(service: string, phase: Phase, detail?: string): void {
    this.set(service, detail ? `${phase}: ${detail}` : phase);
    if (phase === 'done' || phase === 'failed' || phase === 'cached' || phase === 'cancelled') this.flush();
  }
  step(service: string, n: number, of: number, text: string): void {
    this.set(service, `building step ${n}/${of}: ${text}`);
  }
  output(): void {}
  pushBytes(service: string, current: number, total: number): void {
    this.set(service, `pushing ${humanBytes(current)} / ${humanBytes(total)}`);
  }
  note(service: string, text: string): void {
    this.set(service, text);
  }
  private flush(): void {
    if (!this.dirty && this.drawn > 0) return;
    this.dirty = false;
    const cols = this.out.columns ?? 100;
    let s = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    for (const name of this.order) {
      const line = `${name.padEnd(this.width)}  ${this.status.get(name) ?? ''}`;
      s += `\x1b[2K${line.length > cols - 1 ? line.slice(0, cols - 2) + '…' : line}\n`;
    }
    this.drawn = this.order.length;
    this.out.write(s);
  }
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.dirty = true;
    this.flush();
    this.out.write(`(${((Date.now() - this.started) / 1000).toFixed(1)} s)\n`);
  }
}

export class QuietReporter implements ProgressReporter {
  phase(): void {}
  step(): void {}
  output(): void {}
  pushBytes(): void {}
  note(): void {}
  close(): void {}
}

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'quiet';

export function createReporter(mode: ProgressMode, out: Sink, services: string[]): ProgressReporter {
  if (mode === 'quiet') return new QuietReporter();
  if (mode === 'tty' || (mode === 'auto' && out.isTTY && process.env.TERM !== 'dumb')) return new TtyReporter(out, services);
  return new PlainReporter(out, services);
}
