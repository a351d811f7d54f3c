import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { validateSchema } from '../../src/compose/validate.js';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';

const corpus = process.env.COMPOSE2K8S_CORPUS || undefined;
if (!corpus) console.warn('COMPOSE2K8S_CORPUS is not set: schema acceptance over the shared corpus is SKIPPED');

function schemaError(model: unknown): Diagnostic {
  try {
    validateSchema(model);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    expect(e.diagnostics).toHaveLength(1);
    return e.diagnostics[0]!;
  }
  throw new Error('expected a schema error');
}

const service = (extra: Record<string, unknown>) => ({ services: { web: { image: 'nginx', ...extra } } });

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

/** Each YAML document of a file as plain JS (an empty file is one null document, as compose-go sees it). */
function documents(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'), { merge: true, logLevel: 'silent' });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) expect(d.errors, file).toEqual([]);
  return list.length === 0 ? [null] : list.map((d) => d.toJS());
}

function rejected(file: string): boolean {
  try {
    for (const doc of documents(file)) validateSchema(doc);
    return false;
  } catch (e) {
    if (e instanceof DiagnosticError && e.diagnostics[0]!.code === 'schema.invalid') return true;
    throw e;
  }
}

describe.skipIf(!corpus)('schema acceptance over the shared corpus', () => {
  it('finds the corpus where COMPOSE2K8S_CORPUS points', () => {
    expect(existsSync(join(corpus!, 'kompose')), corpus).toBe(true);
    expect(existsSync(join(corpus!, 'compose-go')), corpus).toBe(true);
  });

  it('accepts every Compose file among the kompose fixtures', () => {
    const files = yamlFilesUnder(join(corpus!, 'kompose')).filter((f) =>
      documents(f).some((d) => d !== null && typeof d === 'object' && 'services' in d),
    );
    expect(files.length).toBeGreaterThanOrEqual(100);
    expect(files.filter(rejected).map((f) => relative(corpus!, f))).toEqual([]);
  });

  it('accepts the compose-go test files except the empty file and extends/base.yaml (its `nil` service)', () => {
    const files = yamlFilesUnder(join(corpus!, 'compose-go'));
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.filter(rejected).map((f) => relative(join(corpus!, 'compose-go'), f))).toEqual([
      'loader/testdata/empty.yaml',
      'loader/testdata/extends/base.yaml',
    ]);
    expect(schemaError(documents(join(corpus!, 'compose-go/loader/testdata/extends/base.yaml'))[0]).message).toBe(
      'services.nil must be a mapping',
    );
  });

  it('accepts ${VARIABLE} in every typed field (schema/using-variables.yaml, TestValidateVariables)', () => {
    const [doc] = documents(join(corpus!, 'compose-go/schema/using-variables.yaml'));
    expect(() => validateSchema(doc)).not.toThrow();
  });
});

describe('schema facts from compose-go schema_test.go', () => {
  it('accepts a minimal service (TestValidate)', () => {
    expect(() => validateSchema({ services: { foo: { image: 'busybox' } } })).not.toThrow();
  });

  it('rejects an unknown top-level key (TestValidateUndefinedTopLevelOption)', () => {
    const d = schemaError({ helicopters: { foo: { image: 'busybox' } } });
    expect(d).toMatchObject({ severity: 'error', code: 'schema.invalid', message: "additional properties 'helicopters' not allowed" });
    expect(d.path).toBeUndefined();
  });

  it('allows x- fields at the top level and inside resources (TestValidateAllowsX*Fields)', () => {
    expect(() => validateSchema({ 'x-extra-stuff': {} })).not.toThrow();
    expect(() =>
      validateSchema({
        services: {
          bar: { 'x-extra-stuff': {} },
          foo: { depends_on: { 'x-dependency': { condition: 'service_started' } } },
        },
        volumes: { bar: { 'x-extra-stuff': {} } },
        networks: { bar: { 'x-extra-stuff': {} } },
        configs: { bar: { 'x-extra-stuff': {} } },
        secrets: { bar: { 'x-extra-stuff': {} } },
      }),
    ).not.toThrow();
  });

  it('accepts names on configs and secrets (TestValidateSecretConfigNames)', () => {
    expect(() => validateSchema({ configs: { bar: { name: 'foobar' } }, secrets: { baz: { name: 'foobaz' } } })).not.toThrow();
  });

  it('accepts placement preferences (TestValidatePlacement)', () => {
    expect(() => validateSchema(service({ deploy: { placement: { preferences: [{ spread: 'node.labels.az' }] } } }))).not.toThrow();
  });

  it('accepts any isolation value; the daemon validates it (TestValidateIsolation)', () => {
    expect(() => validateSchema(service({ isolation: 'some-isolation-value' }))).not.toThrow();
  });

  it('accepts rollback_config alone, with order, and next to a full update_config (TestValidateRollbackConfig*)', () => {
    const full = { parallelism: 1, order: 'start-first', delay: '10s', failure_action: 'pause', monitor: '10s' };
    for (const deploy of [
      { rollback_config: { parallelism: 1 } },
      { rollback_config: { parallelism: 1, order: 'start-first' } },
      { update_config: { parallelism: 1, order: 'start-first' }, rollback_config: { parallelism: 1, order: 'start-first' } },
      { update_config: full, rollback_config: full },
    ]) {
      expect(() => validateSchema(service({ deploy }))).not.toThrow();
    }
    expect(schemaError(service({ deploy: { rollback_config: { order: 'sideways' } } })).message).toBe(
      "services.web.deploy.rollback_config.order value must be one of 'start-first', 'stop-first'",
    );
  });

  it('accepts uninterpolated ${VAR} strings in numeric and boolean fields', () => {
    expect(() =>
      validateSchema(
        service({
          privileged: '${PRIV:-false}',
          scale: '${SCALE}',
          cpus: '${CPUS}',
          ports: [{ target: '${PORT}', published: '${PORT}' }],
          healthcheck: { retries: '${R}', disable: '${D}' },
          deploy: { replicas: '${N}', resources: { limits: { cpus: '${C}', pids: '${P}' } } },
        }),
      ),
    ).not.toThrow();
  });

  it('accepts dots in service names (TestServiceNameWithDots) and rejects other characters', () => {
    expect(() => validateSchema({ services: { 'test.a.b.c': { image: 'foo' } } })).not.toThrow();
    expect(schemaError({ services: { 'my service': { image: 'foo' } } })).toMatchObject({
      message: "services additional properties 'my service' not allowed",
      path: 'services',
    });
  });
});

describe('schema error messages (compose-go schema.go wording)', () => {
  it('names the unknown keys of a service, all of them', () => {
    expect(schemaError(service({ foo: 1 }))).toMatchObject({
      message: "services.web additional properties 'foo' not allowed",
      path: 'services.web',
    });
    expect(schemaError(service({ foo: 1, bar: 2 })).message).toBe("services.web additional properties 'foo', 'bar' not allowed");
  });

  it('ranks an unknown key one level deeper than where it is, like compose-go', () => {
    expect(schemaError(service({ foo: 1, cap_add: ['NET_ADMIN', 'NET_ADMIN'] })).message).toBe(
      "services.web additional properties 'foo' not allowed",
    );
    expect(schemaError(service({ foo: 1, depends_on: { db: { condition: 'bogus' } } })).path).toBe('services.web.depends_on.db.condition');
  });

  it('reports a wrong scalar type (TestNonStringImage, TestInvalidProjectNameType)', () => {
    expect(schemaError({ services: { foo: { image: ['busybox', 'latest'] } } })).toMatchObject({
      message: 'services.foo.image must be a string',
      path: 'services.foo.image',
    });
    expect(schemaError({ name: 123 })).toMatchObject({ message: 'name must be a string', path: 'name' });
  });

  it('calls an object a mapping and lists union types sorted (TestInvalidEnvironment*)', () => {
    expect(schemaError({ services: { 'dict-env': { image: 'busybox', environment: 'FOO=1' } } }).message).toBe(
      'services.dict-env.environment must be a mapping',
    );
    expect(schemaError({ services: { 'dict-env': { image: 'busybox', environment: { FOO: ['1'] } } } })).toMatchObject({
      message: 'services.dict-env.environment.FOO must be a boolean, null, number or string',
      path: 'services.dict-env.environment.FOO',
    });
    expect(schemaError({ services: { web: 'busybox' } }).message).toBe('services.web must be a mapping');
    expect(schemaError({ services: [{ foo: { image: 'busybox' } }] }).message).toBe('services must be a mapping');
  });

  it('prefers the deepest error of a oneOf and uses [i] in the diagnostic path', () => {
    expect(schemaError(service({ ports: ['80:80', { target: 80, foo: 1 }] }))).toMatchObject({
      message: "services.web.ports.1 additional properties 'foo' not allowed",
      path: 'services.web.ports[1]',
    });
    expect(schemaError(service({ depends_on: { db: { condition: 'bogus' } } }))).toMatchObject({
      message:
        "services.web.depends_on.db.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'",
      path: 'services.web.depends_on.db.condition',
    });
  });

  it('words tmpfs volume errors like compose-go (TestLoadTmpfsVolume*)', () => {
    const tmpfs = (extra: Record<string, unknown>) => ({
      services: { tmpfs: { image: 'nginx:latest', volumes: [{ type: 'tmpfs', target: '/app', ...extra }] } },
    });
    expect(schemaError(tmpfs({ foo: { bar: 'zot' } })).message).toBe("services.tmpfs.volumes.0 additional properties 'foo' not allowed");
    expect(schemaError(tmpfs({ tmpfs: { size: -1 } }))).toMatchObject({
      message: 'services.tmpfs.volumes.0.tmpfs.size must be greater than or equal to 0',
      path: 'services.tmpfs.volumes[0].tmpfs.size',
    });
    expect(schemaError(tmpfs({ tmpfs: { size: 0.0001 } })).message).toBe('services.tmpfs.volumes.0.tmpfs.size must be a integer');
    expect(() => validateSchema(tmpfs({ tmpfs: { size: 0 } }))).not.toThrow();
  });

  it('reports missing required keys (TestBadDevelopConfig)', () => {
    expect(schemaError({ services: { frontend: { image: 'x', develop: { watch: [{ path: './webapp/html', target: '/var/www' }] } } } })).toMatchObject({
      message: "services.frontend.develop.watch.0 missing property 'action'",
      path: 'services.frontend.develop.watch[0]',
    });
  });

  it('reports a null list_or_dict as not a mapping (TestLoadSSHWithoutValueInBuildConfig)', () => {
    expect(schemaError({ services: { test: { build: { context: '.', ssh: null } } } }).message).toBe('services.test.build.ssh must be a mapping');
  });

  it('rejects unknown keys deep in deploy (TestInvalidResource)', () => {
    expect(schemaError(service({ deploy: { resources: { impossible: { x: 1 } } } })).message).toBe(
      "services.web.deploy.resources additional properties 'impossible' not allowed",
    );
  });

  it('words pattern, uniqueItems and range failures like the Go validator (a range beats a type mismatch on a tie)', () => {
    expect(schemaError(service({ container_name: '!' })).message).toBe(
      "services.web.container_name '!' does not match pattern '[a-zA-Z0-9][a-zA-Z0-9_.-]+'",
    );
    expect(schemaError(service({ cap_add: ['NET_ADMIN', 'SYS_TIME', 'NET_ADMIN'] })).message).toBe(
      'services.web.cap_add items at 0 and 2 are equal',
    );
    expect(schemaError(service({ oom_score_adj: 2000 })).message).toBe('services.web.oom_score_adj must be less than or equal to 1000');
  });

  it('keeps numeric mapping keys as keys in the diagnostic path (TestNumericIDs)', () => {
    expect(() => validateSchema({ services: { foo: { image: 'busybox', volumes: ['0:/foo'] } }, volumes: { '0': {} } })).not.toThrow();
    expect(schemaError({ volumes: { '0': { driver: 1 } } })).toMatchObject({ message: 'volumes.0.driver must be a string', path: 'volumes.0.driver' });
  });
});

describe('generated validator', () => {
  it('is up to date with schemas/compose-spec.json (node scripts/gen-validator.mjs --check)', () => {
    const root = join(import.meta.dirname, '../..');
    expect(() => execFileSync(process.execPath, ['scripts/gen-validator.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });
});
