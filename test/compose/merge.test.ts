// Facts from compose-go's override/merge_*_test.go, override/uncity_test.go, loader/reset_test.go,
// loader/merge_reset_test.go, loader/override_test.go and loader/extends_test.go, restated as TS table tests.
// compose-go's assertMergeYaml runs Merge then EnforceUnicity; `assertMerge` below does the same.
import { describe, expect, it } from 'vitest';
import { parse, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { enforceUniqueness, mergeModels, mergeServiceForExtends } from '../../src/compose/merge.js';
import { isOverride, isReset, OverrideTag, ResetTag } from '../../src/compose/tags.js';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';

type Dict = Record<string, unknown>;

// `!reset` / `!override` on scalars, sequences and mappings, mapped onto the loader's marker objects.
const customTags: Array<ScalarTag | CollectionTag> = [
  { tag: '!reset', resolve: () => new ResetTag() },
  { tag: '!reset', collection: 'seq', resolve: () => new ResetTag() },
  { tag: '!reset', collection: 'map', resolve: () => new ResetTag() },
  { tag: '!override', resolve: (s: string) => new OverrideTag(s) },
  { tag: '!override', collection: 'seq', resolve: (n: YAMLSeq.Parsed) => new OverrideTag(n.toJSON()) },
  { tag: '!override', collection: 'map', resolve: (n: YAMLMap.Parsed) => new OverrideTag(n.toJSON()) },
] as Array<ScalarTag | CollectionTag>;

function y(src: string): Dict {
  return (parse(src, { customTags }) ?? {}) as Dict;
}

/** compose-go's assertMergeYaml: Merge, then EnforceUnicity, compared with the expected document. */
function assertMerge(base: string, override: string, want: string): void {
  expect(enforceUniqueness(mergeModels(y(base), y(override)))).toStrictEqual(y(want));
}

/** One service named `test` holding `attrs`. */
function svc(attrs: Dict): Dict {
  return { services: { test: attrs } };
}

function mergedService(base: Dict, override: Dict): Dict {
  const merged = enforceUniqueness(mergeModels(svc(base), svc(override)));
  return (merged.services as Dict).test as Dict;
}

function diagnosticOf(fn: () => unknown): Diagnostic {
  try {
    fn();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v as object)) deepFreeze(x);
    if (isOverride(v)) deepFreeze(v.value);
    Object.freeze(v);
  }
  return v;
}

function containsTag(v: unknown): boolean {
  if (isReset(v) || isOverride(v)) return true;
  if (v !== null && typeof v === 'object') return Object.values(v as object).some(containsTag);
  return false;
}

describe('generic rule', () => {
  it('merges mappings recursively and lets the override win on scalars (Test_mergeYamlBase)', () => {
    assertMerge(
      `
services:
  test:
    image: foo
    container_name: foo
    init: true
`,
      `
services:
  test:
    image: bar
    init: false
`,
      `
services:
  test:
    container_name: foo
    image: bar
    init: false
`,
    );
  });

  it('applies files one after the other (Test_mergeOverrides)', () => {
    const files = [svc({ image: 'foo', scale: 1 }), svc({ image: 'bar' }), svc({ scale: 2 })];
    const merged = files.reduce((acc, f) => enforceUniqueness(mergeModels(acc, f)), {} as Dict);
    expect(merged).toStrictEqual(svc({ image: 'bar', scale: 2 }));
  });

  it('keeps the base when the override is null', () => {
    expect(mergedService({ image: 'foo', working_dir: '/app' }, { image: null, working_dir: null })).toStrictEqual({
      image: 'foo',
      working_dir: '/app',
    });
  });

  it('takes the override when the base is null', () => {
    expect(mergedService({ image: null }, { image: 'bar' })).toStrictEqual({ image: 'bar' });
  });

  it('concatenates sequences of attributes without a special rule, base first', () => {
    expect(mergedService({ security_opt: ['label:a'] }, { security_opt: ['label:a', 'label:b'] })).toStrictEqual({
      security_opt: ['label:a', 'label:a', 'label:b'],
    });
  });

  it('copies keys that only the override has, untouched (no conversion without a base)', () => {
    expect(mergedService({ image: 'foo' }, { environment: { B: '2', A: '1' }, build: '.' })).toStrictEqual({
      image: 'foo',
      environment: { B: '2', A: '1' },
      build: '.',
    });
  });

  it('refuses to override a mapping with a sequence', () => {
    const d = diagnosticOf(() => mergeModels({ networks: { front: {} } }, { networks: ['front'] }));
    expect(d.code).toBe('merge.cannot-override');
    expect(d.message).toBe('cannot override networks');
    expect(d.path).toBe('networks');
  });

  it('refuses to override a sequence with a mapping or a scalar', () => {
    const d = diagnosticOf(() => mergeModels(svc({ ports: ['80:80'] }), svc({ ports: { web: 80 } })));
    expect(d).toMatchObject({ code: 'merge.cannot-override', path: 'services.test.ports' });
    const s = diagnosticOf(() => mergeModels(svc({ cap_add: ['NET_ADMIN'] }), svc({ cap_add: 'SYS_ADMIN' })));
    expect(s).toMatchObject({ code: 'merge.cannot-override', path: 'services.test.cap_add' });
  });

  it('refuses to override a mapping with a scalar', () => {
    const d = diagnosticOf(() => mergeModels(svc({ deploy: { replicas: 2 } }), svc({ deploy: 'x' })));
    expect(d).toMatchObject({ code: 'merge.cannot-override', path: 'services.test.deploy' });
  });

  it('lets a later mem_limit replace an earlier one whatever their types (TestMemLimitMixed)', () => {
    expect(mergedService({ mem_limit: 1 }, { mem_limit: '256m' })).toStrictEqual({ mem_limit: '256m' });
    expect(mergedService({ mem_limit: '256m' }, { mem_limit: 1 })).toStrictEqual({ mem_limit: 1 });
  });
});

describe('KEY=VAL attributes (labels, environment, annotations, sysctls, build.args, ...)', () => {
  // merge_labels_test.go: the same four cases for service, deploy and build labels.
  const locations: Array<[string, (v: unknown) => Dict]> = [
    ['labels', (v) => ({ labels: v })],
    ['deploy.labels', (v) => ({ deploy: { labels: v } })],
    ['build.labels', (v) => ({ build: { labels: v } })],
  ];
  const cases: Array<[string, unknown, unknown, unknown]> = [
    ['sequence', ['FOO=BAR'], ['QIX=ZOT', 'EMPTY=', 'NIL'], ['FOO=BAR', 'QIX=ZOT', 'EMPTY=', 'NIL']],
    ['mapping', { FOO: 'BAR' }, { EMPTY: '', NIL: null, QIX: 'ZOT' }, ['FOO=BAR', 'EMPTY=', 'NIL', 'QIX=ZOT']],
    ['mixed', { FOO: 'BAR' }, ['QIX=ZOT'], ['FOO=BAR', 'QIX=ZOT']],
    ['number', { FOO: 1 }, { FOO: 3 }, ['FOO=3']],
  ];
  for (const [where, at] of locations) {
    for (const [name, base, override, want] of cases) {
      it(`${where}: ${name}`, () => {
        expect(mergedService(at(base), at(override))).toStrictEqual(at(want));
      });
    }
  }

  it('environment: sequence, mapping and mixed forms (merge_environment_test.go)', () => {
    expect(mergedService({ environment: ['FOO=BAR'] }, { environment: ['QIX=ZOT', 'EMPTY=', 'NIL'] })).toStrictEqual({
      environment: ['FOO=BAR', 'QIX=ZOT', 'EMPTY=', 'NIL'],
    });
    expect(mergedService({ environment: { FOO: 'BAR' } }, { environment: { EMPTY: '', NIL: null, QIX: 'ZOT' } })).toStrictEqual({
      environment: ['FOO=BAR', 'EMPTY=', 'NIL', 'QIX=ZOT'],
    });
    expect(mergedService({ environment: { FOO: 'BAR' } }, { environment: ['QIX=ZOT'] })).toStrictEqual({
      environment: ['FOO=BAR', 'QIX=ZOT'],
    });
  });

  it('keeps the position of the first occurrence of a key with the value of the last one, in mergeModels itself', () => {
    const merged = mergeModels(svc({ environment: { A: '1', B: '2' } }), svc({ environment: ['C=3', 'A=4'] }));
    expect(merged).toStrictEqual(svc({ environment: ['A=4', 'B=2', 'C=3'] }));
  });

  it('sorts a mapping side as whole KEY=VAL strings, byte-wise, as Go does', () => {
    const merged = mergeModels(svc({ labels: { 'a.b': 'x', a: '1', B: null } }), svc({ labels: { c: '3' } }));
    expect(merged).toStrictEqual(svc({ labels: ['B', 'a.b=x', 'a=1', 'c=3'] }));
    // UTF-8 byte order, not UTF-16 code units: U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80).
    const wide = mergeModels(svc({ labels: { '\u{1F600}': '1', '\uFF21': '2' } }), svc({ labels: {} }));
    expect(wide).toStrictEqual(svc({ labels: ['\uFF21=2', '\u{1F600}=1'] }));
  });

  it('formats non-string mapping values like Go (%v)', () => {
    const merged = mergeModels(svc({ labels: { on: true, ratio: 0.5 } }), svc({ labels: {} }));
    expect(merged).toStrictEqual(svc({ labels: ['on=true', 'ratio=0.5'] }));
  });

  const otherPaths: Array<[string, (v: unknown) => Dict]> = [
    ['annotations', (v) => svc({ annotations: v })],
    ['sysctls', (v) => svc({ sysctls: v })],
    ['build.args', (v) => svc({ build: { context: '.', args: v } })],
    ['build.additional_contexts', (v) => svc({ build: { context: '.', additional_contexts: v } })],
    ['networks.*.labels', (v) => ({ networks: { back: { labels: v } } })],
    ['volumes.*.labels', (v) => ({ volumes: { data: { labels: v } } })],
  ];
  for (const [where, at] of otherPaths) {
    it(`${where}: mapping and sequence merge by key`, () => {
      const merged = enforceUniqueness(mergeModels(at({ FOO: 'BAR', KEEP: 1 }), at(['NEW=x', 'FOO=ZOT'])));
      expect(merged).toStrictEqual(at(['FOO=ZOT', 'KEEP=1', 'NEW=x']));
    });
  }

  it('sysctls (merge_sysctls_test.go)', () => {
    expect(
      mergedService({ sysctls: { 'net.ipv6.conf.all.disable_ipv6': 1 } }, { sysctls: { 'net.ipv4.tcp_keepalive_time': '300' } }),
    ).toStrictEqual({ sysctls: ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv4.tcp_keepalive_time=300'] });
    expect(
      mergedService({ sysctls: ['net.ipv6.conf.all.disable_ipv6=1'] }, { sysctls: ['net.ipv4.tcp_keepalive_time=300'] }),
    ).toStrictEqual({ sysctls: ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv4.tcp_keepalive_time=300'] });
    expect(mergedService({ sysctls: { 'net.ipv4.tcp_keepalive_time': 1 } }, { sysctls: { 'net.ipv4.tcp_keepalive_time': 3 } })).toStrictEqual({
      sysctls: ['net.ipv4.tcp_keepalive_time=3'],
    });
  });

  it('build args and additional contexts, mapping over mapping and mixed (merge_build_test.go)', () => {
    assertMerge(
      `
services:
  test:
    build:
      context: .
      args:
        FOO: BAR
      additional_contexts:
        - resources=/path/to/resources
        - app=docker-image://my-app:latest
      platform: linux/amd64
      tags:
        - "myimage:mytag"
`,
      `
services:
  test:
    build:
      args:
        - QIX=ZOT
      additional_contexts:
        app: docker-image://new-app:latest
        source: https://github.com/myuser/project.git
      tags:
        - "registry/username/myrepos:my-other-tag"
`,
      `
services:
  test:
    build:
      context: .
      args:
        - FOO=BAR
        - QIX=ZOT
      additional_contexts:
        - resources=/path/to/resources
        - app=docker-image://new-app:latest
        - source=https://github.com/myuser/project.git
      platform: linux/amd64
      tags:
        - "myimage:mytag"
        - "registry/username/myrepos:my-other-tag"
`,
    );
  });
});

describe('build', () => {
  it('turns a string into {context} before merging (TestOverrideBuildContext)', () => {
    expect(mergedService({ build: '.' }, { build: { context: 'src' } })).toStrictEqual({ build: { context: 'src' } });
    expect(mergedService({ build: { context: '.', dockerfile: 'x.Dockerfile' } }, { build: 'other' })).toStrictEqual({
      build: { context: 'other', dockerfile: 'x.Dockerfile' },
    });
  });

  it('keeps the base (as a mapping) when the override is null', () => {
    expect(mergedService({ build: '.' }, { build: null })).toStrictEqual({ build: { context: '.' } });
  });

  // Upstream's older copy of this test expected `otherhost=...229` to be replaced by key; its current copy (and
  // mergeExtraHosts) only drops exact duplicates, so both `otherhost` entries stay.
  it('merges every build sub-attribute by its own rule (Test_mergeYamlBuildSequence)', () => {
    assertMerge(
      `
services:
  test:
    build:
      context: .
      args:
        - FOO=BAR
      additional_contexts:
        - resources=/path/to/resources
        - app=docker-image://my-app:latest
      platform:
        - linux/amd64
      tags:
        - "myimage:mytag"
      extra_hosts:
        - "somehost=162.242.195.82"
        - "otherhost=50.31.209.229"
`,
      `
services:
  test:
    build:
      context: .
      args:
        - GIT_COMMIT=cdc3b19
        - EMPTY=
        - NIL
      additional_contexts:
        - source=https://github.com/myuser/project.git
      platform:
        - "linux/arm64"
        - "linux/amd64"
        - "unsupported/unsupported"
      tags:
        - "myimage:mytag"
        - "registry/username/myrepos:my-other-tag"
      extra_hosts:
        - "otherhost=50.31.209.230"
        - "myhostv6=::1"
`,
      `
services:
  test:
    build:
      context: .
      args:
        - FOO=BAR
        - GIT_COMMIT=cdc3b19
        - EMPTY=
        - NIL
      additional_contexts:
        - resources=/path/to/resources
        - app=docker-image://my-app:latest
        - source=https://github.com/myuser/project.git
      platform:
        - "linux/amd64"
        - "linux/arm64"
        - "unsupported/unsupported"
      tags:
        - "myimage:mytag"
        - "registry/username/myrepos:my-other-tag"
      extra_hosts:
        - "somehost=162.242.195.82"
        - "otherhost=50.31.209.229"
        - "otherhost=50.31.209.230"
        - "myhostv6=::1"
`,
    );
  });
});

describe('replaced attributes: command, entrypoint, healthcheck.test', () => {
  it('replaces instead of appending', () => {
    expect(
      mergedService(
        { command: ['echo', 'foo'], entrypoint: ['/bin/sh', '-c'], healthcheck: { test: ['CMD', 'true'], interval: '10s' } },
        { command: ['echo', 'bar'], entrypoint: 'tini', healthcheck: { test: 'exit 0' } },
      ),
    ).toStrictEqual({ command: ['echo', 'bar'], entrypoint: 'tini', healthcheck: { test: 'exit 0', interval: '10s' } });
  });

  it('replaces even with null, because compose-go checks its special rules before the null rule', () => {
    expect(mergedService({ command: 'sleep 1' }, { command: null })).toStrictEqual({ command: null });
  });
});

describe('sequences made of scalars: dns, dns_opt, dns_search, tmpfs, env_file, label_file', () => {
  it('concatenates dns lists (Test_mergeYamlDNSSequence)', () => {
    expect(
      mergedService(
        { dns: ['8.8.8.8'], dns_opt: ['use-vc'], dns_search: ['dc1.example.com'] },
        { dns: ['9.9.9.9'], dns_opt: ['no-tld-query'], dns_search: ['dc2.example.com'] },
      ),
    ).toStrictEqual({
      dns: ['8.8.8.8', '9.9.9.9'],
      dns_opt: ['use-vc', 'no-tld-query'],
      dns_search: ['dc1.example.com', 'dc2.example.com'],
    });
  });

  it('accepts a single string and keeps values unique (Test_mergeYamlDNSMixed)', () => {
    expect(
      mergedService(
        { dns: ['8.8.8.8', '10.10.10.10', '9.9.9.9'], dns_opt: ['use-vc', 'no-tld-query'], dns_search: ['dc1.example.com', 'dc2.example.com'] },
        { dns: '9.9.9.9', dns_opt: ['no-tld-query'], dns_search: 'dc2.example.com' },
      ),
    ).toStrictEqual({
      dns: ['8.8.8.8', '10.10.10.10', '9.9.9.9'],
      dns_opt: ['use-vc', 'no-tld-query'],
      dns_search: ['dc1.example.com', 'dc2.example.com'],
    });
  });

  it('makes dns unique during the merge itself', () => {
    expect(mergeModels(svc({ dns: ['8.8.8.8'] }), svc({ dns: ['8.8.8.8', '9.9.9.9'] }))).toStrictEqual(svc({ dns: ['8.8.8.8', '9.9.9.9'] }));
  });

  it('tmpfs: sequence, string, and both mixed orders (merge_tmpfs_test.go)', () => {
    expect(mergedService({ tmpfs: ['/foo'] }, { tmpfs: ['/bar', '/baz'] })).toStrictEqual({ tmpfs: ['/foo', '/bar', '/baz'] });
    expect(mergedService({ tmpfs: '/foo' }, { tmpfs: '/bar' })).toStrictEqual({ tmpfs: ['/foo', '/bar'] });
    expect(mergedService({ tmpfs: '/foo' }, { tmpfs: ['/bar'] })).toStrictEqual({ tmpfs: ['/foo', '/bar'] });
    expect(mergedService({ tmpfs: ['/bar'] }, { tmpfs: '/foo' })).toStrictEqual({ tmpfs: ['/bar', '/foo'] });
  });

  it('tmpfs entries are keyed on the text before `=`, like compose-go', () => {
    expect(mergedService({ tmpfs: ['/run:size=1m', '/tmp'] }, { tmpfs: ['/run:size=2m'] })).toStrictEqual({
      tmpfs: ['/run:size=2m', '/tmp'],
    });
  });

  it('env_file: sequence, string and mixed (merge_env_file_test.go)', () => {
    expect(mergedService({ env_file: ['foo.env'] }, { env_file: ['bar.env', 'baz.env'] })).toStrictEqual({
      env_file: ['foo.env', 'bar.env', 'baz.env'],
    });
    expect(mergedService({ env_file: 'foo.env' }, { env_file: 'bar.env' })).toStrictEqual({ env_file: ['foo.env', 'bar.env'] });
    expect(mergedService({ env_file: 'foo.env' }, { env_file: ['bar.env', 'foo.env'] })).toStrictEqual({ env_file: ['foo.env', 'bar.env'] });
    expect(mergedService({ env_file: ['bar.env', 'foo.env'] }, { env_file: 'foo.env' })).toStrictEqual({ env_file: ['bar.env', 'foo.env'] });
  });

  it('env_file: a string and a mapping with the same path are the same entry', () => {
    expect(mergedService({ env_file: ['bar.env', 'foo.env'] }, { env_file: [{ path: 'foo.env', required: true }] })).toStrictEqual({
      env_file: ['bar.env', { path: 'foo.env', required: true }],
    });
  });

  it('label_file: concatenated, with no uniqueness rule', () => {
    expect(mergedService({ label_file: 'a.label' }, { label_file: ['a.label', 'b.label'] })).toStrictEqual({
      label_file: ['a.label', 'a.label', 'b.label'],
    });
  });
});

describe('extra_hosts', () => {
  it('sequence, mapping and mixed forms (merge_extra_hosts_test.go)', () => {
    const want = { extra_hosts: ['example.com=1.2.3.4', 'localhost=127.0.0.1'] };
    expect(mergedService({ extra_hosts: ['example.com=1.2.3.4'] }, { extra_hosts: ['localhost=127.0.0.1'] })).toStrictEqual(want);
    expect(mergedService({ extra_hosts: { 'example.com': '1.2.3.4' } }, { extra_hosts: { localhost: '127.0.0.1' } })).toStrictEqual(want);
    expect(mergedService({ extra_hosts: { 'example.com': '1.2.3.4' } }, { extra_hosts: ['localhost=127.0.0.1'] })).toStrictEqual(want);
  });

  it('drops only override entries that the base already holds verbatim', () => {
    expect(mergedService({ extra_hosts: ['a=1.1.1.1'] }, { extra_hosts: ['a=1.1.1.1', 'a=2.2.2.2', 'b=3.3.3.3', 'b=3.3.3.3'] })).toStrictEqual({
      extra_hosts: ['a=1.1.1.1', 'a=2.2.2.2', 'b=3.3.3.3', 'b=3.3.3.3'],
    });
  });

  it('expands a list of addresses under one host name', () => {
    expect(mergedService({ extra_hosts: { host: ['1.1.1.1', '::1'] } }, { extra_hosts: ['other=2.2.2.2'] })).toStrictEqual({
      extra_hosts: ['host=1.1.1.1', 'host=::1', 'other=2.2.2.2'],
    });
  });
});

describe('logging', () => {
  it('merges options when both sides name the same driver (Test_mergeYamlLoggingSameDriver)', () => {
    expect(
      mergedService(
        { logging: { driver: 'syslog', options: { 'syslog-address': 'tcp://192.168.0.42:123' } } },
        { logging: { driver: 'syslog', options: { 'syslog-address': 'tcp://127.0.0.1:123' } } },
      ),
    ).toStrictEqual({ logging: { driver: 'syslog', options: { 'syslog-address': 'tcp://127.0.0.1:123' } } });
  });

  it('replaces the whole object when the drivers differ (Test_mergeYamlLoggingDistinctDriver)', () => {
    expect(
      mergedService(
        { logging: { driver: 'local', options: { 'max-size': '10m' } } },
        { logging: { driver: 'syslog', options: { 'syslog-address': 'tcp://127.0.0.1:123' } } },
      ),
    ).toStrictEqual({ logging: { driver: 'syslog', options: { 'syslog-address': 'tcp://127.0.0.1:123' } } });
  });

  it('merges when neither side names a driver (Test_mergeYamlLoggingImplicitDriver)', () => {
    expect(mergedService({ logging: { options: { 'max-size': '10m' } } }, { logging: { options: { 'max-file': 3 } } })).toStrictEqual({
      logging: { options: { 'max-size': '10m', 'max-file': 3 } },
    });
  });

  it('merges when only one side names a driver', () => {
    expect(mergedService({ logging: { driver: 'local', options: { 'max-size': '10m' } } }, { logging: { options: { 'max-file': 3 } } })).toStrictEqual({
      logging: { driver: 'local', options: { 'max-size': '10m', 'max-file': 3 } },
    });
  });
});

describe('service networks', () => {
  it('list over list gives a mapping with null values (Test_mergeYamlNetworkSequence)', () => {
    expect(mergedService({ networks: ['front-network', 'back-network'] }, { networks: ['front-network'] })).toStrictEqual({
      networks: { 'front-network': null, 'back-network': null },
    });
  });

  it('mapping over mapping merges per network with unique aliases and IPs (Test_mergeYamlNetworksMapping)', () => {
    assertMerge(
      `
services:
  test:
    image: foo
    networks:
      network1:
        aliases: [alias1, alias2]
        link_local_ips: [57.123.22.11, 57.123.22.13]
      network2:
        aliases: [alias1, alias3]
`,
      `
services:
  test:
    networks:
      network1:
        aliases: [alias3, alias1]
        link_local_ips: [57.123.22.12, 57.123.22.13]
`,
      `
services:
  test:
    image: foo
    networks:
      network1:
        aliases: [alias1, alias2, alias3]
        link_local_ips: [57.123.22.11, 57.123.22.13, 57.123.22.12]
      network2:
        aliases: [alias1, alias3]
`,
    );
  });

  it('list base, mapping override (Test_mergeYamlNetworkstMixed, TestOverrideNetworks)', () => {
    expect(
      mergedService(
        { networks: ['front-network', 'back-network', 'network1'] },
        { networks: { network1: { aliases: ['alias1', 'alias2'] }, network2: { aliases: ['alias1'] } } },
      ),
    ).toStrictEqual({
      networks: { 'front-network': null, 'back-network': null, network1: { aliases: ['alias1', 'alias2'] }, network2: { aliases: ['alias1'] } },
    });
  });
});

describe('models', () => {
  it('service models: short, long, mixed and overridden (merge_models_test.go)', () => {
    expect(mergedService({ models: ['llm', 'embedding-model'] }, { models: ['vision-model'] })).toStrictEqual({
      models: { llm: null, 'embedding-model': null, 'vision-model': null },
    });
    expect(
      mergedService(
        { models: { llm: { endpoint_var: 'AI_MODEL_URL', model_var: 'AI_MODEL_NAME' } } },
        { models: { 'embedding-model': { endpoint_var: 'EMBEDDING_URL', model_var: 'EMBEDDING_MODEL' } } },
      ),
    ).toStrictEqual({
      models: {
        llm: { endpoint_var: 'AI_MODEL_URL', model_var: 'AI_MODEL_NAME' },
        'embedding-model': { endpoint_var: 'EMBEDDING_URL', model_var: 'EMBEDDING_MODEL' },
      },
    });
    expect(
      mergedService({ models: ['llm', 'embedding-model'] }, { models: { 'vision-model': { endpoint_var: 'VISION_URL', model_var: 'VISION_MODEL' } } }),
    ).toStrictEqual({
      models: { llm: null, 'embedding-model': null, 'vision-model': { endpoint_var: 'VISION_URL', model_var: 'VISION_MODEL' } },
    });
    expect(
      mergedService(
        { models: { llm: { endpoint_var: 'OLD_MODEL_URL', model_var: 'OLD_MODEL_NAME' } } },
        { models: { llm: { endpoint_var: 'NEW_MODEL_URL', model_var: 'NEW_MODEL_NAME' } } },
      ),
    ).toStrictEqual({ models: { llm: { endpoint_var: 'NEW_MODEL_URL', model_var: 'NEW_MODEL_NAME' } } });
  });

  it('top-level models and services together (Test_mergeYamlModelsCompleteScenario)', () => {
    assertMerge(
      `
services:
  app:
    image: myapp
    models: [llm]
  worker:
    image: worker
    models:
      embedding-model:
        endpoint_var: EMBEDDING_URL
models:
  llm: {model: ai/smollm2, context_size: 2048}
  embedding-model: {model: ai/all-minilm, context_size: 512}
`,
      `
services:
  app:
    models: [vision-model]
  worker:
    models:
      llm: {endpoint_var: LLM_URL, model_var: LLM_NAME}
models:
  vision-model: {model: ai/clip, context_size: 1024}
  llm: {model: ai/gpt-4, context_size: 8192}
`,
      `
services:
  app:
    image: myapp
    models:
      llm:
      vision-model:
  worker:
    image: worker
    models:
      embedding-model: {endpoint_var: EMBEDDING_URL}
      llm: {endpoint_var: LLM_URL, model_var: LLM_NAME}
models:
  llm: {model: ai/gpt-4, context_size: 8192}
  embedding-model: {model: ai/all-minilm, context_size: 512}
  vision-model: {model: ai/clip, context_size: 1024}
`,
    );
  });

  it('top-level runtime_flags follow the generic rule and are concatenated', () => {
    const merged = enforceUniqueness(
      mergeModels({ models: { llm: { model: 'ai/smollm2', runtime_flags: ['--gpu'] } } }, { models: { llm: { runtime_flags: ['--fp16'] } } }),
    );
    expect(merged).toStrictEqual({ models: { llm: { model: 'ai/smollm2', runtime_flags: ['--gpu', '--fp16'] } } });
  });

  it('a service only in the override is added as written (Test_mergeYamlModelsMultipleServices)', () => {
    const merged = enforceUniqueness(mergeModels({ services: { 'go-genai': { models: ['llm'] } } }, { services: { 'node-genai': { models: ['llm'] } } }));
    expect(merged).toStrictEqual({ services: { 'go-genai': { models: ['llm'] }, 'node-genai': { models: ['llm'] } } });
  });
});

describe('depends_on', () => {
  const started = { condition: 'service_started', required: true };

  it('list entries become {condition: service_started, required: true} before merging (TestOverrideDepends_on)', () => {
    expect(mergedService({ depends_on: ['foo'] }, { depends_on: { foo: { condition: 'service_healthy', required: false } } })).toStrictEqual({
      depends_on: { foo: { condition: 'service_healthy', required: false } },
    });
    expect(mergedService({ depends_on: ['a'] }, { depends_on: ['b'] })).toStrictEqual({ depends_on: { a: started, b: started } });
  });

  it('a list override re-applies the defaults over an explicit condition', () => {
    expect(mergedService({ depends_on: { db: { condition: 'service_healthy' } } }, { depends_on: ['db'] })).toStrictEqual({
      depends_on: { db: started },
    });
  });

  it('a partial mapping override merges into the base entry (TestOverridePartial)', () => {
    expect(mergedService({ depends_on: { foo: { condition: 'service_healthy' } } }, { depends_on: { foo: { required: false } } })).toStrictEqual({
      depends_on: { foo: { condition: 'service_healthy', required: false } },
    });
  });
});

describe('null on list-or-mapping attributes (merge_null_test.go)', () => {
  const wants: Array<[string, unknown]> = [
    ['networks', { runtime: null }],
    ['models', { runtime: null }],
    ['depends_on', { runtime: { condition: 'service_started', required: true } }],
  ];
  for (const [attr, want] of wants) {
    it(`${attr}: a null override keeps the base`, () => {
      expect(mergedService({ image: 'foo', [attr]: ['runtime'] }, { [attr]: null })).toStrictEqual({ image: 'foo', [attr]: want });
    });
    it(`${attr}: a null base takes the override`, () => {
      expect(mergedService({ image: 'foo', [attr]: null }, { [attr]: ['runtime'] })).toStrictEqual({ image: 'foo', [attr]: want });
    });
  }
});

describe('invalid list entries (merge_invalid_list_test.go)', () => {
  const cases: Array<[string, Dict, Dict]> = [
    ['depends_on map element', { depends_on: ['y'] }, { depends_on: [{}] }],
    ['depends_on int element', { depends_on: ['y'] }, { depends_on: [123] }],
    ['networks map element', { networks: ['front'] }, { networks: [{}] }],
    ['depends_on invalid element in base', { depends_on: [{}] }, { depends_on: ['y'] }],
  ];
  for (const [name, base, override] of cases) {
    it(name, () => {
      const d = diagnosticOf(() => mergeModels(svc(base), svc(override)));
      expect(d.code).toBe('merge.invalid-key');
      expect(d.message).toContain('cannot use');
    });
  }
});

describe('ulimits', () => {
  it('an entry of the override replaces the base entry as a whole (Test_mergeYamlUlimits, pinned revision)', () => {
    expect(
      mergedService(
        { ulimits: { nofile: { soft: 20000, hard: 40000 }, nproc: 65535, locks: { soft: 20000, hard: 40000 } } },
        { ulimits: { nofile: { soft: 10000, hard: 40000 }, nproc: { soft: 65535 }, locks: { hard: 65535 } } },
      ),
    ).toStrictEqual({ ulimits: { nofile: { soft: 10000, hard: 40000 }, nproc: { soft: 65535 }, locks: { hard: 65535 } } });
  });

  it('short and long syntaxes replace each other (Test_mergeYamlUlimitsSyntaxCombinations)', () => {
    expect(
      mergedService(
        { ulimits: { short_over_short: 100, long_over_short: 100, short_over_long: { soft: 100, hard: 200 }, kept: 7 } },
        { ulimits: { short_over_short: 500, long_over_short: { soft: 500 }, short_over_long: 500 } },
      ),
    ).toStrictEqual({ ulimits: { short_over_short: 500, long_over_short: { soft: 500 }, short_over_long: 500, kept: 7 } });
  });
});

describe('network IPAM config (merged per subnet)', () => {
  const net = (config: unknown): Dict => ({ networks: { back: { ipam: { driver: 'default', config } } } });

  it('merges entries that share a subnet', () => {
    const merged = mergeModels(net([{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }]), net([{ subnet: '10.0.0.0/24', gateway: '10.0.0.254' }]));
    expect(merged).toStrictEqual(net([{ subnet: '10.0.0.0/24', gateway: '10.0.0.254' }]));
  });

  it('adds override entries with a new subnet', () => {
    const merged = mergeModels(
      net([{ subnet: '10.0.0.0/24', gateway: '10.0.0.1' }]),
      net([{ subnet: '10.0.0.0/24', ip_range: '10.0.0.0/25' }, { subnet: '10.1.0.0/24' }]),
    );
    expect(merged).toStrictEqual(net([{ subnet: '10.0.0.0/24', gateway: '10.0.0.1', ip_range: '10.0.0.0/25' }, { subnet: '10.1.0.0/24' }]));
  });

  it('drops base subnets that the override does not mention, as compose-go does', () => {
    const merged = mergeModels(net([{ subnet: '10.0.0.0/24' }, { subnet: '10.1.0.0/24' }]), net([{ subnet: '10.2.0.0/24' }]));
    expect(merged).toStrictEqual(net([{ subnet: '10.2.0.0/24' }]));
  });

  it('rejects a config that is not a sequence', () => {
    const d = diagnosticOf(() => mergeModels(net([{ subnet: '10.0.0.0/24' }]), net(null)));
    expect(d).toMatchObject({ code: 'merge.unexpected-type', path: 'networks.back.ipam.config' });
  });
});

describe('unique resources after merging: volumes, ports, secrets, devices, ...', () => {
  it('volumes are appended (TestMergeVolumes)', () => {
    expect(mergedService({ volumes: ['a:/a', { type: 'bind', source: './b', target: '/b' }] }, { volumes: ['c:/c'] })).toStrictEqual({
      volumes: ['a:/a', { type: 'bind', source: './b', target: '/b' }, 'c:/c'],
    });
  });

  it('a volume with the same target replaces the earlier one in place (TestOverrideVolume)', () => {
    expect(mergedService({ volumes: ['./src:/src', 'data:/data'] }, { volumes: ['./src:/src'] })).toStrictEqual({ volumes: ['./src:/src', 'data:/data'] });
    expect(mergedService({ volumes: ['./a:/a', 'x:/x'] }, { volumes: [{ type: 'volume', source: 'b', target: '/a' }] })).toStrictEqual({
      volumes: [{ type: 'volume', source: 'b', target: '/a' }, 'x:/x'],
    });
  });

  it('identical long ports are kept once (Test_mergeYamlPortsLongSyntax)', () => {
    const p80 = { target: 8080, published: '80', protocol: 'tcp' };
    const p443 = { target: 8443, published: '443', protocol: 'tcp' };
    expect(mergedService({ ports: [p80] }, { ports: [p80, p443] })).toStrictEqual({ ports: [p80, p443] });
  });

  it('short ports are their own key: identical strings collapse, other spellings stay', () => {
    expect(mergedService({ ports: ['8080:80'] }, { ports: ['8080:80', '8080:80/tcp', '443:443'] })).toStrictEqual({
      ports: ['8080:80', '8080:80/tcp', '443:443'],
    });
  });

  it('secrets default to /run/secrets/<source> (Test_mergeYamlServiceMount)', () => {
    expect(mergedService({ secrets: ['foo', 'bar', 'zot'] }, { secrets: [{ source: 'zot', target: '/run/secrets/foo' }] })).toStrictEqual({
      secrets: [{ source: 'zot', target: '/run/secrets/foo' }, 'bar', 'zot'],
    });
  });

  it('devices are appended, and replaced by target (Test_mergeYamlDevices, Test_mergeYamlDevicesOverride)', () => {
    expect(mergedService({ devices: ['/dev/sda:/dev/sda', '/dev/sdb:/dev/sdb'] }, { devices: ['/dev/sde:/dev/sde'] })).toStrictEqual({
      devices: ['/dev/sda:/dev/sda', '/dev/sdb:/dev/sdb', '/dev/sde:/dev/sde'],
    });
    expect(
      mergedService(
        { devices: ['/dev/sda:/dev/sda', '/dev/sdb:/dev/sdb', '/dev/sdc:/dev/sdc', '/dev/sdd:/dev/sdd'] },
        { devices: ['/dev/nvme0n1p1:/dev/sda', '/dev/nvme1n1p1:/dev/sdb', '/dev/nvme2n1p1:/dev/sdc'] },
      ),
    ).toStrictEqual({ devices: ['/dev/nvme0n1p1:/dev/sda', '/dev/nvme1n1p1:/dev/sdb', '/dev/nvme2n1p1:/dev/sdc', '/dev/sdd:/dev/sdd'] });
  });

  it('cap_add and cap_drop are unique by value (TestMergeCAPSequence)', () => {
    expect(
      mergedService(
        { cap_add: ['CAP_BPF', 'CAP_CHOWN'], cap_drop: ['NET_ADMIN', 'SYS_ADMIN'] },
        { cap_add: ['CAP_KILL', 'CAP_CHOWN'], cap_drop: ['NET_ADMIN', 'CAP_FOWNER'] },
      ),
    ).toStrictEqual({ cap_add: ['CAP_BPF', 'CAP_CHOWN', 'CAP_KILL'], cap_drop: ['NET_ADMIN', 'SYS_ADMIN', 'CAP_FOWNER'] });
  });

  it('profiles are unique by value (TestMergeProfilesUnicity)', () => {
    expect(mergedService({ profiles: ['profile1', 'profile2'] }, { profiles: ['profile2', 'profile3'] })).toStrictEqual({
      profiles: ['profile1', 'profile2', 'profile3'],
    });
  });

  it('links are keyed on the text before `=` (TestMergeExtraLinksSequence)', () => {
    expect(mergedService({ links: ['service1', 'service2'] }, { links: ['service2=alias1'] })).toStrictEqual({ links: ['service1', 'service2=alias1'] });
  });
});

describe('!reset and !override', () => {
  it('removes a reset attribute and a reset map entry (Test_LoadWithReset)', () => {
    const base = y(`
services:
  foo:
    build:
      context: .
      dockerfile: foo.Dockerfile
    environment:
      FOO: BAR
`);
    const override = y(`
services:
  foo:
    image: foo
    build: !reset
    environment:
      FOO: !reset
`);
    expect(mergeModels(base, override)).toStrictEqual({ services: { foo: { image: 'foo', environment: [] } } });
  });

  it('reaches keys of a base already merged into KEY=VAL form (Test_LoadWithResetOnKeysNormalizedToSequence)', () => {
    const files = [
      svc({ image: 'foo', environment: { FOO: 'BAR', KEEP: 'ME' }, labels: { 'com.example.foo': 'bar' } }),
      svc({ environment: ['ANOTHER=BAR', 'PASSTHROUGH'], labels: { 'com.example.extra': 'bar' } }),
      svc({ environment: { FOO: new ResetTag(), ANOTHER: new ResetTag(), PASSTHROUGH: new ResetTag() }, labels: { 'com.example.foo': new ResetTag() } }),
    ];
    const merged = files.reduce((acc, f) => enforceUniqueness(mergeModels(acc, f)), {} as Dict);
    expect(merged).toStrictEqual(svc({ image: 'foo', environment: ['KEEP=ME'], labels: ['com.example.extra=bar'] }));
  });

  it('!override replaces instead of appending (ports: !override)', () => {
    const merged = mergeModels(y('services: {web: {image: nginx, ports: ["8080:80"]}}'), y('services: {web: {ports: !override ["8443:443"]}}'));
    expect(merged).toStrictEqual({ services: { web: { image: 'nginx', ports: ['8443:443'] } } });
  });

  it('!override {} drops what the base declared (TestOverrideReplace)', () => {
    const merged = mergeModels(y('networks: {test: {name: test, external: true}}'), y('networks: {test: !override {}}'));
    expect(merged).toStrictEqual({ networks: { test: {} } });
  });

  it('!reset {} removes the entry altogether (TestResetRemove)', () => {
    const merged = mergeModels(y('name: test-reset\nnetworks: {test: {name: test, external: true}}'), y('networks: {test: !reset {}}'));
    expect(merged).toStrictEqual({ name: 'test-reset', networks: {} });
  });

  it('!reset removes a whole service and leaves the others', () => {
    const merged = mergeModels(svc({ image: 'a' }), { services: { test: new ResetTag(), other: { image: 'b' } } });
    expect(merged).toStrictEqual({ services: { other: { image: 'b' } } });
  });

  it('!override bypasses the merge rules: a mapping stays a mapping and is not merged', () => {
    const merged = mergeModels(svc({ environment: { A: '1' }, depends_on: ['db'] }), svc({ environment: new OverrideTag({ B: '2' }), depends_on: new OverrideTag(['cache']) }));
    expect(merged).toStrictEqual(svc({ environment: { B: '2' }, depends_on: ['cache'] }));
  });

  it('a reset key does not disturb its siblings', () => {
    const merged = mergeModels(svc({ environment: { FOO: '1', BAZ: '2' } }), svc({ environment: { FOO: new ResetTag(), BAR: 'x' } }));
    expect(merged).toStrictEqual(svc({ environment: ['BAZ=2', 'BAR=x'] }));
  });

  it('a tagged sequence item only affects the override sequence: !reset drops it, !override unwraps it', () => {
    const merged = mergeModels(svc({ ports: ['80:80'] }), svc({ ports: [new ResetTag(), '443:443', new OverrideTag('81:81')] }));
    expect(merged).toStrictEqual(svc({ ports: ['80:80', '443:443', '81:81'] }));
  });

  it('a reset entry does not reach a list-form `networks` base, because compose-go paths never enter sequences', () => {
    const merged = mergeModels(svc({ networks: ['front', 'back'] }), svc({ networks: { front: new ResetTag() } }));
    expect(merged).toStrictEqual(svc({ networks: { front: null, back: null } }));
  });

  it('tags with nothing to act on vanish, including tags nested in an !override value', () => {
    const merged = mergeModels(svc({ image: 'a' }), svc({ cap_add: new ResetTag(), deploy: new OverrideTag({ replicas: 2, labels: new ResetTag() }) }));
    expect(merged).toStrictEqual(svc({ image: 'a', deploy: { replicas: 2 } }));
    expect(containsTag(merged)).toBe(false);
  });

  it('!override null leaves an explicit null', () => {
    expect(mergeModels(svc({ command: ['a'] }), svc({ command: new OverrideTag(null) }))).toStrictEqual(svc({ command: null }));
  });
});

describe('inputs are never mutated', () => {
  it('mergeModels works on clones and shares nothing with its inputs', () => {
    const base = deepFreeze(
      svc({ image: 'a', environment: { A: '1' }, ports: ['80:80'], build: '.', networks: ['front'], logging: { driver: 'x', options: { a: '1' } } }),
    );
    const override = deepFreeze(
      svc({ environment: { A: new ResetTag(), B: '2' }, ports: ['81:81'], build: { args: { X: '1' } }, networks: { front: { aliases: ['f'] } }, logging: { options: { b: '2' } } }),
    );
    const merged = mergeModels(base, override);
    const test = (merged.services as Dict).test as Dict;
    expect(test).toStrictEqual({
      image: 'a',
      environment: ['B=2'],
      ports: ['80:80', '81:81'],
      build: { context: '.', args: { X: '1' } },
      networks: { front: { aliases: ['f'] } },
      logging: { driver: 'x', options: { a: '1', b: '2' } },
    });
    ((test.networks as Dict).front as Dict).aliases = ['changed'];
    expect((((override.services as Dict).test as Dict).networks as Dict).front).toStrictEqual({ aliases: ['f'] });
  });

  it('mergeModels takes an untagged override as it is, and merging onto the result leaves that override alone', () => {
    const firstAttrs = { environment: { A: '1' }, build: { context: '.', args: { X: '1' } }, networks: { front: { aliases: ['f'] } }, logging: { driver: 'x', options: { a: '1' } } };
    const first = deepFreeze(svc(structuredClone(firstAttrs)));
    const second = deepFreeze(svc({ environment: ['B=2'], build: { args: { Y: '2' } }, networks: { front: { aliases: ['g'] } }, logging: { options: { b: '2' } } }));
    const merged = mergeModels(mergeModels({}, first), second);
    expect((merged.services as Dict).test).toStrictEqual({
      environment: ['A=1', 'B=2'],
      build: { context: '.', args: ['X=1', 'Y=2'] },
      networks: { front: { aliases: ['f', 'g'] } },
      logging: { driver: 'x', options: { a: '1', b: '2' } },
    });
    expect(first).toStrictEqual(svc(firstAttrs));
  });

  it('enforceUniqueness copies only the mappings leading to a changed sequence', () => {
    const model = deepFreeze({
      services: { a: { cap_add: ['A', 'A'], environment: ['X=1'] }, b: { cap_add: ['B'] } },
      volumes: { v: {} },
    });
    const unique = enforceUniqueness(model) as { services: Record<string, Dict>; volumes: Dict };
    expect(unique).toStrictEqual({ services: { a: { cap_add: ['A'], environment: ['X=1'] }, b: { cap_add: ['B'] } }, volumes: { v: {} } });
    expect(model.services.a.cap_add).toStrictEqual(['A', 'A']);
    expect(unique.services.a.environment).toBe(model.services.a.environment);
    expect(unique.services.b).toBe(model.services.b);
    expect(unique.volumes).toBe(model.volumes);
    expect(enforceUniqueness(unique)).toBe(unique);
  });
});

describe('enforceUniqueness (uncity_test.go)', () => {
  const unique = (attrs: Dict): Dict => ((enforceUniqueness(svc(attrs)).services as Dict).test as Dict);

  it('environment: by key, first position, last value (Test_EnvironmentUnicity)', () => {
    expect(unique({ image: 'foo', environment: ['FOO=BAR', 'BAR=QIX', 'QIX=', 'ZOT', 'FOO=ZOT', 'QIX', 'ZOT='] })).toStrictEqual({
      image: 'foo',
      environment: ['FOO=ZOT', 'BAR=QIX', 'QIX', 'ZOT='],
    });
  });

  it('volumes: by target (Test_VolumeUnicity)', () => {
    expect(unique({ volumes: ['.:/foo', 'foo:/bar', 'src:/foo'] })).toStrictEqual({ volumes: ['src:/foo', 'foo:/bar'] });
  });

  const targets: Array<[string, string]> = [
    ['/data', '/data'],
    ['data:/data', '/data'],
    ['./src:/app:ro', '/app'],
    ['~/src:/app:rw,z', '/app'],
    ['C:\\src:/app', '/app'],
    ['c:/src:/app:ro', '/app'],
    ['${SRC:-/default}:/target', '/target'],
    ['${A:-${B:-x:y}}:/t', '/t'],
    ['data:${DIR:-/a:b}', '${DIR:-/a:b}'],
    // Specs of one or two characters are taken whole, colons included.
    [':a', ':a'],
    // A one-letter first field is read as a Windows drive, so `a:` belongs to the source.
    ['a:/b:ro:x', 'ro'],
  ];
  for (const [spec, target] of targets) {
    it(`volume target of "${spec}" is "${target}"`, () => {
      const long = { type: 'volume', source: 'other', target };
      expect(unique({ volumes: [spec, 'keep:/keep', long] })).toStrictEqual({ volumes: [long, 'keep:/keep'] });
    });
  }

  const invalid: Array<[string, string]> = [
    ['ab::c', 'invalid spec: ab::c: empty section between colons'],
    [':/x', 'invalid spec: :/x: empty section between colons'],
    ['src:/b:', 'invalid spec: src:/b:: empty section between colons'],
    ['src:/b:ro:x', 'invalid spec: src:/b:ro:x: too many colons'],
    ['', 'invalid empty volume spec'],
  ];
  for (const [spec, message] of invalid) {
    it(`rejects the volume spec "${spec}"`, () => {
      const d = diagnosticOf(() => unique({ volumes: ['x:/x', spec] }));
      expect(d).toMatchObject({ code: 'volume.invalid-spec', message, path: 'services.test.volumes[1]' });
    });
  }

  it('a long volume or device needs a target', () => {
    expect(diagnosticOf(() => unique({ volumes: [{ type: 'volume', source: 'a' }] }))).toMatchObject({
      code: 'unique.missing-target',
      path: 'services.test.volumes[0]',
    });
    expect(diagnosticOf(() => unique({ devices: [{ source: '/dev/sda' }] })).code).toBe('unique.missing-target');
    expect(diagnosticOf(() => unique({ ports: [{ published: '80' }] })).code).toBe('unique.missing-target');
  });

  it('devices: the second part of a short string, or the target', () => {
    expect(unique({ devices: ['/dev/sda:/dev/xvda:rwm', '/dev/sdb', { source: '/dev/sdc', target: '/dev/xvda' }, '/dev/sdb'] })).toStrictEqual({
      devices: [{ source: '/dev/sdc', target: '/dev/xvda' }, '/dev/sdb'],
    });
  });

  it('secrets and configs: default targets /run/secrets/<source> and /<source>', () => {
    expect(unique({ secrets: ['a', { source: 'a' }, { source: 'b', target: '/run/secrets/a' }] })).toStrictEqual({
      secrets: [{ source: 'b', target: '/run/secrets/a' }],
    });
    expect(unique({ configs: ['conf', { source: 'other', target: '/conf' }, { source: 'x', target: '/run/secrets/conf' }] })).toStrictEqual({
      configs: [{ source: 'other', target: '/conf' }, { source: 'x', target: '/run/secrets/conf' }],
    });
  });

  it('long ports: host_ip defaults to 0.0.0.0 and protocol to tcp', () => {
    const implicit = { target: 80, published: '8080' };
    const explicit = { target: 80, published: '8080', host_ip: '0.0.0.0', protocol: 'tcp' };
    const udp = { target: 80, published: '8080', protocol: 'udp' };
    const local = { target: 80, published: '8080', host_ip: '127.0.0.1' };
    expect(unique({ ports: [implicit, udp, local, explicit] })).toStrictEqual({ ports: [explicit, udp, local] });
  });

  it('long ports: a published port written as a number differs from the same port written as a string', () => {
    const asString = { target: 80, published: '8080' };
    const asNumber = { target: 80, published: 8080 };
    expect(unique({ ports: [asString, asNumber] })).toStrictEqual({ ports: [asString, asNumber] });
    const unpublished = { target: 80 };
    expect(unique({ ports: [unpublished, { ...unpublished }] })).toStrictEqual({ ports: [unpublished] });
  });

  it('ports and expose: a number and the same digits as a string collide', () => {
    expect(unique({ ports: [80, '80', '81'] })).toStrictEqual({ ports: ['80', '81'] });
    expect(unique({ expose: [3000, '3000', '4000-4010'] })).toStrictEqual({ expose: ['3000', '4000-4010'] });
    expect(diagnosticOf(() => unique({ expose: [true] })).code).toBe('unique.unexpected-type');
  });

  it('key=value lists elsewhere: aliases, build tags, ipam options, top-level network labels', () => {
    const merged = enforceUniqueness({
      services: { test: { networks: { front: { aliases: ['a', 'b', 'a'] } }, build: { tags: ['t:1', 't:1'] } } },
      networks: { front: { labels: ['x=1', 'x=2'], ipam: { options: ['o=1', 'p=1', 'o=2'] } } },
    });
    expect(merged).toStrictEqual({
      services: { test: { networks: { front: { aliases: ['a', 'b'] } }, build: { tags: ['t:1'] } } },
      networks: { front: { labels: ['x=2'], ipam: { options: ['o=2', 'p=1'] } } },
    });
  });

  it('only known paths are touched: other sequences keep their duplicates', () => {
    expect(unique({ security_opt: ['a', 'a'], volumes_from: ['x', 'x'] })).toStrictEqual({ security_opt: ['a', 'a'], volumes_from: ['x', 'x'] });
  });

  it('a non-string entry in a key=value list is an error', () => {
    expect(diagnosticOf(() => unique({ cap_add: [1] }))).toMatchObject({ code: 'unique.unexpected-type', path: 'services.test.cap_add[0]' });
  });

  it('an env_file mapping needs a path', () => {
    expect(diagnosticOf(() => unique({ env_file: [{ required: false }] })).code).toBe('unique.missing-path');
  });
});

describe('mergeServiceForExtends', () => {
  it('applies a !reset of the extending service to the base (TestExtendsReset)', () => {
    const base = deepFreeze({ image: 'alpine:latest', command: 'sleep infinity' });
    expect(mergeServiceForExtends(base, { extends: { service: 'init' }, command: new ResetTag() })).toStrictEqual({ image: 'alpine:latest' });
    expect(base).toStrictEqual({ image: 'alpine:latest', command: 'sleep infinity' });
  });

  it('uses the same rules as file merging', () => {
    const base = {
      image: 'app',
      build: '.',
      command: ['serve'],
      environment: { A: '1', B: '2' },
      ports: ['8000:8000'],
      volumes: ['./data:/data'],
      ulimits: { nofile: { soft: 1, hard: 2 } },
    };
    const local = {
      extends: 'base',
      build: { target: 'prod' },
      command: ['work'],
      environment: ['B=3', 'C=4'],
      ports: ['9000:9000'],
      volumes: [{ type: 'volume', source: 'data', target: '/data' }],
      ulimits: { nofile: { hard: 4 } },
    };
    const merged = enforceUniqueness({ services: { web: mergeServiceForExtends(base, local, 'web') } });
    expect(merged).toStrictEqual({
      services: {
        web: {
          image: 'app',
          build: { context: '.', target: 'prod' },
          command: ['work'],
          environment: ['A=1', 'B=3', 'C=4'],
          ports: ['8000:8000', '9000:9000'],
          volumes: [{ type: 'volume', source: 'data', target: '/data' }],
          ulimits: { nofile: { hard: 4 } },
        },
      },
    });
  });

  it('resets a single environment key of the base', () => {
    expect(mergeServiceForExtends({ environment: { A: '1', B: '2' } }, { environment: { A: new ResetTag() } })).toStrictEqual({ environment: ['B=2'] });
  });

  it('reports errors at the extending service path', () => {
    const d = diagnosticOf(() => mergeServiceForExtends({ ports: ['80:80'] }, { ports: { a: 1 } }, 'web'));
    expect(d).toMatchObject({ code: 'merge.cannot-override', path: 'services.web.ports' });
  });
});
