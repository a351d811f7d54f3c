import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../src/build/auth.js';
import { isLoopback, RegistryClient } from '../../src/build/registry.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

type Call = { url: string; method: string; headers: Record<string, string> };

function fakeFetch(handler: (c: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const f = (async (url: string | URL, init?: RequestInit) => {
    const c = { url: String(url), method: init?.method ?? 'GET', headers: (init?.headers ?? {}) as Record<string, string> };
    calls.push(c);
    return handler(c);
  }) as typeof fetch;
  return { f, calls };
}

describe('registry client', () => {
  it('uses plain HTTP only for loopback and listed insecure registries', () => {
    expect(new RegistryClient('127.0.0.1:5000').baseUrl).toBe('http://127.0.0.1:5000');
    expect(new RegistryClient('localhost:5000').baseUrl).toBe('http://localhost:5000');
    expect(new RegistryClient('[::1]:5000').baseUrl).toBe('http://[::1]:5000');
    expect(new RegistryClient('reg.lan:5000').baseUrl).toBe('https://reg.lan:5000');
    expect(new RegistryClient('reg.lan:5000', { insecure: ['reg.lan:5000'] }).baseUrl).toBe('http://reg.lan:5000');
    expect(new RegistryClient('docker.io').baseUrl).toBe('https://registry-1.docker.io');
    expect(isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('follows a Bearer challenge with the stored credentials and caches the token', async () => {
    const { f, calls } = fakeFetch((c) => {
      if (c.url.startsWith('https://auth.example.com/token')) {
        expect(c.headers.Authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
        return Response.json({ token: 'T' });
      }
      if (c.headers.Authorization !== 'Bearer T') {
        return new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="https://auth.example.com/token",service="reg.example.com",scope="repository:a/b:pull"' } });
      }
      return new Response(null, { status: 200, headers: { 'Docker-Content-Digest': 'sha256:' + 'c'.repeat(64) } });
    });
    const client = new RegistryClient('reg.example.com', { fetch: f, credentials: new CredentialStore({ auths: { 'reg.example.com': { username: 'u', password: 'p' } } }) });
    expect(await client.manifestDigest('a/b', 'c2k-1')).toBe('sha256:' + 'c'.repeat(64));
    expect(await client.manifestDigest('a/b', 'c2k-2')).toBe('sha256:' + 'c'.repeat(64));
    const token = calls.filter((c) => c.url.includes('/token'));
    expect(token).toHaveLength(1);
    expect(token[0]!.url).toContain('scope=repository%3Aa%2Fb%3Apull');
    expect(calls[0]!.url).toBe('https://reg.example.com/v2/a/b/manifests/c2k-1');
  });

  it('a missing tag is undefined; 5xx is retried', async () => {
    let n = 0;
    const { f } = fakeFetch(() => (++n < 3 ? new Response('busy', { status: 503 }) : new Response(null, { status: 404 })));
    const client = new RegistryClient('127.0.0.1:1', { fetch: f, retry: { baseDelayMs: 1 } });
    expect(await client.manifestDigest('x', 'y')).toBeUndefined();
    expect(n).toBe(3);
  });

  it('an unreachable registry is a diagnostic after the retries', async () => {
    let n = 0;
    const { f } = fakeFetch(() => {
      n++;
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    });
    const client = new RegistryClient('127.0.0.1:9', { fetch: f, retry: { attempts: 3, baseDelayMs: 1 } });
    const e = await client.manifestDigest('x', 'y').catch((err: unknown) => err);
    expect(n).toBe(3);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'build.registry-unreachable' });
    expect((e as Error).message).toContain('cannot reach registry 127.0.0.1:9 (http://127.0.0.1:9/v2/): ECONNREFUSED');
  });

  it('a 429 waits for Retry-After; the error of the last attempt names the registry and the count', async () => {
    let n = 0;
    const { f } = fakeFetch(() => {
      n++;
      return new Response('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}', { status: 429, headers: { 'Retry-After': '0' } });
    });
    const log: string[] = [];
    const client = new RegistryClient('127.0.0.1:1', { fetch: f, retry: { attempts: 2, baseDelayMs: 1 }, log: (l) => log.push(l) });
    const e = await client.manifestDigest('x', 'y').catch((err: unknown) => err);
    expect(n).toBe(2);
    expect(log).toHaveLength(1);
    expect((e as Error).message).toBe('HEAD /v2/x/manifests/y on 127.0.0.1:1: HTTP 429 (2 attempts)');
    // GET answers carry the registry's own words.
    const { f: g } = fakeFetch(() => new Response('{"errors":[{"code":"UNAVAILABLE","message":"down for maintenance"}]}', { status: 503 }));
    const e2 = await new RegistryClient('127.0.0.1:1', { fetch: g, retry: { attempts: 1 } }).listTags('x').catch((err: unknown) => err);
    expect((e2 as Error).message).toBe('GET /v2/x/tags/list?n=1000 on 127.0.0.1:1: HTTP 503 (UNAVAILABLE: down for maintenance)');
  });

  it('a request without an answer in time is retried, then reported as unreachable', async () => {
    let n = 0;
    let answerOn = 3;
    // Answers only the `answerOn`th request; the others hang until the client's time limit aborts them.
    const f = ((_url: string | URL, init?: RequestInit) =>
      new Promise<Response>((resolve, reject) => {
        if (++n === answerOn) return resolve(new Response(null, { status: 404 }));
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
      })) as typeof fetch;
    const client = new RegistryClient('127.0.0.1:1', { fetch: f, timeoutMs: 30, retry: { attempts: 3, baseDelayMs: 1 } });
    expect(await client.manifestDigest('x', 'y')).toBeUndefined();
    expect(n).toBe(3);
    n = 0;
    answerOn = 0;
    const e = await new RegistryClient('127.0.0.1:1', { fetch: f, timeoutMs: 1500, retry: { attempts: 2, baseDelayMs: 1 } }).manifestDigest('x', 'y').catch((err: unknown) => err);
    expect(n).toBe(2);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).diagnostics[0]).toMatchObject({
      code: 'build.registry-unreachable',
      message: 'registry 127.0.0.1:1 (http://127.0.0.1:1/v2/) did not answer within 1.5 s (2 attempts); is the registry running and reachable from here?',
    });
  });

  it('a connection cut in the middle of an answer is retried (bodies are read inside the retry)', async () => {
    let n = 0;
    const { f } = fakeFetch(() => {
      n++;
      if (n === 1) {
        const body = new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"tags":["a"'));
            c.error(Object.assign(new TypeError('terminated'), { cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } }));
          },
        });
        return new Response(body, { status: 200 });
      }
      return Response.json({ tags: ['a', 'b'] });
    });
    const log: string[] = [];
    const client = new RegistryClient('127.0.0.1:1', { fetch: f, retry: { attempts: 2, baseDelayMs: 1 }, log: (l) => log.push(l) });
    expect(await client.listTags('r')).toEqual(['a', 'b']);
    expect(log[0]).toMatch(/^registry 127\.0\.0\.1:1 \(http:\/\/127\.0\.0\.1:1\/v2\/\) closed the connection in the middle of the answer \(connection closed by the other side\); retrying/);
  });

  it('lists tags across pages, inspects configs, and knows when deletes are not allowed', async () => {
    const { f } = fakeFetch((c) => {
      if (c.url.endsWith('/tags/list?n=1000')) return Response.json({ tags: ['a'] }, { headers: { Link: '</v2/r/tags/list?n=1000&last=a>; rel="next"' } });
      if (c.url.includes('last=a')) return Response.json({ tags: ['b'] });
      if (c.url.includes('/manifests/a')) return Response.json({ config: { digest: 'sha256:cfg' } }, { headers: { 'Docker-Content-Digest': 'sha256:m' } });
      if (c.url.endsWith('/blobs/sha256:cfg')) return Response.json({ created: '2026-01-01T00:00:00Z', config: { Labels: { k: 'v' } } });
      if (c.method === 'DELETE') return new Response('{"errors":[{"code":"UNSUPPORTED"}]}', { status: 405 });
      return new Response(null, { status: 404 });
    });
    const client = new RegistryClient('127.0.0.1:5000', { fetch: f });
    expect(await client.listTags('r')).toEqual(['a', 'b']);
    expect(await client.inspectTag('r', 'a')).toEqual({ tag: 'a', digest: 'sha256:m', created: '2026-01-01T00:00:00Z', labels: { k: 'v' } });
    expect(await client.inspectTag('r', 'zz')).toBeUndefined();
    expect(await client.deleteManifest('r', 'sha256:m')).toBe('unsupported');
  });
});
