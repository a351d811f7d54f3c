// Compose process-security keys -> container and pod securityContext.

import type { PodSecurityContext, SecurityContext } from 'kubernetes-types/core/v1.js';
import type { Service } from '../model/project.js';
import { merged, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { inRange } from './units.js';

/** Sysctls the kubelet allows without --allowed-unsafe-sysctls (Kubernetes "safe" set). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

/** `uid[:gid]` with numeric parts; `root` is uid 0. Names cannot be resolved without the image. */
export function parseUser(user: string): { uid?: number; gid?: number; unresolved?: string } {
  const [u = '', g] = user.split(':', 2);
  const num = (s: string) => (s === 'root' ? 0 : /^\d+$/.test(s) ? Number(s) : undefined);
  const uid = num(u);
  const gid = g === undefined ? undefined : num(g);
  const unresolved = [uid === undefined ? u : undefined, g !== undefined && gid === undefined ? g : undefined].filter(Boolean).join(':');
  return { ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}), ...(unresolved ? { unresolved } : {}) };
}

/** A Compose capability (`cap_net_admin`, `CAP_SYS_ADMIN`) as Kubernetes names it (`NET_ADMIN`, `SYS_ADMIN`). */
export function capabilityName(c: string): string {
  return c.replace(/^CAP_/i, '').toUpperCase();
}

export function applySecurity(ctx: LowerContext, unit: ServiceUnit): void {
  const s: Service = unit.compose;
  const { report, diagnostics: d } = ctx;
  const sc: SecurityContext = {};
  const psc: PodSecurityContext = {};
  const to = workloadRef(unit);
  const p = (k: string) => `${unit.path}.${k}`;

  if (s.user !== undefined) {
    const parsed = parseUser(s.user);
    const { unresolved } = parsed;
    // User and group ids are 0 to 2147483647 in the API.
    const uid = parsed.uid !== undefined && inRange(ctx, parsed.uid, p('user'), 'user id') ? parsed.uid : undefined;
    const gid = parsed.gid !== undefined && inRange(ctx, parsed.gid, p('user'), 'group id') ? parsed.gid : undefined;
    if (uid !== undefined) sc.runAsUser = uid;
    if (gid !== undefined) sc.runAsGroup = gid;
    if (unresolved) {
      d.warn('container.user-name', `${unit.service}: user "${unresolved}" is a name; Kubernetes needs numeric ids, so it is not set (use a numeric uid:gid)`, { path: p('user') });
      if (uid === undefined && gid === undefined) report.ignored(p('user'), 'user names cannot be resolved without the image');
      else report.approximated(p('user'), `${to} securityContext`, 'only the numeric part is kept');
    } else report.mapped(p('user'), `${to} securityContext.runAsUser/runAsGroup`);
  }
  if (s.group_add?.length) {
    const ids = s.group_add.map((g) => (/^\d+$/.test(String(g)) ? Number(g) : undefined));
    const numeric = ids.filter((x): x is number => x !== undefined);
    const valid = numeric.filter((x) => inRange(ctx, x, p('group_add'), 'group id'));
    if (valid.length) psc.supplementalGroups = valid;
    if (numeric.length < ids.length) {
      d.warn('container.group-name', `${unit.service}: group names in group_add cannot be resolved; only numeric groups are kept`, { path: p('group_add') });
      report.approximated(p('group_add'), `${to} securityContext.supplementalGroups`, 'group names dropped');
    } else report.mapped(p('group_add'), `${to} securityContext.supplementalGroups`);
  }
  if (s.cap_add?.length || s.cap_drop?.length) {
    sc.capabilities = {
      ...(s.cap_add?.length ? { add: s.cap_add.map(capabilityName) } : {}),
      ...(s.cap_drop?.length ? { drop: s.cap_drop.map(capabilityName) } : {}),
    };
    if (s.cap_add) report.mapped(p('cap_add'), `${to} securityContext.capabilities.add`);
    if (s.cap_drop) report.mapped(p('cap_drop'), `${to} securityContext.capabilities.drop`);
  }
  if (s.privileged !== undefined) {
    if (s.privileged) sc.privileged = true;
    report.mapped(p('privileged'), `${to} securityContext.privileged`);
  }
  if (s.read_only !== undefined) {
    if (s.read_only) sc.readOnlyRootFilesystem = true;
    report.mapped(p('read_only'), `${to} securityContext.readOnlyRootFilesystem`);
  }
  if (s.security_opt?.length) applySecurityOpts(ctx, unit, s.security_opt, sc);
  if (s.sysctls && Object.keys(s.sysctls).length) {
    psc.sysctls = Object.entries(s.sysctls)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => ({ name, value: String(value) }));
    const unsafe = Object.keys(s.sysctls).filter((k) => !SAFE_SYSCTLS.has(k)).sort();
    if (unsafe.length) {
      d.warn('container.unsafe-sysctl', `${unit.service}: sysctls ${unsafe.join(', ')} are "unsafe" in Kubernetes: pods stay Pending unless the kubelet allows them (--allowed-unsafe-sysctls)`, { path: p('sysctls') });
      report.approximated(p('sysctls'), `${to} securityContext.sysctls`, 'unsafe sysctls need a kubelet allow-list');
    } else report.mapped(p('sysctls'), `${to} securityContext.sysctls`);
  }
  if (Object.keys(sc).length) unit.container.securityContext = merged(unit.container.securityContext, sc);
  if (Object.keys(psc).length) unit.pod.securityContext = merged(unit.pod.securityContext, psc);
}

function applySecurityOpts(ctx: LowerContext, unit: ServiceUnit, opts: string[], sc: SecurityContext): void {
  const path = `${unit.path}.security_opt`;
  const lost: string[] = [];
  for (const opt of opts) {
    const m = /^([a-z-]+)[:=]?(.*)$/.exec(opt);
    const key = m?.[1] ?? opt;
    const value = m?.[2] ?? '';
    if (key === 'no-new-privileges') {
      if (value === '' || value === 'true') sc.allowPrivilegeEscalation = false;
    } else if (key === 'seccomp' && value === 'unconfined') sc.seccompProfile = { type: 'Unconfined' };
    else if (key === 'apparmor') {
      sc.appArmorProfile = value === 'unconfined' ? { type: 'Unconfined' } : { type: 'Localhost', localhostProfile: value };
    } else if (key === 'label' && /^(user|role|type|level):/.test(value)) {
      const [field, ...rest] = value.split(':');
      sc.seLinuxOptions = { ...sc.seLinuxOptions, [field!]: rest.join(':') };
    } else lost.push(opt);
  }
  const to = `${workloadRef(unit)} securityContext`;
  if (lost.length) {
    ctx.diagnostics.warn('container.security-opt', `${unit.service}: security_opt ${lost.join(', ')} has no Kubernetes equivalent and is ignored`, { path });
    if (lost.length === opts.length) ctx.report.ignored(path, `no Kubernetes equivalent for ${lost.join(', ')}`);
    else ctx.report.approximated(path, to, `ignored: ${lost.join(', ')}`);
  } else ctx.report.mapped(path, to);
}
