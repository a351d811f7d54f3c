import { describe, expect, test } from 'vitest';
import { entry, find, lower, mainContainer, podSpec, project } from './helpers.js';

describe('scaling', () => {
  test('deploy.replicas and scale; replicas left out when unset', () => {
    expect(find(lower(project({ a: { image: 'x', deploy: { replicas: 3 } } })).objects, 'Deployment', 'a').spec.replicas).toBe(3);
    expect(find(lower(project({ a: { image: 'x', scale: 2 } })).objects, 'Deployment', 'a').spec.replicas).toBe(2);
    expect(find(lower(project({ a: { image: 'x', deploy: { replicas: 0 } } })).objects, 'Deployment', 'a').spec.replicas).toBe(0);
    expect(find(lower(project({ a: { image: 'x' } })).objects, 'Deployment', 'a').spec.replicas).toBeUndefined();
  });
  test('resources: cpus -> millicores, bytes -> exact binary quantities; service-level keys too', () => {
    const r = lower(
      project({
        a: { image: 'x', deploy: { resources: { limits: { cpus: 1.5, memory: 536870912 }, reservations: { cpus: 0.25, memory: 134217728 } } } },
        b: { image: 'x', cpus: 0.5, mem_limit: 1073741824, mem_reservation: 1000 },
      }),
    );
    expect(mainContainer(find(r.objects, 'Deployment', 'a')).resources).toEqual({
      limits: { cpu: '1500m', memory: '512Mi' },
      requests: { cpu: '250m', memory: '128Mi' },
    });
    expect(mainContainer(find(r.objects, 'Deployment', 'b')).resources).toEqual({ limits: { cpu: '500m', memory: '1Gi' }, requests: { memory: '1000' } });
  });
  test('B11/B12: update_config order decides the strategy; exactly one strategy, never Recreate with rollingUpdate', () => {
    const stop = find(lower(project({ a: { image: 'x', deploy: { update_config: { parallelism: 2, order: 'stop-first' } } } })).objects, 'Deployment', 'a');
    expect(stop.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 2 } });
    const start = find(lower(project({ a: { image: 'x', deploy: { update_config: { order: 'start-first', delay: '10s' } } } })).objects, 'Deployment', 'a');
    expect(start.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(start.spec.minReadySeconds).toBe(10);
    const all = find(lower(project({ a: { image: 'x', deploy: { update_config: { parallelism: 0 } } } })).objects, 'Deployment', 'a');
    expect(all.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: '100%' });
  });
  test('B11: a Recreate rollout from another pass replaces the strategy entirely', async () => {
    const { lowerProject, PASSES } = await import('../../src/lower/pipeline.js');
    const { Diagnostics } = await import('../../src/model/diagnostics.js');
    const rwo = { name: 'rwo', run: (ctx: any) => (ctx.units.get('a').rollout = { type: 'Recreate', reason: 'RWO volume' }) };
    const r = lowerProject(project({ a: { image: 'x', deploy: { update_config: { parallelism: 2 } } } }), {}, new Diagnostics(), [...PASSES, rwo]);
    expect(find(r.objects, 'Deployment', 'a').spec.strategy).toEqual({ type: 'Recreate' });
  });
  test('placement constraints -> required node affinity; preferences -> spread; max_replicas_per_node 1 -> anti-affinity', () => {
    const r = lower(
      project({
        a: {
          image: 'x',
          deploy: {
            placement: {
              constraints: ['node.labels.disk == ssd', 'node.hostname != bad', 'node.platform.arch == x86_64', 'node.role == manager'],
              preferences: [{ spread: 'node.labels.zone' }],
              max_replicas_per_node: 1,
            },
          },
        },
      }),
    );
    const pod = podSpec(find(r.objects, 'Deployment', 'a'));
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'disk', operator: 'In', values: ['ssd'] },
      { key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['bad'] },
      { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64'] },
    ]);
    expect(pod.topologySpreadConstraints[0]).toMatchObject({ topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway' });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(r.codes).toContain('placement.approximated');
    expect(entry(r.report, 'services.a.deploy.placement')[0]!.status).toBe('approximated');
  });
  test('B17: HPA from x-kubernetes targets the real kind, emits requests and takes replicas from the workload', () => {
    const r = lower(
      project({
        db: {
          image: 'x',
          deploy: { replicas: 2, resources: { limits: { cpus: 1 } } },
          'x-kubernetes': { controller: 'statefulset', autoscale: { max: 5, cpu: '70%', memory: '512Mi' } },
        },
      }),
    );
    const sts = find(r.objects, 'StatefulSet', 'db');
    expect(sts.spec.replicas).toBeUndefined();
    expect(mainContainer(sts).resources.requests).toEqual({ cpu: '1' });
    const hpa = find(r.objects, 'HorizontalPodAutoscaler', 'db');
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } },
      ],
    });
  });
  test('B17: kompose.hpa.* accepts percentages and quantities; a default request is emitted with a warning', () => {
    const r = lower(project({ a: { image: 'x', labels: { 'kompose.hpa.cpu': '50%', 'kompose.hpa.replicas.min': '2', 'kompose.hpa.replicas.max': '4' } } }));
    const hpa = find(r.objects, 'HorizontalPodAutoscaler', 'a');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([2, 4]);
    expect(hpa.spec.metrics[0].resource.target).toEqual({ type: 'Utilization', averageUtilization: 50 });
    expect(mainContainer(find(r.objects, 'Deployment', 'a')).resources.requests).toEqual({ cpu: '100m' });
    expect(r.codes).toContain('hpa.default-request');
    expect(r.codes).not.toContain('kompose.invalid-label');
  });
  test('a DaemonSet is not autoscaled', () => {
    const r = lower(project({ a: { image: 'x', deploy: { mode: 'global' }, 'x-kubernetes': { autoscale: { max: 3 } } } }));
    expect(r.objects.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(r.codes).toContain('hpa.not-scalable');
  });
  test('rollback_config is reported as ignored with the reason', () => {
    const r = lower(project({ a: { image: 'x', deploy: { rollback_config: { parallelism: 1 } } } }));
    expect(entry(r.report, 'services.a.deploy.rollback_config')[0]!.reason).toContain('rollout undo');
  });
});
