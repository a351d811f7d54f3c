// Issue #13.5, as a user meets it: `convert` of a project whose services have `build:` must say, once per
// service and with the remedy, that the manifests name images no cluster can pull (image.local-only), in the
// warnings and in the report; `--strict` makes it an error. Through the built CLI (dist/cli.js).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, ensureBuilt } from '../helpers/build.js';

beforeAll(ensureBuilt, 120_000);

// docker/awesome-compose's react-express-mysql, cut down: two built services and a database.
const COMPOSE = `name: react-express-mysql
services:
  backend:
    build: backend
    depends_on: [db]
  frontend:
    build:
      context: frontend
    image: myorg/frontend:1
    ports: ["3000:3000"]
  api:
    build: backend
    image: registry.example.com/org/api:1
  db:
    image: mariadb:10
`;

const dir = mkdtempSync(join(tmpdir(), 'c2k-unpullable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
for (const d of ['backend', 'frontend']) {
  mkdirSync(join(dir, d));
  writeFileSync(join(dir, d, 'Dockerfile'), 'FROM scratch\n');
}
writeFileSync(join(dir, 'compose.yaml'), COMPOSE);

/** No engine here: a --build that got as far as the engine would fail on this socket. */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', DOCKER_HOST: `unix://${dir}/no-engine.sock` };
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--', cliPath, ...args], { cwd: dir, env: ENV, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
const codes = (stderr: string) => [...stderr.matchAll(/^compose\.yaml:(\d+):\d+: (warning|error|info): .*\(at (services\.[^)]+)\)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);

describe('convert: images that exist only where they are built', () => {
  it('warns once per service, at its build: line, with the remedy; writes the manifests', () => {
    const r = run('convert');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('image: react-express-mysql-backend');
    expect(codes(r.stderr)).toEqual(['4 warning services.backend.build', '7 warning services.frontend.build']);
    expect(r.stderr).toContain(
      'compose.yaml:4:5: warning: backend: the image react-express-mysql-backend exists only where build: makes it; no cluster can pull it (its pods would stay in ImagePullBackOff): build and push it with `convert --build --push --registry REGISTRY` (the manifests then pin its digest), or deploy with `compose2k8s up --registry REGISTRY` (at services.backend.build)',
    );
    expect(r.stderr).toMatch(/frontend: the image myorg\/frontend:1 is made by build: and not pushed by this command; a cluster pulls it from Docker Hub/);
    expect(r.stderr).not.toMatch(/api:|lower\.ignored/); // registry.example.com/...: a note, shown with COMPOSE2K8S_VERBOSE
  });

  it('--strict: exit 1, an error per service, nothing on stdout', () => {
    const r = run('convert', '--strict');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(codes(r.stderr)).toEqual(['4 error services.backend.build', '7 error services.frontend.build']);
    expect(r.stderr).not.toMatch(/^\s{4}at /m);
  });

  it('the report shows it: convert --report, --report-file and the report command', () => {
    const r = run('convert', '--report', '--report-file', 'report.json', '-o', 'out.yaml');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^services\.backend\.build +ignored +not built: the image react-express-mysql-backend exists only where it is built; build and push it/m);
    expect(r.stderr).toMatch(/^services\.api\.build +approximated +Deployment\/api image registry\.example\.com\/org\/api:1: not built here: pulled from registry\.example\.com/m);
    const entries = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { path: string; status: string }[];
    expect(entries.filter((e) => e.path.endsWith('.build')).map((e) => `${e.path} ${e.status}`)).toEqual([
      'services.api.build approximated',
      'services.backend.build ignored',
      'services.frontend.build ignored',
    ]);
    const md = run('report', '--format', 'md', '-o', 'report.md');
    expect(md.status).toBe(0);
    const page = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(page.match(/\| warning \| `image\.local-only` \|/g)).toHaveLength(2);
  });

  it('--build without --push: built into the local engine only, said per service before anything is built under --strict', () => {
    const r = run('convert', '--build', '--strict');
    expect(r.status).toBe(1);
    expect(codes(r.stderr)).toEqual(['12 error services.api.build', '4 error services.backend.build', '7 error services.frontend.build']);
    expect(r.stderr).toMatch(/backend: its image is built into the local Docker engine only/);
    expect(r.stderr).not.toMatch(/engine-unreachable|cannot reach the Docker engine/); // refused before the build
  });

  it('--build --push --registry: nothing to say about images (the build stage is reached)', async () => {
    // A registry that has nothing (404 to everything), so the build stage goes on to the (missing) engine at once.
    const registry = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((res) => registry.listen(0, '127.0.0.1', res));
    const port = (registry.address() as { port: number }).port;
    const child = spawn(process.execPath, ['--', cliPath, 'convert', '--build', '--push', '--registry', `127.0.0.1:${port}`, '--strict'], { cwd: dir, env: ENV });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const status = await new Promise<number | null>((res) => child.on('close', res));
    registry.close();
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).not.toContain('image.local-only');
    expect(stderr).not.toMatch(/exists only where|local Docker engine only/);
    expect(stderr).toMatch(/cannot reach the Docker engine/);
  }, 60_000);
});
