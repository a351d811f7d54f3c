// Which compose values are paths on this machine and how each is made absolute - one table, as compose-go's
// paths/resolve.go - and the one rule that tells a build context on this machine from a git repository, a URL
// or a builder reference, as its paths/context.go. Used by the loader to resolve the canonical model
// (canonical.ts), by `extends` to rebase a service taken from another directory (extends.ts), by `include`,
// by the project-path check to list the local paths it looks at (paths.ts), and by the build stage to decide
// what to send to the engine (build/plan.ts).
import { lstatSync, realpathSync } from 'node:fs';
import { RuleNode } from './path-rules.js';
import { cleanPath } from './syntax/volumes.js';

// ---------------------------------------------------------------------------------------------------
// Build contexts

/**
 * What a build context (or an additional context) names:
 * - `local`: a directory here, resolved against the working directory;
 * - `git`: a git repository the builder clones (`git://`, `ssh://`, `git@host:path`, `github.com/...`,
 *   an http(s) URL ending in `.git`, each with an optional `#ref:dir`);
 * - `url`: any other http(s) URL (a tarball or a Dockerfile the builder downloads);
 * - `service`: `service:NAME`, another service's image (additional contexts);
 * - `builder`: any other `scheme://` the builder knows (`docker-image://`, `oci-layout://`, ...).
 * Everything but `local` stays in the model as written, as docker compose prints it.
 */
export type ContextKind = 'local' | 'git' | 'url' | 'service' | 'builder';

/** BuildKit's remote prefixes (dockerui/context.go), which compose-go keeps as written. Case-sensitive, as there. */
const GIT_OVER_SSH = ['ssh://', 'git@'];
const GIT_PREFIXES = ['git://', 'github.com/'];
/** moby's urlutil: an http(s) URL is a git repository when it ends in `.git`, before an optional fragment. */
const GIT_SUFFIX = /\.git(?:#.+)?$/;

export function contextKind(context: string): ContextKind {
  if (GIT_OVER_SSH.some((p) => context.startsWith(p)) || GIT_PREFIXES.some((p) => context.startsWith(p))) return 'git';
  if (context.startsWith('https://') || context.startsWith('http://')) return GIT_SUFFIX.test(context) ? 'git' : 'url';
  if (context.includes('://')) return 'builder';
  if (context.startsWith('service:')) return 'service';
  return 'local';
}

/** A context the builder fetches itself: a git repository or a URL. */
export const isRemoteContext = (context: string): boolean => {
  const kind = contextKind(context);
  return kind === 'git' || kind === 'url';
};

/** A git context fetched over SSH: the builder needs the user's SSH keys (an agent, or keys of the engine's host). */
export const isGitOverSsh = (context: string): boolean => GIT_OVER_SSH.some((p) => context.startsWith(p));

// ---------------------------------------------------------------------------------------------------
// Resolvers (paths/resolve.go, unix.go, home.go)

export interface PathBase {
  /** Relative paths are joined to it. */
  workingDir: string;
  /** What `~` stands for; undefined keeps `~` paths as written (to be expanded when the model is resolved). */
  home: string | undefined;
  /** absPath results by input, for a caller that resolves many paths against one base. */
  memo?: Map<string, string>;
}

/** Go's filepath.Join on Unix: empty elements ignored, result cleaned. */
function joinPath(...parts: string[]): string {
  const nonEmpty = parts.filter((p) => p !== '');
  return nonEmpty.length === 0 ? '' : cleanPath(nonEmpty.join('/'));
}

function expandUser(p: string, base: PathBase): string {
  return p.startsWith('~') && base.home !== undefined ? joinPath(base.home, p.slice(1)) : p;
}

/** `C:\x`, `C:/x` and UNC paths: kept as written for a Windows engine (paths.IsWindowsAbs). */
function isWindowsAbs(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || /^[\\/]{2}[^\\/]+[\\/]+[^\\/]+/.test(p);
}

/** absPath: `~` expanded, relative paths joined to the working directory, "" kept. */
export function absPath(p: string, base: PathBase): string {
  const cached = base.memo?.get(p);
  if (cached !== undefined) return cached;
  const v = expandUser(p, base);
  const out = v.startsWith('/') || v === '' || (v.startsWith('~') && base.home === undefined) ? v : joinPath(base.workingDir, v);
  base.memo?.set(p, out);
  return out;
}

/** maybeUnixPath: like absPath, but Windows absolute paths are kept too, and "" is the working directory. */
export function maybeUnixPath(p: string, base: PathBase): string {
  const v = expandUser(p, base);
  if (v.startsWith('/') || isWindowsAbs(v) || (v.startsWith('~') && base.home === undefined)) return v;
  return joinPath(base.workingDir, v);
}

/** absContextPath: only a local context is a path; anything else stays as written. */
export function absContextPath(p: string, base: PathBase): string {
  return contextKind(p) === 'local' ? absPath(p, base) : p;
}

/** absSymbolicLink (develop.watch paths): absolute, and a symbolic link is followed. */
function absSymbolicLink(p: string, base: PathBase): string {
  const abs = absPath(p, base);
  try {
    if (lstatSync(abs).isSymbolicLink()) return realpathSync(abs);
  } catch {
    // A missing path is kept as written.
  }
  return abs;
}

// ---------------------------------------------------------------------------------------------------
// The table

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => v !== null && typeof v === 'object' && !Array.isArray(v);

/** How the value at a path is resolved; the object-valued ones hold their path in a field. */
type Resolver =
  | 'path' // absPath
  | 'unix-path' // maybeUnixPath
  | 'ssh-key' // maybeUnixPath; `default` (null) and "" are not paths
  | 'context' // absContextPath
  | 'symlink' // absSymbolicLink
  | 'env-file' // {path}: absPath
  | 'bind-mount' // {type: bind, source}: maybeUnixPath
  | 'bind-volume'; // a local volume with `o: bind`: its driver_opts.device is a host path (maybeUnixPath)

interface PathField {
  resolve: Resolver;
  /** For the project-path check: what the user calls it, and whether we read the file ourselves. */
  check?: { what: string; read: boolean };
}

/** Canonical-model paths; `*` is any key, `[]` any list item (compose-go's patterns, at the same places). */
const PATH_FIELDS: ReadonlyArray<readonly [string, PathField]> = [
  ['services.*.build.context', { resolve: 'context', check: { what: 'build context', read: false } }],
  ['services.*.build.additional_contexts.*', { resolve: 'context', check: { what: 'build context', read: false } }],
  ['services.*.build.ssh.*', { resolve: 'ssh-key' }],
  ['services.*.env_file.[]', { resolve: 'env-file', check: { what: 'env_file', read: true } }],
  ['services.*.label_file.[]', { resolve: 'path', check: { what: 'label_file', read: true } }],
  ['services.*.extends.file', { resolve: 'path' }],
  ['services.*.develop.watch.[].path', { resolve: 'symlink' }],
  ['services.*.volumes.[]', { resolve: 'bind-mount', check: { what: 'bind mount source', read: false } }],
  ['volumes.*', { resolve: 'bind-volume' }],
  ['secrets.*.file', { resolve: 'unix-path', check: { what: 'secret file', read: true } }],
  ['configs.*.file', { resolve: 'unix-path', check: { what: 'config file', read: true } }],
];

const LIST_ITEM = '[]';
const RULES = RuleNode.of(
  PATH_FIELDS.map(([p, f]) => [p.split('.'), f] as const),
  (key) => key !== LIST_ITEM,
);

function resolveValue(kind: Resolver, v: unknown, base: PathBase): unknown {
  switch (kind) {
    case 'path':
      return typeof v === 'string' ? absPath(v, base) : v;
    case 'unix-path':
      return typeof v === 'string' ? maybeUnixPath(v, base) : v;
    case 'ssh-key':
      return typeof v === 'string' && v !== '' ? maybeUnixPath(v, base) : v;
    case 'context':
      return typeof v === 'string' ? absContextPath(v, base) : v;
    case 'symlink':
      return typeof v === 'string' ? absSymbolicLink(v, base) : v;
    case 'env-file':
      return withField(v, 'path', (p) => absPath(p, base));
    case 'bind-mount':
      return isDict(v) && v.type === 'bind' ? withField(v, 'source', (p) => maybeUnixPath(p, base)) : v;
    case 'bind-volume': {
      if (!isDict(v) || v.driver !== 'local' || !isDict(v.driver_opts) || v.driver_opts.o !== 'bind') return v;
      const opts = withField(v.driver_opts, 'device', (p) => maybeUnixPath(p, base));
      return opts === v.driver_opts ? v : { ...v, driver_opts: opts };
    }
  }
}

/** `v` with its string field `key` mapped; `v` itself when nothing changed. */
function withField(v: unknown, key: string, f: (p: string) => string): unknown {
  if (!isDict(v) || typeof v[key] !== 'string') return v;
  const next = f(v[key]);
  return next === v[key] ? v : { ...v, [key]: next };
}

/**
 * Makes every relative path of a canonical model absolute (compose-go's ResolveRelativePaths). Returns a new
 * tree where anything changed; the input is not modified. Idempotent: absolute paths stay as they are.
 */
export function resolveRelativePaths<T>(tree: T, base: PathBase): T {
  return resolveWalk(tree, RULES, base) as T;
}

function resolveWalk(v: unknown, node: RuleNode<PathField>, base: PathBase): unknown {
  if (node.rule) return resolveValue(node.rule.resolve, v, base);
  if (node.isLeaf) return v;
  if (Array.isArray(v)) {
    const child = node.child(LIST_ITEM);
    if (!child) return v;
    let out: unknown[] | undefined;
    v.forEach((x, i) => {
      const r = resolveWalk(x, child, base);
      if (r !== x) (out ??= [...v])[i] = r;
    });
    return out ?? v;
  }
  if (!isDict(v)) return v;
  let out: Dict | undefined;
  for (const k of Object.keys(v)) {
    const child = node.child(k);
    if (!child) continue;
    const r = resolveWalk(v[k], child, base);
    if (r !== v[k]) (out ??= { ...v })[k] = r;
  }
  return out ?? v;
}

/** A path on this machine that the model names. */
export interface LocalPath {
  /** Compose path of the entry, e.g. `services.web.env_file[0]`, `secrets.db.file`. */
  at: string;
  what: string;
  path: string;
  /** We read it ourselves (env files, label files, secrets, configs). */
  read: boolean;
}

/**
 * The local paths of a resolved model that the project-path check looks at, in model order. Remote and
 * builder contexts are not paths; external secrets and configs are not read.
 */
export function localPaths(model: unknown): LocalPath[] {
  const out: LocalPath[] = [];
  const visit = (v: unknown, node: RuleNode<PathField>, at: string, parent: unknown) => {
    const field = node.rule;
    if (field) {
      if (!field.check) return;
      const path = localPathOf(field.resolve, v, parent);
      if (path !== undefined) out.push({ at, what: field.check.what, path, read: field.check.read });
      return;
    }
    if (node.isLeaf) return;
    if (Array.isArray(v)) {
      const child = node.child(LIST_ITEM);
      if (child) v.forEach((x, i) => visit(x, child, `${at}[${i}]`, v));
    } else if (isDict(v)) {
      for (const k of Object.keys(v)) {
        const child = node.child(k);
        if (child) visit(v[k], child, at === '' ? k : `${at}.${k}`, v);
      }
    }
  };
  visit(model, RULES, '', undefined);
  return out;
}

function localPathOf(kind: Resolver, v: unknown, parent: unknown): string | undefined {
  if (kind === 'env-file') return isDict(v) && typeof v.path === 'string' ? v.path : undefined;
  if (kind === 'bind-mount') return isDict(v) && v.type === 'bind' && typeof v.source === 'string' && v.source !== '' ? v.source : undefined;
  if (typeof v !== 'string') return undefined;
  if (kind === 'context') return contextKind(v) === 'local' ? v : undefined;
  if (isDict(parent) && parent.external) return undefined; // secrets.*.file / configs.*.file of an external one
  return v;
}
