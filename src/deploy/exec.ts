// Running a command in a container through the API server's exec subresource (what `kubectl exec` does): a
// WebSocket speaking the channel protocol, stdin sent on channel 0, stdout/stderr back on 1/2, and the outcome as a
// Status on channel 3. With v5.channel.k8s.io (Kubernetes 1.30+) the end of stdin is signalled by a close frame, so
// `tar -x` sees EOF; older servers only get the data (tar stops at its end-of-archive marker anyway).
// client-node's WebSocketHandler is used for the connection (TLS material and authentication from our kubeconfig);
// it and `ws` are loaded on the first exec.
import type { Readable } from 'node:stream';
import type { KubeConfigLite } from './kubeconfig.js';

export interface ExecRequest {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  /** Sent on stdin, then closed; without it the command gets no stdin. */
  stdin?: Buffer | Readable;
  /** The exec is abandoned (the connection closed) after this long; default 60 s. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** The command's exit code; -1 when it could not be started (see `startError`). */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Why the runtime could not start the command, e.g. `executable file not found in $PATH`. */
  startError?: string;
}

export type ExecFn = (req: ExecRequest) => Promise<ExecResult>;

/** A command that could not be run at all: the pod or container is gone, not running, or exec is not allowed. */
export class ExecError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ExecError';
  }
}

interface StatusLike {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/** The outcome an exec Status describes: an exit code, or why the command did not start. */
export function execOutcome(status: StatusLike | undefined): { exitCode: number; startError?: string } {
  if (!status || status.status === 'Success') return { exitCode: 0 };
  const code = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
  if (status.reason === 'NonZeroExitCode' && code !== undefined && /^\d+$/.test(code)) return { exitCode: Number(code) };
  return { exitCode: -1, startError: status.message ?? status.reason ?? 'the command could not be started' };
}

/** The runtime's way of saying the executable is not in the image. */
export function isNotFound(startError: string | undefined): boolean {
  return startError !== undefined && /executable file not found|no such file or directory|not found in \$PATH/i.test(startError);
}

/** What is used of a `ws` WebSocket (the package has no types here). */
interface Socket {
  readonly protocol: string;
  send(data: Buffer, cb?: (e?: Error) => void): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', f: () => void): void;
  on(event: 'error', f: (e: Error) => void): void;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const MAX_OUTPUT = 1 << 20;

/** Exec through client-node's WebSocketHandler with our kubeconfig. */
export function clientNodeExec(kc: KubeConfigLite): ExecFn {
  let handler: Promise<InstanceType<typeof import('@kubernetes/client-node/dist/web-socket-handler.js').WebSocketHandler>> | undefined;
  return async (req) => {
    handler ??= import('@kubernetes/client-node/dist/web-socket-handler.js').then(
      ({ WebSocketHandler }) => new WebSocketHandler(kc as unknown as ConstructorParameters<typeof WebSocketHandler>[0]),
    );
    const h = await handler;
    const params = new URLSearchParams({ stdout: 'true', stderr: 'true', stdin: req.stdin ? 'true' : 'false', tty: 'false', container: req.container });
    for (const c of req.command) params.append('command', c);
    const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/pods/${encodeURIComponent(req.pod)}/exec?${params}`;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let status: StatusLike | undefined;
    let ws: Socket;
    const timeoutMs = req.timeoutMs ?? 60_000;
    try {
      const connecting = h.connect(path, null, (stream: number, data: Buffer) => {
        if (stream === STDOUT || stream === STDERR) {
          if (size < MAX_OUTPUT) (stream === STDOUT ? out : err).push(Buffer.from(data));
          size += data.length;
        } else if (stream === STATUS) {
          try {
            status = JSON.parse(data.toString('utf8')) as StatusLike;
          } catch {
            status = { status: 'Failure', message: data.toString('utf8') };
          }
        }
        return true;
      }) as unknown as Promise<Socket>;
      // An upgrade the server never answers would wait forever: it gets the exec's time limit too (a socket that
      // opens after that is closed).
      let timer: NodeJS.Timeout | undefined;
      let gaveUp = false;
      connecting.then(
        (late) => gaveUp && late.close(),
        () => {},
      );
      const tooLate = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          gaveUp = true;
          reject(new Error(`no answer to the exec request within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
      });
      try {
        ws = await Promise.race([connecting, tooLate]);
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      throw connectError(e, req);
    }
    return new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.close();
        reject(new ExecError(`${req.command[0]} in ${req.pod}/${req.container} did not finish within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      ws.on('close', () => {
        clearTimeout(timer);
        const { exitCode, startError } = execOutcome(status);
        resolve({ exitCode, startError, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      ws.on('error', (e: Error) => {
        clearTimeout(timer);
        reject(new ExecError(`exec in ${req.pod}/${req.container}: ${e.message}`));
      });
      if (req.stdin) void sendStdin(ws, req.stdin).catch((e: Error) => ws.close(1011, e.message.slice(0, 100)));
    });
  };
}

/** Sends stdin on channel 0 with backpressure, then closes it (v5) so the command sees EOF. */
async function sendStdin(ws: Socket, stdin: Buffer | Readable): Promise<void> {
  const send = (data: Buffer) =>
    new Promise<void>((resolve, reject) => ws.send(Buffer.concat([Buffer.from([STDIN]), data]), (e?: Error) => (e ? reject(e) : resolve())));
  if (Buffer.isBuffer(stdin)) {
    for (let i = 0; i < stdin.length; i += 64 * 1024) await send(stdin.subarray(i, i + 64 * 1024));
  } else {
    for await (const chunk of stdin) await send(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  }
  if (ws.protocol === 'v5.channel.k8s.io') await new Promise<void>((resolve) => ws.send(Buffer.from([CLOSE, STDIN]), () => resolve()));
}

/** The upgrade refused (`Unexpected server response: 404`): the pod or container is gone, or exec is forbidden. */
function connectError(e: unknown, req: ExecRequest): ExecError {
  const message = e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
  const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
  const why =
    status === '404' ? 'the pod is gone'
    : status === '403' ? 'exec into pods is not allowed for this user (pods/exec)'
    : status === '400' ? 'the container is not running'
    : message;
  return new ExecError(`cannot exec in ${req.pod}/${req.container}: ${why}`, status ? Number(status) : undefined);
}
