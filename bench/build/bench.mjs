// Build-stage benchmark against the e2e engine and registry (scripts/e2e/docker.sh up; export DOCKER_HOST
// and REGISTRY). Not a timed test: prints JSON lines; docs/build.md's "Measured" section records results.
//
//   node bench/build/bench.mjs [noop|parallel|all] [auto|classic]   (a builder: only that one in `parallel`)
//
// noop:     10 FROM-scratch busybox services; build+push once, then time a rebuild with unchanged inputs
//           (local only and with --push).
// parallel: 4 independent services whose build is `RUN sleep 5` (network none), fresh inputs each run;
//           wall time with the default --parallel (number of CPUs) and with --parallel 4; classic and BuildKit.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const which = process.argv[2] ?? 'all';
const builders = process.argv[3] ? [process.argv[3]] : ['auto', 'classic'];
const registry = process.env.REGISTRY;
if (!process.env.DOCKER_HOST || !registry) {
  console.error('export $(scripts/e2e/docker.sh up | tail -2) first');
  process.exit(2);
}
// Bundle inside the repository so `dockerode` (external, loaded lazily) resolves from node_modules.
const outDir = resolve('.bench-tmp');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'build-stage.mjs');
await build({
  entryPoints: ['src/build/index.ts'],
  bundle: true,
  format: 'esm',
  platform: 'node',
  outfile: out,
  logLevel: 'error',
  external: ['dockerode'],
  banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
});
const { buildAndPush } = await import(out);
const quiet = { progress: 'quiet' };

function project(dir, name, n, dockerfile, nonce = '') {
  const services = {};
  for (let i = 0; i < n; i++) {
    const s = `svc${i}`;
    const ctx = join(dir, s);
    mkdirSync(ctx, { recursive: true });
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'id.txt'), `${name} ${s} ${nonce}\n`);
    services[s] = { build: { context: ctx, dockerfile_inline: dockerfile, network: 'none' } };
  }
  return { name, services };
}

async function time(f) {
  const t = performance.now();
  const r = await f();
  return { ms: Math.round(performance.now() - t), r };
}

const dir = mkdtempSync(join(tmpdir(), 'c2k-bench-build-'));
try {
  if (which === 'noop' || which === 'all') {
    const p = project(dir, 'c2kbench-noop', 10, 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY id.txt /\nENTRYPOINT ["/bin/busybox"]\n');
    const opts = { ...quiet, push: true, registry: `${registry}/c2k-bench` };
    const first = await time(() => buildAndPush(p, opts));
    const built = [...first.r.values()].filter((x) => x.built).length;
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push((await time(() => buildAndPush(p, opts))).ms);
    const local = [];
    for (let i = 0; i < 5; i++) local.push((await time(() => buildAndPush(p, { ...quiet, registry: `${registry}/c2k-bench` }))).ms);
    runs.sort((a, b) => a - b);
    local.sort((a, b) => a - b);
    console.log(JSON.stringify({ bench: 'noop-rebuild', services: 10, firstRunMs: first.ms, builtFirst: built, noopPushMedianMs: runs[2], noopPushMaxMs: runs[4], noopLocalMedianMs: local[2], noopLocalMaxMs: local[4] }));
  }
  if (which === 'parallel' || which === 'all') {
    for (const builder of builders) {
      for (const parallel of [undefined, 4]) {
        const nonce = randomBytes(4).toString('hex');
        // The nonce is in id.txt, copied before the sleep, so no layer of an earlier run is reused.
        const p = project(join(dir, `${builder}-${parallel ?? 'default'}`), 'c2kbench-par', 4, 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY id.txt /\nRUN ["/bin/busybox", "sleep", "5"]\n', nonce);
        const r = await time(() => buildAndPush(p, { ...quiet, builder, parallel }));
        const built = [...r.r.values()].filter((x) => x.built).length;
        console.log(JSON.stringify({ bench: 'four-5s-builds', builder, parallel: parallel ?? `default (${availableParallelism()})`, built, wallMs: r.ms }));
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
