// A small client for the registry HTTP API (distribution v2): does a tag exist (HEAD manifest -> digest),
// list tags, read an image's config, delete a manifest. Token auth follows the WWW-Authenticate challenge
// (Bearer realm/service/scope, or Basic). Plain HTTP is used only for loopback registries and the ones
// the user listed as insecure; everything else is HTTPS.
//
// Every request has a time limit, and is retried with backoff on transient failures: connection errors, a
// connection dropped before the whole answer arrived (bodies are read inside the retry), no answer in time,
// 5xx and 429 (waiting at least what Retry-After asks).
import { error } from '../model/diagnostics.js';
import type { AuthConfig, CredentialStore } from './auth.js';
import { DOCKER_HUB } from '../model/image-reference.js';
import { REGISTRY_RETRY as DEFAULT_RETRY, parseRetryAfter, withRetry, type RetryOptions } from '../model/async.js';

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly transient = false,
    readonly unreachable = false,
    /** What the registry asked us to wait (Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Default time limit of one registry request (connect, answer and body). */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 30_000;

/** A response whose body was read completely (inside the retry, so a connection cut mid-body is retried). */
export class RegistryResponse {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: Buffer,
  ) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  text(): string {
    return this.body.toString('utf8');
  }
  json(): unknown {
    return JSON.parse(this.text());
  }
}

export interface RegistryClientOptions {
  credentials?: CredentialStore;
  /** Hosts (host[:port]) that may be spoken to over plain HTTP besides loopback ones. */
  insecure?: string[];
  retry?: Partial<RetryOptions>;
  /** Time limit of one request, in ms (default 30 s). */
  timeoutMs?: number;
  /** Cancels requests and retries (Ctrl-C). */
  signal?: AbortSignal;
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

interface TagInfo {
  tag: string;
  digest: string;
  created?: string;
  labels: Record<string, string>;
}

export class RegistryClient {
  private readonly tokens = new Map<string, string>();
  private readonly fetchImpl: typeof fetch;

  constructor(
    /** host[:port]; `docker.io` is served by registry-1.docker.io. */
    readonly host: string,
    private readonly o: RegistryClientOptions = {},
  ) {
    this.fetchImpl = o.fetch ?? fetch;
  }

  get baseUrl(): string {
    const h = this.host === DOCKER_HUB ? 'registry-1.docker.io' : this.host;
    const insecure = isLoopback(h) || (this.o.insecure ?? []).some((i) => i.toLowerCase() === h.toLowerCase());
    return `${insecure ? 'http' : 'https'}://${h}`;
  }

  /** The manifest digest of repo:tag, or undefined if the tag does not exist. */
  async manifestDigest(repo: string, tag: string, log?: (line: string) => void): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, 'pull', { Accept: MANIFEST_TYPES.join(', ') }, log);
    if (res.status === 404) return undefined;
    this.expectOk(res, `HEAD ${repo}:${tag}`);
    const digest = res.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the header on HEAD; GET and hash.
    const get = await this.request('GET', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, 'pull', { Accept: MANIFEST_TYPES.join(', ') });
    this.expectOk(get, `GET ${repo}:${tag}`);
    const { createHash } = await import('node:crypto');
    return `sha256:${createHash('sha256').update(get.body).digest('hex')}`;
  }

  async listTags(repo: string): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list?n=1000`;
    while (path) {
      const res = await this.request('GET', path, repo, 'pull');
      if (res.status === 404) return out;
      this.expectOk(res, `list tags of ${repo}`);
      const body = res.json() as { tags?: string[] | null };
      out.push(...(body.tags ?? []));
      const link = res.headers.get('link');
      const m = link ? /<([^>]+)>;\s*rel="?next"?/.exec(link) : null;
      path = m ? m[1] : undefined;
    }
    return out;
  }

  /** Tag, manifest digest, creation time and labels (from the image config) of one tag. */
  async inspectTag(repo: string, tag: string): Promise<TagInfo | undefined> {
    const res = await this.request('GET', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, 'pull', {
      Accept: MANIFEST_TYPES.join(', '),
    });
    if (res.status === 404) return undefined;
    this.expectOk(res, `GET ${repo}:${tag}`);
    const raw = res.body;
    const { createHash } = await import('node:crypto');
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    const manifest = JSON.parse(raw.toString('utf8')) as { config?: { digest?: string }; manifests?: unknown[] };
    const info: TagInfo = { tag, digest, labels: {} };
    if (manifest.config?.digest) {
      const blob = await this.request('GET', `/v2/${repo}/blobs/${manifest.config.digest}`, repo, 'pull');
      if (blob.ok) {
        const config = blob.json() as { created?: string; config?: { Labels?: Record<string, string> | null } };
        info.created = config.created;
        info.labels = config.config?.Labels ?? {};
      }
    }
    return info;
  }

  /**
   * The image config (`config` of the OCI image config: User, Env, Labels...) of repo at a tag or digest; from a
   * multi-platform index, the linux/amd64 image's. Undefined when the reference does not exist.
   */
  async imageConfig(repo: string, ref: string, platform = { os: 'linux', architecture: 'amd64' }): Promise<{ User?: string } | undefined> {
    const get = async (r: string) => {
      const res = await this.request('GET', `/v2/${repo}/manifests/${encodeURIComponent(r)}`, repo, 'pull', { Accept: MANIFEST_TYPES.join(', ') });
      if (res.status === 404) return undefined;
      this.expectOk(res, `GET ${repo}:${r}`);
      return res.json() as { config?: { digest?: string }; manifests?: { digest: string; platform?: { os?: string; architecture?: string } }[] };
    };
    let manifest = await get(ref);
    if (manifest?.manifests) {
      const pick = manifest.manifests.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
      manifest = pick ? await get(pick.digest) : undefined;
    }
    if (!manifest?.config?.digest) return undefined;
    const blob = await this.request('GET', `/v2/${repo}/blobs/${manifest.config.digest}`, repo, 'pull');
    this.expectOk(blob, `GET ${repo} config`);
    return (blob.json() as { config?: { User?: string } }).config ?? {};
  }

  /** Deletes a manifest by digest. `unsupported` when the registry does not allow deletes. */
  async deleteManifest(repo: string, digest: string): Promise<'deleted' | 'missing' | 'unsupported'> {
    const res = await this.request('DELETE', `/v2/${repo}/manifests/${digest}`, repo, 'delete');
    if (res.status === 202 || res.status === 200) return 'deleted';
    if (res.status === 404) return 'missing';
    if (res.status === 405) return 'unsupported';
    const text = res.text();
    if (/UNSUPPORTED/.test(text)) return 'unsupported';
    throw new RegistryError(`DELETE ${repo}@${digest} on ${this.host}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
  }

  private expectOk(res: RegistryResponse, what: string): void {
    if (res.ok) return;
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`${what} on ${this.host}: access denied (HTTP ${res.status}); log in with \`docker login ${this.host}\``, res.status);
    }
    throw new RegistryError(`${what} on ${this.host}: HTTP ${res.status}`, res.status, res.status >= 500 || res.status === 429);
  }

  /** One request with auth negotiation and a time limit, retried on transient failures; the body is read in full. */
  private request(
    method: string,
    path: string,
    repo: string,
    action: 'pull' | 'push' | 'delete',
    headers: Record<string, string> = {},
    log = this.o.log,
  ): Promise<RegistryResponse> {
    const r = { ...DEFAULT_RETRY, ...this.o.retry };
    const signal = this.o.signal ?? r.signal;
    let attempts = 0;
    return withRetry(
      async () => {
        attempts++;
        const res = await this.send(method, path, repo, action, headers);
        if (res.status >= 500 || res.status === 429) {
          const detail = registryErrorDetail(res.text());
          throw new RegistryError(
            `${method} ${path} on ${this.host}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`,
            res.status,
            true,
            false,
            parseRetryAfter(res.headers.get('retry-after')),
          );
        }
        return res;
      },
      {
        attempts: r.attempts,
        baseDelayMs: r.baseDelayMs,
        maxDelayMs: r.maxDelayMs,
        isTransient: (e) => e instanceof RegistryError && e.transient,
        delayFor: (e) => (e instanceof RegistryError ? e.retryAfterMs : undefined),
        onRetry: (e, attempt, delay) => log?.(`${(e as Error).message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1}/${r.attempts})`),
        signal,
      },
    ).catch((e: unknown) => {
      if (signal?.aborted) throw error('build.cancelled', `interrupted while talking to registry ${this.host}`);
      const after = attempts > 1 ? ` (${attempts} attempts)` : '';
      if (e instanceof RegistryError && e.unreachable) {
        throw error('build.registry-unreachable', `${e.message}${after}; is the registry running and reachable from here?`);
      }
      if (e instanceof RegistryError && e.transient) {
        throw new RegistryError(`${e.message}${after}`, e.status, true, false, e.retryAfterMs);
      }
      throw e;
    });
  }

  private async send(method: string, path: string, repo: string, action: string, headers: Record<string, string>): Promise<RegistryResponse> {
    const url = this.baseUrl + path;
    const scope = `repository:${repo}:${action === 'delete' ? '*' : action === 'push' ? 'pull,push' : 'pull'}`;
    const cached = this.tokens.get(scope);
    let res = await this.fetchOnce(method, url, cached ? { ...headers, Authorization: cached } : headers);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate');
    if (!challenge) return res;
    const auth = await this.o.credentials?.get(this.host);
    const authorization = await this.authorize(challenge, scope, auth);
    if (!authorization) return res;
    this.tokens.set(scope, authorization);
    res = await this.fetchOnce(method, url, { ...headers, Authorization: authorization });
    return res;
  }

  /** One fetch, body included, within the time limit; failures to get a whole answer are transient RegistryErrors. */
  private async fetchOnce(method: string, url: string, headers: Record<string, string>, init: { body?: URLSearchParams } = {}): Promise<RegistryResponse> {
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.o.signal ? AbortSignal.any([timeout, this.o.signal]) : timeout;
    const where = `registry ${this.host} (${url.replace(/\/v2\/.*/, '/v2/')})`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, { method, headers, redirect: 'follow', signal, ...init });
    } catch (e) {
      if (timeout.aborted) throw new RegistryError(`${where} did not answer within ${seconds(timeoutMs)}`, undefined, true, true);
      if (this.o.signal?.aborted) throw e;
      throw new RegistryError(`cannot reach ${where}: ${connectionDetail(e)}`, undefined, true, true);
    }
    try {
      const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.arrayBuffer());
      return new RegistryResponse(res.status, res.headers, body);
    } catch (e) {
      if (this.o.signal?.aborted && !timeout.aborted) throw e;
      const why = timeout.aborted ? `did not send the whole answer within ${seconds(timeoutMs)}` : `closed the connection in the middle of the answer (${connectionDetail(e)})`;
      throw new RegistryError(`${where} ${why}`, res.status, true, true);
    }
  }

  private async authorize(challenge: string, scope: string, auth: AuthConfig | undefined): Promise<string | undefined> {
    const m = /^(\w+)\s+(.*)$/.exec(challenge.trim());
    if (!m) return undefined;
    const kind = m[1]!.toLowerCase();
    if (kind === 'basic') {
      if (!auth?.username) return undefined;
      return `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
    }
    if (kind !== 'bearer') return undefined;
    if (auth?.registrytoken) return `Bearer ${auth.registrytoken}`;
    const params: Record<string, string> = {};
    for (const p of m[2]!.matchAll(/(\w+)="([^"]*)"/g)) params[p[1]!] = p[2]!;
    if (!params.realm) return undefined;
    const realm = new URL(params.realm);
    let res: RegistryResponse;
    if (auth?.identitytoken) {
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, service: params.service ?? '', scope, client_id: 'compose2k8s' });
      res = await this.fetchOnce('POST', realm.toString(), { 'Content-Type': 'application/x-www-form-urlencoded' }, { body });
    } else {
      if (params.service) realm.searchParams.set('service', params.service);
      realm.searchParams.set('scope', scope);
      const h: Record<string, string> = {};
      if (auth?.username) h.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
      res = await this.fetchOnce('GET', realm.toString(), h);
    }
    if (!res.ok) return undefined;
    const body = res.json() as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}

/** What went wrong with a connection, from fetch's (undici's) error: an errno code, or what undici says. */
function connectionDetail(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  // undici reports a connection closed before (or during) the answer as UND_ERR_SOCKET "other side closed".
  if (cause?.code === 'UND_ERR_SOCKET') return `connection closed by the other side`;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** The first message of a distribution error body (`{"errors":[{"code","message"}]}`), if it is one. */
export function registryErrorDetail(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (!e) return undefined;
    return [e.code, e.message].filter(Boolean).join(': ') || undefined;
  } catch {
    return undefined;
  }
}
