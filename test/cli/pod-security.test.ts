// --pod-security on the command line, as a user runs it: convert fails at the file:line of every contradiction
// (or warns with --pod-security-mode warn, an error again with --strict), `check` only reports and exits 1 when a
// service is below, `convert --report` shows each service's level.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliPath, ensureBuilt } from '../helpers/build.js';

beforeAll(ensureBuilt, 120_000);

const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home' };
function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, ['--', cliPath, ...args], { cwd, env: { ...ENV, PWD: cwd }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Line numbers matter: the test asserts them.
const COMPOSE = `services:
  web:
    image: web:1
    user: "1000"
  tools:
    image: tools:1
    privileged: true
    user: "0"
    cap_add:
      - NET_BIND_SERVICE
      - SYS_PTRACE
    network_mode: host
`;

function project(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'c2k-psa-cli-'));
  writeFileSync(join(dir, 'compose.yaml'), text);
  return dir;
}

describe('convert --pod-security', () => {
  it('restricted: exit 1, nothing on stdout, one error per contradiction at its file:line with the rules it breaks', () => {
    const r = run(['convert', '--pod-security', 'restricted'], project(COMPOSE));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const errors = r.stderr.split('\n').filter((l) => l.includes('error:'));
    expect(errors.map((l) => l.replace(/: error: .*\(at /, ' ').replace(/\)$/, ''))).toEqual([
      'compose.yaml:12:5 services.tools.network_mode',
      'compose.yaml:7:5 services.tools.privileged',
      'compose.yaml:8:5 services.tools.user',
      'compose.yaml:11:9 services.tools.cap_add[1]',
    ]);
    expect(r.stderr).toContain('compose.yaml:7:5: error: tools: container "tools": securityContext.privileged=true breaks "Privileged Containers" (baseline: securityContext.privileged must be false or unset)');
    expect(r.stderr).toContain('"Running as Non-root user" (restricted: runAsUser must not be 0); required by --pod-security restricted');
    expect(r.stderr).not.toMatch(/^\s{4}at /m);
  });

  it('baseline: only what baseline forbids (root and NET_BIND_SERVICE are fine)', () => {
    const r = run(['convert', '--pod-security', 'baseline'], project(COMPOSE));
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n').filter((l) => l.includes('error:')).map((l) => l.split(': error')[0])).toEqual(['compose.yaml:12:5', 'compose.yaml:7:5', 'compose.yaml:11:9']);
  });

  it('--pod-security-mode warn converts and warns at the same lines; --strict makes them errors again', () => {
    const dir = project(COMPOSE);
    const warned = run(['convert', '--pod-security', 'restricted', '--pod-security-mode', 'warn', '-n', 'ops'], dir);
    expect(warned.status).toBe(0);
    expect(warned.stdout).toContain('privileged: true');
    expect(warned.stdout).toContain('pod-security.kubernetes.io/enforce: restricted');
    expect(warned.stderr).toContain('compose.yaml:7:5: warning: tools: container "tools": securityContext.privileged=true');
    expect(warned.stderr).toContain('(a namespace enforcing this level refuses its pods)');
    const strict = run(['convert', '--pod-security', 'restricted', '--pod-security-mode', 'warn', '--strict'], dir);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('compose.yaml:7:5: error: tools:');
  });

  it('x-kubernetes.podSecurity in the file, without the flag; the default (none) converts as before', () => {
    const dir = project(`x-kubernetes:\n  podSecurity: restricted\n${COMPOSE}    x-kubernetes:\n      podSecurity: none\n`);
    const r = run(['convert'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('runAsNonRoot: true');
    const plain = run(['convert'], project(COMPOSE));
    expect(plain.status).toBe(0);
    expect(plain.stdout).not.toContain('runAsNonRoot');
    expect(plain.stderr).toBe('');
  });

  it('an unknown level is a usage error', () => {
    const r = run(['convert', '--pod-security', 'strict'], project(COMPOSE));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Allowed choices are restricted, baseline, none");
  });

  it('--report shows each service: the level chosen, the level met as written, what stops the next one, notes', () => {
    const r = run(['convert', '--pod-security', 'restricted', '--pod-security-mode', 'warn', '--report'], project(COMPOSE));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('POD SECURITY (level chosen -> strictest level met as written)');
    expect(r.stderr).toContain('  tools: restricted -> privileged, below restricted:\n    compose.yaml:12:5: services.tools.network_mode: hostNetwork=true breaks "Host Namespaces"');
    expect(r.stderr).toContain('  web: restricted -> restricted\n');
  });
});

describe('check --pod-security', () => {
  it('reports every service and what breaks the level, writes no manifests, exit 1 when one is below', () => {
    const r = run(['check', '--pod-security', 'baseline'], project(COMPOSE));
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('apiVersion');
    expect(r.stdout).toContain('  tools: baseline -> privileged, below baseline:\n    compose.yaml:12:5: services.tools.network_mode:');
    expect(r.stdout).toContain('    compose.yaml:11:9: services.tools.cap_add[1]: container "tools": capabilities.add SYS_PTRACE breaks "Capabilities" (baseline:');
    expect(r.stdout).toContain('  web: baseline -> restricted\n');
    expect(r.stderr).not.toContain('error');
  });

  it('restricted by default; exit 0 when every service meets it (and shows what the image must do)', () => {
    const r = run(['check'], project('services:\n  web:\n    image: web:1\n    user: "1000"\n  api:\n    image: api:1\n'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'POD SECURITY (level chosen -> strictest level met as written)\n' +
        '  api: restricted -> restricted\n' +
        '    note: image api:1: its user is unknown at convert time; with runAsNonRoot the kubelet starts it only if its USER is a non-root uid (set a numeric USER in its Dockerfile, or user: "UID")\n' +
        '  web: restricted -> restricted\n',
    );
  });

  it('a broken compose file is still an error of its own (exit 1, located)', () => {
    const r = run(['check'], project('services:\n  web:\n    image: [1\n'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^compose\.yaml:\d+:\d+: error:/m);
  });
});
