// Files a compose project makes us read or hand on: where they are and what they are. Reading a FIFO, a
// device or a socket could hang (a FIFO without a writer blocks open(2) forever) or never end (/dev/zero), so
// every file named by compose content is read through `readRegularFile`, which refuses anything that is not a
// regular file without blocking. `checkProjectPaths` warns (or, with `restrictPaths`, fails) when a path of
// the project (env_file, label_file, bind mount, build context, secret or config file) leaves the project
// directory, through `..`, an absolute path or a symlink, or names a special file.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Diagnostics } from '../model/diagnostics.js';
import type { Project, SourceLocation } from '../model/project.js';
import { contextKind, localPaths, type LocalPath } from './resolve-paths.js';

/** Largest file of the project we read into memory (env files, secrets, configs): the compose file limit. */
export const MAX_READ_BYTES = 32 * 1024 * 1024;

/** Thrown by readRegularFile; `code` is an errno-like string (`ENOENT`, `EACCES`, `ESPECIAL`, `ETOOBIG`, ...). */
export class ReadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ReadError';
  }
}

export function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Reads a regular file without ever blocking on a special one: stat first (no open of a device), then open
 * with O_NONBLOCK (a FIFO swapped in meanwhile opens at once instead of waiting for a writer) and check the
 * opened file again. Files larger than `limit` are refused before reading.
 */
export function readRegularFile(path: string, limit = MAX_READ_BYTES): Buffer {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadError(code, errnoText(code, path, e));
  }
  if (!st.isFile()) throw new ReadError(st.isDirectory() ? 'EISDIR' : 'ESPECIAL', `${path} is ${kindOf(st)}`);
  if (st.size > limit) throw new ReadError('ETOOBIG', `${path} is ${st.size} bytes, more than the ${limit / (1024 * 1024)} MiB limit`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ReadError(code, errnoText(code, path, e));
  }
  try {
    const fst = fstatSync(fd);
    if (!fst.isFile()) throw new ReadError('ESPECIAL', `${path} is ${kindOf(fst)}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(Math.max(fst.size - total, 0) + 1, 1024 * 1024) || 65536);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new ReadError('ETOOBIG', `${path} is more than the ${limit / (1024 * 1024)} MiB limit`);
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

function errnoText(code: string, path: string, e: unknown): string {
  if (code === 'ENOENT') return `${path}: no such file or directory`;
  if (code === 'EACCES') return `${path}: permission denied`;
  if (code === 'ELOOP') return `${path}: too many levels of symbolic links`;
  return `${path}: ${(e as Error).message}`;
}

/** The real path of `p`, following symlinks as far as the path exists (the rest is appended lexically). */
export function realish(p: string): string {
  const abs = resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    return parent === abs ? abs : join(realish(parent), basename(abs));
  }
}

function inside(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface PathCheckOptions {
  projectDir: string;
  /** Refuse (error) instead of warning. */
  restrict: boolean;
  diagnostics: Diagnostics;
  locate: (path: string) => SourceLocation | undefined;
  /** For `~` in bind mounts; default: the user's home directory. */
  home?: string;
}

/** The local paths of the project (resolve-paths.ts's table), then the Dockerfile of each local build. */
function candidates(project: Project, home: string): LocalPath[] {
  // Bind sources are resolved with the project's HOME; a `~` left here is the user's.
  const out = localPaths(project).map((c) => (c.what === 'bind mount source' && c.path.startsWith('~') ? { ...c, path: join(home, c.path.slice(1)) } : c));
  for (const [name, svc] of Object.entries(project.services)) {
    const build = svc.build;
    if (!build || contextKind(build.context) !== 'local' || !build.dockerfile || build.dockerfile_inline) continue;
    out.push({ at: `services.${name}.build.dockerfile`, what: 'Dockerfile', path: resolve(build.context, build.dockerfile), read: true });
  }
  return out;
}

/** What the checks need to know about one path; services often share env files and bind sources. */
interface PathFacts {
  /** Set when the path exists and is neither a regular file nor a directory. */
  special: Stats | undefined;
  /** undefined when the path (followed through symlinks) stays inside the project directory. */
  outside: { via: string } | undefined;
}

function factsOf(path: string, root: string): PathFacts {
  let st: Stats | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined; // missing (reported where it is used) or a symlink loop (never followed by us)
  }
  const special = st && !st.isFile() && !st.isDirectory() ? st : undefined;
  const real = realish(path);
  if (inside(root, real)) return { special, outside: undefined };
  const via = real !== resolve(path) && inside(root, resolve(path)) ? ` (through a symlink, to ${real})` : '';
  return { special, outside: { via } };
}

/**
 * Warns (errors with `restrict`) about project paths outside the project directory or naming special files.
 * A special file we would read ourselves is always an error: reading it could hang or never end.
 */
export function checkProjectPaths(project: Project, o: PathCheckOptions): void {
  const root = realish(o.projectDir);
  const known = new Map<string, PathFacts>();
  for (const c of candidates(project, o.home ?? homedir())) {
    if (!isAbsolute(c.path)) continue; // canonical forms made every local path absolute; anything else is not a path
    let facts = known.get(c.path);
    if (!facts) {
      facts = factsOf(c.path, root);
      known.set(c.path, facts);
    }
    const where = () => ({ path: c.at, ...o.locate(c.at) });
    if (facts.special) {
      const message = `${c.what} ${c.path} is ${kindOf(facts.special)}${c.read ? ': refusing to read it' : ''}`;
      if (c.read || o.restrict) o.diagnostics.error('paths.special-file', message + (c.read ? '' : ' (--restrict-paths)'), where());
      else o.diagnostics.warn('paths.special-file', message, where());
    }
    if (facts.outside) {
      const message = `${c.what} ${c.path}${facts.outside.via} is outside the project directory ${o.projectDir}`;
      if (o.restrict) o.diagnostics.error('paths.outside-project', `${message} (--restrict-paths)`, where());
      else o.diagnostics.warn('paths.outside-project', message, where());
    }
  }
}
