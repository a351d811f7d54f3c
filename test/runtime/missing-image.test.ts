// An image that does not exist: `up --timeout` on the real node fails within the timeout and says which pod cannot
// start and why (the kubelet's ErrImagePull, then ImagePullBackOff), instead of hanging or a bare "not ready".
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, REGISTRY, cli, prepareProject, warnSkipped } from './helpers.js';

warnSkipped('missing image (up fails naming the pod and ImagePullBackOff)');

const ns = `c2k-rt-missing-${randomBytes(3).toString('hex')}`;
const TIMEOUT_S = 25;

describe.skipIf(!ENABLED)('runtime: up with an image that does not exist', () => {
  let project: ReturnType<typeof prepareProject>;
  beforeAll(() => {
    project = prepareProject('missing-image');
  });
  afterAll(() => {
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '60s'], project.dir);
    project.cleanup();
  });

  it('fails within the timeout, naming the pod and ImagePullBackOff', () => {
    const t0 = Date.now();
    const up = cli(['up', '-n', ns, '--timeout', `${TIMEOUT_S}s`], project.dir, { C2K_RUNTIME_REGISTRY: REGISTRY });
    const seconds = (Date.now() - t0) / 1000;
    expect(up.status, up.stderr).toBe(1);
    expect(seconds).toBeLessThan(TIMEOUT_S + 15);
    expect(up.stderr).toMatch(new RegExp(`timed out after ${TIMEOUT_S}s`));
    expect(up.stderr).toMatch(/pod ghost-[a-z0-9]+-[a-z0-9]+: .*ErrImagePull/);
    expect(up.stderr).toMatch(/pod ghost-[a-z0-9]+-[a-z0-9]+: .*ImagePullBackOff/);
    expect(up.stderr).toContain(`${REGISTRY}/c2k-runtime/does-not-exist:1`);
    expect(up.stderr).not.toMatch(/\n\s+at /);
  }, 90_000);
});
