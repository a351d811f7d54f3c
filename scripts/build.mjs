// Bundles the CLI into dist/ so `convert` starts without resolving hundreds of module files.
// Heavy, command-specific libraries stay external and are imported lazily by the commands that need them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __c2kCreateRequire } from "node:module"; const require = __c2kCreateRequire(import.meta.url);' },
  external: ['@kubernetes/client-node', 'dockerode', 'tar-stream', '@balena/dockerignore', 'kubernetes-models', 'kubernetes-models/*', 'ssh2', 'cpu-features'],
  logLevel: 'warning',
});
