// Measures loading + validating a compose project in-process (no output), the loader's own cost.
// Usage: node bench/load-only.mjs FILE [runs]   (bundles src/compose/loader.ts with esbuild first)
import { build } from 'esbuild';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const file = process.argv[2];
const runs = Number(process.argv[3] ?? 5);
const out = join(mkdtempSync(join(tmpdir(), 'c2k-bench-')), 'loader.mjs');
await build({ entryPoints: ['src/compose/loader.ts'], bundle: true, format: 'esm', platform: 'node', outfile: out, logLevel: 'error', banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' } });
const { loadProject } = await import(out);
const times = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  loadProject({ files: [file], env: {} });
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const rss = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ file, runs, medianMs: Math.round(times[Math.floor(runs / 2)]), firstMs: Math.round(times[0]), maxRssMB: Math.round(rss) }));
