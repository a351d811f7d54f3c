// The service's container and the pod fields that follow from Compose process keys: image, command, user and
// security, lifecycle hooks, hosts and DNS, shared memory and tmpfs, pull policy, platform and GPUs.

import type { Service, DeviceRequest } from '../model/project.js';
import { reportBuild } from './built-images.js';
import { addMount, addVolume, setResource, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { applyHooks } from './hooks.js';
import { isDnsLabel } from './names.js';
import type { Pass } from './pass.js';
import { applySecurity } from './security.js';
import { bytesToQuantity, durationSeconds, escapeKubeExpansion, parseBytes } from './units.js';
import { merged } from './objects.js';

const PULL_POLICY: Record<string, 'Always' | 'IfNotPresent' | 'Never'> = {
  always: 'Always',
  never: 'Never',
  missing: 'IfNotPresent',
  if_not_present: 'IfNotPresent',
  build: 'IfNotPresent',
};

const ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', armhf: 'arm', i386: '386' };

const GPU_RESOURCE: Record<string, string> = { nvidia: 'nvidia.com/gpu', amd: 'amd.com/gpu', intel: 'gpu.intel.com/i915' };

export function lowerContainer(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const { report, diagnostics: d } = ctx;
  const c = unit.container;
  const to = workloadRef(unit);
  const p = (k: string) => `${unit.path}.${k}`;

  // Image: without one, Compose names the built image <project>-<service>; the build stage rewrites it.
  if (s.image) {
    c.image = s.image;
    report.mapped(p('image'), `${to} image`);
  } else {
    c.image = `${ctx.project.name}-${unit.service}`;
    if (!s.build) d.error('container.no-image', `${unit.service} has neither image nor build`, { path: unit.path });
  }
  if (s.build) reportBuild(ctx, unit, c.image);

  // entrypoint -> command, command -> args; `$` is never rewritten (B1), only escaped from Kubernetes' $(VAR).
  if (s.entrypoint) {
    c.command = s.entrypoint.map(escapeKubeExpansion);
    report.mapped(p('entrypoint'), `${to} command`);
  } else if (s.entrypoint === null) report.mapped(p('entrypoint'), `${to} (image entrypoint)`);
  if (s.command) {
    c.args = s.command.map(escapeKubeExpansion);
    if (s.command.length === 0 && !s.entrypoint) {
      d.warn('container.empty-command', `${unit.service}: command: [] clears the image CMD in Compose; Kubernetes treats empty args as unset`, { path: p('command') });
      report.approximated(p('command'), `${to} args`, 'empty args fall back to the image CMD');
    } else report.mapped(p('command'), `${to} args`);
  } else if (s.command === null) report.mapped(p('command'), `${to} (image command)`);

  if (s.working_dir !== undefined) {
    c.workingDir = s.working_dir;
    report.mapped(p('working_dir'), `${to} workingDir`);
  }
  for (const key of ['stdin_open', 'tty'] as const) {
    if (s[key] === undefined) continue;
    if (s[key]) c[key === 'stdin_open' ? 'stdin' : 'tty'] = true;
    report.mapped(p(key), `${to} ${key === 'stdin_open' ? 'stdin' : 'tty'}`);
  }
  if (s.stop_grace_period !== undefined) {
    const seconds = durationSeconds(s.stop_grace_period);
    if (seconds !== undefined) {
      unit.pod.terminationGracePeriodSeconds = seconds;
      report.mapped(p('stop_grace_period'), `${to} terminationGracePeriodSeconds`);
    } else report.ignored(p('stop_grace_period'), `not a duration: ${s.stop_grace_period}`);
  }

  applySecurity(ctx, unit);
  applyHooks(ctx, unit);
  applyHostsAndDns(ctx, unit);
  applyMemoryVolumes(ctx, unit);
  applyPullPolicy(ctx, unit);
  applyPlatform(ctx, unit);
  applyGpus(ctx, unit);
  applyNamespaces(ctx, unit);
}

function applyHostsAndDns(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const { report, diagnostics: d } = ctx;
  const to = workloadRef(unit);
  const p = (k: string) => `${unit.path}.${k}`;
  if (s.extra_hosts && Object.keys(s.extra_hosts).length) {
    const byIp = new Map<string, string[]>();
    const gateway: string[] = [];
    for (const [host, ips] of Object.entries(s.extra_hosts)) {
      for (const ip of ips) {
        if (ip === 'host-gateway') gateway.push(host);
        else byIp.set(ip, [...(byIp.get(ip) ?? []), host]);
      }
    }
    if (byIp.size) {
      unit.pod.hostAliases = [...byIp.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([ip, hostnames]) => ({ ip, hostnames: [...new Set(hostnames)].sort() }));
    }
    if (gateway.length) {
      d.warn('container.host-gateway', `${unit.service}: extra_hosts ${gateway.join(', ')} point at host-gateway, which has no Kubernetes equivalent`, { path: p('extra_hosts') });
      report.approximated(p('extra_hosts'), `${to} hostAliases`, 'host-gateway entries dropped');
    } else report.mapped(p('extra_hosts'), `${to} hostAliases`);
  }
  // Extra nameservers are added after the cluster DNS (policy stays ClusterFirst) so service names still resolve.
  const dnsConfig: NonNullable<ServiceUnit['pod']['dnsConfig']> = {};
  if (s.dns?.length) {
    dnsConfig.nameservers = s.dns;
    report.approximated(p('dns'), `${to} dnsConfig.nameservers`, 'cluster DNS stays first so service names resolve');
  }
  if (s.dns_search?.length) {
    dnsConfig.searches = s.dns_search;
    report.mapped(p('dns_search'), `${to} dnsConfig.searches`);
  }
  if (s.dns_opt?.length) {
    dnsConfig.options = s.dns_opt.map((o) => {
      const [name, value] = o.split(':', 2);
      return value === undefined ? { name: name! } : { name: name!, value };
    });
    report.mapped(p('dns_opt'), `${to} dnsConfig.options`);
  }
  if (Object.keys(dnsConfig).length) unit.pod.dnsConfig = dnsConfig;
  if (s.hostname !== undefined) {
    if (isDnsLabel(s.hostname)) {
      unit.pod.hostname = s.hostname;
      // A group's pod has one hostname: the first member's (service-name order) that sets one (groups.ts).
      const first = unit.group?.members.map((m) => ctx.units.get(m)!.compose.hostname).find((h) => h !== undefined && isDnsLabel(h));
      if (first !== undefined && first !== s.hostname) report.approximated(p('hostname'), `${to} hostname`, `the pod of ${unit.workload} has one hostname, "${first}"`);
      else report.mapped(p('hostname'), `${to} hostname`);
    } else {
      d.warn('container.hostname', `${unit.service}: hostname "${s.hostname}" is not a DNS label and is ignored`, { path: p('hostname') });
      report.ignored(p('hostname'), 'not a valid DNS label');
    }
  }
  if (s.domainname !== undefined) {
    const sub = s.domainname.split('.')[0]!;
    if (isDnsLabel(sub)) {
      unit.pod.subdomain = sub;
      report.approximated(p('domainname'), `${to} subdomain`, `resolves only through a headless Service named "${sub}"`);
    } else report.ignored(p('domainname'), 'not a valid DNS label');
  }
}

function applyMemoryVolumes(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const to = workloadRef(unit);
  if (s.shm_size !== undefined) {
    addVolume(unit, { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: bytesToQuantity(s.shm_size) } });
    addMount(unit.container, { name: 'dshm', mountPath: '/dev/shm' });
    ctx.report.mapped(`${unit.path}.shm_size`, `${to} memory emptyDir at /dev/shm`);
  }
  if (s.tmpfs?.length) {
    let lost = false;
    s.tmpfs.forEach((entry, i) => {
      const [target, options = ''] = splitOnce(entry, ':');
      let sizeLimit: string | undefined;
      for (const opt of options.split(',').filter(Boolean)) {
        const [k, v] = splitOnce(opt, '=');
        const bytes = k === 'size' && v !== undefined ? parseBytes(v) : undefined;
        if (bytes !== undefined) sizeLimit = bytesToQuantity(bytes);
        else lost = true;
      }
      const name = `tmpfs-${i + 1}`;
      addVolume(unit, { name, emptyDir: { medium: 'Memory', ...(sizeLimit ? { sizeLimit } : {}) } });
      addMount(unit.container, { name, mountPath: target });
    });
    if (lost) ctx.report.approximated(`${unit.path}.tmpfs`, `${to} memory emptyDir`, 'tmpfs options other than size (mode, uid, ...) are not supported');
    else ctx.report.mapped(`${unit.path}.tmpfs`, `${to} memory emptyDir`);
  }
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

function applyPullPolicy(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const fromSettings = unit.settings.imagePullPolicy;
  const path = `${unit.path}.pull_policy`;
  const to = `${workloadRef(unit)} imagePullPolicy`;
  if (fromSettings) unit.container.imagePullPolicy = fromSettings;
  if (s.pull_policy === undefined) return;
  const mapped = PULL_POLICY[s.pull_policy];
  if (!fromSettings) unit.container.imagePullPolicy = mapped ?? 'Always';
  if (fromSettings) ctx.report.approximated(path, to, `overridden by ${unit.settings.origin.imagePullPolicy}`);
  else if (mapped && s.pull_policy !== 'build') ctx.report.mapped(path, to);
  else if (mapped) ctx.report.approximated(path, to, 'the build stage builds and pushes the image; the cluster pulls it if missing');
  else ctx.report.approximated(path, to, `"${s.pull_policy}" has no Kubernetes equivalent; the image is pulled on every start`);
}

function applyPlatform(ctx: LowerContext, unit: ServiceUnit): void {
  const platform = unit.compose.platform;
  if (platform === undefined) return;
  const [os, arch, variant] = platform.split('/');
  const selector: Record<string, string> = {};
  if (os) selector['kubernetes.io/os'] = os;
  if (arch) selector['kubernetes.io/arch'] = ARCH[arch] ?? arch;
  unit.pod.nodeSelector = merged(unit.pod.nodeSelector, selector);
  const to = `${workloadRef(unit)} nodeSelector`;
  if (variant) ctx.report.approximated(`${unit.path}.platform`, to, `variant ${variant} cannot be selected by a well-known node label`);
  else ctx.report.mapped(`${unit.path}.platform`, to);
}

/** `gpus` and `deploy.resources.reservations.devices` with the gpu capability -> extended resource limits. */
function applyGpus(ctx: LowerContext, unit: ServiceUnit): void {
  const s: Service = unit.compose;
  const sources: [string, DeviceRequest[]][] = [
    [`${unit.path}.gpus`, s.gpus ?? []],
    [`${unit.path}.deploy.resources.reservations.devices`, s.deploy?.resources?.reservations?.devices ?? []],
  ];
  const totals = new Map<string, number>();
  for (const [path, requests] of sources) {
    if (!requests.length) continue;
    const notes: string[] = [];
    let used = 0;
    for (const r of requests) {
      const isGpu = path.endsWith('.gpus') || (r.capabilities ?? []).includes('gpu');
      const resource = GPU_RESOURCE[r.driver ?? 'nvidia'];
      if (!isGpu || !resource) {
        notes.push(`device request ${JSON.stringify(r.capabilities ?? r.driver ?? '')} has no Kubernetes resource`);
        continue;
      }
      let count = r.count ?? r.device_ids?.length ?? -1;
      if (r.device_ids?.length) notes.push('specific device ids cannot be pinned; counted instead');
      if (count < 0) {
        notes.push('"all" GPUs becomes 1: Kubernetes needs an explicit count');
        count = 1;
      }
      totals.set(resource, (totals.get(resource) ?? 0) + count);
      used++;
    }
    const to = `${workloadRef(unit)} resources.limits`;
    if (!used) ctx.report.ignored(path, notes.join('; '));
    else if (notes.length) ctx.report.approximated(path, to, notes.join('; '));
    else ctx.report.mapped(path, to);
    if (notes.length) ctx.diagnostics.warn('container.gpu', `${unit.service}: ${notes.join('; ')}`, { path });
  }
  for (const [resource, count] of [...totals].sort()) setResource(unit.container, 'limits', resource, String(count));
}

/** `pid: host` and `ipc: host` share the node's namespaces; other modes have no pod equivalent. */
function applyNamespaces(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const to = workloadRef(unit);
  const sibling = (mode: string) => unit.group !== undefined && mode.startsWith('service:') && ctx.units.get(mode.slice('service:'.length))?.workload === unit.workload;
  if (s.pid !== undefined && s.pid !== null) {
    if (sibling(s.pid)) {
      unit.pod.shareProcessNamespace = true;
      ctx.report.approximated(`${unit.path}.pid`, `${to} shareProcessNamespace`, 'every container of the pod shares one PID namespace');
    } else if (s.pid === 'host') {
      unit.pod.hostPID = true;
      ctx.report.mapped(`${unit.path}.pid`, `${to} hostPID`);
    } else ctx.report.ignored(`${unit.path}.pid`, `pid "${s.pid}" cannot be shared between pods`);
  } else if (s.pid === null) ctx.report.mapped(`${unit.path}.pid`, `${to} (private PID namespace)`);
  if (s.ipc !== undefined) {
    if (s.ipc === 'host') {
      unit.pod.hostIPC = true;
      ctx.report.mapped(`${unit.path}.ipc`, `${to} hostIPC`);
    } else if (sibling(s.ipc)) ctx.report.mapped(`${unit.path}.ipc`, `${to} (same pod as ${s.ipc.slice('service:'.length)}: one IPC namespace)`);
    else if (s.ipc === 'private' || s.ipc === 'shareable') ctx.report.mapped(`${unit.path}.ipc`, `${to} (pod IPC namespace)`);
    else ctx.report.ignored(`${unit.path}.ipc`, `ipc "${s.ipc}" cannot be shared between pods`);
  }
}

export const containersPass: Pass = {
  name: 'containers',
  run(ctx) {
    for (const unit of ctx.units.values()) lowerContainer(ctx, unit);
  },
};
