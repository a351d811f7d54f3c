// Engine API calls of the build stage: POST /build (classic `version=1` or BuildKit `version=2`, without a
// gRPC session), POST /images/{name}/push, image inspect/tag. Both streams are newline-delimited JSON;
// BuildKit progress arrives as base64 protobuf StatusResponse messages, decoded with the .proto that
// dockerode ships.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { AuthConfig } from './auth.js';
import { registryAuthHeader } from './auth.js';

export interface BuildEvents {
  step?(n: number, of: number, text: string): void;
  output?(line: string): void;
}

export class BuildFailure extends Error {
  constructor(
    message: string,
    /** The failing step, e.g. `step 3/4: RUN make` (when known). */
    readonly step: string | undefined,
    readonly lastLines: string[],
  ) {
    super(message);
  }
}

export class StreamError extends Error {}

type Modem = {
  dial(o: Record<string, unknown>, cb: (err: (Error & { statusCode?: number; json?: unknown }) | null, data?: unknown) => void): void;
};

function dial(docker: Dockerode, o: Record<string, unknown>): Promise<Readable> {
  const modem = docker.modem as unknown as Modem;
  return new Promise((resolve, reject) => {
    modem.dial(o, (err, data) => (err ? reject(err) : resolve(data as Readable)));
  });
}

/** Calls onMessage for each JSON message of a stream; resolves at its end. */
export function readJsonStream(stream: Readable, onMessage: (m: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const handle = (line: string) => {
      const t = line.trim();
      if (!t) return;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(t) as Record<string, unknown>;
      } catch {
        m = { stream: t };
      }
      onMessage(m);
    };
    stream.setEncoding?.('utf8');
    stream.on('data', (chunk: string | Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          handle(line);
        } catch (e) {
          stream.destroy();
          reject(e);
          return;
        }
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      try {
        handle(buf);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

interface StatusResponse {
  vertexes: { digest: string; name: string; cached: boolean; started?: unknown; completed?: unknown; error: string }[];
  logs: { vertex: string; msg: Uint8Array }[];
}

let decodeStatus: ((b64: string) => StatusResponse) | undefined;

function buildkitDecoder(): (b64: string) => StatusResponse {
  if (decodeStatus) return decodeStatus;
  const req = createRequire(import.meta.url);
  const main = req.resolve('dockerode');
  const dreq = createRequire(main);
  const protobuf = dreq('protobufjs') as {
    loadSync(p: string): { lookupType(n: string): { decode(b: Buffer): unknown; toObject(m: unknown, o: object): unknown } };
  };
  const type = protobuf.loadSync(join(dirname(main), 'proto', 'buildkit_status.proto')).lookupType('moby.buildkit.v1.StatusResponse');
  decodeStatus = (b64) => type.toObject(type.decode(Buffer.from(b64, 'base64')), { defaults: true }) as StatusResponse;
  return decodeStatus;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;
const stripAnsi = (s: string) => s.replace(ANSI, '');

const STEP_CLASSIC = /^Step (\d+)\/(\d+) : (.*)$/;
const STEP_BUILDKIT = /^\[(?:[^\]\s]+ )?(\d+)\/(\d+)\] (.*)$/;
const KEEP_LINES = 15;

export interface BuildParams {
  /** The context as a tar; absent when the engine fetches it (`remote` in the query). */
  tar?: Readable;
  /** Query parameters of POST /build. */
  query: Record<string, unknown>;
  /** X-Registry-Config: credentials for pulling base images (classic builder). */
  registryConfig?: Record<string, AuthConfig>;
  signal?: AbortSignal;
}

/** Runs one build; resolves with the image ID, or throws BuildFailure with the failing step and last output. */
export async function runBuild(docker: Dockerode, p: BuildParams, ev: BuildEvents = {}): Promise<string> {
  const lines: string[] = [];
  const remember = (line: string) => {
    lines.push(line);
    if (lines.length > KEEP_LINES * 4) lines.splice(0, lines.length - KEEP_LINES);
    ev.output?.(line);
  };
  let currentStep: string | undefined;
  let imageId: string | undefined;
  let failure: string | undefined;
  const vertexNames = new Map<string, string>();
  const vertexSteps = new Map<string, string>();
  const reported = new Set<string>();
  const buildkit = p.query.version === '2';

  const stream = await dial(docker, {
    path: '/build?',
    method: 'POST',
    file: p.tar,
    // Without a file, docker-modem would send the options as a JSON body too: query only, empty body.
    options: p.tar ? p.query : { _query: p.query, _body: {} },
    isStream: true,
    abortSignal: p.signal,
    registryconfig: p.registryConfig && Object.keys(p.registryConfig).length > 0 ? p.registryConfig : undefined,
    statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
  });
  await readJsonStream(stream, (m) => {
    if (typeof m.stream === 'string') {
      for (const raw of m.stream.split('\n')) {
        const line = stripAnsi(raw).trimEnd();
        if (!line) continue;
        const s = STEP_CLASSIC.exec(line);
        if (s) {
          currentStep = `step ${s[1]}/${s[2]}: ${s[3]}`;
          ev.step?.(Number(s[1]), Number(s[2]), s[3]!);
        }
        remember(line);
      }
    }
    if (m.errorDetail || m.error) {
      const d = m.errorDetail as { message?: string } | undefined;
      failure = d?.message ?? String(m.error);
    }
    if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') {
      const st = buildkitDecoder()(m.aux);
      for (const v of st.vertexes) {
        vertexNames.set(v.digest, v.name);
        const s = STEP_BUILDKIT.exec(v.name);
        if (s) {
          const label = `step ${s[1]}/${s[2]}: ${s[3]}`;
          vertexSteps.set(v.digest, label);
          // Report each step once, when it starts (cached steps arrive started and completed at once).
          if ((v.started || v.cached) && !reported.has(v.digest)) {
            reported.add(v.digest);
            currentStep = label;
            ev.step?.(Number(s[1]), Number(s[2]), v.cached ? `${s[3]} (cached)` : s[3]!);
          }
        }
        if (v.error) {
          if (vertexSteps.has(v.digest)) currentStep = vertexSteps.get(v.digest);
          else currentStep ??= v.name;
          remember(`ERROR ${v.name}: ${v.error}`);
        }
      }
      for (const l of st.logs) {
        const text = Buffer.from(l.msg).toString('utf8');
        for (const raw of text.split('\n')) {
          const line = stripAnsi(raw).trimEnd();
          if (line) remember(line);
        }
      }
    }
    if (m.aux && typeof m.aux === 'object') {
      const id = (m.aux as { ID?: string }).ID;
      if (id && (!buildkit || m.id === 'moby.image.id')) imageId = id;
    }
  });
  if (failure !== undefined) throw new BuildFailure(failure, currentStep, lines.slice(-KEEP_LINES));
  if (!imageId) throw new BuildFailure('the engine ended the build without reporting an image ID', currentStep, lines.slice(-KEEP_LINES));
  return imageId;
}

export interface PushEvents {
  bytes?(current: number, total: number): void;
  /** Something worth telling the user while the push goes on (the engine retrying a layer upload). */
  note?(text: string): void;
}

export class PushFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    /** The engine already retried a layer upload during this push (for up to ~50 s) before it failed. */
    readonly engineRetried = false,
  ) {
    super(message);
  }
}

/**
 * Push errors worth another attempt: the registry (or the way to it) failing for a while. The engine retries
 * layer uploads itself (5 attempts, 5, 10, 15 and 20 s apart: ~50 s) but not its /v2/ check, the manifest
 * upload, nor a 429; those end the push at once, and a new push resumes from the layers already there.
 * Anything about names, access or content (`unauthorized`, `denied`, `name unknown`, `manifest invalid`, no
 * such image) is permanent.
 */
const TRANSIENT_PUSH =
  /connection refused|connection reset|reset by peer|broken pipe|i\/o timeout|timeout|timed out|deadline exceeded|temporar|\bEOF\b|no route to host|dial tcp|TLS handshake|\b50[0234]\b|\b429\b|too ?many ?requests|unavailable|bad gateway|internal server error|blob upload unknown|no progress/i;
const PERMANENT_PUSH = /unauthorized|denied|authentication required|name unknown|manifest invalid|no such image|does not exist|invalid reference|repository name must/i;

export function isTransientPushError(message: string): boolean {
  return TRANSIENT_PUSH.test(message) && !PERMANENT_PUSH.test(message);
}

/** How long a push may go without a word from the engine before it is given up (and retried). */
export const DEFAULT_PUSH_IDLE_MS = 120_000;

/**
 * Pushes name:tag; resolves with the manifest digest from the stream's `aux.Digest`. A push from which the engine
 * reports nothing for `idleMs` (a registry that accepted the connection and stalls; the engine has no time limit
 * of its own) is aborted - closing the connection makes the engine cancel it - and fails as transient.
 */
export async function pushImage(
  docker: Dockerode,
  name: string,
  tag: string,
  auth: AuthConfig | undefined,
  ev: PushEvents = {},
  signal?: AbortSignal,
  idleMs = DEFAULT_PUSH_IDLE_MS,
): Promise<string> {
  const idle = new AbortController();
  const both = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), idleMs);
  };
  const stalled = () => new PushFailure(`no progress from the engine for ${Math.round(idleMs / 1000)} s (the registry stopped answering?); the push was aborted`, true);
  arm();
  try {
    let stream: Readable;
    try {
      stream = await dial(docker, {
        path: `/images/${name}/push?`,
        method: 'POST',
        options: { tag },
        authconfig: { base64: registryAuthHeader(auth) },
        isStream: true,
        abortSignal: both,
        statusCodes: { 200: true, 404: 'no such image', 500: 'server error' },
      });
    } catch (e) {
      if (idle.signal.aborted && !signal?.aborted) throw stalled();
      if (isEngineConnectionError(e)) throw e;
      const msg = (e as Error).message;
      throw new PushFailure(msg, isTransientPushError(msg));
    }
    let digest: string | undefined;
    let failure: string | undefined;
    const layers = new Map<string, { current: number; total: number }>();
    const retrying = new Map<string, number>();
    try {
      await readJsonStream(stream, (m) => {
        arm();
        if (m.errorDetail || m.error) failure = (m.errorDetail as { message?: string } | undefined)?.message ?? String(m.error);
        const aux = m.aux as { Digest?: string } | undefined;
        if (aux?.Digest) digest = aux.Digest;
        const status = typeof m.status === 'string' ? m.status : '';
        const retry = /^Retrying in (\d+) seconds?/.exec(status);
        if (retry && typeof m.id === 'string') {
          // The engine counts down each retry second by second: tell the user once per retry.
          const n = Number(retry[1]);
          const last = retrying.get(m.id);
          if (last === undefined || n > last) ev.note?.(`the engine failed to upload layer ${m.id} and retries it in ${n} s`);
          retrying.set(m.id, n);
          return;
        }
        // The layer is going again (or went up): its retries worked.
        if (typeof m.id === 'string' && status && !status.startsWith('Retrying')) retrying.delete(m.id);
        const pd = m.progressDetail as { current?: number; total?: number } | undefined;
        if (typeof m.id === 'string' && pd && typeof pd.total === 'number' && pd.total > 0) {
          // current can run past total (the engine counts what it sent against the size it expected): clamp.
          layers.set(m.id, { current: Math.min(pd.current ?? 0, pd.total), total: pd.total });
          let c = 0;
          let t = 0;
          for (const l of layers.values()) {
            c += l.current;
            t += l.total;
          }
          ev.bytes?.(c, t);
        } else if (typeof m.id === 'string' && (status === 'Pushed' || status === 'Layer already exists')) {
          const l = layers.get(m.id);
          if (l) l.current = l.total;
        }
      });
    } catch (e) {
      if (idle.signal.aborted && !signal?.aborted) throw stalled();
      throw e;
    }
    // A layer still waiting for its next retry when the push failed: the engine gave up on it after its own retries.
    if (failure !== undefined) throw new PushFailure(failure, isTransientPushError(failure), retrying.size > 0);
    if (!digest) throw new PushFailure('the engine ended the push without reporting a digest', false);
    return digest;
  } finally {
    clearTimeout(timer);
  }
}

const ENGINE_CONNECTION = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EACCES']);

function isEngineConnectionError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ENGINE_CONNECTION.has(code);
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  /** `repo@sha256:...` of the registries it was pushed to or pulled from. */
  repoDigests: string[];
  labels: Record<string, string>;
  created: number;
}

/** Inspects an image by name; undefined when it does not exist. */
export async function inspectImage(docker: Dockerode, name: string): Promise<{ id: string; repoTags: string[]; labels: Record<string, string> } | undefined> {
  try {
    const info = (await docker.getImage(name).inspect()) as { Id: string; RepoTags?: string[] | null; Config?: { Labels?: Record<string, string> | null } };
    return { id: info.Id, repoTags: info.RepoTags ?? [], labels: info.Config?.Labels ?? {} };
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return undefined;
    throw e;
  }
}

/** Adds `ref` (repo:tag) as a tag of image `id`. */
export async function tagImage(docker: Dockerode, id: string, ref: string): Promise<void> {
  const colon = ref.lastIndexOf(':');
  const slash = ref.lastIndexOf('/');
  const [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
  await docker.getImage(id).tag({ repo, tag });
}

export async function listProjectImages(docker: Dockerode, label: string, project: string): Promise<ImageSummary[]> {
  const list = (await docker.listImages({ filters: JSON.stringify({ label: [`${label}=${project}`] }) } as never)) as unknown as {
    Id: string;
    RepoTags?: string[] | null;
    RepoDigests?: string[] | null;
    Labels?: Record<string, string> | null;
    Created: number;
  }[];
  return list.map((i) => ({
    id: i.Id,
    repoTags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
    repoDigests: (i.RepoDigests ?? []).filter((t) => !t.startsWith('<none>@')),
    labels: i.Labels ?? {},
    created: i.Created,
  }));
}
