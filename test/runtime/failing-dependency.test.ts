// A dependency that fails (issue #14): web waits for the migrate Job, which exits 3. `up` on the real node ends as
// soon as the Job has failed, naming it and its reason, well before --timeout; web never started.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, REGISTRY, cli, kubectlJson, prepareProject, waitImageFlags, warnSkipped } from './helpers.js';

warnSkipped('failing dependency (up stops at the failed Job)');

const ns = `c2k-rt-failing-${randomBytes(3).toString('hex')}`;
const TIMEOUT_S = 240;

describe.skipIf(!ENABLED)('runtime: a dependency that fails', () => {
  let project: ReturnType<typeof prepareProject>;
  beforeAll(() => {
    project = prepareProject('failing-dependency');
  });
  afterAll(() => {
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '60s'], project.dir);
    project.cleanup();
  });

  it('up fails at the failed Job with its reason, long before the timeout, and web never started', async () => {
    const t0 = Date.now();
    const up = cli(['up', '-n', ns, '--registry', `${REGISTRY}/c2k-runtime`, ...(await waitImageFlags()), '--timeout', `${TIMEOUT_S}s`], project.dir);
    const seconds = (Date.now() - t0) / 1000;
    expect(up.status, up.stderr).toBe(1);
    expect(seconds).toBeLessThan(TIMEOUT_S / 2);
    expect(up.stderr).toMatch(/job\.batch\/migrate|Job\.batch\/migrate|migrate/);
    expect(up.stderr).toMatch(/BackoffLimitExceeded|Failed/);
    expect(up.stderr).not.toMatch(/timed out/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    const [web] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=web']).items;
    expect(web.status.initContainerStatuses[0].state.running ?? web.status.initContainerStatuses[0].state.waiting).toBeTruthy();
    expect(web.status.containerStatuses?.[0]?.state?.running).toBeUndefined();
  }, 300_000);
});
