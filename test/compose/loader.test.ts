// Loader-level tests: loadProject() on real files in a temporary directory per case. The facts come from
// compose-go's cli/options_test.go and loader/*_test.go, and from what docker compose v5.5.1 does (the
// differential test checks the same behaviour end to end on fixtures/loader/**).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withDependencies } from '../../src/cli/config.js';
import { loadProject, type LoadOptions } from '../../src/compose/loader.js';
import { withoutUnusedResources } from '../../src/compose/unused.js';
import { composeConfigObject } from '../../src/emit/compose-config.js';
import { DiagnosticError, Diagnostics, type Diagnostic } from '../../src/model/diagnostics.js';
import type { LoadedProject } from '../../src/model/project.js';
import { corpusDir } from '../helpers/corpus.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) {
    try {
      chmodSync(r, 0o755);
    } catch {
      // already gone
    }
    rmSync(r, { recursive: true, force: true });
  }
});

/** Writes `files` under a fresh `<tmp>/<dirName>` and returns that directory. */
function project(files: Record<string, string>, dirName = 'proj'): string {
  const root = mkdtempSync(join(tmpdir(), 'c2k-loader-'));
  roots.push(root);
  const dir = join(root, dirName);
  mkdirSync(dir, { recursive: true });
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

/** Only what a case sets: no variable of the test runner's own environment may leak in. */
const BASE_ENV = { PATH: '/usr/bin:/bin' };

type Loaded = LoadedProject & { diagnostics: Diagnostics };

function load(dir: string, o: Partial<LoadOptions> = {}, env: Record<string, string> = {}): Loaded {
  const diagnostics = new Diagnostics();
  const loaded = loadProject({ cwd: dir, ...o, env: { ...BASE_ENV, ...env }, diagnostics });
  return { ...loaded, diagnostics };
}

function loadError(dir: string, o: Partial<LoadOptions> = {}, env: Record<string, string> = {}): Diagnostic {
  try {
    load(dir, o, env);
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('expected the load to fail');
}

const SIMPLE = 'services:\n  simple:\n    image: nginx\n';
const NAME_ERROR = (n: string) =>
  `invalid project name "${n}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`;

describe('project name (TestProjectName)', () => {
  it('takes -p as given', () => {
    expect(load(project({ 'compose.yaml': SIMPLE }), { projectName: 'my_project' }).project.name).toBe('my_project');
  });

  it('accepts a name that starts with a digit, from -p and from COMPOSE_PROJECT_NAME', () => {
    const dir = project({ 'compose.yaml': SIMPLE });
    expect(load(dir, { projectName: '42my_project_num' }).project.name).toBe('42my_project_num');
    expect(load(dir, {}, { COMPOSE_PROJECT_NAME: '42my_project_env' }).project.name).toBe('42my_project_env');
  });

  for (const bad of ['-my_project', '_my_project', 'www.my.project', 'MY_PROJECT']) {
    it(`rejects ${JSON.stringify(bad)} from -p and from COMPOSE_PROJECT_NAME with docker compose's text`, () => {
      const dir = project({ 'compose.yaml': SIMPLE });
      expect(loadError(dir, { projectName: bad }).message).toBe(NAME_ERROR(bad));
      expect(loadError(dir, {}, { COMPOSE_PROJECT_NAME: bad }).message).toBe(NAME_ERROR(bad));
    });
  }

  it('rejects an invalid COMPOSE_PROJECT_NAME that comes from .env', () => {
    const dir = project({ 'compose.yaml': SIMPLE, '.env': 'COMPOSE_PROJECT_NAME=Bad.Name\n' });
    expect(loadError(dir).message).toBe(NAME_ERROR('Bad.Name'));
  });

  it('uses the base name of --project-directory', () => {
    const dir = project({ 'compose.yaml': SIMPLE }, 'cli');
    expect(load(dir, { projectDirectory: '.' }).project.name).toBe('cli');
  });

  it("uses the compose file's parent directory", () => {
    const dir = project({ 'simple/compose.yaml': SIMPLE }, 'outer');
    expect(load(dir, { files: ['simple/compose.yaml'] }).project.name).toBe('simple');
  });

  it('takes COMPOSE_PROJECT_NAME from the OS environment', () => {
    const dir = project({ 'compose.yaml': 'name: from-file\n' + SIMPLE });
    expect(load(dir, {}, { COMPOSE_PROJECT_NAME: 'my_project_from_env' }).project.name).toBe('my_project_from_env');
  });

  it('takes COMPOSE_PROJECT_NAME from .env, over `name:`', () => {
    const dir = project({ 'compose.yaml': 'name: from-file\n' + SIMPLE, '.env': 'COMPOSE_PROJECT_NAME=my_project_from_dot_env\n' });
    expect(load(dir).project.name).toBe('my_project_from_dot_env');
  });

  it('prefers -p over COMPOSE_PROJECT_NAME and `name:`', () => {
    const dir = project({ 'compose.yaml': 'name: from-file\n' + SIMPLE });
    expect(load(dir, { projectName: 'flag' }, { COMPOSE_PROJECT_NAME: 'env' }).project.name).toBe('flag');
  });

  it('interpolates `name:` (compose-name.yaml: test-${TEST}-test)', () => {
    const dir = project({ 'compose.yaml': 'name: test-${TEST}-test\n' + SIMPLE });
    expect(load(dir, {}, { TEST: 'expected' }).project.name).toBe('test-expected-test');
  });

  it('normalizes `name:` instead of rejecting it', () => {
    const dir = project({ 'compose.yaml': 'name: "-My Project.V2_x"\n' + SIMPLE });
    expect(load(dir).project.name).toBe('myprojectv2_x');
  });

  it('keeps the last non-empty `name:` across files (TestProjectNameInterpolation)', () => {
    const dir = project({
      'a.yaml': 'name: first\n' + SIMPLE,
      'b.yaml': 'name: ${OVERRIDE:-overrided}\n',
      'c.yaml': 'name: ""\nservices: {}\n',
    });
    expect(load(dir, { files: ['a.yaml', 'b.yaml', 'c.yaml'] }).project.name).toBe('overrided');
  });

  it('normalizes the directory base name: "UNNORMALIZED PATH" gives unnormalizedpath', () => {
    const dir = project({ 'compose.yaml': SIMPLE }, 'UNNORMALIZED PATH');
    expect(load(dir).project.name).toBe('unnormalizedpath');
  });

  it.skipIf(!corpusDir)('normalizes the corpus directory cli/testdata/UNNORMALIZED PATH', () => {
    const dir = join(corpusDir!, 'compose-go/cli/testdata/UNNORMALIZED PATH');
    expect(load(dir, { files: [join(dir, 'compose.yaml')] }).project.name).toBe('unnormalizedpath');
  });

  it('fails with "project name must not be empty" when nothing gives a name (project directory /)', () => {
    const dir = project({ 'compose.yaml': SIMPLE });
    expect(loadError(dir, { files: ['compose.yaml'], projectDirectory: '/' }).message).toBe('project name must not be empty');
    const underscores = project({ 'compose.yaml': SIMPLE }, '__');
    expect(loadError(underscores).message).toBe('project name must not be empty');
  });

  it('sets COMPOSE_PROJECT_NAME to the resolved name for interpolation (docker/compose#11734)', () => {
    const dir = project({ 'compose.yaml': 'name: Resolved\nservices:\n  web:\n    image: web\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n' });
    const p = load(dir, {}, {}).project;
    expect(p.services.web!.container_name).toBe('resolved-web');
    const withFlag = load(dir, { projectName: 'flagged' }, { COMPOSE_PROJECT_NAME: 'ignored' }).project;
    expect(withFlag.services.web!.container_name).toBe('flagged-web');
  });
});

describe('project environment', () => {
  it('lets the OS environment win over .env, and .env references see the OS value (TestEnvVariablePrecedence)', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a:\n    image: a\n    environment:\n      FOO: ${FOO}\n      BAR: ${BAR}\n',
      '.env': 'FOO=bar\nBAR=${FOO}\n',
    });
    const p = load(dir, {}, { FOO: 'zot' });
    expect(p.project.services.a!.environment).toEqual({ FOO: 'zot', BAR: 'zot' });
    expect(p.source.environment.FOO).toBe('zot');
    expect(load(dir).project.services.a!.environment).toEqual({ FOO: 'bar', BAR: 'bar' });
  });

  it('reads COMPOSE_FILE from .env, split on ":"', () => {
    const dir = project({
      'one.yaml': 'services:\n  one:\n    image: one\n',
      'two.yaml': 'services:\n  two:\n    image: two\n',
      '.env': 'COMPOSE_FILE=one.yaml:two.yaml\n',
    });
    const p = load(dir);
    expect(Object.keys(p.project.services).sort()).toEqual(['one', 'two']);
    expect(p.source.composeFiles).toEqual([join(dir, 'one.yaml'), join(dir, 'two.yaml')]);
  });

  it('splits COMPOSE_FILE on COMPOSE_PATH_SEPARATOR', () => {
    const dir = project({
      'one.yaml': 'services:\n  one:\n    image: one\n',
      'two.yaml': 'services:\n  two:\n    image: two\n',
      '.env': 'COMPOSE_PATH_SEPARATOR=,\nCOMPOSE_FILE=one.yaml,two.yaml\n',
    });
    expect(Object.keys(load(dir).project.services).sort()).toEqual(['one', 'two']);
  });

  it('ignores COMPOSE_FILE when -f is given', () => {
    const dir = project({ 'one.yaml': 'services:\n  one:\n    image: one\n', 'compose.yaml': SIMPLE, '.env': 'COMPOSE_FILE=one.yaml\n' });
    expect(Object.keys(load(dir, { files: ['compose.yaml'] }).project.services)).toEqual(['simple']);
  });

  const ENV_COMPOSE = 'services:\n  a:\n    image: a\n    environment:\n      V: ${V}\n      W: ${W:-unset}\n';

  it('reads several --env-file in order, the later winning (TestProjectWithMultipleEnvFile)', () => {
    const dir = project({ 'compose.yaml': ENV_COMPOSE, 'a.env': 'V=from-a\nW=w-from-a\n', 'b.env': 'V=from-b\n', '.env': 'V=dotenv\n' });
    expect(load(dir, { envFiles: ['a.env', 'b.env'] }).project.services.a!.environment).toEqual({ V: 'from-b', W: 'w-from-a' });
    expect(load(dir, { envFiles: ['b.env', 'a.env'] }).project.services.a!.environment).toEqual({ V: 'from-a', W: 'w-from-a' });
  });

  it('does not read .env when --env-file is given', () => {
    const dir = project({ 'compose.yaml': ENV_COMPOSE, 'b.env': 'W=b\n', '.env': 'V=dotenv\n' });
    expect(load(dir, { envFiles: ['b.env'] }).project.services.a!.environment).toEqual({ V: '', W: 'b' });
  });

  it('ignores .env with COMPOSE_DISABLE_ENV_FILE=true', () => {
    const dir = project({ 'compose.yaml': ENV_COMPOSE, '.env': 'V=dotenv\n' });
    expect(load(dir, {}, { COMPOSE_DISABLE_ENV_FILE: 'true' }).project.services.a!.environment).toEqual({ V: '', W: 'unset' });
    expect(load(dir, {}, { COMPOSE_DISABLE_ENV_FILE: 'false' }).project.services.a!.environment).toEqual({ V: 'dotenv', W: 'unset' });
  });

  it('takes the env files from COMPOSE_ENV_FILES (comma-separated)', () => {
    const dir = project({ 'compose.yaml': ENV_COMPOSE, 'a.env': 'V=a\nW=a\n', 'b.env': 'V=b\n', '.env': 'V=dotenv\n' });
    expect(load(dir, {}, { COMPOSE_ENV_FILES: 'a.env,b.env' }).project.services.a!.environment).toEqual({ V: 'b', W: 'a' });
  });

  it('fails on an explicit env file that does not exist', () => {
    const dir = project({ 'compose.yaml': ENV_COMPOSE });
    expect(loadError(dir, { envFiles: ['nope.env'] }).message).toBe(`couldn't find env file: ${join(dir, 'nope.env')}`);
  });

  it('reads the project directory .env of --project-directory and resolves paths there', () => {
    const dir = project({
      'files/compose.yaml': 'services:\n  a:\n    image: ${IMG}\n    build: ./ctx\n',
      'pd/.env': 'IMG=from-project-dir\n',
      'files/.env': 'IMG=from-file-dir\n',
    });
    const p = load(dir, { files: ['files/compose.yaml'], projectDirectory: 'pd' });
    expect(p.project.services.a!.image).toBe('from-project-dir');
    expect(p.project.services.a!.build!.context).toBe(join(dir, 'pd', 'ctx'));
    expect(p.project.name).toBe('pd');
  });
});

describe('compose files', () => {
  it('reads -f - from stdin, with the working directory as project directory', () => {
    const dir = project({ '.env': 'TAG=stdin-tag\n' }, 'fromstdin');
    const p = load(dir, { files: ['-'], readStdin: () => 'services:\n  s:\n    image: app:${TAG}\n    build: ./ctx\n' });
    expect(p.project.name).toBe('fromstdin');
    expect(p.project.services.s!.image).toBe('app:stdin-tag');
    expect(p.project.services.s!.build!.context).toBe(join(dir, 'ctx'));
  });

  it('discovers compose.yaml upwards from a subdirectory and adds the override file next to it', () => {
    const dir = project({
      'compose.yaml': 'services:\n  web:\n    image: web\n    environment:\n      FROM: base\n',
      'compose.override.yaml': 'services:\n  web:\n    environment:\n      FROM: override\n',
      'sub/deeper/.keep': '',
    }, 'discovered');
    const p = load(join(dir, 'sub', 'deeper'));
    expect(p.source.composeFiles).toEqual([join(dir, 'compose.yaml'), join(dir, 'compose.override.yaml')]);
    expect(p.project.services.web!.environment).toEqual({ FROM: 'override' });
    expect(p.project.name).toBe('discovered');
    expect(p.source.workingDir).toBe(dir);
  });

  it('warns when several default file names exist and uses compose.yaml', () => {
    const dir = project({ 'compose.yaml': SIMPLE, 'docker-compose.yml': 'services:\n  other:\n    image: other\n' });
    const p = load(dir);
    expect(Object.keys(p.project.services)).toEqual(['simple']);
    const w = p.diagnostics.warnings.find((d) => d.code === 'files.multiple');
    expect(w?.message).toContain(`Found multiple config files with supported names: ${join(dir, 'compose.yaml')}, ${join(dir, 'docker-compose.yml')}`);
    expect(w?.message).toContain(`Using ${join(dir, 'compose.yaml')}`);
  });

  it('fails when no compose file is found', () => {
    const dir = project({ 'README.md': 'nothing here' });
    const root = dirname(dir);
    // Nothing above the temporary root may hold a compose file for this to be meaningful.
    if (['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'].some((n) => existsSync(join(dirname(root), n)))) return;
    expect(loadError(dir).code).toBe('files.not-found');
  });

  it('merges the documents of a multi-document file like override files (TestLoadMulmtiDocumentYaml)', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a:\n    image: a:1\n    ports: ["80:80"]\n---\nservices:\n  a:\n    image: a:2\n    ports: ["443:443"]\n',
    });
    const a = load(dir).project.services.a!;
    expect(a.image).toBe('a:2');
    expect(a.ports!.map((p) => p.target)).toEqual([80, 443]);
  });

  it('merges onto one use of a YAML alias without changing the other uses', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a:\n    image: x\n    environment: &env\n      A: "1"\n    volumes: &vols ["./d:/d"]\n  b:\n    image: y\n    environment: *env\n    volumes: *vols\n',
      'compose.override.yaml': 'services:\n  a:\n    environment:\n      B: "2"\n    volumes: ["./e:/e"]\n---\nservices:\n  b:\n    environment:\n      C: "3"\n',
    });
    const { a, b } = load(dir).project.services;
    expect(a!.environment).toEqual({ A: '1', B: '2' });
    expect(a!.volumes!.map((v) => v.target)).toEqual(['/d', '/e']);
    expect(b!.environment).toEqual({ A: '1', C: '3' });
    expect(b!.volumes!.map((v) => v.target)).toEqual(['/d']);
  });

  it('extends one service twice and a merged service once more, each copy on its own', () => {
    const dir = project({
      'compose.yaml': 'services:\n  base:\n    image: x\n    environment: {A: "1"}\n  one:\n    extends: base\n    environment: {B: "2"}\n  two:\n    extends: one\n    environment: {C: "3"}\n',
      'compose.override.yaml': 'services:\n  one:\n    environment: {D: "4"}\n',
    });
    const s = load(dir).project.services;
    expect(s.base!.environment).toEqual({ A: '1' });
    expect(s.one!.environment).toEqual({ A: '1', B: '2', D: '4' });
    expect(s.two!.environment).toEqual({ A: '1', B: '2', C: '3' });
  });

  it('accepts dots in service names (TestServiceNameWithDots)', () => {
    const dir = project({ 'compose.yaml': 'services:\n  service.with.dots:\n    image: x\n  other:\n    image: y\n    depends_on: [service.with.dots]\n' });
    const p = load(dir).project;
    expect(Object.keys(p.services).sort()).toEqual(['other', 'service.with.dots']);
    expect(Object.keys(p.services.other!.depends_on!)).toEqual(['service.with.dots']);
  });
});

describe('include and extends errors', () => {
  it('reports an include cycle with every file of the chain', () => {
    const dir = project({
      'compose.yaml': 'include:\n  - a.yaml\nservices:\n  root:\n    image: r\n',
      'a.yaml': 'include:\n  - b.yaml\nservices:\n  a:\n    image: a\n',
      'b.yaml': 'include:\n  - a.yaml\nservices:\n  b:\n    image: b\n',
    });
    const d = loadError(dir);
    expect(d.code).toBe('include.cycle');
    expect(d.message).toBe(
      `include cycle detected:\n${join(dir, 'compose.yaml')}\n include ${join(dir, 'a.yaml')}\n include ${join(dir, 'b.yaml')}\n include ${join(dir, 'a.yaml')}`,
    );
    expect(d.file).toBe(join(dir, 'b.yaml'));
    expect(d.line).toBe(2);
  });

  it('reports an extends cycle like compose-go', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    extends: b\n    image: a\n  b:\n    extends: a\n' });
    const f = join(dir, 'compose.yaml');
    const d = loadError(dir);
    expect(d.code).toBe('extends.cycle');
    expect(d.message).toBe(`Circular reference:\n  a in ${f}\n  extends b in ${f}\n  extends a in ${f}`);
    expect(d.path).toBe('services.a.extends');
    expect(d.line).toBe(3);
  });

  it('reports an extended service that does not exist', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    extends:\n      service: nowhere\n' });
    const d = loadError(dir);
    expect(d.message).toBe(`cannot extend service "a" in ${join(dir, 'compose.yaml')}: service "nowhere" not found`);
    expect(d.line).toBe(4);
  });

  it('reports an extended file that does not exist', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    extends:\n      file: missing.yaml\n      service: b\n' });
    const d = loadError(dir);
    expect(d.message).toContain(join(dir, 'missing.yaml'));
    expect(d.message).toContain('no such file or directory');
  });

  it('extends a service of an included file (TestIncludeWithExtends)', () => {
    const dir = project({
      'compose.yaml': 'include:\n  - inc/inc.yaml\nservices:\n  local:\n    extends: base\n    environment:\n      WHO: local\n',
      'inc/inc.yaml': 'services:\n  base:\n    image: base\n    build: ./ctx\n    environment:\n      WHO: base\n      KEEP: "1"\n',
    });
    const local = load(dir).project.services.local!;
    expect(local.image).toBe('base');
    expect(local.environment).toEqual({ WHO: 'local', KEEP: '1' });
    expect(local.build!.context).toBe(join(dir, 'inc', 'ctx'));
  });
});

describe('diagnostics point at the input', () => {
  it('gives file, line and compose path for a missing required variable', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    environment:\n      NEEDED: ${MUST:?set MUST please}\n' });
    const d = loadError(dir);
    expect(d.code).toBe('interpolate.required');
    expect(d.message).toBe('error while interpolating services.a.environment.NEEDED: required variable MUST is missing a value: set MUST please');
    expect(d).toMatchObject({ file: join(dir, 'compose.yaml'), line: 5, path: 'services.a.environment.NEEDED' });
  });

  it('gives both lines of a duplicate key, in go-yaml words', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    command: one\n    command: two\n' });
    const d = loadError(dir);
    expect(d.code).toBe('yaml.duplicate-key');
    expect(d.message).toBe('mapping key "command" already defined at line 4');
    expect(d).toMatchObject({ file: join(dir, 'compose.yaml'), line: 5 });
  });

  it('points a schema error at the offending key', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    secrets:\n      - source: s\n        uid: 1000\nsecrets:\n  s:\n    file: ./x\n' });
    const d = loadError(dir);
    expect(d.message).toMatch(/services\.a\.secrets\.0\.(uid|gid) must be a string/);
    expect(d.line).toBe(6);
  });
});

describe('YAML 1.1 leftovers and casts', () => {
  it('casts `init: yes` to true with a warning (TestLoadLegacyBoolean)', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    init: yes\n' });
    const p = load(dir);
    expect(p.project.services.a!.init).toBe(true);
    const warnings = p.diagnostics.warnings.map((w) => w.message);
    expect(warnings).toContain('"yes" for boolean is not supported by YAML 1.2, please use `true`');
  });

  it('reads an unquoted 0440 as octal and "0440" as an octal string', () => {
    const dir = project({
      'compose.yaml':
        'services:\n  a:\n    image: a\n    secrets:\n      - source: s\n        target: /one\n        mode: 0440\n      - source: s\n        target: /two\n        mode: "0440"\n      - source: s\n        target: /three\n        mode: 0o440\nsecrets:\n  s:\n    file: ./s\n',
    });
    expect(load(dir).project.services.a!.secrets!.map((s) => s.mode)).toEqual([0o440, 0o440, 0o440]);
  });

  it('casts every typed path set from variables (TestLoadWithInterpolationCastFull)', () => {
    const dir = project({
      'compose.yaml': `services:
  app:
    image: app
    ports:
      - target: $theint
        published: "$theint"
    privileged: $thebool
    read_only: $thebool
    stdin_open: \${thebool}
    tty: $thebool
    init: $thebool
    cpu_count: $theint
    cpu_percent: $theint
    cpu_period: $theint
    cpu_quota: $theint
    cpu_shares: $theint
    cpus: $thefloat
    oom_score_adj: $theint
    pids_limit: $theint
    mem_limit: $thesize
    stop_grace_period: $theduration
    healthcheck:
      test: ["CMD", "true"]
      retries: $theint
      interval: $theduration
      disable: $thefalse
    deploy:
      replicas: $theint
      update_config:
        parallelism: $theint
        max_failure_ratio: $thefloat
      restart_policy:
        max_attempts: $theint
      resources:
        limits:
          cpus: $thefloat
          pids: $theint
          memory: $thesize
    ulimits:
      nproc: $theint
      nofile:
        soft: $theint
        hard: $theint
    volumes:
      - type: volume
        source: v
        target: /v
        read_only: $thebool
        volume:
          nocopy: $thebool
    depends_on:
      db:
        condition: service_started
        required: $thefalse
        restart: $thebool
  db:
    image: db
volumes:
  v:
    external: $thefalse
networks:
  default:
    attachable: $thebool
    internal: $thefalse
`,
    });
    const env = { theint: '55', thebool: 'true', thefalse: 'false', thefloat: '0.5', thesize: '2gb', theduration: '1m30s' };
    const p = load(dir, {}, env).project;
    const a = p.services.app!;
    expect(a.ports![0]).toMatchObject({ target: 55, published: '55' });
    expect([a.privileged, a.read_only, a.stdin_open, a.tty, a.init]).toEqual([true, true, true, true, true]);
    expect([a.cpu_count, a.cpu_percent, a.cpu_period, a.cpu_quota, a.cpu_shares, a.oom_score_adj, a.pids_limit]).toEqual([55, 55, 55, 55, 55, 55, 55]);
    expect(a.cpus).toBe(0.5);
    expect(a.mem_limit).toBe(2 * 1024 ** 3);
    expect(a.stop_grace_period).toBe('1m30s');
    expect(a.healthcheck).toMatchObject({ retries: 55, interval: '1m30s' });
    expect(a.healthcheck!.disable ?? false).toBe(false);
    expect(a.deploy!.replicas).toBe(55);
    expect(a.deploy!.update_config).toMatchObject({ parallelism: 55, max_failure_ratio: 0.5 });
    expect(a.deploy!.restart_policy!.max_attempts).toBe(55);
    expect(a.deploy!.resources!.limits).toMatchObject({ cpus: 0.5, pids: 55, memory: 2 * 1024 ** 3 });
    expect(a.ulimits).toEqual({ nproc: { single: 55 }, nofile: { soft: 55, hard: 55 } });
    expect(a.volumes![0]).toMatchObject({ read_only: true, volume: { nocopy: true } });
    expect(a.depends_on!.db).toMatchObject({ required: false, restart: true });
    expect(p.volumes!.v!.external ?? false).toBe(false);
    expect(p.networks!.default).toMatchObject({ attachable: true });
  });

  it('words cast failures like docker compose', () => {
    const cases: [string, string][] = [
      ['privileged: maybe', 'error while interpolating services.a.privileged: failed to cast to expected type: invalid boolean: maybe'],
      ['cpus: lots', 'error while interpolating services.a.cpus: failed to cast to expected type: strconv.ParseFloat: parsing "lots": invalid syntax'],
      ['cpu_count: ${X:-many}', 'error while interpolating services.a.cpu_count: failed to cast to expected type: strconv.ParseInt: parsing "many": invalid syntax'],
    ];
    for (const [line, message] of cases) {
      const dir = project({ 'compose.yaml': `services:\n  a:\n    image: a\n    ${line}\n` });
      expect(loadError(dir)).toMatchObject({ message, line: 4 });
    }
  });

  it('refuses a typed path whose variable is not of the type', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    privileged: $flag\n' });
    const d = loadError(dir, {}, { flag: 'maybe' });
    expect(d.code).toBe('cast.bool');
    expect(d).toMatchObject({ path: 'services.a.privileged', line: 4 });
  });
});

describe('label_file', () => {
  it('loads label files in order under the explicit labels, without variables', () => {
    const dir = project({
      'compose.yaml': 'services:\n  a:\n    image: a\n    label_file: [a.labels, ./b.labels]\n    labels:\n      explicit: "1"\n      shared: explicit\n',
      'a.labels': 'one=1\nshared=a\nref=${HOME}\n',
      'b.labels': 'one=2\n',
      '.env': 'HOME=/home/should-not-be-seen\n',
    });
    const p = load(dir);
    expect(p.project.services.a!.labels).toEqual({ one: '2', shared: 'explicit', explicit: '1', ref: '' });
    expect(p.diagnostics.warnings.some((w) => w.message === 'The "HOME" variable is not set. Defaulting to a blank string.')).toBe(true);
  });

  it('fails on a missing label file', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    label_file: missing.labels\n' });
    const d = loadError(dir);
    expect(d.message).toBe(`label file ${join(dir, 'missing.labels')} not found: stat ${join(dir, 'missing.labels')}: no such file or directory`);
  });
});

describe('symlinked project directory', () => {
  it('names the project after the directory as given, not its target', () => {
    const dir = project({ 'real/compose.yaml': SIMPLE });
    symlinkSync(join(dir, 'real'), join(dir, 'linked'));
    const p = load(join(dir, 'linked'), { files: ['compose.yaml'] });
    expect(p.project.name).toBe('linked');
    expect(p.diagnostics.warnings.map((w) => w.message)).toContain('project has been loaded without an explicit name from a symlink. Using name "linked"');
    expect(load(join(dir, 'real'), { files: ['compose.yaml'] }).diagnostics.warnings).toEqual([]);
  });
});

describe('YAML as go-yaml reads it', () => {
  it('lets a document use an anchor defined in an earlier document of the same file', () => {
    const dir = project({ 'compose.yaml': 'x-a: &a\n  image: shared\nservices:\n  one: *a\n---\nservices:\n  two: *a\n' });
    const p = load(dir).project;
    expect(p.services.two!.image).toBe('shared');
    expect(p.services.one!.image).toBe('shared');
  });

  it('still refuses an anchor that no document defines', () => {
    const dir = project({ 'compose.yaml': 'services:\n  one: *nowhere\n' });
    expect(loadError(dir)).toMatchObject({ code: 'yaml.unknown-anchor', line: 2 });
  });

  it('turns unquoted YAML 1.1 timestamps into Go Time.String() text', () => {
    const dir = project({
      'compose.yaml':
        'services:\n  a:\n    image: a\n    environment:\n      D: 2024-01-15\n      Z: 2024-01-15T10:20:30Z\n      O: 2001-12-14t21:59:43.10-05:00\n      Q: "2024-01-15"\n      BAD: 2024-13-01\n',
    });
    expect(load(dir).project.services.a!.environment).toEqual({
      D: '2024-01-15 00:00:00 +0000 UTC',
      Z: '2024-01-15 10:20:30 +0000 UTC',
      O: '2001-12-14 21:59:43.1 -0500 -0500',
      Q: '2024-01-15',
      BAD: '2024-13-01',
    });
  });

  it('keeps every digit of an integer beyond 2^53', () => {
    const dir = project({ 'compose.yaml': 'services:\n  a:\n    image: a\n    environment:\n      BIG: 12345678901234567890\n' });
    expect(load(dir).project.services.a!.environment!.BIG).toBe('12345678901234567890');
  });
});

describe('include and profiles details docker compose shows', () => {
  it('ignores a tag on a whole included service but honours tags inside it', () => {
    const dir = project({
      'inc.yaml': 'services:\n  s:\n    image: s\n    command: [run]\n    environment: {A: "1", B: "2"}\n  t:\n    image: t\n',
      'compose.yaml': 'include: [inc.yaml]\nservices:\n  t: !reset\n  s: !override\n    image: replaced\n    environment:\n      A: !reset\n',
    });
    const p = load(dir).project;
    expect(Object.keys(p.services).sort()).toEqual(['s', 't']);
    expect(p.services.s).toMatchObject({ image: 'replaced', command: ['run'], environment: { B: '2' } });
  });

  it('keeps an optional dependency on a service whose profile is off', () => {
    const dir = project({
      'compose.yaml': 'services:\n  web:\n    image: web\n    depends_on:\n      metrics:\n        condition: service_started\n        required: false\n  metrics:\n    image: m\n    profiles: [monitoring]\n',
    });
    const p = load(dir).project;
    expect(Object.keys(p.services)).toEqual(['web']);
    expect(p.services.web!.depends_on).toEqual({ metrics: { condition: 'service_started', required: false } });
  });
});

// The same scenarios through docker compose itself, for what the single-file differential test cannot reach:
// several -f, discovery, env files, project options and stdin.
const oracle = process.env.COMPOSE2K8S_DOCKER_COMPOSE;
if (!oracle) console.warn('COMPOSE2K8S_DOCKER_COMPOSE is not set: the multi-file loader comparisons with docker compose are SKIPPED');

describe.skipIf(!oracle)('multi-file scenarios agree with docker compose', () => {
  interface Scenario {
    files: Record<string, string>;
    /** Relative to the project root. */
    cwd?: string;
    args: string[];
    env?: Record<string, string>;
    stdin?: string;
    /** Service names after `config`, as on the command line. */
    select?: string[];
    options: Partial<LoadOptions>;
  }

  function compare(s: Scenario): void {
    const dir = project(s.files, 'scenario');
    const cwd = s.cwd ? join(dir, s.cwd) : dir;
    const env = { ...BASE_ENV, HOME: '/nonexistent-home', ...(s.env ?? {}) };
    const r = spawnSync(oracle!, [...s.args, 'config', '--format', 'json', ...(s.select ?? [])], { cwd, env: { ...env, PWD: cwd }, encoding: 'utf8', input: s.stdin ?? '' });
    expect(r.status, r.stderr).toBe(0);
    const loaded = loadProject({ cwd, env, diagnostics: new Diagnostics(), ...(s.stdin !== undefined ? { readStdin: () => s.stdin! } : {}), ...(s.select ? { services: s.select } : {}), ...s.options });
    // `config <service>` prints the named services and their dependencies, as the config command does.
    if (s.select) {
      const keep = withDependencies(loaded.project, s.select);
      for (const name of Object.keys(loaded.project.services)) if (!keep.has(name)) delete loaded.project.services[name];
      loaded.project = withoutUnusedResources(loaded.project);
    }
    expect(JSON.parse(JSON.stringify(composeConfigObject(loaded)))).toEqual(JSON.parse(r.stdout));
  }

  it('discovery from a subdirectory with the override file', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  web:\n    build: ./web\n    environment:\n      A: base\n',
        'compose.override.yaml': 'services:\n  web:\n    environment:\n      A: override\n    volumes: [./data:/data]\n',
        'sub/deeper/.keep': '',
      },
      cwd: 'sub/deeper',
      args: [],
      options: {},
    }));

  it('several -f from different directories: paths resolve against the first file', () =>
    compose2({}));

  function compose2(extra: Partial<Scenario>): void {
    compare({
      files: {
        'a/compose.yaml': 'services:\n  web:\n    build: ./ctx\n    env_file: [./a.env]\n',
        'a/a.env': 'X=1\n',
        'b/override.yaml': 'services:\n  web:\n    volumes: [./data:/data]\n    env_file: [./b.env]\n',
        'a/b.env': 'Y=2\n',
      },
      args: ['-f', 'a/compose.yaml', '-f', 'b/override.yaml'],
      options: { files: ['a/compose.yaml', 'b/override.yaml'] },
      ...extra,
    });
  }

  it('several --env-file, the later winning, and the OS environment over both', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  a:\n    image: a:${TAG}\n    environment:\n      V: ${V}\n      W: ${W}\n      OS: ${OS_VAR}\n',
        'one.env': 'TAG=one\nV=one\nW=one\nOS_VAR=from-file\n',
        'two.env': 'V=two\nW=${V}-ref\n',
      },
      args: ['--env-file', 'one.env', '--env-file', 'two.env'],
      env: { OS_VAR: 'from-os' },
      options: { envFiles: ['one.env', 'two.env'] },
    }));

  it('COMPOSE_FILE and COMPOSE_PATH_SEPARATOR from .env, COMPOSE_PROFILES from the environment', () =>
    compare({
      files: {
        'one.yaml': 'services:\n  one:\n    image: one\n  extra:\n    image: extra\n    profiles: [p]\n',
        'two.yaml': 'services:\n  two:\n    image: two\n',
        '.env': 'COMPOSE_PATH_SEPARATOR=;\nCOMPOSE_FILE=one.yaml;two.yaml\n',
      },
      args: [],
      env: { COMPOSE_PROFILES: 'p' },
      options: {},
    }));

  it('--project-directory: its .env, its name and its paths', () =>
    compare({
      files: {
        'files/compose.yaml': 'services:\n  a:\n    image: ${IMG}\n    build: ./ctx\n    volumes: [./v:/v]\n',
        'pd/.env': 'IMG=from-project-dir\n',
        'files/.env': 'IMG=from-file-dir\n',
      },
      args: ['-f', 'files/compose.yaml', '--project-directory', 'pd'],
      options: { files: ['files/compose.yaml'], projectDirectory: 'pd' },
    }));

  it('-p over COMPOSE_PROJECT_NAME over name:, used in interpolation', () =>
    compare({
      files: { 'compose.yaml': 'name: from-file\nservices:\n  a:\n    image: a\n    container_name: ${COMPOSE_PROJECT_NAME}-a\n' },
      args: ['-p', 'from-flag'],
      env: { COMPOSE_PROJECT_NAME: 'from-env' },
      options: { projectName: 'from-flag' },
    }));

  it('-f - reads stdin, relative to the working directory', () =>
    compare({
      files: { '.env': 'TAG=stdin\n' },
      args: ['-f', '-'],
      stdin: 'services:\n  s:\n    image: app:${TAG}\n    build: ./ctx\n',
      options: { files: ['-'] },
    }));

  it('extends.file with --project-directory, and inside an include with project_directory', () =>
    compare({
      files: {
        'files/compose.yaml':
          'include:\n  - path: ../inc/inc.yaml\n    project_directory: ../incpd\nservices:\n  app:\n    extends:\n      file: base.yaml\n      service: base\n',
        'files/base.yaml': 'services:\n  base:\n    image: from-files-dir\n',
        'pd/base.yaml': 'services:\n  base:\n    image: from-project-dir\n    build: ./ctx\n',
        'inc/inc.yaml': 'services:\n  inc:\n    extends:\n      file: ibase.yaml\n      service: ib\n',
        'inc/ibase.yaml': 'services:\n  ib:\n    image: from-inc-dir\n',
        'incpd/ibase.yaml': 'services:\n  ib:\n    image: from-inc-project-dir\n    build: .\n',
      },
      args: ['-f', 'files/compose.yaml', '--project-directory', 'pd'],
      options: { files: ['files/compose.yaml'], projectDirectory: 'pd' },
    }));

  it('COMPOSE_ENV_FILES, and an env file that sets COMPOSE_FILE and COMPOSE_PROFILES', () =>
    compare({
      files: {
        'main.yaml': 'services:\n  a:\n    image: a:${TAG}\n  b:\n    image: b\n    profiles: [extra]\n',
        'x.env': 'COMPOSE_FILE=main.yaml\nTAG=x\nCOMPOSE_PROFILES=extra\n',
        'y.env': 'TAG=${TAG}-y\n',
        '.env': 'TAG=dotenv\n',
      },
      args: [],
      env: { COMPOSE_ENV_FILES: 'x.env,y.env' },
      options: {},
    }));

  it('COMPOSE_DISABLE_ENV_FILE, with docker-compose.yml and its override discovered', () =>
    compare({
      files: {
        'docker-compose.yml': 'services:\n  a:\n    image: a:${TAG:-none}\n',
        'docker-compose.override.yml': 'services:\n  a:\n    environment:\n      O: "1"\n',
        '.env': 'TAG=dotenv\n',
      },
      args: [],
      env: { COMPOSE_DISABLE_ENV_FILE: '1' },
      options: {},
    }));

  it('a service named on the command line enables its profiles', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  a:\n    image: a\n  tool:\n    image: t\n    profiles: [tools]\n    depends_on: [helper]\n  helper:\n    image: h\n    profiles: [tools]\n',
      },
      args: [],
      select: ['tool'],
      options: {},
    }));

  it('--profile enables the services of that profile only', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  a:\n    image: a\n  tool:\n    image: t\n    profiles: [tools]\n    depends_on: [helper]\n  helper:\n    image: h\n    profiles: [tools]\n  other:\n    image: o\n    profiles: [other]\n',
      },
      args: ['--profile', 'other'],
      options: { profiles: ['other'] },
    }));

  it('an override file that resets a service and overrides ports', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  a:\n    image: a\n    ports: ["80:80", "443:443"]\n  b:\n    image: b\n',
        'compose.override.yaml': 'services:\n  a:\n    ports: !override ["8080:80"]\n  b: !reset\n',
      },
      args: [],
      options: {},
    }));

  it('an include and an extends reached from an override file in another directory', () =>
    compare({
      files: {
        'compose.yaml': 'services:\n  app:\n    image: app\n',
        'ov/override.yaml': 'include:\n  - inc/inc.yaml\nservices:\n  app:\n    extends:\n      file: base.yaml\n      service: base\n',
        'ov/base.yaml': 'services:\n  base:\n    build: ./base-ctx\n    environment:\n      FROM: ov-base\n',
        'base.yaml': 'services:\n  base:\n    build: ./base-ctx\n    environment:\n      FROM: root-base\n',
        'inc/inc.yaml': 'services:\n  included:\n    build: .\n',
        'ov/inc/inc.yaml': 'services:\n  included:\n    build: .\n    environment:\n      WHICH: ov-inc\n',
      },
      args: ['-f', 'compose.yaml', '-f', 'ov/override.yaml'],
      options: { files: ['compose.yaml', 'ov/override.yaml'] },
    }));
});
