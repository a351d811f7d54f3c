// Pod Security "restricted" on the real node (issue #18): a project whose images run as a numeric non-root user
// comes up with `up --pod-security restricted` in a namespace that enforces the level (the waits included), and an
// image running as root is refused by `up` before anything is applied, at the service's compose line.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, REGISTRY, cli, describeNamespace, kubectl, kubectlJson, prepareProject, waitImageFlags, warnSkipped } from './helpers.js';

warnSkipped('pod security restricted (non-root images run, a root image is refused before applying)');

const ns = `c2k-rt-restricted-${randomBytes(3).toString('hex')}`;
const rootNs = `${ns}-root`;

describe.skipIf(!ENABLED)('runtime: --pod-security restricted', () => {
  let project: ReturnType<typeof prepareProject>;
  beforeAll(() => {
    project = prepareProject('restricted');
  });
  afterAll(() => {
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '60s'], project.dir);
    kubectl(['delete', 'namespace', rootNs, '--wait=false']);
    project.cleanup();
  });

  it('non-root images and the waits run in a namespace enforcing restricted', async () => {
    const up = cli(['up', '-n', ns, '--registry', `${REGISTRY}/c2k-runtime`, ...(await waitImageFlags()), '--pod-security', 'restricted', '--timeout', '180s'], project.dir);
    expect(up.status, `${up.stderr}\n${describeNamespace(ns)}`).toBe(0);
    expect(kubectlJson(['get', 'namespace', ns]).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const [web] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=web']).items;
    expect(web.status.phase).toBe('Running');
    expect(web.spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-api', 'wait-for-seed']);
    const id = kubectl(['-n', ns, 'exec', web.metadata.name, '--', 'id', '-u']);
    expect(id.stdout.trim()).toBe('65534');
  }, 300_000);

  it('an image that runs as root is refused before anything is applied, at its compose line', () => {
    const up = cli(['-f', 'root.yaml', 'up', '-n', rootNs, '--registry', `${REGISTRY}/c2k-runtime`, '--pod-security', 'restricted', '--timeout', '60s'], project.dir);
    expect(up.status).toBe(1);
    expect(up.stderr).toMatch(/root\.yaml:5:\d+: error: .*Deployment\/rooty container rooty: image .*c2krestrictedroot-rooty.* runs as root \(USER not set\)/);
    expect(up.stderr).not.toMatch(/\n\s+at /);
    expect(kubectl(['get', 'namespace', rootNs]).status).not.toBe(0);
  }, 300_000);
});
