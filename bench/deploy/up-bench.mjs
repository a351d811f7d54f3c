#!/usr/bin/env node
// Benchmark (issue #14): `compose2k8s up` of the runtime project fixtures/runtime/basic on the real node, from the
// command to every workload ready, side by side in one run with the pipeline a user would otherwise script:
//   docker compose build && docker compose push && kompose convert && kubectl apply --server-side && kubectl wait
// and the time of a second, no-change `up`. Each round deploys into a fresh namespace; images are built once
// beforehand by both (so both start from the same warm build cache and registry), and every command is timed as a
// whole process. Needs the real node and the registry it pulls from:
//   COMPOSE2K8S_RUNTIME_KUBECONFIG, DOCKER_HOST, REGISTRY (scripts/e2e/docker.sh up; COMPOSE2K8S_CLUSTER_KUBELET=1
//   scripts/e2e/cluster.sh up), COMPOSE2K8S_DOCKER_COMPOSE, COMPOSE2K8S_KOMPOSE, and kubectl ($KUBECTL or PATH).
//   node bench/deploy/up-bench.mjs [--rounds N] [--json FILE]
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const rounds = Number(opt('--rounds', '3'));
const jsonOut = opt('--json', undefined);
const root = resolve(import.meta.dirname, '../..');
const env = process.env;
const kubeconfig = env.COMPOSE2K8S_RUNTIME_KUBECONFIG;
const registry = env.REGISTRY;
const dockerCompose = env.COMPOSE2K8S_DOCKER_COMPOSE;
const kompose = env.COMPOSE2K8S_KOMPOSE;
const kubectl = env.KUBECTL ?? 'kubectl';
for (const [name, v] of Object.entries({ COMPOSE2K8S_RUNTIME_KUBECONFIG: kubeconfig, REGISTRY: registry, DOCKER_HOST: env.DOCKER_HOST, COMPOSE2K8S_DOCKER_COMPOSE: dockerCompose, COMPOSE2K8S_KOMPOSE: kompose })) {
  if (!v) {
    console.error(`up-bench: set ${name} (see the header of this file)`);
    process.exit(2);
  }
}

const log = (m) => process.stderr.write(`[up-bench] ${m}\n`);
function run(cmd, argv, o = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 600_000, ...o, env: { ...env, KUBECONFIG: kubeconfig, ...(o.env ?? {}) } });
  const ms = performance.now() - t0;
  if (r.status !== 0 && !o.allowFail) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr || r.stdout}`);
  return { ms, ...r };
}

// The project, with Debian's static busybox in every build context, and an override naming registry images for
// the scripted pipeline (docker compose push needs them; kompose then writes them into the manifests).
const dir = mkdtempSync(join(tmpdir(), 'c2k-up-bench-'));
cpSync(join(root, 'fixtures/runtime/basic'), dir, { recursive: true });
const built = [];
for (const entry of readdirSync(dir)) {
  const sub = join(dir, entry);
  if (statSync(sub).isDirectory() && existsSync(join(sub, 'Dockerfile'))) {
    copyFileSync('/bin/busybox', join(sub, 'busybox'));
    built.push(entry);
  }
}
const repo = `${registry}/c2k-bench-pipeline`;
writeFileSync(join(dir, 'pipeline.override.yaml'), `services:\n${built.map((s) => `  ${s}:\n    image: ${repo}/${s}:latest\n`).join('')}`);
const busybox = `${registry}/compose2k8s-e2e/busybox:${tagOf('busybox')}`;
const kubectlImage = `${registry}/compose2k8s-e2e/kubectl:${tagOf('kubectl')}`;
function tagOf(name) {
  const r = run('curl', ['-fsS', `http://${registry}/v2/compose2k8s-e2e/${name}/tags/list`]);
  return JSON.parse(r.stdout).tags.find((t) => t.startsWith(`${name}-`));
}
const cli = join(root, 'dist/cli.js');
const ours = (ns) => ['--', cli, 'up', '-n', ns, '--registry', `${registry}/c2k-bench-ours`, '--helper-image', busybox, '--kubectl-image', kubectlImage, '--timeout', '300s'];

function pipeline(ns) {
  const files = ['-f', 'compose.yaml', '-f', 'pipeline.override.yaml'];
  const steps = {};
  const t0 = performance.now();
  steps.build = run(dockerCompose, [...files, 'build'], { cwd: dir }).ms;
  steps.push = run(dockerCompose, [...files, 'push'], { cwd: dir }).ms;
  const out = join(dir, `k8s-${ns}`);
  steps.kompose = run(kompose, [...files, 'convert', '-o', out], { cwd: dir }).ms;
  run(kubectl, ['create', 'namespace', ns]);
  steps.apply = run(kubectl, ['apply', '--server-side', '-n', ns, '-f', out]).ms;
  const wait = run(kubectl, ['wait', '-n', ns, '--for=condition=Available', 'deployment', '--all', '--timeout=300s'], { allowFail: true });
  steps.wait = wait.ms;
  return { ms: performance.now() - t0, steps, ready: wait.status === 0, waitOutput: (wait.stderr || wait.stdout).trim().slice(0, 300) };
}

const namespaces = [];
const fresh = (what) => {
  const ns = `c2k-bench-${what}-${randomBytes(3).toString('hex')}`;
  namespaces.push(ns);
  return ns;
};
const results = { rounds: [], date: new Date().toISOString(), loadAverage: (await import('node:os')).loadavg() };
try {
  log('warm-up: one up and one pipeline (builds, pushes, pulls on the node)');
  run(process.execPath, ours(fresh('warm-ours')), { cwd: dir });
  pipeline(fresh('warm-pipe'));
  for (let i = 0; i < rounds; i++) {
    const nsOurs = fresh('ours');
    const up = run(process.execPath, ours(nsOurs), { cwd: dir });
    const again = run(process.execPath, ours(nsOurs), { cwd: dir });
    const pipe = pipeline(fresh('pipe'));
    results.rounds.push({ upMs: up.ms, noChangeUpMs: again.ms, pipelineMs: pipe.ms, pipelineSteps: pipe.steps, pipelineReady: pipe.ready, pipelineWait: pipe.waitOutput });
    log(`round ${i + 1}: up ${(up.ms / 1000).toFixed(2)} s, no-change up ${(again.ms / 1000).toFixed(2)} s, pipeline ${(pipe.ms / 1000).toFixed(2)} s${pipe.ready ? '' : ' (not ready)'}`);
  }
} finally {
  for (const ns of namespaces) run(kubectl, ['delete', 'namespace', ns, '--wait=false'], { allowFail: true });
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const up = median(results.rounds.map((r) => r.upMs));
const again = median(results.rounds.map((r) => r.noChangeUpMs));
const pipe = median(results.rounds.map((r) => r.pipelineMs));
results.summary = { upMs: up, noChangeUpMs: again, pipelineMs: pipe, ratio: pipe / up };
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
console.log(`| Figure (fixtures/runtime/basic on the real node, median of ${rounds}) | compose2k8s | scripted pipeline | ratio |`);
console.log('|---|---|---|---|');
console.log(`| up to all ready (fresh namespace, warm caches) | ${s(up)} | ${s(pipe)} (build ${s(median(results.rounds.map((r) => r.pipelineSteps.build)))}, push ${s(median(results.rounds.map((r) => r.pipelineSteps.push)))}, kompose ${s(median(results.rounds.map((r) => r.pipelineSteps.kompose)))}, apply ${s(median(results.rounds.map((r) => r.pipelineSteps.apply)))}, wait ${s(median(results.rounds.map((r) => r.pipelineSteps.wait)))}) | ${(pipe / up).toFixed(2)}x faster |`);
console.log(`| no-change up | ${s(again)} | | |`);
if (results.rounds.some((r) => !r.pipelineReady)) console.log(`\nThe pipeline's deployments did not all become Available: ${results.rounds.find((r) => !r.pipelineReady).pipelineWait}`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2));
