// A fault-injecting proxy for tests: put it between a client and a real component (the API server, a Docker
// registry, ...) and make chosen requests fail. Two modes:
//
// - `http` (default): terminates HTTP (or HTTPS, with a self-signed certificate made by `openssl` at start, or a
//   given one) and forwards each request to the target (http or https; the target's certificate is not checked
//   unless `upstreamCa` is given). Rules match requests by method and path (path + query string) and can answer
//   with any status (429 with Retry-After, 500, 503, ...), drop the connection before the request is forwarded
//   ("mid-request": the target never sees it) or after the target answered ("mid-response": the target did the
//   work, the client sees a reset after part of the response), delay the request or the response, or hang.
//   Streaming responses (watches, blob downloads) and streaming request bodies (uploads) are piped, not buffered.
// - `tcp`: forwards bytes (so it works through TLS without terminating it); rules match connections and can
//   reset them at once, after some bytes, or delay them.
//
// Rules are evaluated in order for every request (connection, in tcp mode); the first one that fires wins. A rule
// matches by method/path; `after` skips its first N matches, `times` lets it fire at most N times, `probability`
// fires it on that fraction of the eligible matches, drawn from a seeded RNG so runs are reproducible.
//
//   const proxy = await startFaultProxy('https://127.0.0.1:6443', { tls: true, seed: 7 });
//   proxy.setRules([{ method: 'PATCH', path: /\/configmaps\/web$/, status: 503, retryAfter: 1, times: 2 }]);
//   ... proxy.url, proxy.ca (PEM of the proxy's certificate), proxy.stats(), proxy.log ...
//   await proxy.stop();
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FaultRule {
  /** Shown in the log and counted in `stats().byRule`; default `rule<index>`. */
  name?: string;
  /** HTTP mode: exact method (case-insensitive) or a pattern. */
  method?: string | RegExp;
  /** HTTP mode: a pattern (or exact string) matched against the path with its query string. */
  path?: string | RegExp;
  /** Let the first N matching requests through untouched. */
  after?: number;
  /** Fire at most N times; afterwards the rule lets everything through. */
  times?: number;
  /** Fire on this fraction (0..1) of the eligible matches (seeded RNG). */
  probability?: number;
  /** Wait this long before doing anything else (then forward, answer, drop or hang). */
  delayMs?: number;
  /** HTTP mode: forward, then hold the target's answer this long before relaying it ("slow response"). */
  responseDelayMs?: number;
  /** HTTP mode: answer with this status instead of forwarding. */
  status?: number;
  /** With `status`: a Retry-After header (seconds). */
  retryAfter?: number;
  /** With `status`: the body; an object is sent as JSON. Default: a Kubernetes-style Status object. */
  body?: string | object;
  /** With `status`: extra response headers. */
  headers?: Record<string, string>;
  /**
   * `request`: destroy the client connection once the request headers arrived, never forwarding it.
   * `response`: forward, then relay the status line, headers and at most `dropAfterBytes` bytes of the body (default
   * half of the first chunk) and destroy the connection. In tcp mode any value resets the connection, after
   * `dropAfterBytes` bytes from the target (0 = at once, before anything is forwarded).
   */
  drop?: 'request' | 'response';
  dropAfterBytes?: number;
  /** Never answer (the connection stays open until the client gives up or the proxy stops). */
  hang?: boolean;
  /**
   * HTTP mode: hold the request (before forwarding) until `openGate(name)`; makes "while X is in progress"
   * deterministic. A request whose client went away meanwhile is not forwarded.
   */
  gate?: string;
}

export interface FaultProxyOptions {
  /** `http` (default) or `tcp`. */
  mode?: 'http' | 'tcp';
  /** HTTP mode: serve HTTPS. `true` makes a self-signed certificate for 127.0.0.1/localhost with openssl. */
  tls?: boolean | { cert: string | Buffer; key: string | Buffer };
  /** HTTP mode: trust only this CA for an https target (default: the target's certificate is not verified). */
  upstreamCa?: string | Buffer;
  /** Seed of the RNG behind `probability` (default 1). */
  seed?: number;
  /** Listen port (default: any free port) and host (default 127.0.0.1). */
  port?: number;
  host?: string;
  rules?: FaultRule[];
}

export interface FaultLogEntry {
  /** HTTP: `GET /api/v1/...`; tcp: `connection <n>`. */
  request: string;
  method?: string;
  path?: string;
  /** The rule that fired, if any. */
  rule?: string;
  /** What happened: `forwarded`, `status 503`, `drop request`, `drop response`, `hang`, `reset`, `down`. */
  action: string;
  /** The status the client got (HTTP mode, when it got one). */
  status?: number;
  at: number;
}

export interface FaultStats {
  /** Requests (connections, in tcp mode) received. */
  requests: number;
  /** Of which forwarded to the target. */
  forwarded: number;
  /** Of which a rule fired on. */
  faults: number;
  /** Times each rule fired, by name. */
  byRule: Record<string, number>;
  /** Requests received per `METHOD path-without-query` (HTTP mode). */
  byRequest: Record<string, number>;
}

export interface FaultProxy {
  /** `http(s)://127.0.0.1:<port>` (tcp mode: `tcp://...`). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** PEM of the certificate the proxy serves (HTTPS mode), to trust it as a CA. */
  readonly ca?: string;
  /** Every request (connection) seen, in order. */
  readonly log: FaultLogEntry[];
  /** Replaces the rules (and their counters). */
  setRules(rules: FaultRule[]): void;
  /** Appends a rule. */
  addRule(rule: FaultRule): void;
  clearRules(): void;
  /** While down, every new connection is reset at once and open ones are cut (the target looks dead). */
  setDown(down: boolean): void;
  /** Lets the requests held by rules with this `gate` go on, and all later ones pass; `closeGate` holds them again. */
  openGate(name: string): void;
  closeGate(name: string): void;
  /** Requests currently held at a gate. */
  held(name: string): number;
  stats(): FaultStats;
  /** Clears the log and counters (not the rules). */
  resetStats(): void;
  stop(): Promise<void>;
}

/** mulberry32: small, fast, good enough to make fault selection reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let selfSigned: { cert: string; key: string } | undefined;

/** A throwaway EC certificate for 127.0.0.1 and localhost (one per process). */
export function selfSignedCert(): { cert: string; key: string } {
  if (selfSigned) return selfSigned;
  const dir = mkdtempSync(join(tmpdir(), 'fault-proxy-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=fault-proxy',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    selfSigned = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    return selfSigned;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Target {
  protocol: 'http:' | 'https:' | 'tcp:';
  host: string;
  port: number;
}

function parseTarget(target: string, mode: 'http' | 'tcp'): Target {
  if (/^[a-z]+:\/\//i.test(target)) {
    const u = new URL(target);
    const protocol = u.protocol === 'https:' ? 'https:' : u.protocol === 'http:' ? 'http:' : 'tcp:';
    const port = Number(u.port || (protocol === 'https:' ? 443 : 80));
    return { protocol: mode === 'tcp' ? 'tcp:' : protocol, host: u.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const m = /^(.*):(\d+)$/.exec(target);
  if (!m) throw new Error(`fault proxy: target must be a URL or host:port, not "${target}"`);
  return { protocol: mode === 'tcp' ? 'tcp:' : 'http:', host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

function matches(p: string | RegExp | undefined, value: string, exactCaseInsensitive = false): boolean {
  if (p === undefined) return true;
  if (typeof p === 'string') return exactCaseInsensitive ? p.toUpperCase() === value.toUpperCase() : p === value;
  p.lastIndex = 0;
  return p.test(value);
}

interface RuleState {
  rule: FaultRule;
  name: string;
  matched: number;
  fired: number;
}

/** Starts a proxy in front of `target` (`https://host:port`, `http://host:port` or `host:port`). */
export async function startFaultProxy(target: string, opts: FaultProxyOptions = {}): Promise<FaultProxy> {
  const mode = opts.mode ?? 'http';
  const tgt = parseTarget(target, mode);
  const random = seededRandom(opts.seed ?? 1);
  let rules: RuleState[] = [];
  let down = false;
  const log: FaultLogEntry[] = [];
  let stats: FaultStats = { requests: 0, forwarded: 0, faults: 0, byRule: {}, byRequest: {} };
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    if (sockets.has(s)) return; // a kept-alive socket, reused
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const setRules = (list: FaultRule[]) => {
    rules = list.map((rule, i) => ({ rule, name: rule.name ?? `rule${i}`, matched: 0, fired: 0 }));
  };
  setRules(opts.rules ?? []);

  /** The rule that fires for this request (counting matches), if any. */
  const pick = (method?: string, path?: string): RuleState | undefined => {
    for (const st of rules) {
      const r = st.rule;
      if (mode === 'http' && (!matches(r.method, method ?? '', true) || !matches(r.path, path ?? ''))) continue;
      st.matched++;
      if (r.after !== undefined && st.matched <= r.after) continue;
      if (r.times !== undefined && st.fired >= r.times) continue;
      if (r.probability !== undefined && random() >= r.probability) continue;
      st.fired++;
      stats.faults++;
      stats.byRule[st.name] = (stats.byRule[st.name] ?? 0) + 1;
      return st;
    }
    return undefined;
  };

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
  const gates = new Map<string, { open: boolean; waiting: (() => void)[] }>();
  const gate = (name: string) => {
    let g = gates.get(name);
    if (!g) gates.set(name, (g = { open: false, waiting: [] }));
    return g;
  };
  const passGate = (name: string) => {
    const g = gate(name);
    return g.open ? Promise.resolve() : new Promise<void>((r) => g.waiting.push(r));
  };
  let server: net.Server;
  let ca: string | undefined;
  const upstreamAgent =
    tgt.protocol === 'https:'
      ? new https.Agent({ keepAlive: true, rejectUnauthorized: opts.upstreamCa !== undefined, ca: opts.upstreamCa })
      : new http.Agent({ keepAlive: true });

  if (mode === 'http') {
    const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const entry: FaultLogEntry = { request: `${method} ${path}`, method, path, action: 'forwarded', at: Date.now() };
      log.push(entry);
      stats.requests++;
      const key = `${method} ${path.split('?')[0]}`;
      stats.byRequest[key] = (stats.byRequest[key] ?? 0) + 1;
      if (down) {
        entry.action = 'down';
        req.socket.destroy();
        return;
      }
      const st = pick(method, path);
      const rule = st?.rule;
      if (st) entry.rule = st.name;
      if (rule?.delayMs) await sleep(rule.delayMs);
      if (rule?.gate) {
        entry.action = `held at gate ${rule.gate}`;
        await passGate(rule.gate);
        if (req.socket.destroyed) {
          entry.action = `client gone at gate ${rule.gate}`;
          return;
        }
        entry.action = 'forwarded';
      }
      if (rule?.hang) {
        entry.action = 'hang';
        return; // the socket is destroyed by stop() or when the client gives up
      }
      if (rule?.drop === 'request') {
        entry.action = 'drop request';
        req.socket.destroy();
        return;
      }
      if (rule?.status !== undefined) {
        const status = rule.status;
        entry.action = `status ${status}`;
        entry.status = status;
        const headers: Record<string, string> = { ...rule.headers };
        let body: string;
        if (typeof rule.body === 'string') body = rule.body;
        else {
          headers['content-type'] ??= 'application/json';
          body = JSON.stringify(
            rule.body ?? {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Failure',
              message: `injected fault: HTTP ${status}`,
              reason: status === 429 ? 'TooManyRequests' : status === 503 ? 'ServiceUnavailable' : 'InternalError',
              code: status,
              ...(rule.retryAfter !== undefined ? { details: { retryAfterSeconds: rule.retryAfter } } : {}),
            },
          );
        }
        if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
        headers['content-length'] = String(Buffer.byteLength(body));
        req.resume(); // drain the request body
        req.once('end', () => res.writeHead(status, headers).end(body));
        return;
      }
      // Forward.
      stats.forwarded++;
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
      headers.host = `${tgt.host}:${tgt.port}`;
      const lib = tgt.protocol === 'https:' ? https : http;
      const up = lib.request({ host: tgt.host, port: tgt.port, method, path, headers, agent: upstreamAgent }, async (upRes) => {
        if (rule?.responseDelayMs) {
          upRes.pause();
          await sleep(rule.responseDelayMs);
          upRes.resume();
        }
        if (res.destroyed) {
          upRes.destroy();
          return;
        }
        const outHeaders: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k) && k !== 'transfer-encoding' && v !== undefined) outHeaders[k] = v;
        entry.status = upRes.statusCode;
        if (rule?.drop === 'response') {
          entry.action = 'drop response';
          res.writeHead(upRes.statusCode ?? 502, outHeaders);
          res.flushHeaders();
          let cut = false;
          const cutNow = () => {
            if (cut) return;
            cut = true;
            upRes.destroy();
            // Let the headers (and partial body) reach the client before the reset.
            setTimeout(() => req.socket.destroy(), 20);
          };
          upRes.once('data', (chunk: Buffer) => {
            const n = Math.min(chunk.length, rule.dropAfterBytes ?? Math.max(1, Math.floor(chunk.length / 2)));
            if (n > 0) res.write(chunk.subarray(0, n));
            cutNow();
          });
          upRes.once('end', cutNow);
          return;
        }
        if (rule?.responseDelayMs || rule?.delayMs) entry.action = 'forwarded (slow)';
        res.writeHead(upRes.statusCode ?? 502, outHeaders);
        res.flushHeaders();
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      });
      up.on('error', (e) => {
        entry.action = `upstream error ${(e as NodeJS.ErrnoException).code ?? e.message}`;
        if (!res.headersSent) {
          entry.status = 502;
          res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: upstream error: ${e.message}\n`);
        } else res.destroy();
      });
      up.on('socket', (s) => track(s));
      res.on('close', () => {
        if (!res.writableFinished) up.destroy();
      });
      req.pipe(up);
    };
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      handler(req, res).catch((e) => {
        if (!res.headersSent) res.writeHead(500).end(`fault proxy: ${(e as Error).message}\n`);
        else res.destroy();
      });
    };
    if (opts.tls) {
      const material = opts.tls === true ? selfSignedCert() : opts.tls;
      ca = String(material.cert);
      server = https.createServer({ cert: material.cert, key: material.key, keepAlive: true }, onRequest);
      server.on('secureConnection', (s: net.Socket) => track(s));
      server.on('tlsClientError', () => {});
    } else {
      server = http.createServer({ keepAlive: true }, onRequest);
    }
    server.on('connection', (s: net.Socket) => {
      track(s);
      s.on('error', () => {});
      if (down) s.destroy();
    });
    (server as http.Server).headersTimeout = 0;
    (server as http.Server).requestTimeout = 0;
  } else {
    let n = 0;
    server = net.createServer((client) => {
      const id = ++n;
      track(client);
      client.on('error', () => {});
      const entry: FaultLogEntry = { request: `connection ${id}`, action: 'forwarded', at: Date.now() };
      log.push(entry);
      stats.requests++;
      if (down) {
        entry.action = 'down';
        client.resetAndDestroy();
        return;
      }
      const st = pick();
      const rule = st?.rule;
      if (st) entry.rule = st.name;
      client.pause();
      void (async () => {
        if (rule?.delayMs) await sleep(rule.delayMs);
        if (rule?.hang) {
          entry.action = 'hang';
          return;
        }
        if (rule?.drop && !rule.dropAfterBytes) {
          entry.action = 'reset';
          client.resetAndDestroy();
          return;
        }
        stats.forwarded++;
        const upstream = net.connect(tgt.port, tgt.host);
        track(upstream);
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        client.resume();
        if (rule?.drop) {
          let seen = 0;
          upstream.on('data', (chunk: Buffer) => {
            if (client.destroyed) return;
            const room = rule.dropAfterBytes! - seen;
            seen += chunk.length;
            if (room > 0) client.write(chunk.subarray(0, room));
            if (seen >= rule.dropAfterBytes!) {
              entry.action = `reset after ${rule.dropAfterBytes} bytes`;
              upstream.destroy();
              client.resetAndDestroy();
            }
          });
        } else upstream.pipe(client);
      })();
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  const scheme = mode === 'tcp' ? 'tcp' : opts.tls ? 'https' : 'http';

  return {
    url: `${scheme}://${host}:${addr.port}`,
    host,
    port: addr.port,
    ca,
    log,
    setRules,
    addRule: (rule) => {
      rules.push({ rule, name: rule.name ?? `rule${rules.length}`, matched: 0, fired: 0 });
    },
    clearRules: () => setRules([]),
    setDown: (d) => {
      down = d;
      if (d) for (const s of sockets) s.destroy();
    },
    openGate: (name) => {
      const g = gate(name);
      g.open = true;
      for (const w of g.waiting.splice(0)) w();
    },
    closeGate: (name) => {
      gate(name).open = false;
    },
    held: (name) => gate(name).waiting.length,
    stats: () => structuredClone(stats),
    resetStats: () => {
      log.length = 0;
      stats = { requests: 0, forwarded: 0, faults: 0, byRule: {}, byRequest: {} };
    },
    stop: async () => {
      for (const g of gates.values()) for (const w of g.waiting.splice(0)) w();
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
      upstreamAgent.destroy();
      await closed;
    },
  };
}
