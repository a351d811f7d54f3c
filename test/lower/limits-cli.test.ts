// Through the built CLI: a value or object the API server would refuse fails the conversion with exit 1, the
// file:line of the Compose key on stderr, nothing on stdout and no stack trace.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cliPath, ensureBuilt } from '../helpers/build.js';

beforeAll(ensureBuilt, 120_000);
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function convert(compose: string, ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'c2k-limits-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'compose.yaml'), compose);
  return spawnSync(process.execPath, ['--', cliPath, 'convert', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('convert refuses what the API server would refuse', () => {
  test('deploy.replicas beyond int32: exit 1, file:line, empty stdout', () => {
    const r = convert('services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 99999999999\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('compose.yaml:5:7: error: replicas 99999999999 is out of range: Kubernetes accepts 0 to 2147483647 (at services.web.deploy.replicas)');
    expect(r.stderr).not.toMatch(/^\s{4}at /m);
  });

  test('restart: on-failure with a huge retry count, in JSON output too', () => {
    const r = convert('services:\n  job:\n    image: busybox\n    restart: on-failure:99999999999\n', '--format', 'json');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^compose\.yaml:4:\d+: error: retry count \(backoffLimit\) 99999999999 is out of range/m);
  });

  test('a 5 MB environment value: exit 1 at the variable\'s line, nothing written', () => {
    const r = convert(`services:\n  web:\n    image: nginx\n    environment:\n      SMALL: "1"\n      BIG: "${'v'.repeat(5 * 1024 * 1024)}"\n`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^compose\.yaml:6:\d+: error: Deployment\/web is 5\.0 MiB serialized, but the API server stores objects of at most 1\.5 MiB/m);
    expect(r.stderr.length).toBeLessThan(4096);
  });
});
