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
});
