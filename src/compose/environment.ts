// The project environment used for interpolation: the OS environment always wins over env files
// (--env-file, COMPOSE_ENV_FILES, or the project directory's .env), later env files over earlier ones.
import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { error } from '../model/diagnostics.js';
import { parseDotenv } from './dotenv.js';
import { kindOf, readRegularFile, ReadError } from './paths.js';

export type Env = Record<string, string>;

const TRUE = new Set(['1', 't', 'true', 'y', 'yes', 'on']);

export function isTruthy(v: string | undefined): boolean {
  return v !== undefined && TRUE.has(v.trim().toLowerCase());
}

/** Which env files apply: explicit ones, else COMPOSE_ENV_FILES, else `<dir>/.env` when it is a regular file. */
export function envFilesFor(explicit: string[] | undefined, osEnv: Env, dir: string, cwd: string): { files: string[]; explicit: boolean } {
  if (explicit && explicit.length > 0) return { files: explicit.map((f) => (isAbsolute(f) ? f : resolve(cwd, f))), explicit: true };
  const fromEnv = osEnv.COMPOSE_ENV_FILES;
  if (fromEnv) return { files: fromEnv.split(',').filter(Boolean).map((f) => (isAbsolute(f) ? f : resolve(cwd, f))), explicit: true };
  if (isTruthy(osEnv.COMPOSE_DISABLE_ENV_FILE)) return { files: [], explicit: false };
  const dotEnv = join(dir, '.env');
  try {
    if (statSync(dotEnv).isFile()) return { files: [dotEnv], explicit: false };
  } catch {
    // no .env: nothing to load
  }
  return { files: [], explicit: false };
}

/** Reads the env files and merges them under the OS environment. */
export function buildProjectEnvironment(osEnv: Env, files: string[]): Env {
  const texts = files.map((path) => {
    let text: string;
    try {
      const st = statSync(path);
      if (st.isDirectory()) throw error('env.not-a-file', `env file ${path} is a directory`, { file: path });
      // Never readFileSync: a FIFO would block forever, a device might never end.
      if (!st.isFile()) throw error('env.not-a-file', `env file ${path} is ${kindOf(st)}: refusing to read it`, { file: path });
      text = readRegularFile(path).toString('utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw error('env.not-found', `couldn't find env file: ${path}`, { file: path });
      if ((e as NodeJS.ErrnoException).code === 'EACCES') throw error('env.unreadable', `couldn't read env file: ${path}: permission denied`, { file: path });
      if (e instanceof ReadError) throw error('env.unreadable', `couldn't read env file: ${e.message}`, { file: path });
      throw e;
    }
    return { path, text };
  });
  return { ...projectEnvFiles(texts, osEnv), ...osEnv };
}

/**
 * The project env files as docker compose v5 reads them: in order, a later file overriding an earlier one;
 * `${X}` in a file sees the OS environment first, then the file's own earlier lines, then earlier files
 * (`W=${V}` after `V=two` in the second file gives `two` even when the first file says `V=one`).
 */
function projectEnvFiles(files: { path: string; text: string }[], osEnv: Env): Env {
  const merged = new Map<string, string>();
  const lookup = (k: string) => (Object.hasOwn(osEnv, k) ? osEnv[k] : undefined);
  const fallback = (k: string) => merged.get(k);
  for (const f of files) {
    for (const [k, v] of Object.entries(parseDotenv(f.text, { file: f.path, lookup, fallback }))) merged.set(k, v);
  }
  return Object.fromEntries(merged);
}
