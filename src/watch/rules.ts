// The develop.watch rules of the watched services, resolved once: which host paths each rule covers, what it
// ignores, and where a changed file goes in the container. Compose's matching (pkg/compose/watch.go): a file
// belongs to a rule when it is under `path`, matches `include` (if given), and is not ignored by the rule's
// `ignore` patterns (relative to `path`), the service's build-context .dockerignore (relative to the context),
// editor temporary files, or a `.git` directory. Every matching rule of every service applies.
import { isAbsolute, relative, sep } from 'node:path';
import { posix } from 'node:path';
import { contextIgnores, dockerignoreMatcher } from '../build/index.js';
import { DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import type { Project, ServiceHook, WatchAction } from '../model/project.js';

export interface Rule {
  service: string;
  /** `services.<name>.develop.watch[<i>]`, for messages. */
  at: string;
  action: WatchAction;
  /** Absolute host path (the loader resolved it). */
  path: string;
  target?: string;
  exec?: ServiceHook;
  initialSync: boolean;
  /** Whether its ignore patterns or the .dockerignore have `!` exceptions (an ignored directory may then hold included files). */
  hasExceptions: boolean;
  /** The container path for a host path the rule covers ('' without a target); undefined when it does not. */
  map(abs: string): string | undefined;
  /** The host path is ignored by this rule (its patterns, the context's .dockerignore, editor files, .git). */
  ignores(abs: string): boolean;
}

export const SYNCS: ReadonlySet<WatchAction> = new Set(['sync', 'sync+restart', 'sync+exec']);

/**
 * Editor temporary and backup files (compose's EphemeralPathMatcher): JetBrains `*___jb_old___`/`*___jb_tmp___` and
 * `.idea/`, Emacs `.#*` and `#*#`, Vim `4913`, `*~` and `.*.sw[pxon]`, Kate `.*.kate-swp`, Go's `*-go-tmp-umask`.
 */
export function isEditorTemp(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.slice(0, -1).some((p) => p === '.idea' || p === '.git') || parts.at(-1) === '.git' || parts.at(-1) === '.idea') return true;
  const base = parts.at(-1) ?? '';
  return (
    /___jb_(old|tmp)___$/.test(base) ||
    /^\.#/.test(base) ||
    /^#.*#$/.test(base) ||
    base === '4913' ||
    base.endsWith('~') ||
    /^\..*\.sw[pxon]$/.test(base) ||
    /^\..*\.kate-swp$/.test(base) ||
    base.endsWith('-go-tmp-umask')
  );
}

/** `child` is `parent` or under it (absolute paths). */
export function isUnder(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function relSlash(from: string, to: string): string {
  return relative(from, to).split(sep).join('/');
}

/**
 * The rules of `services` (all services with develop.watch when empty). Errors, as compose reports them, for a
 * selected service without rules, `rebuild` without `build:`, and `sync+exec` without a command.
 */
export function compileRules(project: Project, services: readonly string[], workingDir: string): Rule[] {
  const problems: Diagnostic[] = [];
  for (const s of services) if (!project.services[s]) problems.push({ severity: 'error', code: 'watch.no-such-service', message: `no such service: ${s}` });
  const names = services.length > 0 ? [...services] : Object.keys(project.services).sort();
  const rules: Rule[] = [];
  for (const name of names) {
    const svc = project.services[name];
    const watch = svc?.develop?.watch ?? [];
    if (!svc) continue;
    const context = svc.build ? contextIgnores(svc.build, workingDir) : undefined;
    watch.forEach((w, i) => {
      const at = `services.${name}.develop.watch[${i}]`;
      if (w.action === 'rebuild' && !svc.build) {
        problems.push({ severity: 'error', code: 'watch.rebuild-without-build', message: `${name}: a rebuild rule needs a build: section to rebuild from`, path: at });
        return;
      }
      if (w.action === 'sync+exec' && !(w.exec?.command?.length)) {
        problems.push({ severity: 'error', code: 'watch.exec-without-command', message: `${name}: a sync+exec rule needs exec.command`, path: at });
        return;
      }
      const ignore = dockerignoreMatcher(w.ignore ?? []);
      const include = w.include && w.include.length > 0 ? dockerignoreMatcher(w.include) : undefined;
      const ignores = (abs: string): boolean => {
        const rel = relSlash(w.path, abs);
        if (isEditorTemp(rel) || ignore(rel)) return true;
        if (context && isUnder(context.dir, abs)) return context.ignores(relSlash(context.dir, abs));
        return false;
      };
      rules.push({
        service: name,
        at,
        action: w.action,
        path: w.path,
        target: w.target,
        exec: w.exec,
        initialSync: w.initial_sync === true,
        hasExceptions: (w.ignore ?? []).some((p) => p.trim().startsWith('!')) || (context?.hasExceptions ?? false),
        ignores,
        map(abs) {
          if (!isUnder(w.path, abs)) return undefined;
          const rel = relSlash(w.path, abs);
          if (include && !include(rel)) return undefined;
          if (ignores(abs)) return undefined;
          return w.target === undefined ? '' : rel === '' ? w.target : posix.join(w.target, rel);
        },
      });
    });
  }
  if (problems.length === 0 && rules.length === 0) {
    problems.push({
      severity: 'error',
      code: 'watch.nothing-to-watch',
      message: `none of the selected services is configured for watch: add a develop.watch section (services ${names.join(', ') || 'none'})`,
    });
  }
  if (problems.length > 0) throw new DiagnosticError(problems);
  return rules;
}

/** Whether the watcher can skip a path entirely: every rule covering it ignores it, and none could re-include below it. */
export function ignoredByAll(rules: readonly Rule[], abs: string): boolean {
  let covered = false;
  for (const r of rules) {
    if (!isUnder(r.path, abs)) continue;
    covered = true;
    if (r.hasExceptions || !r.ignores(abs)) return false;
  }
  return covered;
}
