// Shared setup of the runtime suite: compose projects deployed with the real `compose2k8s up` on the real node
// of `COMPOSE2K8S_CLUSTER_KUBELET=1 scripts/e2e/cluster.sh up`, whose kubeconfig COMPOSE2K8S_RUNTIME_KUBECONFIG names.
// Images are built on the private dockerd of scripts/e2e/docker.sh (COMPOSE2K8S_E2E_DOCKER=1, DOCKER_HOST,
// REGISTRY) and pulled by the node from the same registry.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const KUBECONFIG = process.env.COMPOSE2K8S_RUNTIME_KUBECONFIG ?? '';
export const REGISTRY = process.env.REGISTRY ?? '';
export const ENABLED = !!KUBECONFIG && process.env.COMPOSE2K8S_E2E_DOCKER === '1' && !!REGISTRY;
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const BUSYBOX = '/bin/busybox';

export function warnSkipped(what: string): void {
  if (!ENABLED) {
    console.warn(
      `[skipped] runtime ${what}: needs a real node (COMPOSE2K8S_RUNTIME_KUBECONFIG=$(COMPOSE2K8S_CLUSTER_KUBELET=1 scripts/e2e/cluster.sh up | tail -1)) and COMPOSE2K8S_E2E_DOCKER=1 with REGISTRY (scripts/e2e/docker.sh up)`,
    );
  }
}

/**
 * The image of the init containers that wait for dependencies: cluster.sh pushes Debian's busybox as
 * compose2k8s-e2e/busybox to the registry (busybox:1.36 cannot be pulled here), which is what a cluster without
 * internet access does with --helper-image.
 */
export async function helperImage(): Promise<string> {
  const res = await fetch(`http://${REGISTRY}/v2/compose2k8s-e2e/busybox/tags/list`);
  if (!res.ok) throw new Error(`no compose2k8s-e2e/busybox in ${REGISTRY} (HTTP ${res.status}): is the node up with this registry?`);
  const tags = ((await res.json()) as { tags?: string[] }).tags ?? [];
  const tag = tags.find((t) => t.startsWith('busybox-'));
  if (!tag) throw new Error(`compose2k8s-e2e/busybox has no busybox-* tag in ${REGISTRY}`);
  return `${REGISTRY}/compose2k8s-e2e/busybox:${tag}`;
}

/** The image of the init containers that wait for a Job: kubectl FROM scratch, pushed by cluster.sh (--kubectl-image). */
export async function kubectlImage(): Promise<string> {
  const res = await fetch(`http://${REGISTRY}/v2/compose2k8s-e2e/kubectl/tags/list`);
  if (!res.ok) throw new Error(`no compose2k8s-e2e/kubectl in ${REGISTRY} (HTTP ${res.status}): is the node up with this registry?`);
  const tag = (((await res.json()) as { tags?: string[] }).tags ?? []).find((t) => t.startsWith('kubectl-'));
  if (!tag) throw new Error(`compose2k8s-e2e/kubectl has no kubectl-* tag in ${REGISTRY}`);
  return `${REGISTRY}/compose2k8s-e2e/kubectl:${tag}`;
}

/** The flags of a cluster without internet: both wait images from the local registry. */
export async function waitImageFlags(): Promise<string[]> {
  return ['--helper-image', await helperImage(), '--kubectl-image', await kubectlImage()];
}

/** A temporary copy of fixtures/runtime/<name> with Debian's static busybox in every build context (a dir with a Dockerfile). */
export function prepareProject(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `c2k-rt-${name}-`));
  cpSync(join(ROOT, 'fixtures/runtime', name), dir, { recursive: true });
  for (const entry of readdirSync(dir)) {
    const sub = join(dir, entry);
    if (statSync(sub).isDirectory() && existsSync(join(sub, 'Dockerfile'))) copyFileSync(BUSYBOX, join(sub, 'busybox'));
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs dist/cli.js (built if missing) in `cwd` against the runtime cluster. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  if (!existsSync(CLI)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
  return spawnSync(process.execPath, ['--', CLI, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG, ...env },
    timeout: 300_000,
  });
}

export function kubectl(args: string[], timeoutMs = 60_000): SpawnSyncReturns<string> {
  return spawnSync(KUBECTL, ['--kubeconfig', KUBECONFIG, '--request-timeout=30s', ...args], { encoding: 'utf8', timeout: timeoutMs });
}

export function kubectlJson(args: string[]): any {
  const r = kubectl([...args, '-o', 'json']);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The node's InternalIP: where NodePorts answer on this machine (the bridge address). */
export function nodeAddress(): string {
  const node = kubectlJson(['get', 'nodes']).items[0];
  const ip = node?.status?.addresses?.find((a: { type: string }) => a.type === 'InternalIP')?.address;
  if (!ip) throw new Error('the node has no InternalIP');
  return ip;
}

/**
 * GET http://host:port/path from this machine, body as text. Connection errors are retried for `retryMs`: kube-proxy
 * programs a Service's rules a moment after its endpoints turn ready, which is when `up` returns.
 */
export async function httpGet(url: string, retryMs = 15_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** What the cluster tells about the pods of a namespace, for failure messages. */
export function describeNamespace(ns: string): string {
  const pods = kubectl(['-n', ns, 'get', 'pods,jobs', '-o', 'wide']);
  const events = kubectl(['-n', ns, 'get', 'events', '--sort-by=.lastTimestamp']);
  return `${pods.stdout}${pods.stderr}\n${events.stdout.split('\n').slice(-25).join('\n')}`;
}
