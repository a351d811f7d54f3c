import { describe, expect, test } from 'vitest';
import { entry, find, lower, podSpec, project } from './helpers.js';

const deps = (depends_on: Record<string, any>, extra: Record<string, any> = {}) =>
  project({
    web: { image: 'web', depends_on },
    db: { image: 'db', healthcheck: { test: ['CMD', 'pg_isready'] } },
    migrate: { image: 'm', restart: 'no' },
    cache: { image: 'redis' },
    ...extra,
  });

describe('ordering', () => {
  test('service_healthy -> an init container waiting for a ready endpoint of the dependency Service', () => {
    const r = lower(deps({ db: { condition: 'service_healthy', required: true } }));
    const init = podSpec(find(r.objects, 'Deployment', 'web')).initContainers;
    expect(init.map((c: any) => c.name)).toEqual(['wait-for-db']);
    expect(init[0].image).toBe('busybox:1.36');
    const script = init[0].command[2];
    expect(script).toContain('endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Ddb&pretty=false');
    expect(script).toContain(`'"ready":true'`);
    // The script's shell substitutions are protected from Kubernetes $(VAR) expansion.
    expect(script).toContain('$$(cat ');
    expect(entry(r.report, 'services.web.depends_on.db')[0]!.status).toBe('mapped');
  });
  test('service_completed_successfully on a Job -> waits for Complete, fails on Failed, with minimal RBAC', () => {
    const r = lower(deps({ migrate: { condition: 'service_completed_successfully', required: true } }), { namespace: 'shop' });
    const pod = podSpec(find(r.objects, 'Deployment', 'web'));
    const script = pod.initContainers[0].command[2];
    // compact JSON, which the patterns match: the API server indents its answer to Wget otherwise
    expect(script).toContain('/apis/batch/v1/namespaces/$POD_NAMESPACE/jobs/migrate?pretty=false"');
    expect(script).toContain('"type":"Failed","status":"True"');
    expect(pod.serviceAccountName).toBe('web');
    expect(find(r.objects, 'ServiceAccount', 'web')).toBeTruthy();
    expect(find(r.objects, 'Role', 'web-wait').rules).toEqual([{ apiGroups: ['batch'], resources: ['jobs'], resourceNames: ['migrate'], verbs: ['get'] }]);
    expect(find(r.objects, 'RoleBinding', 'web-wait').subjects).toEqual([{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }]);
    expect(r.codes).not.toContain('ordering.namespace-unknown');
  });
  test('a user-chosen ServiceAccount is bound instead of creating one', () => {
    const r = lower(deps({ db: { condition: 'service_healthy', required: true } }, { web: { image: 'w', depends_on: { db: { condition: 'service_healthy', required: true } }, 'x-kubernetes': { serviceAccountName: 'app' } } }));
    expect(r.objects.some((o) => o.kind === 'ServiceAccount')).toBe(false);
    expect(find(r.objects, 'RoleBinding', 'web-wait').subjects[0].name).toBe('app');
    expect(podSpec(find(r.objects, 'Deployment', 'web')).serviceAccountName).toBe('app');
  });
  test('service_started waits for nothing by default, and for DNS with waitForStarted', () => {
    const plain = lower(deps({ cache: { condition: 'service_started', required: true } }));
    expect(podSpec(find(plain.objects, 'Deployment', 'web')).initContainers).toBeUndefined();
    expect(entry(plain.report, 'services.web.depends_on.cache')[0]!.status).toBe('approximated');
    const waiting = lower(deps({ cache: { condition: 'service_started', required: true } }), { waitForStarted: true, helperImage: 'mirror/busybox:1' });
    const init = podSpec(find(waiting.objects, 'Deployment', 'web')).initContainers[0];
    expect(init.image).toBe('mirror/busybox:1');
    expect(init.command[2]).toContain('nslookup cache.$POD_NAMESPACE.svc.cluster.local');
    expect(waiting.objects.some((o) => o.kind === 'Role')).toBe(false);
  });
  test('waiting for a long-running service to complete is warned about, not emitted', () => {
    const r = lower(deps({ cache: { condition: 'service_completed_successfully', required: true } }));
    expect(r.codes).toContain('ordering.not-a-job');
    expect(podSpec(find(r.objects, 'Deployment', 'web')).initContainers).toBeUndefined();
  });
  test('waiting for health of a service without healthcheck warns', () => {
    const r = lower(deps({ cache: { condition: 'service_healthy', required: true } }));
    expect(r.codes).toContain('ordering.no-healthcheck');
  });
  test('wait containers come before pre_start init containers; dependencies in name order', () => {
    const r = lower(
      deps({ migrate: { condition: 'service_completed_successfully', required: true }, db: { condition: 'service_healthy', required: true } }, {
        web: {
          image: 'w',
          pre_start: [{ command: ['prep'] }],
          depends_on: { migrate: { condition: 'service_completed_successfully', required: true }, db: { condition: 'service_healthy', required: true } },
        },
      }),
    );
    expect(podSpec(find(r.objects, 'Deployment', 'web')).initContainers.map((c: any) => c.name)).toEqual(['wait-for-db', 'wait-for-migrate', 'pre-start-1']);
    expect(find(r.objects, 'Role', 'web-wait').rules).toHaveLength(2);
  });
  test('an optional dependency that is not in the project is fine', () => {
    const r = lower(project({ web: { image: 'w', depends_on: { gone: { condition: 'service_started', required: false } } } }));
    expect(r.diagnostics.errors).toHaveLength(0);
  });
});
