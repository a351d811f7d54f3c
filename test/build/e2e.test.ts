// End-to-end: build the fixture project against a real engine and registry (scripts/e2e/docker.sh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { buildAndPush, pinImages, type BuiltImage } from '../../src/build/index.js';
import { connect, resolveEngine } from '../../src/build/engine.js';
import { Diagnostics, DiagnosticError } from '../../src/model/diagnostics.js';
import { E2E, REGISTRY, fixtureProject, prepareFixture, registryGet, runContainer, warnSkipped } from './e2e-helpers.js';

warnSkipped('build e2e tests (test/build/e2e.test.ts)');

describe.skipIf(!E2E)('build and push against a real engine and registry', () => {
  let fx: ReturnType<typeof prepareFixture>;
  let docker: Dockerode;
  let first: Map<string, BuiltImage>;
  const registry = `${REGISTRY}/c2k-e2e`;

  beforeAll(async () => {
    fx = prepareFixture();
    docker = await connect(resolveEngine());
    first = await buildAndPush(fixtureProject(fx.dir), { push: true, registry, progress: 'plain', progressStream: { write: () => true } });
  }, 240_000);
  afterAll(() => fx?.cleanup());

  it('builds and pushes every service with build:', () => {
    expect([...first.keys()].sort()).toEqual(['api', 'web', 'worker']);
    for (const r of first.values()) {
      expect(r.built).toBe(true);
      expect(r.uploaded).toBe(true);
      expect(r.pushed).toBe(true);
      expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(first.get('web')!.reference).toBe(`${registry}/c2kbuild-web@${first.get('web')!.digest}`);
    expect(first.get('worker')!.reference).toBe(`${registry}/example/worker@${first.get('worker')!.digest}`);
  });

  it('the registry holds every image under its content tag and digest', async () => {
    for (const r of first.values()) {
      const repo = r.reference.slice(REGISTRY.length + 1).split('@')[0]!;
      const tags = (await (await registryGet(`/v2/${repo}/tags/list`)).json()) as { tags: string[] };
      expect(tags.tags).toContain(r.tag);
      const head = await registryGet(`/v2/${repo}/manifests/${r.tag}`, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(r.digest);
    }
  });

  it('manifests pin the pushed digests', () => {
    const deploy = (name: string, image: string) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: { template: { spec: { containers: [{ name, image }] } } },
    });
    const objects = [
      deploy('web', 'c2kbuild-web'),
      deploy('web-sidecar', 'c2kbuild-web'),
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'worker' }, spec: { template: { spec: { containers: [{ name: 'worker', image: 'example/worker:1.0' }] } } } },
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'api' },
        spec: { jobTemplate: { spec: { template: { spec: { initContainers: [{ name: 'init', image: 'c2kbuild-api' }], containers: [{ name: 'api', image: 'c2kbuild-api' }] } } } } },
      },
    ];
    const res = pinImages(objects, first);
    expect(res.unused).toEqual([]);
    const images = JSON.stringify(objects);
    expect(images).not.toMatch(/"image":"(c2kbuild-|example\/)/);
    const pinned = [...images.matchAll(/"image":"([^"]+)"/g)].map((m) => m[1]);
    expect(pinned).toHaveLength(5);
    for (const i of pinned) {
      expect(i.startsWith(`${registry}/`)).toBe(true);
      expect(i.slice(registry.length)).toMatch(/^\/[a-z0-9/-]+@sha256:[0-9a-f]{64}$/);
    }
    expect(pinned[0]).toBe(first.get('web')!.reference);
    expect(pinned[1]).toBe(first.get('web')!.reference);
  });

  it('a rerun with unchanged inputs builds nothing and pushes nothing', async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    const again = await buildAndPush(fixtureProject(fx.dir), { push: true, registry, progress: 'plain', progressStream: { write: (s: string) => lines.push(s) } });
    const ms = Date.now() - t0;
    for (const [name, r] of again) {
      expect(r.built, name).toBe(false);
      expect(r.uploaded, name).toBe(false);
      expect(r.reference).toBe(first.get(name)!.reference);
    }
    expect(lines.join('')).not.toMatch(/building|pushing/);
    expect(ms).toBeLessThan(5000);
  });

  it('files listed in .dockerignore are not in the image; <Dockerfile>.dockerignore wins', async () => {
    const web = await runContainer(docker, first.get('web')!.taggedRef, ['ls', '-a', '/app']);
    expect(web.code).toBe(0);
    const files = web.output.split(/\s+/).filter(Boolean);
    expect(files).toContain('Dockerfile');
    expect(files).toContain('keep.log');
    expect(files).toContain('nonce.txt');
    expect(files).not.toContain('secret.txt');
    expect(files).not.toContain('debug.log');
    const api = await runContainer(docker, first.get('api')!.taggedRef, ['cat', '/etc/api.conf']);
    expect(api.output.trim()).toBe('port=9000');
  });

  it('build args reach the build; null (unset) args are dropped', async () => {
    const greeting = await runContainer(docker, first.get('web')!.taggedRef, ['cat', '/greeting', '/unset']);
    expect(greeting.output.trim().split('\n')).toEqual(['hello from compose', 'default-of-unset']);
    const worker = await runContainer(docker, first.get('worker')!.taggedRef, ['cat', '/flavour']);
    expect(worker.output.trim()).toBe('flavour=spicy');
  });

  it('images carry the project labels, and the Compose image names are tagged locally', async () => {
    const info = await docker.getImage(first.get('web')!.taggedRef).inspect();
    expect(info.Config.Labels).toMatchObject({ 'io.compose2k8s.project': 'c2kbuild', 'io.compose2k8s.service': 'web', 'org.example.role': 'frontend' });
    expect(info.RepoTags).toContain('c2kbuild-web:latest');
    const worker = await docker.getImage(first.get('worker')!.taggedRef).inspect();
    expect(worker.RepoTags).toContain('example/worker:1.0');
  });
});

describe.skipIf(!E2E)('build failures', () => {
  let fx: ReturnType<typeof prepareFixture>;
  beforeAll(() => {
    fx = prepareFixture();
  });
  afterAll(() => fx?.cleanup());
  const quiet = { progress: 'plain' as const, progressStream: { write: () => true } };

  it('a broken Dockerfile names the service, the failing step and its last output; nothing is returned', async () => {
    const project = fixtureProject(fx.dir);
    project.services.web!.build!.dockerfile_inline = [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "sh", "-c", "echo compiling; echo something went wrong >&2; exit 3"]',
      '',
    ].join('\n');
    delete project.services.web!.build!.dockerfile;
    const err = await buildAndPush(project, { ...quiet, parallel: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics;
    const failed = d.find((x) => x.code === 'build.failed')!;
    expect(failed.path).toBe('services.web.build');
    expect(failed.message).toMatch(/^web: build failed at step 3\/\d+: RUN \["\/bin\/busybox"/);
    expect(failed.message).not.toContain('\x1b[');
    expect(failed.message).toContain('returned a non-zero code: 3');
    expect(failed.message).toContain('something went wrong');
    // web is built first with parallel 1: the others are cancelled, not half-built.
    expect(d.find((x) => x.code === 'build.cancelled')?.message).toMatch(/worker, api|api, worker/);
  });

  it('a stopped daemon gives a clear error', async () => {
    const err = await buildAndPush(fixtureProject(fx.dir), { ...quiet, env: { ...process.env, DOCKER_HOST: `unix://${fx.dir}/no-daemon.sock` } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.code).toBe('build.engine-unreachable');
    expect(d[0]!.message).toContain(`cannot reach the Docker engine at unix://${fx.dir}/no-daemon.sock (from DOCKER_HOST)`);
    expect(d[0]!.message).toContain('is the Docker daemon running?');
  });

  it('a stopped registry gives a clear error after retrying', async () => {
    const net = await import('node:net');
    const port = await new Promise<number>((res) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => res(p));
      });
    });
    const diagnostics = new Diagnostics();
    const err = await buildAndPush(fixtureProject(fx.dir), { ...quiet, diagnostics, push: true, registry: `127.0.0.1:${port}/x`, retry: { attempts: 3, baseDelayMs: 20 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagnosticError);
    const d = (err as DiagnosticError).diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.code).toBe('build.registry-unreachable');
    expect(d[0]!.message).toContain(`cannot reach registry 127.0.0.1:${port}`);
    expect(d[0]!.message).toContain('ECONNREFUSED');
  });
});

describe.skipIf(!E2E)('BuildKit builds (Engine API version=2, no session)', () => {
  let fx: ReturnType<typeof prepareFixture>;
  let docker: Dockerode;
  beforeAll(async () => {
    fx = prepareFixture();
    docker = await connect(resolveEngine());
  });
  afterAll(() => fx?.cleanup());
  const quiet = { progress: 'plain' as const, progressStream: { write: () => true } };

  it('builds with args and network none, and a rerun builds nothing', async () => {
    const project = fixtureProject(fx.dir, 'c2kbuildkit');
    delete project.services.web;
    delete project.services['web-sidecar'];
    project.services.worker!.image = 'c2kbuildkit/worker:bk';
    project.services.worker!.build!.network = 'none';
    const steps: string[] = [];
    const first = await buildAndPush(project, { builder: 'buildkit', progress: 'plain', progressStream: { write: (s: string) => steps.push(s) } });
    expect(first.get('worker')!.built).toBe(true);
    expect(steps.join('')).toMatch(/worker \| step \d\/\d: RUN \["\/bin\/busybox"/);
    const out = await runContainer(docker, first.get('worker')!.taggedRef, ['cat', '/flavour']);
    expect(out.output.trim()).toBe('flavour=spicy');
    const again = await buildAndPush(project, { ...quiet, builder: 'buildkit' });
    expect(again.get('worker')!.built).toBe(false);
  });

  it('a failing RUN names the step and shows its output', async () => {
    const project = fixtureProject(fx.dir, 'c2kbuildkit');
    project.services = { worker: project.services.worker! };
    project.services.worker!.build!.network = 'none';
    project.services.worker!.build!.dockerfile_inline = 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "echo bk-output; exit 7"]\n';
    const err = await buildAndPush(project, { ...quiet, builder: 'buildkit' }).catch((e: unknown) => e);
    const d = (err as DiagnosticError).diagnostics[0]!;
    expect(d.code).toBe('build.failed');
    expect(d.message).toMatch(/^worker: build failed at step 2\/2: RUN \["\/bin\/busybox"/);
    expect(d.message).toContain('bk-output');
    expect(d.message).toMatch(/exit code: 7/);
  });
});
