// Golden pairs from compose-go's loader/normalize_test.go, written as canonical models (normalize runs
// after toCanonicalForm, so inputs are already in long form: depends_on entries carry `required`, build
// args are resolved).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { normalize } from '../../src/compose/normalize.js';
import type { Project } from '../../src/model/project.js';

const yaml = (text: string) => parse(text) as Project;

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('normalize (loader/normalize_test.go)', () => {
  it('TestNormalizeNetworkNames', () => {
    const input = yaml(`
name: myProject
services:
  foo:
    build:
      context: ./testdata
      args:
        FOO: BAR
networks:
  myExternalnet:
    external: true
  myNamedNet:
    name: CustomName
  mynet: {}
`);
    expect(normalize(input)).toEqual(
      yaml(`
name: myProject
services:
  foo:
    build:
      context: ./testdata
      dockerfile: Dockerfile
      args:
        FOO: BAR
    networks:
      default: null
networks:
  default:
    name: myProject_default
  myExternalnet:
    name: myExternalnet
    external: true
  myNamedNet:
    name: CustomName
  mynet:
    name: myProject_mynet
`),
    );
  });

  it('TestNormalizeVolumes', () => {
    const input = yaml(`
name: myProject
services: {}
volumes:
  myExternalVol:
    external: true
  myvol: {}
  myNamedVol:
    name: CustomName
`);
    expect(normalize(input)).toEqual(
      yaml(`
name: myProject
services: {}
volumes:
  myExternalVol:
    name: myExternalVol
    external: true
  myvol:
    name: myProject_myvol
  myNamedVol:
    name: CustomName
`),
    );
  });

  it('TestNormalizeDependsOn', () => {
    const input = yaml(`
name: myProject
services:
  foo:
    depends_on:
      bar:
        condition: service_healthy
        required: true
        restart: true
    network_mode: service:zot
  bar:
    volumes_from:
      - zot
      - container:xxx
  zot: {}
`);
    expect(normalize(input)).toEqual(
      yaml(`
name: myProject
services:
  bar:
    depends_on:
      zot:
        condition: service_started
        required: true
        restart: false
    networks:
      default: null
    volumes_from:
      - zot
      - container:xxx
  foo:
    depends_on:
      bar:
        condition: service_healthy
        required: true
        restart: true
      zot:
        condition: service_started
        required: true
        restart: true
    network_mode: service:zot
  zot:
    networks:
      default: null
networks:
  default:
    name: myProject_default
`),
    );
  });

  it('TestNormalizeImplicitDependencies: explicit entries are not overridden', () => {
    const input = yaml(`
name: myProject
services:
  test:
    ipc: service:foo
    cgroup: service:bar
    uts: service:baz
    pid: service:qux
    volumes_from: [quux]
    links: [corge]
    depends_on:
      foo:
        condition: service_healthy
        required: true
`);
    const out = normalize(input);
    expect(out.services.test!.depends_on).toEqual({
      foo: { condition: 'service_healthy', required: true },
      bar: { condition: 'service_started', restart: true, required: true },
      baz: { condition: 'service_started', restart: true, required: true },
      qux: { condition: 'service_started', restart: true, required: true },
      quux: { condition: 'service_started', restart: false, required: true },
      corge: { condition: 'service_started', restart: true, required: true },
    });
    expect(out.networks).toEqual({ default: { name: 'myProject_default' } });
  });

  it('TestImplicitContextPath', () => {
    const out = normalize(yaml('name: myProject\nservices:\n  test:\n    build: {}'));
    expect(out.services.test!.build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  });

  it('TestNormalizeDefaultNetwork', () => {
    expect(normalize(yaml('name: myProject\nservices:\n  test:\n    image: test'))).toEqual(
      yaml(`
name: myProject
networks:
  default:
    name: myProject_default
services:
  test:
    image: test
    networks:
      default: null
`),
    );
  });

  it('TestNormalizeCustomNetwork: no default network when nobody uses it', () => {
    expect(
      normalize(yaml('name: myProject\nservices:\n  test:\n    networks:\n      my_network: null\nnetworks:\n  my_network: {}')),
    ).toEqual(
      yaml(`
name: myProject
networks:
  my_network:
    name: myProject_my_network
services:
  test:
    networks:
      my_network: null
`),
    );
  });
});

describe('normalize: further rules of loader/normalize.go', () => {
  it('gives no default network to services with network_mode or provider', () => {
    const out = normalize(
      yaml('name: p\nservices:\n  a: {image: x, network_mode: host}\n  b: {provider: {type: model}}'),
    );
    expect(out.services.a!.networks).toBeUndefined();
    expect(out.services.b!.networks).toBeUndefined();
    expect(out.networks).toBeUndefined();
  });

  it('replaces an empty networks map with the default network', () => {
    const out = normalize(yaml('name: p\nservices:\n  a: {image: x, networks: {}}'));
    expect(out.services.a!.networks).toEqual({ default: null });
    expect(out.networks).toEqual({ default: { name: 'p_default' } });
  });

  it('names an explicitly declared default network like any other', () => {
    const out = normalize(yaml('name: p\nservices:\n  a: {image: x}\nnetworks:\n  default: {driver: overlay}'));
    expect(out.networks).toEqual({ default: { driver: 'overlay', name: 'p_default' } });
  });

  it('names secrets and configs, keeping external keys as they are', () => {
    const out = normalize(
      yaml('name: p\nservices: {}\nsecrets:\n  s: {file: /s}\n  e: {external: true}\nconfigs:\n  c: {name: custom, file: /c}'),
    );
    expect(out.secrets).toEqual({ s: { file: '/s', name: 'p_s' }, e: { external: true, name: 'e' } });
    expect(out.configs).toEqual({ c: { name: 'custom', file: '/c' } });
  });

  it('strips only a single alias from links', () => {
    const out = normalize(yaml('name: p\nservices:\n  a: {image: x, links: ["db:database", "plain"]}'));
    expect(Object.keys(out.services.a!.depends_on!)).toEqual(['db', 'plain']);
  });

  it('maps pull_policy if_not_present to missing', () => {
    const out = normalize(yaml('name: p\nservices:\n  a: {image: x, pull_policy: if_not_present}'));
    expect(out.services.a!.pull_policy).toBe('missing');
  });

  it('keeps dockerfile_inline without adding a dockerfile', () => {
    const out = normalize(yaml('name: p\nservices:\n  a: {build: {context: /c, dockerfile_inline: FROM x}}'));
    expect(out.services.a!.build).toEqual({ context: '/c', dockerfile_inline: 'FROM x' });
  });

  it('copies the service image into pre_start hooks that name none', () => {
    const out = normalize(
      yaml('name: p\nservices:\n  a:\n    image: app:1\n    pre_start: [{command: [migrate]}, {image: busybox, command: [ls]}]'),
    );
    expect(out.services.a!.pre_start).toEqual([
      { command: ['migrate'], image: 'app:1' },
      { image: 'busybox', command: ['ls'] },
    ]);
  });

  it('does not modify its input', () => {
    const input = yaml('name: p\nservices:\n  a: {image: x}');
    const before = structuredClone(input);
    normalize(input);
    expect(input).toEqual(before);
  });

  it('does not modify its input where it adds defaults (frozen input), and shares what it leaves alone', () => {
    const input = deepFreeze(
      yaml(`
name: p
services:
  a:
    image: x
    build: {context: .}
    links: [b]
    volumes: [{type: bind, source: /s, target: /t/}, {type: volume, source: v, target: /u}]
    pre_start: [{command: [migrate]}]
    environment: {A: '1'}
  b: {image: y, network_mode: host, labels: {l: '1'}}
volumes:
  v: {}
networks:
  front: null
`),
    );
    const out = normalize(input);
    expect(out.services.a).toEqual({
      image: 'x',
      build: { context: '.', dockerfile: 'Dockerfile' },
      links: ['b'],
      volumes: [
        { type: 'bind', source: '/s', target: '/t' },
        { type: 'volume', source: 'v', target: '/u' },
      ],
      pre_start: [{ command: ['migrate'], image: 'x' }],
      environment: { A: '1' },
      depends_on: { b: { condition: 'service_started', restart: true, required: true } },
      networks: { default: null },
    });
    expect(out.networks).toEqual({ front: { name: 'p_front' }, default: { name: 'p_default' } });
    expect(out.volumes).toEqual({ v: { name: 'p_v' } });
    expect(out.services.a!.environment).toBe(input.services.a!.environment);
    expect(out.services.a!.volumes![1]).toBe(input.services.a!.volumes![1]);
    expect(out.services.b).toEqual(input.services.b);
    expect(out.services.b!.labels).toBe(input.services.b!.labels);
  });
});
