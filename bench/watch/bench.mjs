// The dev loop on the real node: seconds from saving a file to the running pod serving it, through `compose2k8s
// watch` (the built CLI), for a `sync` rule and for a `rebuild` rule. Not a timed test; docs/benchmarks.md records
// the results ("The dev loop").
//
//   set -a; . /work/notes/runtime.env; set +a      # COMPOSE2K8S_RUNTIME_KUBECONFIG, DOCKER_HOST, REGISTRY
//   node bench/watch/bench.mjs [--sync N] [--rebuild N]   (defaults 20 and 5)
//
// Project: two services FROM scratch with Debian's static busybox running httpd, each exposed through a NodePort:
// `web` serves ./web/www, synced into the container (`sync`); `site` bakes ./site/www into its image (`rebuild`).
// Each run writes a new index.html and polls http://<node>:<nodePort>/ every 10 ms until the body is the new
// content: the time includes the file watcher, the 200 ms quiet period, the exec (sync) or the build, push, apply
// and rollout (rebuild), and kube-proxy routing to the new pod. The runs are sequential, 1 s apart.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = resolve(import.meta.dirname, '../..');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const SYNC_RUNS = arg('--sync', 20);
const REBUILD_RUNS = arg('--rebuild', 5);
const kubeconfig = process.env.COMPOSE2K8S_RUNTIME_KUBECONFIG;
const registry = process.env.REGISTRY;
if (!kubeconfig || !registry || !process.env.DOCKER_HOST) {
  console.error('needs the real node: set -a; . /work/notes/runtime.env; set +a (COMPOSE2K8S_RUNTIME_KUBECONFIG, DOCKER_HOST, REGISTRY)');
  process.exit(2);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ns = `watch-bench-${randomBytes(3).toString('hex')}`;
const kubectl = (...args) => {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, '-n', ns, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
const dir = mkdtempSync(join(tmpdir(), 'c2k-watch-bench-'));
const dockerfile = (extra) =>
  ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "--install", "-s", "/bin"]', ...extra, 'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]', ''].join('\n');
for (const [service, extra] of [['web', ['COPY www /www']], ['site', ['COPY www /www']]]) {
  mkdirSync(join(dir, service, 'www'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, service, 'busybox'));
  writeFileSync(join(dir, service, 'Dockerfile'), dockerfile(extra));
  writeFileSync(join(dir, service, 'www', 'index.html'), 'start\n');
}
writeFileSync(
  join(dir, 'compose.yaml'),
  `name: c2kbench
services:
  web:
    build: ./web
    stop_grace_period: 1s
    ports: ["8081:80"]
    develop:
      watch:
        - {path: ./web/www, action: sync, target: /www}
  site:
    build: ./site
    stop_grace_period: 1s
    ports: ["8082:80"]
    develop:
      watch:
        - {path: ./site/www, action: rebuild}
`,
);

let stdout = '';
let stderr = '';
const child = spawn(process.execPath, ['--', join(root, 'dist/cli.js'), 'watch', '-n', ns, '--registry', `${registry}/${ns}`, '--expose', 'nodeport', '--timeout', '120s'], {
  cwd: dir,
  env: { ...process.env, KUBECONFIG: kubeconfig },
});
child.stdout.on('data', (d) => (stdout += d));
child.stderr.on('data', (d) => (stderr += d));

async function until(what, fn, ms) {
  for (const end = Date.now() + ms; ; await sleep(50)) {
    if (fn()) return;
    if (Date.now() > end || child.exitCode !== null) throw new Error(`${what}:\n${stderr}`);
  }
}

/** GET the URL until its body is `text`; the time from `start`, in seconds. */
async function servedAfter(url, text, start) {
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if ((await res.text()) === text) return (performance.now() - start) / 1000;
    } catch {
      // a pod going away, kube-proxy catching up: try again
    }
    await sleep(10);
    if (performance.now() - start > 180_000) throw new Error(`${url} never served ${JSON.stringify(text)}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => x.toFixed(2);

try {
  await until('watch to start', () => stderr.includes('watching 2 path(s)'), 300_000);
  const node = JSON.parse(spawnSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'nodes', '-o', 'json'], { encoding: 'utf8' }).stdout).items[0].status.addresses.find(
    (a) => a.type === 'InternalIP',
  ).address;
  const port = (svc) => JSON.parse(kubectl('get', 'service', `${svc}-external`, '-o', 'json')).spec.ports[0].nodePort;
  const url = { web: `http://${node}:${port('web')}/`, site: `http://${node}:${port('site')}/` };
  await servedAfter(url.web, 'start\n', performance.now());
  await servedAfter(url.site, 'start\n', performance.now());

  const results = { sync: [], rebuild: [] };
  for (const [kind, service, runs] of [['sync', 'web', SYNC_RUNS], ['rebuild', 'site', REBUILD_RUNS]]) {
    for (let i = 0; i < runs; i++) {
      await sleep(1000);
      const text = `${kind} ${i} ${randomBytes(4).toString('hex')}\n`;
      const start = performance.now();
      writeFileSync(join(dir, service, 'www', 'index.html'), text);
      const s = await servedAfter(url[service], text, start);
      results[kind].push(s);
      console.error(`${kind} run ${i + 1}/${runs}: ${fmt(s)} s`);
    }
  }
  const actionLines = stdout.split('\n').filter((l) => /^(web|site): /.test(l));
  const summary = {
    date: new Date().toISOString(),
    load: loadavg().map((x) => x.toFixed(1)).join(' '),
    sync: { runs: results.sync.length, median: fmt(median(results.sync)), min: fmt(Math.min(...results.sync)), max: fmt(Math.max(...results.sync)) },
    rebuild: { runs: results.rebuild.length, median: fmt(median(results.rebuild)), min: fmt(Math.min(...results.rebuild)), max: fmt(Math.max(...results.rebuild)) },
    all: { sync: results.sync.map(fmt), rebuild: results.rebuild.map(fmt) },
    lastActions: actionLines.slice(-3),
  };
  console.log(JSON.stringify(summary, null, 2));
} finally {
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  spawnSync(process.execPath, ['--', join(root, 'dist/cli.js'), 'down', '-n', ns, '--wait', '--timeout', '90s'], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
