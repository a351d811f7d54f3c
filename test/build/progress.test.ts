import { describe, expect, it } from 'vitest';
import { createReporter, humanBytes, PlainReporter, TtyReporter } from '../../src/build/progress.js';

describe('progress', () => {
  it('plain mode writes prefixed log lines', () => {
    let out = '';
    const r = new PlainReporter({ write: (s: string) => (out += s) }, ['web', 'worker']);
    r.phase('web', 'building', 'proj-web:c2k-1');
    r.step('web', 1, 3, 'FROM scratch');
    r.output('web', 'hello');
    r.pushBytes('worker', 10, 100);
    r.pushBytes('worker', 11, 100);
    r.pushBytes('worker', 100, 100);
    r.close();
    expect(out).toBe(
      ['web    | building: proj-web:c2k-1', 'web    | step 1/3: FROM scratch', 'web    |   hello', 'worker | pushed 10 B of 100 B', 'worker | pushed 100 B of 100 B', ''].join('\n'),
    );
  });

  it('tty mode redraws one line per service in place', () => {
    let out = '';
    const r = new TtyReporter({ write: (s: string) => (out += s), isTTY: true, columns: 60 }, ['web', 'api']);
    r.step('web', 2, 5, 'COPY . /app');
    r.phase('api', 'done', 'x@sha256:1');
    r.pushBytes('web', 1500, 3_000_000);
    r.close();
    expect(out).toContain('\x1b[2Kweb  building step 2/5: COPY . /app\n');
    expect(out).toContain('\x1b[2F');
    expect(out).toContain('web  pushing 1.5 kB / 3.0 MB');
    expect(out).toContain('api  done: x@sha256:1');
  });

  it('auto picks tty only on a terminal', () => {
    expect(createReporter('auto', { write: () => true, isTTY: false }, [])).toBeInstanceOf(PlainReporter);
    const t = createReporter('auto', { write: () => true, isTTY: true }, []);
    t.close();
    expect(t).toBeInstanceOf(process.env.TERM === 'dumb' ? PlainReporter : TtyReporter);
  });

  it('formats bytes', () => {
    expect([humanBytes(999), humanBytes(1_900_000), humanBytes(25_000_000_000)]).toEqual(['999 B', '1.9 MB', '25 GB']);
  });
});
