// Tests that spawn the CLI need dist/ built from the current sources; rebuild it when any source is newer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(import.meta.dirname, '..', '..');
export const cliPath = join(root, 'dist', 'cli.js');

/** Newest modification time under a directory (the sources the bundle is built from). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newest(p) : st.mtimeMs);
  }
  return t;
}

export function ensureBuilt(): void {
  const stale = !existsSync(cliPath) || statSync(cliPath).mtimeMs < Math.max(newest(join(root, 'src')), statSync(join(root, 'scripts', 'build.mjs')).mtimeMs);
  if (!stale) return;
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stderr}`);
}

/** A controlled environment for spawned CLIs: no variable of the test runner may change the result. */
export const CLI_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home' };

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The built CLI as a user runs it. `node -- dist/cli.js`: Node 20 itself consumes an `--env-file` found anywhere in
 * argv (it exits 9 on a missing file before the CLI runs); `--` stops its option parsing.
 */
export function runCli(args: string[], cwd: string): Run {
  const r = spawnSync(process.execPath, ['--', cliPath, ...args], { cwd, env: { ...CLI_ENV, PWD: cwd }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** docker compose (the oracle) with the same environment. */
export function runOracle(oracle: string, args: string[], cwd: string): Run {
  const r = spawnSync(oracle, args, { cwd, env: { ...CLI_ENV, PWD: cwd }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
