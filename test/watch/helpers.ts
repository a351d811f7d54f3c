// A compose project on disk, loaded and lowered the way `watch` sees it (paths resolved by the loader).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileSync } from '../../src/compile/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';

/** Writes `files` (path -> content) under a new temporary directory. */
export function projectDir(files: Record<string, string>): { dir: string; write(path: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'c2k-watch-'));
  const write = (path: string, content: string): string => {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
    return abs;
  };
  for (const [p, c] of Object.entries(files)) write(p, c);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function compileIn(dir: string) {
  const diagnostics = new Diagnostics();
  const compiled = compileSync({ load: { cwd: dir, env: {} }, lower: { watch: true }, diagnostics });
  if (diagnostics.errors.length > 0) throw new Error(diagnostics.errors.map((d) => d.message).join('\n'));
  return compiled;
}
