// Digest resolution against the real registry of scripts/e2e/docker.sh (COMPOSE2K8S_E2E_DOCKER=1, REGISTRY): images
// pushed through the registry API by hand (test/helpers/push-image.ts), a multi-arch OCI index pinned to the index
// digest, and the registry behind the fault proxy (startRegistryProxy): 500s, a 429 with Retry-After and a request
// that never gets an answer are retried and the conversion succeeds; a registry that keeps failing is an error naming
// every service and image it stopped. Through the built CLI (`convert --resolve-digests`).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E, REGISTRY, warnSkipped } from './e2e-helpers.js';
import { registryErrorBody, runCliAsync, startRegistryProxy, type RegistryProxy } from './fault-helpers.js';
import { ensureBuilt } from '../helpers/build.js';
import { deleteRepository, pushBusyboxImage, pushMultiArch } from '../helpers/push-image.js';
import { STACK_LINE } from '../hardening/cli-helpers.js';

warnSkipped('digest resolution against the real registry (test/build/digests-e2e.test.ts)');

describe.skipIf(!E2E)('tags to digests against the real registry', () => {
  const ns = `c2k-digests-${Date.now().toString(36)}`;
  let dir: string;
  let proxy: RegistryProxy;
  const images: Record<string, string> = {};
  const convert = (registry: string, env: Record<string, string> = {}) => {
    writeFileSync(
      join(dir, 'compose.yaml'),
      `name: dg\nservices:\n  web:\n    image: ${registry}/${ns}/web:1\n  api:\n    image: ${registry}/${ns}/api:1\n  multi:\n    image: ${registry}/${ns}/multi:1\n`,
    );
    return runCliAsync(['convert', '--resolve-digests'], { cwd: dir, env, timeoutMs: 120_000 });
  };

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'c2k-dg-'));
    images.web = (await pushBusyboxImage(REGISTRY, `${ns}/web`, '1')).digest;
    images.api = (await pushBusyboxImage(REGISTRY, `${ns}/api`, '1')).digest;
    const multi = await pushMultiArch(REGISTRY, `${ns}/multi`, '1');
    images.multi = multi.index;
    images.multiAmd64 = multi.platforms.amd64!;
    proxy = await startRegistryProxy(REGISTRY, { seed: 16 });
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    for (const s of ['web', 'api', 'multi']) await deleteRepository(REGISTRY, `${ns}/${s}`);
  });

  it('pins each tag to its digest, and a multi-arch index to the index digest (not one platform)', async () => {
    const r = await convert(REGISTRY);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`image: ${REGISTRY}/${ns}/web:1@${images.web}\n`);
    expect(r.stdout).toContain(`image: ${REGISTRY}/${ns}/api:1@${images.api}\n`);
    expect(r.stdout).toContain(`image: ${REGISTRY}/${ns}/multi:1@${images.multi}\n`);
    expect(images.multi).not.toBe(images.multiAmd64);
  });

  it('500s, a 429 with Retry-After and an answer that never comes are retried; the digests are right', async () => {
    proxy.faults.setRules([
      { name: 'web-500', method: 'HEAD', path: new RegExp(`/${ns}/web/manifests/`), status: 500, body: registryErrorBody('UNKNOWN', 'injected'), times: 2 },
      { name: 'api-429', method: 'HEAD', path: new RegExp(`/${ns}/api/manifests/`), status: 429, retryAfter: 1, body: registryErrorBody('TOOMANYREQUESTS', 'slow down'), times: 1 },
      { name: 'multi-hang', method: 'HEAD', path: new RegExp(`/${ns}/multi/manifests/`), hang: true, times: 1 },
    ]);
    const r = await convert(proxy.address, { COMPOSE2K8S_REGISTRY_TIMEOUT: '2' });
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.status, r.stderr).toBe(0);
    expect(proxy.faults.stats().byRule).toEqual({ 'web-500': 2, 'api-429': 1, 'multi-hang': 1 });
    expect(r.stdout).toContain(`image: ${proxy.address}/${ns}/web:1@${images.web}\n`);
    expect(r.stdout).toContain(`image: ${proxy.address}/${ns}/api:1@${images.api}\n`);
    expect(r.stdout).toContain(`image: ${proxy.address}/${ns}/multi:1@${images.multi}\n`);
    // (a HEAD answer has no body, so no registry error detail)
    expect(r.stderr).toMatch(new RegExp(`HEAD /v2/${ns}/web/manifests/1 on ${proxy.address}: HTTP 500; retrying in \\d\\.\\d s \\(attempt 2/5\\)`));
    expect(r.stderr).toMatch(/HTTP 429; retrying in 1\.\d s/);
    expect(r.stderr).toMatch(/did not answer within 2 s; retrying/);
  }, 120_000);

  it('a registry that keeps answering 500 is an error naming every service and image; nothing on stdout', async () => {
    proxy.faults.setRules([{ name: 'all-500', method: 'HEAD', path: /\/manifests\//, status: 500, body: registryErrorBody('UNKNOWN', 'down for maintenance') }]);
    const r = await convert(proxy.address);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    // Asked about one image (5 attempts), then the registry is known to be failing: the others are not asked at all.
    expect(proxy.faults.stats().byRule['all-500']).toBe(5);
    const line = r.stderr.split('\n').find((l) => l.startsWith('error:'))!;
    expect(line).toContain('error: cannot resolve image tags to digests: ');
    expect(line).toMatch(new RegExp(`HEAD /v2/${ns}/\\w+/manifests/1 on ${proxy.address}: HTTP 500 \\(5 attempts\\)`));
    for (const s of ['web', 'api', 'multi']) expect(line).toContain(`${s}: ${proxy.address}/${ns}/${s}:1`);
    expect(line).toContain('pass --no-resolve-digests to deploy the tags as written');
  }, 120_000);
});
