// A service's container environment, from the loaded model: its env files in order (a later file wins),
// then `environment` on top. The loader has already read and resolved each env file (EnvFile.values).
import type { Service } from './project.js';

/** What compose gives the container; a bare `environment` key that stayed unset is null (docker compose prints it so). */
export function effectiveEnvironment(service: Service): Record<string, string | null> {
  const fromFiles: Record<string, string> = {};
  for (const ef of service.env_file ?? []) Object.assign(fromFiles, ef.values ?? {});
  return { ...fromFiles, ...(service.environment ?? {}) };
}
