// Running the built CLI (dist/cli.js) as a user does, rebuilding it first when the sources are newer.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './harness.js';
import { ensureBuilt } from '../helpers/build.js';

export const cliPath = join(root, 'dist', 'cli.js');
export const STACK_LINE = /^\s{4}at /m;

export { ensureBuilt };

export interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A controlled environment: no variable of the test runner may change the result. */
export const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home' };

export function cli(args: string[], cwd: string, opts: { env?: Record<string, string>; timeout?: number; input?: string } = {}): Run {
  const t0 = Date.now();
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, ['--', cliPath, ...args], {
    cwd,
    env: { ...ENV, PWD: cwd, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 60_000,
    input: opts.input,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

export function tempDir(prefix = 'c2k-hard-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
