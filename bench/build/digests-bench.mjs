// Digest resolution benchmark against the loopback registry of scripts/e2e/docker.sh (export REGISTRY): a project of
// N services (default 100), each with its own image tag, converted with `--resolve-digests`. Prints one JSON line:
// the medians over the runs of the resolution phase (COMPOSE2K8S_TIMING's `digests`, the time between the end of the
// lowering and the end of resolution) and of the whole process, with and without --resolve-digests.
//
//   node bench/build/digests-bench.mjs [N] [RUNS]
//
// The images are pushed by hand through the registry API (test/helpers/push-image.ts, bundled here), one manifest
// per tag over a shared busybox layer, under c2k-bench-digests/ (left there: a rerun reuses the blobs).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const n = Number(process.argv[2] ?? 100);
const runs = Number(process.argv[3] ?? 7);
const registry = process.env.REGISTRY;
if (!registry) {
  console.error('export REGISTRY first (scripts/e2e/docker.sh up prints it)');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli.js');
const outDir = join(root, '.bench-tmp');
mkdirSync(outDir, { recursive: true });
const helper = join(outDir, 'push-image.mjs');
await build({
  entryPoints: [join(root, 'test/helpers/push-image.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: helper,
  logLevel: 'error',
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
});
const { pushBusyboxImage } = await import(helper);

const dir = mkdtempSync(join(tmpdir(), 'c2k-bench-digests-'));
try {
  const lines = ['name: benchdigests', 'services:'];
  for (let i = 0; i < n; i++) {
    await pushBusyboxImage(registry, `c2k-bench-digests/svc${i}`, '1');
    lines.push(`  svc${i}:`, `    image: ${registry}/c2k-bench-digests/svc${i}:1`);
  }
  writeFileSync(join(dir, 'compose.yaml'), lines.join('\n') + '\n');

  const once = (args) => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [cli, 'convert', ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, COMPOSE2K8S_TIMING: '1' }, maxBuffer: 64 << 20 });
    const wall = performance.now() - t;
    if (r.status !== 0) throw new Error(`convert ${args.join(' ')} failed: ${r.stderr.slice(0, 2000)}`);
    const phase = /^timing: digests\s+([\d.]+) ms$/m.exec(r.stderr);
    const pinned = (r.stdout.match(/@sha256:[0-9a-f]{64}/g) ?? []).length;
    return { wall, digests: phase ? Number(phase[1]) : undefined, pinned };
  };
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  once(['--resolve-digests']); // warm-up (page cache)
  const resolved = [];
  const plain = [];
  for (let i = 0; i < runs; i++) {
    // alternate, so both meet the same machine load
    const pair = i % 2 ? [once([]), once(['--resolve-digests'])] : [once(['--resolve-digests']), once([])].reverse();
    plain.push(pair[0]);
    resolved.push(pair[1]);
  }
  if (resolved.some((r) => r.pinned !== n)) throw new Error(`expected ${n} pinned images, got ${resolved.map((r) => r.pinned).join(', ')}`);
  console.log(
    JSON.stringify({
      bench: 'resolve-digests',
      services: n,
      runs,
      digestsPhaseMedianMs: Math.round(median(resolved.map((r) => r.digests)) * 10) / 10,
      digestsPhaseMaxMs: Math.round(Math.max(...resolved.map((r) => r.digests)) * 10) / 10,
      convertResolveMedianMs: Math.round(median(resolved.map((r) => r.wall))),
      convertPlainMedianMs: Math.round(median(plain.map((r) => r.wall))),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
