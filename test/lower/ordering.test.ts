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
  test('service_healthy -> an init container waiting until the headless <dep>-ready Service resolves; no token, no RBAC', () => {
    const r = lower(deps({ db: { condition: 'service_healthy', required: true } }));
    const init = podSpec(find(r.objects, 'Deployment', 'web')).initContainers;
    expect(init.map((c: any) => c.name)).toEqual(['wait-for-db']);
    expect(init[0].image).toBe('busybox:1.36');
    expect(init[0].command[2]).toBe("until nslookup db-ready.$POD_NAMESPACE.svc.cluster.local 2>/dev/null | grep -q '^Address: '; do echo 'waiting for db to be ready'; sleep 1; done");
    const ready = find(r.objects, 'Service', 'db-ready');
    expect(ready.spec).toEqual({ clusterIP: 'None', selector: find(r.objects, 'Service', 'db').spec.selector });
    expect(r.objects.filter((o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind))).toEqual([]);
    expect(podSpec(find(r.objects, 'Deployment', 'web')).serviceAccountName).toBeUndefined();
    expect(entry(r.report, 'services.web.depends_on.db')[0]!.status).toBe('mapped');
  });
  test('two dependents of one service share its <dep>-ready Service', () => {
    const healthy = { db: { condition: 'service_healthy', required: true } };
    const r = lower(deps(healthy, { api: { image: 'a', depends_on: healthy } }));
    expect(r.objects.filter((o) => o.kind === 'Service' && o.metadata.name === 'db-ready')).toHaveLength(1);
  });
  test('service_completed_successfully on a Job -> waits for Complete, fails on Failed, with minimal RBAC', () => {
    const r = lower(deps({ migrate: { condition: 'service_completed_successfully', required: true } }), { namespace: 'shop' });
    const pod = podSpec(find(r.objects, 'Deployment', 'web'));
    expect(pod.initContainers[0].image).toBe('registry.k8s.io/kubectl:v1.34.4');
    expect(pod.initContainers[0].command).toEqual(['kubectl', 'wait', '--for=condition=Complete', '--timeout=-1s', 'job/migrate']);
    expect(pod.serviceAccountName).toBe('web');
    expect(find(r.objects, 'ServiceAccount', 'web')).toBeTruthy();
    expect(find(r.objects, 'Role', 'web-wait').rules).toEqual([{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }]);
    // No namespace in the subject: a RoleBinding's ServiceAccount subject is then in the binding's namespace,
    // so the stream works wherever it is applied.
    expect(find(r.objects, 'RoleBinding', 'web-wait').subjects).toEqual([{ kind: 'ServiceAccount', name: 'web' }]);
    expect(lower(deps({ migrate: { condition: 'service_completed_successfully', required: true } }), { kubectlImage: 'mirror/kubectl:1' }).objects.some((o: any) =>
      JSON.stringify(o).includes('mirror/kubectl:1'))).toBe(true);
  });
  test('a user-chosen ServiceAccount is bound instead of creating one', () => {
    const done = { migrate: { condition: 'service_completed_successfully', required: true } };
    const r = lower(deps(done, { web: { image: 'w', depends_on: done, 'x-kubernetes': { serviceAccountName: 'app' } } }));
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
    expect(init.command[2]).toContain('nslookup cache-started.$POD_NAMESPACE.svc.cluster.local');
    expect(find(waiting.objects, 'Service', 'cache-started').spec.publishNotReadyAddresses).toBe(true);
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
    expect(find(r.objects, 'Role', 'web-wait').rules).toHaveLength(1);
  });
  test('an optional dependency that is not in the project is fine', () => {
    const r = lower(project({ web: { image: 'w', depends_on: { gone: { condition: 'service_started', required: false } } } }));
    expect(r.diagnostics.errors).toHaveLength(0);
  });
});
