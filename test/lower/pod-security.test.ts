// The pod-security pass: the securityContext a level completes, every rule of the table (one case each, checked
// for the error at its Compose key, the level met as written, warn mode and --strict), the Namespace labels, the
// image-user notes, and `none` leaving the output as it was.
import { describe, expect, it } from 'vitest';
import { RULES } from '../../src/lower/pod-security.js';
import { toYamlStream } from '../../src/emit/index.js';
import type { LowerOptions } from '../../src/lower/options.js';
import type { Project, Service } from '../../src/model/project.js';
import { KITCHEN_SINK } from './kitchen-sink.js';
import { find, lower, memFiles, podSpec, project } from './helpers.js';

const RESTRICTED = { podSecurity: 'restricted' } as const;
const violations = (r: ReturnType<typeof lower>) => r.diagnostics.items.filter((d) => d.code === 'pod-security.violation');
const summary = (r: ReturnType<typeof lower>, service: string) => r.podSecurity.find((s) => s.service === service)!;
const containers = (workload: unknown) => {
  const spec = podSpec(workload);
  return [...(spec.initContainers ?? []), ...spec.containers] as { name: string; securityContext?: Record<string, unknown> }[];
};

describe('restricted: the securityContext it completes', () => {
  it('every container of the pod, the init containers compose2k8s adds included, gets the required fields', () => {
    const r = lower(
      project({
        web: {
          image: 'web:1',
          user: '1000:1000',
          depends_on: { db: { condition: 'service_healthy', required: true }, migrate: { condition: 'service_completed_successfully', required: true } },
          pre_start: [{ command: ['prepare'] }],
          labels: { 'kompose.init.containers.name': 'init', 'kompose.init.containers.image': 'busybox:1' },
        },
        db: { image: 'db:1', healthcheck: { test: ['CMD', 'true'] } },
        migrate: { image: 'm:1', restart: 'no' },
      }),
      RESTRICTED,
    );
    expect(r.diagnostics.errors).toEqual([]);
    const all = containers(find(r.objects, 'Deployment', 'web'));
    expect(all.map((c) => c.name)).toEqual(['wait-for-db', 'wait-for-migrate', 'pre-start-1', 'init', 'web']);
    for (const c of all) {
      expect(c.securityContext, c.name).toMatchObject({ allowPrivilegeEscalation: false, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, capabilities: { drop: ['ALL'] } });
    }
    expect(all.at(-1)!.securityContext).toMatchObject({ runAsUser: 1000, runAsGroup: 1000 });
    expect(summary(r, 'web')).toMatchObject({ level: 'restricted', meets: 'restricted', levelFrom: '--pod-security restricted' });
  });

  it('cap_add NET_BIND_SERVICE is kept with drop ALL; other cap_drop entries become ALL', () => {
    const r = lower(project({ web: { image: 'web:1', user: '101', cap_add: ['CAP_NET_BIND_SERVICE'], cap_drop: ['NET_RAW'] } }), RESTRICTED);
    expect(r.diagnostics.errors).toEqual([]);
    expect(containers(find(r.objects, 'Deployment', 'web'))[0]!.securityContext!.capabilities).toEqual({ add: ['NET_BIND_SERVICE'], drop: ['ALL'] });
  });

  it('explicit x-kubernetes settings that already comply are kept (pod-level seccomp and runAsNonRoot are not repeated per container)', () => {
    const r = lower(
      project({ web: { image: 'web:1', 'x-kubernetes': { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } } } }),
      RESTRICTED,
    );
    expect(r.diagnostics.errors).toEqual([]);
    const [c] = containers(find(r.objects, 'Deployment', 'web'));
    expect(c!.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  it('a user only the image knows: runAsNonRoot, and a note for the report (a user name gets its own note)', () => {
    const r = lower(project({ web: { image: 'nginx:1.27' }, db: { image: 'postgres:16', user: 'postgres' }, ok: { image: 'x:1', user: '10001' } }), RESTRICTED);
    expect(containers(find(r.objects, 'Deployment', 'web'))[0]!.securityContext!.runAsNonRoot).toBe(true);
    expect(summary(r, 'web').notes).toEqual([expect.stringContaining('image nginx:1.27: its user is unknown at convert time')]);
    expect(summary(r, 'db').notes).toEqual([expect.stringContaining('user "postgres" is a name')]);
    expect(summary(r, 'ok').notes).toEqual([]);
  });

  it('baseline completes nothing: it only forbids', () => {
    const p = project({ web: { image: 'web:1', user: '0', cap_add: ['CHOWN'] } });
    const r = lower(p, { podSecurity: 'baseline', namespace: 'ns' });
    expect(r.diagnostics.errors).toEqual([]);
    const none = lower(p, { namespace: 'ns' });
    expect(toYamlStream(r.objects.filter((o) => o.kind !== 'Namespace'))).toBe(toYamlStream(none.objects.filter((o) => o.kind !== 'Namespace')));
    expect(summary(r, 'web')).toMatchObject({ level: 'baseline', meets: 'baseline' });
  });
});

describe('none (the default) changes nothing', () => {
  it('the kitchen-sink project converts byte for byte as without the option, and no diagnostic is added', () => {
    const options: Partial<LowerOptions> = { namespace: 'shop', files: memFiles({}) };
    const before = lower(KITCHEN_SINK, options);
    const after = lower(KITCHEN_SINK, { ...options, podSecurity: 'none' });
    expect(toYamlStream(after.objects)).toBe(toYamlStream(before.objects));
    expect(after.diagnostics.items).toEqual(before.diagnostics.items);
    expect(after.namespaceLabels).toEqual({});
    // The summary is still there: the level each service meets as written.
    expect(after.podSecurity.map((s) => s.level)).toEqual(Object.keys(KITCHEN_SINK.services).sort().map(() => 'none'));
  });
});

/** One case per rule of the table: a service breaking it, where, and a service that does not. */
interface Case {
  check: string;
  service: Service;
  /** The Compose path the error is reported at. */
  path: string;
  options?: Partial<LowerOptions>;
  /** A restricted rule that replaces a baseline one, hit by what breaks baseline too (compose2k8s emits nothing else). */
  alsoBaseline?: true;
}

const CASES: Case[] = [
  { check: 'windowsHostProcess', service: { image: 'w:1', 'x-kubernetes': { containerSecurityContext: { windowsOptions: { hostProcess: true } } } }, path: 'services.s.x-kubernetes.containerSecurityContext.windowsOptions' },
  { check: 'hostNamespaces', service: { image: 'w:1', network_mode: 'host' }, path: 'services.s.network_mode' },
  { check: 'hostNamespaces', service: { image: 'w:1', pid: 'host' }, path: 'services.s.pid' },
  { check: 'hostNamespaces', service: { image: 'w:1', ipc: 'host' }, path: 'services.s.ipc' },
  { check: 'privileged', service: { image: 'w:1', privileged: true }, path: 'services.s.privileged' },
  { check: 'privileged', service: { image: 'w:1', pre_start: [{ command: ['x'], privileged: true }] }, path: 'services.s.pre_start[0].privileged' },
  { check: 'capabilities_baseline', service: { image: 'w:1', cap_add: ['CHOWN', 'SYS_ADMIN'] }, path: 'services.s.cap_add[1]' },
  { check: 'hostPathVolumes', service: { image: 'w:1', volumes: [{ type: 'bind', source: '/var/log', target: '/logs' }] }, path: 'services.s.volumes[0]', options: { allowHostPaths: true } },
  { check: 'hostPorts', service: { image: 'w:1', ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }], labels: { 'kompose.controller.port.expose': 'true' } }, path: 'services.s.labels.kompose.controller.port.expose' },
  { check: 'appArmorProfile', service: { image: 'w:1', security_opt: ['no-new-privileges', 'apparmor:unconfined'] }, path: 'services.s.security_opt[1]' },
  { check: 'appArmorProfile', service: { image: 'w:1', annotations: { 'container.apparmor.security.beta.kubernetes.io/s': 'unconfined' } }, path: 'services.s.annotations.container.apparmor.security.beta.kubernetes.io/s' },
  { check: 'seLinuxOptions', service: { image: 'w:1', security_opt: ['label:type:spc_t'] }, path: 'services.s.security_opt[0]' },
  { check: 'seLinuxOptions', service: { image: 'w:1', security_opt: ['label:disable'] }, path: 'services.s.security_opt[0]' },
  { check: 'procMount', service: { image: 'w:1', 'x-kubernetes': { containerSecurityContext: { procMount: 'Unmasked' } } }, path: 'services.s.x-kubernetes.containerSecurityContext.procMount' },
  { check: 'procMount', service: { image: 'w:1', security_opt: ['systempaths=unconfined'] }, path: 'services.s.security_opt[0]' },
  { check: 'seccompProfile_baseline', service: { image: 'w:1', security_opt: ['seccomp:unconfined'] }, path: 'services.s.security_opt[0]' },
  { check: 'sysctls', service: { image: 'w:1', sysctls: { 'net.ipv4.tcp_syncookies': '1', 'net.core.somaxconn': '1024' } }, path: 'services.s.sysctls.net.core.somaxconn' },
  {
    check: 'hostProbesAndHostLifecycle',
    service: { image: 'w:1', 'x-kubernetes': { probes: { readiness: { httpGet: { host: '10.0.0.1', path: '/', port: 80 } } } } },
    path: 'services.s.x-kubernetes.probes',
  },
  { check: 'devices', service: { image: 'w:1', devices: [{ source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' }] }, path: 'services.s.devices[0]' },
  { check: 'restrictedVolumes', service: { image: 'w:1', user: '1', volumes: [{ type: 'bind', source: '/var/log', target: '/logs' }] }, path: 'services.s.volumes[0]', options: { allowHostPaths: true }, alsoBaseline: true },
  { check: 'allowPrivilegeEscalation', service: { image: 'w:1', user: '1', 'x-kubernetes': { containerSecurityContext: { allowPrivilegeEscalation: true } } }, path: 'services.s.x-kubernetes.containerSecurityContext.allowPrivilegeEscalation' },
  { check: 'runAsNonRoot', service: { image: 'w:1', 'x-kubernetes': { securityContext: { runAsNonRoot: false } } }, path: 'services.s.x-kubernetes.securityContext.runAsNonRoot' },
  { check: 'runAsNonRoot', service: { image: 'w:1', user: 'root' }, path: 'services.s.user' },
  { check: 'runAsUser', service: { image: 'w:1', user: '0:0' }, path: 'services.s.user' },
  { check: 'runAsUser', service: { image: 'w:1', pre_start: [{ command: ['x'], user: '0' }] }, path: 'services.s.pre_start[0].user' },
  { check: 'seccompProfile_restricted', service: { image: 'w:1', 'x-kubernetes': { securityContext: { seccompProfile: { type: 'Unconfined' } } } }, path: 'services.s.x-kubernetes.securityContext.seccompProfile', alsoBaseline: true },
  { check: 'capabilities_restricted', service: { image: 'w:1', user: '1', cap_add: ['NET_BIND_SERVICE', 'CHOWN'] }, path: 'services.s.cap_add[1]' },
];

describe('every rule of the table, at its Compose key', () => {
  it('has a case per row, and the rows are the admission checks (plus devices)', () => {
    expect(new Set(CASES.map((c) => c.check))).toEqual(new Set(RULES.map((r) => r.check)));
    expect(RULES.map((r) => `${r.level} ${r.check}`)).toEqual([
      'baseline windowsHostProcess',
      'baseline hostNamespaces',
      'baseline privileged',
      'baseline capabilities_baseline',
      'baseline hostPathVolumes',
      'baseline hostPorts',
      'baseline appArmorProfile',
      'baseline seLinuxOptions',
      'baseline procMount',
      'baseline seccompProfile_baseline',
      'baseline sysctls',
      'baseline hostProbesAndHostLifecycle',
      'baseline devices',
      'restricted restrictedVolumes',
      'restricted allowPrivilegeEscalation',
      'restricted runAsNonRoot',
      'restricted runAsUser',
      'restricted seccompProfile_restricted',
      'restricted capabilities_restricted',
    ]);
  });

  for (const c of CASES) {
    const rule = RULES.find((r) => r.check === c.check)!;
    it(`${rule.level} ${c.check} (${c.path})`, () => {
      const p = project({ s: c.service });
      const at = (level: 'baseline' | 'restricted', extra: Partial<LowerOptions> = {}) => lower(p, { ...c.options, podSecurity: level, ...extra });
      // At the rule's level: an error at the Compose key, naming the rule's control.
      const r = at(rule.level);
      const errors = r.diagnostics.errors.filter((d) => d.code === 'pod-security.violation');
      expect(errors.map((d) => d.path)).toContain(c.path);
      expect(errors.find((d) => d.path === c.path)!.message).toContain(`"${rule.control}" (${rule.level}: `);
      expect(errors.find((d) => d.path === c.path)!.message).toContain(`required by --pod-security ${rule.level}`);
      const s = summary(r, 's');
      expect(s.breaks[rule.level].some((f) => f.check === c.check && f.path === c.path)).toBe(true);
      expect(s.meets).toBe(rule.level === 'baseline' || c.alsoBaseline ? 'privileged' : 'baseline');
      // A baseline rule also breaks restricted; a restricted one is no concern of baseline.
      if (rule.level === 'baseline') expect(at('restricted').diagnostics.errors.map((d) => d.path)).toContain(c.path);
      else if (c.alsoBaseline) expect(s.breaks.baseline.map((f) => f.path)).toContain(c.path);
      else expect(violations(at('baseline'))).toEqual([]);
      // warn mode converts and warns; --strict makes it an error again; report mode says nothing.
      const warned = at(rule.level, { podSecurityMode: 'warn' });
      expect(violations(warned).filter((d) => d.path === c.path).map((d) => d.severity)).toEqual(['warning']);
      expect(warned.diagnostics.errors.filter((d) => d.code === 'pod-security.violation')).toEqual([]);
      expect(violations(at(rule.level, { podSecurityMode: 'warn', strict: true })).filter((d) => d.path === c.path).map((d) => d.severity)).toEqual(['error']);
      expect(violations(at(rule.level, { podSecurityMode: 'report' }))).toEqual([]);
      // Without a level nothing is reported, but the summary still knows.
      const none = lower(p, c.options ?? {});
      expect(violations(none)).toEqual([]);
      expect(summary(none, 's').meets).toBe(s.meets);
    });
  }

  it('one diagnostic per Compose key, naming every rule it breaks (privileged: Privileged Containers and Privilege Escalation)', () => {
    const r = lower(project({ s: { image: 'w:1', user: '1', privileged: true } }), RESTRICTED);
    const errors = violations(r);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('"Privileged Containers" (baseline');
    expect(errors[0]!.message).toContain('"Privilege Escalation" (restricted');
    // The API refuses allowPrivilegeEscalation: false on a privileged container: it is not added.
    const warned = lower(project({ s: { image: 'w:1', user: '1', privileged: true } }), { ...RESTRICTED, podSecurityMode: 'warn' });
    expect(containers(find(warned.objects, 'Deployment', 's'))[0]!.securityContext).not.toHaveProperty('allowPrivilegeEscalation');
    expect(containers(find(warned.objects, 'Deployment', 's'))[0]!.securityContext).toMatchObject({ privileged: true, runAsNonRoot: true });
  });

  it('the summary names what blocks the next level even when none is chosen', () => {
    const r = lower(project({ a: { image: 'a:1', user: '0' }, b: { image: 'b:1', network_mode: 'host' }, c: { image: 'c:1' } }));
    expect(r.podSecurity.map((s) => [s.service, s.meets])).toEqual([['a', 'baseline'], ['b', 'privileged'], ['c', 'restricted']]);
    expect(summary(r, 'a').breaks.restricted.map((f) => [f.check, f.path])).toEqual([['runAsNonRoot', 'services.a.user'], ['runAsUser', 'services.a.user']]);
  });
});

describe('levels from x-kubernetes, and the Namespace labels', () => {
  const p: Project = project(
    { web: { image: 'w:1' }, tools: { image: 't:1', privileged: true, 'x-kubernetes': { podSecurity: 'none' } }, db: { image: 'd:1', user: '0', 'x-kubernetes': { podSecurity: 'baseline' } } },
    { 'x-kubernetes': { podSecurity: 'restricted' } },
  );

  it('service level > project level > option; the Namespace enforces the lowest and warns at the highest', () => {
    const r = lower(p, { namespace: 'shop', podSecurity: 'baseline' });
    expect(r.diagnostics.errors).toEqual([]);
    expect(r.podSecurity.map((s) => [s.service, s.level, s.levelFrom])).toEqual([
      ['db', 'baseline', 'services.db.x-kubernetes.podSecurity: baseline'],
      ['tools', 'none', 'services.tools.x-kubernetes.podSecurity: none'],
      ['web', 'restricted', 'x-kubernetes.podSecurity: restricted'],
    ]);
    expect(find(r.objects, 'Namespace', 'shop').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'restricted' });
    expect(containers(find(r.objects, 'Deployment', 'tools'))[0]!.securityContext).toEqual({ privileged: true });
  });

  it('one level everywhere: enforce and warn are that level; without a namespace there is no Namespace to label', () => {
    const r = lower(project({ web: { image: 'w:1' } }), { namespace: 'shop', podSecurity: 'baseline' });
    expect(find(r.objects, 'Namespace', 'shop').metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'baseline' });
    const bare = lower(project({ web: { image: 'w:1' } }), RESTRICTED);
    expect(bare.objects.some((o) => o.kind === 'Namespace')).toBe(false);
    expect(bare.namespaceLabels).toEqual({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' });
  });

  it('an unknown level is an x-kubernetes error at its path', () => {
    const r = lower(project({ web: { image: 'w:1', 'x-kubernetes': { podSecurity: 'strict' } } }));
    expect(r.diagnostics.errors.map((d) => [d.code, d.path])).toEqual([['x-kubernetes.invalid', 'services.web.x-kubernetes.podSecurity']]);
  });
});

describe('service groups', () => {
  it('each member is checked as its own container; pod-level fields stay unset, so members never conflict', () => {
    const r = lower(
      project({
        a: { image: 'a:1', user: '1', labels: { 'kompose.service.group': 'g' } },
        b: { image: 'b:1', user: '2', labels: { 'kompose.service.group': 'g' }, 'x-kubernetes': { podSecurity: 'none' } },
      }),
      RESTRICTED,
    );
    expect(r.diagnostics.errors).toEqual([]);
    expect(r.diagnostics.items.map((d) => d.code)).not.toContain('group.pod-wide');
    const spec = podSpec(find(r.objects, 'Deployment', 'g'));
    expect(spec.securityContext).toBeUndefined();
    expect(spec.containers.map((c: { securityContext: object }) => c.securityContext)).toEqual([
      { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 1, seccompProfile: { type: 'RuntimeDefault' } },
      { runAsUser: 2 },
    ]);
  });
});
