// Lowering options for a project loaded from disk: a FilePort on node:fs (read, stat following symlinks with a
// dev:ino identity, list) and the project environment, as the CLI wires them.
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
  };
}

/** Loads a compose file as the CLI would, with an empty OS environment (reproducible). */
export function loadFixture(file: string, cwd: string): LoadedProject {
  return loadProject({ files: [file], cwd, env: {} });
}
