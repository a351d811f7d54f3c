// End-to-end: services whose build context is a git repository or a URL, built by the real engine of
// scripts/e2e/docker.sh, which fetches the context itself (`remote=`). No internet here: the repository is a
// local one served by `git daemon` (git://) and by a plain HTTP server (git's "dumb" protocol, and a tarball).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect, createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPush, type BuiltImage } from '../../src/build/index.js';
import { connect, resolveEngine } from '../../src/build/engine.js';
import { CONTENT_TAG } from '../../src/build/plan.js';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';
import type { Project } from '../../src/model/project.js';
import { BUSYBOX, E2E, REGISTRY, runContainer, warnSkipped } from './e2e-helpers.js';

warnSkipped('remote build context e2e tests (test/build/remote.test.ts)');

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

const freePort = () =>
  new Promise<number>((res) => {
    const srv = netServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => res(p));
    });
  });

const listening = async (port: number) => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = netConnect(port, '127.0.0.1', () => (s.end(), res(true))).on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
};

const quiet = { progress: 'plain' as const, progressStream: { write: () => true } };
const project = (name: string, context: string, extra: Partial<Project['services'][string]> = {}): Project => ({
  name: 'c2kremote',
  services: { [name]: { build: { context, dockerfile: 'Dockerfile', args: { GREETING: `hello ${name}` } }, ...extra } },
});
const failure = async (p: Project, o: Parameters<typeof buildAndPush>[1] = {}): Promise<Diagnostic[]> => {
  const err = await buildAndPush(p, { ...quiet, ...o }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DiagnosticError);
  return (err as DiagnosticError).diagnostics;
};

describe.skipIf(!E2E)('remote build contexts against a real engine', () => {
  let dir: string;
  let work: string;
  let daemon: ChildProcess;
  let http: Server;
  let gitUrl: string;
  let httpBase: string;
  let docker: Dockerode;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c2k-remote-'));
    // The repository: a Dockerfile in sub/ that copies a file whose content changes between commits.
    work = join(dir, 'work');
    mkdirSync(join(work, 'sub'), { recursive: true });
    copyFileSync(BUSYBOX, join(work, 'sub', 'busybox'));
    writeFileSync(join(work, 'sub', 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY message /message\nARG GREETING=none\nLABEL greeting=$GREETING\nENTRYPOINT ["/bin/busybox"]\n');
    writeFileSync(join(work, 'sub', 'message'), `first ${Date.now()}\n`);
    writeFileSync(join(work, 'Dockerfile'), 'FROM scratch\nCOPY sub/busybox /bin/busybox\nCOPY sub/message /top-message\nENTRYPOINT ["/bin/busybox"]\n');
    git(work, 'init', '-q', '-b', 'main');
    git(work, 'add', '.');
    git(work, 'commit', '-qm', 'first');
    const served = join(dir, 'served');
    mkdirSync(served);
    git(dir, 'clone', '-q', '--bare', work, join(served, 'repo.git'));
    git(join(served, 'repo.git'), 'update-server-info');
    // A tarball of sub/, for a plain URL context.
    spawnSync('tar', ['-cf', join(served, 'ctx.tar'), '-C', join(work, 'sub'), '.']);

    const port = await freePort();
    daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${served}`, '--listen=127.0.0.1', `--port=${port}`, served], { stdio: 'ignore' });
    await listening(port);
    gitUrl = `git://127.0.0.1:${port}/repo.git`;

    http = createServer((req, res) => {
      const file = normalize(join(served, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
      if (!file.startsWith(served) || !existsSync(file) || !statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': file.endsWith('.tar') ? 'application/x-tar' : 'application/octet-stream' });
      createReadStream(file).pipe(res);
    });
    await new Promise<void>((res) => http.listen(0, '127.0.0.1', res));
    httpBase = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
    docker = await connect(resolveEngine());
  }, 60_000);

  afterAll(async () => {
    if (daemon?.pid) daemon.kill();
    await new Promise((res) => (http ? http.close(res) : res(undefined)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const message = async (r: BuiltImage, file = '/message') => (await runContainer(docker, r.taggedRef, ['cat', file])).output.trim();

  it('builds from a git:// repository at a ref and subdirectory, pushes it, and pins the pushed digest', async () => {
    const registry = `${REGISTRY}/c2k-remote`;
    const p = project('web', `${gitUrl}#main:sub`);
    const first = (await buildAndPush(p, { ...quiet, push: true, registry })).get('web')!;
    expect(first).toMatchObject({ built: true, pushed: true, uploaded: true });
    expect(first.tag).toMatch(CONTENT_TAG);
    const id = first.imageId!.replace('sha256:', '');
    expect(first.tag).toBe(`c2k-${id.slice(0, 20)}`); // the tag addresses the image built, not the URL
    expect(first.reference).toBe(`${registry}/c2kremote-web@${first.digest}`);
    expect(await message(first)).toMatch(/^first /);
    const info = await docker.getImage(first.taggedRef).inspect();
    expect(info.Config.Labels).toMatchObject({ greeting: 'hello web', 'io.compose2k8s.service': 'web' });
    expect(info.RepoTags).toContain('c2kremote-web:latest');
    const head = await fetch(`http://${REGISTRY}/v2/c2k-remote/c2kremote-web/manifests/${first.tag}`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(first.digest);

    // Unchanged repository: the same image, already in the registry, is not pushed again.
    const again = (await buildAndPush(p, { ...quiet, push: true, registry })).get('web')!;
    expect(again).toMatchObject({ tag: first.tag, reference: first.reference, uploaded: false });

    // A new commit behind the same URL gives another image and another tag.
    writeFileSync(join(work, 'sub', 'message'), 'second\n');
    git(work, 'commit', '-qam', 'second');
    git(work, 'push', '-q', join(dir, 'served', 'repo.git'), 'main');
    git(join(dir, 'served', 'repo.git'), 'update-server-info'); // for the dumb HTTP clone of the next test
    const changed = (await buildAndPush(p, { ...quiet, push: true, registry })).get('web')!;
    expect(changed.tag).not.toBe(first.tag);
    expect(changed.uploaded).toBe(true);
    expect(await message(changed)).toBe('second');
  }, 120_000);

  it('builds from a git repository over HTTP and from a tarball URL', async () => {
    const overHttp = (await buildAndPush(project('web', `${httpBase}/repo.git#main:sub`), quiet)).get('web')!;
    expect(overHttp.reference).toBe(overHttp.taggedRef); // not pushed: the local content tag
    expect(await message(overHttp)).toBe('second');
    const tarball = (await buildAndPush(project('tar', `${httpBase}/ctx.tar`), quiet)).get('tar')!;
    expect(tarball.built).toBe(true);
    expect(await message(tarball)).toMatch(/^first /); // the tarball was made before the second commit
  }, 120_000);

  it('builds with BuildKit too', async () => {
    const r = (await buildAndPush(project('bk', `${gitUrl}#main`), { ...quiet, builder: 'buildkit' })).get('bk')!;
    expect(await message(r, '/top-message')).toBe('second');
  }, 120_000);

  it('names the service and the context when the engine cannot fetch it', async () => {
    const [unknownRef] = await failure(project('web', `${gitUrl}#no-such-branch:sub`));
    expect(unknownRef).toMatchObject({ code: 'build.remote-context', path: 'services.web.build' });
    expect(unknownRef!.message).toMatch(new RegExp(`^web: the Docker engine could not fetch or read the remote build context ${gitUrl.replace(/[.]/g, '\\.')}#no-such-branch:sub: .*no-such-branch`));

    // git@host:path is cloned over SSH with the engine host's keys; there is no SSH server here.
    const [ssh] = await failure(project('api', 'git@127.0.0.1:repo.git'));
    expect(ssh).toMatchObject({ code: 'build.remote-context', path: 'services.api.build' });
    expect(ssh!.message).toMatch(/^api: the Docker engine could not fetch or read the remote build context git@127\.0\.0\.1:repo\.git: .*(ssh|Could not read from remote repository)/s);

    const [missing] = await failure(project('web', `${httpBase}/nothing.tar`));
    expect(missing!.message).toMatch(/^web: the Docker engine could not fetch or read the remote build context http:\/\/127\.0\.0\.1:\d+\/nothing\.tar: .*404/s);
  }, 120_000);

  it('refuses what it cannot hand to any builder before asking the engine', async () => {
    const [ssh] = await failure(project('web', 'ssh://git@127.0.0.1/repo.git'), { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(ssh).toMatchObject({ code: 'build.remote-context', path: 'services.web.build' });
    expect(ssh!.message).toContain('write it as git@127.0.0.1:/repo.git');
    const [bk] = await failure(project('web', 'git@127.0.0.1:repo.git'), { builder: 'buildkit' });
    expect(bk!.message).toMatch(/^web: the git context git@127\.0\.0\.1:repo\.git is fetched over SSH, .* drop --builder buildkit/);
  });
});
