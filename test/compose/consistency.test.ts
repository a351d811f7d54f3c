import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkConsistency } from '../../src/compose/consistency.js';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';
import type { DependsOn, Project, Service } from '../../src/model/project.js';

const corpus = process.env.COMPOSE2K8S_CORPUS || undefined;

function project(services: Record<string, Service>, rest: Partial<Project> = {}): Project {
  return { name: 'test', services, ...rest };
}

/** Every diagnostic checkConsistency reports (an empty list when the project is consistent). */
function problems(p: Project, disabled?: Record<string, string[]>): Diagnostic[] {
  try {
    checkConsistency(p, disabled);
    return [];
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return e.diagnostics;
  }
}

function messages(p: Project, disabled?: Record<string, string[]>): string[] {
  return problems(p, disabled).map((d) => d.message);
}

const started = (required = true): DependsOn => ({ condition: 'service_started', required });
const img = (extra: Partial<Service> = {}): Service => ({ image: 'scratch', ...extra });
const web = (extra: Partial<Service>, rest: Partial<Project> = {}) => project({ web: img(extra) }, rest);

describe('image or build', () => {
  it('rejects a service with neither (TestValidateNoBuildNoImage)', () => {
    expect(problems(project({ myservice: {} }))).toEqual([
      {
        severity: 'error',
        code: 'consistency.missing-image',
        message: 'service "myservice" has neither an image nor a build context specified: invalid compose project',
        path: 'services.myservice',
      },
    ]);
  });

  it('accepts a build without image, and a provider service without either', () => {
    expect(messages(project({ a: { build: { context: '.' } }, b: { provider: { type: 'model' } } }))).toEqual([]);
  });
});

describe('dockerfile and dockerfile_inline', () => {
  it('rejects both (compose-go spells it "mutualy")', () => {
    const p = project({ web: { build: { context: '.', dockerfile: 'Dockerfile', dockerfile_inline: 'FROM scratch' } } });
    expect(problems(p)).toMatchObject([
      { message: 'service "web" declares mutualy exclusive dockerfile and dockerfile_inline: invalid compose project', path: 'services.web.build' },
    ]);
    expect(messages(project({ web: { build: { context: '.', dockerfile_inline: 'FROM scratch' } } }))).toEqual([]);
  });

  it('requires build.platforms to include platform', () => {
    const p = (platform: string) => project({ web: { platform, build: { context: '.', platforms: ['linux/amd64'] } } });
    expect(messages(p('linux/arm64'))).toEqual(['service.build.platforms MUST include service.platform "linux/arm64": invalid compose project']);
    expect(messages(p('linux/amd64'))).toEqual([]);
  });

  it('requires a `service:` additional context to name a service with build (loader/validate.go)', () => {
    const p = (target: Service | undefined) =>
      project({ web: { build: { context: '.', additional_contexts: { base: 'service:base', img: 'docker-image://alpine' } } }, ...(target ? { base: target } : {}) });
    expect(problems(p(undefined))).toMatchObject([
      { code: 'consistency.build-context-service', message: 'service "web" declares unknown service "base" as additional contexts base', path: 'services.web.build.additional_contexts.base' },
    ]);
    expect(messages(p(img()))).toEqual(['service "web" declares non-buildable service "base" as additional contexts base']);
    expect(messages(p({ build: { context: '.' } }))).toEqual([]);
  });
});

describe('network_mode and networks', () => {
  it('rejects both (TestValidateNetworkMode)', () => {
    const p = project({ myservice1: img({ network_mode: 'host', networks: { mynetwork: null } }) }, { networks: { mynetwork: {} } });
    expect(problems(p)).toMatchObject([
      {
        code: 'consistency.network-mode-conflict',
        message: 'service myservice1 declares mutually exclusive `network_mode` and `networks`: invalid compose project',
        path: 'services.myservice1',
      },
    ]);
  });
});

describe('references to undefined resources', () => {
  it('networks', () => {
    expect(problems(web({ networks: { front: null } }))).toMatchObject([
      { code: 'consistency.undefined-network', message: 'service "web" refers to undefined network front: invalid compose project', path: 'services.web.networks.front' },
    ]);
    expect(messages(web({ networks: { front: null } }, { networks: { front: {} } }))).toEqual([]);
  });

  it('named volumes, but not anonymous volumes or binds (TestValidateNamedVolume, TestValidateAnonymousVolume)', () => {
    const volumes: Service['volumes'] = [
      { type: 'volume', target: '/use/local' },
      { type: 'bind', source: '/host', target: '/b' },
      { type: 'volume', source: 'myVolume', target: '/data' },
    ];
    expect(problems(project({ myservice: img({ volumes }) }))).toMatchObject([
      { message: 'service "myservice" refers to undefined volume myVolume: invalid compose project', path: 'services.myservice.volumes[2]' },
    ]);
    expect(messages(project({ myservice: img({ volumes }) }, { volumes: { myVolume: { name: 'myVolume' } } }))).toEqual([]);
  });

  it('secrets, configs, build secrets and models (TestValidateSecret)', () => {
    const p = web({
      secrets: [{ source: 'foo' }],
      configs: [{ source: 'conf' }],
      build: { context: '.', secrets: [{ source: 'npmrc' }] },
      models: { llm: null },
    });
    expect(problems(p).map((d) => [d.message, d.path])).toEqual([
      ['service "web" refers to undefined build secret npmrc: invalid compose project', 'services.web.build.secrets[0]'],
      ['service "web" refers to undefined config conf: invalid compose project', 'services.web.configs[0]'],
      ['service "web" refers to undefined secret foo: invalid compose project', 'services.web.secrets[0]'],
      ['service "web" refers to undefined model llm: invalid compose project', 'services.web.models.llm'],
    ]);
    const defined = {
      secrets: { foo: { external: true }, npmrc: { file: './npmrc' } },
      configs: { conf: { content: 'x' } },
      models: { llm: { model: 'ai/smollm2' } },
    };
    expect(messages({ ...p, ...defined })).toEqual([]);
  });

  it('depends_on (TestValidateDependsOn)', () => {
    expect(problems(project({ myservice: img({ depends_on: { missingservice: started() } }) }))).toMatchObject([
      {
        code: 'consistency.undefined-service',
        message: 'service "myservice" depends on undefined service "missingservice": invalid compose project',
        path: 'services.myservice.depends_on.missingservice',
      },
    ]);
  });

  it('allows an optional dependency on a disabled service, not on an unknown one (TestValidateWatch subtests)', () => {
    const p = project({ myservice: img({ depends_on: { other: started(false) } }) });
    expect(messages(p, { other: ['debug'] })).toEqual([]);
    expect(messages(p)).toEqual(['service "myservice" depends on undefined service "other": invalid compose project']);
    const required = project({ myservice: img({ depends_on: { other: started(true) } }) });
    expect(messages(required, { other: ['debug'] })).toEqual(['service "myservice" depends on undefined service "other": invalid compose project']);
  });
});

describe('network_mode service:X', () => {
  it('requires X to exist; container:X is not checked', () => {
    const p = (mode: string) => project({ myservice1: img(), myservice2: img({ network_mode: mode }) });
    expect(messages(p('service:myservice1'))).toEqual([]);
    expect(messages(p('container:mycontainer_name'))).toEqual([]);
    expect(problems(p('service:nonexistentservice'))).toMatchObject([
      { message: "service \"nonexistentservice\" not found for network_mode 'service:nonexistentservice'", path: 'services.myservice2.network_mode' },
    ]);
  });
});

describe('healthcheck.test', () => {
  it('must start with CMD, CMD-SHELL or NONE', () => {
    expect(messages(web({ healthcheck: { test: ['CMD', 'true'] } }))).toEqual([]);
    expect(messages(web({ healthcheck: { test: ['NONE'] } }))).toEqual([]);
    expect(problems(web({ healthcheck: { test: ['curl', '-f', 'http://localhost'] } }))).toMatchObject([
      { message: 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"', path: 'services.web.healthcheck.test' },
    ]);
  });
});

describe('service-level values against deploy', () => {
  it('scale and deploy.replicas must agree', () => {
    expect(messages(web({ scale: 2, deploy: { replicas: 2 } }))).toEqual([]);
    expect(problems(web({ scale: 2, deploy: { replicas: 3 } }))).toMatchObject([
      { code: 'consistency.conflicting-values', message: "services.web: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project" },
    ]);
  });

  it('cpus, mem_limit, mem_reservation and pids_limit must agree with deploy.resources', () => {
    const p = web({
      cpus: 0.5,
      mem_limit: 256 * 1024 * 1024,
      mem_reservation: 128 * 1024 * 1024,
      pids_limit: 100,
      deploy: { resources: { limits: { cpus: 1, memory: 512 * 1024 * 1024, pids: 50 }, reservations: { memory: 64 * 1024 * 1024 } } },
    });
    expect(messages(p)).toEqual([
      "services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': invalid compose project",
      "services.web: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': invalid compose project",
      "services.web: can't set distinct values on 'mem_reservation' and 'deploy.resources.reservations.memory': invalid compose project",
      "services.web: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids': invalid compose project",
    ]);
    const same = web({ cpus: 0.5, pids_limit: 100, deploy: { resources: { limits: { cpus: 0.5, pids: 100 } } } });
    expect(messages(same)).toEqual([]);
  });

  it('compares cpus even when the limits block only sets memory, as compose-go does', () => {
    expect(messages(web({ cpus: 1.5, deploy: { resources: { limits: { memory: 128 * 1024 * 1024 } } } }))).toEqual([
      "services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus': invalid compose project",
    ]);
    expect(messages(web({ cpus: 1.5, deploy: { replicas: 1 } }))).toEqual([]);
  });
});

describe('negative scale', () => {
  it('rejects a negative scale or deploy.replicas', () => {
    expect(problems(web({ scale: -1 }))).toMatchObject([{ code: 'consistency.negative-scale', path: 'services.web.scale' }]);
    expect(problems(web({ deploy: { replicas: -2 } }))).toMatchObject([{ code: 'consistency.negative-scale', path: 'services.web.deploy.replicas' }]);
    expect(messages(web({ scale: 0 }))).toEqual([]);
  });
});

describe('container_name with several replicas', () => {
  it('uses docker compose’s (argument-swapped) wording', () => {
    expect(messages(project({ worker: img({ container_name: 'w', deploy: { replicas: 2 } }) }))).toEqual([
      "services.deploy.replicas: can't set container_name and worker as container name must be unique: invalid compose project",
    ]);
    expect(problems(project({ worker: img({ container_name: 'w', scale: 3 }) }))).toMatchObject([
      { message: "services.scale: can't set container_name and worker as container name must be unique: invalid compose project", path: 'services.worker.container_name' },
    ]);
    expect(messages(project({ worker: img({ container_name: 'w', scale: 1 }) }))).toEqual([]);
  });
});

describe('develop.watch', () => {
  it('requires a target for every action but rebuild', () => {
    for (const action of ['sync', 'sync+restart', 'sync+exec', 'restart'] as const) {
      expect(problems(web({ develop: { watch: [{ path: './app', action }] } })), action).toMatchObject([
        {
          code: 'consistency.watch-target',
          message: 'services.web.develop.watch: target is required for non-rebuild actions: invalid compose project',
          path: 'services.web.develop.watch[0]',
        },
      ]);
    }
    expect(messages(web({ develop: { watch: [{ path: './app', action: 'rebuild' }, { path: './b', action: 'sync', target: '/b' }] } }))).toEqual([]);
  });

  it('rejects a blank path', () => {
    expect(messages(web({ develop: { watch: [{ path: '', action: 'rebuild' }] } }))).toEqual(["services.web.develop.watch[0].path: value can't be blank"]);
  });
});

describe('two mounts on one target', () => {
  it('names the later mount and the earlier one; tmpfs entries count first', () => {
    const p = web({
      tmpfs: ['/x', '/tmp:size=64m', '/tmp'],
      volumes: [
        { type: 'volume', target: '/x' },
        { type: 'bind', source: '/a', target: '/data' },
        { type: 'bind', source: '/b', target: '/data' },
      ],
    });
    expect(problems(p).map((d) => [d.message, d.path])).toEqual([
      ['services.web.tmpfs[2]: target /tmp already mounted as services.web.tmpfs[1]', 'services.web.tmpfs[2]'],
      ['services.web.volumes[0]: target /x already mounted as services.web.tmpfs[0]', 'services.web.volumes[0]'],
      ['services.web.volumes[2]: target /data already mounted as services.web.volumes[1]', 'services.web.volumes[2]'],
    ]);
    expect(messages(web({ tmpfs: ['/run'], volumes: [{ type: 'bind', source: '/a', target: '/data' }] }))).toEqual([]);
  });
});

describe('top-level secrets', () => {
  it('need file or environment unless external or driver-backed', () => {
    expect(problems(project({}, { secrets: { foo: {} } }))).toMatchObject([
      { code: 'consistency.secret-source', message: 'secrets.foo: one of file|environment must be set', path: 'secrets.foo' },
    ]);
    const fine = { a: { file: '.secret' }, b: { environment: 'TOKEN' }, c: { external: true }, d: { driver: 'vault', driver_opts: { k: 'v' } } };
    expect(messages(project({}, { secrets: fine }))).toEqual([]);
  });

  it('reports a declared but empty source with compose-go’s checkConsistency text (`file: ${UNSET}`)', () => {
    expect(messages(project({}, { secrets: { POSTGRES_PASSWORD: { file: '' } } }))).toEqual([
      'secret "POSTGRES_PASSWORD" must declare either `file` or `environment`: invalid compose project',
    ]);
  });

  it('rejects file and environment together', () => {
    expect(messages(project({}, { secrets: { foo: { file: 'a', environment: 'B' } } }))).toEqual([
      'secrets.foo: file|environment attributes are mutually exclusive',
    ]);
  });
});

describe('top-level configs (validation_test.go TestValidateSecret)', () => {
  it('need exactly one of file, environment or content unless external', () => {
    const ok = { file: { file: './httpd.conf' }, env: { environment: 'CONFIG' }, inlined: { content: 'foo=bar' }, ext: { external: true } };
    expect(messages(project({}, { configs: ok }))).toEqual([]);
    expect(problems(project({}, { configs: { test: { name: 'test' } } }))).toMatchObject([
      { code: 'consistency.config-source', message: 'configs.test: one of file|environment|content must be set', path: 'configs.test' },
    ]);
    expect(messages(project({}, { configs: { test: { name: 'test', file: './a', content: 'foo=bar' } } }))).toEqual([
      'configs.test: file|environment|content attributes are mutually exclusive',
    ]);
  });

  it('accepts environment with the content the loader resolved from it (TestLoadSecretEnvironment)', () => {
    expect(messages(project({}, { configs: { config: { environment: 'GA', content: 'BU' } } }))).toEqual([]);
  });
});

describe('device requests', () => {
  it('reject count together with device_ids (TestServiceDeviceRequestCountAndDeviceIdsExclusive)', () => {
    const p = web({
      deploy: { resources: { reservations: { devices: [{ driver: 'nvidia', capabilities: ['gpu'], count: 2, device_ids: ['my-device-id'] }] } } },
      gpus: [{ driver: 'nvidia', count: -1 }, { driver: '3dfx', device_ids: ['voodoo2'], count: 1 }],
    });
    expect(problems(p).map((d) => [d.message, d.path])).toEqual([
      [
        'services.web.deploy.resources.reservations.devices[0]: "count" and "device_ids" attributes are exclusive',
        'services.web.deploy.resources.reservations.devices[0]',
      ],
      ['services.web.gpus[1]: "count" and "device_ids" attributes are exclusive', 'services.web.gpus[1]'],
    ]);
    expect(messages(web({ gpus: [{ driver: '3dfx', device_ids: ['voodoo2'] }, { count: -1 }] }))).toEqual([]);
  });
});

describe('host_ip in ports (validation_test.go TestIPAddress)', () => {
  it('must be an IP address', () => {
    const port = (host_ip?: string) => ({ target: 1234, published: '1234', mode: 'ingress', protocol: 'tcp', ...(host_ip === undefined ? {} : { host_ip }) });
    expect(problems(web({ ports: [port(), port('notavalidip')] }))).toMatchObject([
      { code: 'consistency.invalid-ip', message: 'services.web.ports[1]: invalid ip address: notavalidip', path: 'services.web.ports[1]' },
    ]);
    expect(messages(web({ ports: [port('192.168.3.4'), port('::1'), port('0.0.0.0')] }))).toEqual([]);
    expect(messages(web({ ports: [port('fe80::1%eth0'), port('192.168.003.4')] }))).toHaveLength(2);
  });
});

describe('depends_on cycles (graph_test.go, loader_test.go)', () => {
  const chain = (edges: Record<string, string[]>): Project =>
    project(Object.fromEntries(Object.entries(edges).map(([name, deps]) => [name, img({ depends_on: Object.fromEntries(deps.map((d) => [d, started()])) })])));

  it('reports compose-depends-on-cycle.yaml as compose-go does (TestLoadDependsOnCycle)', () => {
    expect(problems(chain({ service1: ['service2'], service2: ['service3'], service3: ['service1'] }))).toEqual([
      {
        severity: 'error',
        code: 'consistency.dependency-cycle',
        message: 'dependency cycle detected: service1 -> service2 -> service3 -> service1',
        path: 'services.service1.depends_on',
      },
    ]);
  });

  it('reports a service depending on itself (compose-depends-on-self.yaml, TestLoadDependsOnSelf)', () => {
    expect(messages(chain({ service1: ['service1'] }))).toEqual(['dependency cycle detected: service1 -> service1']);
  });

  it('walks services and dependencies in name order (Test_detectCycle)', () => {
    const g = chain({ G: ['A'], F: ['D'], E: ['B'], D: ['E', 'C'], C: ['B', 'A'], B: ['D'], A: [] });
    expect(messages(g)).toEqual(['dependency cycle detected: B -> D -> C -> B']);
    expect(messages(chain({ test1: ['test2'], test2: ['test3'], test3: [] }))).toEqual([]);
  });

  it.skipIf(!corpus)('agrees on the corpus fixtures', () => {
    const load = (file: string): Project => {
      const raw = parse(readFileSync(join(corpus!, 'compose-go/loader/testdata', file), 'utf8')) as { services: Record<string, { image: string; depends_on: string[] }> };
      const services = Object.fromEntries(
        Object.entries(raw.services).map(([n, s]) => [n, img({ image: s.image, depends_on: Object.fromEntries(s.depends_on.map((d) => [d, started()])) })]),
      );
      return project(services);
    };
    expect(messages(load('compose-depends-on-cycle.yaml'))).toEqual(['dependency cycle detected: service1 -> service2 -> service3 -> service1']);
    expect(messages(load('compose-depends-on-self.yaml'))).toEqual(['dependency cycle detected: service1 -> service1']);
    // Without profiles this file is the same cycle; profiles.test.ts shows a profile breaking it.
    expect(messages(load('compose-depends-on-profile-no-cycle.yaml'))).toEqual(['dependency cycle detected: service1 -> service2 -> service3 -> service1']);
  });
});

describe('external volumes', () => {
  it('accept only name and x- keys next to external: true', () => {
    expect(problems(project({}, { volumes: { external_volume: { external: true, driver: 'foobar' } } }))).toMatchObject([
      { message: 'volumes.external_volume: conflicting parameters "external" and "driver" specified', path: 'volumes.external_volume.driver' },
    ]);
    expect(messages(project({}, { volumes: { v: { external: true, name: 'shared', 'x-note': 1 } } }))).toEqual([]);
  });
});

describe('reporting', () => {
  it('collects every problem into one DiagnosticError', () => {
    const p = project({ a: {}, b: img({ depends_on: { nope: started() }, networks: { missing: null } }) });
    let thrown: unknown;
    try {
      checkConsistency(p);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DiagnosticError);
    expect((thrown as DiagnosticError).diagnostics.map((d) => d.code)).toEqual([
      'consistency.missing-image',
      'consistency.undefined-network',
      'consistency.undefined-service',
    ]);
  });

  it('accepts a consistent project', () => {
    expect(() => checkConsistency(project({ web: img({ depends_on: { db: started() } }), db: img() }))).not.toThrow();
  });
});
