// Resource bounds: hostile sizes either work within the limits the README states ("Limits and guarantees") or
// fail fast with a clear message; time and peak RSS are measured with /usr/bin/time -f %M (skipped visibly when
// it is missing). The figures printed here are the ones recorded in docs/reliability.md.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, ENV, ensureBuilt, STACK_LINE, tempDir } from './cli-helpers.js';

const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);
if (!haveTime) console.warn('/usr/bin/time is missing: peak-RSS measurements are SKIPPED (apt-get install time)');

/** Stated limits (README "Limits and guarantees"); generous against a loaded 2-core CI machine. */
const MAX_RSS_KB = 600 * 1024;
const FAIL_FAST_MS = 20_000;

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = tempDir('c2k-bounds-');
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Measured {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  rssKb?: number;
}

function measure(args: string[], file: string): Measured {
  const t0 = Date.now();
  const cmd = haveTime ? TIME : process.execPath;
  const argv = haveTime ? ['-f', '%M', process.execPath, '--', cliPath, ...args, '-f', file] : ['--', cliPath, ...args, '-f', file];
  const r = spawnSync(cmd, argv, { cwd: dir, env: { ...ENV, PWD: dir }, encoding: 'utf8', timeout: 120_000, maxBuffer: 512 * 1024 * 1024 });
  const ms = Date.now() - t0;
  let stderr = r.stderr;
  let rssKb: number | undefined;
  if (haveTime) {
    const lines = stderr.trimEnd().split('\n');
    rssKb = Number(lines.pop());
    stderr = lines.filter((l) => !/^Command exited with non-zero status/.test(l)).join('\n');
  }
  console.info(`${args.join(' ')} ${file}: exit ${r.status}, ${ms} ms, peak RSS ${rssKb ?? '?'} KB`);
  return { status: r.status, stdout: r.stdout, stderr, ms, rssKb };
}

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function expectFastFailure(m: Measured, message: RegExp): void {
  expect(m.status).toBe(1);
  expect(m.stdout).toBe('');
  expect(m.stderr).toMatch(message);
  expect(m.stderr).not.toMatch(STACK_LINE);
  expect(m.stderr).not.toMatch(/internal error/);
  expect(m.ms).toBeLessThan(FAIL_FAST_MS);
  if (m.rssKb !== undefined) expect(m.rssKb).toBeLessThan(MAX_RSS_KB);
}

describe('hostile sizes fail fast with a clear message and bounded memory', () => {
  test('billion laughs (9 levels of 9 aliases)', () => {
    const lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) lines.push(`x-${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    const f = write('bomb.yaml', `${lines.join('\n')}\nservices:\n  web:\n    image: nginx\n`);
    expectFastFailure(measure(['config'], f), /error: too many alias expansions .*alias bomb/);
  });

  test('10,000 levels of flow nesting, and of block nesting past the limit', () => {
    const flow = write('deep-flow.yaml', `services:\n  web:\n    image: nginx\nx-deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
    expectFastFailure(measure(['config'], flow), /deep-flow\.yaml:4:\d+: error: nesting deeper than 250 levels/);
    const maps = write('deep-map.yaml', `services:\n  web:\n    image: nginx\nx-deep: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`);
    expectFastFailure(measure(['convert'], maps), /error: nesting deeper than 250 levels/);
    const block = ['services:', '  web:', '    image: nginx', 'x-deep:'];
    for (let i = 1; i <= 2000; i++) block.push(`${' '.repeat(i)}k:`);
    block.push(`${' '.repeat(2001)}v`);
    expectFastFailure(measure(['convert'], write('deep-block.yaml', block.join('\n') + '\n')), /deep-block\.yaml:\d+:\d+: error: nesting deeper than 250 levels/);
  });

  test('nesting just under the limit works through config and convert', () => {
    const f = write('deep-ok.yaml', `services:\n  web:\n    image: nginx\nx-deep: ${'['.repeat(240)}1${']'.repeat(240)}\n`);
    for (const cmd of ['config', 'convert']) {
      const m = measure([cmd], f);
      expect(m.status, m.stderr).toBe(0);
    }
  });

  test('a 50 MB compose file is refused before it is read', () => {
    const line = `  - ${'y'.repeat(96)}\n`;
    const f = write('huge.yaml', 'services:\n  web:\n    image: nginx\nx-pad:\n' + line.repeat(Math.ceil((50 * 1024 * 1024) / line.length)));
    const m = measure(['config'], f);
    expectFastFailure(m, /huge\.yaml: error: file is larger than 32 MiB; refusing to parse it/);
    rmSync(f);
  });

  test('a 20 MB scalar on one line works (within the limits)', () => {
    const f = write('long.yaml', `services:\n  web:\n    image: nginx\n    labels:\n      big: "${'x'.repeat(20_000_000)}"\n`);
    const m = measure(['config'], f);
    expect(m.status, m.stderr.slice(0, 500)).toBe(0);
    expect(m.stdout.length).toBeGreaterThan(20_000_000);
    if (m.rssKb !== undefined) expect(m.rssKb).toBeLessThan(MAX_RSS_KB);
    rmSync(f);
  });

  // Known gap (docs/reliability.md): objects over the API server's ~1.5 MB request limit are emitted without an
  // error; the API server refuses them at apply time. Only "no crash" is asserted here.
  test('a 5 MB env value and a 2 MB env_file line: no crash', () => {
    writeFileSync(join(dir, 'big.env'), `BIG=${'v'.repeat(2_000_000)}\n`);
    const f = write('bigenv.yaml', `services:\n  web:\n    image: nginx\n    env_file: big.env\n    environment:\n      HUGE: "${'h'.repeat(5_000_000)}"\n`);
    const m = measure(['convert'], f);
    // The env_file becomes a ConfigMap over the 1 MiB API limit: a located error, not a crash.
    expect([0, 1]).toContain(m.status);
    expect(m.stderr).not.toMatch(STACK_LINE);
    expect(m.stderr).not.toMatch(/internal error/);
    if (m.status === 1) expect(m.stdout).toBe('');
  });

  test('2,000 services: config and convert finish within the stated time and memory', () => {
    let text = 'services:\n';
    for (let i = 0; i < 2000; i++) {
      text += `  svc${i}:\n    image: nginx:${i % 7}\n    ports: ["${8000 + (i % 1000)}:80"]\n    environment:\n      A: "${i}"\n`;
      if (i > 0) text += `    depends_on: [svc${i - 1}]\n`;
    }
    const f = write('many.yaml', text);
    for (const cmd of ['config', 'convert']) {
      const m = measure([cmd], f);
      expect(m.status, m.stderr.slice(0, 500)).toBe(0);
      expect(m.ms).toBeLessThan(120_000);
      if (m.rssKb !== undefined) expect(m.rssKb).toBeLessThan(MAX_RSS_KB);
    }
  }, 300_000);
});
