// The FilePort on node:fs the CLI (and fixture tests) give the lowering stage: read, stat following symlinks
// with a dev:ino identity (so directory walks detect loops), and list. Passes never import this; they use
// ctx.files, so tests can substitute an in-memory port.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { FilePort } from './options.js';

export const nodeFilePort: FilePort = {
  read: (path) => readFileSync(path),
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
