// Writing a generated directory (one file per object, a Kustomize base, a Helm chart) atomically: everything is
// written into a temporary directory beside the target, which then replaces the target by rename. A failed run
// leaves the previous output untouched and no half-written directory behind.
//
// The target may already exist only when it is empty or was written by us: every generated directory holds a
// manifest (MANIFEST_FILE) listing its files, and a file the manifest doesn't list is foreign (the user's own);
// replacing the directory would delete it, so that is an error instead. The one exception is a place where the
// output asks the user to put files (`keep`, e.g. Kustomize's secrets/ folder): files there are carried over
// into the new directory unchanged.

import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { KubeObject } from '../model/kube.js';
import { toYamlStream } from './serialize.js';
import { error } from '../model/diagnostics.js';
import { fileModeFor } from './secret-mode.js';

/** Lists the files compose2k8s wrote into a directory, so a later run may replace them. */
export const MANIFEST_FILE = '.compose2k8s-files';

/** Relative path (with `/`) -> content. */
export type FileTree = Map<string, string | Buffer>;

/** File name of one object: `<kind>-<name>.yaml` (with the namespace when two objects would share it). */
export function objectFileNames(objects: readonly KubeObject[], ext = '.yaml'): string[] {
  const base = objects.map((o) => `${o.kind.toLowerCase()}-${o.metadata.name}`);
  const count = new Map<string, number>();
  for (const b of base) count.set(b, (count.get(b) ?? 0) + 1);
  const used = new Set<string>();
  return objects.map((o, i) => {
    let name = base[i]!;
    if (count.get(name)! > 1 && o.metadata.namespace) name = `${o.metadata.namespace}-${name}`;
    let candidate = name;
    for (let n = 2; used.has(candidate); n++) candidate = `${name}-${n}`;
    used.add(candidate);
    return `${candidate}${ext}`;
  });
}

/** The plain output as a directory: one YAML file per object, named by kind and name, in apply order. */
export function directoryFiles(objects: readonly KubeObject[]): FileTree {
  const names = objectFileNames(objects);
  const tree: FileTree = new Map();
  objects.forEach((o, i) => tree.set(names[i]!, toYamlStream([o])));
  return tree;
}

/** `convert -o DIR` with one file per object. Atomic; refuses to replace a directory holding foreign files. */
export function writeDirectory(objects: readonly KubeObject[], dir: string): void {
  writeTreeAtomic(dir, directoryFiles(objects));
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), rel));
    else out.push(rel);
  }
  return out;
}

/** Says which files of the target belong to the user and are kept (relative path with `/`). */
export type KeepRule = (rel: string) => boolean;

/** The files of an existing target that a previous run did not write, sorted. */
function usersFiles(dir: string): string[] {
  const files = listFiles(dir);
  if (files.length === 0) return [];
  const manifest = join(dir, MANIFEST_FILE);
  const ours = new Set(existsSync(manifest) ? readFileSync(manifest, 'utf8').split('\n').filter(Boolean) : []);
  ours.add(MANIFEST_FILE);
  return files.filter((f) => !ours.has(f)).sort();
}

/** The user's files of an existing target that a rewrite keeps (none when `dir` does not exist). */
export function keptFiles(dir: string, keep: KeepRule, tree?: FileTree): string[] {
  if (!existsSync(dir) || !lstatSync(dir).isDirectory()) return [];
  return usersFiles(dir).filter((f) => keep(f) && !tree?.has(f));
}

/**
 * Files of an existing target that a previous run did not write (and replacing it would delete): the user's
 * files, except those `keep` carries over. A kept path that the new tree would overwrite is foreign too.
 */
export function foreignFiles(dir: string, keep: KeepRule = () => false, tree?: FileTree): string[] {
  return usersFiles(dir).filter((f) => !keep(f) || tree?.has(f));
}

/** Copies a kept file (a symlink stays a symlink) with its permission bits. */
function carryOver(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const st = lstatSync(from);
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else {
    copyFileSync(from, to);
    chmodSync(to, st.mode & 0o777);
  }
}

/**
 * Writes `tree` as the directory `dir`: into a temporary sibling first, then swapped in by rename. The user's
 * files that `keep` names are carried over into the new directory.
 * Errors are DiagnosticErrors (`output.foreign-files`, `output.not-a-directory`, `output.unwritable`).
 */
export function writeTreeAtomic(dir: string, tree: FileTree, keep?: KeepRule): void {
  const target = resolve(dir);
  for (const rel of tree.keys()) {
    const r = relative(target, resolve(target, rel));
    if (!r || r.startsWith('..') || r.split(sep).includes('..')) throw new Error(`internal: output path ${rel} escapes ${target}`);
  }
  if (existsSync(target)) {
    if (!lstatSync(target).isDirectory()) throw error('output.not-a-directory', `${dir} exists and is not a directory`);
    const foreign = foreignFiles(target, keep, tree);
    if (foreign.length) {
      const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, and ${foreign.length - 5} more` : '');
      throw error(
        'output.foreign-files',
        `${dir} already exists and holds files compose2k8s did not write (${shown}); choose another output directory or remove them`,
      );
    }
  }
  const parent = dirname(target);
  let tmp: string | undefined;
  try {
    mkdirSync(parent, { recursive: true });
    tmp = mkdtempSync(join(parent, `.${basename(target)}.tmp-`));
    const files = [...tree.keys()].sort();
    for (const rel of files) {
      const file = join(tmp, rel);
      mkdirSync(dirname(file), { recursive: true });
      const content = tree.get(rel)!;
      writeFileSync(file, content, { mode: fileModeFor(content) });
    }
    writeFileSync(join(tmp, MANIFEST_FILE), files.join('\n') + '\n');
    if (keep) for (const rel of keptFiles(target, keep, tree)) carryOver(join(target, rel), join(tmp, rel));
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      renameSync(target, old);
      try {
        renameSync(tmp, target);
      } catch (e) {
        renameSync(old, target);
        throw e;
      }
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    tmp = undefined;
  } catch (e) {
    if (e instanceof Error && e.name === 'DiagnosticError') throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw error('output.unwritable', `cannot write ${dir}: ${code ? `${code}: ` : ''}${(e as Error).message}`);
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** What the packaging emitters need besides the objects. */
export interface PackageContext {
  /** The normalized Compose model the objects were lowered from. */
  project: import('../model/project.js').Project;
  /** Reads the files the model points at (env_file, config and secret files), like the lowering's FilePort. */
  files: import('../lower/index.js').FilePort;
  /** Warnings of the emitters (e.g. a Secret whose material had to be written out). */
  diagnostics: import('../model/diagnostics.js').Diagnostics;
}
