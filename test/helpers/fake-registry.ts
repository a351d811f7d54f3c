// A registry that answers manifest HEAD/GET requests from a table, on 127.0.0.1 (plain HTTP, as compose2k8s speaks
// to loopback registries), for unit tests of digest resolution: counts requests and connections, and fails chosen
// requests. The real registry (scripts/e2e/docker.sh) is used by the end-to-end tests.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';

export interface FakeRegistry {
  /** 127.0.0.1:port */
  readonly host: string;
  /** `repo:tag` -> manifest body (its digest is the sha256 of the body, as a registry computes it). */
  readonly manifests: Map<string, string>;
  /** `METHOD path` of every request. */
  readonly requests: string[];
  /** Connections opened so far. */
  connections(): number;
  /** Answers the next matching requests with `status` (`times` of them, default 1). */
  fail(match: RegExp, status: number, times?: number, headers?: Record<string, string>): void;
  /** Sets repo:tag to a manifest with this content and returns its digest. */
  push(repoTag: string, content?: string): string;
  close(): Promise<void>;
}

export function digestOf(body: string): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const manifests = new Map<string, string>();
  const requests: string[] = [];
  const failures: { match: RegExp; status: number; times: number; headers: Record<string, string> }[] = [];
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const f = failures.find((x) => x.times > 0 && x.match.test(`${req.method} ${req.url}`));
    if (f) {
      f.times--;
      res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers }).end(JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${f.status}` }] }));
      return;
    }
    const m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.url ?? '');
    const body = m ? manifests.get(`${m[1]}:${decodeURIComponent(m[2]!)}`) : undefined;
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      return;
    }
    const type = (JSON.parse(body) as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json';
    res.writeHead(200, { 'content-type': type, 'docker-content-digest': digestOf(body), 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  server.on('connection', (s: net.Socket) => {
    connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  let n = 0;
  return {
    host,
    manifests,
    requests,
    connections: () => connections,
    fail: (match, status, times = 1, headers = {}) => failures.push({ match, status, times, headers }),
    push(repoTag, content = `content ${++n} ${Date.now()}`) {
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', annotations: { content } });
      manifests.set(repoTag, body);
      return digestOf(body);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
