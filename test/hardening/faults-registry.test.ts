// Registry faults: `compose2k8s build --push` and `convert --build --push` against the real registry of
// scripts/e2e/docker.sh behind the fault proxy (test/hardening/fault-proxy.ts, fronted by startRegistryProxy so
// the engine's blob uploads go through it too). Both clients of the registry meet the faults: the CLI's own
// API calls (does the content tag exist?) and the engine's push. The shared engine and registry are not
// disturbed: everything goes under a fresh namespace, and the faults live in the proxy.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E, REGISTRY, warnSkipped } from '../build/e2e-helpers.js';
import { connect, resolveEngine } from '../../src/build/engine.js';
import {
  cleanUpPushed,
  parseBuildOutput,
  registryDigest,
  registryErrorBody,
  registryTags,
  runCliAsync,
  setNonce,
  startRegistryProxy,
  writeProject,
  type RegistryProxy,
} from '../build/fault-helpers.js';
import { ensureBuilt } from '../helpers/build.js';
import { STACK_LINE } from './cli-helpers.js';

warnSkipped('registry fault tests (test/hardening/faults-registry.test.ts)');

const MANIFEST = /\/manifests\/c2k-/;
const unavailable = registryErrorBody('UNAVAILABLE', 'injected: service unavailable');
const tooMany = registryErrorBody('TOOMANYREQUESTS', 'injected: slow down');

describe.skipIf(!E2E)('registry faults between the CLI, the engine and the real registry', () => {
  let dir: string;
  let proxy: RegistryProxy;
  let ns: string;
  let registryArg: string;
  const env = () => ({ DOCKER_HOST: process.env.DOCKER_HOST ?? '' });
  const build = (args: string[], extraEnv: Record<string, string> = {}) =>
    runCliAsync(['build', '--push', '--registry', registryArg, '--progress', 'plain', ...args], { cwd: dir, env: { ...env(), ...extraEnv }, timeoutMs: 180_000 });
  const repo = (svc: string) => `${ns}/fx-${svc}`;
  const tagOf = (ref: string) => /:(c2k-[0-9a-f]+)/.exec(ref)?.[1];
  /** Requests the proxy saw, as `METHOD path` lines without query strings. */
  const seen = (re: RegExp) => proxy.faults.log.filter((e) => re.test(`${e.method} ${e.path?.split('?')[0]}`));

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'c2k-freg-'));
    writeProject(dir, 'fx', { a: {}, b: {}, c: {} });
    proxy = await startRegistryProxy(REGISTRY, { seed: 8 });
    ns = `c2k-faults-${Date.now().toString(36)}`;
    registryArg = `${proxy.address}/${ns}`;
  });
  afterAll(async () => {
    await proxy?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The engine and registry are shared: take back what this file put there.
    if (registryArg) await cleanUpPushed(await connect(resolveEngine()), 'fx', registryArg, REGISTRY, ['a', 'b', 'c'].map(repo));
  });

  it('transient failures (429, 503, dropped connections, slow and stalled answers) are retried with backoff and the build succeeds', async () => {
    proxy.faults.setRules([
      // The CLI's existence check: two 503s, one dropped connection, one slow answer, one that never comes.
      { name: 'check-503', method: 'HEAD', path: MANIFEST, status: 503, body: unavailable, times: 2 },
      { name: 'check-drop', method: 'HEAD', path: MANIFEST, drop: 'request', times: 1 },
      { name: 'check-slow', method: 'HEAD', path: MANIFEST, responseDelayMs: 1500, times: 1 },
      { name: 'check-hang', method: 'HEAD', path: MANIFEST, hang: true, times: 1 },
      // The engine's push: its /v2/ check fails once, a layer upload is cut (the engine retries that itself),
      // the manifest upload gets a 429, is cut after the registry stored it, and stalls once.
      { name: 'ping-503', method: 'GET', path: /^\/v2\/$/, status: 503, body: 'Service Unavailable\n', headers: { 'content-type': 'text/plain' }, times: 1 },
      { name: 'upload-drop', method: 'PATCH', path: /\/blobs\/uploads\//, drop: 'request', times: 1 },
      { name: 'manifest-429', method: 'PUT', path: MANIFEST, status: 429, retryAfter: 1, body: tooMany, times: 1 },
      { name: 'manifest-drop', method: 'PUT', path: MANIFEST, drop: 'response', times: 1 },
      { name: 'manifest-hang', method: 'PUT', path: MANIFEST, hang: true, times: 1 },
    ]);
    const r = await build(['a', 'b'], { COMPOSE2K8S_REGISTRY_TIMEOUT: '3', COMPOSE2K8S_PUSH_IDLE_TIMEOUT: '5' });
    expect(r.stderr, r.stderr).not.toMatch(STACK_LINE);
    expect(r.status, r.stderr).toBe(0);
    const fired = proxy.faults.stats().byRule;
    for (const rule of ['check-503', 'check-drop', 'check-slow', 'check-hang', 'ping-503', 'upload-drop', 'manifest-429', 'manifest-drop', 'manifest-hang']) {
      expect(fired[rule], `rule ${rule} fired (${JSON.stringify(fired)})`).toBeGreaterThan(0);
    }
    // What the user saw: each retry with its backoff.
    expect(r.stderr).toMatch(/\| HEAD \/v2\/\S+\/manifests\/c2k-\S+ on 127\.0\.0\.1:\d+: HTTP 503; retrying in \d\.\d s \(attempt 2\/5\)/);
    expect(r.stderr).toMatch(/\| cannot reach registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/v2\/\): connection closed by the other side; retrying in \d\.\d s/);
    expect(r.stderr).toMatch(/\| registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/v2\/\) did not answer within 3 s; retrying in \d\.\d s/);
    expect(r.stderr).toMatch(/\| push failed \(toomanyrequests: injected: slow down\); retrying in \d\.\d s \(attempt 2\/5\)/);
    expect(r.stderr).toMatch(/\| push failed \(no progress from the engine for 5 s .*\); retrying/);
    expect(r.stderr).toMatch(/\| the engine failed to upload layer [0-9a-f]+ and retries it in 5 s/);
    // The result: both pushed, pinned by the digest the registry has under the content tag.
    const out = parseBuildOutput(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['a', 'b']);
    for (const svc of ['a', 'b']) {
      expect(out[svc]!.what).toBe('built, pushed');
      const [name, digest] = out[svc]!.reference.split('@');
      expect(name).toBe(`${registryArg}/fx-${svc}`);
      const tags = await registryTags(REGISTRY, repo(svc));
      expect(tags).toHaveLength(1);
      expect(await registryDigest(REGISTRY, repo(svc), tags[0]!)).toBe(digest);
    }
  }, 180_000);

  it('a registry that stays down (or keeps refusing pushes, or never answers) fails clearly: exit 1, the service and image named, no manifests', async () => {
    // b gets new content: its layers go up, but its manifest is refused with 503s (the engine does not retry
    // a manifest upload; compose2k8s does). a is unchanged (already in the registry).
    setNonce(dir, 'b');
    proxy.faults.setRules([
      { name: 'refuse-manifest', method: 'PUT', path: new RegExp(`^/v2/${repo('b')}/manifests/`), status: 503, body: unavailable },
      { name: 'hang-c', method: 'HEAD', path: new RegExp(`^/v2/${repo('c')}/manifests/`), hang: true },
    ]);
    const outDir = join(dir, 'out');
    const t0 = Date.now();
    const [refused, hung] = await Promise.all([build(['a', 'b']), build(['c'], { COMPOSE2K8S_REGISTRY_TIMEOUT: '1' })]);
    // Refused pushes: b is built, its push tried 5 times with backoff (1+2+4+8 s), then a clear error.
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).not.toMatch(STACK_LINE);
    expect(refused.stderr).toMatch(
      new RegExp(`error: b: pushing ${registryArg.replace(/\./g, '\\.')}/fx-b:c2k-[0-9a-f]{20} failed: received unexpected HTTP status: 503 Service Unavailable; gave up after 5 attempts - is the registry 127\\.0\\.0\\.1:\\d+ running and reachable from the Docker engine\\? \\(at services\\.b\\.build\\)`),
    );
    expect(proxy.faults.stats().byRule['refuse-manifest']).toBe(5);
    // A registry that never answers: each check times out after 1 s, is retried, and the service is named.
    expect(hung.status).toBe(1);
    expect(hung.stderr).not.toMatch(STACK_LINE);
    expect(hung.stderr).toMatch(/error: registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/v2\/\) did not answer within 1 s \(5 attempts\); is the registry running and reachable from here\? \(at services\.c\.build\)/);
    expect(Date.now() - t0).toBeGreaterThan(13_000); // the backoff really waited

    // Down altogether: `build` and `convert --build --push -o DIR/` both fail before building, naming every service.
    proxy.faults.clearRules();
    proxy.faults.setDown(true);
    try {
      const [down, convert] = await Promise.all([
        build(['--parallel', '3']),
        runCliAsync(['convert', '--build', '--push', '--registry', registryArg, '--parallel', '3', '-o', `${outDir}/`], { cwd: dir, env: env(), timeoutMs: 120_000 }),
      ]);
      for (const r of [down, convert]) {
        expect(r.status, r.stderr).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toMatch(STACK_LINE);
        expect(r.stderr).toMatch(/error: cannot reach registry 127\.0\.0\.1:\d+ \(http:\/\/127\.0\.0\.1:\d+\/v2\/\): connection closed by the other side \(5 attempts\); is the registry running and reachable from here\? \(services a, b, c\)/);
      }
      expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
    } finally {
      proxy.faults.setDown(false);
    }
  }, 180_000);

  it('a rerun after the faults pushes only what is missing, nothing twice, and the manifests pin the registry digests', async () => {
    proxy.faults.clearRules();
    proxy.faults.resetStats();
    const r = await build([]);
    expect(r.status, r.stderr).toBe(0);
    const out = parseBuildOutput(r.stdout);
    expect(out.a!.what).toBe('unchanged, already in registry');
    expect(out.b!.what).toBe('unchanged, pushed'); // built by the failed run, its manifest pushed now
    expect(out.c!.what).toBe('built, pushed');
    // Only b's and c's manifests were uploaded; a was only checked.
    expect(seen(/^PUT .*\/manifests\//).map((e) => e.path!.replace(/\/manifests\/.*/, ''))).toEqual(expect.arrayContaining([`/v2/${repo('b')}`, `/v2/${repo('c')}`]));
    expect(seen(/^PUT .*\/manifests\//)).toHaveLength(2);
    expect(seen(new RegExp(`^(POST|PATCH|PUT) /v2/${repo('a')}/`))).toEqual([]);
    // b's layers went up in the refused run: no layer is sent again, only the manifest.
    expect(seen(new RegExp(`^(POST|PATCH) /v2/${repo('b')}/blobs/`))).toEqual([]);

    // And once more: nothing is built or pushed, the registry is only asked.
    proxy.faults.resetStats();
    const again = await build([]);
    expect(again.status, again.stderr).toBe(0);
    for (const [svc, x] of Object.entries(parseBuildOutput(again.stdout))) {
      expect(x.what, svc).toBe('unchanged, already in registry');
      expect(x.reference).toBe(out[svc]!.reference);
    }
    expect(proxy.faults.log.map((e) => e.method)).toEqual(['HEAD', 'HEAD', 'HEAD']);

    // The registry holds each image under its content tag once: a and c one tag, b two (the first content and
    // the new one), each with the digest the build reported.
    for (const svc of ['a', 'b', 'c']) {
      const tags = await registryTags(REGISTRY, repo(svc));
      expect(tags.every((t) => t.startsWith('c2k-'))).toBe(true);
      expect(tags).toHaveLength(svc === 'b' ? 2 : 1);
      const [, digest] = out[svc]!.reference.split('@');
      const current = tagOf(r.stderr.split('\n').find((l) => l.startsWith(`${svc} |`) && /\/fx-[a-c]:c2k-/.test(l)) ?? '');
      expect(current && tags.includes(current)).toBe(true);
      expect(await registryDigest(REGISTRY, repo(svc), current!)).toBe(digest);
    }

    // convert --build --push writes manifests pinned to exactly those digests.
    const outFile = join(dir, 'k8s.yaml');
    const conv = await runCliAsync(['convert', '--build', '--push', '--registry', registryArg, '-o', outFile], { cwd: dir, env: env(), timeoutMs: 120_000 });
    expect(conv.status, conv.stderr).toBe(0);
    const images = [...readFileSync(outFile, 'utf8').matchAll(/image: (\S+)/g)].map((m) => m[1]).sort();
    expect(images).toEqual(['a', 'b', 'c'].map((s) => out[s]!.reference).sort());
  }, 180_000);
});
