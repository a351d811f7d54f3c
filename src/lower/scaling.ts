// Replicas, resources, rollout strategy, placement and autoscaling.

import type { HorizontalPodAutoscaler, MetricSpec } from 'kubernetes-types/autoscaling/v2.js';
import type { NodeSelectorRequirement, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { asKube, podOwner, setResource, unitMetadata, workloadRef, type LowerContext, type Rollout, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import type { MetricTarget } from './settings-types.js';
import { bytesToQuantity, cpusToQuantity, durationSeconds, inRange } from './units.js';
import { merged } from './objects.js';

const HOSTNAME = 'kubernetes.io/hostname';
const ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

function lowerReplicas(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const fromSettings = unit.settings.replicas;
  const replicas = fromSettings ?? s.deploy?.replicas ?? s.scale;
  const sources = [s.deploy?.replicas !== undefined && `${unit.path}.deploy.replicas`, s.scale !== undefined && `${unit.path}.scale`].filter(
    (x): x is string => Boolean(x),
  );
  if (replicas === undefined) return;
  // The path of the value used: x-kubernetes beats deploy.replicas beats scale.
  const used = fromSettings !== undefined ? unit.settings.origin.replicas : s.deploy?.replicas !== undefined ? `${unit.path}.deploy.replicas` : `${unit.path}.scale`;
  if (!inRange(ctx, replicas, used, 'replicas')) {
    for (const path of sources) if (path !== used) ctx.report.ignored(path, `overridden by ${used}, which is out of range`, true);
    return;
  }
  const to = `${workloadRef(unit)}`;
  if (unit.kind === 'DaemonSet') {
    for (const path of sources) ctx.report.ignored(path, 'a DaemonSet runs one pod per node');
    return;
  }
  if (unit.kind === 'Job' || unit.kind === 'CronJob') {
    // N one-shot containers: N pods that must each complete once.
    if (replicas !== 1) unit.job = merged(unit.job!, { parallelism: replicas, completions: replicas });
    for (const path of sources) ctx.report.mapped(path, `${to} parallelism/completions`);
    return;
  }
  unit.replicas = replicas;
  for (const path of sources) {
    if (fromSettings !== undefined) ctx.report.approximated(path, `${to} replicas`, `overridden by ${unit.settings.origin.replicas}`);
    else ctx.report.mapped(path, `${to} replicas`);
  }
}

function lowerResources(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const res = s.deploy?.resources;
  const c = unit.container;
  const to = `${workloadRef(unit)} resources`;
  // deploy.resources wins over the service-level keys (Compose requires them to agree anyway).
  const limitCpus = res?.limits?.cpus ?? s.cpus;
  const limitMemory = res?.limits?.memory ?? s.mem_limit;
  const requestCpus = res?.reservations?.cpus;
  const requestMemory = res?.reservations?.memory ?? s.mem_reservation;
  if (limitCpus !== undefined) setResource(c, 'limits', 'cpu', cpusToQuantity(limitCpus));
  if (limitMemory !== undefined) setResource(c, 'limits', 'memory', bytesToQuantity(limitMemory));
  if (requestCpus !== undefined) setResource(c, 'requests', 'cpu', cpusToQuantity(requestCpus));
  if (requestMemory !== undefined) setResource(c, 'requests', 'memory', bytesToQuantity(requestMemory));
  for (const key of ['cpus', 'mem_limit', 'mem_reservation'] as const) {
    if (s[key] !== undefined) ctx.report.mapped(`${unit.path}.${key}`, `${to}.${key === 'mem_reservation' ? 'requests' : 'limits'}`);
  }
  if (res) {
    const lost = [
      res.limits?.pids !== undefined && 'limits.pids (a node-level setting in Kubernetes)',
      res.limits?.devices?.length && 'limits.devices',
      res.reservations?.generic_resources?.length && 'reservations.generic_resources',
    ].filter(Boolean);
    if (lost.length) ctx.report.approximated(`${unit.path}.deploy.resources`, to, `not mapped: ${lost.join(', ')}`);
    else ctx.report.mapped(`${unit.path}.deploy.resources`, to);
  }
  const { limits, requests } = unit.settings.resources;
  for (const [k, v] of Object.entries(limits).sort()) setResource(c, 'limits', k, v);
  for (const [k, v] of Object.entries(requests).sort()) setResource(c, 'requests', k, v);
}

/** update_config -> one rollout, computed once (B11); `order` decides which of maxSurge/maxUnavailable is 0 (B12). */
export function rolloutFrom(update: NonNullable<NonNullable<ServiceUnit['compose']['deploy']>['update_config']>): Rollout {
  const parallelism = update.parallelism ?? 1;
  const step: number | string = parallelism === 0 ? '100%' : parallelism;
  const minReadySeconds = update.delay !== undefined ? durationSeconds(update.delay) : undefined;
  const base = update.order === 'start-first' ? { maxSurge: step, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: step };
  return { type: 'RollingUpdate', ...base, ...(minReadySeconds ? { minReadySeconds } : {}) };
}

function lowerRollout(ctx: LowerContext, unit: ServiceUnit): void {
  const deploy = unit.compose.deploy;
  const path = `${unit.path}.deploy.update_config`;
  if (deploy?.rollback_config) {
    ctx.report.ignored(`${unit.path}.deploy.rollback_config`, 'Kubernetes rolls back only on request (kubectl rollout undo)');
  }
  const update = deploy?.update_config;
  if (!update) return;
  if (unit.kind === 'Job' || unit.kind === 'CronJob') {
    ctx.report.ignored(path, `a ${unit.kind} is not rolled out`);
    return;
  }
  if (update.parallelism !== undefined && !inRange(ctx, update.parallelism, `${path}.parallelism`, 'update parallelism')) return;
  const delay = update.delay !== undefined ? durationSeconds(update.delay) : undefined;
  if (delay !== undefined && !inRange(ctx, delay, `${path}.delay`, 'update delay (minReadySeconds)')) return;
  unit.rollout = rolloutFrom(update);
  const lost = [
    update.delay !== undefined && 'delay (approximated by minReadySeconds)',
    update.failure_action !== undefined && 'failure_action',
    update.monitor !== undefined && 'monitor',
    update.max_failure_ratio !== undefined && 'max_failure_ratio',
    unit.kind === 'StatefulSet' && 'parallelism (StatefulSets update one pod at a time)',
  ].filter(Boolean);
  const to = `${workloadRef(unit)} strategy`;
  if (lost.length) ctx.report.approximated(path, to, `not mapped exactly: ${lost.join(', ')}`);
  else ctx.report.mapped(path, to);
}

/** A swarm placement field as a node label key. */
function nodeLabelKey(field: string): string | undefined {
  if (field === 'node.hostname') return HOSTNAME;
  if (field.startsWith('node.labels.')) return field.slice('node.labels.'.length);
  if (field === 'engine.labels.operatingsystem' || field === 'node.platform.os') return 'kubernetes.io/os';
  if (field === 'node.platform.arch') return 'kubernetes.io/arch';
  return undefined;
}

function lowerPlacement(ctx: LowerContext, unit: ServiceUnit): void {
  const placement = unit.compose.deploy?.placement;
  if (!placement) return;
  const base = `${unit.path}.deploy.placement`;
  const to = `${workloadRef(unit)}`;
  const notes: string[] = [];
  let mapped = false;

  const requirements: NodeSelectorRequirement[] = [];
  for (const constraint of placement.constraints ?? []) {
    const m = /^\s*([\w.-]+)\s*(==|!=)\s*(.+?)\s*$/.exec(constraint);
    const key = m ? nodeLabelKey(m[1]!) : undefined;
    if (!m || !key) {
      notes.push(`constraint "${constraint}" has no node-label equivalent`);
      continue;
    }
    const value = key === 'kubernetes.io/arch' ? (ARCH[m[3]!] ?? m[3]!) : m[3]!;
    requirements.push({ key, operator: m[2] === '==' ? 'In' : 'NotIn', values: [value] });
  }
  if (requirements.length) {
    unit.pod.affinity = merged(unit.pod.affinity, {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: requirements }] } },
    });
    mapped = true;
  }

  const spread: TopologySpreadConstraint[] = [];
  if (placement.preferences?.length) {
    if (unit.kind === 'DaemonSet') notes.push('spread preferences do not apply to a DaemonSet');
    else {
      for (const pref of placement.preferences) {
        const key = nodeLabelKey(pref.spread);
        if (!key) notes.push(`spread "${pref.spread}" has no node-label equivalent`);
        else spread.push({ maxSkew: 1, topologyKey: key, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...unit.selector } } });
      }
    }
  }
  const perNode = placement.max_replicas_per_node;
  // 0 is Swarm's "no limit".
  if (perNode === 0) mapped = true;
  else if (perNode !== undefined && unit.kind !== 'DaemonSet' && inRange(ctx, perNode, `${base}.max_replicas_per_node`, 'max_replicas_per_node', 1)) {
    if (perNode === 1) {
      // Exactly "at most one per node".
      unit.pod.affinity = merged(unit.pod.affinity, {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...unit.selector } }, topologyKey: HOSTNAME }] },
      });
    } else {
      spread.push({ maxSkew: perNode, topologyKey: HOSTNAME, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { ...unit.selector } } });
      notes.push(`max_replicas_per_node ${perNode} becomes a node spread with maxSkew ${perNode}, not a hard cap`);
    }
    mapped = true;
  }
  if (spread.length) {
    unit.pod.topologySpreadConstraints = [...(unit.pod.topologySpreadConstraints ?? []), ...spread];
    mapped = true;
  }
  if (notes.length) ctx.diagnostics.warn('placement.approximated', `${unit.service}: ${notes.join('; ')}`, { path: base });
  if (!mapped && !notes.length) ctx.report.ignored(base, 'max_replicas_per_node is out of range', true);
  else if (!mapped) ctx.report.ignored(base, notes.join('; '));
  else if (notes.length) ctx.report.approximated(base, `${to} affinity/topologySpreadConstraints`, notes.join('; '));
  else ctx.report.mapped(base, `${to} affinity/topologySpreadConstraints`);
}

/** Default requests when utilization targets need one and Compose gives neither reservation nor limit. */
export const DEFAULT_REQUEST: Record<'cpu' | 'memory', string> = { cpu: '100m', memory: '128Mi' };

function metric(resource: 'cpu' | 'memory', target: MetricTarget): MetricSpec {
  return {
    type: 'Resource',
    resource: {
      name: resource,
      target: 'utilization' in target ? { type: 'Utilization', averageUtilization: target.utilization } : { type: 'AverageValue', averageValue: target.averageValue },
    },
  };
}

/** The metrics an autoscale setting asks for (CPU utilization 50% when none is given). */
export function autoscaleTargets(auto: NonNullable<ServiceUnit['settings']['autoscale']>): ['cpu' | 'memory', MetricTarget][] {
  const targets: ['cpu' | 'memory', MetricTarget][] = [];
  if (auto.cpu) targets.push(['cpu', auto.cpu]);
  if (auto.memory) targets.push(['memory', auto.memory]);
  if (!targets.length) targets.push(['cpu', { utilization: 50 }]);
  return targets;
}

/** HPA (B17): targets the real workload kind, ensures requests exist, and takes `replicas` away from the workload. */
function lowerAutoscale(ctx: LowerContext, unit: ServiceUnit): void {
  const auto = unit.settings.autoscale;
  if (!auto) return;
  const origin = unit.settings.origin.autoscale;
  if (unit.kind !== 'Deployment' && unit.kind !== 'StatefulSet') {
    ctx.diagnostics.warn('hpa.not-scalable', `${unit.service}: a ${unit.kind} cannot be autoscaled; autoscale is ignored`, { path: origin });
    return;
  }
  // A group's pod has one autoscaler: the first member asking emits it (a second one is a merge error).
  const first = unit.group?.members.map((m) => ctx.units.get(m)!).find((m) => m.settings.autoscale);
  if (first && first !== unit) {
    unit.replicas = undefined;
    return;
  }
  const min = auto.min ?? unit.replicas ?? 1;
  const max = auto.max ?? Math.max(min, 3);
  if (!inRange(ctx, min, origin, 'autoscale min', 1) || !inRange(ctx, max, origin, 'autoscale max', 1)) return;
  if (max < min) {
    ctx.diagnostics.error('hpa.range', `${unit.service}: autoscale max (${max}) is below min (${min})`, { path: origin });
    return;
  }
  const targets = autoscaleTargets(auto);
  for (const [resource, target] of targets) {
    if (!('utilization' in target) || unit.container.resources?.requests?.[resource]) continue;
    const limit = unit.container.resources?.limits?.[resource];
    setResource(unit.container, 'requests', resource, limit ?? DEFAULT_REQUEST[resource]);
    if (!limit) {
      ctx.diagnostics.warn('hpa.default-request', `${unit.service}: utilization-based autoscaling needs a ${resource} request; using ${DEFAULT_REQUEST[resource]} (set deploy.resources.reservations)`, { path: origin });
    }
  }
  unit.replicas = undefined;
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: unitMetadata(podOwner(unit)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: unit.kind, name: unit.workload },
      minReplicas: min,
      maxReplicas: max,
      metrics: targets.map(([r, t]) => metric(r, t)),
    },
  };
  ctx.emit(asKube(hpa));
}

export const scalingPass: Pass = {
  name: 'scaling',
  run(ctx) {
    for (const unit of ctx.units.values()) {
      lowerReplicas(ctx, unit);
      lowerResources(ctx, unit);
      lowerRollout(ctx, unit);
      lowerPlacement(ctx, unit);
      lowerAutoscale(ctx, unit);
    }
  },
};
