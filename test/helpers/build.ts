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
