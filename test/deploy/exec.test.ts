// The pods/exec client against a local WebSocket server speaking the channel protocol as the API server does:
// v5.channel.k8s.io negotiated, stdin on channel 0 ended by a close frame [255, 0] (so `tar -x` sees EOF), the
// outcome as a Status on channel 3 (exit codes, a command that is not in the image), a refused upgrade (pod gone),
// and the kubeconfig's credentials on the upgrade request.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { clientNodeExec, ExecError, execOutcome, isNotFound, type ExecFn } from '../../src/deploy/exec.js';
import { loadKubeconfig } from '../../src/deploy/kubeconfig.js';
import { catchesSigterm, runningContainers } from '../../src/deploy/pods.js';

let server: http.Server;
let exec: ExecFn;
let dir: string;
const seen: { url: string; auth?: string; protocol: string; stdinClosed: boolean; stdin: number }[] = [];

beforeAll(async () => {
  server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('v5.channel.k8s.io') ? 'v5.channel.k8s.io' : false) });
  server.on('upgrade', (req, socket, head) => {
    if (req.url!.includes('/pods/gone/')) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // An API server that never answers the upgrade.
    if (req.url!.includes('/pods/silent/')) {
      setTimeout(() => socket.destroy(), 5000);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const url = new URL(req.url!, 'http://x');
      const command = url.searchParams.getAll('command');
      const record = { url: req.url!, auth: req.headers.authorization, protocol: ws.protocol, stdinClosed: false, stdin: 0 };
      seen.push(record);
      const send = (channel: number, data: string) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
      const finish = () => {
        if (command[0] === 'missing') {
          send(3, JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'failed to exec in container: exec: "missing": executable file not found in $PATH: unknown' }));
        } else if (command[0] === 'fail') {
          send(2, 'it failed\n');
          send(3, JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code', details: { causes: [{ reason: 'ExitCode', message: '3' }] } }));
        } else {
          send(1, `read ${record.stdin} bytes`);
          send(3, JSON.stringify({ status: 'Success' }));
        }
        ws.close();
      };
      if (url.searchParams.get('stdin') !== 'true') return finish();
      ws.on('message', (data: Buffer) => {
        if (data[0] === 0) record.stdin += data.length - 1;
        if (data[0] === 255 && data[1] === 0) {
          record.stdinClosed = true;
          finish();
        }
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'c2k-exec-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'secret-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    }),
  );
  exec = clientNodeExec((await loadKubeconfig({ kubeconfig })).kc);
});

afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exec client', () => {
  it('sends stdin (a 1 MiB stream), closes it with the v5 close frame, and reads stdout and the exit code', async () => {
    const data = Buffer.alloc(1 << 20, 7);
    const r = await exec({ namespace: 'ns', pod: 'web-1', container: 'web', command: ['tar', '-x', '-f', '-'], stdin: Readable.from([data.subarray(0, 1000), data.subarray(1000)]) });
    expect(r).toEqual({ exitCode: 0, stdout: `read ${1 << 20} bytes`, stderr: '', startError: undefined });
    const last = seen.at(-1)!;
    expect(last.protocol).toBe('v5.channel.k8s.io');
    expect(last.stdinClosed).toBe(true);
    expect(last.auth).toBe('Bearer secret-token');
    expect(last.url).toBe('/api/v1/namespaces/ns/pods/web-1/exec?stdout=true&stderr=true&stdin=true&tty=false&container=web&command=tar&command=-x&command=-f&command=-');
  });

  it('a non-zero exit code with stderr', async () => {
    const r = await exec({ namespace: 'ns', pod: 'web-1', container: 'web', command: ['fail'] });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toBe('it failed\n');
  });

  it('a command that is not in the image is a start error', async () => {
    const r = await exec({ namespace: 'ns', pod: 'web-1', container: 'web', command: ['missing'] });
    expect(r.exitCode).toBe(-1);
    expect(isNotFound(r.startError)).toBe(true);
  });

  it('a refused upgrade names the pod and why', async () => {
    const e = await exec({ namespace: 'ns', pod: 'gone', container: 'web', command: ['true'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecError);
    expect((e as Error).message).toBe('cannot exec in gone/web: the pod is gone');
  });
});

describe('exec time limit', () => {
  it('an upgrade nobody answers ends at the time limit', async () => {
    const started = Date.now();
    const e = await exec({ namespace: 'ns', pod: 'silent', container: 'web', command: ['true'], timeoutMs: 1000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecError);
    expect((e as Error).message).toBe('cannot exec in silent/web: no answer to the exec request within 1 s');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('exec and pod helpers', () => {
  it('execOutcome reads the Status', () => {
    expect(execOutcome(undefined)).toEqual({ exitCode: 0 });
    expect(execOutcome({ status: 'Success' })).toEqual({ exitCode: 0 });
    expect(execOutcome({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '137' }] } })).toEqual({ exitCode: 137 });
    expect(execOutcome({ status: 'Failure', reason: 'InternalError', message: 'no such container' })).toEqual({ exitCode: -1, startError: 'no such container' });
  });

  it('catchesSigterm reads SigCgt of /proc/1/status (bit 14 is SIGTERM)', () => {
    expect(catchesSigterm('Name:\tnode\nSigCgt:\t0000000180004a02\n')).toBe(true);
    expect(catchesSigterm('SigIgn:\t0000000000004000\nSigCgt:\t0000000000000000\n')).toBe(false);
    expect(catchesSigterm('SigCgt:\t0000000000000002\n')).toBe(false);
    expect(catchesSigterm('nothing')).toBe(false);
  });

  it('runningContainers: running pods not being deleted, the named container running', () => {
    const pod = (name: string, phase: string, running: boolean, deleting = false) => ({
      metadata: { name, uid: `u-${name}`, ...(deleting ? { deletionTimestamp: 'x' } : {}) },
      status: { phase, containerStatuses: [{ name: 'web', containerID: `c-${name}`, restartCount: 2, ready: true, image: '', imageID: '', state: running ? { running: {} } : { waiting: { reason: 'ContainerCreating' } } }] },
    });
    expect(runningContainers([pod('b', 'Running', true), pod('a', 'Running', true), pod('c', 'Pending', false), pod('d', 'Running', false), pod('e', 'Running', true, true)], 'web')).toEqual([
      { pod: 'a', uid: 'u-a', container: 'web', containerID: 'c-a', restartCount: 2 },
      { pod: 'b', uid: 'u-b', container: 'web', containerID: 'c-b', restartCount: 2 },
    ]);
    expect(runningContainers([pod('a', 'Running', true)], 'other')).toEqual([]);
  });
});
