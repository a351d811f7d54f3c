// Shared setup of the build end-to-end tests: they need the private engine + registry of
// scripts/e2e/docker.sh (COMPOSE2K8S_E2E_DOCKER=1 with DOCKER_HOST and REGISTRY exported).
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import type { Project } from '../../src/model/project.js';

export const E2E = process.env.COMPOSE2K8S_E2E_DOCKER === '1';
export const REGISTRY = process.env.REGISTRY ?? '';
export const FIXTURE = resolve(import.meta.dirname, '../../fixtures/build');
export const BUSYBOX = '/bin/busybox';

export function warnSkipped(what: string): void {
  if (!E2E) {
    console.warn(`[skipped] ${what}: set COMPOSE2K8S_E2E_DOCKER=1 and export DOCKER_HOST and REGISTRY from \`scripts/e2e/docker.sh up\` to run it`);
  }
}

/** A temporary copy of fixtures/build with busybox in every context and a fresh nonce (so the first build is real). */
export function prepareFixture(): { dir: string; nonce: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'c2k-build-'));
  cpSync(FIXTURE, dir, { recursive: true });
  const nonce = randomBytes(6).toString('hex');
  for (const ctx of ['web', 'worker', 'api']) {
    copyFileSync(BUSYBOX, join(dir, ctx, 'busybox'));
    writeFileSync(join(dir, ctx, 'nonce.txt'), nonce + '\n');
  }
  return { dir, nonce, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The Project the loader produces for fixtures/build/compose.yaml (hand-built: the loader is tested elsewhere). */
export function fixtureProject(dir: string, name = 'c2kbuild'): Project {
  return {
    name,
    services: {
      web: {
        build: {
          context: join(dir, 'web'),
          dockerfile: 'Dockerfile',
          args: { GREETING: 'hello from compose', UNSET_ARG: null },
          labels: { 'org.example.role': 'frontend' },
        },
        ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }],
      },
      worker: {
        image: 'example/worker:1.0',
        build: {
          context: join(dir, 'worker'),
          dockerfile_inline: [
            'FROM scratch',
            'COPY busybox /bin/busybox',
            'ARG FLAVOUR=plain',
            'RUN ["/bin/busybox", "sh", "-c", "echo flavour=$FLAVOUR > /flavour"]',
            'ENTRYPOINT ["/bin/busybox"]',
            '',
          ].join('\n'),
          args: { FLAVOUR: 'spicy' },
        },
      },
      api: {
        build: { context: join(dir, 'api'), dockerfile: 'docker/Dockerfile.api', target: 'final' },
      },
      'web-sidecar': { image: `${name}-web`, command: ['sleep', '3600'] },
    },
  };
}

/** Runs `image` with `cmd` (no network) and returns its output. */
export async function runContainer(docker: Dockerode, image: string, cmd: string[]): Promise<{ code: number; output: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, Tty: true, HostConfig: { NetworkMode: 'none' } });
  try {
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    const logs = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: res.StatusCode, output: logs.toString('utf8').replace(/\r/g, '') };
  } finally {
    await c.remove({ force: true });
  }
}

export async function registryGet(path: string, method = 'GET'): Promise<Response> {
  return fetch(`http://${REGISTRY}${path}`, {
    method,
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
}
