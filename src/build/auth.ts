// Registry credentials from the docker CLI configuration ($DOCKER_CONFIG/config.json or ~/.docker/config.json):
// `credHelpers` (per registry) over `credsStore` (default store) over `auths` (inline base64 `user:pass`),
// as the docker CLI resolves them. Helpers speak the docker-credential-helpers protocol: the binary
// `docker-credential-<name>` is spawned without a shell with the single argument `get`, and the server URL
// is written to its stdin, so neither the helper name nor the server can inject arguments.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { error } from '../model/diagnostics.js';
import { DOCKER_HUB } from '../model/image-reference.js';
import { dockerConfigDir } from './engine.js';

export interface AuthConfig {
  username?: string;
  password?: string;
  /** OAuth refresh token (helpers return it with the username `<token>`). */
  identitytoken?: string;
  /** A bearer token to send as is. */
  registrytoken?: string;
  serveraddress?: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The key Docker Hub credentials are stored under. */
export const DOCKER_HUB_INDEX = 'https://index.docker.io/v1/';

const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export type HelperRunner = (program: string, server: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** Runs `program get` with `server` on stdin; no shell, fixed argv. */
export const runHelper: HelperRunner = (program, server) =>
  new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(server);
  });

function hostOfKey(key: string): string {
  // Keys may be `host`, `https://host`, `https://host/v1/` (Docker Hub's legacy index URL).
  let k = key.replace(/^[a-z]+:\/\//i, '');
  const slash = k.indexOf('/');
  if (slash >= 0) k = k.slice(0, slash);
  k = k.toLowerCase();
  if (k === 'index.docker.io' || k === 'registry-1.docker.io') return DOCKER_HUB;
  return k;
}

export class CredentialStore {
  private readonly config: DockerConfigFile;
  private readonly cache = new Map<string, Promise<AuthConfig | undefined>>();

  constructor(
    config: DockerConfigFile = {},
    private readonly runner: HelperRunner = runHelper,
    readonly configPath?: string,
  ) {
    this.config = config;
  }

  static load(env: NodeJS.ProcessEnv = process.env, runner: HelperRunner = runHelper): CredentialStore {
    const path = join(dockerConfigDir(env), 'config.json');
    let config: DockerConfigFile = {};
    try {
      config = JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw error('build.docker-config', `cannot read ${path}: ${(e as Error).message}`);
      }
    }
    return new CredentialStore(config, runner, path);
  }

  /** Credentials for a registry host (`docker.io` for Docker Hub), or undefined for anonymous access. */
  get(registry: string): Promise<AuthConfig | undefined> {
    const host = hostOfKey(registry);
    let p = this.cache.get(host);
    if (!p) {
      p = this.lookup(host);
      this.cache.set(host, p);
    }
    return p;
  }

  private serverAddress(host: string): string {
    return host === DOCKER_HUB ? DOCKER_HUB_INDEX : host;
  }

  private async lookup(host: string): Promise<AuthConfig | undefined> {
    const helpers = this.config.credHelpers ?? {};
    const helperKey = Object.keys(helpers).find((k) => hostOfKey(k) === host);
    const helper = helperKey !== undefined ? helpers[helperKey] : this.config.credsStore;
    if (helper) {
      // The helper stores the key it was given at login; try the raw keys the config knows, then the canonical one.
      const candidates = new Set<string>();
      if (helperKey) candidates.add(helperKey);
      for (const k of Object.keys(this.config.auths ?? {})) if (hostOfKey(k) === host) candidates.add(k);
      candidates.add(this.serverAddress(host));
      for (const server of candidates) {
        const got = await this.fromHelper(helper, server);
        if (got) return got;
      }
      // docker falls back to the inline auths only when no store is configured for the host.
      if (helperKey !== undefined) return undefined;
    }
    const auths = this.config.auths ?? {};
    const key = Object.keys(auths).find((k) => hostOfKey(k) === host);
    if (key === undefined) return undefined;
    const entry = auths[key]!;
    const out: AuthConfig = { serveraddress: this.serverAddress(host) };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw error('build.docker-config', `invalid auth entry for ${key} in ${this.configPath ?? 'config.json'}: expected base64 of user:password`);
      out.username = decoded.slice(0, colon);
      out.password = decoded.slice(colon + 1);
    } else {
      if (entry.username) out.username = entry.username;
      if (entry.password) out.password = entry.password;
    }
    if (entry.identitytoken) out.identitytoken = entry.identitytoken;
    if (entry.registrytoken) out.registrytoken = entry.registrytoken;
    if (!out.username && !out.password && !out.identitytoken && !out.registrytoken) return undefined;
    return out;
  }

  private async fromHelper(name: string, server: string): Promise<AuthConfig | undefined> {
    if (!HELPER_NAME.test(name)) {
      throw error('build.credential-helper', `invalid credential helper name "${name}" in ${this.configPath ?? 'config.json'}`);
    }
    const program = `docker-credential-${name}`;
    let res: { code: number; stdout: string; stderr: string };
    try {
      res = await this.runner(program, server);
    } catch (e) {
      throw error('build.credential-helper', `credential helper ${program} could not be run: ${(e as Error).message}`);
    }
    if (res.code !== 0) {
      const msg = (res.stdout + res.stderr).trim();
      if (/credentials not found/i.test(msg)) return undefined;
      throw error('build.credential-helper', `credential helper ${program} failed for ${server}: ${msg || `exit code ${res.code}`}`);
    }
    let parsed: { Username?: string; Secret?: string; ServerURL?: string };
    try {
      parsed = JSON.parse(res.stdout) as typeof parsed;
    } catch {
      throw error('build.credential-helper', `credential helper ${program} returned invalid JSON for ${server}`);
    }
    if (!parsed.Secret && !parsed.Username) return undefined;
    if (parsed.Username === '<token>') return { identitytoken: parsed.Secret, serveraddress: server };
    return { username: parsed.Username, password: parsed.Secret, serveraddress: server };
  }
}

/** The Engine API's X-Registry-Auth value: base64url of the JSON auth config; `{}` when anonymous. */
export function registryAuthHeader(auth: AuthConfig | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
