// Values and objects the API server would refuse are errors at conversion time, located at their Compose path:
// integers beyond the API's ranges (int32 fields, ports, ids, file modes) and objects too large to store.
import { describe, expect, test } from 'vitest';
import type { Port, Service } from '../../src/model/project.js';
import { validateObjects } from '../../src/emit/index.js';
import { jsonBytesBound } from '../../src/lower/size.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { entry, lower, memFiles, project } from './helpers.js';

const BIG = 99_999_999_999;
const INT32_MAX = 2_147_483_647;
const port = (target: number, extra: Partial<Port> = {}): Port => ({ target, protocol: 'tcp', mode: 'ingress', ...extra });

describe('integers beyond the API ranges', () => {
  const cases: [string, Service, string][] = [
    ['restart: on-failure:N', { image: 'x', restart: `on-failure:${BIG}` }, 'services.w.restart'],
    ['deploy.restart_policy.max_attempts', { image: 'x', deploy: { restart_policy: { condition: 'on-failure', max_attempts: BIG } } }, 'services.w.deploy.restart_policy.max_attempts'],
    ['deploy.replicas', { image: 'x', deploy: { replicas: BIG } }, 'services.w.deploy.replicas'],
    ['scale', { image: 'x', scale: BIG }, 'services.w.scale'],
    ['scale of a Job', { image: 'x', restart: 'no', scale: BIG }, 'services.w.scale'],
    ['x-kubernetes.replicas', { image: 'x', 'x-kubernetes': { replicas: BIG } }, 'services.w.x-kubernetes.replicas'],
    ['x-kubernetes.job.backoffLimit', { image: 'x', restart: 'no', 'x-kubernetes': { job: { backoffLimit: BIG } } }, 'services.w.x-kubernetes.job.backoffLimit'],
    ['x-kubernetes.job.ttlSecondsAfterFinished', { image: 'x', restart: 'no', 'x-kubernetes': { job: { ttlSecondsAfterFinished: BIG } } }, 'services.w.x-kubernetes.job.ttlSecondsAfterFinished'],
    ['x-kubernetes.cron history limit', { image: 'x', restart: 'no', 'x-kubernetes': { cron: { schedule: '* * * * *', failedJobsHistoryLimit: BIG } } }, 'services.w.x-kubernetes.cron.failedJobsHistoryLimit'],
    ['x-kubernetes.autoscale.max', { image: 'x', 'x-kubernetes': { autoscale: { max: BIG } } }, 'services.w.x-kubernetes.autoscale'],
    ['long-syntax container port', { image: 'x', ports: [port(70000)] }, 'services.w.ports[0].target'],
    ['long-syntax published port', { image: 'x', ports: [port(80, { published: '70000' })] }, 'services.w.ports[0].published'],
    ['healthcheck.retries', { image: 'x', healthcheck: { test: ['CMD', 'true'], retries: BIG } }, 'services.w.healthcheck.retries'],
    ['healthcheck.interval', { image: 'x', healthcheck: { test: ['CMD', 'true'], interval: '9000000000s' } }, 'services.w.healthcheck.interval'],
    ['healthcheck.start_period (startup failureThreshold)', { image: 'x', healthcheck: { test: ['CMD', 'true'], start_period: '2147483647s', start_interval: '1s' } }, 'services.w.healthcheck.start_period'],
    ['user id', { image: 'x', user: `${BIG}` }, 'services.w.user'],
    ['group id in user', { image: 'x', user: `1000:${BIG}` }, 'services.w.user'],
    ['group_add', { image: 'x', group_add: [`${BIG}`] }, 'services.w.group_add'],
    ['deploy.update_config.parallelism', { image: 'x', deploy: { update_config: { parallelism: BIG } } }, 'services.w.deploy.update_config.parallelism'],
    ['deploy.update_config.delay', { image: 'x', deploy: { update_config: { delay: '9000000000s' } } }, 'services.w.deploy.update_config.delay'],
    ['deploy.placement.max_replicas_per_node', { image: 'x', deploy: { placement: { max_replicas_per_node: BIG } } }, 'services.w.deploy.placement.max_replicas_per_node'],
  ];
  for (const [what, service, path] of cases) {
    test(`${what}: an error at ${path}, and no object carries the value`, () => {
      const r = lower(project({ w: service }));
      const errors = r.diagnostics.errors;
      expect(errors.map((e) => [e.code, e.path])).toEqual([['lower.out-of-range', path]]);
      expect(errors[0]!.message).toMatch(/is out of range: Kubernetes accepts \d+ to \d+/);
      const text = JSON.stringify(r.objects);
      expect(text).not.toContain(String(BIG));
      expect(text).not.toContain('70000');
      expect(text).not.toContain('9000000000');
      // Accounted for once, by the error: not also swept as "no mapping" or warned as ignored.
      expect(entry(r.report, path).map((e) => e.status)).toContain('ignored');
      expect(r.diagnostics.items.filter((d) => d.code === 'lower.ignored' && d.path === path)).toEqual([]);
    });
  }

  test('a secret or config file mode beyond 0777 is an error at its mode', () => {
    const r = lower(project({ w: { image: 'x', secrets: [{ source: 's', mode: 0o1777 }] } }, { secrets: { s: { file: '/s' } } }), {
      secrets: 'inline',
      files: memFiles({ '/s': 'x' }),
    });
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['lower.out-of-range', 'services.w.secrets[0].mode']]);
  });

  test('the largest accepted values pass and validate', async () => {
    const r = lower(project({
      w: { image: 'x', deploy: { replicas: INT32_MAX }, user: `${INT32_MAX}:${INT32_MAX}`, ports: [port(65535, { published: '65535' })], healthcheck: { test: ['CMD', 'true'], retries: INT32_MAX } },
      j: { image: 'x', restart: `on-failure:${INT32_MAX}` },
    }));
    expect(r.diagnostics.errors).toEqual([]);
    expect(await validateObjects(r.objects, new Diagnostics())).toBe(0);
  });

  test('max_replicas_per_node 0 is Swarm\'s "no limit", not an error', () => {
    const r = lower(project({ w: { image: 'x', deploy: { placement: { max_replicas_per_node: 0 } } } }));
    expect(r.diagnostics.errors).toEqual([]);
    expect(entry(r.report, 'services.w.deploy.placement')[0]).toMatchObject({ status: 'mapped' });
  });
});

describe('objects too large for the API server', () => {
  test('a 5 MB environment value: an error naming the workload, the field and the variable', () => {
    const r = lower(project({ web: { image: 'x', environment: { SMALL: '1', BIG: 'v'.repeat(5 * 1024 * 1024) } } }));
    const [err] = r.diagnostics.errors;
    expect(r.diagnostics.errors).toHaveLength(1);
    expect(err).toMatchObject({ code: 'lower.object-too-large', path: 'services.web.environment.BIG' });
    expect(err!.message).toContain('Deployment/web is 5.0 MiB serialized');
    expect(err!.message).toContain('containers[name=web].env[name=BIG].value');
  });

  test('an env_file ConfigMap over 1 MiB: an error at the env_file entry', () => {
    const r = lower(
      project({ web: { image: 'x', env_file: [{ path: '/a.env', required: true, values: { A: '1' } }, { path: '/b.env', required: true, values: { B: 'z'.repeat(1100 * 1024) } }] } }),
    );
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['lower.object-too-large', 'services.web.env_file[1]']]);
    expect(r.diagnostics.errors[0]!.message).toMatch(/^ConfigMap\/web-b-env holds 1\.1 MiB of data, but a ConfigMap holds at most 1 MiB \(largest: data\.B/);
  });

  test('pod annotations over 256 KiB (a huge Compose label): an error at the label', () => {
    const r = lower(project({ web: { image: 'x', labels: { note: 'n'.repeat(300 * 1024) } } }));
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['lower.annotations-too-large', 'services.web.labels.note']]);
  });

  test('an inline Secret over 1 MiB keeps its own error, once, and no message shows its content', () => {
    const secret = `S3CR3T${'s'.repeat(1100 * 1024)}`;
    const r = lower(project({ w: { image: 'x', secrets: [{ source: 'big' }] } }, { secrets: { big: { file: '/big' } } }), {
      secrets: 'inline',
      files: memFiles({ '/big': secret }),
    });
    expect(r.diagnostics.errors.map((e) => e.code)).toEqual(['secret.too-large']);
    expect(JSON.stringify(r.diagnostics.items)).not.toContain('S3CR3T');
  });

  test('a Secret whose data is over 1 MiB after a patch is caught on the final object, without its content', () => {
    const r = lower(project({ w: { image: 'x', secrets: [{ source: 's' }] } }, {
      secrets: { s: { file: '/s' } },
      'x-kubernetes': { patches: [{ target: { kind: 'Secret', name: 's' }, patch: [{ op: 'add', path: '/data/extra', value: Buffer.from(`S3CR3T${'p'.repeat(1100 * 1024)}`).toString('base64') }] }] },
    }), { secrets: 'inline', files: memFiles({ '/s': 'x' }) });
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['lower.object-too-large', 'secrets.s']]);
    expect(r.diagnostics.errors[0]!.message).toContain('largest: data.extra');
    expect(JSON.stringify(r.diagnostics.items)).not.toContain('S3CR3T');
  });

  test('objects just under the limits pass', () => {
    const r = lower(project({ web: { image: 'x', environment: { A: 'a'.repeat(1024 * 1024) }, labels: { note: 'n'.repeat(200 * 1024) } } }));
    expect(r.diagnostics.errors).toEqual([]);
  });
});

describe('the size bound that spares serializing small objects', () => {
  test('is never below the serialized size', () => {
    const values: unknown[] = [
      'plain', '"\\\n\u0001\u001f', 'é€😀', '\ud800 lone', '\u2028', -1.7976931348623157e308, -5e-324, 0, true, false, null,
      [undefined, () => 1, Symbol('s')], { a: undefined, b: [1, 'x', { c: null }], 'ké\u0000y': 'v' }, [], {},
    ];
    for (const v of values) expect(jsonBytesBound(v)).toBeGreaterThanOrEqual(Buffer.byteLength(JSON.stringify(v) ?? ''));
    expect(jsonBytesBound({ when: new Date(0) })).toBe(Infinity);
  });

  test('an object whose escaping alone takes it over the limit is caught (six bytes per control character)', () => {
    const r = lower(project({ web: { image: 'x', environment: { CTRL: '\u0001'.repeat(270 * 1024) } } }));
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['lower.object-too-large', 'services.web.environment.CTRL']]);
  });
});
