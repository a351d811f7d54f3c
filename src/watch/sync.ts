// Copying changed files into running containers, as `kubectl cp` does: a tar stream on the stdin of `tar -x` run
// through pods/exec, extracted at `/` with the container's own user as owner (`-o`, which GNU and busybox tar both
// read as "do not restore the archive's owner"), and `rm -rf` for what was deleted. No new pod.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { packEntries, type ContextEntry } from '../build/index.js';
import type { Cluster, ExecResult, RunningContainer } from '../deploy/index.js';
import { isNotFound } from '../deploy/index.js';
import { mapLimit } from '../model/async.js';
import type { SyncItem } from './plan.js';

/** The image has no `tar` (or no `rm`): files cannot be copied into its containers. */
export class NoTarError extends Error {
  constructor(readonly tool: string) {
    super(`the container has no ${tool}`);
    this.name = 'NoTarError';
  }
}

export interface SyncTarget {
  cluster: Cluster;
  namespace: string;
  containers: readonly RunningContainer[];
  timeoutMs?: number;
}

/** The tar entries for what exists now under the changed paths (a path deleted since is left to `rm`). */
export async function entriesFor(items: readonly SyncItem[]): Promise<{ entries: ContextEntry[]; deleted: string[] }> {
  const entries: ContextEntry[] = [];
  const deleted: string[] = [];
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.containerPath)) continue;
    seen.add(it.containerPath);
    let st;
    try {
      st = it.deleted ? undefined : await fsp.lstat(it.hostPath);
    } catch {
      st = undefined;
    }
    if (!st) {
      deleted.push(it.containerPath);
      continue;
    }
    const name = it.containerPath.replace(/^\/+/, '');
    const base = { name, mode: st.mode & 0o7777, size: 0, mtime: st.mtime, abs: it.hostPath };
    if (st.isDirectory()) entries.push({ ...base, type: 'directory' });
    else if (st.isFile()) entries.push({ ...base, type: 'file', size: st.size });
    else if (st.isSymbolicLink()) entries.push({ ...base, type: 'symlink', linkname: await fsp.readlink(it.hostPath) });
    // Sockets, FIFOs and devices are not copied (docker cp skips them too).
  }
  return { entries, deleted };
}

/**
 * Every file and directory under `dir` (or `dir` itself when it is a file) that `keep` accepts; an ignored
 * directory is not descended into. `files` are the paths that are not directories.
 */
export async function walk(dir: string, keep: (abs: string) => boolean): Promise<{ paths: string[]; files: string[] }> {
  const paths: string[] = [];
  const files: string[] = [];
  const st = await fsp.lstat(dir).catch(() => undefined);
  if (!st) return { paths, files };
  if (!st.isDirectory()) return keep(dir) ? { paths: [dir], files: [dir] } : { paths, files };
  const visit = async (d: string): Promise<void> => {
    for (const entry of (await fsp.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = join(d, entry.name);
      if (!keep(abs)) continue;
      paths.push(abs);
      if (entry.isDirectory()) await visit(abs);
      else files.push(abs);
    }
  };
  await visit(dir);
  return { paths, files };
}

/**
 * Copies the items into every container (at most 4 at once). Throws NoTarError when the image lacks tar or rm,
 * and an Error naming the pod for any other failure.
 */
export async function syncInto(t: SyncTarget, items: readonly SyncItem[]): Promise<void> {
  if (!t.cluster.exec) throw new Error('this cluster connection cannot exec into pods');
  const { entries, deleted } = await entriesFor(items);
  await mapLimit(t.containers, 4, async (c) => {
    const run = async (command: string[], stdin?: Awaited<ReturnType<typeof packEntries>>): Promise<ExecResult> =>
      t.cluster.exec!({ namespace: t.namespace, pod: c.pod, container: c.container, command, stdin, timeoutMs: t.timeoutMs ?? 120_000 });
    if (deleted.length > 0) {
      const r = await run(['rm', '-rf', '--', ...deleted]);
      if (isNotFound(r.startError)) throw new NoTarError('rm');
      if (r.exitCode !== 0) throw new Error(`removing ${deleted.join(', ')} in ${c.pod}: ${(r.startError ?? r.stderr).trim() || `exit code ${r.exitCode}`}`);
    }
    if (entries.length > 0) {
      const r = await run(['tar', '-x', '-o', '-f', '-', '-C', '/'], await packEntries(entries));
      if (isNotFound(r.startError)) throw new NoTarError('tar');
      if (r.exitCode !== 0) throw new Error(`copying into ${c.pod}: ${(r.startError ?? r.stderr).trim() || `tar exited with ${r.exitCode}`}`);
    }
  });
}
