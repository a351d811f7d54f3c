// A watch session against the in-memory API server, with a recorded pods/exec and a file watcher the test drives:
// what reaches the containers (the tar stream `tar -x` reads, `rm -rf`, exec commands), one action per burst, the
// fallback when an image has no tar (said once), restarts (in place, and by replacing the pod when PID 1 ignores
// SIGTERM), and errors that leave the session running. The real exec API is exercised on the real node
// (test/runtime/watch.test.ts).
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterFrom } from '../../src/deploy/client.js';
import type { ExecRequest, ExecResult } from '../../src/deploy/exec.js';
import type { KubeObject } from '../../src/model/kube.js';
import { runWatch, type WatchFactory } from '../../src/watch/index.js';
import type { Change } from '../../src/watch/batch.js';
import { FakeCluster } from '../deploy/fake-cluster.js';
import { compileIn, projectDir } from './helpers.js';

const COMPOSE = `
name: shop
services:
  web:
    image: web:1
    develop:
      watch:
        - path: ./www
          action: sync
          target: /srv/www
        - path: ./conf
          action: sync+restart
          target: /etc/web
        - path: ./hooks
          action: sync+exec
          target: /hooks
          exec:
            command: ["touch", "/tmp/reloaded"]
            environment: {MODE: dev}
`;

interface Recorded {
  pod: string;
  command: string[];
  files?: string[];
}

/** Reads a tar stream and lists `name (type)` of its entries. */
async function tarEntries(stdin: Buffer | Readable | undefined): Promise<string[]> {
  if (!stdin) return [];
  const { extract } = await import('tar-stream');
  const ex = extract();
  const names: string[] = [];
  const done = (async () => {
    for await (const entry of ex) {
      const e = entry as unknown as { header: { name: string; type: string }; resume(): void } & AsyncIterable<Buffer>;
      let body = '';
      for await (const chunk of e) body += chunk.toString();
      names.push(e.header.type === 'file' ? `${e.header.name}=${body}` : `${e.header.name}/`);
    }
  })();
  if (Buffer.isBuffer(stdin)) ex.end(stdin);
  else {
    for await (const c of stdin) ex.write(c as Buffer);
    ex.end(Buffer.alloc(0));
  }
  await done;
  return names;
}

function pod(name: string, n: number, containerID = `containerd://${name}-1`, restartCount = 0): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      labels: { 'app.kubernetes.io/component': 'web', 'app.kubernetes.io/instance': 'shop' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }],
    },
    spec: { containers: [{ name: 'web', image: 'web:1' }], terminationGracePeriodSeconds: 1 },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'web', containerID, restartCount, ready: true, image: 'web:1', imageID: '', state: { running: { startedAt: `2026-01-01T00:00:0${n}Z` } } }],
    },
  };
}

function setup(exec: (req: ExecRequest) => ExecResult | Promise<ExecResult>, compose = COMPOSE) {
  const p = projectDir({ 'compose.yaml': compose, 'www/index.html': 'v1', 'www/css/site.css': 'body{}', 'www/Dockerfile': 'FROM x', 'www/.x.swp': '', 'conf/site.conf': 'a=1', 'hooks/x': '' });
  const compiled = compileIn(p.dir);
  const fake = new FakeCluster();
  const recorded: Recorded[] = [];
  const cluster = clusterFrom(fake, fake.watch, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, async (req) => {
    const files = req.command[0] === 'tar' ? await tarEntries(req.stdin) : undefined;
    recorded.push({ pod: req.pod, command: req.command, ...(files ? { files } : {}) });
    return exec(req);
  });
  fake.put(pod('web-a', 1));
  let emit!: (abs: string, change: Change) => void;
  const watcher: WatchFactory = async (_paths, h) => {
    emit = (abs, change) => {
      if (!h.ignored(abs)) h.change(abs, change);
    };
    return { close: async () => {} };
  };
  const lines: string[] = [];
  const warnings: string[] = [];
  const abort = new AbortController();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => (ready = r));
  const session = runWatch({
    project: compiled.loaded.project,
    workingDir: compiled.loaded.source.workingDir,
    services: [],
    placements: compiled.placements,
    objects: compiled.objects,
    cluster,
    namespace: 'shop',
    projectName: 'shop',
    build: { push: false },
    apply: {},
    timeoutMs: 5000,
    print: (l) => lines.push(l),
    warn: (l) => warnings.push(l),
    signal: abort.signal,
    quietMs: 30,
    maxWaitMs: 500,
    watcher,
    onReady: ready,
  });
  const write = (rel: string, content: string) => {
    const abs = p.write(rel, content);
    emit(abs, 'upsert');
    return abs;
  };
  const remove = (rel: string) => {
    const abs = join(p.dir, rel);
    rmSync(abs, { recursive: true, force: true });
    emit(abs, 'delete');
  };
  /** Waits until `n` action lines (or warnings) were printed. */
  const until = async (cond: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out; lines: ${JSON.stringify(lines)} warnings: ${JSON.stringify(warnings)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const stop = async () => {
    abort.abort();
    return session;
  };
  cleanups.push(() => p.cleanup());
  return { p, fake, recorded, lines, warnings, readyP, write, remove, until, stop, session };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const ok: ExecResult = { exitCode: 0, stdout: '', stderr: '' };

describe('watch session', () => {
  it('a burst of 50 writes is one sync: one tar stream with every file, extracted at / by tar -x -o', async () => {
    const s = setup(() => ok);
    await s.readyP;
    for (let i = 0; i < 50; i++) s.write(`www/page${i}.html`, `p${i}`);
    await s.until(() => s.lines.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]).toMatch(/^web: synced 50 files \(\d+\.\d\d s\)$/);
    const tars = s.recorded.filter((r) => r.command[0] === 'tar');
    expect(tars).toHaveLength(1);
    expect(tars[0]!.command).toEqual(['tar', '-x', '-o', '-f', '-', '-C', '/']);
    expect(tars[0]!.pod).toBe('web-a');
    expect(tars[0]!.files).toHaveLength(50);
    expect(tars[0]!.files).toContain('srv/www/page7.html=p7');
    expect((await s.stop()).interrupted).toBe(false);
  });

  it('initial_sync copies the whole path before watching (not ignored files, Dockerfiles or editor files)', async () => {
    const s = setup(() => ok, COMPOSE.replace('          target: /srv/www\n', '          target: /srv/www\n          initial_sync: true\n'));
    await s.readyP;
    expect(s.recorded).toHaveLength(1);
    expect(s.recorded[0]!.files).toEqual(['srv/www/css/', 'srv/www/css/site.css=body{}', 'srv/www/index.html=v1']);
    expect(s.lines).toEqual([expect.stringMatching(/^web: initial sync of css\/site\.css, index\.html to \/srv\/www \(\d+\.\d\d s\)$/)]);
    await s.stop();
  });

  it('deletions are removed with rm -rf; a new directory arrives with its files; ignored files do not trigger', async () => {
    const s = setup(() => ok);
    await s.readyP;
    s.remove('www/index.html');
    mkdirSync(join(s.p.dir, 'www/img'));
    writeFileSync(join(s.p.dir, 'www/img/a.svg'), '<svg/>');
    s.write('www/img/a.svg', '<svg/>');
    s.write('www/.index.html.swp', 'x');
    await s.until(() => s.lines.length >= 1);
    expect(s.lines[0]).toMatch(/^web: synced www\/img\/a\.svg, removed www\/index\.html \(/);
    expect(s.recorded.map((r) => r.command[0])).toEqual(['rm', 'tar']);
    expect(s.recorded[0]!.command).toEqual(['rm', '-rf', '--', '/srv/www/index.html']);
    expect(s.recorded[1]!.files).toEqual(['srv/www/img/a.svg=<svg/>']);
    await s.stop();
  });

  it('every running container of the service gets the files; a pod being deleted does not', async () => {
    const s = setup(() => ok);
    s.fake.put(pod('web-b', 2));
    const gone = pod('web-c', 3);
    gone.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    s.fake.put(gone);
    await s.readyP;
    s.write('www/index.html', 'v2');
    await s.until(() => s.lines.length >= 1);
    expect(s.recorded.map((r) => r.pod).sort()).toEqual(['web-a', 'web-b']);
    await s.stop();
  });

  it('a container without tar is said once, naming the service; the rule falls back to rebuild, which needs build:', async () => {
    const s = setup((req) => (req.command[0] === 'tar' ? { exitCode: -1, stdout: '', stderr: '', startError: 'exec: "tar": executable file not found in $PATH: unknown' } : ok));
    await s.readyP;
    s.write('www/index.html', 'v2');
    await s.until(() => s.warnings.some((w) => /rebuild/.test(w) && /failed/.test(w)));
    s.write('www/index.html', 'v3');
    await s.until(() => s.warnings.filter((w) => /failed/.test(w)).length >= 2);
    const noTar = s.warnings.filter((w) => w.includes('has no tar'));
    expect(noTar).toEqual([
      `web: the container has no tar, so files cannot be copied into it; services.web.develop.watch[0] (sync ${join(s.p.dir, 'www')}) cannot be carried out (the service has no build: section to rebuild from)`,
    ]);
    // web has no build: section, so the rebuild it falls back to fails each time, and says why; the session goes on.
    expect(s.warnings.filter((w) => /failed/.test(w))[1]).toMatch(/^web: rebuild failed after .*: web has no build: section to rebuild its image from$/);
    // tar was tried once; the second change went straight to the rebuild.
    expect(s.recorded.filter((r) => r.command[0] === 'tar')).toHaveLength(1);
    await s.stop();
  });

  it('sync+restart restarts in place when PID 1 handles SIGTERM, then copies the sync paths again', async () => {
    let restarted = false;
    const s = setup((req) => {
      if (req.command[0] === 'cat') return { exitCode: 0, stdout: 'Name:\tsh\nSigCgt:\t0000000000004002\n', stderr: '' };
      if (req.command[0] === 'kill') {
        restarted = true;
        return ok;
      }
      return ok;
    });
    s.fake.onWrite = () => {};
    await s.readyP;
    const poll = setInterval(() => {
      if (restarted) {
        clearInterval(poll);
        s.fake.put(pod('web-a', 1, 'containerd://web-a-2', 1));
      }
    }, 20);
    s.write('conf/site.conf', 'a=2');
    await s.until(() => s.lines.length >= 1);
    clearInterval(poll);
    expect(s.lines[0]).toMatch(/^web: synced conf\/site\.conf, restarted the container in place, synced \/srv\/www, \/etc\/web, \/hooks again \(/);
    expect(s.recorded.map((r) => r.command.slice(0, 2).join(' '))).toEqual(['tar -x', 'cat /proc/1/status', 'kill -TERM', 'tar -x', 'tar -x', 'tar -x']);
    await s.stop();
  });

  it("sync+restart replaces the pod when PID 1 ignores SIGTERM (the controller's new pod gets the files)", async () => {
    const s = setup((req) => (req.command[0] === 'cat' ? { exitCode: 0, stdout: 'SigCgt:\t0000000000000000\n', stderr: '' } : ok));
    s.fake.onWrite = (obj, deleted) => {
      if (deleted && obj.kind === 'Pod' && obj.metadata.name === 'web-a') setTimeout(() => s.fake.put(pod('web-z', 4)), 30);
    };
    await s.readyP;
    s.write('conf/site.conf', 'a=3');
    await s.until(() => s.lines.length >= 1);
    expect(s.lines[0]).toMatch(/^web: synced conf\/site\.conf, replaced the pod \(its main process \(PID 1\) does not handle SIGTERM\), synced .* again \(/);
    expect(s.fake.get('Pod', 'web-a', 'shop')).toBeUndefined();
    expect(s.recorded.filter((r) => r.pod === 'web-z').map((r) => r.command[0])).toEqual(['tar', 'tar', 'tar']);
    await s.stop();
  });

  it('sync+exec syncs, then runs the command once with its environment', async () => {
    const s = setup(() => ok);
    await s.readyP;
    s.write('hooks/a', '1');
    s.write('hooks/b', '2');
    await s.until(() => s.lines.length >= 1);
    expect(s.lines[0]).toMatch(/^web: synced hooks\/a, hooks\/b, ran touch \/tmp\/reloaded \(/);
    expect(s.recorded.map((r) => r.command)).toEqual([
      ['tar', '-x', '-o', '-f', '-', '-C', '/'],
      ['env', 'MODE=dev', 'touch', '/tmp/reloaded'],
    ]);
    await s.stop();
  });

  it('a failing command is shown and the session goes on', async () => {
    let fail = true;
    const s = setup((req) => (req.command[0] === 'env' && fail ? { exitCode: 3, stdout: '', stderr: 'boom\n' } : ok));
    await s.readyP;
    s.write('hooks/a', '1');
    await s.until(() => s.warnings.some((w) => w.includes('failed')));
    expect(s.warnings.find((w) => w.includes('failed'))).toMatch(/^web: exec of services\.web\.develop\.watch\[2\] failed after .*: touch \/tmp\/reloaded in web-a exited with 3: boom$/);
    fail = false;
    s.write('hooks/a', '2');
    await s.until(() => s.lines.length >= 1);
    expect(s.lines[0]).toMatch(/ran touch/);
    await s.stop();
  });

  it('no running container: an error naming the workload, and the next change is tried again', async () => {
    const s = setup(() => ok);
    s.fake.put({ ...pod('web-a', 1), status: { phase: 'Pending' } });
    await s.readyP;
    s.write('www/index.html', 'v2');
    await s.until(() => s.warnings.some((w) => w.includes('failed')));
    expect(s.warnings.find((w) => w.includes('failed'))).toMatch(/^web: sync failed after .*: no running container web in the pods of Deployment\/web \(namespace shop\)$/);
    s.fake.put(pod('web-a', 1));
    s.write('www/index.html', 'v3');
    await s.until(() => s.lines.length >= 1);
    await s.stop();
  });
});
