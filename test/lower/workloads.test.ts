import { describe, expect, test } from 'vitest';
import { find, lower, podSpec, project } from './helpers.js';

describe('workloads', () => {
  test('a long-running service is a Deployment without restartPolicy', () => {
    const r = lower(project({ web: { image: 'nginx', restart: 'always' } }));
    const d = find(r.objects, 'Deployment', 'web');
    expect(podSpec(d).restartPolicy).toBeUndefined();
    // Its name resolves in the cluster (B9): a headless Service even without ports.
    expect(r.objects.map((o) => o.kind)).toEqual(['Service', 'Deployment']);
  });
  test('B10: restart "no" is a Job with one attempt, never a bare Pod', () => {
    const r = lower(project({ seed: { image: 'x', restart: 'no' } }));
    const job = find(r.objects, 'Job', 'seed');
    expect(job.spec.backoffLimit).toBe(0);
    expect(podSpec(job).restartPolicy).toBe('Never');
    expect(r.objects.some((o) => o.kind === 'Pod')).toBe(false);
  });
  test('B10: on-failure:3 is a Job with backoffLimit 3 and OnFailure', () => {
    const r = lower(project({ m: { image: 'x', restart: 'on-failure:3' } }));
    const job = find(r.objects, 'Job', 'm');
    expect(job.spec.backoffLimit).toBe(3);
    expect(podSpec(job).restartPolicy).toBe('OnFailure');
  });
  test('unbounded on-failure keeps the Kubernetes default and says so', () => {
    const r = lower(project({ m: { image: 'x', restart: 'on-failure' } }));
    expect(find(r.objects, 'Job', 'm').spec.backoffLimit).toBeUndefined();
    expect(r.report.find((e) => e.path === 'services.m.restart')!.status).toBe('approximated');
  });
  test('B10: deploy.restart_policy.condition none is a Job (Kompose made an invalid Deployment)', () => {
    const r = lower(project({ m: { image: 'x', deploy: { restart_policy: { condition: 'none' } } } }));
    expect(podSpec(find(r.objects, 'Job', 'm')).restartPolicy).toBe('Never');
  });
  test('restart_policy on-failure with max_attempts sets backoffLimit and overrides restart', () => {
    const r = lower(project({ m: { image: 'x', restart: 'always', deploy: { restart_policy: { condition: 'on-failure', max_attempts: 5 } } } }));
    expect(find(r.objects, 'Job', 'm').spec.backoffLimit).toBe(5);
    expect(r.report.find((e) => e.path === 'services.m.restart')!.status).toBe('approximated');
  });
  test('B10: the controller option does not turn one-shot services into Deployments', () => {
    const r = lower(project({ m: { image: 'x', restart: 'no' }, web: { image: 'y' } }), { controller: 'statefulset' });
    expect(find(r.objects, 'Job', 'm')).toBeTruthy();
    const sts = find(r.objects, 'StatefulSet', 'web');
    expect(sts.spec.serviceName).toBe('web-headless');
    expect(r.codes).not.toContain('workload.controller-ignored');
  });
  test('deploy.mode global is a DaemonSet; replicas are reported as ignored', () => {
    const r = lower(project({ agent: { image: 'x', deploy: { mode: 'global', replicas: 3 } } }));
    const ds = find(r.objects, 'DaemonSet', 'agent');
    expect(ds.spec.replicas).toBeUndefined();
    expect(r.report.find((e) => e.path === 'services.agent.deploy.replicas')!.status).toBe('ignored');
  });
  test('a global service with --controller deployment warns that the option does not apply', () => {
    const r = lower(project({ agent: { image: 'x', deploy: { mode: 'global' } } }), { controller: 'deployment' });
    expect(r.codes).toContain('workload.controller-ignored');
  });
  test('x-kubernetes cron is a CronJob', () => {
    const r = lower(project({ backup: { image: 'x', restart: 'no', 'x-kubernetes': { cron: { schedule: '0 3 * * *', concurrencyPolicy: 'Forbid' } } } }));
    const cj = find(r.objects, 'CronJob', 'backup');
    expect(cj.spec.schedule).toBe('0 3 * * *');
    expect(cj.spec.concurrencyPolicy).toBe('Forbid');
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBe(0);
    expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  });
  test('kompose.cronjob.* labels give a CronJob for one-shot services', () => {
    const r = lower(
      project({
        b: { image: 'x', restart: 'on-failure', labels: { 'kompose.cronjob.schedule': '*/5 * * * *', 'kompose.cronjob.concurrency_policy': 'replace', 'kompose.cronjob.backoff_limit': '2' } },
      }),
    );
    const cj = find(r.objects, 'CronJob', 'b');
    expect(cj.spec.concurrencyPolicy).toBe('Replace');
    expect(cj.spec.jobTemplate.spec.backoffLimit).toBe(2);
  });
  test('kompose cron label on an always-restarting service is ignored with a warning, not silently', () => {
    const r = lower(project({ b: { image: 'x', labels: { 'kompose.cronjob.schedule': '* * * * *' } } }));
    expect(find(r.objects, 'Deployment', 'b')).toBeTruthy();
    expect(r.codes).toContain('workload.cron-ignored');
  });
  test('B18: kompose.controller.type is case-insensitive and the same code path as the option', () => {
    const viaLabel = lower(project({ db: { image: 'x', labels: { 'kompose.controller.type': 'StatefulSet' } } }));
    const viaOption = lower(project({ db: { image: 'x' } }), { controller: 'statefulset' });
    expect(find(viaLabel.objects, 'StatefulSet', 'db').spec).toEqual(find(viaOption.objects, 'StatefulSet', 'db').spec);
  });
  test('an explicit Deployment for a one-shot service restarts Always, with a warning (never restartPolicy Never)', () => {
    const r = lower(project({ m: { image: 'x', restart: 'no', 'x-kubernetes': { controller: 'deployment' } } }));
    expect(podSpec(find(r.objects, 'Deployment', 'm')).restartPolicy).toBeUndefined();
    expect(r.codes).toContain('workload.restart-overridden');
  });
  test('controller cronjob without a schedule is an error and falls back to a Job', () => {
    const r = lower(project({ m: { image: 'x', 'x-kubernetes': { controller: 'cronjob' } } }));
    expect(r.codes).toContain('workload.cron-schedule-missing');
    expect(find(r.objects, 'Job', 'm')).toBeTruthy();
  });
  test('replicas of a one-shot service become parallelism and completions', () => {
    const r = lower(project({ w: { image: 'x', restart: 'no', deploy: { replicas: 3 } } }));
    const job = find(r.objects, 'Job', 'w');
    expect([job.spec.parallelism, job.spec.completions]).toEqual([3, 3]);
  });
  test('StatefulSet carries volumeClaimTemplates contributed by a later pass', async () => {
    const { lowerProject, PASSES } = await import('../../src/lower/pipeline.js');
    const { Diagnostics } = await import('../../src/model/diagnostics.js');
    const storage = {
      name: 'test-storage',
      run(ctx: any) {
        const u = ctx.units.get('db');
        u.volumeClaimTemplates.push({ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
      },
    };
    const r = lowerProject(project({ db: { image: 'x', 'x-kubernetes': { controller: 'statefulset' } } }), {}, new Diagnostics(), [...PASSES, storage]);
    expect(find(r.objects, 'StatefulSet', 'db').spec.volumeClaimTemplates[0].metadata.name).toBe('data');
  });
});
