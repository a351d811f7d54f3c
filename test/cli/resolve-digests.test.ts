// Digest resolution as a user meets it, through the built CLI (dist/cli.js) and a registry on 127.0.0.1 that answers
// from a table: `convert` never asks a registry unless --resolve-digests; with it the manifests pin digests; a tag the
// registry lacks is an error naming the service, the image and its line; a client dry run stays off the network.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, ensureBuilt } from '../helpers/build.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';

function run(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--', cliPath, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('convert --resolve-digests, apply --dry-run=client', () => {
  let reg: FakeRegistry;
  let dir: string;
  let web: string;
  beforeAll(async () => {
    ensureBuilt();
    reg = await startFakeRegistry();
    web = reg.push('shop/web:1.2');
    dir = mkdtempSync(join(tmpdir(), 'c2k-resolve-'));
    writeFileSync(join(dir, 'compose.yaml'), `name: shop\nservices:\n  web:\n    image: ${reg.host}/shop/web:1.2\n  api:\n    image: ${reg.host}/shop/api:2\n`);
  }, 120_000);
  afterAll(async () => {
    await reg?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('convert alone never touches the network', async () => {
    const r = await run(['convert'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`image: ${reg.host}/shop/web:1.2\n`);
    expect(reg.requests).toEqual([]);
  });

  it('a tag the registry does not have: exit 1, the service, image and line, nothing on stdout', async () => {
    const r = await run(['convert', '--resolve-digests'], dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `compose.yaml:6:5: error: api: cannot resolve ${reg.host}/shop/api:2 to a digest: registry ${reg.host} has no tag 2 in shop/api; pass --no-resolve-digests to deploy the tags as written (at services.api.image)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--resolve-digests pins each image to the digest its tag points to now, and records the tag', async () => {
    const api = reg.push('shop/api:2');
    reg.requests.length = 0;
    const r = await run(['convert', '--resolve-digests'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`image: ${reg.host}/shop/web:1.2@${web}\n`);
    expect(r.stdout).toContain(`image: ${reg.host}/shop/api:2@${api}\n`);
    expect(r.stdout).toContain(`compose2k8s.io/image-tags: '{"web":"${reg.host}/shop/web:1.2"}'`);
    expect(reg.requests.sort()).toEqual(['HEAD /v2/shop/api/manifests/2', 'HEAD /v2/shop/web/manifests/1.2']);
  });

  it('apply --dry-run=client asks no registry and says the tags were not pinned', async () => {
    reg.requests.length = 0;
    const r = await run(['apply', '--dry-run=client'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(reg.requests).toEqual([]);
    expect(r.stderr).toContain(`warning: --dry-run=client: ${reg.host}/shop/api:2, ${reg.host}/shop/web:1.2 deployed by tag`);
  });
});
