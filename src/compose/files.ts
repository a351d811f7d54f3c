// Which compose files a project is made of: -f, COMPOSE_FILE, or discovery upwards from the working dir.
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { error } from '../model/diagnostics.js';

export const DEFAULT_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'];
export const DEFAULT_OVERRIDE_FILE_NAMES = [
  'compose.override.yml',
  'compose.override.yaml',
  'docker-compose.override.yml',
  'docker-compose.override.yaml',
];

export interface DiscoveredFiles {
  files: string[];
  warnings: string[];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** compose-go's DefaultConfigPath: first default name in cwd or a parent, plus that directory's first override. */
export function discoverComposeFiles(cwd: string): DiscoveredFiles {
  const warnings: string[] = [];
  let dir = resolve(cwd);
  for (;;) {
    const found = DEFAULT_FILE_NAMES.filter((n) => isFile(join(dir, n)));
    if (found.length > 0) {
      if (found.length > 1) {
        warnings.push(`Found multiple config files with supported names: ${found.map((n) => join(dir, n)).join(', ')}\nUsing ${join(dir, found[0]!)}`);
      }
      const files = [join(dir, found[0]!)];
      const override = DEFAULT_OVERRIDE_FILE_NAMES.find((n) => isFile(join(dir, n)));
      if (override) files.push(join(dir, override));
      return { files, warnings };
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw error('files.not-found', `no configuration file provided: not found (looked for ${DEFAULT_FILE_NAMES.join(', ')} in ${cwd} and its parents)`);
}

/** Splits COMPOSE_FILE on COMPOSE_PATH_SEPARATOR (default `:`), ignoring empty entries. */
export function filesFromEnv(env: Record<string, string | undefined>): string[] | undefined {
  const value = env.COMPOSE_FILE;
  if (!value) return undefined;
  const sep = env.COMPOSE_PATH_SEPARATOR || (process.platform === 'win32' ? ';' : ':');
  const files = value.split(sep).filter((f) => f !== '');
  return files.length > 0 ? files : undefined;
}

/** Makes -f paths absolute (stdin stays `-`) and checks that they exist. */
export function resolveFileArgs(files: string[], base: string): string[] {
  return files.map((f) => {
    if (f === '-') return f;
    const abs = isAbsolute(f) ? f : resolve(base, f);
    if (!existsSync(abs)) throw error('files.not-found', `open ${abs}: no such file or directory`);
    if (!isFile(abs)) throw error('files.not-a-file', `${abs} is not a regular file`);
    return abs;
  });
}
