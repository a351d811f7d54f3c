// Lowering options for a project loaded from disk: a FilePort on node:fs (read, stat following symlinks with a
// dev:ino identity, list) and the loader's own env-file parser and environment, as the CLI wires them.
import { parseDotenv } from '../../src/compose/dotenv.js';
import { loadProject } from '../../src/compose/loader.js';
import { nodeFilePort } from '../../src/lower/node-files.js';
import type { FilePort, LowerOptions } from '../../src/lower/options.js';
import type { LoadedProject } from '../../src/model/project.js';

export const fsPort: FilePort = nodeFilePort;

export function diskOptions(loaded: LoadedProject): Partial<LowerOptions> {
  const env = loaded.source.environment;
  return {
    files: fsPort,
    lookupEnv: (k) => env[k],
    parseEnvFile: (content, path, format) => parseDotenv(content, { file: path, lookup: (k) => env[k], raw: format === 'raw' }),
  };
}

/** Loads a compose file as the CLI would, with an empty OS environment (reproducible). */
export function loadFixture(file: string, cwd: string): LoadedProject {
  return loadProject({ files: [file], cwd, env: {} });
}
