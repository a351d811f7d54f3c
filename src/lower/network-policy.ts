// Compose networks. Kubernetes has one flat pod network, so without the networkPolicies option every pod can
// reach every other (reported as approximated). With it (B13):
// - members of network N carry the pod label `compose2k8s.io/network-<N>: "true"`;
// - NetworkPolicy `network-<N>` (deterministic: no project name in it): members accept ingress from members;
//   egress is open for ordinary networks, and for `internal: true` networks limited to members plus DNS
//   (port 53 anywhere: node-local DNS caches are not pods) plus the API server for the init containers that wait for a Job (the others wait on DNS);
//   policies add up, so a pod on an internal and an ordinary network keeps the ordinary network's egress;
// - NetworkPolicy `<svc>-exposed`: published ports that are exposed outside the cluster (external Service
//   or Ingress) accept ingress from anywhere, since load balancers, node ports and ingress controllers are not
//   members of any Compose network.
// Runs after `ordering` (it reads the wait init containers it added) and before `pod-metadata`.

import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyPort } from 'kubernetes-types/networking/v1.js';
import { asKube, unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { exposurePlan } from './ingress.js';
import { projectLabels } from './metadata.js';
import type { Pass } from './pass.js';

export const NETWORK_LABEL_PREFIX = 'compose2k8s.io/network-';

/** The pod label marking members of a Compose network (name part at most 63 characters). */
export function networkLabel(ctx: LowerContext, network: string): string {
  return `${NETWORK_LABEL_PREFIX}${ctx.names.claim('network-label', network, network, { maxLength: 63 - 'network-'.length })}`;
}

function members(ctx: LowerContext, network: string): ServiceUnit[] {
  return [...ctx.units.values()].filter((u) => u.compose.network_mode === undefined && network in (u.compose.networks ?? {}));
}

const DNS_PORTS: NetworkPolicyPort[] = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];

function reportWithout(ctx: LowerContext): void {
  for (const unit of ctx.units.values()) {
    const nets = Object.keys(unit.compose.networks ?? {});
    if (unit.compose.networks && !nets.length) ctx.report.mapped(`${unit.path}.networks`, '(empty)');
    if (!nets.length) continue;
    const isolated = nets.length > 1 || nets[0] !== 'default';
    if (isolated) ctx.report.approximated(`${unit.path}.networks`, '(pod network)', 'Kubernetes has one flat pod network; enable networkPolicies to keep Compose network isolation');
    else ctx.report.mapped(`${unit.path}.networks`, '(pod network)');
  }
  for (const [name, net] of Object.entries(ctx.project.networks ?? {})) {
    const path = `networks.${name}`;
    if (net?.external) ctx.report.approximated(path, '(pod network)', 'external networks do not exist in the cluster; pods use the pod network');
    else if (name === 'default' && !net?.internal) ctx.report.mapped(path, '(pod network)');
    else ctx.report.approximated(path, '(pod network)', `no isolation without the networkPolicies option${net?.internal ? '; internal: true (no egress) is not enforced' : ''}`);
  }
}

function lost(net: NonNullable<LowerContext['project']['networks']>[string]): string[] {
  return [
    net?.driver && net.driver !== 'bridge' && net.driver !== 'overlay' && `driver ${net.driver}`,
    net?.driver_opts && 'driver_opts',
    net?.ipam && 'ipam (pod addresses come from the cluster)',
    net?.enable_ipv6 !== undefined && 'enable_ipv6',
  ].filter(Boolean) as string[];
}

export function lowerNetworkPolicies(ctx: LowerContext): void {
  if (!ctx.options.networkPolicies) {
    reportWithout(ctx);
    return;
  }
  const networks = Object.keys(ctx.project.networks ?? {}).sort();
  for (const network of networks) {
    const net = ctx.project.networks![network];
    const path = `networks.${network}`;
    const mem = members(ctx, network);
    if (!mem.length) {
      ctx.report.approximated(path, '(none)', 'no service joins it');
      continue;
    }
    const label = networkLabel(ctx, network);
    for (const u of mem) u.podLabels[label] = 'true';
    const selector = { matchLabels: { [label]: 'true' } };
    const egress: NetworkPolicyEgressRule[] = net?.internal
      ? [
          { to: [{ podSelector: selector }] },
          { ports: DNS_PORTS },
          ...(mem.some((u) => u.initContainers.some((c) => c.name.startsWith('wait-for-') && c.command?.[0] === 'kubectl'))
            ? [{ ports: [{ port: 443, protocol: 'TCP' as const }, { port: 6443, protocol: 'TCP' as const }] }]
            : []),
        ]
      : [{}];
    const name = ctx.names.claim('NetworkPolicy', `network:${network}`, `network-${network}`);
    const policy: NetworkPolicy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, labels: projectLabels(ctx.project.name) },
      spec: {
        podSelector: selector,
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ from: [{ podSelector: selector }] }],
        egress,
      },
    };
    ctx.emit(asKube(policy));
    const notes = [...lost(net), net?.external ? 'external: the network is treated as a project network' : ''].filter(Boolean);
    const to = `NetworkPolicy/${name}${net?.internal ? ' (egress limited to members, DNS)' : ''}`;
    if (notes.length) ctx.report.approximated(path, to, `${notes.join('; ')} cannot be kept`);
    else ctx.report.mapped(path, to);
  }
  for (const unit of ctx.units.values()) {
    const nets = Object.keys(unit.compose.networks ?? {});
    if (unit.compose.networks && !nets.length) ctx.report.mapped(`${unit.path}.networks`, '(empty)');
    if (nets.length) {
      const statics = Object.values(unit.compose.networks ?? {}).some((n) => n?.ipv4_address || n?.ipv6_address || n?.mac_address || n?.link_local_ips);
      const to = `${workloadRef(unit)} pod labels ${nets.map((n) => networkLabel(ctx, n)).join(', ')}`;
      if (unit.compose.network_mode !== undefined) ctx.report.approximated(`${unit.path}.networks`, '(none)', `network_mode ${unit.compose.network_mode} takes precedence`);
      else if (statics) ctx.report.approximated(`${unit.path}.networks`, to, 'static addresses are assigned by the cluster instead');
      else ctx.report.mapped(`${unit.path}.networks`, to);
    }
    exposedPolicy(ctx, unit);
  }
}

/** Lets external traffic (load balancers, node ports, ingress controllers) reach the exposed ports. */
function exposedPolicy(ctx: LowerContext, unit: ServiceUnit): void {
  if (!Object.keys(unit.compose.networks ?? {}).length || unit.compose.network_mode !== undefined) return;
  const plan = exposurePlan(ctx, unit);
  const ports = [...plan.external, ...(plan.ingress ? [plan.ingress] : [])];
  if (!ports.length) return;
  const unique = [...new Map(ports.map((p) => [`${p.target}/${p.protocol}`, { port: p.target, protocol: p.protocol }])).values()].sort((a, b) => a.port - b.port || (a.protocol < b.protocol ? -1 : 1));
  const name = ctx.names.claim('NetworkPolicy', `exposed:${unit.service}`, `${unit.name}-exposed`);
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: unitMetadata(unit, name),
    spec: {
      podSelector: { matchLabels: { ...unit.selector } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: unique }],
    },
  };
  ctx.emit(asKube(policy));
}

export const networkPolicyPass: Pass = {
  name: 'network-policy',
  run(ctx) {
    lowerNetworkPolicies(ctx);
  },
};
