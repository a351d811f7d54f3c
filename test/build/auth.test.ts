import { chmodSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStore, registryAuthHeader, runHelper, type HelperRunner } from '../../src/build/auth.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials from the docker config', () => {
  it('decodes inline auths, matching URL-shaped keys by host', async () => {
    const store = new CredentialStore({ auths: { 'https://reg.example.com/v1/': { auth: b64('alice:p:w') }, 'https://index.docker.io/v1/': { auth: b64('bob:hub') } } });
    expect(await store.get('reg.example.com')).toEqual({ username: 'alice', password: 'p:w', serveraddress: 'reg.example.com' });
    expect(await store.get('docker.io')).toMatchObject({ username: 'bob', serveraddress: 'https://index.docker.io/v1/' });
    expect(await store.get('other.io')).toBeUndefined();
  });

  it('asks credHelpers over credsStore, passing the server on stdin', async () => {
    const calls: [string, string][] = [];
    const runner: HelperRunner = async (program, server) => {
      calls.push([program, server]);
      if (program === 'docker-credential-ecr-login') return { code: 0, stdout: JSON.stringify({ ServerURL: server, Username: 'AWS', Secret: 'tok' }), stderr: '' };
      if (program === 'docker-credential-desktop' && server === 'ghcr.io') return { code: 0, stdout: JSON.stringify({ Username: '<token>', Secret: 'refresh' }), stderr: '' };
      return { code: 1, stdout: 'credentials not found in native keychain', stderr: '' };
    };
    const store = new CredentialStore({ credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' }, credsStore: 'desktop' }, runner);
    expect(await store.get('123.dkr.ecr.us-east-1.amazonaws.com')).toEqual({ username: 'AWS', password: 'tok', serveraddress: '123.dkr.ecr.us-east-1.amazonaws.com' });
    expect(await store.get('ghcr.io')).toEqual({ identitytoken: 'refresh', serveraddress: 'ghcr.io' });
    expect(await store.get('quay.io')).toBeUndefined();
    await store.get('ghcr.io'); // cached
    expect(calls.filter(([, s]) => s === 'ghcr.io')).toHaveLength(1);
  });

  it('rejects helper names that could escape the docker-credential- prefix', async () => {
    const store = new CredentialStore({ credsStore: '../../bin/sh' }, async () => ({ code: 0, stdout: '{}', stderr: '' }));
    const e = await store.get('x.io').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).diagnostics[0]!.code).toBe('build.credential-helper');
  });

  it('reports a failing helper', async () => {
    const store = new CredentialStore({ credsStore: 'pass' }, async () => ({ code: 1, stdout: '', stderr: 'gpg: decryption failed' }));
    await expect(store.get('x.io')).rejects.toThrow(/docker-credential-pass failed for x\.io: gpg: decryption failed/);
  });

  it('encodes X-Registry-Auth as base64url JSON, {} when anonymous', () => {
    expect(Buffer.from(registryAuthHeader(undefined), 'base64').toString()).toBe('{}');
    expect(registryAuthHeader({ username: 'u', password: '??>' })).not.toMatch(/[+/]/);
  });
});

describe('the credential helper protocol with a real process', () => {
  let dir: string;
  let oldPath: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'c2k-cred-'));
    // A helper that records its argv and stdin, then answers like docker-credential-helpers.
    const script = `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\nprintf '{"ServerURL":"x","Username":"u","Secret":"s"}'\n`;
    writeFileSync(join(dir, 'docker-credential-fake'), script);
    chmodSync(join(dir, 'docker-credential-fake'), 0o755);
    oldPath = process.env.PATH;
    process.env.PATH = `${dir}:${oldPath}`;
  });
  afterAll(() => {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs `docker-credential-<name> get` without a shell, the server only on stdin', async () => {
    const hostile = 'evil.io; touch /tmp/pwned $(id) --help';
    const res = await runHelper('docker-credential-fake', hostile);
    expect(res.code).toBe(0);
    expect(readFileSync(join(dir, 'argv'), 'utf8')).toBe('get\n');
    expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe(hostile);
    expect(existsSync('/tmp/pwned')).toBe(false);
    const store = new CredentialStore({ credsStore: 'fake' });
    expect(await store.get('reg.io')).toEqual({ username: 'u', password: 's', serveraddress: 'reg.io' });
  });

  it('a missing helper is a clear error', async () => {
    const store = new CredentialStore({ credsStore: 'does-not-exist' });
    await expect(store.get('reg.io')).rejects.toThrow(/docker-credential-does-not-exist could not be run/);
  });
});
