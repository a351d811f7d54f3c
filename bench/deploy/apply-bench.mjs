#!/usr/bin/env node
// Benchmark: server-side apply of 300 objects (100 Deployments + 100 Services + 100 ConfigMaps) by compose2k8s
// versus `kubectl apply --server-side -f`, against the same API server in the same run, first apply (create) and
// re-apply unchanged. Both are timed as whole processes (start-up included).
//
//   node bench/deploy/apply-bench.mjs [--kubeconfig FILE] [--rounds N] [--objects N]
//   (default kubeconfig: $COMPOSE2K8S_KUBECONFIG; kubectl: $KUBECTL or /usr/bin/kubectl)
//
// Prints a Markdown table; docs/deploy.md ("Measured") records a run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const kubeconfig = opt('--kubeconfig', process.env.COMPOSE2K8S_KUBECONFIG);
const rounds = Number(opt('--rounds', '3'));
const perKind = Number(opt('--objects', '100'));
const kubectl = process.env.KUBECTL ?? '/usr/bin/kubectl';
if (!kubeconfig) {
  console.error('set COMPOSE2K8S_KUBECONFIG or pass --kubeconfig (scripts/e2e/cluster.sh up prints one)');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'c2k-bench-'));
const runner = join(dir, 'runner.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('./apply-runner.ts', import.meta.url))],
  outfile: runner,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node', '@kubernetes/client-node/*', 'socks-proxy-agent', 'hpagent'],
  banner: { js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);' },
  nodePaths: [fileURLToPath(new URL('../../node_modules', import.meta.url))],
  logLevel: 'warning',
});
// Resolve externals from the repository's node_modules.
const env = { ...process.env, NODE_PATH: fileURLToPath(new URL('../../node_modules', import.meta.url)) };
writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
execFileSync('ln', ['-s', fileURLToPath(new URL('../../node_modules', import.meta.url)), join(dir, 'node_modules')]);

const docs = [];
for (let i = 0; i < perKind; i++) {
  const name = `app-${String(i).padStart(3, '0')}`;
  const labels = { app: name };
  docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, labels }, data: { INDEX: String(i), GREETING: 'hello' } });
  docs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  docs.push({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }], envFrom: [{ configMapRef: { name: `${name}-config` } }] }] },
      },
    },
  });
}
const manifest = join(dir, 'objects.yaml');
writeFileSync(manifest, docs.map((d) => `---\n${JSON.stringify(d)}\n`).join(''));

const k = (...a) => spawnSync(kubectl, ['--kubeconfig', kubeconfig, ...a], { encoding: 'utf8' });
function timed(cmd, argv) {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
  return { ms, stdout: r.stdout };
}
const kubectlApply = (ns) => timed(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-n', ns, '-f', manifest]);
const ourApply = (ns, mode) => {
  const r = timed(process.execPath, [runner, kubeconfig, ns, manifest, ...(mode ? [mode] : [])]);
  return { ...r, detail: JSON.parse(r.stdout.trim().split('\n').pop()) };
};

const rows = [];
const id = Date.now().toString(36);
for (let round = 1; round <= rounds; round++) {
  const nsK = `bench-kubectl-${id}-${round}`;
  const nsC = `bench-c2k-${id}-${round}`;
  for (const ns of [nsK, nsC]) k('create', 'namespace', ns);
  // Alternate who goes first, so that neither always meets a busier control plane.
  const order = round % 2 ? ['kubectl', 'c2k'] : ['c2k', 'kubectl'];
  const res = {};
  for (const phase of ['create', 'unchanged']) {
    for (const who of order) res[`${who}-${phase}`] = who === 'kubectl' ? kubectlApply(nsK) : ourApply(nsC);
  }
  // And once more sending every object (no client-side skipping): what the server itself costs for no-op applies.
  res['c2k-sendall'] = ourApply(nsC, 'send-all');
  const c = res['c2k-create'].detail;
  const u = res['c2k-unchanged'].detail;
  const s = res['c2k-sendall'].detail;
  for (const d of [u, s]) if (!c.ok || !d.ok || d.outcomes.unchanged !== docs.length) throw new Error(`compose2k8s apply did not succeed: ${JSON.stringify({ c, d })}`);
  rows.push({
    round,
    kubectlCreate: res['kubectl-create'].ms,
    c2kCreate: res['c2k-create'].ms,
    c2kCreateApply: c.applyMs,
    kubectlUnchanged: res['kubectl-unchanged'].ms,
    c2kUnchanged: res['c2k-unchanged'].ms,
    c2kUnchangedApply: u.applyMs,
    c2kSendAll: res['c2k-sendall'].ms,
    c2kSendAllApply: s.applyMs,
  });
  for (const ns of [nsK, nsC]) k('delete', 'namespace', ns, '--wait=false');
}

const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
const med = (key) => rows.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
const version = k('version', '-o', 'json');
const server = version.status === 0 ? JSON.parse(version.stdout).serverVersion?.gitVersion : 'unknown';
const client = version.status === 0 ? JSON.parse(version.stdout).clientVersion?.gitVersion : 'unknown';
const load = (await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`${docs.length} objects (${perKind} Deployments + ${perKind} Services + ${perKind} ConfigMaps); kube-apiserver ${server}; kubectl ${client}; node ${process.version}; ${(await import('node:os')).cpus().length} CPUs, load average at the end ${load}\n`);
console.log('| round | kubectl create | compose2k8s create (in-process apply) | speed-up | kubectl unchanged | compose2k8s unchanged (in-process apply) | speed-up | compose2k8s unchanged, every object sent |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.round} | ${f(r.kubectlCreate)} | ${f(r.c2kCreate)} (${f(r.c2kCreateApply)}) | ${(r.kubectlCreate / r.c2kCreate).toFixed(1)}x | ${f(r.kubectlUnchanged)} | ${f(r.c2kUnchanged)} (${f(r.c2kUnchangedApply)}) | ${(r.kubectlUnchanged / r.c2kUnchanged).toFixed(1)}x | ${f(r.c2kSendAll)} (${f(r.c2kSendAllApply)}) |`,
  );
}
console.log(
  `| median | ${f(med('kubectlCreate'))} | ${f(med('c2kCreate'))} (${f(med('c2kCreateApply'))}) | ${(med('kubectlCreate') / med('c2kCreate')).toFixed(1)}x | ${f(med('kubectlUnchanged'))} | ${f(med('c2kUnchanged'))} (${f(med('c2kUnchangedApply'))}) | ${(med('kubectlUnchanged') / med('c2kUnchanged')).toFixed(1)}x | ${f(med('c2kSendAll'))} (${f(med('c2kSendAllApply'))}) |`,
);
