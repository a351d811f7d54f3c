// Faults of a real API server, against the built CLI (dist/cli.js) as a user runs it:
// - through our fault proxy (fault-proxy.ts, HTTPS-terminating with its own certificate; the kubeconfig we give the
//   CLI points at it and trusts its certificate): 429 with Retry-After, 500, 503, connections dropped before the
//   request reaches the server and after it answered, slow and hanging responses, seeded random chaos;
// - a kube-apiserver of a second control plane of our own (scripts/e2e/cluster.sh, COMPOSE2K8S_CLUSTER_MINIMAL=1,
//   its own state directory) killed with SIGKILL mid-apply and started again;
// - two applies of one project at once (the apply lock), Ctrl-C and SIGKILL of the holder, a stale lock.
// Enabled by COMPOSE2K8S_KUBECONFIG (the shared cluster of scripts/e2e/cluster.sh up); the shared cluster itself is
// never stopped. The fault proxy's own behaviour is checked first, without any cluster.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_PART_OF, applySetId, parentFor } from '../../src/deploy/applyset.js';
import { connect, type Cluster } from '../../src/deploy/client.js';
import { ANNOTATION_LOCK, localHostId, parseLock } from '../../src/deploy/lock.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { cliPath, ENV, ensureBuilt, STACK_LINE } from './cli-helpers.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

const KUBECONFIG = process.env.COMPOSE2K8S_KUBECONFIG;
const ROOT = join(import.meta.dirname, '..', '..');
const CLUSTER_SH = join(ROOT, 'scripts', 'e2e', 'cluster.sh');
if (!KUBECONFIG) {
  console.warn(
    '[faults-apiserver] API server fault tests skipped: set COMPOSE2K8S_KUBECONFIG to a cluster kubeconfig (export COMPOSE2K8S_KUBECONFIG=$(scripts/e2e/cluster.sh up | tail -1))',
  );
}

const tmp = mkdtempSync(join(tmpdir(), 'c2k-faults-'));

// ------------------------------------------------------------------------------------------------ helpers --

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  endedAt: number;
}

interface Proc {
  child: ChildProcess;
  readonly stderr: string;
  done: Promise<Run>;
  /** Resolves when stderr matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
}

/** The CLI as a separate process (asynchronously: the proxy runs in this process and must keep serving). */
function start(args: string[], cwd: string, timeoutMs = 120_000): Proc {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--', cliPath, ...args], { cwd, env: { ...ENV, PWD: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => {
    stderr += c;
    for (const w of [...waiters]) if (w.re.test(stderr)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, endedAt: Date.now() });
    }),
  );
  return {
    child,
    get stderr() {
      return stderr;
    },
    done,
    waitFor: (re, ms = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (re.test(stderr)) return resolve();
        const t = setTimeout(() => reject(new Error(`stderr never matched ${re}:\n${stderr}`)), ms);
        waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
        void done.then(() => setTimeout(() => reject(new Error(`exited before stderr matched ${re}:\n${stderr}`)), 50));
      }),
  };
}

const cli = (args: string[], cwd: string, timeoutMs?: number) => start(args, cwd, timeoutMs).done;

/** No stack trace, no "internal error": a failure is reported, not crashed on. */
function expectClean(r: Run): void {
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/);
}

/** A compose project in a directory of its own: services web, api, cache (+ extra), a config. */
function project(name: string, opts: { extra?: string[]; greeting?: string; services?: number } = {}): string {
  const dir = join(tmp, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  writeProject(dir, opts);
  return dir;
}

function writeProject(dir: string, opts: { extra?: string[]; greeting?: string; services?: number } = {}): void {
  const services: Record<string, unknown> = {
    web: { image: 'nginx:1.27', ports: ['8080:80'], environment: { GREETING: opts.greeting ?? 'hello' }, configs: [{ source: 'site', target: '/etc/site.conf' }] },
    api: { image: 'example/api:1', expose: ['3000'] },
    cache: { image: 'redis:7', expose: ['6379'] },
  };
  for (const x of opts.extra ?? []) services[x] = { image: `example/${x}:1`, expose: ['80'] };
  for (let i = 0; i < (opts.services ?? 0); i++) services[`svc${i}`] = { image: 'example/svc:1', expose: ['80'], environment: { I: String(i) } };
  writeFileSync(join(dir, 'compose.yaml'), stringify({ name: 'faults', services, configs: { site: { content: 'listen 80;\n' } } }));
}

/** What the project should be in the cluster: `Kind/name` of every object the converter makes (namespace included). */
function desired(dir: string, ns: string): string[] {
  const r = spawnSync(process.execPath, ['--', cliPath, 'convert', '-n', ns], { cwd: dir, env: { ...ENV, PWD: dir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`convert failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as KubeObject)
    .filter(Boolean)
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();
}

const KINDS: [string, string][] = [
  ['Namespace', '/api/v1/namespaces'],
  ['ConfigMap', '/api/v1/namespaces/NS/configmaps'],
  ['Secret', '/api/v1/namespaces/NS/secrets'],
  ['Service', '/api/v1/namespaces/NS/services'],
  ['Deployment', '/apis/apps/v1/namespaces/NS/deployments'],
];

/** Every live member of the project's set (by its part-of label), as `Kind/name`. */
async function liveSet(cluster: Cluster, ns: string): Promise<string[]> {
  const id = applySetId(parentFor('faults', ns));
  const out: string[] = [];
  for (const [kind, path] of KINDS) {
    const list = await cluster.client.get<{ items: KubeObject[] }>(path.replace('NS', ns), { labelSelector: `${LABEL_PART_OF}=${id}` });
    for (const o of list.items) if (!o.metadata.deletionTimestamp) out.push(`${kind}/${o.metadata.name}`);
  }
  return out.sort();
}

async function lockAnnotation(cluster: Cluster, ns: string): Promise<string | undefined> {
  const p = await cluster.client.getOptional<KubeObject>(`/api/v1/namespaces/${ns}/secrets/compose2k8s-faults`);
  return p?.metadata.annotations?.[ANNOTATION_LOCK];
}

/** A copy of a kubeconfig whose cluster is `server`, trusting `caPem` (or the original CA when omitted). */
function kubeconfigFor(source: string, target: string, server: string, caPem?: string): string {
  const doc = parse(readFileSync(source, 'utf8')) as {
    'current-context': string;
    contexts: { name: string; context: { cluster: string } }[];
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const ctx = doc.contexts.find((c) => c.name === doc['current-context'])!;
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)!;
  cluster.cluster.server = server;
  if (caPem) cluster.cluster['certificate-authority-data'] = Buffer.from(caPem).toString('base64');
  writeFileSync(target, stringify(doc), { mode: 0o600 });
  return target;
}

function serverOf(kubeconfig: string): string {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as { 'current-context': string; contexts: { name: string; context: { cluster: string } }[]; clusters: { name: string; cluster: { server: string } }[] };
  const ctx = doc.contexts.find((c) => c.name === doc['current-context'])!;
  return doc.clusters.find((c) => c.name === ctx.context.cluster)!.cluster.server;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------------------------- the proxy, by itself --

describe('fault proxy', () => {
  let upstream: http.Server;
  let target: string;
  const seen: string[] = [];
  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`echo ${req.method} ${req.url} ${body}`.padEnd(64, '.')));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    target = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

  const request = (url: string, method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders } | { error: string; partial?: string }>((resolve) => {
      const r = http.request(url, { method, agent: false }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers }));
        res.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message, partial: b }));
      });
      r.on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
      r.end(body);
    });

  it('answers, drops, delays and forwards as its rules say, and counts', async () => {
    const p = await startFaultProxy(target);
    try {
      p.setRules([
        { name: '429', method: 'GET', path: /^\/limited/, status: 429, retryAfter: 3, times: 1 },
        { name: 'before', method: 'POST', path: '/upload', drop: 'request', times: 1 },
        { name: 'after', path: /^\/applied/, drop: 'response', times: 1 },
        { name: 'slow', path: /^\/slow/, responseDelayMs: 300 },
        { name: 'skip2', path: /^\/third/, after: 2, status: 503 },
      ]);
      const limited = await request(`${p.url}/limited`);
      expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
      expect(JSON.parse((limited as { body: string }).body)).toMatchObject({ kind: 'Status', code: 429, reason: 'TooManyRequests' });
      expect(await request(`${p.url}/limited`)).toMatchObject({ status: 200 });
      seen.length = 0;
      expect(await request(`${p.url}/upload`, 'POST', 'data')).toEqual({ error: 'ECONNRESET' });
      expect(seen).toEqual([]); // never reached the target
      const dropped = await request(`${p.url}/applied`, 'PUT', 'x');
      expect(seen).toEqual(['PUT /applied']); // the target did the work...
      expect(dropped).toMatchObject({ error: 'ECONNRESET' }); // ...the client saw a reset after part of the answer
      expect((dropped as { partial: string }).partial.length).toBeGreaterThan(0);
      const t0 = Date.now();
      expect(await request(`${p.url}/slow`)).toMatchObject({ status: 200 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      const third = await Promise.all([1, 2, 3, 4].map(() => request(`${p.url}/third`)));
      expect(third.map((r) => ('status' in r ? r.status : r.error))).toEqual([200, 200, 503, 503]);
      const st = p.stats();
      expect(st.byRule).toEqual({ '429': 1, before: 1, after: 1, slow: 1, skip2: 2 });
      expect(st.requests).toBe(9);
      expect(st.forwarded).toBe(5);
      expect(st.byRequest['GET /third']).toBe(4);
      p.setRules([{ path: /^\/gated/, gate: 'g' }]);
      seen.length = 0;
      const gated = request(`${p.url}/gated`);
      await new Promise((r) => setTimeout(r, 100));
      expect(p.held('g')).toBe(1);
      expect(seen).toEqual([]);
      p.openGate('g');
      expect(await gated).toMatchObject({ status: 200 });
      expect(seen).toEqual(['GET /gated']);
      p.setDown(true);
      expect(await request(`${p.url}/limited`)).toHaveProperty('error');
      p.setDown(false);
      expect(await request(`${p.url}/limited`)).toMatchObject({ status: 200 });
    } finally {
      await p.stop();
    }
  });

  it('fires probabilistic rules reproducibly from its seed', async () => {
    const outcomes = async (seed: number) => {
      const p = await startFaultProxy(target, { seed, rules: [{ probability: 0.5, status: 500 }] });
      const out: number[] = [];
      for (let i = 0; i < 24; i++) {
        const r = await request(`${p.url}/r${i}`);
        out.push('status' in r ? r.status : 0);
      }
      await p.stop();
      return out.join(',');
    };
    const a = await outcomes(7);
    expect(await outcomes(7)).toBe(a);
    expect(await outcomes(8)).not.toBe(a);
    expect(a).toMatch(/500/);
    expect(a).toMatch(/200/);
  });

  it('serves HTTPS with its own certificate, and in tcp mode resets or passes connections', async () => {
    const p = await startFaultProxy(target, { tls: true });
    const https = await import('node:https');
    const body = await new Promise<string>((resolve, reject) =>
      https.get(`${p.url}/x`, { ca: p.ca }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c)).on('end', () => resolve(b));
      }).on('error', reject),
    );
    expect(body).toMatch(/^echo GET \/x/);
    await p.stop();
    const t = await startFaultProxy(target.replace('http://', ''), { mode: 'tcp', rules: [{ drop: 'request', times: 1 }] });
    expect(await request(`http://127.0.0.1:${t.port}/a`)).toHaveProperty('error');
    expect(await request(`http://127.0.0.1:${t.port}/a`)).toMatchObject({ status: 200 });
    expect(t.stats()).toMatchObject({ requests: 2, forwarded: 1, faults: 1 });
    await t.stop();
  });
});

// ------------------------------------------------------------------- the real API server, through it --

describe.skipIf(!KUBECONFIG)('API server faults (real kube-apiserver behind the fault proxy)', () => {
  let direct: Cluster;
  let proxy: FaultProxy;
  let via: string;
  const namespaces: string[] = [];
  const newNs = (prefix: string) => {
    const ns = `c2k-fault-${prefix}-${randomBytes(3).toString('hex')}`;
    namespaces.push(ns);
    return ns;
  };
  // The images are on Docker Hub, which cannot be reached here: deployed by tag.
  const args = (ns: string, ...more: string[]) => ['apply', '-n', ns, '--kubeconfig', via, '--no-resolve-digests', ...more];

  beforeAll(async () => {
    ensureBuilt();
    direct = await connect({ kubeconfig: KUBECONFIG });
    proxy = await startFaultProxy(serverOf(KUBECONFIG!), { tls: true, seed: 20261122 });
    via = kubeconfigFor(KUBECONFIG!, join(tmp, 'via-proxy.kubeconfig'), proxy.url, proxy.ca);
  });
  afterEach(() => {
    proxy.clearRules();
    proxy.resetStats();
  });
  afterAll(() => {
    for (const g of ['first', 'signal']) proxy?.openGate(g);
  });
  afterAll(async () => {
    await proxy?.stop();
    for (const ns of namespaces) await direct?.client.delete(`/api/v1/namespaces/${ns}`).catch(() => {});
    direct?.close();
  });

  it('transient 429 (Retry-After), 500, 503, dropped connections and slow answers: apply retries within bounds and converges', async () => {
    const ns = newNs('transient');
    const dir = project('transient');
    const obj = (path: string) => new RegExp(`/namespaces/${esc(ns)}/${path}(\\?|$)`);
    proxy.setRules([
      { name: '429', method: 'PATCH', path: obj('deployments/web'), status: 429, retryAfter: 1, times: 2 },
      { name: '500', method: 'PATCH', path: obj('services/api'), status: 500, times: 2 },
      { name: '503', method: 'PATCH', path: obj('deployments/api'), status: 503, times: 2 },
      { name: 'drop-request', method: 'PATCH', path: obj('services/web'), drop: 'request', times: 1 },
      { name: 'drop-response', method: 'PATCH', path: obj('deployments/cache'), drop: 'response', times: 1 },
      { name: 'slow', method: 'PATCH', path: obj('services/cache'), responseDelayMs: 1500, times: 1 },
      { name: 'discovery', method: 'GET', path: /^\/apis\??/, status: 503, times: 1 },
      { name: 'parent', method: 'GET', path: obj('secrets/compose2k8s-faults'), drop: 'response', times: 1 },
    ]);
    const r = await cli(args(ns), dir);
    expect(r.code, r.stderr).toBe(0);
    expectClean(r);
    // Every rule fired exactly as often as it was told to, and each faulted request was retried just enough.
    expect(proxy.stats().byRule).toEqual({ '429': 2, '500': 2, '503': 2, 'drop-request': 1, 'drop-response': 1, slow: 1, discovery: 1, parent: 1 });
    const sent = (path: string) => proxy.stats().byRequest[`PATCH /apis/apps/v1/namespaces/${ns}/${path}`] ?? proxy.stats().byRequest[`PATCH /api/v1/namespaces/${ns}/${path}`];
    expect(sent('deployments/web')).toBe(3);
    expect(sent('services/api')).toBe(3);
    expect(sent('deployments/cache')).toBe(2);
    expect(sent('configmaps/site')).toBe(1);
    // Retry-After was honoured (1 s, not the 125-250 ms first backoff).
    expect(r.stderr).toContain(`retrying PATCH Deployment.apps/web (namespace ${ns}) after HTTP 429 (attempt 2/6 in 1000 ms)`);
    expect(r.stderr).toMatch(new RegExp(`retrying PATCH Service/web \\(namespace ${esc(ns)}\\) after ECONNRESET`));
    expect(r.ms).toBeGreaterThanOrEqual(2000);
    // Nothing lost, nothing extra; the lock is released.
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
    expect(await lockAnnotation(direct, ns)).toBeUndefined();
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/ (created|configured)$/);
    // A rerun (no faults) has nothing to do.
    const again = await cli(args(ns), dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
  }, 120_000);

  it('a fault that persists ends the run with exit 1 naming the object, after a bounded number of attempts; a rerun converges', async () => {
    const ns = newNs('persist');
    const dir = project('persist');
    proxy.setRules([{ name: 'down', method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/services/api\\?`), status: 503 }]);
    const r = await cli(args(ns), dir);
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toContain('service/api failed: injected fault: HTTP 503');
    expect(r.stderr).toMatch(/applied \d+ of \d+ object\(s\); not applied:/);
    expect(r.stderr).toContain(`deployment.apps/web -n ${ns}: not applied: an earlier stage failed`);
    expect(r.stderr).toContain('nothing was pruned; fix the cause and rerun');
    // 6 attempts (the default policy), backoff 250 ms doubling to 4 s with jitter: 3.9-7.8 s of waiting.
    expect(proxy.stats().byRequest[`PATCH /api/v1/namespaces/${ns}/services/api`]).toBe(6);
    expect(r.ms).toBeLessThan(60_000);
    // What was reported applied is there, what was reported not applied is not; the lock is released.
    const live = await liveSet(direct, ns);
    expect(live).toContain('Service/web');
    expect(live).not.toContain('Service/api');
    expect(live.filter((k) => k.startsWith('Deployment/'))).toEqual([]);
    expect(await lockAnnotation(direct, ns)).toBeUndefined();
    proxy.clearRules();
    const rerun = await cli(args(ns, '--prune'), dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('service/api created');
    expect(rerun.stdout).toContain('service/web unchanged');
    expect(rerun.stdout).toContain('deployment.apps/web created');
    expect(rerun.stdout).not.toContain('pruned');
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
  }, 120_000);

  it('--prune deletes nothing unless every desired object was applied first', async () => {
    const ns = newNs('prune');
    const dir = project('prune', { extra: ['old'] });
    expect((await cli(args(ns), dir)).code).toBe(0);
    const before = await liveSet(direct, ns);
    expect(before).toContain('Deployment/old');
    // The project loses "old" and changes web; web's apply keeps failing.
    writeProject(dir, { greeting: 'changed' });
    proxy.setRules([{ method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/deployments/web\\?`), status: 500 }]);
    const r = await cli(args(ns, '--prune'), dir);
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toContain('deployment.apps/web failed: injected fault: HTTP 500');
    expect(r.stdout).not.toContain('pruned');
    expect(await liveSet(direct, ns)).toEqual(before);
    // Every object applied, but the list of members to prune fails: still nothing deleted.
    proxy.setRules([{ method: 'GET', path: new RegExp(`/namespaces/${esc(ns)}/deployments\\?.*labelSelector`), after: 1, status: 503 }]);
    const r2 = await cli(args(ns, '--prune'), dir);
    expect(r2.code).toBe(1);
    expectClean(r2);
    expect(r2.stderr).toContain(`error: listing the members of the ApplySet Secret ${ns}/compose2k8s-faults to prune (nothing was pruned): injected fault: HTTP 503`);
    expect(await liveSet(direct, ns)).toEqual(before);
    expect(await lockAnnotation(direct, ns)).toBeUndefined();
    proxy.clearRules();
    const rerun = await cli(args(ns, '--prune'), dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain('deployment.apps/old pruned');
    expect(rerun.stdout).toContain('service/old pruned');
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
  }, 120_000);

  it('an answer lost after the server applied the object is reported as possibly applied; discovery failures end the run cleanly', async () => {
    const ns = newNs('lost');
    const dir = project('lost');
    proxy.setRules([{ method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/configmaps/site\\?`), drop: 'response' }]);
    const r = await cli(args(ns), dir);
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toMatch(/configmap\/site failed: cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: .*\(the server may or may not have applied it; rerun to converge\)/);
    // It was in fact applied: the report did not hide a half-done object, it flagged it.
    expect(await liveSet(direct, ns)).toContain('ConfigMap/site');
    proxy.setRules([{ method: 'GET', path: /^\/apis?(\?|$)/, status: 503 }]);
    const d = await cli(args(newNs('discovery')), dir);
    expect(d.code).toBe(1);
    expectClean(d);
    expect(d.stderr).toContain("error: looking up the objects' resources (API discovery): injected fault: HTTP 503");
    proxy.clearRules();
    const rerun = await cli(args(ns), dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
  }, 120_000);

  it('a hanging request is given up after --request-timeout and retried; seeded chaos on every request still converges', async () => {
    const ns = newNs('chaos');
    const dir = project('chaos', { services: 6 });
    proxy.setRules([{ method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/deployments/web\\?`), hang: true, times: 1 }]);
    const r = await cli(args(ns, '--request-timeout', '2s'), dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/retrying PATCH Deployment\.apps\/web .* after ETIMEDOUT/);
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
    // Chaos: about one request in seven fails in one of five ways (six failures in a row: ~1e-5), or is slow.
    writeProject(dir, { services: 6, greeting: 'chaos' });
    proxy.setRules([
      { probability: 0.03, status: 429, retryAfter: 1 },
      { probability: 0.03, status: 500 },
      { probability: 0.03, status: 503 },
      { probability: 0.03, drop: 'request' },
      { probability: 0.03, drop: 'response' },
      { probability: 0.1, responseDelayMs: 300 },
    ]);
    const c = await cli(args(ns, '--prune'), dir);
    expect(c.code, c.stderr).toBe(0);
    expect(proxy.stats().faults).toBeGreaterThan(0);
    proxy.clearRules();
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
    const again = await cli(args(ns, '--prune'), dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
  }, 180_000);

  // ----------------------------------------------------------------------------------------- the lock --

  it('two applies at once: the second refuses (--lock-timeout 0) or waits for the first, then converges', async () => {
    const ns = newNs('lock');
    const dir = project('lock');
    // Hold the first apply's workloads at the proxy, so that it holds the lock until we let it go on.
    proxy.setRules([{ method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/deployments/`), gate: 'first' }]);
    const first = start(args(ns), dir);
    await first.waitFor(/applying \d+ object\(s\): workloads/);
    const refused = await cli(args(ns, '--lock-timeout', '0'), dir);
    expect(refused.code).toBe(1);
    expectClean(refused);
    expect(refused.stderr).toMatch(
      new RegExp(`another apply of this project is in progress: the apply lock on Secret ${esc(ns)}/compose2k8s-faults is held by apply \\(pid ${first.child.pid} on `),
    );
    expect(refused.stdout).toBe('');
    const waiter = start(args(ns, '--lock-timeout', '60s'), dir);
    await waiter.waitFor(/waiting up to 60s for the apply lock/);
    proxy.openGate('first');
    const [a, b] = await Promise.all([first.done, waiter.done]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(new RegExp(`waiting up to 60s for the apply lock on Secret ${esc(ns)}/compose2k8s-faults, held by apply \\(pid ${first.child.pid} on`));
    // The waiter went after the first had finished, and found nothing left to do.
    expect(b.endedAt).toBeGreaterThanOrEqual(a.endedAt);
    expect(b.stdout.trim().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));
    expect(await lockAnnotation(direct, ns)).toBeUndefined();
  }, 120_000);

  it('Ctrl-C releases the lock; a holder killed with SIGKILL on this machine is taken over at once; a foreign stale lock after its TTL', async () => {
    const ns = newNs('signal');
    const dir = project('signal');
    proxy.setRules([{ method: 'PATCH', path: new RegExp(`/namespaces/${esc(ns)}/deployments/`), gate: 'signal' }]);
    const interrupted = start(args(ns), dir);
    await interrupted.waitFor(/applying \d+ object\(s\): workloads/);
    expect(parseLock(await lockAnnotation(direct, ns))?.pid).toBe(interrupted.child.pid);
    interrupted.child.kill('SIGINT');
    const i = await interrupted.done;
    expect(i.code).toBe(130);
    expect(i.stderr).toContain(`interrupted (SIGINT): releasing the apply lock on Secret ${ns}/compose2k8s-faults`);
    expect(await lockAnnotation(direct, ns)).toBeUndefined();

    const killed = start(args(ns), dir);
    await killed.waitFor(/applying \d+ object\(s\): workloads/);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(parseLock(await lockAnnotation(direct, ns))?.pid).toBe(killed.child.pid); // left behind
    proxy.clearRules();
    const next = await cli(args(ns, '--lock-timeout', '0'), dir);
    expect(next.code, next.stderr).toBe(0);
    if (localHostId()) expect(next.stderr).toContain(`its holder apply (pid ${killed.child.pid} on`);
    expect(await liveSet(direct, ns)).toEqual(desired(dir, ns));

    // A lock of a process elsewhere that stopped renewing it (ttl 2 s): taken over once it was seen unchanged that long.
    await direct.client.request({
      method: 'PATCH',
      path: `/api/v1/namespaces/${ns}/secrets/compose2k8s-faults`,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'test' },
      body: JSON.stringify({
        metadata: { annotations: { [ANNOTATION_LOCK]: JSON.stringify({ holder: 'gone', command: 'up', host: 'ci-runner-9', pid: 77, hostId: 'elsewhere', acquiredAt: '2026-11-01T00:00:00Z', renewedAt: '2026-11-01T00:00:00Z', ttlSeconds: 2 }) } },
      }),
    });
    const t = await cli(args(ns, '--lock-timeout', '30s'), dir);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('waiting up to 30s for the apply lock');
    expect(t.stderr).toContain('taking over the apply lock on Secret');
    expect(t.stderr).toContain('up (pid 77 on ci-runner-9, since 2026-11-01T00:00:00Z) did not renew it for 2s');
    expect(t.ms).toBeGreaterThanOrEqual(2000);
    expect(await lockAnnotation(direct, ns)).toBeUndefined();
  }, 120_000);
});

// ------------------------------------------------------------- a real kube-apiserver killed mid-apply --

describe.skipIf(!KUBECONFIG)('kube-apiserver killed mid-apply (a second control plane of our own)', () => {
  const state = join(tmp, 'cluster2');
  const env = { ...process.env, COMPOSE2K8S_CLUSTER_DIR: state, COMPOSE2K8S_CLUSTER_MINIMAL: '1' };
  const sh = (cmd: string) => {
    const r = spawnSync('bash', [CLUSTER_SH, cmd], { env, encoding: 'utf8', timeout: 240_000 });
    if (r.status !== 0) throw new Error(`cluster.sh ${cmd} failed (${r.status}):\n${r.stderr}`);
    return r.stdout.trim().split('\n').pop()!;
  };
  let kubeconfig: string;
  let cluster: Cluster;

  beforeAll(async () => {
    ensureBuilt();
    kubeconfig = sh('up');
    cluster = await connect({ kubeconfig });
  }, 300_000);
  afterAll(() => {
    cluster?.close();
    sh('down');
    rmSync(state, { recursive: true, force: true });
  }, 120_000);

  it('says what was and was not applied, exits 1, and a rerun after the restart converges without duplicates or losses', async () => {
    const ns = `c2k-kill-${randomBytes(3).toString('hex')}`;
    const dir = project('kill', { services: 25 });
    const want = desired(dir, ns);
    const run = start(['apply', '-n', ns, '--kubeconfig', kubeconfig, '--prune', '--no-resolve-digests'], dir);
    // Freeze the API server the moment the Services start going out (so the kill lands mid-apply for sure: the
    // requests in flight stay unanswered), then kill it.
    await run.waitFor(/applying \d+ object\(s\): services/);
    const [pid] = readFileSync(join(state, 'run', 'kube-apiserver.pid'), 'utf8').trim().split(' ');
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/\/kube-apiserver$/);
    process.kill(Number(pid), 'SIGSTOP');
    await new Promise<void>((resolve, reject) => {
      const k = spawn('bash', [CLUSTER_SH, 'apiserver-kill'], { env, stdio: 'ignore' });
      k.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`apiserver-kill: ${code}`))));
    });
    const r = await run.done;
    expect(r.code).toBe(1);
    expectClean(r);
    // The Services in flight when it died may have been applied, and are reported so; the workloads never went out.
    expect(r.stderr).toMatch(
      /service\/\S+ failed: cannot reach the API server at https:\/\/127\.0\.0\.1:\d+: connection refused \(the server may or may not have applied it; rerun to converge\)/,
    );
    expect(r.stderr).toMatch(/deployment\.apps\/\S+ -n \S+: not applied: an earlier stage failed/);
    expect(r.stderr).toContain('nothing was pruned');
    expect(r.stderr).toMatch(/warning: could not release the apply lock on Secret \S+\/compose2k8s-faults/);
    // Every object reported applied was; none reported failed is claimed to be.
    const reported = r.stdout.trim().split('\n').filter(Boolean);
    expect(reported.every((l) => / (created|configured|unchanged)$/.test(l))).toBe(true);
    sh('apiserver-start');
    const live = await liveSet(cluster, ns);
    expect(live.length).toBeGreaterThanOrEqual(reported.length);
    expect(live.length).toBeLessThan(want.length);
    // The holder is gone: the rerun takes the lock over at once and converges.
    const rerun = await cli(['apply', '-n', ns, '--kubeconfig', kubeconfig, '--prune', '--lock-timeout', '0', '--no-resolve-digests'], dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).not.toContain('pruned');
    expect(await liveSet(cluster, ns)).toEqual(want);
    expect(await lockAnnotation(cluster, ns)).toBeUndefined();
    const again = await cli(['apply', '-n', ns, '--kubeconfig', kubeconfig, '--prune', '--no-resolve-digests'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').every((l) => l.endsWith(' unchanged'))).toBe(true);
  }, 240_000);
});
