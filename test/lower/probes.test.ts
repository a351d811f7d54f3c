import { describe, expect, test } from 'vitest';
import { entry, find, lower, mainContainer, project } from './helpers.js';

const probes = (service: object) => {
  const r = lower(project({ app: { image: 'x', ...service } }));
  const c = mainContainer(find(r.objects, 'Deployment', 'app'));
  return { r, c };
};

describe('probes', () => {
  test('CMD runs argv as is, as a readinessProbe with Compose timings', () => {
    const { c } = probes({ healthcheck: { test: ['CMD', 'pg_isready', '-U', 'x'], interval: '10s', timeout: '5s', retries: 5 } });
    expect(c.readinessProbe).toEqual({ exec: { command: ['pg_isready', '-U', 'x'] }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 5 });
    expect(c.livenessProbe).toBeUndefined();
    expect(c.startupProbe).toBeUndefined();
  });
  test('B2: CMD-SHELL runs through /bin/sh -c (Kompose made one unrunnable argv element)', () => {
    const { c } = probes({ healthcheck: { test: ['CMD-SHELL', 'curl -f http://localhost || exit 1'] } });
    expect(c.readinessProbe.exec.command).toEqual(['/bin/sh', '-c', 'curl -f http://localhost || exit 1']);
  });
  test('Compose defaults: 30s interval and timeout, 3 retries', () => {
    const { c } = probes({ healthcheck: { test: ['CMD', 'true'] } });
    expect(c.readinessProbe).toMatchObject({ periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 });
  });
  test('start_period -> startupProbe covering it, probed every start_interval', () => {
    const { c, r } = probes({ healthcheck: { test: ['CMD', 'true'], start_period: '1m', start_interval: '10s', retries: 2 } });
    expect(c.startupProbe).toMatchObject({ exec: { command: ['true'] }, periodSeconds: 10, failureThreshold: 8 });
    expect(entry(r.report, 'services.app.healthcheck')[0]!.status).toBe('approximated');
  });
  test('disable: true and NONE give no probes', () => {
    for (const hc of [{ disable: true, test: ['CMD', 'x'] }, { test: ['NONE'] }]) {
      const { c, r } = probes({ healthcheck: hc });
      expect([c.readinessProbe, c.livenessProbe, c.startupProbe]).toEqual([undefined, undefined, undefined]);
      expect(entry(r.report, 'services.app.healthcheck')[0]!.status).toBe('mapped');
    }
  });
  test('B2: a healthcheck with timings but no test does not crash; it warns and emits no probe', () => {
    const { c, r } = probes({ healthcheck: { interval: '5s', retries: 2 } });
    expect(c.readinessProbe).toBeUndefined();
    expect(r.codes).toContain('probe.no-test');
    expect(entry(r.report, 'services.app.healthcheck')[0]!.status).toBe('ignored');
  });
  test('liveness only on request (x-kubernetes.probes.liveness: true)', () => {
    const { c } = probes({ healthcheck: { test: ['CMD', 'ok'] }, 'x-kubernetes': { probes: { liveness: true } } });
    expect(c.livenessProbe).toEqual(c.readinessProbe);
  });
  test('x-kubernetes probe objects are used as is; false removes the derived probe', () => {
    const { c } = probes({
      healthcheck: { test: ['CMD', 'ok'] },
      'x-kubernetes': { probes: { readiness: { httpGet: { path: '/ready', port: 8080 } }, startup: false } },
    });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/ready', port: 8080 } });
  });
  test('kompose readiness labels: httpGet with timings', () => {
    const { c } = probes({
      labels: {
        'kompose.service.healthcheck.readiness.http_get_path': '/health',
        'kompose.service.healthcheck.readiness.http_get_port': '8080',
        'kompose.service.healthcheck.readiness.interval': '10s',
      },
    });
    expect(c.readinessProbe).toEqual({ httpGet: { path: '/health', port: 8080 }, periodSeconds: 10 });
  });
  test('kompose readiness test label with shell syntax runs through sh', () => {
    const { c } = probes({ labels: { 'kompose.service.healthcheck.readiness.test': 'curl -f x || exit 1' } });
    expect(c.readinessProbe.exec.command).toEqual(['/bin/sh', '-c', 'curl -f x || exit 1']);
  });
  test('kompose liveness tcp label works without a healthcheck block and takes default timings', () => {
    const { c } = probes({ labels: { 'kompose.service.healthcheck.liveness.tcp_port': '5432' } });
    expect(c.livenessProbe).toEqual({ tcpSocket: { port: 5432 }, periodSeconds: 30, timeoutSeconds: 30, failureThreshold: 3 });
    expect(c.readinessProbe).toBeUndefined();
  });
});
