// Pod Security Standards (issue #18). With a level (option `podSecurity`, `x-kubernetes.podSecurity`), every
// container gets the securityContext the level requires wherever Compose does not contradict it, and every
// contradiction is reported at its Compose key with the rule it breaks. Whatever the level, each service's
// strictest level met as written is recorded for the report and `compose2k8s check`.
//
// The rules are the checks of the Pod Security admission controller, k8s.io/pod-security-admission v0.34.4
// (policy/check_*.go, the API server version of the e2e tests), each at its newest version: one row per check,
// with its level, field and allowed values. A restricted row that `overrides` a baseline row replaces it at the
// restricted level, as in the admission controller. The checks run on the unit's pod as the passes built it
// (x-kubernetes securityContext settings included; patches, applied later by the assembler, are not checked).

import type { Container, LifecycleHandler, PodSecurityContext, Probe, SecurityContext, Volume } from 'kubernetes-types/core/v1.js';
import { merged, type LowerContext, type ServiceUnit } from './context.js';
import type { PodSecurityLevel } from './options.js';
import type { Pass } from './pass.js';
import { capabilityName, parseUser } from './security.js';

/** The standard's names of its levels; `privileged` is what option `none` leaves. */
export type StandardLevel = 'privileged' | 'baseline' | 'restricted';
type RuleLevel = 'baseline' | 'restricted';

export interface PodSecurityFinding {
  /** Compose path of what breaks the rule (the CLI turns it into file:line). */
  path: string;
  /** The admission check's ID (`privileged`) and the standard's name of the control (`Privileged Containers`). */
  check: string;
  control: string;
  level: RuleLevel;
  /** What the pod would set, in Kubernetes terms: `container "web": securityContext.privileged=true`. */
  what: string;
  /** The rule: `securityContext.privileged must be false or unset`. */
  rule: string;
}

export interface PodSecurityService {
  service: string;
  /** The level chosen for the service (`none`: not checked) and where: `--pod-security` or an x-kubernetes path. */
  level: PodSecurityLevel;
  levelFrom: string;
  /** The strictest level it meets as written (with the securityContext a level would complete). */
  meets: StandardLevel;
  /** What breaks each level. */
  breaks: Record<RuleLevel, PodSecurityFinding[]>;
  /** What only the image can tell (its user). */
  notes: string[];
}

export const NAMESPACE_ENFORCE = 'pod-security.kubernetes.io/enforce';
export const NAMESPACE_WARN = 'pod-security.kubernetes.io/warn';

/** The pod as the checks see it. */
interface PodView {
  pod: ServiceUnit['pod'];
  /** Init containers, the main container, then sidecars. */
  containers: Container[];
  volumes: Volume[];
  annotations: Record<string, string>;
}

type Hit = { path: string; what: string };

interface Rule {
  check: string;
  /** The admission check's ForbiddenReason, how the API server names it when it refuses a pod. */
  reason?: string;
  level: RuleLevel;
  control: string;
  rule: string;
  /** The baseline check this one replaces at the restricted level. */
  overrides?: string;
  hits(view: PodView, from: Origins): Hit[];
}

// Allowed values, from the admission checks (v0.34.4).
const BASELINE_CAPABILITIES = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
// The admission check's allowed sysctls follow the kubelet's safe set (security.ts warns about the others there).
const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];
const SELINUX_TYPES = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

const sc = (c: Container): SecurityContext => c.securityContext ?? {};
const psc = (v: PodView): PodSecurityContext => v.pod.securityContext ?? {};
const named = (c: Container) => `container "${c.name}"`;
const goodProfile = (type: string) => type === 'RuntimeDefault' || type === 'Localhost';
/** One hit per container for which `what` returns a description. */
function perContainer(v: PodView, from: Origins, field: string, what: (c: Container) => string | undefined): Hit[] {
  const hits: Hit[] = [];
  for (const c of v.containers) {
    const w = what(c);
    if (w !== undefined) hits.push({ path: from.container(c, field), what: `${named(c)}: ${w}` });
  }
  return hits;
}

function hostsOf(handlers: (Probe | LifecycleHandler | undefined)[]): string[] {
  const hosts: string[] = [];
  for (const h of handlers) {
    if (h?.httpGet?.host) hosts.push(h.httpGet.host);
    if (h?.tcpSocket?.host) hosts.push(h.tcpSocket.host);
  }
  return hosts;
}

export const RULES: readonly Rule[] = [
  {
    check: 'windowsHostProcess',
    reason: 'hostProcess',
    level: 'baseline',
    control: 'HostProcess',
    rule: 'securityContext.windowsOptions.hostProcess must be false or unset',
    hits: (v, from) => [
      ...(psc(v).windowsOptions?.hostProcess ? [{ path: from.pod('windowsOptions'), what: 'pod securityContext.windowsOptions.hostProcess=true' }] : []),
      ...perContainer(v, from, 'windowsOptions', (c) => (sc(c).windowsOptions?.hostProcess ? 'securityContext.windowsOptions.hostProcess=true' : undefined)),
    ],
  },
  {
    check: 'hostNamespaces',
    reason: 'host namespaces',
    level: 'baseline',
    control: 'Host Namespaces',
    rule: 'hostNetwork, hostPID and hostIPC must be false or unset',
    hits: (v, from) => (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((f) => v.pod[f]).map((f) => ({ path: from.pod(f), what: `${f}=true` })),
  },
  {
    check: 'privileged',
    reason: 'privileged',
    level: 'baseline',
    control: 'Privileged Containers',
    rule: 'securityContext.privileged must be false or unset',
    hits: (v, from) => perContainer(v, from, 'privileged', (c) => (sc(c).privileged ? 'securityContext.privileged=true' : undefined)),
  },
  {
    check: 'capabilities_baseline',
    reason: 'non-default capabilities',
    level: 'baseline',
    control: 'Capabilities',
    rule: `capabilities.add may only hold ${BASELINE_CAPABILITIES.join(', ')}`,
    hits: (v, from) =>
      v.containers.flatMap((c) =>
        (sc(c).capabilities?.add ?? []).filter((cap) => !BASELINE_CAPABILITIES.includes(cap)).map((cap) => ({ path: from.capability(c, cap), what: `${named(c)}: capabilities.add ${cap}` })),
      ),
  },
  {
    check: 'hostPathVolumes',
    reason: 'hostPath volumes',
    level: 'baseline',
    control: 'HostPath Volumes',
    rule: 'volumes must not be hostPath',
    hits: (v, from) => v.volumes.filter((vol) => vol.hostPath).map((vol) => ({ path: from.volume(vol), what: `volume "${vol.name}": hostPath ${vol.hostPath!.path}` })),
  },
  {
    check: 'hostPorts',
    reason: 'hostPort',
    level: 'baseline',
    control: 'Host Ports',
    rule: 'ports[*].hostPort must be 0 or unset',
    hits: (v, from) =>
      v.containers.flatMap((c) =>
        (c.ports ?? []).flatMap((p) => {
          if (p.hostPort) return [{ path: from.container(c, 'ports'), what: `${named(c)}: hostPort ${p.hostPort}` }];
          // The API server defaults hostPort to containerPort in a host-network pod, before admission sees it.
          if (v.pod.hostNetwork) return [{ path: from.pod('hostNetwork'), what: `${named(c)}: hostPort ${p.containerPort} (hostNetwork makes every port a host port)` }];
          return [];
        }),
      ),
  },
  {
    check: 'appArmorProfile',
    reason: 'forbidden AppArmor profile',
    level: 'baseline',
    control: 'AppArmor',
    rule: 'appArmorProfile.type must be RuntimeDefault, Localhost or unset (annotations: runtime/default, localhost/*)',
    hits: (v, from) => {
      const pod = psc(v).appArmorProfile;
      const annotations = Object.entries(v.annotations).filter(([k, val]) => k.startsWith(APPARMOR_ANNOTATION) && val !== '' && val !== 'runtime/default' && !val.startsWith('localhost/'));
      return [
        ...(pod && !goodProfile(pod.type) ? [{ path: from.pod('appArmorProfile'), what: `pod securityContext.appArmorProfile.type=${pod.type}` }] : []),
        ...perContainer(v, from, 'appArmorProfile', (c) => {
          const t = sc(c).appArmorProfile?.type;
          return t !== undefined && !goodProfile(t) ? `securityContext.appArmorProfile.type=${t}` : undefined;
        }),
        ...annotations.map(([k, val]) => ({ path: from.annotation(k), what: `annotation ${k}=${val}` })),
      ];
    },
  },
  {
    check: 'seLinuxOptions',
    reason: 'seLinuxOptions',
    level: 'baseline',
    control: 'SELinux',
    rule: `seLinuxOptions.type must be ${SELINUX_TYPES.join(', ')} or unset, and user and role unset`,
    hits: (v, from) => {
      const bad = (o: SecurityContext['seLinuxOptions']) =>
        !o ? undefined : [o.type && !SELINUX_TYPES.includes(o.type) ? `type ${o.type}` : '', o.user ? `user ${o.user}` : '', o.role ? `role ${o.role}` : ''].filter(Boolean).join(', ') || undefined;
      const pod = bad(psc(v).seLinuxOptions);
      // Docker's `label:disable` runs the container unconfined: the same as a forbidden SELinux type.
      const disabled = from.securityOpts(/^label[:=]disable$/);
      return [
        ...(pod ? [{ path: from.pod('seLinuxOptions'), what: `pod securityContext.seLinuxOptions ${pod}` }] : []),
        ...perContainer(v, from, 'seLinuxOptions', (c) => {
          const b = bad(sc(c).seLinuxOptions);
          return b ? `securityContext.seLinuxOptions ${b}` : undefined;
        }),
        ...disabled.map((path) => ({ path, what: 'security_opt label:disable (no SELinux confinement)' })),
      ];
    },
  },
  {
    check: 'procMount',
    reason: 'procMount',
    level: 'baseline',
    control: '/proc Mount Type',
    rule: 'securityContext.procMount must be Default or unset',
    hits: (v, from) => [
      ...perContainer(v, from, 'procMount', (c) => (sc(c).procMount !== undefined && sc(c).procMount !== 'Default' ? `securityContext.procMount=${sc(c).procMount}` : undefined)),
      // Docker's `systempaths=unconfined` unmasks /proc like procMount: Unmasked.
      ...from.securityOpts(/^systempaths[:=]unconfined$/).map((path) => ({ path, what: 'security_opt systempaths=unconfined (unmasked /proc)' })),
    ],
  },
  {
    check: 'seccompProfile_baseline',
    reason: 'seccompProfile',
    level: 'baseline',
    control: 'Seccomp',
    rule: 'seccompProfile.type must be RuntimeDefault, Localhost or unset',
    hits: (v, from) => {
      const pod = psc(v).seccompProfile;
      return [
        ...(pod && !goodProfile(pod.type) ? [{ path: from.pod('seccompProfile'), what: `pod securityContext.seccompProfile.type=${pod.type}` }] : []),
        ...perContainer(v, from, 'seccompProfile', (c) => {
          const t = sc(c).seccompProfile?.type;
          return t !== undefined && !goodProfile(t) ? `securityContext.seccompProfile.type=${t}` : undefined;
        }),
      ];
    },
  },
  {
    check: 'sysctls',
    reason: 'forbidden sysctls',
    level: 'baseline',
    control: 'Sysctls',
    rule: `sysctls must be among ${SAFE_SYSCTLS.join(', ')}`,
    hits: (v, from) => (psc(v).sysctls ?? []).filter((s) => !SAFE_SYSCTLS.includes(s.name)).map((s) => ({ path: from.sysctl(s.name), what: `sysctl ${s.name}` })),
  },
  {
    check: 'hostProbesAndHostLifecycle',
    reason: 'probe or lifecycle host',
    level: 'baseline',
    control: 'Probes and lifecycle hooks',
    rule: 'httpGet.host and tcpSocket.host of probes and lifecycle handlers must be unset',
    hits: (v, from) =>
      perContainer(v, from, 'probes', (c) => {
        const hosts = hostsOf([c.livenessProbe, c.readinessProbe, c.startupProbe, c.lifecycle?.postStart, c.lifecycle?.preStop]);
        return hosts.length ? `probe or lifecycle host ${hosts.join(', ')}` : undefined;
      }),
  },
  {
    // Not an admission check: Compose `devices` are dropped by the conversion (unsupported.ts), but a device on
    // a node is reachable only through a privileged container or a hostPath volume, which the level forbids.
    check: 'devices',
    level: 'baseline',
    control: 'Privileged Containers / HostPath Volumes',
    rule: 'a host device needs a privileged container or a hostPath volume',
    hits: (_v, from) => (from.unit.compose.devices ?? []).map((d, i) => ({ path: `${from.unit.path}.devices[${i}]`, what: `device ${d.source}` })),
  },
  {
    check: 'restrictedVolumes',
    reason: 'restricted volume types',
    level: 'restricted',
    overrides: 'hostPathVolumes',
    control: 'Volume Types',
    rule: `volumes must be one of ${RESTRICTED_VOLUMES.join(', ')}`,
    hits: (v, from) =>
      v.volumes.flatMap((vol) => {
        const type = Object.keys(vol).find((k) => k !== 'name') ?? 'unknown';
        return RESTRICTED_VOLUMES.includes(type) ? [] : [{ path: from.volume(vol), what: `volume "${vol.name}": ${type}` }];
      }),
  },
  {
    check: 'allowPrivilegeEscalation',
    reason: 'allowPrivilegeEscalation != false',
    level: 'restricted',
    control: 'Privilege Escalation',
    rule: 'securityContext.allowPrivilegeEscalation must be false',
    hits: (v, from) =>
      v.containers.flatMap((c) => {
        if (sc(c).allowPrivilegeEscalation === false) return [];
        // Left unset only where the API forbids false: a privileged container, or one adding SYS_ADMIN.
        const field = sc(c).allowPrivilegeEscalation === true ? 'allowPrivilegeEscalation' : sc(c).privileged ? 'privileged' : 'capabilities';
        const path = field === 'capabilities' ? from.capability(c, 'SYS_ADMIN') : from.container(c, field);
        return [{ path, what: `${named(c)}: securityContext.allowPrivilegeEscalation=${sc(c).allowPrivilegeEscalation ?? 'unset'}` }];
      }),
  },
  {
    check: 'runAsNonRoot',
    reason: 'runAsNonRoot != true',
    level: 'restricted',
    control: 'Running as Non-root',
    rule: 'securityContext.runAsNonRoot must be true (on the pod or every container)',
    hits: (v, from) => {
      const pod = psc(v).runAsNonRoot;
      return [
        ...(pod === false ? [{ path: from.pod('runAsNonRoot'), what: 'pod securityContext.runAsNonRoot=false' }] : []),
        ...v.containers.flatMap((c) => {
          const own = sc(c).runAsNonRoot;
          if (own === true || (own === undefined && pod === true)) return [];
          // Unset only where the container runs as root: that is what to change.
          const path =
            own === false ? from.container(c, 'runAsNonRoot') : sc(c).runAsUser === 0 ? from.container(c, 'runAsUser') : pod === false ? from.pod('runAsNonRoot') : from.pod('runAsUser');
          return [{ path, what: `${named(c)}: securityContext.runAsNonRoot=${own ?? 'unset'}` }];
        }),
      ];
    },
  },
  {
    check: 'runAsUser',
    reason: 'runAsUser=0',
    level: 'restricted',
    control: 'Running as Non-root user',
    rule: 'runAsUser must not be 0',
    hits: (v, from) => [
      ...(psc(v).runAsUser === 0 ? [{ path: from.pod('runAsUser'), what: 'pod securityContext.runAsUser=0' }] : []),
      ...perContainer(v, from, 'runAsUser', (c) => (sc(c).runAsUser === 0 ? 'securityContext.runAsUser=0' : undefined)),
    ],
  },
  {
    check: 'seccompProfile_restricted',
    reason: 'seccompProfile',
    level: 'restricted',
    overrides: 'seccompProfile_baseline',
    control: 'Seccomp',
    rule: 'seccompProfile.type must be RuntimeDefault or Localhost (on the pod or every container)',
    hits: (v, from) => {
      const pod = psc(v).seccompProfile?.type;
      return [
        ...(pod !== undefined && !goodProfile(pod) ? [{ path: from.pod('seccompProfile'), what: `pod securityContext.seccompProfile.type=${pod}` }] : []),
        ...perContainer(v, from, 'seccompProfile', (c) => {
          const t = sc(c).seccompProfile?.type;
          if (t !== undefined) return goodProfile(t) ? undefined : `securityContext.seccompProfile.type=${t}`;
          return pod !== undefined && goodProfile(pod) ? undefined : 'securityContext.seccompProfile unset';
        }),
      ];
    },
  },
  {
    check: 'capabilities_restricted',
    reason: 'unrestricted capabilities',
    level: 'restricted',
    overrides: 'capabilities_baseline',
    control: 'Capabilities',
    rule: 'capabilities.drop must include ALL, and capabilities.add may only hold NET_BIND_SERVICE',
    hits: (v, from) =>
      v.containers.flatMap((c) => [
        ...((sc(c).capabilities?.drop ?? []).includes('ALL') ? [] : [{ path: from.container(c, 'capabilities'), what: `${named(c)}: capabilities.drop without ALL` }]),
        ...(sc(c).capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE').map((cap) => ({ path: from.capability(c, cap), what: `${named(c)}: capabilities.add ${cap}` })),
      ]),
  },
];

/** The rows that apply at a level: baseline's, or all but those a restricted row overrides. */
function rulesAt(level: RuleLevel): ReadonlySet<Rule> {
  const rows = RULES.filter((r) => level === 'restricted' || r.level === 'baseline');
  const overridden = new Set(rows.map((r) => r.overrides));
  return new Set(rows.filter((r) => !overridden.has(r.check)));
}
const AT: Record<RuleLevel, ReadonlySet<Rule>> = { baseline: rulesAt('baseline'), restricted: rulesAt('restricted') };

/** What breaks each level, in table order; every row runs once (this runs for every service of every conversion). */
export function evaluate(view: PodView, from: Origins): Record<RuleLevel, PodSecurityFinding[]> {
  const out: Record<RuleLevel, PodSecurityFinding[]> = { baseline: [], restricted: [] };
  for (const r of RULES) {
    const hits = r.hits(view, from);
    if (!hits.length) continue;
    const seen = new Set<string>();
    for (const h of hits) {
      const key = `${h.path}\0${h.what}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const f = { path: h.path, check: r.check, control: r.control, level: r.level, what: h.what, rule: r.rule };
      if (AT.baseline.has(r)) out.baseline.push(f);
      if (AT.restricted.has(r)) out.restricted.push(f);
    }
  }
  return out;
}

// Compose keys behind main-container securityContext fields (security.ts).
const COMPOSE_KEY: Record<string, string> = { privileged: 'privileged', runAsUser: 'user', runAsGroup: 'user', capabilities: 'cap_drop', readOnlyRootFilesystem: 'read_only' };
const SECURITY_OPT: Record<string, RegExp> = {
  allowPrivilegeEscalation: /^no-new-privileges/,
  seccompProfile: /^seccomp/,
  appArmorProfile: /^apparmor/,
  seLinuxOptions: /^label/,
};
const POD_KEY: Record<string, string> = { hostNetwork: 'network_mode', hostPID: 'pid', hostIPC: 'ipc', sysctls: 'sysctls', supplementalGroups: 'group_add' };

/** Where a field of the unit's pod comes from in the Compose file: an x-kubernetes setting, else a Compose key. */
export class Origins {
  constructor(
    private readonly ctx: LowerContext,
    readonly unit: ServiceUnit,
  ) {}

  private get path(): string {
    return this.unit.path;
  }

  container(c: Container, field: string): string {
    const { unit, path } = this;
    const st = unit.settings;
    if (c.name === unit.container.name) {
      if (field === 'ports') return st.origin.hostPortExpose ?? `${path}.ports`;
      if (field === 'probes') return st.origin.probes ?? `${path}.healthcheck`;
      if (field in st.containerSecurityContext) return `${st.origin.containerSecurityContext}.${field}`;
      const opt = SECURITY_OPT[field];
      const i = opt ? (unit.compose.security_opt ?? []).findIndex((o) => opt.test(o)) : -1;
      if (i >= 0) return `${path}.security_opt[${i}]`;
      return COMPOSE_KEY[field] ? `${path}.${COMPOSE_KEY[field]}` : path;
    }
    const pre = /^pre-start-(\d+)$/.exec(c.name);
    if (pre) {
      const hook = `${path}.pre_start[${Number(pre[1]) - 1}]`;
      return field === 'privileged' ? `${hook}.privileged` : field === 'runAsUser' ? `${hook}.user` : hook;
    }
    if (st.initContainer && c.name.startsWith(st.initContainer.name)) return st.origin.initContainer ?? path;
    const dep = Object.keys(unit.compose.depends_on ?? {}).find((d) => c.name.startsWith(`wait-for-${this.ctx.units.get(d)?.name}`));
    return dep !== undefined ? `${path}.depends_on.${dep}` : path;
  }

  /** The cap_add entry that adds `cap` (or the x-kubernetes capabilities). */
  capability(c: Container, cap: string): string {
    const { unit, path } = this;
    if (c.name !== unit.container.name || 'capabilities' in unit.settings.containerSecurityContext) return this.container(c, 'capabilities');
    const i = (unit.compose.cap_add ?? []).findIndex((x) => capabilityName(x) === cap);
    return i >= 0 ? `${path}.cap_add[${i}]` : `${path}.cap_add`;
  }

  pod(field: string): string {
    const st = this.unit.settings;
    if (field in st.securityContext) return `${st.origin.securityContext}.${field}`;
    return POD_KEY[field] ? `${this.path}.${POD_KEY[field]}` : this.path;
  }

  sysctl(name: string): string {
    return this.unit.settings.securityContext.sysctls ? this.pod('sysctls') : `${this.path}.sysctls.${name}`;
  }

  volume(v: Volume): string {
    const { unit, path } = this;
    const i = v.hostPath ? (unit.compose.volumes ?? []).findIndex((m) => m.type === 'bind' && m.source === v.hostPath!.path) : -1;
    return i >= 0 ? `${path}.volumes[${i}]` : `${path}.volumes`;
  }

  annotation(key: string): string {
    const { unit, path } = this;
    if (key in unit.settings.podAnnotations) return `${unit.settings.origin.podAnnotations}.${key}`;
    return key in (unit.compose.annotations ?? {}) ? `${path}.annotations.${key}` : `${path}.labels.${key}`;
  }

  /** Paths of the security_opt entries matching `re`. */
  securityOpts(re: RegExp): string[] {
    return (this.unit.compose.security_opt ?? []).flatMap((o, i) => (re.test(o) ? [`${this.path}.security_opt[${i}]`] : []));
  }
}

/**
 * What the restricted level adds to a container where nothing contradicts it. allowPrivilegeEscalation stays
 * unset on a privileged container or one adding SYS_ADMIN (the API refuses false there), runAsNonRoot where the
 * user is root: those are the contradictions to report.
 */
function restrictedDefaults(c: Container, pod: ServiceUnit['pod']): SecurityContext {
  const own = sc(c);
  const podSc = pod.securityContext ?? {};
  const add: SecurityContext = {};
  const sysAdmin = (own.capabilities?.add ?? []).some((cap) => cap === 'SYS_ADMIN' || cap === 'CAP_SYS_ADMIN');
  if (own.allowPrivilegeEscalation === undefined && !own.privileged && !sysAdmin) add.allowPrivilegeEscalation = false;
  if (own.runAsNonRoot === undefined && podSc.runAsNonRoot === undefined && (own.runAsUser ?? podSc.runAsUser) !== 0) add.runAsNonRoot = true;
  if (own.seccompProfile === undefined && podSc.seccompProfile === undefined) add.seccompProfile = { type: 'RuntimeDefault' };
  // Dropping ALL covers whatever cap_drop listed.
  if (!(own.capabilities?.drop ?? []).includes('ALL')) add.capabilities = { ...own.capabilities, drop: ['ALL'] };
  return add;
}

function withDefaults(c: Container, pod: ServiceUnit['pod']): Container {
  const add = restrictedDefaults(c, pod);
  if (!Object.keys(add).length) return c;
  // The checks read only the name, ports, probes, lifecycle and securityContext of a container.
  return { name: c.name, ports: c.ports, livenessProbe: c.livenessProbe, readinessProbe: c.readinessProbe, startupProbe: c.startupProbe, lifecycle: c.lifecycle, securityContext: { ...c.securityContext, ...add } };
}

function containersOf(unit: ServiceUnit): Container[] {
  return [...unit.initContainers, unit.container, ...unit.sidecars];
}

/** Containers that must run as non-root with a user only their image knows: one note per image. */
function imageUserNotes(unit: ServiceUnit): string[] {
  const notes = new Map<string, string>();
  for (const c of containersOf(unit)) {
    const s = sc(c);
    if (s.runAsNonRoot !== true || s.runAsUser !== undefined || unit.pod.securityContext?.runAsUser !== undefined) continue;
    const user = c.name === unit.container.name && unit.compose.user !== undefined ? parseUser(unit.compose.user).unresolved : undefined;
    notes.set(
      c.image ?? '',
      user
        ? `user "${user}" is a name, which the kubelet cannot check against runAsNonRoot: give the numeric uid in user: (image ${c.image})`
        : `image ${c.image}: its user is unknown at convert time; with runAsNonRoot the kubelet starts it only if its USER is a non-root uid (set a numeric USER in its Dockerfile, or user: "UID")`,
    );
  }
  return [...notes.values()];
}

const RANK: Record<PodSecurityLevel, number> = { none: 0, baseline: 1, restricted: 2 };
export const standardLevel = (level: PodSecurityLevel): StandardLevel => (level === 'none' ? 'privileged' : level);

function levelFrom(unit: ServiceUnit): string {
  const origin = unit.settings.origin.podSecurity;
  return !origin || origin.startsWith('option:') ? `--pod-security ${unit.settings.podSecurity}` : `${origin}: ${unit.settings.podSecurity}`;
}

export function lowerPodSecurity(ctx: LowerContext, unit: ServiceUnit): PodSecurityService {
  const from = new Origins(ctx, unit);
  // As written: with the restricted defaults completed, what is left are the contradictions.
  const view: PodView = { pod: unit.pod, containers: containersOf(unit).map((c) => withDefaults(c, unit.pod)), volumes: unit.volumes, annotations: unit.podAnnotations };
  const breaks = evaluate(view, from);
  const meets: StandardLevel = breaks.baseline.length ? 'privileged' : breaks.restricted.length ? 'baseline' : 'restricted';
  const level = unit.settings.podSecurity;
  const result: PodSecurityService = { service: unit.service, level, levelFrom: levelFrom(unit), meets, breaks, notes: [] };
  if (level === 'none') return result;
  if (level === 'restricted') {
    for (const c of containersOf(unit)) {
      const add = restrictedDefaults(c, unit.pod);
      if (Object.keys(add).length) c.securityContext = merged(c.securityContext, add);
    }
    result.notes = imageUserNotes(unit);
  }
  if (ctx.options.podSecurityMode !== 'report') reportFindings(ctx, unit, breaks[level], result.levelFrom);
  return result;
}

/** One diagnostic per Compose path, naming every rule it breaks. */
function reportFindings(ctx: LowerContext, unit: ServiceUnit, findings: PodSecurityFinding[], required: string): void {
  const byPath = new Map<string, PodSecurityFinding[]>();
  for (const f of findings) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f]);
  const asError = ctx.options.podSecurityMode === 'enforce' || ctx.options.strict;
  for (const [path, list] of byPath) {
    const rules = list.map((f) => `${f.what} breaks "${f.control}" (${f.level}: ${f.rule})`).join('; ');
    const message = `${unit.service}: ${rules}; required by ${required}${asError ? '' : ' (a namespace enforcing this level refuses its pods)'}`;
    if (asError) ctx.diagnostics.error('pod-security.violation', message, { path });
    else ctx.diagnostics.warn('pod-security.violation', message, { path });
  }
}

export const podSecurityPass: Pass = {
  name: 'pod-security',
  run(ctx) {
    for (const unit of ctx.units.values()) ctx.podSecurity.push(lowerPodSecurity(ctx, unit));
    // The Namespace admits every pod at its service's level and warns about those below the strictest one.
    const levels = ctx.podSecurity.map((s) => s.level);
    if (!levels.some((l) => l !== 'none')) return;
    const sorted = [...levels].sort((a, b) => RANK[a] - RANK[b]);
    ctx.namespaceLabels[NAMESPACE_ENFORCE] = standardLevel(sorted[0]!);
    ctx.namespaceLabels[NAMESPACE_WARN] = standardLevel(sorted[sorted.length - 1]!);
  },
};
