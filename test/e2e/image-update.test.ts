// Image updates end to end against the real API server of scripts/e2e/cluster.sh (kwok nodes: pods are made ready,
// nothing pulls) and the real registry of scripts/e2e/docker.sh, reached through the fault proxy so that it can be
// taken down. Images are pushed by hand through the registry API. What is checked is what the API server keeps:
// which workloads changed (generation, resourceVersion), their images, the record on the ApplySet parent, and that
// the next `up` agrees with what `update` did. Then pruning of built images after `up`, locally and in the registry.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryProxy, registryTags, type RegistryProxy } from '../build/fault-helpers.js';
import { deleteRepository, pushBusyboxImage } from '../helpers/push-image.js';
import { connect, resolveEngine } from '../../src/build/engine.js';
import { pruneImages } from '../../src/build/prune.js';

const kubeconfig = process.env.COMPOSE2K8S_KUBECONFIG;
const REGISTRY = process.env.REGISTRY ?? '';
const enabled = !!kubeconfig && process.env.COMPOSE2K8S_E2E_DOCKER === '1' && !!REGISTRY;
if (!enabled) console.warn('[skipped] image update end to end: needs COMPOSE2K8S_KUBECONFIG and COMPOSE2K8S_E2E_DOCKER=1 with DOCKER_HOST and REGISTRY');

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli.js');

function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--', cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, KUBECONFIG: kubeconfig, ...env }, timeout: 240_000 });
}

/** The CLI without blocking this process (the fault proxy in front of the registry runs in it). */
function runAsync(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--', cli, ...args], { cwd, env: { ...process.env, KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

function kubectlJson(args: string[]): any {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig!, ...args, '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

const short = (digest: string) => digest.slice(7, 19);

describe.skipIf(!enabled)('update, rollback and update --every against the real API server and registry', () => {
  const ns = `e2e-iu-${process.pid}`;
  const repo = `c2k-iu-${Date.now().toString(36)}`;
  let dir: string;
  let proxy: RegistryProxy;
  let reg: string;
  const digests: Record<string, string> = {};
  const state = (kind: string, name: string) => {
    const o = kubectlJson(['-n', ns, 'get', kind, name]);
    const spec = o.spec.template?.spec ?? o.spec.jobTemplate.spec.template.spec;
    return {
      generation: o.metadata.generation as number,
      resourceVersion: o.metadata.resourceVersion as string,
      images: Object.fromEntries([...(spec.initContainers ?? []), ...spec.containers].map((c: any) => [c.name, c.image])) as Record<string, string>,
      annotations: o.metadata.annotations as Record<string, string>,
    };
  };
  const record = () => JSON.parse(kubectlJson(['-n', ns, 'get', 'secret', 'compose2k8s-iu']).metadata.annotations['compose2k8s.io/previous-images'] ?? '{}');

  beforeAll(async () => {
    if (!existsSync(cli)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root });
    proxy = await startRegistryProxy(REGISTRY, { seed: 3 });
    reg = `${proxy.address}/${repo}`;
    for (const s of ['web', 'api', 'seed', 'helper']) digests[s] = (await pushBusyboxImage(REGISTRY, `${repo}/${s}`, '1')).digest;
    dir = mkdtempSync(join(tmpdir(), 'c2k-iu-e2e-'));
    writeFileSync(
      join(dir, 'compose.yaml'),
      [
        'name: iu',
        'services:',
        '  web:',
        `    image: ${reg}/web:1`,
        '    depends_on: [api]',
        '  api:',
        `    image: ${reg}/api:1`,
        '  seed:',
        `    image: ${reg}/seed:1`,
        '    restart: "no"',
        '',
      ].join('\n'),
    );
  }, 120_000);
  afterAll(async () => {
    if (dir) {
      await runAsync(['down', '-n', ns, '--wait', '--timeout', '60s'], dir);
      rmSync(dir, { recursive: true, force: true });
    }
    await proxy?.stop();
    for (const s of ['web', 'api', 'seed', 'helper']) await deleteRepository(REGISTRY, `${repo}/${s}`);
  });

  it('up pins every image, init containers included, to the digest its tag points to', async () => {
    const up = await runAsync(['up', '-n', ns, '--helper-image', `${reg}/helper:1`, '--wait-for-started', '--timeout', '90s'], dir);
    expect(up.status, up.stderr).toBe(0);
    expect(state('deployment', 'web').images).toEqual({ web: `${reg}/web:1@${digests.web}`, 'wait-for-api': `${reg}/helper:1@${digests.helper}` });
    expect(state('deployment', 'api').images).toEqual({ api: `${reg}/api:1@${digests.api}` });
    expect(state('job', 'seed').images.seed).toBe(`${reg}/seed:1@${digests.seed}`);
    expect(JSON.parse(state('deployment', 'web').annotations['compose2k8s.io/image-tags']!)).toEqual({ web: `${reg}/web:1`, 'wait-for-api': `${reg}/helper:1` });
  }, 120_000);

  it('update rolls exactly the workload whose tag moved (not the others, not the Job); a second update rolls nothing', async () => {
    const web1 = digests.web!;
    const web2 = (await pushBusyboxImage(REGISTRY, `${repo}/web`, '1')).digest;
    await pushBusyboxImage(REGISTRY, `${repo}/seed`, '1');
    const before = { web: state('deployment', 'web'), api: state('deployment', 'api'), seed: state('job', 'seed') };

    const dry = await runAsync(['update', '-n', ns, '--dry-run'], dir);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(`deployment.apps/web: web ${short(web1)} -> ${short(web2)} (${reg}/web:1) (dry run)\n`);
    expect(state('deployment', 'web').resourceVersion).toBe(before.web.resourceVersion);

    const up = await runAsync(['update', '-n', ns, '--timeout', '60s'], dir);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toBe(`deployment.apps/web: web ${short(web1)} -> ${short(web2)} (${reg}/web:1)\nall 1 object(s) ready\n`);
    const web = state('deployment', 'web');
    expect(web.images).toEqual({ web: `${reg}/web:1@${web2}`, 'wait-for-api': `${reg}/helper:1@${digests.helper}` });
    expect(web.generation).toBe(before.web.generation + 1);
    expect(state('deployment', 'api')).toEqual(before.api);
    expect(state('job', 'seed')).toEqual(before.seed);
    expect(record()).toEqual({ [`apps/Deployment/${ns}/web`]: { web: `${reg}/web:1@${web1}` } });
    // compose2k8s still owns the image: no other field manager appeared
    const managers = kubectlJson(['-n', ns, 'get', 'deployment', 'web', '--show-managed-fields']).metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`);
    expect(managers.filter((m: string) => m.endsWith('/Apply'))).toEqual(['compose2k8s/Apply']);
    expect(managers.filter((m: string) => m.startsWith('compose2k8s') && !m.endsWith('/Apply'))).toEqual([]);

    const again = await runAsync(['update', '-n', ns], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/no image moved: the 3 tag\(s\) followed by 2 workload\(s\) still point to the deployed digests/);
    expect(state('deployment', 'web').generation).toBe(web.generation);
    digests.web = web2;
  }, 120_000);

  it('the next up agrees with what update did: no pod template changes, the Job keeps the digest it ran with', async () => {
    const before = { web: state('deployment', 'web'), api: state('deployment', 'api'), seed: state('job', 'seed') };
    const template = () => JSON.stringify(kubectlJson(['-n', ns, 'get', 'deployment', 'web']).spec.template);
    const webTemplate = template();
    const up = await runAsync(['up', '-n', ns, '--helper-image', `${reg}/helper:1`, '--wait-for-started', '--timeout', '60s'], dir);
    expect(up.status, up.stderr).toBe(0);
    // web is sent once more (what update applied carries server defaults of atomic fields, e.g. a fieldRef's
    // apiVersion, so its applied-hash is not the manifest's): only that annotation changes, nothing rolls out
    expect(up.stdout).toMatch(/^deployment\.apps\/web (unchanged|configured)$/m);
    expect(template()).toBe(webTemplate);
    expect(state('deployment', 'web').annotations['deployment.kubernetes.io/revision']).toBe(before.web.annotations['deployment.kubernetes.io/revision']);
    expect(up.stdout).toMatch(/^job\.batch\/seed unchanged$/m);
    expect(up.stderr).toContain(`Job.batch/seed (namespace ${ns}): keeps the digest it ran with`);
    expect(state('deployment', 'api').resourceVersion).toBe(before.api.resourceVersion);
    expect(state('job', 'seed').resourceVersion).toBe(before.seed.resourceVersion);
    // and from then on it is provably unchanged
    const again = await runAsync(['up', '-n', ns, '--helper-image', `${reg}/helper:1`, '--wait-for-started', '--timeout', '60s'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^deployment\.apps\/web unchanged$/m);
  }, 120_000);

  it('rollback puts the previous digest back and records the one it replaced; a second rollback goes forward again', async () => {
    const current = state('deployment', 'web').images.web!;
    const previous = record()[`apps/Deployment/${ns}/web`].web;
    const back = await runAsync(['rollback', 'web', '-n', ns, '--timeout', '60s'], dir);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout.split('\n')[0]).toBe(`deployment.apps/web: web ${short(current.split('@')[1]!)} -> ${short(previous.split('@')[1])} (${reg}/web:1)`);
    expect(state('deployment', 'web').images.web).toBe(previous);
    expect(record()[`apps/Deployment/${ns}/web`]).toEqual({ web: current });
    const forward = await runAsync(['rollback', '-n', ns, '--timeout', '60s'], dir);
    expect(forward.status, forward.stderr).toBe(0);
    expect(state('deployment', 'web').images.web).toBe(current);
  }, 120_000);

  it('update --every: a registry outage is retried and reported, the deployment is untouched; when it is back the moved tag rolls; Ctrl-C stops', async () => {
    const before = { web: state('deployment', 'web'), api: state('deployment', 'api') };
    proxy.faults.setDown(true);
    const child = spawn(process.execPath, ['--', cli, 'update', '-n', ns, '--every', '1s', '--timeout', '60s'], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfig } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const until = async (what: () => boolean, ms: number, label: string) => {
      const t0 = Date.now();
      while (!what()) {
        if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${label}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      await until(() => /registry error 1 in a row: next check in \d+s; the deployment keeps running what it runs/.test(stderr), 60_000, 'the first registry error');
      expect(stderr).toMatch(new RegExp(`cannot reach registry ${proxy.address.replace(/\./g, '\\.')} .* \\(5 attempts\\)`));
      expect(stderr).toContain('retrying in');
      expect(stderr).toContain('nothing was changed');
      expect(state('deployment', 'web')).toEqual(before.web);
      expect(state('deployment', 'api')).toEqual(before.api);
      const api2 = (await pushBusyboxImage(REGISTRY, `${repo}/api`, '1')).digest;
      proxy.faults.setDown(false);
      await until(() => stdout.includes('deployment.apps/api: api'), 60_000, 'the api rollout');
      expect(stdout).toContain(`deployment.apps/api: api ${short(digests.api!)} -> ${short(api2)} (${reg}/api:1)\n`);
      await until(() => stdout.includes('object(s) ready'), 60_000, 'the wait');
      expect(state('deployment', 'api').images.api).toBe(`${reg}/api:1@${api2}`);
      expect(state('deployment', 'web').resourceVersion).toBe(before.web.resourceVersion);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/stopped \(SIGINT\)\n$/);
    } finally {
      proxy.faults.setDown(false);
      child.kill('SIGKILL');
    }
  }, 180_000);
});

describe.skipIf(!enabled)('superseded built images are pruned after up, locally and in the registry', () => {
  const ns = `e2e-prune-${process.pid}`;
  const target = `${REGISTRY}/c2k-prune-${Date.now().toString(36)}`;
  let dir: string;
  const setNonce = () => writeFileSync(join(dir, 'app', 'nonce'), randomBytes(8).toString('hex'));
  const local = async () => {
    const docker = await connect(resolveEngine());
    const list = (await docker.listImages({ filters: JSON.stringify({ label: ['io.compose2k8s.project=prn'] }) } as never)) as unknown as { Id: string; RepoTags?: string[]; RepoDigests?: string[] }[];
    return list.filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith(`${target}/`)));
  };
  const remote = async () => (await registryTags(REGISTRY, `${target.slice(REGISTRY.length + 1)}/prn-app`)).filter((t) => t.startsWith('c2k-')).sort();
  const up = (...more: string[]) => {
    setNonce();
    return run(['up', '-n', ns, '--registry', target, '--timeout', '90s', ...more], dir);
  };
  const runningDigest = () => kubectlJson(['-n', ns, 'get', 'deployment', 'app']).spec.template.spec.containers[0].image.split('@')[1] as string;

  beforeAll(() => {
    if (!existsSync(cli)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root });
    dir = mkdtempSync(join(tmpdir(), 'c2k-prune-e2e-'));
    mkdirSync(join(dir, 'app'));
    copyFileSync('/bin/busybox', join(dir, 'app', 'busybox'));
    writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "3600"]\n');
    writeFileSync(join(dir, 'compose.yaml'), 'name: prn\nservices:\n  app:\n    build: ./app\n');
  });
  afterAll(async () => {
    if (!dir) return;
    run(['down', '-n', ns, '--wait', '--timeout', '60s'], dir);
    run(['images', 'prune', '--keep', '0', '--registry', target], dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the current and the previous image per service; --no-prune-images keeps all; --keep-images 1 only the current', async () => {
    for (let i = 0; i < 2; i++) expect(up().status).toBe(0);
    expect(await local()).toHaveLength(2);
    expect(await remote()).toHaveLength(2);
    const third = up();
    expect(third.status, third.stderr).toBe(0);
    expect(third.stderr).toMatch(/pruned superseded images: 1 local, 1 in the registry \(kept 2 per service and every image in use\)/);
    expect(await local()).toHaveLength(2);
    expect(await remote()).toHaveLength(2);
    // the running image is one of them
    expect((await local()).some((i) => (i.RepoDigests ?? []).some((d) => d.endsWith(`@${runningDigest()}`)))).toBe(true);
    expect(up('--no-prune-images').status).toBe(0);
    expect(await local()).toHaveLength(3);
    expect(up('--keep-images', '1').status).toBe(0);
    expect(await local()).toHaveLength(1);
    expect(await remote()).toHaveLength(1);
  }, 300_000);

  it('an image a workload of the project still runs is never deleted, whatever --keep says', async () => {
    const running = runningDigest();
    expect(up('--no-prune-images').status).toBe(0);
    expect(up('--no-prune-images').status).toBe(0);
    expect(await local()).toHaveLength(3);
    // The workload runs the newest now; protect the oldest as if a workload still ran it.
    const project = { name: 'prn', services: { app: { build: { context: join(dir, 'app') } } } } as never;
    const r = await pruneImages(project, { keep: 1, registry: target, protect: [`${target}/prn-app@${running}`], workingDir: dir });
    expect(r.kept.map((k) => k.tags).flat().length).toBeGreaterThanOrEqual(2);
    expect(r.removed).toHaveLength(1);
    expect(r.registryRemoved).toHaveLength(1);
    const left = await local();
    expect(left.some((i) => (i.RepoDigests ?? []).some((d) => d.endsWith(`@${running}`)))).toBe(true);
    expect(await remote()).toHaveLength(2);
  }, 300_000);
});
