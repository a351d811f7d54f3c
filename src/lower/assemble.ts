// Turns ServiceUnits into workload objects and finishes the object list: Namespace, metadata.namespace,
// x-kubernetes patches, config checksums, apply order. This is the only place workloads are built, so every
// pass's contribution (volumes, init containers, env, rollout) ends up in exactly one spec.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { merged, type LowerContext, type KubeObject, type ServiceUnit } from './context.js';
import { isClusterScoped, kindRank, podTemplateOf } from '../model/kube.js';
import { stableJson } from './objects.js';
import { mergeGroup } from './groups.js';
import { CONFIG_CHECKSUM_ANNOTATION, projectLabels } from './metadata.js';
import { sha256Hex } from './names.js';
import { applyJsonPatch } from './patches.js';
import { checkObjectSizes } from './size.js';
import type { PatchSpec } from './settings-types.js';


/** A copy without undefined values and empty arrays. */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  return out as T;
}

function nonEmpty(m: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(m).length ? m : undefined;
}

function podTemplate(unit: ServiceUnit): PodTemplateSpec {
  return {
    metadata: compact({
      labels: merged(unit.labels, unit.podLabels, unit.selector),
      annotations: nonEmpty(unit.podAnnotations),
    }),
    spec: compact({
      ...unit.pod,
      restartPolicy: unit.job?.restartPolicy,
      initContainers: unit.initContainers,
      containers: [unit.container, ...unit.sidecars],
      volumes: unit.volumes,
    }),
  };
}

export function buildWorkload(unit: ServiceUnit): KubeObject {
  const metadata = compact({
    name: unit.name,
    labels: merged(unit.labels, unit.workloadLabels),
    annotations: nonEmpty(merged(unit.annotations, unit.workloadAnnotations)),
  });
  const template = podTemplate(unit);
  const selector = { matchLabels: { ...unit.selector } };
  const rollout = unit.rollout;
  const minReadySeconds = rollout?.type === 'RollingUpdate' ? rollout.minReadySeconds : undefined;
  const rolling = rollout?.type === 'RollingUpdate' ? compact({ maxSurge: rollout.maxSurge, maxUnavailable: rollout.maxUnavailable }) : undefined;
  switch (unit.kind) {
    case 'Deployment':
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: compact({
          replicas: unit.replicas,
          selector,
          // Exactly one strategy; rollingUpdate only with RollingUpdate (B11).
          strategy: rollout ? (rollout.type === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: rolling }) : undefined,
          minReadySeconds,
          template,
        }),
      };
    case 'StatefulSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata,
        spec: compact({
          serviceName: unit.headlessServiceName,
          replicas: unit.replicas,
          selector,
          minReadySeconds,
          template,
          volumeClaimTemplates: unit.volumeClaimTemplates,
        }),
      };
    case 'DaemonSet':
      return {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata,
        spec: compact({
          selector,
          updateStrategy: rolling ? { type: 'RollingUpdate', rollingUpdate: rolling } : undefined,
          minReadySeconds,
          template,
        }),
      };
    case 'Job':
      return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: jobSpec(unit, template) };
    case 'CronJob': {
      const cron = unit.cron!;
      return {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata,
        spec: compact({
          schedule: cron.schedule,
          timeZone: cron.timeZone,
          concurrencyPolicy: cron.concurrencyPolicy,
          startingDeadlineSeconds: cron.startingDeadlineSeconds,
          successfulJobsHistoryLimit: cron.successfulJobsHistoryLimit,
          failedJobsHistoryLimit: cron.failedJobsHistoryLimit,
          suspend: cron.suspend,
          jobTemplate: { metadata: { labels: { ...unit.labels } }, spec: jobSpec(unit, template) },
        }),
      };
    }
  }
}

function jobSpec(unit: ServiceUnit, template: PodTemplateSpec): Record<string, unknown> {
  const job = unit.job!;
  return compact({
    backoffLimit: job.backoffLimit,
    completions: job.completions,
    parallelism: job.parallelism,
    activeDeadlineSeconds: job.activeDeadlineSeconds,
    ttlSecondsAfterFinished: job.ttlSecondsAfterFinished,
    template,
  });
}

/** Checksum of the data of the ConfigMaps and Secrets a pod uses, so that editing them rolls the pods. */
export function configChecksum(refs: Iterable<string>, objects: readonly KubeObject[], index = indexObjects(objects)): string | undefined {
  const sorted = [...refs].sort();
  if (!sorted.length) return undefined;
  let hashed = '';
  for (const ref of sorted) {
    const [kind, name] = ref.split('/');
    const obj = index.get(`${kind}\0${name}`);
    // A referenced object that is not emitted (e.g. an external Secret) contributes only its name.
    const data = obj ? { data: obj.data ?? null, binaryData: obj.binaryData ?? null, stringData: obj.stringData ?? null } : null;
    hashed += `${ref}\0${stableJson(data)}\0`;
  }
  return sha256Hex(hashed);
}

/** The first object of each kind and name, as `objects.find` would return it. */
function indexObjects(objects: readonly KubeObject[]): Map<string, KubeObject> {
  const index = new Map<string, KubeObject>();
  for (const o of objects) {
    const key = `${o.kind}\0${o.metadata.name}`;
    if (!index.has(key)) index.set(key, o);
  }
  return index;
}


export function sortForApply(objects: KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => {
    const r = kindRank(a.kind) - kindRank(b.kind);
    if (r) return r;
    if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
}

function applyPatches(ctx: LowerContext, objects: KubeObject[], patches: PatchSpec[], defaultName?: (kind: string) => string): KubeObject[] {
  let out = objects;
  for (const spec of patches) {
    const name = spec.target.name ?? defaultName?.(spec.target.kind);
    let matched = 0;
    out = out.map((o) => {
      if (o.kind !== spec.target.kind || (name !== undefined && o.metadata.name !== name)) return o;
      matched++;
      try {
        return applyJsonPatch(o, spec.patch);
      } catch (e) {
        ctx.diagnostics.error('patch.failed', `patch for ${o.kind}/${o.metadata.name} failed: ${(e as Error).message}`, { path: spec.origin });
        return o;
      }
    });
    if (!matched) ctx.diagnostics.warn('patch.no-target', `patch target ${spec.target.kind}/${name ?? '*'} matches no object`, { path: spec.origin });
  }
  return out;
}

/** Kinds whose per-service object is the pod's: a group member's patches target the group's by default. */
const POD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'ServiceAccount']);

/** One unit per pod: each service's own, or a group's members merged into one (groups.ts). */
function podUnits(ctx: LowerContext): ServiceUnit[] {
  const out: ServiceUnit[] = [];
  const done = new Set<string>();
  for (const unit of ctx.units.values()) {
    if (!unit.group) out.push(unit);
    else if (!done.has(unit.group.name)) {
      done.add(unit.group.name);
      out.push(mergeGroup(ctx, unit.group));
    }
  }
  return out;
}

/** The final object list, in apply order. */
export function assemble(ctx: LowerContext): KubeObject[] {
  const pods = podUnits(ctx);
  let objects: KubeObject[] = [...ctx.emitted(), ...pods.map(buildWorkload)];
  if (ctx.namespace) {
    objects.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ctx.namespace, labels: merged(projectLabels(ctx.project.name), ctx.namespaceLabels) } });
    objects = objects.map((o) => (isClusterScoped(o) ? o : merged<KubeObject>(o, { metadata: merged<KubeObject['metadata']>(o.metadata, { namespace: ctx.namespace }) })));
  }
  objects = applyPatches(ctx, objects, ctx.settings.project.patches);
  for (const unit of ctx.units.values()) {
    objects = applyPatches(ctx, objects, unit.settings.patches, (kind) => (POD_KINDS.has(kind) ? unit.workload : unit.name));
  }
  // Checksums last, over the final (patched) ConfigMaps and Secrets. Setting them changes no kind or name.
  const index = indexObjects(objects);
  for (const unit of pods) {
    const sum = configChecksum(unit.configRefs, objects, index);
    if (!sum) continue;
    const workload = index.get(`${unit.kind}\0${unit.name}`);
    if (workload) setChecksum(workload, sum);
  }
  // Sizes of the final objects, each located at the Compose path it comes from.
  const podOf = new Map(pods.map((u) => [`${u.kind}\0${u.name}`, u]));
  checkObjectSizes(ctx, objects, (o, largest) => {
    const pod = podOf.get(`${o.kind}\0${o.metadata.name}`);
    return pod ? workloadOrigin(ctx, pod, largest) : ctx.originOf(o);
  });
  return sortForApply(objects);
}

/**
 * Where in Compose a workload's largest field comes from: `services.<svc>.environment.<VAR>` or
 * `.labels`/`.annotations` when it is one of those, else the service of the container (in a group: the member).
 */
function workloadOrigin(ctx: LowerContext, unit: ServiceUnit, largest: string): string {
  const members = unit.group ? unit.group.members.map((m) => ctx.units.get(m)!) : [unit];
  const container = /containers\[name=([^\]]+)\]/.exec(largest)?.[1];
  const owner = members.find((m) => m.name === container) ?? members[0]!;
  const env = /\.env\[name=([^\]]+)\]/.exec(largest)?.[1];
  if (env !== undefined && container !== undefined) {
    const environment = owner.compose.environment;
    return environment && env in environment ? `${owner.path}.environment.${env}` : owner.path;
  }
  const annotation = /template\.metadata\.annotations\.(.+)$/.exec(largest)?.[1];
  if (annotation !== undefined) {
    const by = members.find((m) => m.compose.labels?.[annotation] !== undefined || m.compose.annotations?.[annotation] !== undefined);
    if (by) return `${by.path}.${by.compose.labels?.[annotation] !== undefined ? 'labels' : 'annotations'}.${annotation}`;
  }
  return owner.path;
}

function setChecksum(workload: KubeObject, sum: string): void {
  const template = podTemplateOf(workload);
  if (!template) return;
  template.metadata = merged(template.metadata, { annotations: merged(template.metadata?.annotations, { [CONFIG_CHECKSUM_ANNOTATION]: sum }) });
}
