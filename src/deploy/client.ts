// A small API client: one keep-alive connection pool per run (client-node 1.x makes a new agent, hence a new TLS
// connection, per request), JSON in and out, retries of transient failures, and the server-side apply PATCH.
// Authentication and TLS material come from client-node's KubeConfig (exec plugins, tokens, client certificates).
import http from 'node:http';
import https from 'node:https';
import { VERSION } from '../version.js';
import { ApiError, errorFromNetwork, errorFromResponse, maybeDelivered } from './errors.js';
import { loadKubeconfig, type KubeConfigLite, type KubeconfigOptions, type LoadedKubeconfig } from './kubeconfig.js';
import { Discovery } from './discovery.js';
import { clientNodeExec, type ExecFn } from './exec.js';
import { API_RETRY, withRetry, type RetryPolicy } from '../model/async.js';
import { isRetryable } from './errors.js';
import type { KubeObject, Logger } from './types.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Query;
  body?: string;
  contentType?: string;
  accept?: string;
}

export interface KubeResponse {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP round trip; throws ApiError(0, code) when no response arrives. Tests substitute a fake. */
export interface Transport {
  readonly server: string;
  request(req: KubeRequest): Promise<KubeResponse>;
  close(): void;
}

export function buildPath(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export interface HttpTransportOptions {
  /** Concurrent connections to the server (HTTP/1.1 keep-alive). */
  maxSockets?: number;
  /** Per-request inactivity timeout. */
  timeoutMs?: number;
  /** How long authentication headers (tokens from exec plugins or files) are reused before asking KubeConfig again. */
  authTtlMs?: number;
}

/** An agent for the cluster: TLS material from the kubeconfig, through its proxy (client-node's proxy agents) if any. */
export async function makeAgent(server: string, proxyUrl: string | undefined, tls: https.RequestOptions, pool: http.AgentOptions): Promise<http.Agent> {
  const tlsOptions = {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    pfx: tls.pfx,
    passphrase: tls.passphrase,
    rejectUnauthorized: tls.rejectUnauthorized,
    servername: tls.servername,
  };
  if (proxyUrl) {
    if (proxyUrl.startsWith('socks')) {
      const { SocksProxyAgent } = await import('socks-proxy-agent');
      return new SocksProxyAgent(proxyUrl, { ...tlsOptions, ...pool }) as unknown as http.Agent;
    }
    const { HttpProxyAgent, HttpsProxyAgent } = await import('hpagent');
    const Agent = server.startsWith('https') ? HttpsProxyAgent : HttpProxyAgent;
    return new Agent({ ...tlsOptions, ...pool, proxy: proxyUrl }) as unknown as http.Agent;
  }
  if (server.startsWith('http:')) return new http.Agent(pool);
  return new https.Agent({ ...tlsOptions, ...pool });
}

/** HTTP(S) with one keep-alive agent; auth headers from the KubeConfig, refreshed periodically and on 401. */
export class HttpTransport implements Transport {
  readonly server: string;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private headers: Record<string, string> = {};
  private headersAt = 0;
  private readonly timeoutMs: number;
  private readonly authTtlMs: number;

  private constructor(
    private readonly kc: KubeConfigLite,
    server: string,
    agent: http.Agent,
    opts: HttpTransportOptions,
  ) {
    this.server = server.replace(/\/+$/, '');
    this.url = new URL(this.server);
    this.lib = this.url.protocol === 'http:' ? http : https;
    this.agent = agent;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.authTtlMs = opts.authTtlMs ?? 60_000;
  }

  static async create(kc: KubeConfigLite, opts: HttpTransportOptions = {}): Promise<HttpTransport> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster');
    const base: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(base);
    const agent = await makeAgent(cluster.server, cluster.proxyUrl, base, { keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
    const t = new HttpTransport(kc, cluster.server, agent, opts);
    t.setHeaders(base);
    return t;
  }

  private setHeaders(opts: https.RequestOptions): void {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
    if (opts.auth) h.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    this.headers = h;
    this.headersAt = Date.now();
  }

  private async refreshHeaders(force = false): Promise<void> {
    if (!force && Date.now() - this.headersAt < this.authTtlMs) return;
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    this.setHeaders(opts);
  }

  async request(req: KubeRequest): Promise<KubeResponse> {
    await this.refreshHeaders();
    let res = await this.once(req);
    if (res.status === 401) {
      // An expired token: ask the exec plugin or token file again, once.
      await this.refreshHeaders(true);
      res = await this.once(req);
    }
    return res;
  }

  private once(req: KubeRequest): Promise<KubeResponse> {
    const path = (this.url.pathname === '/' ? '' : this.url.pathname.replace(/\/+$/, '')) + buildPath(req.path, req.query);
    const headers: Record<string, string | number> = {
      ...this.headers,
      Accept: req.accept ?? 'application/json',
      'User-Agent': `compose2k8s/${VERSION}`,
    };
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(req.body);
    }
    return new Promise<KubeResponse>((resolve, reject) => {
      const r = this.lib.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port || undefined,
          method: req.method,
          path,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(errorFromNetwork(e, this.server)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if (text && /json/.test(String(res.headers['content-type'] ?? ''))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
          });
        },
      );
      r.setTimeout(this.timeoutMs, () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', (e) => reject(errorFromNetwork(e, this.server)));
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface ClientOptions {
  retry?: RetryPolicy;
  log?: Logger;
}

export interface ApplyPatchOptions {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  /** `Strict` rejects unknown or duplicate fields with the server's message. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** JSON requests with retries; every non-2xx answer becomes an ApiError. */
export class KubeClient {
  readonly retry: RetryPolicy;
  private readonly log?: Logger;
  constructor(
    readonly transport: Transport,
    opts: ClientOptions = {},
  ) {
    this.retry = opts.retry ?? API_RETRY;
    this.log = opts.log;
  }

  get server(): string {
    return this.transport.server;
  }

  /** One request with retries of transient failures; `what` names the object in retry messages. */
  async request<T = unknown>(req: KubeRequest, what?: string): Promise<T> {
    return (await this.requestFull(req, what)).body as T;
  }

  /** Like request, with the HTTP status (server-side apply answers 201 when it created the object). */
  async requestFull(req: KubeRequest, what?: string): Promise<KubeResponse> {
    let delivered = false;
    try {
      return await withRetry(
        async () => {
          const res = await this.transport.request(req);
          if (res.status >= 200 && res.status < 300) return res;
          throw errorFromResponse(res.status, res.body, res.headers?.['retry-after']);
        },
        {
          ...this.retry,
          isTransient: isRetryable,
          delayFor: (e) => ((e as ApiError).retryAfter !== undefined ? (e as ApiError).retryAfter! * 1000 : undefined),
          onRetry: (e, attempt, delay) => {
            const err = e as ApiError;
            delivered ||= maybeDelivered(err);
            this.log?.(
              `retrying ${req.method} ${what ?? req.path} after ${err.status ? `HTTP ${err.status}` : err.reason} (attempt ${attempt + 1}/${this.retry.attempts} in ${delay} ms)`,
            );
          },
        },
      );
    } catch (e) {
      // An earlier attempt may have reached the server although the last one was refused (or answered 404/409,
      // possibly because of that earlier attempt): say so.
      if (e instanceof ApiError && req.method !== 'GET' && (delivered || maybeDelivered(e))) e.maybeApplied = true;
      throw e;
    }
  }

  get<T = KubeObject>(path: string, query?: Query): Promise<T> {
    return this.request<T>({ method: 'GET', path, query });
  }

  /** GET that maps 404 to undefined. */
  async getOptional<T = KubeObject>(path: string, query?: Query): Promise<T | undefined> {
    try {
      return await this.get<T>(path, query);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Server-side apply: PATCH with application/apply-patch+yaml (JSON is valid YAML) and a field manager. */
  async applyPatch(path: string, object: unknown, opts: ApplyPatchOptions, what?: string): Promise<{ created: boolean; object: KubeObject; date?: string }> {
    const res = await this.requestFull(
      {
        method: 'PATCH',
        path,
        query: {
          fieldManager: opts.fieldManager,
          force: opts.force ? 'true' : undefined,
          dryRun: opts.dryRun ? 'All' : undefined,
          fieldValidation: opts.fieldValidation,
        },
        body: JSON.stringify(object),
        contentType: 'application/apply-patch+yaml',
      },
      what,
    );
    const date = res.headers?.date;
    return { created: res.status === 201, object: res.body as KubeObject, date: typeof date === 'string' ? date : undefined };
  }

  /** DELETE; a 404 (already gone, possibly by an earlier attempt) counts as success and returns false. */
  async delete(path: string, opts: { propagationPolicy?: string; dryRun?: boolean; preconditionUid?: string } = {}, what?: string): Promise<boolean> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditionUid) body.preconditions = { uid: opts.preconditionUid };
    if (opts.dryRun) body.dryRun = ['All'];
    try {
      await this.request({ method: 'DELETE', path, body: JSON.stringify(body) }, what);
      return true;
    } catch (e) {
      // Already gone; when an earlier attempt of ours broke after sending, that attempt deleted it.
      if (e instanceof ApiError && e.status === 404) return e.maybeApplied;
      throw e;
    }
  }
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR' | string;
  object: KubeObject & Record<string, unknown>;
}

/** Starts a watch on a collection path; `onDone` is called once when the stream ends or fails. */
export type WatchFn = (
  path: string,
  query: Query,
  onEvent: (event: WatchEvent) => void,
  onDone: (err?: unknown) => void,
) => Promise<{ abort(): void }>;

/**
 * client-node's Watch (one streaming request per watch). It only asks its config for the current cluster and for
 * fetch options, so it gets our kubeconfig and a separate keep-alive agent (watches hold their connection open and
 * must not starve the pool that applies).
 */
export function clientNodeWatch(kc: KubeConfigLite): { watch: WatchFn; close(): void } {
  // Loaded on the first watch: node-fetch and the Watch cost start-up time that apply without --wait never needs.
  let ready: Promise<{ w: InstanceType<typeof import('@kubernetes/client-node/dist/watch.js').Watch>; agent: http.Agent }> | undefined;
  let agentToClose: http.Agent | undefined;
  const init = () =>
    (ready ??= (async () => {
      const { Watch } = await import('@kubernetes/client-node/dist/watch.js');
      const cluster = kc.getCurrentCluster()!;
      const base: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(base);
      const agent = await makeAgent(cluster.server, cluster.proxyUrl, base, { keepAlive: true });
      agentToClose = agent;
      return { w: new Watch(configFor(agent) as unknown as ConstructorParameters<typeof Watch>[0]), agent };
    })());
  const configFor = (agent: http.Agent) => ({
    getCurrentCluster: () => kc.getCurrentCluster(),
    applyToFetchOptions: async () => {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      return { agent, headers: { ...(opts.headers as Record<string, string>), 'User-Agent': `compose2k8s/${VERSION}` } };
    },
  });
  const watch: WatchFn = async (path, query, onEvent, onDone) => {
    const { w } = await init();
    const controller = await w.watch(
      path,
      query,
      (type, object) => onEvent({ type, object }),
      (err) => onDone(err ?? undefined),
    );
    return { abort: () => controller.abort() };
  };
  return { watch, close: () => agentToClose?.destroy() };
}

/** A connected cluster: the client, its discovery cache, watches, and where the configuration came from. */
export interface Cluster {
  client: KubeClient;
  discovery: Discovery;
  watch: WatchFn;
  /** Runs a command in a container (pods/exec); absent for clusters without one (tests, client dry runs). */
  exec?: ExecFn;
  config?: LoadedKubeconfig;
  close(): void;
}

export interface ConnectOptions extends KubeconfigOptions, ClientOptions, HttpTransportOptions {}

export async function connect(opts: ConnectOptions = {}): Promise<Cluster> {
  const config = await loadKubeconfig(opts);
  const transport = await HttpTransport.create(config.kc, opts);
  const client = new KubeClient(transport, opts);
  const watcher = clientNodeWatch(config.kc);
  const close = () => {
    transport.close();
    watcher.close();
  };
  return { client, config, discovery: new Discovery(client), watch: watcher.watch, exec: clientNodeExec(config.kc), close };
}

/** A cluster over any transport (tests use an in-memory one). */
export function clusterFrom(transport: Transport, watch: WatchFn, opts: ClientOptions = {}, exec?: ExecFn): Cluster {
  const client = new KubeClient(transport, opts);
  return { client, discovery: new Discovery(client), watch, ...(exec ? { exec } : {}), close: () => transport.close() };
}
