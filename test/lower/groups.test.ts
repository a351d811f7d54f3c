// Service groups (kompose.service.group, service group modes label/volume/none): one pod and one workload per
// group, every container keeping its own settings (B22), conflicts between members as errors or documented rules.
import { describe, expect, test } from 'vitest';
import type { Port, Service, ServiceVolume } from '../../src/model/project.js';
import { validateObjects } from '../../src/lower/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { entry, find, lower, memFiles, podSpec, project } from './helpers.js';

const port = (target: number, extra: Partial<Port> = {}): Port => ({ target, protocol: 'tcp', mode: 'ingress', ...extra });
const vol = (v: Partial<ServiceVolume> & { target: string }): ServiceVolume => ({ type: 'volume', ...v });
const grouped = (group: string, s: Service): Service => ({ ...s, labels: { ...s.labels, 'kompose.service.group': group } });
const workloads = (objects: { kind: string; metadata: { name: string } }[]) =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`);
const diag = (r: { diagnostics: Diagnostics }, code: string) => r.diagnostics.items.filter((d) => d.code === code);

describe('service groups: one pod, per-container settings (B22)', () => {
  const p = project({
    web: grouped('frontend', {
      image: 'nginx:1',
      ports: [port(80, { published: '8080' })],
      read_only: true,
      pull_policy: 'always',
      healthcheck: { test: ['CMD', 'wget', '-qO-', 'http://localhost/'] },
      deploy: { resources: { limits: { cpus: 0.5, memory: 268435456 } } },
      environment: { MODE: 'web' },
      volumes: [vol({ source: 'static', target: '/html', read_only: true }), vol({ target: '/cache' })],
    }),
    api: grouped('frontend', {
      image: 'api:2',
      entrypoint: ['/bin/api'],
      command: ['serve', '$HOME'],
      expose: ['3000'],
      pull_policy: 'never',
      user: '1000',
      deploy: { resources: { limits: { cpus: 1 }, reservations: { memory: 134217728 } } },
      environment: { MODE: 'api' },
      volumes: [vol({ source: 'static', target: '/srv/static' }), vol({ target: '/cache' })],
      depends_on: { db: { condition: 'service_healthy', required: true }, web: { condition: 'service_healthy', required: true } },
    }),
    db: { image: 'postgres', healthcheck: { test: ['CMD', 'pg_isready'] } },
  }, { volumes: { static: {} } });
  const r = lower(p, { namespace: 'shop' });
  const pod = podSpec(find(r.objects, 'Deployment', 'frontend'));
  const container = (name: string) => pod.containers.find((c: any) => c.name === name);

  test('one workload named after the group, a container per member (name order)', () => {
    expect(workloads(r.objects)).toEqual(['Deployment/db', 'Deployment/frontend']);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['api', 'web']);
    expect(r.diagnostics.errors).toEqual([]);
  });

  test('each container keeps its own image, command, env, probe, ports, resources, pull policy and securityContext', () => {
    const api = container('api');
    const web = container('web');
    expect([api.image, web.image]).toEqual(['api:2', 'nginx:1']);
    expect(api.command).toEqual(['/bin/api']);
    expect(api.args).toEqual(['serve', '$HOME']);
    expect(web.args).toBeUndefined();
    expect(api.env).toEqual([{ name: 'MODE', value: 'api' }]);
    expect(web.env).toEqual([{ name: 'MODE', value: 'web' }]);
    expect(web.readinessProbe.exec.command).toEqual(['wget', '-qO-', 'http://localhost/']);
    expect(api.readinessProbe).toBeUndefined();
    expect(api.ports.map((x: any) => x.containerPort)).toEqual([3000]);
    expect(web.ports.map((x: any) => x.containerPort)).toEqual([80]);
    expect(api.resources).toEqual({ limits: { cpu: '1' }, requests: { memory: '128Mi' } });
    expect(web.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' } });
    expect([api.imagePullPolicy, web.imagePullPolicy]).toEqual(['Never', 'Always']);
    expect(web.securityContext).toEqual({ readOnlyRootFilesystem: true });
    expect(api.securityContext).toEqual({ runAsUser: 1000 });
  });

  test('each member keeps a Service under its Compose name, selecting the group pod', () => {
    const selector = find(r.objects, 'Deployment', 'frontend').spec.selector.matchLabels;
    for (const [name, ports] of [['web', [80]], ['api', [3000]]] as const) {
      const svc = find(r.objects, 'Service', name);
      expect(svc.spec.selector).toEqual(selector);
      expect(svc.spec.ports.map((x: any) => x.port)).toEqual(ports);
    }
    expect(podSpec(find(r.objects, 'Deployment', 'frontend')).containers).toHaveLength(2);
    expect(find(r.objects, 'Deployment', 'frontend').spec.template.metadata.labels).toMatchObject(selector);
  });

  test('a named volume of one pod is one ReadWriteOnce claim, mounted once; private anonymous volumes are renamed', () => {
    expect(find(r.objects, 'PersistentVolumeClaim', 'static').spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(r.codes).not.toContain('storage.shared-volume');
    expect(pod.volumes.map((v: any) => v.name)).toEqual(['static', 'anon-2', 'web-anon-2']);
    expect(container('api').volumeMounts).toEqual([{ name: 'static', mountPath: '/srv/static' }, { name: 'anon-2', mountPath: '/cache' }]);
    expect(container('web').volumeMounts).toEqual([{ name: 'static', mountPath: '/html', readOnly: true }, { name: 'web-anon-2', mountPath: '/cache' }]);
    // RWO claim: the pod's workload is recreated, not rolled.
    expect(find(r.objects, 'Deployment', 'frontend').spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('a dependency outside the group is waited for (RBAC for the pod); one inside cannot be, and says so', () => {
    expect(pod.initContainers.map((c: any) => c.name)).toEqual(['wait-for-db']);
    expect(pod.serviceAccountName).toBe('frontend');
    expect(find(r.objects, 'RoleBinding', 'frontend-wait').subjects).toEqual([{ kind: 'ServiceAccount', name: 'frontend', namespace: 'shop' }]);
    expect(r.objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['frontend']);
    expect(diag(r, 'group.depends-on').map((d) => d.path)).toEqual(['services.api.depends_on.web']);
    expect(entry(r.report, 'services.api.depends_on.web')).toEqual([
      expect.objectContaining({ status: 'approximated', to: 'Deployment/frontend container api (same pod as web)' }),
    ]);
  });

  test('the report names the group workload and the container; the label is accounted for', () => {
    expect(entry(r.report, 'services.api.pull_policy')[0]).toMatchObject({ status: 'mapped', to: 'Deployment/frontend container api imagePullPolicy' });
    expect(entry(r.report, 'services.web.labels.kompose.service.group')).toEqual([
      { path: 'services.web.labels.kompose.service.group', status: 'mapped', to: 'workload frontend: one pod with containers api, web' },
    ]);
    expect(r.codes).not.toContain('lower.ignored');
    expect(r.codes).not.toContain('settings.service-group');
  });

  test('every object validates and the output is deterministic', async () => {
    expect(await validateObjects(r.objects, new Diagnostics())).toBe(0);
    expect(JSON.stringify(lower(p, { namespace: 'shop' }).objects)).toBe(JSON.stringify(r.objects));
  });
});

describe('service groups: pod-level rules', () => {
  test('different restart policies (workload kinds) are an error at the restart key', () => {
    const r = lower(project({ a: grouped('g', { image: 'a' }), b: grouped('g', { image: 'b', restart: 'no' }) }));
    const [err] = diag(r, 'group.conflict');
    expect(err).toMatchObject({ severity: 'error', path: 'services.b.restart' });
    expect(err!.message).toContain('workload kind differs');
    expect(err!.message).toContain('a: Deployment; b: Job');
  });

  test('Jobs with different retry limits are an error; equal one-shot services make one Job', () => {
    const bad = lower(project({ a: grouped('g', { image: 'a', restart: 'no' }), b: grouped('g', { image: 'b', restart: 'on-failure:3' }) }));
    expect(diag(bad, 'group.conflict')[0]!.message).toContain('job settings differ');
    const ok = lower(project({ a: grouped('g', { image: 'a', restart: 'no' }), b: grouped('g', { image: 'b', restart: 'no' }) }));
    expect(workloads(ok.objects)).toEqual(['Job/g']);
    expect(podSpec(find(ok.objects, 'Job', 'g')).restartPolicy).toBe('Never');
  });

  test('replicas: members that set them must agree; one member setting them scales the pod', () => {
    const bad = lower(project({ a: grouped('g', { image: 'a', deploy: { replicas: 2 } }), b: grouped('g', { image: 'b', scale: 3 }) }));
    expect(diag(bad, 'group.conflict')[0]).toMatchObject({ path: 'services.b.scale' });
    const one = lower(project({ a: grouped('g', { image: 'a', deploy: { replicas: 2 } }), b: grouped('g', { image: 'b' }) }));
    expect(find(one.objects, 'Deployment', 'g').spec.replicas).toBe(2);
    expect(one.diagnostics.errors).toEqual([]);
  });

  test('nodeSelector keys merge; one key with two values is an error', () => {
    const ok = lower(project({
      a: grouped('g', { image: 'a', platform: 'linux/amd64' }),
      b: grouped('g', { image: 'b', 'x-kubernetes': { nodeSelector: { pool: 'fast' } } }),
    }));
    expect(podSpec(find(ok.objects, 'Deployment', 'g')).nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', pool: 'fast' });
    const bad = lower(project({ a: grouped('g', { image: 'a', platform: 'linux/amd64' }), b: grouped('g', { image: 'b', platform: 'linux/arm64' }) }));
    expect(diag(bad, 'group.conflict')[0]).toMatchObject({ path: 'services.b.platform' });
  });

  test('two containers on one port are an error (they share the pod network)', () => {
    const r = lower(project({ a: grouped('g', { image: 'a', expose: ['80'] }), b: grouped('g', { image: 'b', ports: [port(80)] }) }));
    expect(diag(r, 'group.port-conflict')).toEqual([expect.objectContaining({ severity: 'error', path: 'services.b.ports' })]);
    const udp = lower(project({ a: grouped('g', { image: 'a', expose: ['53'] }), b: grouped('g', { image: 'b', ports: [port(53, { protocol: 'udp' })] }) }));
    expect(udp.diagnostics.errors).toEqual([]);
  });

  test('hostname: the first member (name order) wins with a warning; the loser is reported approximated', () => {
    const r = lower(project({ b: grouped('g', { image: 'b', hostname: 'bee' }), a: grouped('g', { image: 'a', hostname: 'ay' }) }));
    expect(podSpec(find(r.objects, 'Deployment', 'g')).hostname).toBe('ay');
    expect(diag(r, 'group.hostname')).toEqual([expect.objectContaining({ severity: 'warning', path: 'services.b.hostname' })]);
    expect(entry(r.report, 'services.b.hostname')[0]).toMatchObject({ status: 'approximated' });
    expect(entry(r.report, 'services.a.hostname')[0]).toMatchObject({ status: 'mapped' });
  });

  test('host namespaces and pod securityContext of one member apply pod-wide with a warning; lists merge; grace period is the longest', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a', network_mode: 'host', stop_grace_period: '30s', extra_hosts: { db: ['10.0.0.1'] }, sysctls: { 'net.ipv4.tcp_syncookies': '1' } }),
      b: grouped('g', { image: 'b', stop_grace_period: '1m30s', extra_hosts: { cache: ['10.0.0.1'] }, group_add: ['2000'], 'x-kubernetes': { tolerations: [{ key: 'k', operator: 'Exists' }] } }),
    }));
    const pod = podSpec(find(r.objects, 'Deployment', 'g'));
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.terminationGracePeriodSeconds).toBe(90);
    expect(pod.hostAliases).toEqual([{ ip: '10.0.0.1', hostnames: ['cache', 'db'] }]);
    expect(pod.tolerations).toEqual([{ key: 'k', operator: 'Exists' }]);
    expect(pod.securityContext).toEqual({ supplementalGroups: [2000], sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] });
    expect(diag(r, 'group.pod-wide').map((d) => d.message.split(': ')[1])).toEqual([
      'pod hostNetwork of a applies to every container of the pod, also to b',
      'pod securityContext.supplementalGroups of b applies to every container of the pod, also to a',
      'pod securityContext.sysctls of a applies to every container of the pod, also to b',
    ]);
    expect(r.diagnostics.errors).toEqual([]);
  });

  test('dns servers of the members add up; more than a pod may have (3) is an error', () => {
    const ok = lower(project({ a: grouped('g', { image: 'a', dns: ['1.1.1.1'] }), b: grouped('g', { image: 'b', dns: ['1.1.1.1', '8.8.8.8'], dns_search: ['x.local'] }) }));
    expect(podSpec(find(ok.objects, 'Deployment', 'g')).dnsConfig).toEqual({ nameservers: ['1.1.1.1', '8.8.8.8'], searches: ['x.local'] });
    const bad = lower(project({ a: grouped('g', { image: 'a', dns: ['1.1.1.1', '1.0.0.1'] }), b: grouped('g', { image: 'b', dns: ['8.8.8.8', '8.8.4.4'] }) }));
    expect(diag(bad, 'group.conflict')).toEqual([expect.objectContaining({ path: 'services.b.dns' })]);
  });

  test('pod annotations with one key and two values: the first member wins with a warning', () => {
    const r = lower(project({ a: grouped('g', { image: 'a', labels: { team: 'x' } }), b: grouped('g', { image: 'b', labels: { team: 'y' }, annotations: { extra: '1' } }) }));
    expect(find(r.objects, 'Deployment', 'g').spec.template.metadata.annotations).toEqual({ team: 'x', extra: '1' });
    expect(diag(r, 'group.metadata-conflict')).toHaveLength(1);
  });

  test('init containers: identical waits run once, different ones with one name are renamed per member', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a', depends_on: { db: { condition: 'service_healthy', required: true } }, pre_start: [{ command: ['a-init'] }] }),
      b: grouped('g', { image: 'b', depends_on: { db: { condition: 'service_healthy', required: true } }, pre_start: [{ command: ['b-init'] }] }),
      db: { image: 'db', healthcheck: { test: ['CMD', 'true'] } },
    }));
    const init = podSpec(find(r.objects, 'Deployment', 'g')).initContainers;
    expect(init.map((c: any) => c.name)).toEqual(['wait-for-db', 'pre-start-1', 'b-pre-start-1']);
    expect(init[2].command).toEqual(['b-init']);
  });

  test('a Recreate strategy of one member replaces another member\'s update_config, with a warning', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a', volumes: [vol({ source: 'data', target: '/d' })] }),
      b: grouped('g', { image: 'b', deploy: { update_config: { order: 'start-first' } } }),
    }, { volumes: { data: {} } }));
    expect(find(r.objects, 'Deployment', 'g').spec.strategy).toEqual({ type: 'Recreate' });
    expect(diag(r, 'group.recreate')).toEqual([expect.objectContaining({ path: 'services.b.deploy.update_config' })]);
  });

  test('autoscaling: one HPA targeting the group workload, requests on every container; two autoscaled members are an error', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a', deploy: { replicas: 2, resources: { limits: { cpus: 0.5 } } }, 'x-kubernetes': { autoscale: { max: 5 } } }),
      b: grouped('g', { image: 'b' }),
    }));
    const hpa = find(r.objects, 'HorizontalPodAutoscaler', 'g');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'g' });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(find(r.objects, 'Deployment', 'g').spec.replicas).toBeUndefined();
    const pod = podSpec(find(r.objects, 'Deployment', 'g'));
    expect(pod.containers.map((c: any) => c.resources.requests.cpu)).toEqual(['500m', '100m']);
    expect(diag(r, 'hpa.default-request')).toHaveLength(1);
    const two = lower(project({ a: grouped('g', { image: 'a', 'x-kubernetes': { autoscale: { max: 5 } } }), b: grouped('g', { image: 'b', 'x-kubernetes': { autoscale: { max: 3 } } }) }));
    expect(diag(two, 'group.conflict')).toEqual([expect.objectContaining({ path: 'services.b.x-kubernetes.autoscale' })]);
    expect(two.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toHaveLength(1);
  });

  test('a StatefulSet group: one governing headless Service, the shared volume as one claim template', () => {
    const r = lower(project({
      a: grouped('db', { image: 'a', 'x-kubernetes': { controller: 'statefulset' }, volumes: [vol({ source: 'data', target: '/a' })], expose: ['5432'] }),
      b: grouped('db', { image: 'b', 'x-kubernetes': { controller: 'statefulset' }, volumes: [vol({ source: 'data', target: '/b', read_only: true })] }),
    }, { volumes: { data: {} } }));
    const sts = find(r.objects, 'StatefulSet', 'db');
    expect(sts.spec.serviceName).toBe('db-headless');
    expect(sts.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data']);
    expect(r.objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(find(r.objects, 'Service', 'db-headless').spec).toEqual({ clusterIP: 'None', selector: sts.spec.selector.matchLabels });
    expect(r.objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name).sort()).toEqual(['a', 'b', 'db-headless']);
    expect(r.diagnostics.errors).toEqual([]);
  });

  test('network_mode, ipc and pid service:X inside the group are what one pod does', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a' }),
      b: grouped('g', { image: 'b', network_mode: 'service:a', ipc: 'service:a', pid: 'service:a' }),
    }));
    expect(r.codes).not.toContain('network.shared-namespace');
    expect(entry(r.report, 'services.b.network_mode')[0]).toMatchObject({ status: 'mapped' });
    expect(entry(r.report, 'services.b.ipc')[0]).toMatchObject({ status: 'mapped' });
    expect(podSpec(find(r.objects, 'Deployment', 'g')).shareProcessNamespace).toBe(true);
  });

  test('volumes_from a member shares its anonymous volume inside the pod', () => {
    const r = lower(project({ a: grouped('g', { image: 'a', volumes: [vol({ target: '/data' })] }), b: grouped('g', { image: 'b', volumes_from: ['a'] }) }));
    const pod = podSpec(find(r.objects, 'Deployment', 'g'));
    expect(pod.volumes).toEqual([{ name: 'anon-1', emptyDir: {} }]);
    expect(pod.containers.map((c: any) => c.volumeMounts)).toEqual([[{ name: 'anon-1', mountPath: '/data' }], [{ name: 'anon-1', mountPath: '/data' }]]);
    expect(r.codes).not.toContain('storage.volumes-from-anonymous');
    expect(r.codes).not.toContain('storage.volumes-from');
  });

  test('a member\'s x-kubernetes patch without a name targets the group workload', () => {
    const r = lower(project({
      a: grouped('g', { image: 'a', 'x-kubernetes': { patches: [{ target: { kind: 'Deployment' }, patch: [{ op: 'add', path: '/spec/revisionHistoryLimit', value: 2 }] }] } }),
      b: grouped('g', { image: 'b' }),
    }));
    expect(find(r.objects, 'Deployment', 'g').spec.revisionHistoryLimit).toBe(2);
    expect(r.codes).not.toContain('patch.no-target');
  });

  test('a dependent outside the group waits for the group Job by its workload name', () => {
    const r = lower(project({
      a: grouped('setup', { image: 'a', restart: 'no' }),
      b: grouped('setup', { image: 'b', restart: 'no' }),
      web: { image: 'w', depends_on: { a: { condition: 'service_completed_successfully', required: true } } },
    }));
    expect(podSpec(find(r.objects, 'Deployment', 'web')).initContainers[0].command[2]).toContain('/jobs/setup?pretty=false"');
    expect(find(r.objects, 'Role', 'web-wait').rules[0].resourceNames).toEqual(['setup']);
  });
});

describe('service groups: names and modes', () => {
  test('the workload name is the group value made RFC 1123; a clash with another service\'s workload is an error', () => {
    const r = lower(project({ a: grouped('My_Group', { image: 'a' }), b: grouped('My_Group', { image: 'b' }) }));
    expect(workloads(r.objects)).toEqual(['Deployment/my-group']);
    const clash = lower(project({ a: grouped('web', { image: 'a' }), b: grouped('web', { image: 'b' }), web: { image: 'w' } }));
    expect(diag(clash, 'group.name-collision')).toEqual([expect.objectContaining({ severity: 'error', path: 'services.a.labels.kompose.service.group' })]);
    // A member may give the group its own name.
    const own = lower(project({ web: grouped('web', { image: 'w', expose: ['80'] }), sidecar: grouped('web', { image: 's' }) }));
    expect(own.diagnostics.errors).toEqual([]);
    expect(workloads(own.objects)).toEqual(['Deployment/web']);
    expect(find(own.objects, 'Service', 'web').spec.selector['app.kubernetes.io/component']).toBe('web');
  });

  test('an empty group value is an invalid label', () => {
    const r = lower(project({ a: grouped('', { image: 'a' }) }));
    expect(diag(r, 'kompose.invalid-label')).toHaveLength(1);
  });

  test('volume mode: services sharing a writable volume share a pod; read-only sharing does not group', () => {
    const files = memFiles({});
    const r = lower(project({
      app: { image: 'app', volumes: [vol({ source: 'data', target: '/data' }), vol({ type: 'bind', source: '/etc/tz', target: '/etc/tz', read_only: true })] },
      worker: { image: 'worker', volumes: [vol({ source: 'data', target: '/work', read_only: true })] },
      other: { image: 'other', volumes: [vol({ type: 'bind', source: '/etc/tz', target: '/etc/tz', read_only: true })], labels: { 'kompose.service.group': 'x' } },
    }, { volumes: { data: {} } }), { serviceGroupMode: 'volume', files });
    expect(workloads(r.objects)).toEqual(['Deployment/app-worker', 'Deployment/other']);
    expect(find(r.objects, 'PersistentVolumeClaim', 'data').spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(diag(r, 'group.volume')).toEqual([expect.objectContaining({ severity: 'info', path: 'services.app.volumes' })]);
    // The label does not count in volume mode: ignored, and said so.
    expect(entry(r.report, 'services.other.labels.kompose.service.group')[0]).toMatchObject({ status: 'ignored' });
    expect(diag(r, 'lower.ignored').map((d) => d.path)).toContain('services.other.labels.kompose.service.group');
  });

  test('volume mode: a missing bind source shared by two members is ONE emptyDir in the pod', () => {
    const r = lower(project({
      a: { image: 'a', volumes: [vol({ type: 'bind', source: '/srv/x', target: '/x' })] },
      b: { image: 'b', volumes: [vol({ type: 'bind', source: '/srv/y', target: '/y' }), vol({ type: 'bind', source: '/srv/x', target: '/x' })] },
    }), { serviceGroupMode: 'volume', serviceGroupName: 'pair', files: { read: () => Buffer.alloc(0), stat: () => undefined } });
    const pod = podSpec(find(r.objects, 'Deployment', 'pair'));
    expect(pod.volumes).toEqual([{ name: 'bind-1', emptyDir: {} }, { name: 'b-bind-1', emptyDir: {} }]);
    expect(pod.containers.map((c: any) => c.volumeMounts.map((m: any) => `${m.name}:${m.mountPath}`))).toEqual([['bind-1:/x'], ['b-bind-1:/y', 'bind-1:/x']]);
  });

  test('volume mode: --service-group-name names one group; with several it is an error, with none a warning', () => {
    const two = project({
      a: { image: 'a', volumes: [vol({ source: 'v1', target: '/1' })] },
      b: { image: 'b', volumes: [vol({ source: 'v1', target: '/1' })] },
      c: { image: 'c', volumes: [vol({ source: 'v2', target: '/2' })] },
      d: { image: 'd', volumes: [vol({ source: 'v2', target: '/2' })] },
    }, { volumes: { v1: {}, v2: {} } });
    expect(workloads(lower(two, { serviceGroupMode: 'volume' }).objects)).toEqual(['Deployment/a-b', 'Deployment/c-d']);
    expect(diag(lower(two, { serviceGroupMode: 'volume', serviceGroupName: 'x' }), 'group.name-ambiguous')).toHaveLength(1);
    const none = lower(project({ a: { image: 'a' } }), { serviceGroupMode: 'volume', serviceGroupName: 'x' });
    expect(diag(none, 'group.name-unused')).toHaveLength(1);
    expect(diag(lower(project({ a: { image: 'a' } }), { serviceGroupName: 'x' }), 'group.name-unused')).toHaveLength(1);
  });

  test('mode none: labels are reported as ignored and every service keeps its pod', () => {
    const r = lower(project({ a: grouped('g', { image: 'a' }), b: grouped('g', { image: 'b' }) }), { serviceGroupMode: 'none' });
    expect(workloads(r.objects)).toEqual(['Deployment/a', 'Deployment/b']);
    expect(entry(r.report, 'services.a.labels.kompose.service.group')[0]).toMatchObject({ status: 'ignored' });
  });

  test('without groups, the output is what it was (labels unrelated to groups change nothing)', () => {
    const plain = project({ a: { image: 'a', volumes: [vol({ source: 'v', target: '/v' })] }, b: { image: 'b', volumes: [vol({ source: 'v', target: '/v' })] } }, { volumes: { v: {} } });
    expect(workloads(lower(plain).objects)).toEqual(['Deployment/a', 'Deployment/b']);
    expect(find(lower(plain).objects, 'PersistentVolumeClaim', 'v').spec.accessModes).toEqual(['ReadWriteMany']);
  });
});
