// Image updates on the real node: pods really pull. Images are pushed by hand through the registry API (FROM scratch:
// Debian's static busybox and a nonce file) to the registry of scripts/e2e/docker.sh, and the project names them
// through the fault proxy in front of it (on 127.0.0.1, which the node pulls from over plain HTTP), so that the
// registry can be taken away from compose2k8s and the node alike without touching the shared one.
//   - a tag re-pushed between two `update` runs rolls exactly that workload, and its pods then run the new image
//     (imageID and /nonce); an unchanged tag rolls nothing;
//   - a registry outage during `update --every` is retried and reported while the pods keep running; when the
//     registry is back, a moved tag rolls; Ctrl-C stops it;
//   - `rollback` returns the previous digest, in the pods too;
//   - after `up`, built images are pruned to the current and the previous one, locally and in the registry.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanUpPushed, registryTags, startRegistryProxy, type RegistryProxy } from '../build/fault-helpers.js';
import { deleteRepository, pushBusyboxImage } from '../helpers/push-image.js';
import { connect, resolveEngine } from '../../src/build/engine.js';
import { ENABLED, KUBECONFIG, REGISTRY, describeNamespace, kubectl, kubectlJson, warnSkipped } from './helpers.js';
import { cliPath, ensureBuilt } from '../helpers/build.js';

warnSkipped('image updates (update, update --every, rollback, pruning) with pods that pull');

/** The CLI without blocking this process: the fault proxy the node and the CLI go through runs in it. */
function cli(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--', cliPath, ...args], { cwd, env: { ...process.env, KUBECONFIG } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

const short = (digest: string) => digest.slice(7, 19);

async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 90_000, ns?: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${ns ? `\n${describeNamespace(ns)}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.skipIf(!ENABLED)('runtime: update, update --every and rollback with pods that pull', () => {
  const ns = `imageupdate-rt-${randomBytes(3).toString('hex')}`;
  const repo = `imageupdate-rt-${randomBytes(3).toString('hex')}`;
  let dir: string;
  let proxy: RegistryProxy;
  let reg: string;
  const pushed: Record<string, { digest: string; nonce: string }[]> = { web: [], api: [] };
  const push = async (s: 'web' | 'api') => {
    const p = await pushBusyboxImage(REGISTRY, `${repo}/${s}`, '1');
    pushed[s].push(p);
    return p;
  };
  /** The running, ready pods of a service: name, uid, the digest their container runs, and its /nonce. */
  const pods = (service: string) =>
    (kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/component=${service}`]).items as any[])
      .filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready))
      .map((p) => ({ name: p.metadata.name as string, uid: p.metadata.uid as string, imageID: p.status.containerStatuses[0].imageID as string }));
  const nonceIn = (pod: string) => kubectl(['-n', ns, 'exec', pod, '--', '/bin/busybox', 'cat', '/nonce']).stdout.trim();
  /** Waits until every pod of the service runs `digest` (the old ones gone), and returns them. */
  const runningDigest = (service: string, digest: string) =>
    until(`${service} pods on ${short(digest)}`, () => {
      const all = (kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/component=${service}`]).items as any[]).filter((p) => !p.metadata.deletionTimestamp);
      const ready = pods(service);
      return all.length > 0 && ready.length === all.length && ready.every((p) => p.imageID.endsWith(`@${digest}`)) ? ready : undefined;
    }, 120_000, ns);
  const generation = (name: string) => kubectlJson(['-n', ns, 'get', 'deployment', name]).metadata.generation as number;

  beforeAll(async () => {
    ensureBuilt();
    proxy = await startRegistryProxy(REGISTRY, { seed: 14 });
    reg = `${proxy.address}/${repo}`;
    await push('web');
    await push('api');
    dir = mkdtempSync(join(tmpdir(), 'c2k-rt-iu-'));
    const service = (s: string) => [`  ${s}:`, `    image: ${reg}/${s}:1`, '    command: ["sleep", "3600"]', '    stop_grace_period: 1s'];
    writeFileSync(join(dir, 'compose.yaml'), ['name: iurt', 'services:', ...service('web'), ...service('api'), ''].join('\n'));
    const up = await cli(['up', '-n', ns, '--timeout', '180s'], dir);
    expect(up.status, `${up.stderr}\n${describeNamespace(ns)}`).toBe(0);
  }, 300_000);
  afterAll(async () => {
    if (dir) {
      await cli(['down', '-n', ns, '--wait', '--timeout', '90s'], dir);
      rmSync(dir, { recursive: true, force: true });
    }
    await proxy?.stop();
    for (const s of ['web', 'api']) await deleteRepository(REGISTRY, `${repo}/${s}`);
  }, 120_000);

  it('up deployed the digests the tags point to, and the pods run them', async () => {
    for (const s of ['web', 'api'] as const) {
      const [p] = await runningDigest(s, pushed[s][0]!.digest);
      expect(nonceIn(p!.name)).toBe(pushed[s][0]!.nonce);
    }
  }, 180_000);

  it('a tag re-pushed between two updates rolls exactly that workload; its pods then run the new image', async () => {
    const apiBefore = pods('api');
    const apiGeneration = generation('api');
    const same = await cli(['update', '-n', ns], dir);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toBe('');
    expect(same.stderr).toContain('no image moved');
    const webGeneration = generation('web');

    const web2 = await push('web');
    const r = await cli(['update', '-n', ns, '--timeout', '120s'], dir);
    expect(r.status, `${r.stderr}\n${describeNamespace(ns)}`).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`deployment.apps/web: web ${short(pushed.web[0]!.digest)} -> ${short(web2.digest)} (${reg}/web:1)`);
    const [p] = await runningDigest('web', web2.digest);
    expect(nonceIn(p!.name)).toBe(web2.nonce);
    expect(generation('web')).toBe(webGeneration + 1);
    // api: same generation, the very same pod
    expect(generation('api')).toBe(apiGeneration);
    expect(pods('api')).toEqual(apiBefore);

    const again = await cli(['update', '-n', ns], dir);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('');
    expect(generation('web')).toBe(webGeneration + 1);
  }, 240_000);

  it('update --every: a registry outage is retried and reported, the pods keep running; back, the moved tag rolls', async () => {
    const before = { web: pods('web'), api: pods('api'), webGeneration: generation('web'), apiGeneration: generation('api') };
    proxy.faults.setDown(true);
    const child = spawn(process.execPath, ['--', cliPath, 'update', '-n', ns, '--every', '2s', '--timeout', '120s'], { cwd: dir, env: { ...process.env, KUBECONFIG } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      await until('a registry error', () => (/registry error 1 in a row: next check in \d+s; the deployment keeps running what it runs/.test(stderr) ? true : undefined), 60_000);
      expect(stderr).toMatch(/retrying in \d\.\d s \(attempt 2\/5\)/);
      expect(stderr).toMatch(new RegExp(`cannot reach registry ${proxy.address.replace(/\./g, '\\.')} .*\\(5 attempts\\)`));
      expect(stderr).toContain('nothing was changed');
      expect(pods('web')).toEqual(before.web);
      expect(pods('api')).toEqual(before.api);
      expect([generation('web'), generation('api')]).toEqual([before.webGeneration, before.apiGeneration]);

      const api2 = await push('api');
      proxy.faults.setDown(false);
      await until('the api rollout', () => (stdout.includes('deployment.apps/api: api') ? true : undefined), 90_000);
      expect(stdout).toContain(`deployment.apps/api: api ${short(pushed.api[0]!.digest)} -> ${short(api2.digest)} (${reg}/api:1)\n`);
      const [p] = await runningDigest('api', api2.digest);
      expect(nonceIn(p!.name)).toBe(api2.nonce);
      expect(pods('web')).toEqual(before.web);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/stopped \(SIGINT\)\n$/);
    } finally {
      proxy.faults.setDown(false);
      child.kill('SIGKILL');
    }
  }, 240_000);

  it('rollback returns the previous digest, and the pods run it again', async () => {
    const [web1, web2] = pushed.web;
    const r = await cli(['rollback', 'web', '-n', ns, '--timeout', '120s'], dir);
    expect(r.status, `${r.stderr}\n${describeNamespace(ns)}`).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`deployment.apps/web: web ${short(web2!.digest)} -> ${short(web1!.digest)} (${reg}/web:1)`);
    const [p] = await runningDigest('web', web1!.digest);
    expect(nonceIn(p!.name)).toBe(web1!.nonce);
  }, 180_000);
});

describe.skipIf(!ENABLED)('runtime: built images pruned after up, locally and in the registry', () => {
  const ns = `imageupdate-prune-${randomBytes(3).toString('hex')}`;
  const target = `${REGISTRY}/imageupdate-prune-${randomBytes(3).toString('hex')}`;
  let dir: string;
  const local = async () => {
    const docker = await connect(resolveEngine());
    const list = (await docker.listImages({ filters: JSON.stringify({ label: ['io.compose2k8s.project=iuprune'] }) } as never)) as unknown as { RepoTags?: string[]; RepoDigests?: string[] }[];
    return list.filter((i) => (i.RepoTags ?? []).some((t) => t.startsWith(`${target}/`)));
  };
  const remote = async () => (await registryTags(REGISTRY, `${target.slice(REGISTRY.length + 1)}/iuprune-app`)).filter((t) => t.startsWith('c2k-'));
  const up = async () => {
    writeFileSync(join(dir, 'app', 'nonce'), randomBytes(8).toString('hex'));
    const r = await cli(['up', '-n', ns, '--registry', target, '--timeout', '180s'], dir);
    expect(r.status, `${r.stderr}\n${describeNamespace(ns)}`).toBe(0);
    return r;
  };

  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'c2k-rt-prune-'));
    mkdirSync(join(dir, 'app'));
    copyFileSync('/bin/busybox', join(dir, 'app', 'busybox'));
    writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY nonce /nonce\nENTRYPOINT ["/bin/busybox"]\nCMD ["sleep", "3600"]\n');
    writeFileSync(join(dir, 'compose.yaml'), 'name: iuprune\nservices:\n  app:\n    build: ./app\n    stop_grace_period: 1s\n');
  });
  afterAll(async () => {
    if (!dir) return;
    await cli(['down', '-n', ns, '--wait', '--timeout', '90s'], dir);
    await cleanUpPushed(await connect(resolveEngine()), 'iuprune', target, REGISTRY, [`${target.slice(REGISTRY.length + 1)}/iuprune-app`]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('keeps the current and the previous image, and the running one is the current', async () => {
    await up();
    await up();
    expect(await local()).toHaveLength(2);
    expect(await remote()).toHaveLength(2);
    const third = await up();
    expect(third.stderr).toMatch(/pruned superseded images: 1 local, 1 in the registry/);
    expect(await local()).toHaveLength(2);
    expect(await remote()).toHaveLength(2);
    const image = kubectlJson(['-n', ns, 'get', 'deployment', 'app']).spec.template.spec.containers[0].image as string;
    const digest = image.split('@')[1]!;
    const running = await until('the new pod', () => {
      const ps = (kubectlJson(['-n', ns, 'get', 'pods']).items as any[]).filter((p) => !p.metadata.deletionTimestamp);
      return ps.length === 1 && ps[0].status.containerStatuses?.[0]?.imageID?.endsWith(`@${digest}`) ? ps[0] : undefined;
    }, 120_000, ns);
    expect(running.status.containerStatuses[0].imageID).toBe(`${target}/iuprune-app@${digest}`);
    expect((await local()).some((i) => (i.RepoDigests ?? []).includes(`${target}/iuprune-app@${digest}`))).toBe(true);
  }, 600_000);
});
