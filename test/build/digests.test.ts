// Tags to digests (src/build/digests.ts) and the compile phase that uses it, against a registry on 127.0.0.1 that
// answers from a table (test/helpers/fake-registry.ts): one HEAD per distinct reference over kept-alive connections,
// init containers included, images only built locally left alone, errors naming the service and image.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pinDigests, pinnedReference, resolveTags, unpushedImages } from '../../src/build/digests.js';
import { compile } from '../../src/compile/index.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { IMAGE_TAGS_ANNOTATION, podSpecOf, type KubeObject } from '../../src/model/kube.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';

const quick = { retry: { baseDelayMs: 1, maxDelayMs: 2 } };

describe('pinnedReference', () => {
  it('keeps the repository as written and the tag (latest when there is none)', () => {
    const d = 'sha256:' + 'a'.repeat(64);
    expect(pinnedReference('nginx:1.27', d)).toBe(`nginx:1.27@${d}`);
    expect(pinnedReference('nginx', d)).toBe(`nginx:latest@${d}`);
    expect(pinnedReference('localhost:5000/org/app', d)).toBe(`localhost:5000/org/app:latest@${d}`);
    expect(pinnedReference('127.0.0.1:5000/a/b:v1', d)).toBe(`127.0.0.1:5000/a/b:v1@${d}`);
  });
});

describe('resolveTags and pinDigests against a registry', () => {
  let reg: FakeRegistry;
  beforeAll(async () => {
    reg = await startFakeRegistry();
  });
  afterAll(() => reg.close());
  afterEach(() => {
    reg.requests.length = 0;
  });

  it('one HEAD per distinct reference, in parallel over a few kept-alive connections', async () => {
    const refs: string[] = [];
    const want = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const ref = `${reg.host}/p/svc${i}:v1`;
      want.set(ref, reg.push(`p/svc${i}:v1`));
      refs.push(ref, ref);
    }
    const before = reg.connections();
    const got = await resolveTags([...refs, `${reg.host}/p/x@sha256:${'b'.repeat(64)}`], { concurrency: 8 });
    for (const [ref, digest] of want) expect(got.get(ref)).toEqual({ ok: true, digest });
    expect(got.get(`${reg.host}/p/x@sha256:${'b'.repeat(64)}`)).toEqual({ ok: true, digest: `sha256:${'b'.repeat(64)}` });
    expect(reg.requests).toHaveLength(60);
    expect(reg.requests.every((r) => r.startsWith('HEAD /v2/p/svc'))).toBe(true);
    expect(reg.connections() - before).toBeLessThanOrEqual(9);
  });

  it('a registry that keeps failing is asked about its first image only (with retries); the others share the answer', async () => {
    reg.push('q/a:1');
    reg.push('q/b:1');
    reg.fail(/\/v2\/q\//, 503, 100);
    const got = await resolveTags([`${reg.host}/q/a:1`, `${reg.host}/q/b:1`, `${reg.host}/q/c:1`], quick);
    expect(reg.requests).toHaveLength(5);
    for (const r of got.values()) expect(r).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/HTTP 503.*\(5 attempts\)/) });
    reg.fail(/never/, 0, 0);
    reg.requests.length = 0;
    // the failure queue is shared: drain it for the next tests
    await resolveTags(Array.from({ length: 20 }, (_, i) => `${reg.host}/q/drain${i}:1`), quick);
  });

  it('a 503 or 429 that passes is retried; a missing tag and a refusal are per image', async () => {
    const d = reg.push('r/a:1');
    reg.fail(/\/v2\/r\/a\//, 429, 1, { 'retry-after': '0' });
    reg.fail(/\/v2\/r\/a\//, 500, 1);
    reg.fail(/\/v2\/r\/denied\//, 401, 1);
    const got = await resolveTags([`${reg.host}/r/a:1`, `${reg.host}/r/missing:1`, `${reg.host}/r/denied:1`, 'Not A Ref'], quick);
    expect(got.get(`${reg.host}/r/a:1`)).toEqual({ ok: true, digest: d });
    expect(got.get(`${reg.host}/r/missing:1`)).toMatchObject({ ok: false, kind: 'not-found', message: `registry ${reg.host} has no tag 1 in r/missing` });
    expect(got.get(`${reg.host}/r/denied:1`)).toMatchObject({ ok: false, kind: 'failed', message: expect.stringMatching(/access denied.*docker login/) });
    expect(got.get('Not A Ref')).toMatchObject({ ok: false, kind: 'invalid' });
  });

  it('an unreachable registry: one round of retries for all its images', async () => {
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => r(port));
      });
    });
    const got = await resolveTags([`127.0.0.1:${closed}/a:1`, `127.0.0.1:${closed}/b:1`], quick);
    const re = new RegExp(`cannot reach registry 127\\.0\\.0\\.1:${closed} .*ECONNREFUSED \\(5 attempts\\)`);
    for (const r of got.values()) expect(r).toMatchObject({ ok: false, kind: 'unreachable', message: expect.stringMatching(re) });
  });

  const workload = (name: string, init: string, main: string): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { 'app.kubernetes.io/component': name } },
    spec: { template: { spec: { initContainers: [{ name: 'wait-for-db', image: init }], containers: [{ name, image: main }] } } },
  });

  it('pinDigests: every container without a digest, init containers included; the skip list and digests stay', async () => {
    const web = reg.push('s/web:1');
    const helper = reg.push('s/busybox:1');
    const pinnedAlready = `${reg.host}/s/x@sha256:${'c'.repeat(64)}`;
    const objects = [workload('web', `${reg.host}/s/busybox:1`, `${reg.host}/s/web:1`), workload('local', `${reg.host}/s/busybox:1`, 'proj-local'), workload('p', pinnedAlready, pinnedAlready)];
    const r = await pinDigests(objects, { skip: new Set(['proj-local']) });
    expect(r).toEqual({ pinned: 3, unpinned: [], unresolved: [] });
    const images = (o: KubeObject) => [...(podSpecOf(o)!.initContainers ?? []), ...podSpecOf(o)!.containers].map((c) => c.image);
    expect(images(objects[0]!)).toEqual([`${reg.host}/s/busybox:1@${helper}`, `${reg.host}/s/web:1@${web}`]);
    expect(images(objects[1]!)).toEqual([`${reg.host}/s/busybox:1@${helper}`, 'proj-local']);
    expect(images(objects[2]!)).toEqual([pinnedAlready, pinnedAlready]);
    expect(JSON.parse(objects[0]!.metadata.annotations![IMAGE_TAGS_ANNOTATION]!)).toEqual({ web: `${reg.host}/s/web:1`, 'wait-for-db': `${reg.host}/s/busybox:1` });
    expect(JSON.parse(objects[1]!.metadata.annotations![IMAGE_TAGS_ANNOTATION]!)).toEqual({ 'wait-for-db': `${reg.host}/s/busybox:1` });
    expect(objects[2]!.metadata.annotations).toBeUndefined();
    expect(reg.requests).toHaveLength(2);
  });

  it('pinDigests with resolve: false asks no registry and records the tags', async () => {
    const objects = [workload('web', `${reg.host}/s/busybox:1`, `${reg.host}/s/web:1`)];
    const r = await pinDigests(objects, { resolve: false });
    expect(r.unpinned).toEqual([`${reg.host}/s/busybox:1`, `${reg.host}/s/web:1`]);
    expect(reg.requests).toEqual([]);
    expect(podSpecOf(objects[0]!)!.containers[0]!.image).toBe(`${reg.host}/s/web:1`);
    expect(objects[0]!.metadata.annotations![IMAGE_TAGS_ANNOTATION]).toBeDefined();
  });

  describe('the compile phase', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'c2k-digests-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const write = (yaml: string) => writeFileSync(join(dir, 'compose.yaml'), yaml);
    const run = (resolveDigests: { resolve?: boolean } | undefined) =>
      compile({ load: { cwd: dir, files: [join(dir, 'compose.yaml')], env: {} }, lower: { helperImage: `${reg.host}/t/busybox:1`, waitForStarted: true }, resolveDigests });

    it('pins every image it can, leaves the ones only built here, and tells update which tags to follow', async () => {
      const api = reg.push('t/api:2');
      const db = reg.push('t/db:latest');
      const helper = reg.push('t/busybox:1');
      write(`name: t\nservices:\n  api:\n    image: ${reg.host}/t/api:2\n    depends_on: [db]\n  db:\n    image: ${reg.host}/t/db\n  local:\n    build: .\n`);
      const { objects, diagnostics } = await run({});
      const deploy = (n: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === n)!;
      const apiSpec = podSpecOf(deploy('api'))!;
      expect(apiSpec.containers[0]!.image).toBe(`${reg.host}/t/api:2@${api}`);
      expect(apiSpec.initContainers!.map((c) => c.image)).toEqual([`${reg.host}/t/busybox:1@${helper}`]);
      expect(podSpecOf(deploy('db'))!.containers[0]!.image).toBe(`${reg.host}/t/db:latest@${db}`);
      expect(podSpecOf(deploy('local'))!.containers[0]!.image).toBe('t-local');
      expect(deploy('local').metadata.annotations?.[IMAGE_TAGS_ANNOTATION]).toBeUndefined();
      expect(diagnostics.items.map((d) => d.code)).toContain('image.local-only');
    });

    it('a tag the registry does not have is an error naming the service and image, at its line', async () => {
      write(`name: t\nservices:\n  api:\n    image: ${reg.host}/t/api:2\n  web:\n    image: ${reg.host}/t/web:nope\n`);
      const e = await run({}).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DiagnosticError);
      const [d] = (e as DiagnosticError).diagnostics;
      expect(d).toMatchObject({ code: 'image.unresolved', line: 6, file: join(dir, 'compose.yaml') });
      expect(d!.message).toBe(`web: cannot resolve ${reg.host}/t/web:nope to a digest: registry ${reg.host} has no tag nope in t/web; pass --no-resolve-digests to deploy the tags as written`);
    });

    it('--no-resolve-digests: no request, the tags stay, one warning', async () => {
      write(`name: t\nservices:\n  web:\n    image: ${reg.host}/t/web:nope\n`);
      const { objects, diagnostics } = await run({ resolve: false });
      expect(reg.requests).toEqual([]);
      expect(podSpecOf(objects.find((o) => o.kind === 'Deployment')!)!.containers[0]!.image).toBe(`${reg.host}/t/web:nope`);
      expect(diagnostics.items.filter((d) => d.code === 'image.unpinned').map((d) => d.message)).toEqual([
        `--no-resolve-digests: ${reg.host}/t/web:nope deployed by tag; a new image pushed under the same tag reaches pods only when they are recreated, and nodes may run different images (\`compose2k8s update\` pins them later)`,
      ]);
    });

    it('without the option, compile never asks a registry', async () => {
      write(`name: t\nservices:\n  web:\n    image: ${reg.host}/t/web:nope\n`);
      await run(undefined);
      expect(reg.requests).toEqual([]);
    });
  });
});

describe('unpushedImages', () => {
  it('local content tags and compose names of services with build: that no registry has', () => {
    const project = {
      name: 'p',
      services: {
        a: { build: { context: '.' } },
        b: { build: { context: '.' }, image: 'reg.example.com/b:1' },
        c: { build: { context: '.' } },
        d: { build: { context: '.' } },
        e: { image: 'nginx' },
      },
    } as never;
    const built = new Map([
      ['c', { reference: 'p-c:c2k-123', pushed: false }],
      ['d', { reference: 'reg/p-d@sha256:' + 'd'.repeat(64), pushed: true }],
    ]);
    expect([...unpushedImages(project, built)].sort()).toEqual(['p-a', 'p-c:c2k-123']);
  });
});
