// The whole pipeline against the real components: `compose2k8s up` builds the fixture project's images on
// the private dockerd, pushes them to the loopback registry, applies digest-pinned manifests to the real API
// server, waits (kwok makes pods ready), and `down` removes everything. Needs both scripts/e2e/docker.sh
// (COMPOSE2K8S_E2E_DOCKER=1, DOCKER_HOST, REGISTRY) and scripts/e2e/cluster.sh (COMPOSE2K8S_KUBECONFIG).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareFixture } from '../build/e2e-helpers.js';

const kubeconfig = process.env.COMPOSE2K8S_KUBECONFIG;
const docker = process.env.COMPOSE2K8S_E2E_DOCKER === '1' && !!process.env.REGISTRY;
const enabled = !!kubeconfig && docker;
if (!enabled) console.warn('[skipped] up end to end: needs COMPOSE2K8S_KUBECONFIG and COMPOSE2K8S_E2E_DOCKER=1 with REGISTRY');

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli.js');
const ns = `e2e-up-${process.pid}`;

function run(args: string[], cwd: string) {
  return spawnSync(process.execPath, ['--', cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: 240_000 });
}

function kubectlJson(args: string[]): any {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig!, ...args, '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe.skipIf(!enabled)('up: build, push, apply pinned digests, wait, down', () => {
  let fixture: ReturnType<typeof prepareFixture>;
  beforeAll(() => {
    if (!existsSync(cli)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root });
    fixture = prepareFixture();
  });
  afterAll(() => {
    run(['down', '-n', ns, '--wait', '--timeout', '60s'], fixture.dir);
    fixture.cleanup();
  });

  it('deploys the images it pushed, pinned by digest, and waits until ready', () => {
    const up = run(['up', '-n', ns, '--registry', process.env.REGISTRY!, '--timeout', '120s'], fixture.dir);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    const deployments = kubectlJson(['get', 'deployments', '-n', ns]).items as any[];
    const images = new Map(deployments.map((d) => [d.metadata.name, d.spec.template.spec.containers[0].image as string]));
    for (const svc of ['web', 'worker', 'api', 'web-sidecar']) {
      expect(images.get(svc), svc).toMatch(new RegExp(`^${process.env.REGISTRY!.replace('.', '\\.')}/.+@sha256:[0-9a-f]{64}$`));
    }
    // web-sidecar reuses web's image by name, so it must run exactly the digest pushed for web.
    expect(images.get('web-sidecar')).toBe(images.get('web'));
    // Every pinned digest is in the registry.
    for (const image of new Set(images.values())) {
      const [repoPart, digest] = image.split('@');
      const repo = repoPart!.slice(process.env.REGISTRY!.length + 1);
      const head = spawnSync('curl', ['-sf', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json', `http://${process.env.REGISTRY}/v2/${repo}/manifests/${digest}`], { encoding: 'utf8' });
      expect(head.stdout, image).toBe('200');
    }
  });

  it('a second up changes nothing on the server', () => {
    const before = kubectlJson(['get', 'deployments', '-n', ns]).items.map((d: any) => `${d.metadata.name}@${d.metadata.resourceVersion}`);
    const again = run(['up', '-n', ns, '--registry', process.env.REGISTRY!, '--timeout', '60s'], fixture.dir);
    expect(again.status, again.stderr).toBe(0);
    const after = kubectlJson(['get', 'deployments', '-n', ns]).items.map((d: any) => `${d.metadata.name}@${d.metadata.resourceVersion}`);
    expect(after).toEqual(before);
  });

  it('down deletes what up applied', () => {
    const down = run(['down', '-n', ns, '--wait', '--timeout', '60s'], fixture.dir);
    expect(down.status, down.stderr).toBe(0);
    const left = spawnSync('kubectl', ['--kubeconfig', kubeconfig!, 'get', 'namespace', ns], { encoding: 'utf8' });
    expect(left.status).not.toBe(0);
  });
});
