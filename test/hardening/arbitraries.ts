// fast-check arbitraries for hostile compose input: documents generated from a grammar of compose keys
// (plausible values most of the time, hostile ones some of the time), and random mutations of real files,
// both textual (tokens spliced in, lines duplicated, swapped, re-indented, truncated) and structural (a value
// at a random path replaced, a key renamed, a subtree duplicated).
import fc from 'fast-check';
import { parse, stringify } from 'yaml';

/** Tokens that exercise the YAML reader, interpolation, the schema and the path/name sanitizers. */
export const TOKENS = [
  '${', '}', '$$', '$', '${A}', '${A:-x}', '${A-x}', '${A:?boom}', '${A?boom}', '${A:+y}', '${A+y}', '${A:-${B:-z}}', '${', '${}', '$}', '$${A}',
  ':', ': ', '- ', '-', '\n', '\n  ', '\n    - ', '  ', '\t', '#', ' #', '"', "'", '\\', '\\"', '[', ']', '{', '}', ',', '?', '|', '>', '|-', '>+',
  '&a ', '*a', '<<: *a', '<<: [*a]', '!reset ', '!override ', '!!str ', '!!int ', '!!binary ', '!!map ', '!!seq ', '!unknown ', '%YAML 1.1\n', '---\n', '...\n',
  '~', 'null', 'true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n', '0', '-1', '0x1F', '0o17', '0755', '1e400', '-.inf', '.nan', '99999999999999999999', '1.5', '+12',
  '1:2', '80:80', '127.0.0.1:80:80/udp', '8000-8010:80', '[::1]:53:53', '65536', '0.5', '1g', '512m', '10s', '1h2m', '-5s',
  '..', '../', '../../etc/passwd', '/etc/passwd', '/dev/zero', '/dev/null', '~/x', '.', './', '/', '//', 'C:\\x', '\\\\srv\\share',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  'services', 'volumes', 'networks', 'secrets', 'configs', 'include', 'extends', 'name', 'version', 'models', 'x-kubernetes', 'x-a',
  'image', 'build', 'context', 'dockerfile', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'depends_on', 'condition',
  'healthcheck', 'test', 'deploy', 'replicas', 'resources', 'limits', 'labels', 'annotations', 'profiles', 'restart', 'file', 'external', 'driver',
  'target', 'source', 'type', 'bind', 'volume', 'tmpfs', 'read_only', 'network_mode', 'service:a', 'container:x', 'links', 'volumes_from',
  '{{', '}}', '{{ .Values }}', '{{> x}}', '{{#each this}}', '{{constructor}}', '<script>', '</textarea>', '&amp;', '`rm -rf /`', '$(id)', '; id', '| id',
  '\u00a0', '\ufeff', '\u2028', '\u200b', 'é', '日本', '🙂', '\u0085', '\u0007', '\r', '\r\n', 'a'.repeat(300), 'A'.repeat(64),
];

const token = fc.constantFrom(...TOKENS);

export type TextMutation =
  | { op: 'insert'; at: number; text: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'replace'; at: number; len: number; text: string }
  | { op: 'dupLine'; at: number }
  | { op: 'dropLine'; at: number }
  | { op: 'swapLines'; at: number; with: number }
  | { op: 'indent'; at: number; by: number }
  | { op: 'truncate'; at: number }
  | { op: 'byte'; at: number; code: number };

const textOrToken = fc.oneof({ weight: 4, arbitrary: token }, { weight: 1, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) });

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: textOrToken }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('replace' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }), text: textOrToken }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dupLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('dropLine' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('swapLines' as const), at: fc.nat(), with: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('indent' as const), at: fc.nat(), by: fc.integer({ min: -4, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('byte' as const), at: fc.nat(), code: fc.integer({ min: 0, max: 0xffff }) }) },
);

export function applyTextMutation(text: string, m: TextMutation): string {
  const n = text.length + 1;
  switch (m.op) {
    case 'insert': {
      const at = m.at % n;
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'delete': {
      const at = m.at % n;
      return text.slice(0, at) + text.slice(at + m.len);
    }
    case 'replace': {
      const at = m.at % n;
      return text.slice(0, at) + m.text + text.slice(at + m.len);
    }
    case 'byte': {
      const at = m.at % n;
      return text.slice(0, at) + String.fromCharCode(m.code) + text.slice(at + 1);
    }
    case 'truncate':
      return text.slice(0, m.at % n);
    default: {
      const lines = text.split('\n');
      const i = m.at % lines.length;
      if (m.op === 'dupLine') lines.splice(i, 0, lines[i]!);
      else if (m.op === 'dropLine') lines.splice(i, 1);
      else if (m.op === 'swapLines') {
        const j = m.with % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      } else if (m.op === 'indent') lines[i] = m.by >= 0 ? ' '.repeat(m.by) + lines[i] : lines[i]!.replace(new RegExp(`^ {0,${-m.by}}`), '');
      return lines.join('\n');
    }
  }
}

/** Scalars and small trees that are wrong in interesting ways. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 6, arbitrary: fc.oneof(token, fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.oneof(token, fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 3 }) },
  ),
})).value;

export type StructMutation =
  | { op: 'set'; path: number[]; value: unknown }
  | { op: 'renameKey'; path: number[]; key: string }
  | { op: 'delete'; path: number[] }
  | { op: 'copy'; from: number[]; to: number[] };

const pathArb = fc.array(fc.nat(), { minLength: 1, maxLength: 6 });

export const structMutation: fc.Arbitrary<StructMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path: pathArb, value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renameKey' as const), path: pathArb, key: fc.oneof(token, fc.string({ maxLength: 10 })) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), path: pathArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copy' as const), from: pathArb, to: pathArb }) },
);

/** Walks `steps` (indices modulo the number of children) down a plain tree; returns the container and key reached. */
function walk(tree: unknown, steps: number[]): { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined {
  let node = tree;
  let hit: { parent: Record<string, unknown> | unknown[]; key: string | number } | undefined;
  for (const s of steps) {
    if (Array.isArray(node)) {
      if (node.length === 0) break;
      const k = s % node.length;
      hit = { parent: node, key: k };
      node = node[k];
    } else if (node && typeof node === 'object') {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[s % keys.length]!;
      hit = { parent: node as Record<string, unknown>, key: k };
      node = (node as Record<string, unknown>)[k];
    } else break;
  }
  return hit;
}

export function applyStructMutation(tree: unknown, m: StructMutation): unknown {
  const at = walk(tree, m.op === 'copy' ? m.to : m.path);
  if (!at) return tree;
  const { parent, key } = at;
  if (m.op === 'set') (parent as Record<string | number, unknown>)[key] = m.value;
  else if (m.op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (m.op === 'renameKey' && !Array.isArray(parent)) {
    const v = parent[key as string];
    delete parent[key as string];
    Object.defineProperty(parent, m.key, { value: v, enumerable: true, writable: true, configurable: true });
  } else if (m.op === 'copy') {
    const from = walk(tree, m.from);
    if (from) (parent as Record<string | number, unknown>)[key] = structuredClone((from.parent as Record<string | number, unknown>)[from.key]);
  }
  return tree;
}

/** Seed texts parsed once (parsing dominated the cost of a mutation). */
const parsedSeeds = new Map<string, unknown>();

/** A mutated version of a YAML text: structural mutations when it parses, then textual ones. */
export function mutate(text: string, structural: StructMutation[], textual: TextMutation[]): string {
  let out = text;
  if (structural.length > 0) {
    try {
      if (!parsedSeeds.has(text)) {
        let tree: unknown = null;
        try {
          tree = parse(text, { merge: true, maxAliasCount: 1000, logLevel: 'error' }) as unknown;
        } catch {
          tree = null;
        }
        parsedSeeds.set(text, tree && typeof tree === 'object' ? tree : null);
      }
      const tree = parsedSeeds.get(text);
      if (tree) {
        let t: unknown = structuredClone(tree);
        for (const m of structural) t = applyStructMutation(t, m);
        out = stringify(t, { lineWidth: 0, aliasDuplicateObjects: false });
      }
    } catch {
      // not YAML we can restructure: textual mutations only
    }
  }
  for (const m of textual) out = applyTextMutation(out, m);
  return out;
}

// ---- grammar-generated documents ----

const name = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('web', 'api', 'db', 'cache', 'worker', 'a', 'b', 'my_app', 'Web.Front', '1st', 'x-y') },
  { weight: 1, arbitrary: fc.oneof(token, fc.string({ minLength: 1, maxLength: 70 })) },
);

const weird = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 600, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: hostileValue });

const port = fc.oneof(
  fc.integer({ min: 1, max: 65535 }),
  fc.constantFrom('80', '8080:80', '127.0.0.1:5000:5000/udp', '3000-3005', '9090-9091:8080-8081', '[::1]:6000:6000', '0.0.0.0::53/tcp'),
  fc.record({ target: fc.integer({ min: 1, max: 65535 }), published: fc.option(fc.constantFrom('8080', '9000-9001', 80), { nil: undefined }), protocol: fc.constantFrom('tcp', 'udp'), name: fc.option(fc.constantFrom('http', 'web', 'x_y'), { nil: undefined }), app_protocol: fc.option(fc.constantFrom('http', 'h2c', 'grpc'), { nil: undefined }) }, { requiredKeys: ['target'] }),
);

const volumeEntry = fc.oneof(
  fc.constantFrom('data:/data', './conf:/etc/conf:ro', '/var/run/docker.sock:/var/run/docker.sock', '/tmp', '../outside:/o', '~/x:/x', 'data:/data:nocopy', './missing.txt:/m.txt'),
  fc.oneof(fc.record({ type: fc.constant('volume'), source: fc.constant('data'), target: fc.constantFrom('/data', '/srv') }), fc.record({ type: fc.constant('tmpfs'), target: fc.constant('/scratch') }), fc.record({ type: fc.constant('bind'), source: fc.constantFrom('./conf', './c1.conf', '/etc/hostname'), target: fc.constantFrom('/data', '/etc/x', '/srv/app'), read_only: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['type', 'source', 'target'] })),
);

const duration = fc.constantFrom('10s', '1m30s', '500ms', '1h', '0s', '-1s');

const service = (names: string[]) =>
  fc.record(
    {
      image: weird(fc.constantFrom('nginx', 'redis:7', 'postgres:16@sha256:' + 'a'.repeat(64), 'registry.example.com:5000/team/app:1.0', '${IMAGE:-alpine}')),
      build: weird(fc.oneof(fc.constantFrom('.', './app', '../outside'), fc.record({ context: fc.constantFrom('.', './app'), dockerfile: fc.constantFrom('Dockerfile', 'x.Dockerfile'), args: fc.dictionary(fc.constantFrom('A', 'B'), fc.string({ maxLength: 5 })) }, { requiredKeys: ['context'] }))),
      command: weird(fc.oneof(fc.constantFrom('run --port 80', 'sh -c "echo $$HOME"', '{{ .Values.x }}'), fc.array(fc.string({ maxLength: 10 }).map((x) => x.replaceAll('$', '$$$$')), { maxLength: 4 }))),
      entrypoint: weird(fc.oneof(fc.constantFrom('sh -c "echo $$HOME"', '/bin/app --flag'), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }))),
      environment: weird(fc.oneof(fc.dictionary(fc.constantFrom('A', 'B', 'DB_PASSWORD', 'X'), fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null))), fc.array(fc.constantFrom('A=1', 'B', 'C=${A}', 'D=$$E', '=x'), { maxLength: 4 }))),
      env_file: weird(fc.oneof(fc.constantFrom('.env', 'missing.env', '../x.env'), fc.array(fc.record({ path: fc.constantFrom('a.env', 'b.env'), required: fc.boolean() }), { maxLength: 2 }))),
      ports: weird(fc.array(port, { maxLength: 4 })),
      expose: weird(fc.array(fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom('3000', '4000-4002', '5000/udp')), { maxLength: 3 })),
      volumes: weird(fc.array(volumeEntry, { maxLength: 3 })),
      depends_on: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: weird(
        fc.oneof(
          fc.subarray(names),
          fc.dictionary(fc.constantFrom(...names), fc.record({ condition: fc.constantFrom('service_started', 'service_healthy', 'service_completed_successfully'), required: fc.boolean(), restart: fc.boolean() }, { requiredKeys: ['condition'] })),
        ),
      ) }),
      healthcheck: weird(fc.record({ test: fc.oneof(fc.constantFrom('curl -f http://localhost', 'NONE'), fc.constantFrom(['CMD', 'true'], ['CMD-SHELL', 'curl -f localhost || exit 1'], ['NONE'])), interval: duration, timeout: duration, retries: fc.integer({ min: -1, max: 10 }), start_period: duration, disable: fc.boolean() }, { requiredKeys: [] })),
      deploy: weird(fc.record({ replicas: fc.integer({ min: 0, max: 10 }), mode: fc.constantFrom('replicated', 'global', 'replicated-job'), resources: fc.record({ limits: fc.record({ cpus: fc.constantFrom('0.5', '2', 0.25), memory: fc.constantFrom('512M', '1g', '100') }, { requiredKeys: [] }) }, { requiredKeys: [] }), restart_policy: fc.record({ condition: fc.constantFrom('none', 'on-failure', 'any'), max_attempts: fc.nat(5) }, { requiredKeys: [] }), labels: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9.\/-]{0,10}$/), fc.string({ maxLength: 8 })) }, { requiredKeys: [] })),
      restart: weird(fc.constantFrom('no', 'always', 'on-failure', 'on-failure:3', 'unless-stopped')),
      labels: weird(fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('kompose.service.type', 'kompose.controller.type', 'kompose.service.expose', 'com.example.x', 'kompose.volume.size'), fc.string({ minLength: 1, maxLength: 8 })), fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('nodeport', 'statefulset', 'true', '{{ .Values.x }}'))), fc.array(fc.constantFrom('a=b', 'c', 'kompose.service.type=loadbalancer')))),
      networks: weird(fc.oneof(fc.subarray(['front', 'back', 'default']), fc.dictionary(fc.constantFrom('front', 'back'), fc.oneof(fc.constant(null), fc.record({ aliases: fc.array(fc.constantFrom('alias', 'Bad_Alias', 'db'), { maxLength: 2 }) }))))),
      network_mode: fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: weird(fc.constantFrom('host', 'none', 'bridge', ...names.map((n) => `service:${n}`))) }),
      secrets: weird(fc.array(fc.oneof(fc.constantFrom('s1', 's2'), fc.record({ source: fc.constantFrom('s1', 's2'), target: fc.constantFrom('x', '/run/secrets/y', '../z'), mode: fc.constantFrom(0o400, '0440', 0o777) }, { requiredKeys: ['source'] })), { maxLength: 2 })),
      configs: weird(fc.array(fc.oneof(fc.constantFrom('c1'), fc.record({ source: fc.constant('c1'), target: fc.constantFrom('/etc/c', 'rel') }, { requiredKeys: ['source'] })), { maxLength: 2 })),
      profiles: fc.oneof({ weight: 40, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: weird(fc.array(fc.constantFrom('debug', 'prod', '*'), { maxLength: 2 })) }),
      scale: fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: weird(fc.integer({ min: -1, max: 5 })) }),
      user: weird(fc.constantFrom('1000', '1000:1000', 'root', 'app:app')),
      working_dir: weird(fc.constantFrom('/app', 'relative', '/')),
      tmpfs: weird(fc.constantFrom('/tmp', ['/run', '/tmp:size=64m'])),
      extends: fc.oneof(
        { weight: 8, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: weird(fc.oneof(fc.constantFrom(...names), fc.record({ service: fc.constantFrom(...names, 'base'), file: fc.constant('other.yaml') }, { requiredKeys: ['service'] }))) },
      ),
      'x-kubernetes': weird(fc.record({ replicas: fc.nat(5), controller: fc.constantFrom('statefulset', 'cronjob', 'daemonset', 'bogus'), expose: fc.constantFrom('ingress', 'nodeport'), ingress: fc.record({ host: fc.constantFrom('a.example.com', '*.x', 'bad host') }), cron: fc.record({ schedule: fc.constantFrom('0 3 * * *', 'nope') }), autoscale: fc.record({ min: fc.nat(3), max: fc.nat(10), cpu: fc.constantFrom('50%', 70, '500m') }) }, { requiredKeys: [] })),
      privileged: weird(fc.boolean()),
      read_only: weird(fc.boolean()),
      cap_add: weird(fc.array(fc.constantFrom('NET_ADMIN', 'ALL', 'SYS_TIME'), { maxLength: 2 })),
      sysctls: weird(fc.dictionary(fc.constantFrom('net.core.somaxconn', 'kernel.x'), fc.constantFrom('1024', 1))),
      extra_hosts: weird(fc.uniqueArray(fc.constantFrom('host:1.2.3.4', 'h=::1'), { maxLength: 2 })),
      stop_grace_period: weird(duration),
      ulimits: weird(fc.record({ nofile: fc.oneof(fc.nat(), fc.record({ soft: fc.nat(), hard: fc.nat() })) })),
      logging: weird(fc.record({ driver: fc.constant('json-file') })),
    },
    { requiredKeys: [] },
  );

/** Service names the grammar refers to (depends_on, extends, network_mode); documents mostly use these. */
const POOL = ['web', 'api', 'db', 'cache', 'worker'];
const secretDef = fc.oneof(fc.record({ file: fc.constantFrom('./s1.txt', '/etc/hostname', '../s.txt', 'missing') }), fc.record({ environment: fc.constantFrom('SECRET_ENV', 'UNSET') }), fc.record({ external: fc.constant(true) }));
/** Built once: constructing the arbitraries per document cost more than generating from them. */
const serviceArb = service(POOL);

/** A compose document (as a plain object) from the grammar. */
export const composeDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
      {
        name: weird(fc.constantFrom('demo', 'My Project', '${NAME:-proj}', 'a_b-c')),
        // Every pool service exists (so references resolve), plus sometimes one with a hostile name.
        services: fc
          .tuple(fc.tuple(...POOL.map(() => serviceArb)), fc.option(fc.tuple(name, serviceArb), { freq: 4 }))
          .map(([svcs, extra]) => ({ ...Object.fromEntries(POOL.map((n, i) => [n, svcs[i]])), ...(extra ? { [extra[0] as string]: extra[1] } : {}) })),
        volumes: weird(fc.record({ data: fc.oneof(fc.constant(null), fc.record({ external: fc.boolean(), name: fc.constantFrom('ext', 'x y'), 'x-kubernetes': fc.record({ size: fc.constantFrom('10Gi', 'big') }) }, { requiredKeys: [] })) })),
        networks: weird(fc.record({ front: fc.oneof(fc.constant(null), fc.record({ internal: fc.boolean(), driver: fc.constantFrom('bridge', 'overlay') }, { requiredKeys: [] })), back: fc.oneof(fc.constant(null), fc.record({ internal: fc.boolean(), external: fc.boolean() }, { requiredKeys: [] })) })),
        secrets: weird(fc.record({ s1: secretDef, s2: secretDef })),
        configs: weird(fc.record({ c1: fc.oneof(fc.record({ file: fc.constantFrom('./c1.conf', 'missing') }), fc.record({ content: fc.string({ maxLength: 20 }) }), fc.record({ environment: fc.constant('CFG') })) })),
        'x-kubernetes': weird(fc.record({ namespace: fc.constantFrom('shop', 'Bad_NS'), nodeSelector: fc.dictionary(fc.constantFrom('pool'), fc.constantFrom('main')) }, { requiredKeys: [] })),
        'x-anchor': fc.option(fc.constant({ image: 'shared' }), { nil: undefined }),
        version: fc.option(fc.constantFrom('3.8', '2'), { nil: undefined }),
      },
      { requiredKeys: ['services', 'networks', 'volumes', 'secrets', 'configs'] },
    );

/** A generated document as YAML text (sometimes with anchors and merge keys spliced in). */
export const composeText: fc.Arbitrary<string> = fc.tuple(composeDocument, fc.oneof({ weight: 8, arbitrary: fc.constant([] as TextMutation[]) }, { weight: 1, arbitrary: fc.array(textMutation, { maxLength: 2 }) })).map(([doc, muts]) => {
  let text = stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
  for (const m of muts) text = applyTextMutation(text, m);
  return text;
});

/** A seed file mutated: mostly a few structural changes (so the result often still loads), sometimes text edits. */
export function mutatedSeed(files: string[], texts: Map<string, string>): fc.Arbitrary<{ file: string; text: string }> {
  const edits = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.array(structMutation, { minLength: 1, maxLength: 2 }), fc.constant([] as TextMutation[])) },
    { weight: 3, arbitrary: fc.tuple(fc.constant([] as StructMutation[]), fc.array(textMutation, { minLength: 1, maxLength: 2 })) },
    { weight: 2, arbitrary: fc.tuple(fc.array(structMutation, { maxLength: 3 }), fc.array(textMutation, { maxLength: 4 })) },
  );
  return fc.tuple(fc.constantFrom(...files), edits).map(([file, [s, t]]) => ({ file, text: mutate(texts.get(file)!, s, t) }));
}
