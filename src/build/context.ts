// The build context: the files under the context directory that .dockerignore lets through (BuildKit's
// `<Dockerfile>.dockerignore` next to the Dockerfile wins over the context's `.dockerignore`), walked in a
// stable order, hashed by content (not by mtime) for the input digest, and streamed to the engine as a tar.
// The Dockerfile and .dockerignore are always sent, like the docker CLI does. A Dockerfile outside the
// context, or an inline one, is injected under a generated name.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp, readFileSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep, isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import dockerignore from '@balena/dockerignore';
import type { Header, Pack } from 'tar-stream';

type Headers = Partial<Header> & { name: string };
import { contextKind } from '../compose/index.js';
import { error } from '../model/diagnostics.js';

export interface ContextEntry {
  /** Path inside the context, `/`-separated, no leading `./`. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (and setuid/setgid/sticky). */
  mode: number;
  size: number;
  mtime: Date;
  /** Absolute path on disk (absent for injected entries). */
  abs?: string;
  /** Symlink target. */
  linkname?: string;
  /** Content of injected entries (the inline or outside-the-context Dockerfile). */
  content?: Buffer;
  /** sha256 of the content (files), filled by the walk. */
  sha256?: string;
}

export interface BuildContext {
  dir: string;
  entries: ContextEntry[];
  /** The Dockerfile's path inside the tar (what the engine's `dockerfile` parameter names). */
  dockerfileName: string;
  dockerfileContent: string;
  /** Which ignore file applied, if any (absolute path). */
  ignoreFile?: string;
  /** sha256 over every entry's name, type, mode, link target and content. */
  digest: string;
}

export interface ContextSpec {
  /** Absolute context directory. */
  context: string;
  /** Dockerfile path relative to the context, or absolute. */
  dockerfile?: string;
  dockerfileInline?: string;
  /** For diagnostics. */
  path?: string;
}

/** Reads .dockerignore syntax: comments, blank lines, leading `/` and `./` trimmed like moby's ReadAll. */
export function parseDockerignore(text: string): string[] {
  return ignorePatterns(text.split(/\r?\n/));
}

/** Pattern lines as moby reads them: comments and blank lines dropped, leading `/` and `./` trimmed. */
function ignorePatterns(lines: string[]): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let neg = false;
    if (line.startsWith('!')) {
      neg = true;
      line = line.slice(1).trim();
    }
    line = line.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
    if (line === '') continue;
    out.push(neg ? `!${line}` : line);
  }
  return out;
}

const INJECTED_PREFIX = '.compose2k8s.Dockerfile.';

export async function loadContext(spec: ContextSpec): Promise<BuildContext> {
  const dir = resolve(spec.context);
  let st: Stats;
  try {
    st = await fsp.stat(dir);
  } catch {
    throw error('build.context-missing', `build context ${dir} does not exist`, { path: spec.path ? `${spec.path}.context` : undefined });
  }
  if (!st.isDirectory()) throw error('build.context-missing', `build context ${dir} is not a directory`, { path: spec.path ? `${spec.path}.context` : undefined });

  // Which Dockerfile, and where it goes in the tar.
  let dockerfileName: string;
  let dockerfileContent: string;
  let injected: ContextEntry | undefined;
  let dockerfileAbs: string | undefined;
  if (spec.dockerfileInline !== undefined) {
    const content = Buffer.from(spec.dockerfileInline);
    dockerfileName = INJECTED_PREFIX + createHash('sha256').update(content).digest('hex').slice(0, 12);
    dockerfileContent = spec.dockerfileInline;
    injected = { name: dockerfileName, type: 'file', mode: 0o644, size: content.length, mtime: new Date(0), content };
  } else {
    dockerfileAbs = resolve(dir, spec.dockerfile ?? 'Dockerfile');
    try {
      dockerfileContent = readFileSync(dockerfileAbs, 'utf8');
    } catch {
      throw error('build.dockerfile-missing', `Dockerfile ${dockerfileAbs} not found`, { path: spec.path ? `${spec.path}.dockerfile` : undefined });
    }
    const rel = relative(dir, dockerfileAbs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      const content = Buffer.from(dockerfileContent);
      dockerfileName = INJECTED_PREFIX + createHash('sha256').update(content).digest('hex').slice(0, 12);
      injected = { name: dockerfileName, type: 'file', mode: 0o644, size: content.length, mtime: new Date(0), content };
    } else {
      dockerfileName = rel.split(sep).join('/');
    }
  }

  const ignoreFile = ignoreFileOf(dir, dockerfileAbs);
  const patterns = ignoreFile ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  const ig = createIgnore().add(patterns);
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  const alwaysKeep = new Set(['.dockerignore']);
  if (!injected) alwaysKeep.add(dockerfileName);

  const entries: ContextEntry[] = [];
  const walk = async (absDir: string, relDir: string): Promise<void> => {
    let names: string[];
    try {
      names = await fsp.readdir(absDir);
    } catch (e) {
      throw error('build.context-unreadable', `cannot read ${absDir}: ${(e as Error).message}`);
    }
    names.sort();
    for (const n of names) {
      const rel = relDir ? `${relDir}/${n}` : n;
      const abs = join(absDir, n);
      const lst = await fsp.lstat(abs);
      const ignored = patterns.length > 0 && !alwaysKeep.has(rel) && ig.ignores(rel);
      if (lst.isDirectory()) {
        if (ignored && !hasExceptions) continue;
        if (!ignored) entries.push({ name: rel, type: 'directory', mode: lst.mode & 0o7777, size: 0, mtime: lst.mtime, abs });
        await walk(abs, rel);
        continue;
      }
      if (ignored) continue;
      if (lst.isFile()) {
        entries.push({ name: rel, type: 'file', mode: lst.mode & 0o7777, size: lst.size, mtime: lst.mtime, abs });
      } else if (lst.isSymbolicLink()) {
        entries.push({ name: rel, type: 'symlink', mode: lst.mode & 0o7777, size: 0, mtime: lst.mtime, abs, linkname: await fsp.readlink(abs) });
      }
      // Sockets, FIFOs and devices are not sent (the docker CLI skips them too).
    }
  };
  await walk(dir, '');
  if (injected) entries.push(injected);

  const h = createHash('sha256');
  for (const e of entries) {
    if (e.type === 'file') e.sha256 = e.content ? createHash('sha256').update(e.content).digest('hex') : await hashFile(e.abs!);
    h.update(`${e.type}\0${e.name}\0${e.mode.toString(8)}\0${e.linkname ?? ''}\0${e.sha256 ?? ''}\n`);
  }
  return { dir, entries, dockerfileName, dockerfileContent, ignoreFile, digest: h.digest('hex') };
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  const st = await fsp.stat(path);
  if (st.size < 1 << 20) {
    h.update(await fsp.readFile(path));
    return h.digest('hex');
  }
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Streams the context as an uncompressed tar (owner 0:0, like the docker CLI). */
export function contextTar(ctx: BuildContext): Promise<Readable> {
  return packEntries(ctx.entries);
}

/** Entries as an uncompressed tar stream, owner 0:0, file content read from `abs` as the stream is consumed. */
export async function packEntries(entries: readonly ContextEntry[]): Promise<Readable> {
  const { pack: createPack } = await import('tar-stream');
  const pack = createPack();
  void (async () => {
    try {
      for (const e of entries) {
        const header = { name: e.name, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, uname: '', gname: '' };
        if (e.type === 'directory') {
          await addEntry(pack, { ...header, type: 'directory' });
        } else if (e.type === 'symlink') {
          await addEntry(pack, { ...header, type: 'symlink', linkname: e.linkname ?? '' });
        } else if (e.content) {
          await addEntry(pack, { ...header, type: 'file', size: e.content.length }, e.content);
        } else {
          const st = await fsp.stat(e.abs!);
          if (st.size < 1 << 20) {
            const buf = await fsp.readFile(e.abs!);
            await addEntry(pack, { ...header, type: 'file', size: buf.length }, buf);
          } else {
            await addStreamEntry(pack, { ...header, type: 'file', size: st.size }, e.abs!);
          }
        }
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  // tar-stream 3 packs are streamx streams; hand the engine client a plain Node stream.
  return Readable.from(pack as AsyncIterable<Buffer>);
}

/** The ignore file of a context: `<Dockerfile>.dockerignore` next to the Dockerfile wins over `<context>/.dockerignore`. */
export function ignoreFileOf(dir: string, dockerfileAbs: string | undefined): string | undefined {
  if (dockerfileAbs && existsSync(`${dockerfileAbs}.dockerignore`)) return `${dockerfileAbs}.dockerignore`;
  if (existsSync(join(dir, '.dockerignore'))) return join(dir, '.dockerignore');
  return undefined;
}

/**
 * Whether a path (relative to `dir`, `/`-separated) is left out of the local build context `build` by its ignore
 * file, as loadContext decides; undefined when the context is not a local directory or has no ignore file.
 */
export function contextIgnores(
  build: { context: string; dockerfile?: string; dockerfile_inline?: string },
  workingDir: string,
): { dir: string; ignores(rel: string): boolean; hasExceptions: boolean } | undefined {
  if (contextKind(build.context) !== 'local') return undefined;
  const dir = resolve(workingDir, build.context);
  const dockerfileAbs = build.dockerfile_inline !== undefined ? undefined : resolve(dir, build.dockerfile ?? 'Dockerfile');
  const file = ignoreFileOf(dir, dockerfileAbs);
  if (!file) return undefined;
  const patterns = parseDockerignore(readFileSync(file, 'utf8'));
  const ignores = dockerignoreMatcher(patterns);
  return { dir, ignores: (rel) => rel !== '.dockerignore' && ignores(rel), hasExceptions: patterns.some((p) => p.startsWith('!')) };
}

/**
 * A matcher for .dockerignore pattern lines (moby's syntax: `*`, `?`, `**`, `!` exceptions); paths are relative,
 * `/`-separated, and a path under a matched directory matches too.
 */
export function dockerignoreMatcher(patterns: string[]): (rel: string) => boolean {
  const ig = createIgnore().add(ignorePatterns(patterns));
  return (rel) => rel !== '' && ig.ignores(rel);
}

// @balena/dockerignore is CommonJS (`module.exports = factory`); its typings declare an ES default export.
type IgnoreFactory = () => { add(p: string[]): { ignores(path: string): boolean } };
function createIgnore() {
  const m = dockerignore as unknown as { default?: IgnoreFactory };
  return (typeof m === 'function' ? (m as IgnoreFactory) : m.default!)();
}

function addEntry(pack: Pack, header: Headers, body?: Buffer): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolvePromise());
    if (body) pack.entry(header, body, done);
    else pack.entry(header, done);
  });
}

async function addStreamEntry(pack: Pack, header: Headers, abs: string): Promise<void> {
  let done!: Promise<void>;
  const sink = await new Promise<ReturnType<Pack['entry']>>((ready) => {
    done = new Promise<void>((resolvePromise, reject) => {
      ready(pack.entry(header, (err) => (err ? reject(err) : resolvePromise())));
    });
  });
  for await (const chunk of createReadStream(abs)) {
    if (!sink.write(chunk as Buffer)) await new Promise<void>((r) => sink.once('drain', () => r()));
  }
  sink.end(undefined as unknown as Buffer);
  await done;
}

/** Base images named by FROM lines (skipping stage names and `scratch`), for registry credentials. */
export function baseImages(dockerfile: string, args: Record<string, string> = {}): string[] {
  const stages = new Set<string>();
  const out: string[] = [];
  // Join continuation lines first.
  const text = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*FROM\s+(.*)$/i.exec(line);
    if (!m) continue;
    const words = m[1]!.trim().split(/\s+/).filter((w) => !w.startsWith('--'));
    let image = words[0];
    if (!image) continue;
    image = image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k: string) => args[k] ?? '');
    if (words[1]?.toLowerCase() === 'as' && words[2]) stages.add(words[2].toLowerCase());
    if (image === 'scratch' || stages.has(image.toLowerCase()) || image === '') continue;
    out.push(image);
  }
  return out;
}
