// Lowering options for a project loaded from disk, exactly as every command gets them: the compile driver's.
import { loweringOptions } from '../../src/compile/index.js';
import { nodeFilePort } from '../../src/compile/node-files.js';
import { loadProject } from '../../src/compose/index.js';
import type { FilePort, LowerOptions } from '../../src/lower/index.js';
import type { LoadedProject } from '../../src/model/project.js';

export const fsPort: FilePort = nodeFilePort;

export function diskOptions(loaded: LoadedProject): Partial<LowerOptions> {
  return loweringOptions(loaded);
}

/** Loads a compose file as the CLI would, with an empty OS environment (reproducible). */
export function loadFixture(file: string, cwd: string): LoadedProject {
  return loadProject({ files: [file], cwd, env: {} });
}
