// `compose2k8s watch` on the real node with fixtures/runtime/watch: one session, started once (it ups the project),
// then files are changed and the pods are looked at with kubectl exec. A sync (changed, new, deleted, ignored
// files; a burst of 200 writes) reaches the running container within seconds, as one action, without a new pod;
// sync+restart restarts web's container in place (its PID 1 handles SIGTERM), replaces its pod when the kubelet
// would hold a second restart back, and replaces api's pod (httpd as PID 1 ignores SIGTERM); sync+exec runs its
// command with working_dir and environment; a rebuild rolls only its own workload; a failing build keeps the old
// pod serving; a container without tar is said once and its rule rebuilds instead; Ctrl-C ends the session with
// exit 0 and leaves the deployment running.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, KUBECONFIG, REGISTRY, cli, describeNamespace, kubectl, kubectlJson, prepareProject, waitImageFlags, warnSkipped } from './helpers.js';

warnSkipped('watch (sync, restart, sync+exec, rebuild, no tar, Ctrl-C)');

const ns = `watch-rt-${randomBytes(3).toString('hex')}`;
const CLI = resolve(import.meta.dirname, '../../dist/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const podsOf = (service: string) =>
  (kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/component=${service}`]).items as any[]).filter((p) => !p.metadata.deletionTimestamp);
const onePod = (service: string) => {
  const pods = podsOf(service);
  if (pods.length !== 1) throw new Error(`${service}: ${pods.length} pods\n${describeNamespace(ns)}`);
  return pods[0];
};
/** A file in the service's running container, or undefined when it is not there. */
const read = (service: string, path: string): string | undefined => {
  const r = kubectl(['-n', ns, 'exec', onePod(service).metadata.name, '--', 'cat', path]);
  return r.status === 0 ? r.stdout : undefined;
};

async function until<T>(what: string, fn: () => T | undefined | false, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; await sleep(200)) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${session.stdout}\nstderr:\n${session.stderr}\n${describeNamespace(ns)}`);
  }
}

const session = { stdout: '', stderr: '', exit: undefined as number | null | undefined };
let child: ChildProcessWithoutNullStreams | undefined;
/** stdout lines of one service (its action lines). */
const linesOf = (service: string) => session.stdout.split('\n').filter((l) => l.startsWith(`${service}: `));

describe.skipIf(!ENABLED)('runtime: watch on a real node', () => {
  let project: ReturnType<typeof prepareProject>;
  const file = (rel: string) => join(project.dir, rel);

  beforeAll(async () => {
    project = prepareProject('watch');
    const args = ['watch', '-n', ns, '--registry', `${REGISTRY}/${ns}`, ...(await waitImageFlags()), '--timeout', '120s'];
    child = spawn(process.execPath, ['--', CLI, ...args], { cwd: project.dir, env: { ...process.env, KUBECONFIG } });
    child.stdout.on('data', (d) => (session.stdout += d));
    child.stderr.on('data', (d) => (session.stderr += d));
    child.on('exit', (code) => (session.exit = code));
    await until('the session to start', () => session.stderr.includes('watching 7 path(s) for api, notar, web') || session.exit !== undefined, 240_000);
  }, 300_000);

  afterAll(() => {
    if (child && session.exit === undefined) child.kill('SIGKILL');
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '90s'], project.dir);
    project.cleanup();
  }, 180_000);

  it('ups the project first', () => {
    expect(session.exit, session.stderr).toBeUndefined();
    expect(session.stdout).toContain('deployment.apps/web created');
    expect(session.stdout).toMatch(/all \d+ object\(s\) ready/);
    // initial_sync: web's pages are copied in before watching starts.
    expect(linesOf('web')).toEqual([expect.stringMatching(/^web: initial sync of index\.html to \/www \(\d+\.\d\d s\)$/)]);
  }, 150_000);

  it('sync: a changed file is in the container within seconds, without a new pod', async () => {
    const before = onePod('web').metadata.uid;
    const text = `changed ${randomBytes(4).toString('hex')}\n`;
    writeFileSync(file('web/www/index.html'), text);
    await until('the change in the container', () => read('web', '/www/index.html') === text, 10_000);
    expect(onePod('web').metadata.uid).toBe(before);
    await until('the action line', () => linesOf('web').some((l) => /^web: synced www\/index\.html \(\d+\.\d\d s\)$/.test(l)));
  }, 150_000);

  it('sync: a new file arrives, a deleted one goes, an ignored one is not copied', async () => {
    writeFileSync(file('web/www/new.html'), 'new\n');
    writeFileSync(file('web/www/notes.draft'), 'draft\n');
    await until('the new file', () => read('web', '/www/new.html') === 'new\n', 10_000);
    rmSync(file('web/www/new.html'));
    await until('the deletion', () => read('web', '/www/new.html') === undefined, 10_000);
    expect(read('web', '/www/notes.draft')).toBeUndefined();
  }, 150_000);

  it('a burst of 200 writes is one action, and every file arrives', async () => {
    await sleep(1000);
    const before = linesOf('web').length;
    for (let i = 0; i < 200; i++) writeFileSync(file(`web/www/burst-${i}.txt`), `${i}\n`);
    await until('the burst in the container', () => read('web', '/www/burst-199.txt') === '199\n' && read('web', '/www/burst-0.txt') === '0\n', 15_000);
    await sleep(1500);
    const after = linesOf('web').slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^web: synced 200 files \(/);
    expect(kubectl(['-n', ns, 'exec', onePod('web').metadata.name, '--', 'sh', '-c', 'ls /www/burst-*.txt | wc -l']).stdout.trim()).toBe('200');
  }, 150_000);

  it('sync+restart restarts the container in place when PID 1 handles SIGTERM, with the synced files kept', async () => {
    const pod = onePod('web');
    const restarts = pod.status.containerStatuses[0].restartCount;
    writeFileSync(file('web/conf/web.conf'), 'port=81\n');
    await until('the restart', () => linesOf('web').some((l) => /restarted the container in place/.test(l)), 30_000);
    const now = onePod('web');
    expect(now.metadata.uid).toBe(pod.metadata.uid);
    expect(now.status.containerStatuses[0].restartCount).toBe(restarts + 1);
    // The restarted container started from the image; watch copied the sync paths into it again.
    expect(read('web', '/etc/web/web.conf')).toBe('port=81\n');
    expect(read('web', '/www/burst-7.txt')).toBe('7\n');
  }, 150_000);

  it("a second restart within the kubelet's crash-loop back-off replaces the pod instead of waiting for it", async () => {
    const pod = onePod('web');
    const started = Date.now();
    writeFileSync(file('web/conf/web.conf'), 'port=82\n');
    await until('the replacement', () => linesOf('web').some((l) => /replaced the pod \(the kubelet would delay restarting it again \(crash-loop back-off\)\)/.test(l)), 30_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    await until('the old pod gone', () => podsOf('web').length === 1);
    expect(onePod('web').metadata.uid).not.toBe(pod.metadata.uid);
    expect(read('web', '/etc/web/web.conf')).toBe('port=82\n');
  }, 150_000);

  it('sync+restart replaces the pod when PID 1 ignores SIGTERM (busybox httpd)', async () => {
    const pod = onePod('api');
    writeFileSync(file('api/www/index.html'), 'api v2\n');
    await until('the replacement', () => linesOf('api').some((l) => /replaced the pod \(its main process \(PID 1\) does not handle SIGTERM\)/.test(l)), 60_000);
    expect(onePod('api').metadata.uid).not.toBe(pod.metadata.uid);
    expect(read('api', '/www/index.html')).toBe('api v2\n');
  }, 150_000);

  it('sync+exec runs exec.command in working_dir with its environment', async () => {
    writeFileSync(file('web/hooks/b.txt'), 'two\n');
    await until('the hook output', () => read('web', '/www/hooked.txt') === 'hello one two\n', 15_000);
    await until('the action line', () => linesOf('web').some((l) => /^web: synced hooks\/b\.txt, ran sh -c 'echo "\$GREETING" \$\(cat \*\) > \/www\/hooked\.txt' \(/.test(l)), 10_000);
  }, 150_000);

  it('rebuild rolls only its own workload, and the new pod gets the sync paths', async () => {
    const web = onePod('web');
    const api = onePod('api');
    const notar = onePod('notar');
    appendFileSync(file('web/Dockerfile'), 'ENV C2K_REBUILT=1\n');
    await until('the rollout', () => linesOf('web').some((l) => /^web: rebuilt for Dockerfile and rolled out Deployment\/web \(.*\), synced \/www, \/etc\/web, \/hooks again \(/.test(l)), 120_000);
    await until('the old pod gone', () => podsOf('web').length === 1);
    const now = onePod('web');
    expect(now.metadata.uid).not.toBe(web.metadata.uid);
    expect(now.spec.containers[0].image).not.toBe(web.spec.containers[0].image);
    expect(now.spec.containers[0].image).toMatch(new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/${ns}/c2kwatch-web@sha256:`));
    expect(onePod('api').metadata.uid).toBe(api.metadata.uid);
    expect(onePod('notar').metadata.uid).toBe(notar.metadata.uid);
    expect(read('web', '/etc/web/web.conf')).toBe('port=82\n');
  }, 150_000);

  it('a failing build is shown and the old pod keeps serving', async () => {
    const api = onePod('api');
    appendFileSync(file('api/Dockerfile'), 'RUN ["false"]\n');
    await until('the failure', () => /api: rebuild failed after [\d.]+ s: api: build failed at step \d+\/\d+: RUN \["false"\]/.test(session.stderr), 120_000);
    expect(onePod('api').metadata.uid).toBe(api.metadata.uid);
    expect(read('api', '/www/index.html')).toBe('api v2\n');
  }, 150_000);

  it('a container without tar is said once, and its sync rule rebuilds the image instead', async () => {
    const notar = onePod('notar');
    writeFileSync(file('notar/www/index.html'), 'notar v2\n');
    await until('the rebuild', () => linesOf('notar').some((l) => /^notar: rebuilt \(no tar to sync\) for index\.html and rolled out Deployment\/notar/.test(l)), 120_000);
    await until('the old pod gone', () => podsOf('notar').length === 1);
    expect(onePod('notar').metadata.uid).not.toBe(notar.metadata.uid);
    expect(read('notar', '/www/index.html')).toBe('notar v2\n');
    writeFileSync(file('notar/www/index.html'), 'notar v3\n');
    await until('the second rebuild', () => linesOf('notar').filter((l) => /rebuilt \(no tar to sync\)/.test(l)).length === 2, 120_000);
    expect(session.stderr.match(/notar: the container has no tar/g)).toHaveLength(1);
    expect(session.stderr).toContain('notar: the container has no tar, so files cannot be copied into it; services.notar.develop.watch[0] (sync ');
  }, 150_000);

  it('Ctrl-C ends the session with exit 0 and leaves the deployment running', async () => {
    child!.kill('SIGINT');
    await until('the exit', () => session.exit !== undefined, 15_000);
    expect(session.exit).toBe(0);
    expect(podsOf('web')).toHaveLength(1);
    expect(read('web', '/www/index.html')).toMatch(/^changed /);
  }, 150_000);
});
