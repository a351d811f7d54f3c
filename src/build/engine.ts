// Which Docker engine to talk to, resolved like the docker CLI: DOCKER_HOST (+ DOCKER_TLS_VERIFY and
// DOCKER_CERT_PATH), else DOCKER_CONTEXT or the config's currentContext (its meta.json names the host and
// its tls/ directory holds the certificates), else the default socket. dockerode is imported lazily here
// and only here, so `convert` without `--build` never loads it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { error } from '../model/diagnostics.js';

export interface EngineEndpoint {
  /** The host as the user wrote it (DOCKER_HOST, context endpoint or the default), for messages. */
  host: string;
  /** Where it came from, for messages: `DOCKER_HOST`, `context "name"` or `default`. */
  source: string;
  socketPath?: string;
  protocol?: 'http' | 'https' | 'ssh';
  hostname?: string;
  port?: number;
  username?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** TLS without verifying the server certificate (DOCKER_TLS_VERIFY unset with certificates, or SkipTLSVerify). */
  insecureTls?: boolean;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export function dockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error('build.docker-config', `cannot read ${path}: ${(e as Error).message}`);
  }
}

function readIf(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}

/** Resolves the engine endpoint from the environment and the docker CLI configuration. */
export function resolveEngine(env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  if (env.DOCKER_HOST) {
    // Like the docker CLI: DOCKER_TLS_VERIFY turns on TLS with verification, DOCKER_TLS without it.
    const on = (v: string | undefined) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
    const tlsVerify = on(env.DOCKER_TLS_VERIFY);
    const certDir = env.DOCKER_CERT_PATH || dockerConfigDir(env);
    const tls = tlsVerify || on(env.DOCKER_TLS) ? { ca: readIf(join(certDir, 'ca.pem')), cert: readIf(join(certDir, 'cert.pem')), key: readIf(join(certDir, 'key.pem')), verify: tlsVerify } : undefined;
    return parseHost(env.DOCKER_HOST, 'DOCKER_HOST', tls);
  }
  const configDir = dockerConfigDir(env);
  let context = env.DOCKER_CONTEXT;
  if (!context) {
    const config = readJson(join(configDir, 'config.json')) as { currentContext?: string } | undefined;
    context = config?.currentContext;
  }
  if (context && context !== 'default') {
    const id = createHash('sha256').update(context).digest('hex');
    const metaPath = join(configDir, 'contexts', 'meta', id, 'meta.json');
    const meta = readJson(metaPath) as { Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } } | undefined;
    if (!meta) throw error('build.docker-context', `docker context "${context}" not found (no ${metaPath})`);
    const ep = meta.Endpoints?.docker;
    if (!ep?.Host) throw error('build.docker-context', `docker context "${context}" has no docker endpoint host (${metaPath})`);
    const tlsDir = join(configDir, 'contexts', 'tls', id, 'docker');
    const ca = readIf(join(tlsDir, 'ca.pem'));
    const cert = readIf(join(tlsDir, 'cert.pem'));
    const key = readIf(join(tlsDir, 'key.pem'));
    const tls = ca || cert || key ? { ca, cert, key, verify: !ep.SkipTLSVerify } : ep.SkipTLSVerify ? { verify: false } : undefined;
    return parseHost(ep.Host, `context "${context}"`, tls);
  }
  return parseHost(DEFAULT_DOCKER_HOST, 'default');
}

function parseHost(
  host: string,
  source: string,
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; verify: boolean },
): EngineEndpoint {
  const m = /^([a-z]+):\/\/(.*)$/.exec(host);
  if (!m) throw error('build.docker-host', `invalid Docker host "${host}" (${source}); expected unix://, tcp://, ssh:// or npipe://`);
  const [, scheme, rest] = m as unknown as [string, string, string];
  if (scheme === 'unix') {
    if (!rest) throw error('build.docker-host', `invalid Docker host "${host}" (${source}): empty socket path`);
    return { host, source, socketPath: rest };
  }
  if (scheme === 'npipe') return { host, source, socketPath: rest.replace(/\//g, '\\') };
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https' || scheme === 'ssh') {
    let u: URL;
    try {
      u = new URL(`${scheme === 'ssh' ? 'ssh' : 'http'}://${rest}`);
    } catch {
      throw error('build.docker-host', `invalid Docker host "${host}" (${source})`);
    }
    const useTls = scheme === 'https' || (scheme === 'tcp' && tls !== undefined);
    const protocol = scheme === 'ssh' ? 'ssh' : useTls ? 'https' : 'http';
    const defaultPort = protocol === 'ssh' ? 22 : protocol === 'https' ? 2376 : 2375;
    return {
      host,
      source,
      protocol,
      hostname: u.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: u.port ? Number(u.port) : defaultPort,
      username: u.username || undefined,
      ...(useTls && tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, insecureTls: !tls.verify } : {}),
    };
  }
  throw error('build.docker-host', `unsupported Docker host scheme "${scheme}://" in "${host}" (${source})`);
}

/** Creates a dockerode client for the endpoint (lazy import). */
export async function connect(ep: EngineEndpoint): Promise<Dockerode> {
  const { default: Docker } = await import('dockerode');
  if (ep.socketPath) return new Docker({ socketPath: ep.socketPath });
  const opts: Dockerode.DockerOptions = { protocol: ep.protocol, host: ep.hostname, port: ep.port };
  if (ep.username) opts.username = ep.username;
  if (ep.ca) opts.ca = ep.ca;
  if (ep.cert) opts.cert = ep.cert;
  if (ep.key) opts.key = ep.key;
  if (ep.insecureTls) {
    // TLS without verifying the server (DOCKER_TLS without DOCKER_TLS_VERIFY, or a context's SkipTLSVerify).
    const { Agent } = await import('node:https');
    (opts as Record<string, unknown>).agent = new Agent({ ca: ep.ca, cert: ep.cert, key: ep.key, rejectUnauthorized: false });
  }
  return new Docker(opts);
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** True for errors that mean "no engine answered" (as opposed to an engine that answered with an error). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

export function engineUnreachable(ep: EngineEndpoint, e: unknown) {
  const code = (e as NodeJS.ErrnoException).code;
  const hint = code === 'EACCES' ? 'permission denied on the socket' : 'is the Docker daemon running?';
  return error(
    'build.engine-unreachable',
    `cannot reach the Docker engine at ${ep.host} (from ${ep.source}): ${(e as Error).message}; ${hint}`,
  );
}

/**
 * The engine went away in the middle of something (`doing`, e.g. `building web (REPO:c2k-...)`): it stopped or
 * restarted. Whatever it was doing is lost on its side; a rerun redoes only that (finished images are reused).
 */
export function engineLost(ep: EngineEndpoint, e: unknown, doing: string) {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return engineUnreachable(ep, e);
  const detail = (e as Error).message === code ? code : `${(e as Error).message}${code ? ` (${code})` : ''}`;
  return error(
    'build.engine-lost',
    `lost the Docker engine at ${ep.host} (from ${ep.source}) while ${doing}: ${detail}; did the daemon stop or restart? Run the command again when it is back: finished images are not built or pushed again`,
  );
}

/** Engine calls of one service: a closed connection is the engine going away (or never being there), Ctrl-C an interruption. */
export function engineGuard(signal: AbortSignal | undefined, ep: EngineEndpoint, service: string) {
  return async <T>(doing: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (signal?.aborted) throw error('build.cancelled', `${service}: interrupted`);
      if (isConnectionError(e)) throw engineLost(ep, e, doing);
      throw e;
    }
  };
}

export type EngineGuard = ReturnType<typeof engineGuard>;

export interface EngineInfo {
  apiVersion: string;
  /** `Builder-Version` from /_ping: "2" when the daemon's default builder is BuildKit. */
  builderVersion?: string;
  osType?: string;
}

/** Pings the engine; throws a `build.engine-unreachable` diagnostic when nothing answers. */
export async function pingEngine(docker: Dockerode, ep: EngineEndpoint): Promise<EngineInfo> {
  const modem = docker.modem as unknown as {
    dial(o: object, cb: (err: unknown, data: unknown, headers?: unknown) => void): void;
  };
  try {
    const version = (await docker.version()) as { ApiVersion: string; Os?: string };
    const headers = await new Promise<Record<string, string> | undefined>((resolve) => {
      modem.dial({ path: '/_ping', method: 'GET', statusCodes: { 200: true }, isStream: true }, (err, res) => {
        if (err || !res) return resolve(undefined);
        const stream = res as NodeJS.ReadableStream & { headers?: Record<string, string> };
        stream.resume();
        resolve(stream.headers);
      });
    });
    return { apiVersion: version.ApiVersion, builderVersion: headers?.['builder-version'], osType: version.Os };
  } catch (e) {
    if (isConnectionError(e)) throw engineUnreachable(ep, e);
    throw error('build.engine-error', `the Docker engine at ${ep.host} answered with an error: ${(e as Error).message}`);
  }
}
