// One describe per attribute, like compose-go's loader/tests: YAML in, canonical model out.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { toCanonicalForm } from '../../src/compose/canonical.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

const WD = '/work/project';
const HOME = '/home/tester';

interface Warning {
  code: string;
  message: string;
  path: string;
}

function load(yaml: string, env: Record<string, string> = {}) {
  const warnings: Warning[] = [];
  const project = toCanonicalForm(parse(yaml) as Record<string, unknown>, {
    workingDir: WD,
    lookupEnv: (name) => ({ HOME, ...env })[name],
    warn: (code, message, path) => warnings.push({ code, message, path }),
  });
  return { project, warnings };
}

/** The canonical form of service `foo` declared with the given attributes (YAML, indented 4 spaces). */
function service(attributes: string, env: Record<string, string> = {}): Record<string, unknown> {
  const { project } = load(`services:\n  foo:\n    image: alpine\n${attributes}`, env);
  return project.services.foo as unknown as Record<string, unknown>;
}

function failure(yaml: string): { code: string; message: string; path?: string } {
  try {
    load(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticError);
    const d = (e as DiagnosticError).diagnostics[0]!;
    return { code: d.code, message: d.message, path: d.path };
  }
  throw new Error('expected toCanonicalForm to fail');
}

const svcFailure = (attributes: string) => failure(`services:\n  foo:\n    image: alpine\n${attributes}`);

describe('annotations, labels, sysctls (list_or_dict -> map)', () => {
  it('reads the list form; a bare key gets ""', () => {
    const s = service('    labels: ["a=1", "b", "c=x=y"]\n    annotations: ["k=v"]\n    sysctls: ["net.core.somaxconn=1024"]');
    expect(s.labels).toEqual({ a: '1', b: '', c: 'x=y' });
    expect(s.annotations).toEqual({ k: 'v' });
    expect(s.sysctls).toEqual({ 'net.core.somaxconn': '1024' });
  });

  it('does not check label keys for trailing spaces (only MappingWithEquals does)', () => {
    expect(service('    labels: ["a =b"]').labels).toEqual({ 'a ': 'b' });
  });

  it('reads the map form; scalars are printed like Go and null becomes ""', () => {
    const s = service('    labels:\n      a: 1\n      b: true\n      c:\n      d: 2.5');
    expect(s.labels).toEqual({ a: '1', b: 'true', c: '', d: '2.5' });
  });
});

describe('booleans (attach, init, tty, privileged, read_only, ...)', () => {
  it('casts YAML 1.1 spellings and warns about them (TestLoadLegacyBoolean)', () => {
    const { project, warnings } = load('services:\n  foo:\n    image: a\n    init: "yes"\n    tty: "off"\n    privileged: "true"');
    expect(project.services.foo).toMatchObject({ init: true, tty: false, privileged: true });
    expect(warnings).toEqual([
      { code: 'canonical.legacy-bool', message: '"yes" for boolean is not supported by YAML 1.2, please use `true`', path: 'services.foo.init' },
      { code: 'canonical.legacy-bool', message: '"off" for boolean is not supported by YAML 1.2, please use `false`', path: 'services.foo.tty' },
    ]);
  });

  it('rejects other strings', () => {
    expect(svcFailure('    init: "maybe"')).toEqual({
      code: 'canonical.bool',
      message: 'invalid boolean: maybe',
      path: 'services.foo.init',
    });
  });
});

describe('blkio_config', () => {
  it('reads rates as byte sizes and weights as integers', () => {
    const s = service(
      '    blkio_config:\n      weight: "300"\n      weight_device: [{path: /dev/sda, weight: 400}]\n      device_read_bps: [{path: /dev/sda, rate: 1mb}]\n      device_write_iops: [{path: /dev/sda, rate: "30"}]',
    );
    expect(s.blkio_config).toEqual({
      weight: 300,
      weight_device: [{ path: '/dev/sda', weight: 400 }],
      device_read_bps: [{ path: '/dev/sda', rate: 1048576 }],
      device_write_iops: [{ path: '/dev/sda', rate: 30 }],
    });
  });
});

describe('build', () => {
  it('turns a string into {context} with the default dockerfile, resolving the context', () => {
    expect(service('    build: ./dir').build).toEqual({ context: `${WD}/dir`, dockerfile: 'Dockerfile' });
  });

  it('defaults the context to the project directory', () => {
    expect(service('    build: {}').build).toEqual({ context: WD, dockerfile: 'Dockerfile' });
  });

  it('sets no dockerfile next to dockerfile_inline (TestDockerfileInline)', () => {
    expect(service('    build:\n      dockerfile_inline: FROM alpine').build).toEqual({
      context: WD,
      dockerfile_inline: 'FROM alpine',
    });
  });

  it('leaves remote and service contexts alone', () => {
    for (const context of ['https://github.com/a/b.git', 'git@github.com:a/b.git', 'github.com/a/b', 'service:base', 'docker-image://alpine']) {
      expect((service(`    build: "${context}"`).build as { context: string }).context).toBe(context);
    }
  });

  it('resolves bare args from the environment and drops unset ones (TestNormalizeNetworkNames args)', () => {
    const build = service('    build:\n      context: .\n      args:\n        FOO: null\n        ZOT: null\n        SET: "x"\n        EMPTY: ""', { FOO: 'BAR' }).build;
    expect(build).toMatchObject({ args: { FOO: 'BAR', SET: 'x', EMPTY: '' } });
    expect((build as { args: object }).args).not.toHaveProperty('ZOT');
  });

  it('reads list args, bare keys included', () => {
    const build = service('    build:\n      args: ["A=1", "B", "C"]', { B: 'b' }).build;
    expect((build as { args: object }).args).toEqual({ A: '1', B: 'b' });
  });

  it('turns an ssh list into a map (TestBuildSSH, transform/ssh_test.go)', () => {
    const build = service('    build:\n      ssh: [default, "key=/keys/id_rsa", "rel=./id"]').build;
    expect((build as { ssh: object }).ssh).toEqual({ default: null, key: '/keys/id_rsa', rel: `${WD}/id` });
  });

  it('rejects an ssh entry without a path unless it is default', () => {
    expect(svcFailure('    build:\n      ssh: [mykey]')).toMatchObject({
      code: 'canonical.ssh',
      message: 'invalid ssh key "mykey"',
      path: 'services.foo.build.ssh',
    });
  });

  it('reads labels, additional_contexts and the remaining typed fields', () => {
    const build = service(
      '    build:\n      labels: [FOO=BAR]\n      additional_contexts: ["lib=./lib", "img=docker-image://alpine"]\n      shm_size: 1g\n      provenance: true\n      no_cache: "true"\n      no_cache_filter: stage\n      extra_hosts: ["h=1.2.3.4"]\n      secrets: [s1]\n      ulimits: {nofile: 1024}',
    ).build;
    expect(build).toEqual({
      context: WD,
      dockerfile: 'Dockerfile',
      labels: { FOO: 'BAR' },
      additional_contexts: { lib: `${WD}/lib`, img: 'docker-image://alpine' },
      shm_size: 1073741824,
      provenance: 'true',
      no_cache: true,
      no_cache_filter: ['stage'],
      extra_hosts: { h: ['1.2.3.4'] },
      secrets: [{ source: 's1' }],
      ulimits: { nofile: { single: 1024 } },
    });
  });

  it('rejects an additional context without =', () => {
    expect(svcFailure('    build:\n      additional_contexts: [lib]')).toMatchObject({
      code: 'canonical.key-value',
      message: 'services.foo.build.additional_contexts: invalid value lib, expected key=value',
    });
  });
});

describe('command and entrypoint', () => {
  it('splits a string like a shell, without expanding variables (TestCommandString)', () => {
    expect(service('    command: bundle exec thin -p 3000').command).toEqual(['bundle', 'exec', 'thin', '-p', '3000']);
    expect(service(`    entrypoint: sh -c 'echo $$HOME'`).entrypoint).toEqual(['sh', '-c', 'echo $$HOME']);
  });

  it('keeps a list, an empty list and null', () => {
    expect(service('    command: ["a", "b c"]').command).toEqual(['a', 'b c']);
    expect(service('    command: []').command).toEqual([]);
    expect(service("    command: ''").command).toEqual([]);
    expect(service('    command: null').command).toBeNull();
  });

  it('reports an unterminated quote at the attribute', () => {
    expect(svcFailure(`    command: echo "hi`)).toEqual({
      code: 'canonical.command',
      message: 'invalid command line string',
      path: 'services.foo.command',
    });
  });
});

describe('configs and secrets (service)', () => {
  it('gives secrets the default target /run/secrets/<source>, configs none (transform/defaults.go)', () => {
    const s = service('    secrets: [s1, {source: s2, target: my_secret, uid: "103", mode: "0440"}]\n    configs: [c1, {source: c2, mode: 292}]');
    expect(s.secrets).toEqual([
      { source: 's1', target: '/run/secrets/s1' },
      { source: 's2', target: 'my_secret', uid: '103', mode: 0o440 },
    ]);
    expect(s.configs).toEqual([{ source: 'c1' }, { source: 'c2', mode: 0o444 }]);
  });

  it('rejects a mode string that is not octal', () => {
    expect(svcFailure('    configs: [{source: c, mode: "0999"}]')).toMatchObject({
      code: 'canonical.mode',
      path: 'services.foo.configs[0].mode',
    });
  });
});

describe('cpu, memory and other numeric attributes', () => {
  it('casts strings and reads byte sizes', () => {
    const s = service(
      '    cpus: "1.5"\n    cpu_shares: "512"\n    cpu_percent: 50\n    mem_limit: 300m\n    mem_reservation: "1gb"\n    memswap_limit: -1\n    shm_size: 64M\n    pids_limit: "100"\n    scale: "2"',
    );
    expect(s).toMatchObject({
      cpus: 1.5,
      cpu_shares: 512,
      cpu_percent: 50,
      mem_limit: 300 * 1024 * 1024,
      mem_reservation: 1024 * 1024 * 1024,
      memswap_limit: -1,
      shm_size: 64 * 1024 * 1024,
      pids_limit: 100,
      scale: 2,
    });
  });

  it('reports an invalid size', () => {
    expect(svcFailure('    mem_limit: lots')).toEqual({
      code: 'canonical.bytes',
      message: "invalid size: 'lots'",
      path: 'services.foo.mem_limit',
    });
  });

  it('reports a non-integer in an integer field', () => {
    expect(svcFailure('    cpu_shares: "1.5"')).toMatchObject({ code: 'canonical.int', path: 'services.foo.cpu_shares' });
  });
});

describe('depends_on', () => {
  it('turns a list into service_started + required', () => {
    expect(service('    depends_on: [db, cache]').depends_on).toEqual({
      db: { condition: 'service_started', required: true },
      cache: { condition: 'service_started', required: true },
    });
  });

  it('fills condition and required in the map form and casts strings', () => {
    expect(service('    depends_on:\n      db: {condition: service_healthy}\n      x: {required: "false", restart: "true"}').depends_on).toEqual({
      db: { condition: 'service_healthy', required: true },
      x: { condition: 'service_started', required: false, restart: true },
    });
  });
});

describe('deploy', () => {
  it('reads resources, durations, labels and device requests', () => {
    const s = service(
      '    deploy:\n      replicas: "3"\n      labels: [a=b]\n      update_config: {parallelism: "2", delay: 90s, monitor: 60s, max_failure_ratio: "0.3"}\n      restart_policy: {condition: on-failure, delay: 5s, max_attempts: "3", window: 120s}\n      resources:\n        limits: {cpus: "0.5", memory: 50M, pids: "10"}\n        reservations:\n          memory: 20M\n          devices: [{driver: nvidia, capabilities: [gpu], count: all, options: {q_bits: 42}}]\n          generic_resources: [{discrete_resource_spec: {kind: gpu, value: "2"}}]',
    );
    expect(s.deploy).toEqual({
      replicas: 3,
      labels: { a: 'b' },
      update_config: { parallelism: 2, delay: '1m30s', monitor: '1m0s', max_failure_ratio: 0.3 },
      restart_policy: { condition: 'on-failure', delay: '5s', max_attempts: 3, window: '2m0s' },
      resources: {
        limits: { cpus: 0.5, memory: 52428800, pids: 10 },
        reservations: {
          memory: 20971520,
          devices: [{ driver: 'nvidia', capabilities: ['gpu'], count: -1, options: { q_bits: '42' } }],
          generic_resources: [{ discrete_resource_spec: { kind: 'gpu', value: 2 } }],
        },
      },
    });
  });

  it('reads a device count given as a string (types.DeviceCount)', () => {
    const s = service('    deploy:\n      resources:\n        reservations:\n          devices: [{driver: nvidia, count: "1"}]');
    expect(s.deploy).toEqual({ resources: { reservations: { devices: [{ driver: 'nvidia', count: 1 }] } } });
  });

  it('rejects any other count string', () => {
    expect(
      svcFailure('    deploy:\n      resources:\n        reservations:\n          devices: [{driver: nvidia, count: some_string}]'),
    ).toEqual({
      code: 'canonical.device-count',
      message: `invalid value "some_string", the only value allowed is 'all' or a number`,
      path: 'services.foo.deploy.resources.reservations.devices[0].count',
    });
  });
});

describe('develop', () => {
  it('resolves watch paths and turns a string ignore/include into a list', () => {
    const s = service(
      '    develop:\n      watch:\n        - {path: ./src, action: sync, target: /app/src, ignore: node_modules/, initial_sync: "true"}\n        - {path: ./requirements.txt, action: rebuild, include: ["*.txt"]}',
    );
    expect(s.develop).toEqual({
      watch: [
        { path: `${WD}/src`, action: 'sync', target: '/app/src', ignore: ['node_modules/'], initial_sync: true },
        { path: `${WD}/requirements.txt`, action: 'rebuild', include: ['*.txt'] },
      ],
    });
  });
});

describe('devices', () => {
  it('reads the short syntax and keeps the long one (TestDeviceMapping)', () => {
    expect(service('    devices: ["/dev/source:/dev/target:permissions", /dev/single, {source: /dev/x}]').devices).toEqual([
      { source: '/dev/source', target: '/dev/target', permissions: 'permissions' },
      { source: '/dev/single', target: '/dev/single', permissions: 'rwm' },
      { source: '/dev/x' },
    ]);
  });

  it('rejects a confusing mapping', () => {
    expect(svcFailure('    devices: [/dev/ok, "/a:/b:rwm:x"]')).toEqual({
      code: 'canonical.devices',
      message: 'confusing device mapping, please use long syntax: /a:/b:rwm:x',
      path: 'services.foo.devices[1]',
    });
  });
});

describe('dns, dns_search, tmpfs', () => {
  it('turn a string into a one-element list', () => {
    const s = service('    dns: 8.8.8.8\n    dns_search: example.com\n    tmpfs: /run');
    expect(s).toMatchObject({ dns: ['8.8.8.8'], dns_search: ['example.com'], tmpfs: ['/run'] });
  });

  it('omit empty dns entries, and dns itself when nothing is left (loader/omitEmpty.go)', () => {
    expect(service('    dns: ["", 1.1.1.1]').dns).toEqual(['1.1.1.1']);
    expect(service('    dns: ""')).not.toHaveProperty('dns');
  });
});

describe('env_file', () => {
  it('turns a string into [{path, required: true}] with an absolute path', () => {
    expect(service('    env_file: .env').env_file).toEqual([{ path: `${WD}/.env`, required: true }]);
  });

  it('keeps required and format of the long form (TestEnvFileLongSyntax)', () => {
    expect(service('    env_file: [a.env, {path: /abs/b.env, required: "false", format: raw}]').env_file).toEqual([
      { path: `${WD}/a.env`, required: true },
      { path: '/abs/b.env', required: false, format: 'raw' },
    ]);
  });
});

describe('environment', () => {
  it('reads the map form (TestEnvironmentMap)', () => {
    const s = service('    environment:\n      FOO: "1"\n      BAR: 2\n      GA: 2.5\n      BU: ""\n      ZO:\n      MEU:', { MEU: 'Shadoks' });
    expect(s.environment).toEqual({ FOO: '1', BAR: '2', GA: '2.5', BU: '', ZO: null, MEU: 'Shadoks' });
  });

  it('reads the list form (TestEnvironmentList)', () => {
    const s = service('    environment: [FOO=1, BAR=2, BU=, ZO, MEU, "X=a=b"]', { MEU: 'Shadoks' });
    expect(s.environment).toEqual({ FOO: '1', BAR: '2', BU: '', ZO: null, MEU: 'Shadoks', X: 'a=b' });
  });

  it('prints booleans as strings (TestEnvironmentBoolean)', () => {
    expect(service('    environment:\n      FOO: true\n      BAR: false').environment).toEqual({ FOO: 'true', BAR: 'false' });
  });

  it('resolves a bare key set to the empty string to ""', () => {
    expect(service('    environment: [E]', { E: '' }).environment).toEqual({ E: '' });
  });

  it('rejects a string (TestEnvironmentInvalidObject)', () => {
    expect(svcFailure('    environment: "FOO=1"')).toEqual({
      code: 'canonical.environment',
      message: 'services.foo.environment must be a mapping',
      path: 'services.foo.environment',
    });
  });

  it('rejects a nested value (TestEnvironmentInvalidValue)', () => {
    expect(svcFailure('    environment:\n      FOO: ["1"]')).toMatchObject({
      message: 'services.foo.environment.FOO must be a boolean, null, number or string',
    });
  });

  it('rejects a space before = (TestEnvironmentWhitespace)', () => {
    expect(svcFailure('    environment: ["DEBUG = true"]')).toEqual({
      code: 'canonical.environment',
      message: "'services[foo].environment' environment variable DEBUG  is declared with a trailing space",
      path: 'services.foo.environment',
    });
    expect(svcFailure('    environment: ["TAB\t"]')).toMatchObject({ code: 'canonical.environment' });
  });

  it('accepts a trailing space in a map key: compose-go only checks the list form', () => {
    expect(service('    environment:\n      "A ": x').environment).toEqual({ 'A ': 'x' });
  });

  it('applies the same check to build.args', () => {
    expect(svcFailure('    build:\n      args: ["V =1"]')).toMatchObject({
      message: "'services[foo].build.args' environment variable V  is declared with a trailing space",
      path: 'services.foo.build.args',
    });
  });
});

describe('expose and group_add', () => {
  it('prints numbers as strings', () => {
    expect(service('    expose: [3000, "8000-8010/udp"]\n    group_add: [mail, 42]')).toMatchObject({
      expose: ['3000', '8000-8010/udp'],
      group_add: ['mail', '42'],
    });
  });
});

describe('extends', () => {
  it('turns a string into {service}', () => {
    expect(service('    extends: web').extends).toEqual({ service: 'web' });
  });

  it('resolves the file of the long form', () => {
    expect(service('    extends: {service: web, file: common.yml}').extends).toEqual({ service: 'web', file: `${WD}/common.yml` });
  });
});

describe('extra_hosts', () => {
  it('reads the list form into host -> IPs', () => {
    expect(service('    extra_hosts: ["somehost=162.242.195.82", "myhostv6:::1", "multi=10.0.0.1,10.0.0.2"]').extra_hosts).toEqual({
      somehost: ['162.242.195.82'],
      myhostv6: ['::1'],
      multi: ['10.0.0.1', '10.0.0.2'],
    });
  });

  it('reads the map form', () => {
    expect(service('    extra_hosts:\n      a: "[::1]"\n      b: [1.1.1.1, 2.2.2.2]').extra_hosts).toEqual({ a: ['::1'], b: ['1.1.1.1', '2.2.2.2'] });
  });

  it('reports a bad host name at the attribute', () => {
    expect(svcFailure('    extra_hosts: ["=::1"]')).toEqual({
      code: 'canonical.extra-hosts',
      message: "bad host name ''",
      path: 'services.foo.extra_hosts',
    });
  });
});

describe('gpus', () => {
  it('turns all into a count of -1 (TestGpusAll)', () => {
    expect(service('    gpus: all').gpus).toEqual([{ count: -1 }]);
  });

  it('defaults the count when neither count nor device_ids is given (TestGpus)', () => {
    expect(service('    gpus:\n      - driver: nvidia\n      - {driver: 3dfx, device_ids: [voodoo2], capabilities: [directX]}').gpus).toEqual([
      { driver: 'nvidia', count: -1 },
      { driver: '3dfx', device_ids: ['voodoo2'], capabilities: ['directX'] },
    ]);
  });
});

describe('healthcheck', () => {
  it('turns a string test into CMD-SHELL and re-prints durations (TestHealthcheck)', () => {
    expect(service('    healthcheck:\n      test: echo "hello world"\n      interval: 10s\n      timeout: 1s\n      retries: "5"\n      start_period: 90s\n      start_interval: 5s').healthcheck).toEqual({
      test: ['CMD-SHELL', 'echo "hello world"'],
      interval: '10s',
      timeout: '1s',
      retries: 5,
      start_period: '1m30s',
      start_interval: '5s',
    });
  });

  it('keeps a list test and casts disable', () => {
    expect(service('    healthcheck:\n      test: [CMD, curl, -f, x]\n      disable: "false"').healthcheck).toEqual({
      test: ['CMD', 'curl', '-f', 'x'],
      disable: false,
    });
  });

  it('reports an invalid duration', () => {
    expect(svcFailure('    healthcheck:\n      interval: 10')).toEqual({
      code: 'canonical.duration',
      message: 'time: missing unit in duration "10"',
      path: 'services.foo.healthcheck.interval',
    });
  });
});

describe('label_file', () => {
  it('turns a string into a list of absolute paths', () => {
    expect(service('    label_file: ./labels').label_file).toEqual([`${WD}/labels`]);
  });
});

describe('logging', () => {
  it('prints option values as strings', () => {
    expect(service('    logging:\n      driver: json-file\n      options: {max-size: 10m, max-file: 3, tag: null}').logging).toEqual({
      driver: 'json-file',
      options: { 'max-size': '10m', 'max-file': '3', tag: '' },
    });
  });
});

describe('models (service)', () => {
  it('turns a list into a map with null values (TestModels)', () => {
    expect(service('    models: [foo]').models).toEqual({ foo: null });
    expect(service('    models:\n      foo: {endpoint_var: MODEL_URL, model_var: MODEL}').models).toEqual({
      foo: { endpoint_var: 'MODEL_URL', model_var: 'MODEL' },
    });
  });
});

describe('networks (service)', () => {
  it('turns a list into a map with null values', () => {
    expect(service('    networks: [front, back]').networks).toEqual({ front: null, back: null });
  });

  it('keeps the map form and casts priorities', () => {
    expect(service('    networks:\n      front:\n        aliases: [a]\n        priority: "10"\n      back:').networks).toEqual({
      front: { aliases: ['a'], priority: 10 },
      back: null,
    });
  });
});

describe('ports', () => {
  it('expands the short syntax into long entries', () => {
    expect(service('    ports: ["8080:80", 8600, "127.0.0.1:9000-9001:90-91/udp"]').ports).toEqual([
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
      { target: 8600, protocol: 'tcp', mode: 'ingress' },
      { target: 90, published: '9000', host_ip: '127.0.0.1', protocol: 'udp', mode: 'ingress' },
      { target: 91, published: '9001', host_ip: '127.0.0.1', protocol: 'udp', mode: 'ingress' },
    ]);
  });

  it('fills long-form defaults and prints published as a string', () => {
    expect(service('    ports: [{target: "80", published: 8080}, {target: 443, mode: host, protocol: tcp, app_protocol: https}]').ports).toEqual([
      { target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' },
      { target: 443, mode: 'host', protocol: 'tcp', app_protocol: 'https' },
    ]);
  });

  it('reports a parse error at the entry', () => {
    expect(svcFailure('    ports: ["80:80", "127.0.1:8080:80"]')).toEqual({
      code: 'canonical.ports',
      message: 'Invalid ip address: 127.0.1',
      path: 'services.foo.ports[1]',
    });
  });
});

describe('post_start, pre_stop, pre_start', () => {
  it('split string commands and cast booleans', () => {
    const s = service(
      '    post_start: [{command: ./hook.sh arg, user: root, privileged: "true", environment: [A=1, B]}]\n    pre_start: [{command: [migrate], per_replica: "false"}, {image: busybox}]',
    );
    expect(s.post_start).toEqual([{ command: ['./hook.sh', 'arg'], user: 'root', privileged: true, environment: { A: '1', B: null } }]);
    expect(s.pre_start).toEqual([{ command: ['migrate'], per_replica: false }, { image: 'busybox' }]);
  });
});

describe('pull_policy', () => {
  it('turns if_not_present into missing and keeps other values', () => {
    expect(service('    pull_policy: if_not_present').pull_policy).toBe('missing');
    expect(service('    pull_policy: every_12h').pull_policy).toBe('every_12h');
  });
});

describe('stop_grace_period', () => {
  it('is re-printed like Go', () => {
    expect(service('    stop_grace_period: 90s').stop_grace_period).toBe('1m30s');
    expect(service('    stop_grace_period: 1h').stop_grace_period).toBe('1h0m0s');
  });
});

describe('storage_opt', () => {
  it('prints values as strings', () => {
    expect(service('    storage_opt: {size: 20}').storage_opt).toEqual({ size: '20' });
  });
});

describe('ulimits', () => {
  it('reads a number as single and a map as soft/hard (TestUlimits)', () => {
    expect(service('    ulimits:\n      nproc: 65535\n      nofile: {soft: 20000, hard: "40000"}').ulimits).toEqual({
      nproc: { single: 65535 },
      nofile: { soft: 20000, hard: 40000 },
    });
  });
});

describe('volumes (service)', () => {
  it('parses short binds, resolving relative sources and ~', () => {
    expect(service('    volumes: ["./d:/d:ro", "~/cfg:/cfg", "/abs:/abs", "../up:/up"]').volumes).toEqual([
      { type: 'bind', source: `${WD}/d`, target: '/d', read_only: true, bind: { create_host_path: true } },
      { type: 'bind', source: `${HOME}/cfg`, target: '/cfg', bind: { create_host_path: true } },
      { type: 'bind', source: '/abs', target: '/abs', bind: { create_host_path: true } },
      { type: 'bind', source: '/work/up', target: '/up', bind: { create_host_path: true } },
    ]);
  });

  it('parses named and anonymous volumes', () => {
    expect(service('    volumes: ["data:/var/lib/data:nocopy", /anon]').volumes).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib/data', volume: { nocopy: true } },
      { type: 'volume', target: '/anon', volume: {} },
    ]);
  });

  it('defaults create_host_path only where a bind block is present (defaultVolumeBind)', () => {
    expect(
      service('    volumes:\n      - {type: bind, source: ./a, target: /a}\n      - {type: bind, source: ./b, target: /b/, bind: {propagation: rshared}}\n      - {type: bind, source: /c, target: /c, bind: {create_host_path: false}}').volumes,
    ).toEqual([
      { type: 'bind', source: `${WD}/a`, target: '/a' },
      { type: 'bind', source: `${WD}/b`, target: '/b', bind: { propagation: 'rshared', create_host_path: true } },
      { type: 'bind', source: '/c', target: '/c', bind: { create_host_path: false } },
    ]);
  });

  it('casts long-form fields', () => {
    expect(
      service('    volumes:\n      - {type: tmpfs, target: /t, tmpfs: {size: 10m, mode: 1023}}\n      - {type: volume, source: v, target: /v, read_only: "true", volume: {nocopy: "true", labels: [a=b], subpath: sub}}').volumes,
    ).toEqual([
      { type: 'tmpfs', target: '/t', tmpfs: { size: 10485760, mode: 0o1777 } },
      { type: 'volume', source: 'v', target: '/v', read_only: true, volume: { nocopy: true, labels: { a: 'b' }, subpath: 'sub' } },
    ]);
  });

  it('rejects a tmpfs mode given as a string, as compose-go (uint32, no conversion) does', () => {
    expect(svcFailure('    volumes: [{type: tmpfs, target: /t, tmpfs: {mode: "1777"}}]')).toEqual({
      code: 'canonical.mode',
      message: "expected type 'uint32', got unconvertible type 'string'",
      path: 'services.foo.volumes[0].tmpfs.mode',
    });
  });

  it('reports a short-syntax error at the entry', () => {
    expect(svcFailure('    volumes: ["/foo:/foo:ro:foo"]')).toEqual({
      code: 'canonical.volumes',
      message: 'invalid spec: /foo:/foo:ro:foo: too many colons',
      path: 'services.foo.volumes[0]',
    });
  });

  it('rejects a bind without a source', () => {
    expect(svcFailure('    volumes: [{type: bind, target: /x}]')).toMatchObject({
      message: 'invalid mount config for type "bind": field Source must not be empty',
    });
  });
});

describe('services: passthrough and nulls', () => {
  it('keeps unknown and x- keys verbatim and drops null attributes', () => {
    const s = service('    x-custom: {a: [1]}\n    restart: unless-stopped\n    hostname: null\n    x-null: null');
    expect(s).toEqual({ image: 'alpine', 'x-custom': { a: [1] }, restart: 'unless-stopped', 'x-null': null });
  });

  it('turns a null service into an empty one', () => {
    expect(load('services:\n  nil:').project.services).toEqual({ nil: {} });
  });
});

describe('top-level networks, volumes, secrets, configs', () => {
  it('turns null entries into empty objects', () => {
    const { project } = load('services: {}\nnetworks:\n  front:\nvolumes:\n  data:');
    expect(project.networks).toEqual({ front: {} });
    expect(project.volumes).toEqual({ data: {} });
  });

  it('rewrites the deprecated external.name with a warning (transform/external_test.go)', () => {
    const { project, warnings } = load('services: {}\nvolumes:\n  v:\n    external:\n      name: foo\nsecrets:\n  s:\n    name: foo\n    external: {name: foo}\nconfigs:\n  c:\n    external: {}');
    expect(project.volumes).toEqual({ v: { external: true, name: 'foo' } });
    expect(project.secrets).toEqual({ s: { external: true, name: 'foo' } });
    expect(project.configs).toEqual({ c: { external: true } });
    expect(warnings).toEqual([
      { code: 'canonical.external-name', message: 'volumes.v: external.name is deprecated. Please set name and external: true', path: 'volumes.v.external' },
      { code: 'canonical.external-name', message: 'secrets.s: external.name is deprecated. Please set name and external: true', path: 'secrets.s.external' },
    ]);
  });

  it('rejects a name that conflicts with external.name', () => {
    expect(failure('services: {}\nnetworks:\n  n:\n    name: a\n    external: {name: b}')).toEqual({
      code: 'canonical.external',
      message: 'networks.n: name and external.name conflict; only use name',
      path: 'networks.n.name',
    });
  });

  it('casts booleans and stringifies options and labels', () => {
    const { project } = load(
      'services: {}\nnetworks:\n  n:\n    external: "false"\n    internal: "yes"\n    driver_opts: {mtu: 1500}\n    labels: [a=b]\n    ipam:\n      config: [{subnet: 10.0.0.0/24, aux_addresses: {host1: 10.0.0.5}}]\n      options: {foo: 1}',
    );
    expect(project.networks).toEqual({
      n: {
        external: false,
        internal: true,
        driver_opts: { mtu: '1500' },
        labels: { a: 'b' },
        ipam: { config: [{ subnet: '10.0.0.0/24', aux_addresses: { host1: '10.0.0.5' } }], options: { foo: '1' } },
      },
    });
  });

  it('resolves the device of a local bind volume and the files of secrets and configs', () => {
    const { project } = load(
      'services: {}\nvolumes:\n  v: {driver: local, driver_opts: {type: none, o: bind, device: ./data}}\n  w: {driver: local, driver_opts: {o: "bind,ro", device: ./x}}\nsecrets:\n  s: {file: ./secret.txt}\nconfigs:\n  c: {file: /etc/c.conf}\n  d: {content: hello}',
    );
    expect(project.volumes).toEqual({
      v: { driver: 'local', driver_opts: { type: 'none', o: 'bind', device: `${WD}/data` } },
      w: { driver: 'local', driver_opts: { o: 'bind,ro', device: './x' } },
    });
    expect(project.secrets).toEqual({ s: { file: `${WD}/secret.txt` } });
    expect(project.configs).toEqual({ c: { file: '/etc/c.conf' }, d: { content: 'hello' } });
  });
});

describe('idempotency (the loader brings every document to canonical form)', () => {
  it('returns the canonical form unchanged', () => {
    const yaml = `
name: demo
x-top: {keep: me}
services:
  web:
    build: ./web
    command: npm start -- --port 3000
    environment: [A=1, B]
    env_file: .env
    ports: ["8080-8081:80-81", "53:53/udp"]
    volumes: ["./src:/src:ro", "data:/data", "~/x:/x"]
    secrets: [s]
    configs: [c]
    depends_on: [db]
    healthcheck: {test: curl -f localhost, interval: 90s}
    deploy: {resources: {limits: {memory: 1g}}, restart_policy: {delay: 5s}}
    extra_hosts: ["h:1.2.3.4"]
    gpus: all
    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}
    devices: [/dev/fuse]
    dns: 8.8.8.8
    networks: [front]
    labels: [a=b]
    pull_policy: if_not_present
    stop_grace_period: 1m30s
  db:
    image: postgres
    extends: base
networks:
  front:
volumes:
  data:
    external: {name: real}
secrets:
  s: {file: ./s.txt}
configs:
  c: {file: ./c.txt}
`;
    const env = { B: 'b' };
    const once = load(yaml, env).project;
    const twice = toCanonicalForm(structuredClone(once) as unknown as Record<string, unknown>, {
      workingDir: WD,
      lookupEnv: (name) => ({ HOME, ...env })[name as 'B'],
      warn: () => undefined,
    });
    expect(twice).toEqual(once);
  });
});

describe('values repeated across services (parsed once per run)', () => {
  it('gives every service the same durations, sizes and env_file paths', () => {
    const { project } = load(`
services:
  a:
    env_file: common.env
    healthcheck: {interval: 90s}
    deploy: {resources: {limits: {memory: 256M}}}
  b:
    env_file: common.env
    healthcheck: {interval: 90s}
    deploy: {resources: {limits: {memory: 256M}}}
`);
    for (const name of ['a', 'b']) {
      const svc = project.services[name] as unknown as Record<string, any>;
      expect(svc.healthcheck.interval).toBe('1m30s');
      expect(svc.deploy.resources.limits.memory).toBe(256 * 1024 * 1024);
      expect(svc.env_file).toEqual([{ path: `${WD}/common.env`, required: true }]);
    }
    // Each service gets its own env_file entries, so changing one cannot change the other.
    const [a, b] = ['a', 'b'].map((n) => (project.services[n] as unknown as Record<string, any>).env_file[0]);
    expect(a).not.toBe(b);
  });

  it('reports a repeated invalid value at its first use', () => {
    const yaml = 'services:\n  a:\n    healthcheck: {interval: 10}\n  b:\n    healthcheck: {interval: 10}\n';
    expect(failure(yaml)).toMatchObject({ code: 'canonical.duration', path: 'services.a.healthcheck.interval' });
  });

  it('resolves paths again in a later run with another working directory', () => {
    const run = (workingDir: string) =>
      toCanonicalForm(parse('services:\n  a:\n    env_file: x.env\n') as Record<string, unknown>, { workingDir, lookupEnv: () => undefined, warn: () => undefined });
    expect((run('/one').services.a!.env_file as { path: string }[])[0]!.path).toBe('/one/x.env');
    expect((run('/two').services.a!.env_file as { path: string }[])[0]!.path).toBe('/two/x.env');
  });
});
