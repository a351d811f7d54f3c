// Env files and label files, read once at load time as compose-go does (WithServicesEnvironmentResolved):
// each env file's values go into the model (EnvFile.values), so every command reads the same resolution.
import { readRegularFile } from './paths.js';
import { error } from '../model/diagnostics.js';
import type { EnvFile, Project, Service } from '../model/project.js';
import { parseDotenv } from './dotenv.js';

type Lookup = (name: string) => string | undefined;

/** An env file's parse, with the outside variables its `${...}` looked up and the answers it got. */
interface EnvFileParse {
  values: Record<string, string>;
  lookups: [name: string, value: string | undefined][];
}

/** What one load has made of its env files: each file read once, and its parses by path and format. */
export interface EnvFileCache {
  reads: Map<string, { text: string } | { error: unknown }>;
  parses: Map<string, EnvFileParse[]>;
}

/** A cache for the services of one load: they usually share their env files. */
export function newEnvFileCache(): EnvFileCache {
  return { reads: new Map(), parses: new Map() };
}

/** The file's text; undefined for a missing optional file. Read errors are kept and raised at each use. */
function readEnvFileText(ef: EnvFile, cache: EnvFileCache, at: string): string | undefined {
  let read = cache.reads.get(ef.path);
  if (!read) {
    try {
      read = { text: readRegularFile(ef.path).toString('utf8') };
    } catch (e) {
      read = { error: e };
    }
    cache.reads.set(ef.path, read);
  }
  if ('text' in read) return read.text;
  const e = read.error;
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
    if (!ef.required) return undefined;
    throw error('env-file.not-found', `env file ${ef.path} not found: stat ${ef.path}: no such file or directory`, { path: at });
  }
  throw error('env-file.unreadable', `env file ${ef.path}: ${(e as Error).message}`, { path: at });
}

/**
 * The file's values, shared between callers (read them, do not change them). An earlier parse is reused
 * when every outside variable it looked up has the same value now: the parse is then the same.
 */
function readEnvFile(ef: EnvFile, lookup: Lookup, cache: EnvFileCache, at: string): Record<string, string> | undefined {
  const text = readEnvFileText(ef, cache, at);
  if (text === undefined) return undefined;
  const raw = ef.format === 'raw';
  const key = `${raw ? 'raw' : ''}\0${ef.path}`;
  let parses = cache.parses.get(key);
  if (!parses) {
    parses = [];
    cache.parses.set(key, parses);
  }
  const same = parses.find((parse) => parse.lookups.every(([name, value]) => lookup(name) === value));
  if (same) return same.values;
  const lookups: EnvFileParse['lookups'] = [];
  const recording: Lookup = (name) => {
    const value = lookup(name);
    lookups.push([name, value]);
    return value;
  };
  const values = parseDotenv(text, { file: ef.path, lookup: recording, raw });
  parses.push({ values, lookups });
  return values;
}

/**
 * The service with each env file's values resolved: a file's `${...}` see the project environment, then the
 * files before it, then the service's `environment` (compose-go's lookup order). `at`: the service's path in
 * the model, to locate a missing file at its `env_file` entry.
 */
export function withServiceEnvFilesResolved(service: Service, projectEnv: Record<string, string>, at: string, cache = newEnvFileCache()): Service {
  if (!service.env_file || service.env_file.length === 0) return service;
  const environment = service.environment ?? {};
  const fromFiles: Record<string, string> = {};
  const env_file = service.env_file.map((ef, i): EnvFile => {
    const lookup = (k: string) => projectEnv[k] ?? fromFiles[k] ?? environment[k] ?? undefined;
    const values = readEnvFile(ef, lookup, cache, `${at}.env_file[${i}]`);
    if (values === undefined) return { path: ef.path, required: ef.required, ...(ef.format !== undefined ? { format: ef.format } : {}) };
    Object.assign(fromFiles, values);
    return { ...ef, values };
  });
  return { ...service, env_file };
}

/** Every service's env files resolved into the model, each file read once per load. */
export function withEnvFilesResolved(project: Project, projectEnv: Record<string, string>): Project {
  const cache = newEnvFileCache();
  const services = { ...project.services };
  for (const [name, svc] of Object.entries(services)) services[name] = withServiceEnvFilesResolved(svc, projectEnv, `services.${name}`, cache);
  return { ...project, services };
}

/**
 * compose-go reads `label_file`s when it loads the project: files in order (a later file wins), then the
 * service's own `labels` on top. Their `${...}` see no variables at all (docker compose warns "not set").
 */
export function resolveServiceLabels(service: Service, warn?: (message: string, file: string) => void): Record<string, string> | undefined {
  if (!service.label_file || service.label_file.length === 0) return service.labels;
  const out: Record<string, string> = {};
  for (const path of service.label_file) {
    let text: string;
    try {
      text = readRegularFile(path).toString('utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw error('label-file.not-found', `label file ${path} not found: stat ${path}: no such file or directory`, { file: path });
      throw error('label-file.unreadable', `label file ${path}: ${(e as Error).message}`, { file: path });
    }
    Object.assign(out, parseDotenv(text, { file: path, lookup: () => undefined, ...(warn ? { warn: (m: string) => warn(m, path) } : {}) }));
  }
  return { ...out, ...(service.labels ?? {}) };
}
