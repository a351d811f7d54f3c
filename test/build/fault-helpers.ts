// Helpers of the fault tests (test/hardening/faults-*.test.ts): the CLI run asynchronously (the fault proxy
// lives in the test process, so a synchronous spawn would block it), a registry behind the fault proxy, and
// small registry API readers.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type net from 'node:net';
import type Dockerode from 'dockerode';
import { connect, resolveEngine } from '../../src/build/engine.js';
import { cliPath, root } from '../helpers/build.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../hardening/fault-proxy.js';

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs dist/cli.js without blocking the event loop. `onStderr` sees the stderr text so far after each chunk. */
export function runCliAsync(
  args: string[],
  o: { cwd: string; env?: Record<string, string>; timeoutMs?: number; onStderr?: (all: string, kill: (sig?: NodeJS.Signals) => void) => void },
): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--', cliPath, ...args], {
      cwd: o.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', PWD: o.cwd, ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const kill = (sig: NodeJS.Signals = 'SIGTERM') => child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      o.onStderr?.(stderr, kill);
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** A distribution-style error body, as a real registry sends it. */
export function registryErrorBody(code: string, message: string): object {
  return { errors: [{ code, message, detail: null }] };
}

export interface RegistryProxy {
  /** host:port to use as --registry (the front that clients talk to). */
  readonly address: string;
  readonly faults: FaultProxy;
  stop(): Promise<void>;
}

/**
 * The fault proxy in front of a registry. A registry writes absolute upload URLs (Location) from the Host header,
 * which the fault proxy rewrites to the target, so the engine would upload blobs straight to the registry, around
 * the proxy. A thin front adds X-Forwarded-Host (which distribution honours) and forwards to the fault proxy, so
 * every request of a push goes through the faults.
 */
export async function startRegistryProxy(registry: string, opts: FaultProxyOptions = {}): Promise<RegistryProxy> {
  const faults = await startFaultProxy(`http://${registry}`, opts);
  const agent = new http.Agent({ keepAlive: true });
  const sockets = new Set<net.Socket>();
  let address = '';
  const front = http.createServer((req, res) => {
    const headers = { ...req.headers, 'x-forwarded-host': address, 'x-forwarded-proto': 'http' };
    const up = http.request({ host: faults.host, port: faults.port, method: req.method, path: req.url, headers, agent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
    });
    // The fault proxy cut the connection: cut ours too, so the client sees the drop.
    up.on('error', () => req.socket.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  front.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  });
  front.headersTimeout = 0;
  front.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(0, '127.0.0.1', () => resolve());
  });
  address = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
  return {
    get address() {
      return address;
    },
    faults,
    stop: async () => {
      const closed = new Promise<void>((r) => front.close(() => r()));
      for (const s of sockets) s.destroy();
      agent.destroy();
      await closed;
      await faults.stop();
    },
  };
}

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

/** Tags of a repository, straight from the registry (not through a proxy). */
export async function registryTags(registry: string, repo: string): Promise<string[]> {
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return body.tags ?? [];
}

/** The manifest digest of repo:tag, or undefined. */
export async function registryDigest(registry: string, repo: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

export interface TestService {
  /** A RUN step (shell command for busybox sh -c), e.g. a slow `sleep 8`. */
  run?: string;
  /** build.network (`none` lets the e2e engine, which has no bridge, use BuildKit for RUN steps). */
  network?: string;
  /** Extra bytes in the image (a file of this many random bytes), to make a push take a while. */
  padBytes?: number;
}

/** Writes a compose project of FROM-scratch services (busybox + a nonce file) into dir. */
export function writeProject(dir: string, name: string, services: Record<string, TestService>): void {
  const lines = [`name: ${name}`, 'services:'];
  for (const [svc, o] of Object.entries(services)) {
    const ctx = join(dir, svc);
    mkdirSync(ctx, { recursive: true });
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    setNonce(dir, svc);
    const df = ['FROM scratch', 'COPY busybox /bin/busybox', 'COPY nonce /nonce'];
    if (o.padBytes) {
      writeFileSync(join(ctx, 'pad'), randomBytes(o.padBytes));
      df.push('COPY pad /pad');
    }
    if (o.run) df.push(`RUN ["/bin/busybox", "sh", "-c", ${JSON.stringify(o.run)}]`);
    df.push('ENTRYPOINT ["/bin/busybox"]');
    writeFileSync(join(ctx, 'Dockerfile'), df.join('\n') + '\n');
    lines.push(`  ${svc}:`, '    build:', `      context: ${svc}`);
    if (o.network) lines.push(`      network: ${o.network}`);
  }
  writeFileSync(join(dir, 'compose.yaml'), lines.join('\n') + '\n');
}

/** New content for a service (so its next build is real). */
export function setNonce(dir: string, svc: string): void {
  writeFileSync(join(dir, svc, 'nonce'), randomBytes(8).toString('hex') + '\n');
}

/** `service  reference  (what)` lines of `compose2k8s build` on stdout. */
export function parseBuildOutput(stdout: string): Record<string, { reference: string; what: string }> {
  const out: Record<string, { reference: string; what: string }> = {};
  for (const line of stdout.split('\n')) {
    const m = /^(\S+)\s+(\S+)\s+\((.*)\)$/.exec(line);
    if (m) out[m[1]!] = { reference: m[2]!, what: m[3]! };
  }
  return out;
}

export const DOCKER_SH = join(root, 'scripts', 'e2e', 'docker.sh');

/**
 * A second, throwaway engine + registry (scripts/e2e/docker.sh with its own COMPOSE2K8S_DOCKER_DIR), for tests
 * that kill and restart the daemons: the shared instance other tests use is never touched.
 */
export class DockerInstance {
  readonly dockerHost: string;
  readonly registry: string;
  private constructor(
    readonly state: string,
    env: Record<string, string>,
  ) {
    this.dockerHost = env.DOCKER_HOST!;
    this.registry = env.REGISTRY!;
  }

  /** Starts an instance under a fresh short directory (unix socket paths are limited to 108 bytes). */
  static start(): DockerInstance {
    const state = mkdtempSync('/tmp/c2k-fd-');
    const r = spawnSync('bash', [DOCKER_SH, 'up'], { env: { ...process.env, COMPOSE2K8S_DOCKER_DIR: state, COMPOSE2K8S_REGISTRY_PORT: String(20000 + Math.floor(Math.random() * 20000)) }, encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`docker.sh up (${state}) failed:\n${r.stderr}`);
    return new DockerInstance(state, Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=', 2) as [string, string])));
  }

  private script(cmd: 'up' | 'down' | 'purge'): string {
    const r = spawnSync('bash', [DOCKER_SH, cmd], { env: { ...process.env, COMPOSE2K8S_DOCKER_DIR: this.state }, encoding: 'utf8', timeout: 180_000 });
    if (r.status !== 0) throw new Error(`docker.sh ${cmd} (${this.state}) failed:\n${r.stderr}`);
    return r.stderr;
  }

  /** Starts whatever is not running (a killed registry or a stopped dockerd), like a supervisor would. */
  up(): string {
    return this.script('up');
  }

  /** Stops both daemons (by their recorded PIDs), unmounts what they left, deletes the state. */
  purge(): void {
    this.script('purge');
  }

  pid(which: 'dockerd' | 'registry'): number {
    return Number(readFileSync(join(this.state, `${which}.pid`), 'utf8').trim());
  }

  /** Sends `signal` to the daemon and waits (up to 60 s) until its process is gone. */
  async kill(which: 'dockerd' | 'registry', signal: NodeJS.Signals): Promise<number> {
    const pid = this.pid(which);
    process.kill(pid, signal);
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      if (!isAlive(pid)) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${which} (pid ${pid}) still running 60 s after ${signal}`);
  }

  docker(): Promise<Dockerode> {
    return connect(resolveEngine({ DOCKER_HOST: this.dockerHost }));
  }
}

/** Alive and not a zombie (daemons started by docker.sh are reparented; a dead one may linger as a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return !/^State:\s+Z/m.test(status);
  } catch {
    return false;
  }
}

/** Removes the local images of `project` that carry a tag under `prefix` (all their tags), and their registry manifests. */
export async function cleanUpPushed(docker: Dockerode, project: string, prefix: string, registry: string, repos: string[]): Promise<void> {
  const list = (await docker.listImages({ filters: JSON.stringify({ label: [`io.compose2k8s.project=${project}`] }) } as never)) as unknown as { Id: string; RepoTags?: string[] | null }[];
  for (const img of list) {
    if (!(img.RepoTags ?? []).some((t) => t.startsWith(`${prefix}/`))) continue;
    await docker.getImage(img.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const repo of repos) {
    for (const tag of await registryTags(registry, repo)) {
      const digest = await registryDigest(registry, repo, tag);
      if (digest) await fetch(`http://${registry}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' }).catch(() => undefined);
    }
  }
}
