// Paths a compose file points at: outside the project (`..`, absolute, through a symlink) warns, and fails with
// --restrict-paths; special files (FIFO, device) are never read, so nothing hangs; symlink loops in a
// bind-mounted directory end. Checked through the CLI (exit codes, messages, time) and in-process.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadProject } from '../../src/compose/loader.js';
import { readRegularFile } from '../../src/compose/paths.js';
import { Diagnostics, DiagnosticError } from '../../src/model/diagnostics.js';
import { cli, ensureBuilt, STACK_LINE, tempDir } from './cli-helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

beforeAll(() => ensureBuilt(), 120_000);

/** <tmp>/outside.txt next to the project <tmp>/proj, plus a FIFO and a symlink out. */
function project(compose: string, extra: (proj: string, top: string) => void = () => undefined): { proj: string; top: string } {
  const top = tempDir();
  dirs.push(top);
  const proj = join(top, 'proj');
  mkdirSync(proj);
  writeFileSync(join(top, 'outside.txt'), 'OUTSIDE=1\n');
  writeFileSync(join(proj, 'compose.yaml'), compose);
  extra(proj, top);
  return { proj, top };
}

const mkfifo = (p: string) => execFileSync('mkfifo', [p]);

function expectCleanFailure(r: ReturnType<typeof cli>, message: RegExp): void {
  expect(r.signal, 'the CLI must not hang').toBeNull();
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_LINE);
}

describe('special files are never read (no hang, clear error)', () => {
  const cases: { name: string; compose: string; setup: (proj: string) => void; message: RegExp; args?: string[] }[] = [
    { name: 'env_file is a FIFO', compose: 'services:\n  web:\n    image: nginx\n    env_file: pipe.env\n', setup: (p) => mkfifo(join(p, 'pipe.env')), message: /compose\.yaml:4:\d+: error: env_file .*pipe\.env is a FIFO: refusing to read it \(at services\.web\.env_file\[0\]\)/ },
    { name: 'env_file is /dev/zero', compose: 'services:\n  web:\n    image: nginx\n    env_file: /dev/zero\n', setup: () => undefined, message: /env_file \/dev\/zero is a character device: refusing to read it/ },
    { name: 'secret file is a FIFO', compose: 'services:\n  web:\n    image: nginx\n    secrets: [s]\nsecrets:\n  s:\n    file: ./pipe\n', setup: (p) => mkfifo(join(p, 'pipe')), message: /secret file .*pipe is a FIFO/, args: ['convert', '--secrets', 'inline'] },
    { name: 'config file is a FIFO', compose: 'services:\n  web:\n    image: nginx\n    configs: [c]\nconfigs:\n  c:\n    file: ./pipe\n', setup: (p) => mkfifo(join(p, 'pipe')), message: /config file .*pipe is a FIFO/, args: ['convert'] },
    { name: 'extends.file is a FIFO', compose: 'services:\n  web:\n    extends:\n      file: pipe.yaml\n      service: base\n', setup: (p) => mkfifo(join(p, 'pipe.yaml')), message: /pipe\.yaml.*is a FIFO; refusing to read it/ },
    { name: 'label_file is a FIFO', compose: 'services:\n  web:\n    image: nginx\n    label_file: pipe.labels\n', setup: (p) => mkfifo(join(p, 'pipe.labels')), message: /label_file .*pipe\.labels is a FIFO/ },
    { name: '--env-file is a FIFO', compose: 'services:\n  web:\n    image: nginx\n', setup: (p) => mkfifo(join(p, 'pipe.env')), message: /env file .*pipe\.env is a FIFO: refusing to read it/, args: ['config', '--env-file', 'pipe.env'] },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { proj } = project(c.compose, c.setup);
      const r = cli([...(c.args ?? ['config'])], proj, { timeout: 20_000 });
      expectCleanFailure(r, c.message);
      expect(r.ms).toBeLessThan(15_000);
    });
  }

  test('a .env that is a FIFO is not a regular file: ignored, as docker compose does, without hanging', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n', (p) => mkfifo(join(p, '.env')));
    const r = cli(['config'], proj, { timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
  });

  test('a bind-mounted FIFO or socket is not read: a warning, the mount becomes an emptyDir', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n    volumes:\n      - ./pipe:/p:ro\n', (p) => mkfifo(join(p, 'pipe')));
    const r = cli(['convert'], proj, { timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: bind mount source .*pipe is a FIFO/);
    expect(r.stdout).toContain('kind: Deployment');
    const strict = cli(['convert', '--restrict-paths'], proj, { timeout: 20_000 });
    expectCleanFailure(strict, /error: bind mount source .*pipe is a FIFO \(--restrict-paths\)/);
  });

  test('readRegularFile refuses a FIFO without opening it for a blocking read', () => {
    const d = tempDir();
    dirs.push(d);
    mkfifo(join(d, 'f'));
    expect(() => readRegularFile(join(d, 'f'))).toThrow(/is a FIFO/);
    expect(() => readRegularFile('/dev/zero')).toThrow(/character device/);
  });
});

describe('paths outside the project directory: warning by default, error with --restrict-paths', () => {
  const cases: { name: string; compose: string; setup?: (proj: string, top: string) => void; what: RegExp; args?: string[] }[] = [
    { name: 'env_file through ..', compose: 'services:\n  web:\n    image: nginx\n    env_file: ../outside.txt\n', what: /env_file .*outside\.txt is outside the project directory/ },
    { name: 'bind mount, absolute', compose: 'services:\n  web:\n    image: nginx\n    volumes: ["/etc/hostname:/h:ro"]\n', what: /bind mount source \/etc\/hostname is outside the project directory/ },
    {
      name: 'bind mount through a symlink inside the project',
      compose: 'services:\n  web:\n    image: nginx\n    volumes: ["./link:/l:ro"]\n',
      setup: (proj, top) => symlinkSync(join(top, 'outside.txt'), join(proj, 'link')),
      what: /bind mount source .*link \(through a symlink, to .*outside\.txt\) is outside the project directory/,
    },
    { name: 'secret file', compose: 'services:\n  web:\n    image: nginx\n    secrets: [s]\nsecrets:\n  s:\n    file: ../outside.txt\n', what: /secret file .*outside\.txt is outside the project directory/ },
    { name: 'config file', compose: 'services:\n  web:\n    image: nginx\n    configs: [c]\nconfigs:\n  c:\n    file: ../outside.txt\n', what: /config file .*outside\.txt is outside the project directory/ },
    { name: 'build context', compose: 'services:\n  web:\n    build: ..\n', what: /build context .* is outside the project directory/ },
    { name: 'dockerfile', compose: 'services:\n  web:\n    build:\n      context: .\n      dockerfile: ../outside.txt\n', what: /Dockerfile .*outside\.txt is outside the project directory/ },
    { name: 'label_file', compose: 'services:\n  web:\n    image: nginx\n    label_file: ../outside.txt\n', what: /label_file .*outside\.txt is outside the project directory/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { proj } = project(c.compose, c.setup);
      const warn = cli(['config'], proj);
      expect(warn.status, warn.stderr).toBe(0);
      expect(warn.stderr).toMatch(new RegExp(`compose\\.yaml:\\d+:\\d+: warning: ${c.what.source}`));
      const strict = cli(['config', '--restrict-paths'], proj);
      expectCleanFailure(strict, new RegExp(`compose\\.yaml:\\d+:\\d+: error: ${c.what.source}.*\\(--restrict-paths\\)`));
    });
  }

  test('paths inside the project are fine with --restrict-paths, symlinks inside included', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n    env_file: a.env\n    volumes: ["./conf:/conf:ro", "./alias:/a:ro"]\n', (p) => {
      writeFileSync(join(p, 'a.env'), 'A=1\n');
      mkdirSync(join(p, 'conf'));
      writeFileSync(join(p, 'conf', 'x.conf'), 'x\n');
      symlinkSync(join(p, 'conf'), join(p, 'alias'));
    });
    const r = cli(['convert', '--restrict-paths'], proj);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('in-process: restrictPaths turns the warnings into one DiagnosticError listing every path', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n    env_file: ../outside.txt\n    volumes: ["/etc/hostname:/h:ro"]\n');
    const d = new Diagnostics();
    loadProject({ cwd: proj, env: {}, diagnostics: d });
    expect(d.warnings.map((w) => [w.code, w.path])).toEqual([
      ['paths.outside-project', 'services.web.env_file[0]'],
      ['paths.outside-project', 'services.web.volumes[0]'],
    ]);
    let thrown: unknown;
    try {
      loadProject({ cwd: proj, env: {}, restrictPaths: true });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DiagnosticError);
    expect((thrown as DiagnosticError).diagnostics.map((x) => [x.code, x.line])).toEqual([
      ['paths.outside-project', 4],
      ['paths.outside-project', 5],
    ]);
  });

  test('a path shared by several services is reported for each of them, at its own line', () => {
    const { proj } = project('services:\n  a:\n    image: nginx\n    env_file: ../outside.txt\n  b:\n    image: nginx\n    env_file: ../outside.txt\n');
    const d = new Diagnostics();
    loadProject({ cwd: proj, env: {}, diagnostics: d });
    expect(d.warnings.map((w) => [w.code, w.path, w.line])).toEqual([
      ['paths.outside-project', 'services.a.env_file[0]', 4],
      ['paths.outside-project', 'services.b.env_file[0]', 7],
    ]);
  });
});

describe('symlink loops', () => {
  test('a loop inside a bind-mounted directory ends quickly (the directory is not turned into a ConfigMap)', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n    volumes: ["./conf:/conf:ro"]\n', (p) => {
      mkdirSync(join(p, 'conf', 'sub'), { recursive: true });
      writeFileSync(join(p, 'conf', 'a.conf'), 'a\n');
      symlinkSync('..', join(p, 'conf', 'sub', 'up'));
      symlinkSync('self', join(p, 'conf', 'self'));
    });
    const r = cli(['convert'], proj, { timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.ms).toBeLessThan(15_000);
    expect(r.stdout).toContain('kind: Deployment');
  });

  test('an env_file that is a symlink loop is a located error, not a hang', () => {
    const { proj } = project('services:\n  web:\n    image: nginx\n    env_file: loop.env\n', (p) => symlinkSync('loop.env', join(p, 'loop.env')));
    const r = cli(['config'], proj, { timeout: 20_000 });
    expectCleanFailure(r, /loop\.env/);
  });
});
