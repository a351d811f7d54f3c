// Service groups (Kompose's `kompose.service.group` and `--service-group-mode label|volume`, without B22):
// several Compose services become containers of ONE pod and ONE workload.
//
// - resolveGroups (before the passes): which services share a pod, and the workload's name. `label`: equal
//   `kompose.service.group` values, named after the value; `volume`: services that mount the same named
//   volume or bind source, one of them read-write (read-only shares such as /etc/localtime do not count),
//   named by `serviceGroupName` or after the members; `none`: never.
// - The passes lower every member as usual into its own ServiceUnit, so each container keeps its own image,
//   command/args, env, probes, ports, resources, pull policy, securityContext and mounts (B22). Members'
//   Services keep their Compose names and select the group's pod, so `web:80` still works.
// - mergeGroup (in the assembler): one pod from the members' pod-level contributions. Rules, decided once:
//   * errors: a different workload kind / job / cron settings (restart policies), replicas, update strategy,
//     serviceAccountName, dnsPolicy, affinity, subdomain, a nodeSelector key or pod securityContext field
//     with two values, two containers on one port, autoscaling on two members (one pod has one of each);
//   * merged: terminationGracePeriodSeconds (the longest), hostAliases, dnsConfig, tolerations,
//     imagePullSecrets, topology spread constraints, nodeSelector keys, sysctls, supplementalGroups;
//   * pod-wide with a warning (`group.pod-wide`): hostNetwork/hostPID/hostIPC and pod securityContext fields
//     set by some members only: they now apply to every container;
//   * first member (service-name order) wins with a warning: hostname (`group.hostname`), pod/workload
//     labels and annotations with one key and two values (`group.metadata-conflict`);
//   * volumes: one pod volume per claim/ConfigMap/Secret/host path, and per shared emptyDir source (a
//     missing bind source or emptyDir volume type); private volumes (anonymous, tmpfs, /dev/shm) are renamed
//     `<member>-<volume>` on a clash; init containers likewise (identical waits are kept once);
//   * a Recreate strategy (ReadWriteOnce claim) of one member applies to the pod;
//   * with an HPA, every container gets the requests utilization targets need.

import type { Container, PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { Diagnostics } from '../model/diagnostics.js';
import type { Project, ServiceVolume } from '../model/project.js';
import { stableJson } from './objects.js';
import { newUnit, setResource, type LowerContext, type PodGroup, type ServiceUnit } from './context.js';
import type { NameTable } from './names.js';
import { toKubeName, withSuffix } from './names.js';
import type { LowerOptions } from './options.js';
import type { Report } from './conversion-report.js';
import { autoscaleTargets, DEFAULT_REQUEST } from './scaling.js';
import type { ResolvedSettings } from './settings.js';
import { merged } from './objects.js';

export interface GroupPlan {
  name: string;
  members: string[];
  why: string;
  origins: Record<string, string>;
}

const SOCKET = /\.sock$/;

/** The named volumes and bind sources a service mounts (own and through volumes_from), with whether it may write. */
function sharedMounts(project: Project, service: string): { key: string; writable: boolean }[] {
  const out: { key: string; writable: boolean }[] = [];
  const visit = (name: string, ro: boolean, seen: Set<string>) => {
    const svc = project.services[name];
    if (!svc || seen.has(name)) return;
    seen.add(name);
    for (const v of svc.volumes ?? []) {
      const key = mountKey(v);
      if (key) out.push({ key, writable: !ro && !v.read_only });
    }
    for (const spec of svc.volumes_from ?? []) {
      const [source, mode] = spec.split(':');
      if (source !== 'container') visit(source!, ro || mode === 'ro', seen);
    }
  };
  visit(service, false, new Set());
  return out;
}

function mountKey(v: ServiceVolume): string | undefined {
  if (!v.source) return undefined;
  if (v.type === 'volume') return `volume:${v.source}`;
  if (v.type === 'bind' && !SOCKET.test(v.source)) return `bind:${v.source}`;
  return undefined;
}

/** Services sharing a writable volume, as connected components (each sorted, only those with 2+ members). */
function volumeComponents(project: Project): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const services = Object.keys(project.services).sort();
  for (const s of services) parent.set(s, s);
  const users = new Map<string, { service: string; writable: boolean }[]>();
  for (const s of services) {
    for (const m of sharedMounts(project, s)) users.set(m.key, [...(users.get(m.key) ?? []), { service: s, writable: m.writable }]);
  }
  for (const list of users.values()) {
    const distinct = [...new Set(list.map((u) => u.service))];
    if (distinct.length < 2 || !list.some((u) => u.writable)) continue;
    for (const s of distinct.slice(1)) union(distinct[0]!, s);
  }
  const comps = new Map<string, string[]>();
  for (const s of services) comps.set(find(s), [...(comps.get(find(s)) ?? []), s]);
  return [...comps.values()].filter((c) => c.length > 1);
}

/** Which services share a pod, and the name of each group's workload. */
export function resolveGroups(
  project: Project,
  settings: ResolvedSettings,
  options: LowerOptions,
  names: NameTable,
  diagnostics: Diagnostics,
  report: Report,
): GroupPlan[] {
  const mode = options.serviceGroupMode;
  const labelled = Object.keys(project.services)
    .sort()
    .filter((s) => settings.services[s]?.serviceGroup !== undefined);
  const plans: GroupPlan[] = [];
  if (mode === 'label') {
    const byValue = new Map<string, string[]>();
    for (const s of labelled) {
      const value = settings.services[s]!.serviceGroup!;
      byValue.set(value, [...(byValue.get(value) ?? []), s]);
    }
    for (const [value, members] of [...byValue].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const origins = Object.fromEntries(members.map((m) => [m, settings.services[m]!.origin.serviceGroup!]));
      plans.push({ name: toKubeName(value), members, why: `service group "${value}" (kompose.service.group)`, origins });
    }
  } else {
    const why = mode === 'volume'
      ? 'service group mode "volume" groups services by shared volumes, not by this label'
      : 'service groups are turned off (service group mode "none")';
    for (const s of labelled) report.ignored(settings.services[s]!.origin.serviceGroup!, why);
  }
  if (mode === 'volume') {
    const comps = volumeComponents(project);
    if (options.serviceGroupName !== undefined && comps.length > 1) {
      diagnostics.error('group.name-ambiguous', `--service-group-name names one group, but shared volumes form ${comps.length}: ${comps.map((c) => c.join('+')).join(', ')}; leave it out to name each group after its services`);
    } else if (options.serviceGroupName !== undefined && comps.length === 0) {
      diagnostics.warn('group.name-unused', `--service-group-name "${options.serviceGroupName}" is not used: no services share a writable volume`);
    }
    for (const members of comps) {
      const raw = options.serviceGroupName ?? members.map((m) => names.service(m)).join('-');
      const origins = Object.fromEntries(members.map((m) => [m, `services.${m}.volumes`]));
      plans.push({ name: toKubeName(raw), members, why: `service group "${toKubeName(raw)}" (shared volumes)`, origins });
      diagnostics.add({ severity: 'info', code: 'group.volume', message: `${members.join(', ')} share volumes: one pod (workload ${toKubeName(raw)}) with a container each`, path: `services.${members[0]}.volumes` });
    }
  } else if (options.serviceGroupName !== undefined) {
    diagnostics.warn('group.name-unused', '--service-group-name applies only with --service-group-mode volume; it is not used');
  }

  // One workload name per group, distinct from every other workload (the other services' names).
  const grouped = new Set(plans.flatMap((p) => p.members));
  const workloads = new Map<string, string>();
  for (const s of Object.keys(project.services).sort()) if (!grouped.has(s)) workloads.set(names.service(s), `service ${s}`);
  for (const plan of plans) {
    const other = workloads.get(plan.name);
    if (other) {
      diagnostics.error('group.name-collision', `the workload of ${plan.why} would be named "${plan.name}", like the one of ${other}; choose another group name`, {
        path: plan.origins[plan.members[0]!],
      });
    }
    workloads.set(plan.name, plan.why);
  }
  for (const plan of plans) {
    if (mode !== 'label') continue;
    for (const m of plan.members) report.mapped(plan.origins[m]!, `workload ${plan.name}: one pod with containers ${plan.members.map((x) => names.service(x)).join(', ')}`);
  }
  return plans;
}

// ---------------------------------------------------------------------------------------------------------
// Merging the members' pod-level contributions into one pod.

/** Compose keys (then settings fields) a pod field comes from, to locate a conflict. */
const FIELD_SOURCES: Record<string, string[]> = {
  'workload kind': ['restart', 'deploy', 'x-kubernetes'],
  'job settings': ['restart', 'deploy', 'x-kubernetes'],
  'cron schedule': ['x-kubernetes', 'labels'],
  replicas: ['deploy', 'scale', 'x-kubernetes'],
  rollout: ['deploy'],
  hostname: ['hostname'],
  subdomain: ['domainname'],
  nodeSelector: ['platform', 'x-kubernetes'],
  affinity: ['deploy', 'x-kubernetes'],
  topologySpreadConstraints: ['deploy'],
  dnsPolicy: ['network_mode'],
  hostNetwork: ['network_mode'],
  hostPID: ['pid'],
  hostIPC: ['ipc'],
  shareProcessNamespace: ['pid'],
  dnsConfig: ['dns', 'dns_search', 'dns_opt'],
  securityContext: ['sysctls', 'group_add', 'x-kubernetes', 'labels'],
  sysctl: ['sysctls'],
  serviceAccountName: ['x-kubernetes', 'labels', 'depends_on'],
  autoscale: ['x-kubernetes', 'labels'],
};

type Values<T> = [ServiceUnit, T][];

class Merger {
  constructor(
    private readonly ctx: LowerContext,
    private readonly group: PodGroup,
  ) {}

  path(u: ServiceUnit, field: string): string {
    for (const key of FIELD_SOURCES[field] ?? FIELD_SOURCES[field.split(/[ .]/)[0]!] ?? []) {
      if ((u.compose as Record<string, unknown>)[key] !== undefined) return `${u.path}.${key}`;
    }
    return this.group.origins[u.service] ?? u.path;
  }

  private show(v: unknown): string {
    return typeof v === 'string' ? v : v === undefined ? '(unset)' : stableJson(v);
  }

  /** The one value the members that set `field` agree on; an error when they do not. */
  equal<T>(field: string, values: Values<T | undefined>, why = ''): T | undefined {
    const set = values.filter((v): v is [ServiceUnit, T] => v[1] !== undefined);
    const distinct = [...new Map(set.map(([u, v]) => [stableJson(v), [u, v] as const])).values()];
    if (distinct.length > 1) {
      const list = set.map(([u, v]) => `${u.service}: ${this.show(v)}`).join('; ');
      this.ctx.diagnostics.error('group.conflict', `${this.group.why}: ${field} differs between the services of one pod (${list})${why ? `; ${why}` : ''}`, {
        path: this.path(distinct[1]![0], field),
      });
    }
    return set[0]?.[1];
  }

  /** A pod-wide value set by some members only: it now applies to the other containers too. */
  podWide(field: string, values: Values<unknown>): void {
    const setters = values.filter(([, v]) => v !== undefined);
    if (!setters.length || setters.length === values.length) return;
    const others = values.filter(([, v]) => v === undefined).map(([u]) => u.service);
    this.ctx.diagnostics.warn('group.pod-wide', `${this.group.why}: pod ${field} of ${setters.map(([u]) => u.service).join(', ')} applies to every container of the pod, also to ${others.join(', ')}`, {
      path: this.path(setters[0]![0], field.split('.')[0]!),
    });
  }

  /** Maps merged key by key; the first member wins a key with two values, with a warning. */
  metadata(field: string, maps: Values<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    const owner = new Map<string, ServiceUnit>();
    for (const [u, m] of maps) {
      for (const [k, v] of Object.entries(m)) {
        if (!(k in out)) {
          out[k] = v;
          owner.set(k, u);
        } else if (out[k] !== v) {
          this.ctx.diagnostics.warn('group.metadata-conflict', `${this.group.why}: ${field} ${k} is "${out[k]}" for ${owner.get(k)!.service} and "${v}" for ${u.service}; the pod keeps "${out[k]}"`, {
            path: `${u.path}`,
          });
        }
      }
    }
    return out;
  }

  /** The pod fields (everything but containers and volumes). */
  pod(members: ServiceUnit[]): ServiceUnit['pod'] {
    const pod: Record<string, unknown> = {};
    const keys = [...new Set(members.flatMap((m) => Object.keys(m.pod)))].sort();
    for (const key of keys) {
      const values: Values<unknown> = members.map((m) => [m, (m.pod as Record<string, unknown>)[key]]);
      const set = values.filter(([, v]) => v !== undefined);
      let value: unknown;
      switch (key) {
        case 'terminationGracePeriodSeconds':
          // Every container gets at least its own grace period.
          value = Math.max(...set.map(([, v]) => v as number));
          break;
        case 'hostAliases': {
          const byIp = new Map<string, Set<string>>();
          for (const [, list] of set) {
            for (const a of list as NonNullable<PodSpec['hostAliases']>) {
              const ip = a.ip ?? '';
              byIp.set(ip, new Set([...(byIp.get(ip) ?? []), ...(a.hostnames ?? [])]));
            }
          }
          value = [...byIp].sort(([a], [b]) => (a < b ? -1 : 1)).map(([ip, hs]) => ({ ip, hostnames: [...hs].sort() }));
          break;
        }
        case 'dnsConfig': {
          const all = set.map(([, v]) => v as NonNullable<PodSpec['dnsConfig']>);
          const union = <T>(xs: T[]) => [...new Map(xs.map((x) => [stableJson(x), x])).values()];
          const nameservers = union(all.flatMap((c) => c.nameservers ?? []));
          const searches = union(all.flatMap((c) => c.searches ?? []));
          const options = union(all.flatMap((c) => c.options ?? []));
          if (nameservers.length > 3) {
            this.ctx.diagnostics.error('group.conflict', `${this.group.why}: the services' dns entries add up to ${nameservers.length} nameservers, but a pod has at most 3 (${nameservers.join(', ')})`, {
              path: this.path(set[set.length - 1]![0], 'dnsConfig'),
            });
          }
          value = merged(nameservers.length ? { nameservers } : {}, searches.length ? { searches } : {}, options.length ? { options } : {});
          break;
        }
        case 'tolerations':
        case 'imagePullSecrets':
        case 'topologySpreadConstraints':
          value = [...new Map(set.flatMap(([, v]) => v as unknown[]).map((x) => [stableJson(x), x])).values()];
          break;
        case 'nodeSelector': {
          const out: Record<string, string> = {};
          const keysOf = [...new Set(set.flatMap(([, v]) => Object.keys(v as object)))].sort();
          for (const k of keysOf) out[k] = this.equal(`nodeSelector ${k}`, set.map(([u, v]) => [u, (v as Record<string, string>)[k]]))!;
          value = out;
          break;
        }
        case 'hostNetwork':
        case 'hostPID':
        case 'hostIPC':
        case 'shareProcessNamespace':
          value = set.some(([, v]) => v === true) ? true : undefined;
          this.podWide(key, values.map(([u, v]) => [u, v === true ? true : undefined]));
          break;
        case 'securityContext':
          value = this.securityContext(values as Values<Record<string, unknown> | undefined>);
          break;
        case 'hostname': {
          const distinct = [...new Set(set.map(([, v]) => v as string))];
          value = distinct[0];
          if (distinct.length > 1) {
            this.ctx.diagnostics.warn('group.hostname', `${this.group.why}: a pod has one hostname; it is "${value}" (of ${set[0]![0].service}), not ${set.filter(([, v]) => v !== value).map(([u, v]) => `"${v}" (of ${u.service})`).join(', ')}; each service's name still resolves through its Service`, {
              path: `${set.find(([, v]) => v !== value)![0].path}.hostname`,
            });
          }
          break;
        }
        default:
          value = this.equal(key, values);
      }
      if (value !== undefined) pod[key] = value;
    }
    return pod as ServiceUnit['pod'];
  }

  private securityContext(values: Values<Record<string, unknown> | undefined>): Record<string, unknown> | undefined {
    const set = values.filter(([, v]) => v !== undefined) as Values<Record<string, unknown>>;
    if (!set.length) return undefined;
    const out: Record<string, unknown> = {};
    for (const field of [...new Set(set.flatMap(([, v]) => Object.keys(v)))].sort()) {
      const per: Values<unknown> = values.map(([u, v]) => [u, v?.[field]]);
      const has = per.filter(([, v]) => v !== undefined);
      if (field === 'sysctls') {
        const byName = new Map<string, string>();
        for (const [, list] of has) for (const s of list as { name: string; value: string }[]) byName.set(s.name, s.value);
        for (const name of [...byName.keys()].sort()) {
          this.equal(`sysctl ${name}`, has.map(([u, list]) => [u, (list as { name: string; value: string }[]).find((s) => s.name === name)?.value]));
        }
        out.sysctls = [...byName].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => ({ name, value }));
      } else if (field === 'supplementalGroups') {
        out.supplementalGroups = [...new Set(has.flatMap(([, v]) => v as number[]))];
      } else out[field] = this.equal(`securityContext.${field}`, per);
      // Identical everywhere is no news; anything else now applies to containers that did not ask for it.
      const same = has.length === values.length && new Set(has.map(([, v]) => stableJson(v))).size === 1;
      if (!same) this.podWide(`securityContext.${field}`, per);
    }
    return out;
  }
}

/** Containers of one member with its pod volumes renamed. */
function withMounts(c: Container, renames: Map<string, string>): Container {
  if (!renames.size || !c.volumeMounts) return c;
  return merged(c, { volumeMounts: c.volumeMounts.map((m) => (renames.has(m.name) ? merged(m, { name: renames.get(m.name)! }) : m)) });
}

function uniqueName(desired: string, taken: Set<string>): string {
  let name = toKubeName(desired);
  for (let i = 2; taken.has(name); i++) name = withSuffix(toKubeName(desired), String(i));
  taken.add(name);
  return name;
}

/** One pod's volumes; per member, how its volume names changed. */
function mergeVolumes(members: ServiceUnit[]): { volumes: Volume[]; renames: Map<ServiceUnit, Map<string, string>> } {
  const volumes: Volume[] = [];
  const taken = new Set<string>();
  const byIdentity = new Map<string, string>();
  const renames = new Map<ServiceUnit, Map<string, string>>();
  for (const m of members) {
    const own = new Map<string, string>();
    renames.set(m, own);
    for (const v of m.volumes) {
      const { name, ...definition } = v;
      // A claim, ConfigMap, Secret or host path is the same volume whoever mounts it; an emptyDir only when it
      // stands for the same Compose source (a named volume or bind source); other emptyDirs are private.
      const key = m.emptyDirKeys[name];
      const identity = v.emptyDir ? (key !== undefined ? `${key}\0${stableJson(definition)}` : undefined) : stableJson(definition);
      const known = identity !== undefined ? byIdentity.get(identity) : undefined;
      if (known !== undefined) {
        if (known !== name) own.set(name, known);
        continue;
      }
      const final = taken.has(name) ? uniqueName(`${m.name}-${name}`, taken) : (taken.add(name), name);
      if (final !== name) own.set(name, final);
      if (identity !== undefined) byIdentity.set(identity, final);
      volumes.push(merged(v, { name: final }));
    }
  }
  return { volumes, renames };
}

/** Two containers of a pod share one network namespace: one port (or host port) each. */
function checkPorts(ctx: LowerContext, group: PodGroup, members: ServiceUnit[]): void {
  const seen = new Map<string, ServiceUnit>();
  for (const m of members) {
    for (const c of [m.container, ...m.sidecars]) {
      for (const p of c.ports ?? []) {
        const proto = p.protocol ?? 'TCP';
        for (const key of [`${p.containerPort}/${proto}`, ...(p.hostPort !== undefined ? [`host ${p.hostPort}/${proto}`] : [])]) {
          const other = seen.get(key);
          if (other && other !== m) {
            ctx.diagnostics.error('group.port-conflict', `${group.why}: ${other.service} and ${m.service} both use ${key.startsWith('host') ? 'host port' : 'port'} ${key.replace(/^host /, '')}, but containers of one pod share one network; change one port or keep them in separate pods`, {
              path: `${m.path}.${m.compose.ports?.length ? 'ports' : 'expose'}`,
            });
          } else seen.set(key, m);
        }
      }
    }
  }
}

/** The unit the assembler builds the group's workload from. */
export function mergeGroup(ctx: LowerContext, group: PodGroup): ServiceUnit {
  const members = group.members.map((m) => ctx.units.get(m)!);
  const lead = members[0]!;
  const mg = new Merger(ctx, group);
  const groupUnit = newUnit({
    service: lead.service,
    compose: lead.compose,
    name: group.name,
    settings: lead.settings,
    selector: group.selector,
    labels: group.labels,
    annotations: group.annotations,
  });

  groupUnit.kind = mg.equal('workload kind', members.map((m) => [m, m.kind]), 'one pod has one restart policy: make restart, deploy.mode and the controller agree')!;
  const job = mg.equal('job settings', members.map((m) => [m, m.job]));
  if (job) groupUnit.job = job;
  const cron = mg.equal('cron schedule', members.map((m) => [m, m.cron]));
  if (cron) groupUnit.cron = cron;
  const headless = members.find((m) => m.headlessServiceName)?.headlessServiceName;
  if (headless) groupUnit.headlessServiceName = headless;

  const scaled = members.filter((m) => m.settings.autoscale && (m.kind === 'Deployment' || m.kind === 'StatefulSet'));
  const replicas = mg.equal('replicas', members.map((m) => [m, m.replicas]), 'the containers of one pod are scaled together');
  if (replicas !== undefined && !scaled.length) groupUnit.replicas = replicas;

  const recreate = members.find((m) => m.rollout?.type === 'Recreate');
  if (recreate) {
    groupUnit.rollout = recreate.rollout!;
    for (const m of members.filter((x) => x.rollout?.type === 'RollingUpdate')) {
      ctx.diagnostics.warn('group.recreate', `${group.why}: deploy.update_config of ${m.service} is replaced by the Recreate strategy the pod needs for ${recreate.service} (${(recreate.rollout as { reason: string }).reason})`, {
        path: `${m.path}.deploy.update_config`,
      });
    }
  } else {
    const rollout = mg.equal('rollout', members.map((m) => [m, m.rollout]), 'one workload has one update strategy');
    if (rollout) groupUnit.rollout = rollout;
  }

  groupUnit.pod = mg.pod(members);
  groupUnit.podLabels = mg.metadata('pod label', members.map((m) => [m, m.podLabels]));
  groupUnit.podAnnotations = mg.metadata('pod annotation', members.map((m) => [m, m.podAnnotations]));
  groupUnit.workloadLabels = mg.metadata('workload label', members.map((m) => [m, m.workloadLabels]));
  groupUnit.workloadAnnotations = mg.metadata('workload annotation', members.map((m) => [m, m.workloadAnnotations]));

  const { volumes, renames } = mergeVolumes(members);
  groupUnit.volumes = volumes;
  const containers = members.flatMap((m) => [m.container, ...m.sidecars].map((c) => withMounts(c, renames.get(m)!)));
  const names = new Set(containers.map((c) => c.name));
  const init: Container[] = [];
  for (const m of members) {
    for (const ic of m.initContainers.map((c) => withMounts(c, renames.get(m)!))) {
      // The same wait (e.g. two members waiting for one database) runs once.
      if (init.some((x) => stableJson(x) === stableJson(ic))) continue;
      init.push(names.has(ic.name) ? merged(ic, { name: uniqueName(`${m.name}-${ic.name}`, names) }) : (names.add(ic.name), ic));
    }
  }
  groupUnit.initContainers = init;
  groupUnit.container = containers[0]!;
  groupUnit.sidecars = containers.slice(1);
  checkPorts(ctx, group, members);

  if (scaled.length > 1) {
    ctx.diagnostics.error('group.conflict', `${group.why}: autoscaling is set on ${scaled.map((m) => m.service).join(' and ')}; one pod has one autoscaler: set it on one service`, {
      path: scaled[1]!.settings.origin.autoscale ?? mg.path(scaled[1]!, 'autoscale'),
    });
  }
  if (scaled.length) {
    // Utilization is computed over every container of the pod: each needs the request.
    const auto = scaled[0]!;
    for (const [resource, target] of autoscaleTargets(auto.settings.autoscale!)) {
      if (!('utilization' in target)) continue;
      for (const c of containers) {
        if (c.resources?.requests?.[resource]) continue;
        const limit = c.resources?.limits?.[resource];
        setResource(c, 'requests', resource, limit ?? DEFAULT_REQUEST[resource]);
        if (!limit) {
          ctx.diagnostics.warn('hpa.default-request', `${group.why}: utilization-based autoscaling needs a ${resource} request on every container; container ${c.name} gets ${DEFAULT_REQUEST[resource]} (set deploy.resources.reservations)`, {
            path: auto.settings.origin.autoscale,
          });
        }
      }
    }
  }

  const templates = new Map<string, ServiceUnit['volumeClaimTemplates'][number]>();
  for (const m of members) for (const t of m.volumeClaimTemplates) templates.set(t.metadata?.name ?? '', t);
  groupUnit.volumeClaimTemplates = [...templates.values()];
  for (const m of members) for (const ref of m.configRefs) groupUnit.configRefs.add(ref);
  return groupUnit;
}
