// Bind-mount triage (pure: files are read through the FilePort only). A bind-mounted file or small
// directory becomes ConfigMap content: text in `data`, anything that is not valid UTF-8 (or contains NUL)
// in `binaryData` once (B5); the whole ConfigMap stays under the 1 MiB API limit; directories are walked
// depth-first in sorted order (B6), symlink loops are detected by file identity and never hang, and walks
// are bounded in depth and entry count. Everything else is reported back to the storage pass.

import type { FilePort } from './options.js';
import { merged } from './objects.js';

/** The API server's limit on one object; leave room for metadata. */
export const CONFIGMAP_LIMIT = 1024 * 1024 - 16 * 1024;
const MAX_DEPTH = 16;
const MAX_ENTRIES = 1000;

export interface BindFile {
  /** ConfigMap key (`[-._a-zA-Z0-9]+`, unique). */
  key: string;
  /** Path relative to the mount point, `/`-separated. */
  path: string;
  content: Buffer;
  text: boolean;
}

export type BindTriage =
  | { kind: 'file'; file: BindFile }
  | { kind: 'directory'; files: BindFile[] }
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'socket' }
  | { kind: 'too-large'; size: number }
  | { kind: 'unsupported'; why: string };

const KEY_CHARS = /^[-._a-zA-Z0-9]+$/;

export function isTextContent(b: Buffer): boolean {
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? 'file';
}

/** A ConfigMap key for a relative path: itself when legal, else sanitized; unique among `taken`. */
export function keyFor(relPath: string, taken: Set<string>): string {
  let key = KEY_CHARS.test(relPath) ? relPath : relPath.replace(/\//g, '_').replace(/[^-._a-zA-Z0-9]/g, '-');
  if (key === '' || key === '.' || key === '..') key = 'file';
  if (key.length > 253) key = key.slice(0, 253);
  let candidate = key;
  for (let i = 2; taken.has(candidate); i++) candidate = `${key.slice(0, 248)}-${i}`;
  taken.add(candidate);
  return candidate;
}

/** Walks `root` through the FilePort; the result is independent of the listing order. */
export function triageBind(files: FilePort, source: string): BindTriage {
  if (/(^|[\\/])docker\.sock$/.test(source) || /\.sock$/.test(source)) return { kind: 'socket' };
  if (!files.stat) return { kind: 'unsupported', why: 'no file access to inspect the source' };
  let info;
  try {
    info = files.stat(source);
  } catch (e) {
    return { kind: 'unsupported', why: (e as Error).message };
  }
  if (!info) return { kind: 'missing' };
  if (info.type === 'file') {
    if (info.size > CONFIGMAP_LIMIT) return { kind: 'too-large', size: info.size };
    const content = files.read(source);
    if (content.length > CONFIGMAP_LIMIT) return { kind: 'too-large', size: content.length };
    const key = keyFor(baseName(source), new Set());
    return { kind: 'file', file: { key, path: baseName(source), content, text: isTextContent(content) } };
  }
  if (info.type !== 'directory') return { kind: 'unsupported', why: 'not a regular file or directory' };
  if (!files.list) return { kind: 'unsupported', why: 'no directory listing available' };
  const out: BindFile[] = [];
  const taken = new Set<string>();
  let total = 0;
  let entries = 0;
  const stack = new Set<string>([info.id ?? source]);
  const walk = (dir: string, rel: string, depth: number): string | undefined => {
    if (depth > MAX_DEPTH) return `deeper than ${MAX_DEPTH} levels`;
    for (const name of [...files.list!(dir)].sort()) {
      if (++entries > MAX_ENTRIES) return `more than ${MAX_ENTRIES} entries`;
      const full = `${dir.replace(/[\\/]+$/, '')}/${name}`;
      const relPath = rel ? `${rel}/${name}` : name;
      const st = files.stat!(full);
      if (!st) continue; // dangling symlink: Docker would show it dangling too
      if (st.type === 'directory') {
        const id = st.id ?? full;
        if (stack.has(id)) return `symlink loop at ${relPath}`;
        stack.add(id);
        const err = walk(full, relPath, depth + 1);
        stack.delete(id);
        if (err) return err;
      } else if (st.type === 'file') {
        total += st.size;
        if (total > CONFIGMAP_LIMIT) return 'too-large';
        const content = files.read(full);
        out.push({ key: keyFor(relPath, taken), path: relPath, content, text: isTextContent(content) });
      } else return `${relPath} is not a regular file`;
    }
    return undefined;
  };
  const err = walk(source, '', 0);
  if (err === 'too-large') return { kind: 'too-large', size: total };
  if (err) return { kind: 'unsupported', why: err };
  if (!out.length) return { kind: 'empty' };
  return { kind: 'directory', files: out };
}

/** ConfigMap `data`/`binaryData` for triaged files, keys sorted. */
export function configMapData(list: BindFile[]): { data?: Record<string, string>; binaryData?: Record<string, string> } {
  const sorted = [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const data = Object.fromEntries(sorted.filter((f) => f.text).map((f) => [f.key, f.content.toString('utf8')]));
  const binaryData = Object.fromEntries(sorted.filter((f) => !f.text).map((f) => [f.key, f.content.toString('base64')]));
  return merged(
    Object.keys(data).length ? { data } : {},
    Object.keys(binaryData).length ? { binaryData } : {},
  );
}
