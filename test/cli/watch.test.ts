// `compose2k8s watch` as a user runs it (the built CLI), against the in-memory API server served over HTTP: rules
// are checked before anything is deployed, up runs first (and not with --no-up), an error on a change is shown
// and the session goes on, and Ctrl-C ends it with exit 0 leaving the deployment in place. The fake server has no
// pods/exec and no kubelet; the actions themselves are tested in test/watch/ and on the real node.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeCluster, serveFake } from '../deploy/fake-cluster.js';
import { CLI_ENV, cliPath, ensureBuilt } from '../helpers/build.js';

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
`;

let dir: string;
let f: FakeCluster;
let served: Awaited<ReturnType<typeof serveFake>>;

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'c2k-watch-cli-'));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), 'v1');
  writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
  writeFileSync(join(dir, 'plain.yaml'), 'services:\n  web:\n    image: web:1\n');
  writeFileSync(join(dir, 'bad.yaml'), 'services:\n  web:\n    image: web:1\n    develop:\n      watch:\n        - path: ./www\n          action: rebuild\n');
  f = new FakeCluster();
  served = await serveFake(f, dir);
}, 120_000);

afterAll(async () => {
  await served?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the CLI; `until(re)` waits for stderr to match; `interrupt()` sends SIGINT and resolves with the exit code. */
function start(args: string[]) {
  const child = spawn(process.execPath, ['--', cliPath, ...args], { cwd: dir, env: CLI_ENV });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const until = async (re: RegExp, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!re.test(stderr)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`no ${re} in stderr:\n${stderr}\nstdout:\n${stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    until,
    out: () => ({ stdout, stderr }),
    exited,
    interrupt: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

describe('compose2k8s watch', () => {
  it('a project without develop.watch is an error before anything is deployed', async () => {
    const w = start(['-f', 'plain.yaml', 'watch', '--no-resolve-digests', '--kubeconfig', served.kubeconfig, '-n', 'plain']);
    expect(await w.exited).toBe(1);
    expect(w.out().stderr).toMatch(/none of the selected services is configured for watch: add a develop\.watch section/);
    expect(f.get('Namespace', 'plain')).toBeUndefined();
  }, 60_000);

  it('a bad rule is an error at its file and line', async () => {
    const w = start(['-f', 'bad.yaml', 'watch', '--no-resolve-digests', '--kubeconfig', served.kubeconfig, '-n', 'bad']);
    expect(await w.exited).toBe(1);
    // (Its image is on Docker Hub, which no test reaches: --no-resolve-digests keeps the tag, with its warning.)
    expect(w.out().stderr.split('\n').filter((l) => !l.startsWith('warning: --no-resolve-digests'))).toEqual([
      'bad.yaml:6:11: error: web: a rebuild rule needs a build: section to rebuild from (at services.web.develop.watch[0])',
      '',
    ]);
    expect(f.get('Namespace', 'bad')).toBeUndefined();
  }, 60_000);

  it('ups, watches, reports a failed sync and goes on, and exits 0 on Ctrl-C leaving the deployment', async () => {
    const w = start(['watch', '--no-resolve-digests', '--kubeconfig', served.kubeconfig, '-n', 'shop', '--no-wait']);
    await w.until(/watching 1 path\(s\) for web \(Ctrl-C to stop; the deployment keeps running\)/);
    expect(w.out().stdout).toContain('deployment.apps/web created');
    writeFileSync(join(dir, 'www', 'index.html'), 'v2');
    // The fake cluster runs no pods: the sync fails with the reason, and the session goes on.
    await w.until(/web: sync failed after [\d.]+ s: no running container web in the pods of Deployment\/web \(namespace shop\)/);
    writeFileSync(join(dir, 'www', 'index.html'), 'v3');
    await w.until(/(sync failed[\s\S]*){2}/);
    expect(await w.interrupt()).toBe(0);
    expect(f.get('Deployment', 'web', 'shop')).toBeDefined();
  }, 60_000);

  it('--no-up deploys nothing', async () => {
    const w = start(['watch', '--no-resolve-digests', '--no-up', '--kubeconfig', served.kubeconfig, '-n', 'other']);
    await w.until(/watching 1 path\(s\)/);
    expect(await w.interrupt()).toBe(0);
    expect(w.out().stdout).toBe('');
    expect(f.get('Namespace', 'other')).toBeUndefined();
  }, 60_000);
});
