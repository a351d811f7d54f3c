// Volumes:
// - one PVC per NAMED volume, however many services mount it (ReadWriteMany when shared, with a warning);
//   size, storage class, access modes and selector from the volume's x-kubernetes / kompose labels, then the
//   using services' settings, then the options; external volumes and `existingClaim` reference an existing
//   claim (nothing emitted); a StatefulSet's own volumes become volumeClaimTemplates;
// - anonymous volumes -> emptyDir; tmpfs -> memory emptyDir with sizeLimit;
// - bind mounts: files and small directories -> a ConfigMap (bind-mounts.ts), the rest -> emptyDir with a
//   warning, or hostPath only with allowHostPaths; the Docker socket is flagged and not mounted;
// - read_only, volume.subpath and kompose.volume.subpath honoured; volumes_from mounts the same volumes;
// - a Deployment using a ReadWriteOnce claim gets the Recreate strategy (a rolling update would deadlock on
//   the attachment), and several replicas of it are a multi-attach warning.

import type { PersistentVolumeClaim, PersistentVolumeClaimSpec, Volume, VolumeMount } from 'kubernetes-types/core/v1.js';
import type { ServiceVolume } from '../model/project.js';
import { configMapData, triageBind, type BindTriage } from './bind-mounts.js';
import { addMount, addVolume, asKube, unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { isControlLabel, projectLabels } from './metadata.js';
import { toKubeName } from './names.js';
import type { Pass } from './pass.js';
import { bytesToQuantity } from './units.js';
import { merged } from './objects.js';

interface Entry {
  volume: ServiceVolume;
  /** Report path of the entry (`services.a.volumes[0]` or `services.a.volumes_from[0]`). */
  path: string;
  /** Came through volumes_from (from this service). */
  from?: string;
}

/** A service's volume entries, its own first, then those of volumes_from (recursively, read-only when `:ro`). */
export function volumeEntries(ctx: LowerContext, unit: ServiceUnit): Entry[] {
  const out: Entry[] = [];
  const visit = (service: string, base: string, via: { from: string; ro: boolean; path: string } | undefined, seen: Set<string>) => {
    const svc = ctx.project.services[service];
    if (!svc || seen.has(service)) return;
    seen.add(service);
    (svc.volumes ?? []).forEach((v, i) => {
      if (!via) out.push({ volume: v, path: `${base}.volumes[${i}]` });
      else out.push({ volume: via.ro ? merged(v, { read_only: true }) : v, path: via.path, from: via.from });
    });
    (svc.volumes_from ?? []).forEach((spec, i) => {
      const parts = spec.split(':');
      if (parts[0] === 'container') return;
      const ro = parts[1] === 'ro' ? true : via?.ro ?? false;
      visit(parts[0]!, `services.${parts[0]}`, { from: parts[0]!, ro, path: via?.path ?? `${base}.volumes_from[${i}]` }, seen);
    });
  };
  visit(unit.service, unit.path, undefined, new Set());
  return out;
}

interface ClaimPlan {
  volume: string;
  users: string[];
  /** Only one StatefulSet uses it: a volumeClaimTemplate. */
  template?: ServiceUnit;
  /** An existing claim (external, existingClaim): referenced, not emitted. */
  existing?: string;
  claimName: string;
  spec: PersistentVolumeClaimSpec;
  notes: string[];
}

function explicit(origin: string | undefined): boolean {
  return origin !== undefined && !origin.startsWith('option:') && origin !== 'default';
}

function planClaims(ctx: LowerContext, entries: Map<ServiceUnit, Entry[]>): Map<string, ClaimPlan> {
  const users = new Map<string, ServiceUnit[]>();
  for (const [unit, list] of entries) {
    for (const e of list) {
      if (e.volume.type !== 'volume' || !e.volume.source) continue;
      if (unit.settings.volumeType && unit.settings.volumeType !== 'persistentVolumeClaim') continue;
      const u = users.get(e.volume.source) ?? [];
      if (!u.includes(unit)) u.push(unit);
      users.set(e.volume.source, u);
    }
  }
  const plans = new Map<string, ClaimPlan>();
  for (const [volume, us] of [...users].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const top = ctx.project.volumes?.[volume];
    const vs = ctx.settings.volumes[volume] ?? { origin: {} };
    const notes: string[] = [];
    const byService = (pick: (u: ServiceUnit) => [unknown, string | undefined]) => us.map(pick).find(([v, o]) => v !== undefined && explicit(o))?.[0];
    // Shared between pods; the containers of one group's pod share a volume as one pod.
    const shared = new Set(us.map((u) => u.workload)).size > 1;
    const accessModes = vs.accessModes ?? (byService((u) => [u.settings.accessModes, u.settings.origin.accessModes]) as string[] | undefined) ?? [shared ? 'ReadWriteMany' : 'ReadWriteOnce'];
    const size = vs.size ?? (byService((u) => [u.settings.volumeSize, u.settings.origin.volumeSize]) as string | undefined) ?? ctx.options.volumeSize;
    const storageClass = vs.storageClass ?? (byService((u) => [u.settings.storageClass, u.settings.origin.storageClass]) as string | undefined) ?? ctx.options.storageClass;
    if (shared && !vs.accessModes) {
      ctx.diagnostics.warn('storage.shared-volume', `volume ${volume} is used by ${us.map((u) => u.service).join(', ')}: its claim is ReadWriteMany, which the storage class must support (set x-kubernetes.accessModes on the volume to choose)`, { path: `volumes.${volume}` });
      notes.push(`shared by ${us.map((u) => u.service).join(', ')}: ReadWriteMany`);
    }
    const spec: PersistentVolumeClaimSpec = {
      accessModes,
      resources: { requests: { storage: size } },
      ...(storageClass ? { storageClassName: storageClass } : {}),
      ...(vs.selector ? { selector: { matchLabels: vs.selector } } : {}),
    };
    let existing: string | undefined;
    if (top?.external) {
      existing = vs.existingClaim ?? toKubeName(top.name ?? volume);
      ctx.diagnostics.warn('storage.external-volume', `volume ${volume} is external: the PersistentVolumeClaim "${existing}" must already exist in the namespace`, { path: `volumes.${volume}` });
    } else if (vs.existingClaim) existing = vs.existingClaim;
    const onlySts = !shared && us.every((u) => u.kind === 'StatefulSet') && !existing;
    if (us.some((u) => u.kind === 'StatefulSet') && !onlySts && !existing) {
      ctx.diagnostics.warn('storage.statefulset-shared', `volume ${volume} is shared with other services: the StatefulSet's pods all mount one claim instead of one claim each`, { path: `volumes.${volume}` });
    }
    plans.set(volume, {
      volume,
      users: us.map((u) => u.service),
      ...(onlySts ? { template: us[0]! } : {}),
      ...(existing ? { existing } : {}),
      claimName: existing ?? ctx.names.volume(volume),
      spec,
      notes,
    });
  }
  return plans;
}

function emitClaims(ctx: LowerContext, plans: Map<string, ClaimPlan>): void {
  for (const plan of plans.values()) {
    const path = `volumes.${plan.volume}`;
    const top = ctx.project.volumes?.[plan.volume];
    const lost: string[] = [];
    if (top?.driver && top.driver !== 'local') lost.push(`driver ${top.driver} (storage comes from the StorageClass)`);
    if (top?.driver_opts && Object.keys(top.driver_opts).length) lost.push('driver_opts (configure the StorageClass or a PersistentVolume instead)');
    if (lost.length) ctx.diagnostics.warn('storage.driver', `volume ${plan.volume}: ${lost.join('; ')} cannot be kept`, { path });
    const annotations = Object.fromEntries(Object.entries(top?.labels ?? {}).filter(([k]) => !isControlLabel(k)));
    if (plan.existing) {
      ctx.report.approximated(path, `PersistentVolumeClaim/${plan.existing} (existing)`, 'references an existing claim; nothing is emitted');
      continue;
    }
    if (plan.template) {
      const to = `StatefulSet/${plan.template.workload} volumeClaimTemplate ${plan.claimName}`;
      plan.template.volumeClaimTemplates.push({
        metadata: { name: plan.claimName, ...(Object.keys(annotations).length ? { annotations } : {}) },
        spec: plan.spec,
      });
      if (lost.length) ctx.report.approximated(path, to, lost.join('; '));
      else ctx.report.mapped(path, to);
      continue;
    }
    const pvc: PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: plan.claimName, labels: projectLabels(ctx.project.name), ...(Object.keys(annotations).length ? { annotations } : {}) },
      spec: plan.spec,
    };
    ctx.emit(asKube(pvc));
    const to = `PersistentVolumeClaim/${plan.claimName}`;
    const why = [...plan.notes, ...lost];
    if (why.length) ctx.report.approximated(path, to, why.join('; '));
    else ctx.report.mapped(path, to);
  }
  // Top-level volumes nobody mounts as a claim (only through emptyDir settings, or unused).
  for (const name of Object.keys(ctx.project.volumes ?? {})) {
    if (!plans.has(name)) ctx.report.approximated(`volumes.${name}`, '(no claim)', 'no service mounts it as a persistent volume');
  }
}

/** Pod-volume names unique within the unit. */
class PodVolumes {
  private readonly used: Set<string>;
  private readonly byKey = new Map<string, string>();
  constructor(unit: ServiceUnit) {
    this.used = new Set(unit.volumes.map((v) => v.name));
  }
  name(key: string, desired: string): { name: string; fresh: boolean } {
    const known = this.byKey.get(key);
    if (known) return { name: known, fresh: false };
    const base = toKubeName(desired);
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = toKubeName(`${base.slice(0, 58)}-${i}`);
    this.used.add(name);
    this.byKey.set(key, name);
    return { name, fresh: true };
  }
}

interface Outcome {
  status: 'mapped' | 'approximated' | 'ignored';
  to: string;
  why?: string;
}

function lowerUnitVolumes(ctx: LowerContext, unit: ServiceUnit, entries: Entry[], plans: Map<string, ClaimPlan>): { rwo: boolean } {
  const pv = new PodVolumes(unit);
  const outcomes = new Map<string, Outcome[]>();
  const record = (path: string, o: Outcome) => outcomes.set(path, [...(outcomes.get(path) ?? []), o]);
  const to = workloadRef(unit);
  const st = unit.settings;
  let rwo = false;
  const subpathAll = st.volumeSubpath;
  if (subpathAll !== undefined && entries.length > 1) {
    ctx.diagnostics.warn('storage.subpath-all', `${unit.service}: kompose.volume.subpath applies one subPath (${subpathAll}) to all ${entries.length} mounts`, { path: st.origin.volumeSubpath });
  }
  const mount = (m: VolumeMount) => addMount(unit.container, m);
  const emptyDir = (e: Entry, key: string, desired: string, why: string, status: Outcome['status'] = 'approximated') => {
    const { name, fresh } = pv.name(key, desired);
    if (fresh) {
      addVolume(unit, { name, emptyDir: {} });
      unit.emptyDirKeys[name] = key;
    }
    mount({ name, mountPath: e.volume.target, ...(e.volume.read_only ? { readOnly: true } : {}), ...(subpathAll ? { subPath: subpathAll } : {}) });
    record(e.path, { status, to: `${to} emptyDir ${name}`, why });
  };

  entries.forEach((e, i) => {
    const v = e.volume;
    const ro = v.read_only ? { readOnly: true } : {};
    const fromNote = e.from ? `from ${e.from} (volumes_from): ` : '';
    switch (v.type) {
      case 'volume': {
        if (!v.source) {
          // Keyed by its owner: through volumes_from in one group's pod it is the same volume.
          const samePod = e.from !== undefined && ctx.units.get(e.from)?.workload === unit.workload;
          emptyDir(e, `anon:${e.from ?? unit.service}:${v.target}`, `anon-${i + 1}`, `${fromNote}an anonymous volume lives as long as the pod`, e.from && !samePod ? 'approximated' : 'mapped');
          if (e.from && !samePod) ctx.diagnostics.warn('storage.volumes-from-anonymous', `${unit.service}: the anonymous volume ${v.target} of ${e.from} cannot be shared between pods; it gets its own empty volume`, { path: e.path });
          return;
        }
        if (st.volumeType === 'emptyDir') {
          emptyDir(e, `named:${v.source}`, v.source, `${st.origin.volumeType} makes every volume an emptyDir`);
          return;
        }
        const plan = plans.get(v.source)!;
        const { name, fresh } = plan.template ? { name: plan.claimName, fresh: false } : pv.name(`named:${v.source}`, plan.claimName);
        if (fresh) addVolume(unit, { name, persistentVolumeClaim: { claimName: plan.claimName } });
        const subPath = v.volume?.subpath ?? subpathAll;
        mount({ name, mountPath: v.target, ...ro, ...(subPath ? { subPath } : {}) });
        if (plan.spec.accessModes?.some((m) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod') && !plan.template) rwo = true;
        const dest = plan.template ? `volumeClaimTemplate ${name}` : `PersistentVolumeClaim/${plan.claimName}`;
        const notes = [fromNote && `${fromNote}the same claim`, v.volume?.nocopy === false && 'Kubernetes never copies image content into a volume'].filter(Boolean) as string[];
        record(e.path, notes.length ? { status: 'approximated', to: `${to} ${dest}`, why: notes.join('; ') } : { status: 'mapped', to: `${to} ${dest}` });
        return;
      }
      case 'tmpfs': {
        const { name, fresh } = pv.name(`tmpfs:${v.target}`, `tmpfs-mount-${i + 1}`);
        const sizeLimit = v.tmpfs?.size !== undefined ? bytesToQuantity(v.tmpfs.size) : undefined;
        if (fresh) addVolume(unit, { name, emptyDir: { medium: 'Memory', ...(sizeLimit ? { sizeLimit } : {}) } });
        mount({ name, mountPath: v.target, ...ro });
        const why = [fromNote, v.tmpfs?.mode !== undefined && 'tmpfs mode is not supported (the kubelet decides permissions)'].filter(Boolean).join('');
        record(e.path, why ? { status: 'approximated', to: `${to} memory emptyDir ${name}`, why } : { status: 'mapped', to: `${to} memory emptyDir ${name}` });
        return;
      }
      case 'bind':
        lowerBind(ctx, unit, e, i, pv, record, emptyDir);
        return;
      case 'npipe':
        record(e.path, { status: 'ignored', to: '', why: 'Windows named pipes cannot be mounted into pods' });
        return;
      case 'image':
        record(e.path, { status: 'ignored', to: '', why: 'image volumes need the Kubernetes ImageVolume feature; not emitted' });
        return;
      default:
        record(e.path, { status: 'ignored', to: '', why: `volume type ${v.type} has no Kubernetes equivalent` });
    }
  });
  for (const [path, list] of outcomes) {
    // Several entries under one path come from volumes_from: ignored only when nothing of it was mounted.
    const worst = list.every((o) => o.status === 'ignored') ? list[0]! : list.find((o) => o.status !== 'mapped') ?? list[0]!;
    const tos = [...new Set(list.map((o) => o.to).filter(Boolean))].join(', ');
    const whys = [...new Set(list.map((o) => o.why).filter(Boolean))].join('; ');
    if (worst.status === 'ignored') ctx.report.ignored(path, whys);
    else if (worst.status !== 'mapped') ctx.report.approximated(path, tos, whys);
    else ctx.report.mapped(path, tos);
  }
  (unit.compose.volumes_from ?? []).forEach((spec, i) => {
    const path = `${unit.path}.volumes_from[${i}]`;
    if (spec.startsWith('container:')) ctx.report.ignored(path, 'containers outside the project do not exist in the cluster');
    else if (!ctx.units.has(spec.split(':')[0]!)) ctx.report.ignored(path, `${spec.split(':')[0]} is not a service of the project`);
    else if (!outcomes.has(path)) ctx.report.mapped(path, `(${spec.split(':')[0]} has no volumes)`);
  });
  for (const key of ['volumes', 'volumes_from'] as const) {
    if (unit.compose[key]?.length === 0) ctx.report.mapped(`${unit.path}.${key}`, '(empty)');
  }
  const elsewhere = (unit.compose.volumes_from ?? []).some((spec) => ctx.units.get(spec.split(':')[0]!)?.workload !== unit.workload);
  if (elsewhere) {
    ctx.diagnostics.warn('storage.volumes-from', `${unit.service}: volumes_from mounts the same claims and ConfigMaps in another pod; anonymous and tmpfs volumes cannot be shared`, { path: `${unit.path}.volumes_from` });
  }
  return { rwo };
}

function lowerBind(
  ctx: LowerContext,
  unit: ServiceUnit,
  e: Entry,
  i: number,
  pv: PodVolumes,
  record: (path: string, o: Outcome) => void,
  emptyDir: (e: Entry, key: string, desired: string, why: string, status?: Outcome['status']) => void,
): void {
  const v = e.volume;
  const source = v.source ?? '';
  const to = workloadRef(unit);
  const st = unit.settings;
  const ro = v.read_only ? { readOnly: true } : {};
  const hostPath = (why: string, type: 'DirectoryOrCreate' | 'Socket' | 'FileOrCreate' | '' = '') => {
    const { name, fresh } = pv.name(`host:${source}`, `host-${i + 1}`);
    if (fresh) addVolume(unit, { name, hostPath: { path: source, ...(type ? { type } : {}) } });
    addMount(unit.container, { name, mountPath: v.target, ...ro, ...(v.bind?.propagation ? { mountPropagation: propagation(v.bind.propagation) } : {}) });
    ctx.diagnostics.warn('storage.host-path', `${unit.service}: ${v.target} is a hostPath on whichever node runs the pod (${why})`, { path: e.path });
    record(e.path, { status: 'approximated', to: `${to} hostPath ${name}`, why: `a path on the node, not on the Docker host (${why})` });
  };
  const fallback = (why: string) => {
    if (ctx.options.allowHostPaths) hostPath(why, 'DirectoryOrCreate');
    else {
      ctx.diagnostics.warn('storage.bind-empty', `${unit.service}: bind mount at ${v.target} becomes an empty volume (${why}); use allowHostPaths for a hostPath or a named volume for data`, { path: e.path });
      emptyDir(e, `bind:${source}`, `bind-${i + 1}`, `bind mount (${why}) becomes an empty volume`);
    }
  };
  if (st.volumeType === 'emptyDir') {
    emptyDir(e, `bind:${source}`, `bind-${i + 1}`, `${st.origin.volumeType} makes every volume an emptyDir`);
    return;
  }
  if (st.volumeType === 'hostPath') {
    if (ctx.options.allowHostPaths) hostPath(`requested by ${st.origin.volumeType}`);
    else fallback('hostPath volumes need the allowHostPaths option');
    return;
  }
  const triage: BindTriage = triageBind(ctx.files, source);
  switch (triage.kind) {
    case 'socket':
      ctx.diagnostics.warn('storage.docker-socket', `${unit.service}: mounting ${source.split('/').pop()} gives the container control of the node's container runtime; ${ctx.options.allowHostPaths ? 'mounted as a hostPath' : 'not mounted (allowHostPaths would mount it)'}`, { path: e.path });
      if (ctx.options.allowHostPaths) hostPath('unsafe: a runtime socket', 'Socket');
      else record(e.path, { status: 'ignored', to: '', why: 'unsafe: a container runtime socket is not mounted (allowHostPaths would mount it as a hostPath)' });
      return;
    case 'file':
    case 'directory': {
      const files = triage.kind === 'file' ? [triage.file] : triage.files;
      const cmName = ctx.names.claim('ConfigMap', `bind:${unit.service}:${source}`, `${unit.name}-${source.split(/[\\/]/).filter(Boolean).pop() ?? 'bind'}`);
      if (!ctx.isEmitted('ConfigMap', cmName)) {
        ctx.emit({ apiVersion: 'v1', kind: 'ConfigMap', metadata: unitMetadata(unit, cmName), ...configMapData(files) }, e.path);
      }
      unit.configRefs.add(`ConfigMap/${cmName}`);
      const { name, fresh } = pv.name(`cm:${cmName}`, cmName);
      const items = triage.kind === 'directory' && files.some((f) => f.key !== f.path) ? files.map((f) => ({ key: f.key, path: f.path })).sort((a, b) => (a.key < b.key ? -1 : 1)) : undefined;
      if (fresh) addVolume(unit, { name, configMap: { name: cmName, ...(items ? { items } : {}) } } as Volume);
      if (triage.kind === 'file') addMount(unit.container, { name, mountPath: v.target, subPath: triage.file.key, readOnly: true });
      else addMount(unit.container, { name, mountPath: v.target, readOnly: true });
      const notes = [
        !v.read_only && 'ConfigMap mounts are read-only; writes in the container fail',
        triage.kind === 'file' && 'a subPath mount does not see later ConfigMap edits (the checksum annotation restarts the pod instead)',
        e.from && `from ${e.from} (volumes_from)`,
      ].filter(Boolean) as string[];
      record(e.path, { status: 'approximated', to: `ConfigMap/${cmName} + ${to} mount`, why: `host content copied at conversion time; ${notes.join('; ')}` });
      return;
    }
    case 'missing':
      fallback('the source does not exist');
      return;
    case 'empty':
      fallback('the source is an empty directory');
      return;
    case 'too-large':
      fallback(`the content is larger than a ConfigMap can hold (${triage.size} bytes)`);
      return;
    case 'unsupported':
      fallback(triage.why);
      return;
  }
}

function propagation(p: string): 'None' | 'HostToContainer' | 'Bidirectional' {
  if (p.startsWith('r')) p = p.slice(1);
  return p === 'shared' ? 'Bidirectional' : p === 'slave' ? 'HostToContainer' : 'None';
}

function replicasOf(unit: ServiceUnit): number {
  return Math.max(unit.replicas ?? 1, unit.settings.autoscale?.max ?? 1, unit.job?.parallelism ?? 1);
}

function applyRwoStrategy(ctx: LowerContext, unit: ServiceUnit): void {
  const path = `${unit.path}.volumes`;
  if (unit.kind === 'DaemonSet' || replicasOf(unit) > 1) {
    ctx.diagnostics.warn('storage.multi-attach', `${unit.service}: ${unit.kind === 'DaemonSet' ? 'a DaemonSet runs a pod per node' : `${replicasOf(unit)} replicas`} share a ReadWriteOnce claim, which attaches to one node only: pods on other nodes stay Pending (use accessModes ReadWriteMany or a StatefulSet)`, { path });
  }
  if (unit.kind !== 'Deployment' || unit.rollout?.type === 'Recreate') return;
  if (unit.rollout?.type === 'RollingUpdate' && unit.compose.deploy?.update_config) {
    ctx.diagnostics.warn('storage.recreate', `${unit.service}: deploy.update_config is replaced by the Recreate strategy because a ReadWriteOnce claim cannot be attached to old and new pods at once`, { path: `${unit.path}.deploy.update_config` });
  }
  unit.rollout = { type: 'Recreate', reason: 'a ReadWriteOnce claim cannot be attached to the old and new pod at once' };
}

export function lowerStorage(ctx: LowerContext): void {
  const entries = new Map<ServiceUnit, Entry[]>();
  for (const unit of ctx.units.values()) entries.set(unit, volumeEntries(ctx, unit));
  const plans = planClaims(ctx, entries);
  emitClaims(ctx, plans);
  for (const [unit, list] of entries) {
    const { rwo } = lowerUnitVolumes(ctx, unit, list, plans);
    if (rwo) applyRwoStrategy(ctx, unit);
  }
}

export const storagePass: Pass = {
  name: 'storage',
  run(ctx) {
    lowerStorage(ctx);
  },
};
