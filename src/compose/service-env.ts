// A service's container environment as compose resolves it: env_file entries in order (later wins),
// then `environment` on top. Used by `config` (which prints the resolved map) and by lowering.
import { readRegularFile } from './paths.js';
import { error } from '../model/diagnostics.js';
import type { EnvFile, Service } from '../model/project.js';
import { parseDotenv } from './dotenv.js';

export function readEnvFile(ef: EnvFile, lookup: (name: string) => string | undefined): Record<string, string> | undefined {
  let text: string;
  try {
    text = readRegularFile(ef.path).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!ef.required) return undefined;
      throw error('env-file.not-found', `env file ${ef.path} not found: stat ${ef.path}: no such file or directory`, { file: ef.path });
    }
    throw error('env-file.unreadable', `env file ${ef.path}: ${(e as Error).message}`, { file: ef.path });
  }
  return parseDotenv(text, { file: ef.path, lookup, raw: ef.format === 'raw' });
}

export function resolveServiceEnvironment(service: Service, projectEnv: Record<string, string>): Record<string, string | null> {
  const environment = service.environment ?? {};
  const fromFiles: Record<string, string> = {};
  for (const ef of service.env_file ?? []) {
    const lookup = (k: string) => projectEnv[k] ?? fromFiles[k] ?? environment[k] ?? undefined;
    Object.assign(fromFiles, readEnvFile(ef, lookup) ?? {});
  }
  // `environment` wins over env_file entries, even a bare key that stayed unset (docker compose prints null).
  return { ...fromFiles, ...environment };
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
