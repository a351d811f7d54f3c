// A small client for the registry HTTP API (distribution v2): does a tag exist (HEAD manifest -> digest),
// list tags, read an image's config, delete a manifest. Token auth follows the WWW-Authenticate challenge
// (Bearer realm/service/scope, or Basic). Plain HTTP is used only for loopback registries and the ones
// the user listed as insecure; everything else is HTTPS.
import { error } from '../model/diagnostics.js';
import type { AuthConfig, CredentialStore } from './auth.js';
import { DOCKER_HUB } from './reference.js';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry.js';

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
  ) {
    super(message);
  }
}

export interface RegistryClientOptions {
  credentials?: CredentialStore;
  /** Hosts (host[:port]) that may be spoken to over plain HTTP besides loopback ones. */
  insecure?: string[];
  retry?: Partial<RetryOptions>;
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
  async manifestDigest(repo: string, tag: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, 'pull', { Accept: MANIFEST_TYPES.join(', ') });
    if (res.status === 404) return undefined;
    this.expectOk(res, `HEAD ${repo}:${tag}`);
    const digest = res.headers.get('docker-content-digest');
    if (digest) return digest;
    // Some registries omit the header on HEAD; GET and hash.
    const get = await this.request('GET', `/v2/${repo}/manifests/${encodeURIComponent(tag)}`, repo, 'pull', { Accept: MANIFEST_TYPES.join(', ') });
    this.expectOk(get, `GET ${repo}:${tag}`);
    const { createHash } = await import('node:crypto');
    return `sha256:${createHash('sha256').update(Buffer.from(await get.arrayBuffer())).digest('hex')}`;
  }

  async listTags(repo: string): Promise<string[]> {
    const out: string[] = [];
    let path: string | undefined = `/v2/${repo}/tags/list?n=1000`;
    while (path) {
      const res = await this.request('GET', path, repo, 'pull');
      if (res.status === 404) return out;
      this.expectOk(res, `list tags of ${repo}`);
      const body = (await res.json()) as { tags?: string[] | null };
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
    const raw = Buffer.from(await res.arrayBuffer());
    const { createHash } = await import('node:crypto');
    const digest = res.headers.get('docker-content-digest') ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    const manifest = JSON.parse(raw.toString('utf8')) as { config?: { digest?: string }; manifests?: unknown[] };
    const info: TagInfo = { tag, digest, labels: {} };
    if (manifest.config?.digest) {
      const blob = await this.request('GET', `/v2/${repo}/blobs/${manifest.config.digest}`, repo, 'pull');
      if (blob.ok) {
        const config = (await blob.json()) as { created?: string; config?: { Labels?: Record<string, string> | null } };
        info.created = config.created;
        info.labels = config.config?.Labels ?? {};
      }
    }
    return info;
  }

  /** Deletes a manifest by digest. `unsupported` when the registry does not allow deletes. */
  async deleteManifest(repo: string, digest: string): Promise<'deleted' | 'missing' | 'unsupported'> {
    const res = await this.request('DELETE', `/v2/${repo}/manifests/${digest}`, repo, 'delete');
    if (res.status === 202 || res.status === 200) return 'deleted';
    if (res.status === 404) return 'missing';
    if (res.status === 405) return 'unsupported';
    const text = await res.text().catch(() => '');
    if (/UNSUPPORTED/.test(text)) return 'unsupported';
    throw new RegistryError(`DELETE ${repo}@${digest} on ${this.host}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
  }

  private expectOk(res: Response, what: string): void {
    if (res.ok) return;
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(`${what} on ${this.host}: access denied (HTTP ${res.status}); log in with \`docker login ${this.host}\``, res.status);
    }
    throw new RegistryError(`${what} on ${this.host}: HTTP ${res.status}`, res.status, res.status >= 500 || res.status === 429);
  }

  /** One request with auth negotiation, retried on transient failures. */
  private request(method: string, path: string, repo: string, action: 'pull' | 'push' | 'delete', headers: Record<string, string> = {}): Promise<Response> {
    const r = { ...DEFAULT_RETRY, ...this.o.retry };
    return withRetry(
      async () => {
        const res = await this.send(method, path, repo, action, headers);
        if (res.status >= 500 || res.status === 429) {
          throw new RegistryError(`${method} ${path} on ${this.host}: HTTP ${res.status}`, res.status, true);
        }
        return res;
      },
      {
        attempts: r.attempts,
        baseDelayMs: r.baseDelayMs,
        maxDelayMs: r.maxDelayMs,
        isTransient: (e) => e instanceof RegistryError && e.transient,
        onRetry: (e, attempt, delay) => this.o.log?.(`registry ${this.host}: ${(e as Error).message}; retrying in ${Math.round(delay)} ms (attempt ${attempt + 1}/${r.attempts})`),
        signal: r.signal,
      },
    ).catch((e: unknown) => {
      if (e instanceof RegistryError && e.unreachable) {
        throw error('build.registry-unreachable', `${e.message}; is the registry running and reachable from here?`);
      }
      throw e;
    });
  }

  private async send(method: string, path: string, repo: string, action: string, headers: Record<string, string>): Promise<Response> {
    const url = this.baseUrl + path;
    const scope = `repository:${repo}:${action === 'delete' ? '*' : action === 'push' ? 'pull,push' : 'pull'}`;
    const cached = this.tokens.get(scope);
    let res = await this.fetchOnce(method, url, cached ? { ...headers, Authorization: cached } : headers);
    if (res.status !== 401) return res;
    const challenge = res.headers.get('www-authenticate');
    await res.arrayBuffer().catch(() => undefined);
    if (!challenge) return res;
    const auth = await this.o.credentials?.get(this.host);
    const authorization = await this.authorize(challenge, scope, auth);
    if (!authorization) return res;
    this.tokens.set(scope, authorization);
    res = await this.fetchOnce(method, url, { ...headers, Authorization: authorization });
    return res;
  }

  private async fetchOnce(method: string, url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await this.fetchImpl(url, { method, headers, redirect: 'follow' });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new RegistryError(`cannot reach registry ${this.host} (${url.replace(/\/v2\/.*/, '/v2/')}): ${detail}`, undefined, true, true);
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
    let res: Response;
    if (auth?.identitytoken) {
      const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identitytoken, service: params.service ?? '', scope, client_id: 'compose2k8s' });
      res = await this.fetchImpl(realm.toString(), { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    } else {
      if (params.service) realm.searchParams.set('service', params.service);
      realm.searchParams.set('scope', scope);
      const h: Record<string, string> = {};
      if (auth?.username) h.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
      res = await this.fetchOnce('GET', realm.toString(), h);
    }
    if (!res.ok) return undefined;
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}
