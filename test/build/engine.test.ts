import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { engineLost, resolveEngine } from '../../src/build/engine.js';
import { buildAndPush } from '../../src/build/index.js';
import { BuildFailure, isTransientPushError, pushImage, PushFailure, runBuild } from '../../src/build/engine-ops.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'c2k-engine-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('engine endpoint', () => {
  it('DOCKER_HOST unix and tcp', () => {
    expect(resolveEngine({ DOCKER_HOST: 'unix:///run/x.sock', HOME: home })).toMatchObject({ socketPath: '/run/x.sock', source: 'DOCKER_HOST' });
    expect(resolveEngine({ DOCKER_HOST: 'tcp://10.0.0.5:2375', HOME: home })).toMatchObject({ protocol: 'http', hostname: '10.0.0.5', port: 2375 });
    expect(resolveEngine({ DOCKER_HOST: 'ssh://me@box', HOME: home })).toMatchObject({ protocol: 'ssh', hostname: 'box', port: 22, username: 'me' });
  });

  it('DOCKER_TLS_VERIFY with DOCKER_CERT_PATH uses HTTPS and the certificates', () => {
    const certs = join(home, 'certs');
    mkdirSync(certs, { recursive: true });
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(certs, f), f);
    const ep = resolveEngine({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, HOME: home });
    expect(ep).toMatchObject({ protocol: 'https', port: 2376, insecureTls: false });
    expect(ep.ca!.toString()).toBe('ca.pem');
    expect(ep.key!.toString()).toBe('key.pem');
    expect(resolveEngine({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS: '1', DOCKER_CERT_PATH: certs, HOME: home })).toMatchObject({ protocol: 'https', insecureTls: true });
    expect(resolveEngine({ DOCKER_HOST: 'tcp://h:2375', DOCKER_CERT_PATH: certs, HOME: home })).toMatchObject({ protocol: 'http' });
  });

  it('the current docker context, else the default socket', () => {
    const cfg = join(home, 'ctx');
    const id = createHash('sha256').update('remote').digest('hex');
    mkdirSync(join(cfg, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(cfg, 'config.json'), JSON.stringify({ currentContext: 'remote' }));
    writeFileSync(join(cfg, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({ Name: 'remote', Endpoints: { docker: { Host: 'unix:///ctx.sock' } } }));
    expect(resolveEngine({ DOCKER_CONFIG: cfg })).toMatchObject({ socketPath: '/ctx.sock', source: 'context "remote"' });
    expect(resolveEngine({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'default' })).toMatchObject({ socketPath: '/var/run/docker.sock', source: 'default' });
    expect(() => resolveEngine({ DOCKER_CONFIG: cfg, DOCKER_CONTEXT: 'missing' })).toThrow(DiagnosticError);
    expect(resolveEngine({ DOCKER_CONFIG: join(home, 'none') })).toMatchObject({ socketPath: '/var/run/docker.sock' });
    expect(() => resolveEngine({ DOCKER_HOST: 'bogus' })).toThrow(/invalid Docker host/);
  });
});

/** A dockerode stand-in whose modem answers one dial with the given JSON messages. */
function fakeDocker(messages: unknown[], onDial?: (o: Record<string, unknown>) => void): Dockerode {
  return {
    modem: {
      dial(o: Record<string, unknown>, cb: (e: unknown, s?: unknown) => void) {
        onDial?.(o);
        const s = new PassThrough();
        cb(null, s);
        // Split across chunk boundaries on purpose.
        const text = messages.map((m) => JSON.stringify(m) + '\n').join('');
        const mid = Math.floor(text.length / 2);
        s.write(text.slice(0, mid));
        s.end(text.slice(mid));
      },
    },
  } as unknown as Dockerode;
}

describe('build stream', () => {
  it('classic: steps, output and the image ID', async () => {
    const steps: string[] = [];
    let query: unknown;
    const id = await runBuild(
      fakeDocker(
        [{ stream: 'Step 1/2 : FROM scratch\n' }, { stream: ' --->\n' }, { stream: 'Step 2/2 : COPY a /a\n' }, { aux: { ID: 'sha256:abc' } }, { stream: 'Successfully built abc\n' }],
        (o) => (query = o.options),
      ),
      { tar: new PassThrough(), query: { t: ['x'], version: '1' } },
      { step: (n, of, t) => steps.push(`${n}/${of} ${t}`) },
    );
    expect(id).toBe('sha256:abc');
    expect(steps).toEqual(['1/2 FROM scratch', '2/2 COPY a /a']);
    expect(query).toEqual({ t: ['x'], version: '1' });
  });

  it('classic: a failure carries the step and the last lines', async () => {
    const e = await runBuild(
      fakeDocker([{ stream: 'Step 1/2 : FROM scratch\n' }, { stream: 'Step 2/2 : RUN make\n' }, { stream: '\x1b[91mcc: error\n\x1b[0m' }, { errorDetail: { code: 2, message: 'returned a non-zero code: 2' }, error: 'x' }]),
      { tar: new PassThrough(), query: {} },
    ).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BuildFailure);
    expect((e as BuildFailure).step).toBe('step 2/2: RUN make');
    expect((e as BuildFailure).lastLines).toContain('cc: error');
    expect((e as BuildFailure).message).toBe('returned a non-zero code: 2');
  });

  it('BuildKit: decodes trace messages for steps, logs and errors', async () => {
    const { createRequire } = await import('node:module');
    const req = createRequire(import.meta.url);
    const main = req.resolve('dockerode');
    const protobuf = createRequire(main)('protobufjs');
    const type = protobuf.loadSync(join(main, '..', 'proto', 'buildkit_status.proto')).lookupType('moby.buildkit.v1.StatusResponse');
    const trace = (o: object) => ({ id: 'moby.buildkit.trace', aux: Buffer.from(type.encode(type.fromObject(o)).finish()).toString('base64') });
    const steps: string[] = [];
    const id = await runBuild(
      fakeDocker([
        trace({ vertexes: [{ digest: 'd1', name: '[internal] load build definition', started: { seconds: 1 } }] }),
        trace({ vertexes: [{ digest: 'd2', name: '[stage-1 2/3] RUN make', started: { seconds: 2 } }] }),
        trace({ logs: [{ vertex: 'd2', msg: Buffer.from('compiling\n') }] }),
        { id: 'moby.image.id', aux: { ID: 'sha256:bk' } },
      ]),
      { tar: new PassThrough(), query: { version: '2' } },
      { step: (n, of, t) => steps.push(`${n}/${of} ${t}`) },
    );
    expect(id).toBe('sha256:bk');
    expect(steps).toEqual(['2/3 RUN make']);
    const e = await runBuild(
      fakeDocker([
        trace({ vertexes: [{ digest: 'd2', name: '[2/3] RUN make', started: { seconds: 2 } }] }),
        trace({ logs: [{ vertex: 'd2', msg: Buffer.from('boom\n') }] }),
        trace({ vertexes: [{ digest: 'd2', name: '[2/3] RUN make', started: { seconds: 2 }, completed: { seconds: 3 }, error: 'exit code: 1' }] }),
        { errorDetail: { message: 'executor failed running [make]: exit code: 1' } },
      ]),
      { tar: new PassThrough(), query: { version: '2' } },
    ).catch((err: unknown) => err);
    expect((e as BuildFailure).step).toBe('step 2/3: RUN make');
    expect((e as BuildFailure).lastLines).toEqual(['boom', 'ERROR [2/3] RUN make: exit code: 1']);
  });
});

describe('push stream', () => {
  it('reports bytes and takes the digest from aux.Digest', async () => {
    const bytes: number[] = [];
    let dialled: Record<string, unknown> = {};
    const digest = await pushImage(
      fakeDocker(
        [
          { status: 'Preparing', id: 'l1' },
          { status: 'Pushing', id: 'l1', progressDetail: { current: 50, total: 100 } },
          { status: 'Pushed', id: 'l1' },
          { status: 'c2k-1: digest: sha256:dd size: 528' },
          { progressDetail: {}, aux: { Tag: 'c2k-1', Digest: 'sha256:dd', Size: 528 } },
        ],
        (o) => (dialled = o),
      ),
      '127.0.0.1:5000/x',
      'c2k-1',
      undefined,
      { bytes: (c) => bytes.push(c) },
    );
    expect(digest).toBe('sha256:dd');
    expect(bytes).toEqual([50]);
    expect(dialled.path).toBe('/images/127.0.0.1:5000/x/push?');
    expect(Buffer.from((dialled.authconfig as { base64: string }).base64, 'base64').toString()).toBe('{}');
  });

  it('classifies registry outages as transient', async () => {
    const e = await pushImage(fakeDocker([{ errorDetail: { message: 'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused' } }]), 'r/x', 't', undefined).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PushFailure);
    expect((e as PushFailure).transient).toBe(true);
    const denied = await pushImage(fakeDocker([{ errorDetail: { message: 'denied: requested access to the resource is denied' } }]), 'r/x', 't', undefined).catch((err: unknown) => err);
    expect((denied as PushFailure).transient).toBe(false);
  });

  it.each([
    ['toomanyrequests: slow down', true],
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['received unexpected HTTP status: 502 Bad Gateway', true],
    ['Patch "http://127.0.0.1:5000/v2/x/blobs/uploads/u": EOF', true],
    ['blob upload unknown: blob upload unknown to registry', true],
    ['net/http: request canceled (Client.Timeout exceeded while awaiting headers)', true],
    ['unauthorized: authentication required', false],
    ['name unknown: repository name not known to registry', false],
    ['manifest invalid: manifest invalid', false],
    ['An image does not exist locally with the tag: r/x', false],
  ])('push error %j is transient: %s', (message, transient) => {
    expect(isTransientPushError(message)).toBe(transient);
  });

  it('says the engine already retried when a layer was still waiting for its retry at the failure', async () => {
    const notes: string[] = [];
    const gaveUp = await pushImage(
      fakeDocker([
        { status: 'Pushing', id: 'l1', progressDetail: { current: 10, total: 100 } },
        ...[5, 4, 3, 2, 1].map((n) => ({ status: `Retrying in ${n} second${n > 1 ? 's' : ''}`, id: 'l1', progressDetail: {} })),
        ...[10, 9].map((n) => ({ status: `Retrying in ${n} seconds`, id: 'l1', progressDetail: {} })),
        { errorDetail: { message: 'received unexpected HTTP status: 503 Service Unavailable' } },
      ]),
      'r/x',
      't',
      undefined,
      { note: (t) => notes.push(t) },
    ).catch((err: unknown) => err);
    expect(gaveUp).toMatchObject({ transient: true, engineRetried: true });
    expect(notes).toEqual(['the engine failed to upload layer l1 and retries it in 5 s', 'the engine failed to upload layer l1 and retries it in 10 s']);
    // A layer whose retry worked does not count: a later failure (the manifest) is ours to retry.
    const later = await pushImage(
      fakeDocker([
        { status: 'Retrying in 5 seconds', id: 'l1', progressDetail: {} },
        { status: 'Pushing', id: 'l1', progressDetail: { current: 100, total: 100 } },
        { status: 'Pushed', id: 'l1' },
        { errorDetail: { message: 'toomanyrequests: slow down' } },
      ]),
      'r/x',
      't',
      undefined,
    ).catch((err: unknown) => err);
    expect(later).toMatchObject({ transient: true, engineRetried: false });
  });

  it('clamps bytes that run past the layer size', async () => {
    const seen: [number, number][] = [];
    await pushImage(
      fakeDocker([{ status: 'Pushing', id: 'l1', progressDetail: { current: 512, total: 17 } }, { aux: { Digest: 'sha256:dd' } }]),
      'r/x',
      't',
      undefined,
      { bytes: (c, t) => seen.push([c, t]) },
    );
    expect(seen).toEqual([[17, 17]]);
  });

  it('aborts a push the engine says nothing about for the idle limit, as a transient failure', async () => {
    let closed = false;
    const silent = {
      modem: {
        dial(o: Record<string, unknown>, cb: (e: unknown, s?: unknown) => void) {
          const s = new PassThrough();
          (o.abortSignal as AbortSignal).addEventListener('abort', () => {
            closed = true;
            s.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
          });
          cb(null, s);
          s.write(JSON.stringify({ status: 'Preparing', id: 'l1' }) + '\n');
        },
      },
    } as unknown as Dockerode;
    const t0 = Date.now();
    const e = await pushImage(silent, 'r/x', 't', undefined, {}, undefined, 150).catch((err: unknown) => err);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(closed).toBe(true);
    expect(e).toBeInstanceOf(PushFailure);
    expect(e).toMatchObject({ transient: true, message: expect.stringContaining('no progress from the engine for 0 s') });
  });
});

describe('a lost engine', () => {
  it('names what was going on and what to do', () => {
    const ep = resolveEngine({ DOCKER_HOST: 'unix:///run/x.sock' });
    const d = engineLost(ep, Object.assign(new Error('aborted'), { code: 'ECONNRESET' }), 'building web (r/web:c2k-1)').diagnostics[0]!;
    expect(d.code).toBe('build.engine-lost');
    expect(d.message).toBe(
      'lost the Docker engine at unix:///run/x.sock (from DOCKER_HOST) while building web (r/web:c2k-1): aborted (ECONNRESET); did the daemon stop or restart? Run the command again when it is back: finished images are not built or pushed again',
    );
    // Never reachable (permissions): the plain unreachable message.
    expect(engineLost(ep, Object.assign(new Error('x'), { code: 'EACCES' }), 'building').diagnostics[0]!.code).toBe('build.engine-unreachable');
  });
});

describe('time limits from the environment', () => {
  it.each(['x', '0', '-1', '1s'])('COMPOSE2K8S_REGISTRY_TIMEOUT=%j is refused before anything runs', async (v) => {
    const project = { name: 'p', services: { web: { build: { context: home } } } };
    const e = await buildAndPush(project as never, { env: { COMPOSE2K8S_REGISTRY_TIMEOUT: v, DOCKER_HOST: 'unix:///nonexistent.sock' }, progress: 'quiet' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).diagnostics[0]).toMatchObject({
      code: 'build.invalid-timeout',
      message: `COMPOSE2K8S_REGISTRY_TIMEOUT="${v}": expected a number of seconds greater than 0`,
    });
  });
});
