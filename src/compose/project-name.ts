// Project name rules (compose-go cli/options.go and loader.projectName).
import { error } from '../model/diagnostics.js';

const VALID = /^[a-z0-9][a-z0-9_-]*$/;

/** lower-case, keep only [a-z0-9_-], strip leading `_` and `-`. */
export function normalizeProjectName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '');
}

/** docker compose's text, word for word; `source` (-p or COMPOSE_PROJECT_NAME) is kept for callers' use. */
export function checkProjectName(name: string, _source?: string): void {
  if (!VALID.test(name)) {
    throw error(
      'project.invalid-name',
      `invalid project name "${name}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`,
    );
  }
}

export interface NameSources {
  flag?: string;
  env?: string;
  /** The last non-empty top-level `name:` among the files, already interpolated. */
  fromFiles?: string;
  directory: string;
}

/** -p > COMPOSE_PROJECT_NAME > last `name:` (normalized) > directory basename (normalized). */
export function resolveProjectName(s: NameSources): string {
  if (s.flag) {
    checkProjectName(s.flag, '--project-name');
    return s.flag;
  }
  if (s.env) {
    checkProjectName(s.env, 'COMPOSE_PROJECT_NAME');
    return s.env;
  }
  if (s.fromFiles) {
    const n = normalizeProjectName(s.fromFiles);
    if (n) return n;
  }
  const base = s.directory.split(/[\\/]/).filter(Boolean).pop() ?? '';
  const n = normalizeProjectName(base);
  if (!n) throw error('project.empty-name', 'project name must not be empty');
  return n;
}
