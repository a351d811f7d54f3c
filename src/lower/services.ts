// In-cluster service discovery (B9): every service reachable by its Compose name on its CONTAINER ports.
// - ports/expose -> container ports + a ClusterIP Service `<svc>` whose port = targetPort = container port
//   (mixed TCP/UDP in one Service), so `web:80` works exactly as in Compose whatever was published;
// - no ports -> a headless Service without ports (legal) for long-running services and for one-shot
//   services other services refer to, so the name resolves and the ordering pass can wait on it;
// - deploy.endpoint_mode: dnsrr or serviceType Headless -> the Service is headless (with its ports);
// - StatefulSets also get their governing headless Service `unit.headlessServiceName`;
// - link aliases (`links: [db:database]`) and network aliases -> additional Services with the same selector
//   and ports (not ExternalName: that needs the namespace and a CNAME-following resolver). Kubernetes names
//   are namespace-wide, so an alias resolves for every pod, not only for the linking one (reported);
// - kompose.controller.port.expose -> hostPort/hostIP on the container ports;
// - network_mode, links, external_links are accounted for here.
// Publishing outside the cluster is the ingress pass's job (ingress.ts).

import type { ContainerPort, Service as KubeService, ServicePort } from 'kubernetes-types/core/v1.js';
import { asKube, podOwner, unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { LABEL, projectLabels } from './metadata.js';
import { isDnsLabel } from './names.js';
import type { Pass } from './pass.js';
import { containerPorts, MAX_PORT, unitPorts, type ContainerPortSpec } from './ports.js';
import { inRange } from './units.js';
import { merged } from './objects.js';

/** Label on alias Services naming the Service they stand for. */
export const ALIAS_OF = 'compose2k8s.io/alias-of';

export interface ServicePlan {
  ports: ContainerPortSpec[];
  headless: boolean;
  /** Whether a Service named `unit.name` is emitted. */
  emitted: boolean;
}

/** Services named by other services (depends_on, links), whose names must resolve. */
export function referencedServices(ctx: LowerContext): Set<string> {
  const out = new Set<string>();
  for (const unit of ctx.units.values()) {
    for (const dep of Object.keys(unit.compose.depends_on ?? {})) out.add(dep);
    for (const link of unit.compose.links ?? []) out.add(link.split(':')[0]!);
  }
  return out;
}

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function planService(ctx: LowerContext, unit: ServiceUnit, referenced: Set<string>): ServicePlan {
  const { ports } = unitPorts(ctx, unit);
  const cports = containerPorts(ports);
  const dnsrr = unit.compose.deploy?.endpoint_mode === 'dnsrr';
  const headless = dnsrr || unit.settings.serviceType === 'Headless' || cports.length === 0;
  const aliases = Object.values(unit.compose.networks ?? {}).some((n) => (n?.aliases ?? []).length > 0);
  const emitted = cports.length > 0 || LONG_RUNNING.has(unit.kind) || referenced.has(unit.service) || aliases;
  return { ports: cports, headless, emitted };
}

function servicePortsOf(plan: ServicePlan): ServicePort[] {
  return plan.ports.map((p) => ({
    name: p.name,
    port: p.target,
    targetPort: p.target,
    protocol: p.protocol,
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  }));
}

function kubeService(unit: ServiceUnit, name: string, plan: ServicePlan, headless: boolean, extraLabels: Record<string, string> = {}): KubeService {
  const ports = servicePortsOf(plan);
  const meta = unitMetadata(unit, name);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: merged(meta, { labels: merged(meta.labels, extraLabels) }),
    spec: merged(headless ? { clusterIP: 'None' } : {}, { selector: { ...unit.selector } }, ports.length ? { ports } : {}),
  };
}

function lowerPorts(ctx: LowerContext, unit: ServiceUnit, plan: ServicePlan): void {
  const s = unit.compose;
  const { ports, invalid, outOfRange } = unitPorts(ctx, unit);
  for (const bad of invalid) {
    ctx.diagnostics.warn('ports.invalid-expose', `${unit.service}: expose entry "${bad}" is not a port or port range; ignored`, { path: `${unit.path}.expose` });
  }
  for (const bad of outOfRange) inRange(ctx, bad.value, bad.path, bad.field === 'target' ? 'container port' : 'published port', 1, MAX_PORT);
  if (plan.ports.length) {
    const hostPorts = unit.settings.hostPortExpose === true;
    const cps: ContainerPort[] = plan.ports.map((p) => {
      const cp: ContainerPort = { name: p.name, containerPort: p.target, protocol: p.protocol };
      if (hostPorts) {
        const published = ports.find((x) => x.target === p.target && x.protocol === p.protocol && x.published !== undefined);
        if (published?.published !== undefined) {
          cp.hostPort = published.published;
          if (published.hostIp) cp.hostIP = published.hostIp;
        }
      }
      return cp;
    });
    unit.container.ports = [...(unit.container.ports ?? []), ...cps];
  }
  const to = plan.emitted ? `Service/${unit.name} (${plan.headless ? 'headless' : 'ClusterIP'}) on container ports` : 'container ports';
  if (s.ports?.length) ctx.report.mapped(`${unit.path}.ports`, `${to}${unit.settings.hostPortExpose ? ' + hostPort' : ''}`);
  if (s.expose?.length) {
    if (invalid.length) ctx.report.approximated(`${unit.path}.expose`, to, `not ports: ${invalid.join(', ')}`);
    else ctx.report.mapped(`${unit.path}.expose`, to);
  }
  if (unit.settings.hostPortExpose && !ports.some((p) => p.published !== undefined)) {
    ctx.diagnostics.warn('ports.host-port-unpublished', `${unit.service}: kompose.controller.port.expose is set but no port is published; no hostPort`, {
      path: unit.settings.origin.hostPortExpose,
    });
  }
}

function lowerEndpointMode(ctx: LowerContext, unit: ServiceUnit, plan: ServicePlan): void {
  const mode = unit.compose.deploy?.endpoint_mode;
  if (mode === undefined) return;
  const path = `${unit.path}.deploy.endpoint_mode`;
  if (mode === 'dnsrr') ctx.report.mapped(path, `Service/${unit.name} headless (DNS returns every pod)`);
  else if (mode === 'vip') ctx.report.mapped(path, `Service/${unit.name} ${plan.headless ? 'headless (no ports)' : 'ClusterIP'}`);
  else ctx.report.ignored(path, `unknown endpoint mode "${mode}"`);
}

function lowerNetworkMode(ctx: LowerContext, unit: ServiceUnit): void {
  const mode = unit.compose.network_mode;
  if (mode === undefined) return;
  const path = `${unit.path}.network_mode`;
  const to = workloadRef(unit);
  if (mode === 'host') {
    unit.pod.hostNetwork = true;
    // Keep cluster DNS so Service names still resolve from a host-network pod.
    unit.pod.dnsPolicy = 'ClusterFirstWithHostNet';
    ctx.report.mapped(path, `${to} hostNetwork (dnsPolicy ClusterFirstWithHostNet)`);
  } else if (mode === 'bridge' || mode === 'default') {
    ctx.report.mapped(path, `${to} (pod network)`);
  } else if (mode === 'none') {
    ctx.report.ignored(path, 'every pod has a network interface; isolate it with a NetworkPolicy (networkPolicies option)');
  } else if (mode.startsWith('service:')) {
    const other = mode.slice('service:'.length);
    if (unit.group && ctx.units.get(other)?.workload === unit.workload) {
      ctx.report.mapped(path, `${to} (same pod as ${other}: one network namespace)`);
      return;
    }
    ctx.diagnostics.warn('network.shared-namespace', `${unit.service}: network_mode ${mode} shares ${other}'s network namespace, which only containers of one pod can do; it gets its own pod network and reaches ${other} through its Service`, { path });
    ctx.report.approximated(path, `${to} (own pod network)`, `only containers of one pod share a network namespace; ${other} is reached through its Service, not localhost`);
  } else {
    ctx.report.ignored(path, `network mode "${mode}" has no Kubernetes equivalent`);
  }
}

interface AliasRequest {
  alias: string;
  target: ServiceUnit;
  path: string;
  kind: 'link' | 'network';
}

function aliasRequests(ctx: LowerContext): AliasRequest[] {
  const out: AliasRequest[] = [];
  for (const unit of ctx.units.values()) {
    (unit.compose.links ?? []).forEach((link, i) => {
      const [svc, alias] = link.split(':') as [string, string | undefined];
      const target = ctx.units.get(svc);
      if (target && alias !== undefined && alias !== svc) out.push({ alias, target, path: `${unit.path}.links[${i}]`, kind: 'link' });
    });
    for (const [net, cfg] of Object.entries(unit.compose.networks ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const alias of cfg?.aliases ?? []) {
        if (alias !== unit.service) out.push({ alias, target: unit, path: `${unit.path}.networks.${net}.aliases`, kind: 'network' });
      }
    }
  }
  return out;
}

function lowerAliases(ctx: LowerContext, plans: Map<ServiceUnit, ServicePlan>): void {
  const done = new Map<string, ServiceUnit>();
  const reported = new Set<string>();
  const note = (path: string, fn: () => void) => {
    if (!reported.has(path)) fn();
    reported.add(path);
  };
  for (const req of aliasRequests(ctx)) {
    const { alias, target, path } = req;
    const plan = plans.get(target)!;
    const existing = done.get(alias);
    if (existing === target || alias === target.name) {
      note(path, () => ctx.report.mapped(path, `Service/${alias}`));
      continue;
    }
    if (!isDnsLabel(alias) || !/^[a-z]/.test(alias)) {
      ctx.diagnostics.warn('services.alias-invalid', `${req.kind} alias "${alias}" of ${target.service} is not a valid Service name (lower-case DNS label); it does not resolve in the cluster`, { path });
      note(path, () => ctx.report.approximated(path, '(none)', `alias "${alias}" cannot be a Service name`));
      continue;
    }
    if (existing || ctx.names.has('service', alias)) {
      const owner = existing ? `an alias of ${existing.service}` : 'another object';
      ctx.diagnostics.warn('services.alias-conflict', `${req.kind} alias "${alias}" of ${target.service} is already the name of ${owner}; it resolves to that instead`, { path });
      note(path, () => ctx.report.approximated(path, `Service/${alias}`, `the name "${alias}" already belongs to ${owner}`));
      continue;
    }
    ctx.names.claim('service', `alias:${alias}`, alias, { startWithLetter: true });
    done.set(alias, target);
    ctx.emit(asKube(kubeService(target, alias, plan, plan.headless, { [ALIAS_OF]: target.name })));
    const why = req.kind === 'link'
      ? 'a link alias resolves for every pod of the namespace, not only the linking service'
      : 'a network alias resolves on every network of the namespace, not only on its own network';
    note(path, () => ctx.report.approximated(path, `Service/${alias}`, why));
  }
}

/** Pod label grouping the pods of one `domainname` subdomain (their headless Service selects on it). */
export const SUBDOMAIN_LABEL = 'compose2k8s.io/subdomain';

/**
 * `domainname` (B23): the containers pass sets `pod.subdomain`; a pod's FQDN `<hostname>.<subdomain>` resolves
 * only through a headless Service named like the subdomain that selects the pod, so emit one per subdomain.
 */
function lowerSubdomains(ctx: LowerContext): void {
  const bySub = new Map<string, ServiceUnit[]>();
  for (const unit of ctx.units.values()) {
    const sub = unit.pod.subdomain;
    if (sub) bySub.set(sub, [...(bySub.get(sub) ?? []), unit]);
  }
  for (const [sub, units] of [...bySub].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!/^[a-z]/.test(sub) || ctx.names.has('service', sub)) {
      for (const u of units) {
        ctx.diagnostics.warn('services.subdomain-taken', `${u.service}: domainname subdomain "${sub}" cannot get its headless Service (the name is taken or invalid); the pod's FQDN does not resolve`, { path: `${u.path}.domainname` });
      }
      continue;
    }
    ctx.names.claim('service', `subdomain:${sub}`, sub, { startWithLetter: true });
    for (const u of units) u.podLabels[SUBDOMAIN_LABEL] = sub;
    const first = units[0]!;
    const svc: KubeService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: sub, labels: projectLabels(ctx.project.name) },
      spec: { clusterIP: 'None', selector: { [LABEL.instance]: first.selector[LABEL.instance]!, [SUBDOMAIN_LABEL]: sub } },
    };
    ctx.emit(asKube(svc));
    for (const u of units) ctx.report.mapped(`${u.path}.domainname`, `Service/${sub} (headless, pod FQDN ${u.pod.hostname ?? '<pod name>'}.${sub})`);
  }
}

export function lowerServices(ctx: LowerContext): void {
  const referenced = referencedServices(ctx);
  const plans = new Map<ServiceUnit, ServicePlan>();
  const governing = new Set<string>();
  for (const unit of ctx.units.values()) {
    const plan = planService(ctx, unit, referenced);
    plans.set(unit, plan);
    lowerPorts(ctx, unit, plan);
    lowerEndpointMode(ctx, unit, plan);
    lowerNetworkMode(ctx, unit);
    if (plan.emitted) ctx.emit(asKube(kubeService(unit, unit.name, plan, plan.headless)));
    if (unit.kind === 'StatefulSet' && unit.headlessServiceName && !governing.has(unit.headlessServiceName)) {
      // A group's members share one governing Service, labelled like the group's workload; it needs no ports
      // (each member's own Service carries them).
      governing.add(unit.headlessServiceName);
      const owner = unit.group ? merged<ServiceUnit>(unit, podOwner(unit)) : unit;
      ctx.emit(asKube(kubeService(owner, unit.headlessServiceName, unit.group ? merged(plan, { ports: [] }) : plan, true)));
    }
    if (unit.settings.serviceType === 'Headless') {
      ctx.report.mapped(unit.settings.origin.serviceType ?? unit.path, `Service/${unit.name} headless`);
    }
    const links = unit.compose.links ?? [];
    links.forEach((link, i) => {
      const [svc, alias] = link.split(':') as [string, string | undefined];
      const path = `${unit.path}.links[${i}]`;
      if (!ctx.units.has(svc)) ctx.report.ignored(path, `${svc} is not a service of the project`);
      else if (alias === undefined || alias === svc) ctx.report.mapped(path, `Service/${ctx.units.get(svc)!.name}`);
    });
    for (const key of ['ports', 'expose', 'links', 'external_links'] as const) {
      if (unit.compose[key]?.length === 0) ctx.report.mapped(`${unit.path}.${key}`, '(empty)');
    }
    if (unit.compose.external_links?.length) {
      ctx.report.ignored(`${unit.path}.external_links`, 'containers outside the project do not exist in the cluster; create a Service (e.g. ExternalName) for them');
    }
  }
  lowerAliases(ctx, plans);
  lowerSubdomains(ctx);
}

export const servicesPass: Pass = {
  name: 'services',
  run(ctx) {
    lowerServices(ctx);
  },
};
