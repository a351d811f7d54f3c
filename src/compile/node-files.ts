// The FilePort on node:fs the compile driver (and fixture tests) give the lowering stage: read, stat following symlinks
// with a dev:ino identity (so directory walks detect loops), and list. Passes never import this; they use
// ctx.files, so tests can substitute an in-memory port.
import { readdirSync, statSync } from 'node:fs';
import { readRegularFile } from '../compose/index.js';
import type { FilePort } from '../lower/index.js';

export const nodeFilePort: FilePort = {
  // Regular files only, opened without blocking: a FIFO or device named by the project never hangs the run.
  read: (path) => readRegularFile(path),
  stat(path) {
    try {
      const s = statSync(path);
      return { type: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other', size: s.size, id: `${s.dev}:${s.ino}` };
    } catch {
      return undefined;
    }
  },
  list: (path) => readdirSync(path),
};
