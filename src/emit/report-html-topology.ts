// The topology of a converted project, found generically in the lowered objects (so it shows whatever the
// passes emit), and drawn as inline SVG by our own code: one row per Compose service with, left to right,
// how it is reached (Ingress), its Services and ports, its workload (with networks and depends_on arrows in
// a gutter), and the claims, ConfigMaps and Secrets its pods use.

import { podSpecOf, podTemplateOf, WORKLOAD_KINDS, type KubeObject } from '../model/kube.js';
import type { Project } from '../model/project.js';
import { toKubeName } from '../lower/index.js';

type Obj = Record<string, any>;

export interface TopoItem {
  kind: string;
  name: string;
  detail?: string;
}

export interface TopoService {
  /** Compose service name. */
  name: string;
  kubeName: string;
  image?: string;
  workload?: TopoItem;
  ingresses: TopoItem[];
  services: TopoItem[];
  resources: TopoItem[];
  networks: string[];
  dependsOn: { target: string; condition: string }[];
}

export interface Topology {
  project: string;
  namespace?: string;
  services: TopoService[];
  networks: string[];
  /** Objects that belong to no service (Namespace, RBAC of the project, NetworkPolicies, ...). */
  others: TopoItem[];
}

const WORKLOADS = WORKLOAD_KINDS;

function podSpec(o: KubeObject): Obj | undefined {
  return podSpecOf(o) as Obj | undefined;
}

function podLabels(o: KubeObject): Record<string, string> {
  return podTemplateOf(o)?.metadata?.labels ?? {};
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** ConfigMaps, Secrets and claims a pod spec references. */
function podRefs(spec: Obj | undefined, workload: KubeObject): TopoItem[] {
  const out = new Map<string, TopoItem>();
  const add = (kind: string, name: unknown, detail?: string) => {
    if (typeof name === 'string' && name) out.set(`${kind}/${name}`, { kind, name, ...(detail ? { detail } : {}) });
  };
  if (!spec) return [];
  for (const v of (spec.volumes ?? []) as Obj[]) {
    add('PersistentVolumeClaim', v.persistentVolumeClaim?.claimName);
    add('ConfigMap', v.configMap?.name);
    add('Secret', v.secret?.secretName);
    for (const s of (v.projected?.sources ?? []) as Obj[]) {
      add('ConfigMap', s.configMap?.name);
      add('Secret', s.secret?.name);
    }
  }
  for (const t of ((workload.spec as Obj | undefined)?.volumeClaimTemplates ?? []) as Obj[]) {
    add('PersistentVolumeClaim', `${t.metadata?.name}-${workload.metadata.name}-*`, t.spec?.resources?.requests?.storage);
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    for (const e of (c.envFrom ?? []) as Obj[]) {
      add('ConfigMap', e.configMapRef?.name);
      add('Secret', e.secretRef?.name);
    }
    for (const e of (c.env ?? []) as Obj[]) {
      add('ConfigMap', e.valueFrom?.configMapKeyRef?.name);
      add('Secret', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...out.values()];
}

function ports(service: KubeObject): string {
  const spec = service.spec as Obj | undefined;
  const list = ((spec?.ports ?? []) as Obj[]).map((p) => {
    const node = p.nodePort ? ` node ${p.nodePort}` : '';
    const target = p.targetPort !== undefined && p.targetPort !== p.port ? `→${p.targetPort}` : '';
    return `${p.port}${target}/${p.protocol ?? 'TCP'}${node}`;
  });
  const type = spec?.clusterIP === 'None' ? 'headless' : (spec?.type ?? 'ClusterIP');
  return list.length ? `${type} ${list.join(', ')}` : type;
}

export function buildTopology(project: Project, objects: readonly KubeObject[]): Topology {
  const used = new Set<KubeObject>();
  const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const services: TopoService[] = [];
  for (const name of Object.keys(project.services).sort()) {
    const compose = project.services[name]!;
    const override = (compose['x-kubernetes'] as { name?: unknown } | undefined)?.name;
    const kubeName = toKubeName(typeof override === 'string' ? override : name, { startWithLetter: true });
    // A service of a group (kompose.service.group) is one container of the group's workload, named after it.
    const workload =
      objects.find((o) => WORKLOADS.has(o.kind) && o.metadata.name === kubeName) ??
      objects.find((o) => WORKLOADS.has(o.kind) && (podSpec(o)?.containers as Obj[] | undefined)?.some((c) => c.name === kubeName));
    const entry: TopoService = {
      name,
      kubeName,
      ...(compose.image ? { image: compose.image } : {}),
      ingresses: [],
      services: [],
      resources: [],
      networks: Object.keys(compose.networks ?? {}).sort(),
      dependsOn: Object.entries(compose.depends_on ?? {}).map(([target, d]) => ({ target, condition: d.condition })),
    };
    if (workload) {
      used.add(workload);
      const spec = workload.spec as Obj | undefined;
      const replicas = workload.kind === 'Job' ? spec?.parallelism : spec?.replicas;
      const hpa = byKind('HorizontalPodAutoscaler').find((h) => (h.spec as Obj | undefined)?.scaleTargetRef?.name === workload.metadata.name);
      if (hpa) used.add(hpa);
      const hs = hpa?.spec as Obj | undefined;
      entry.workload = {
        kind: workload.kind,
        name: workload.metadata.name,
        detail: hs ? `autoscaled ${hs.minReplicas ?? 1}–${hs.maxReplicas}` : workload.kind === 'CronJob' ? String(spec?.schedule ?? '') : replicas !== undefined ? `${replicas} replica${replicas === 1 ? '' : 's'}` : undefined,
      };
      const labels = podLabels(workload);
      // Every member's Service selects a group's pod; a member shows only its own (labelled with its name).
      const grouped = workload.metadata.name !== kubeName;
      for (const s of byKind('Service')) {
        if (!selects((s.spec as Obj | undefined)?.selector, labels)) continue;
        if (grouped && s.metadata.labels?.['app.kubernetes.io/component'] !== kubeName) continue;
        used.add(s);
        entry.services.push({ kind: 'Service', name: s.metadata.name, detail: ports(s) });
      }
      for (const ref of podRefs(podSpec(workload), workload)) {
        const o = objects.find((x) => x.kind === ref.kind && x.metadata.name === ref.name);
        if (o) used.add(o);
        const size = o?.kind === 'PersistentVolumeClaim' ? (o.spec as Obj | undefined)?.resources?.requests?.storage : undefined;
        entry.resources.push({ ...ref, ...(size ? { detail: size } : {}), ...(!o && !ref.name.endsWith('*') ? { detail: 'must exist' } : {}) });
      }
    }
    const serviceNames = new Set(entry.services.map((s) => s.name));
    for (const ing of byKind('Ingress')) {
      const rules = ((ing.spec as Obj | undefined)?.rules ?? []) as Obj[];
      const backends = rules.flatMap((r) => ((r.http?.paths ?? []) as Obj[]).map((p) => p.backend?.service?.name));
      if (!backends.some((b) => serviceNames.has(b))) continue;
      used.add(ing);
      const hosts = rules.map((r) => `${r.host ?? '*'}${((r.http?.paths ?? []) as Obj[])[0]?.path ?? ''}`);
      entry.ingresses.push({ kind: 'Ingress', name: ing.metadata.name, detail: hosts.join(', ') });
    }
    for (const o of objects) {
      if (!used.has(o) && o.metadata.labels?.['app.kubernetes.io/component'] === kubeName && !WORKLOADS.has(o.kind)) {
        if (['ConfigMap', 'Secret', 'PersistentVolumeClaim'].includes(o.kind)) {
          used.add(o);
          entry.resources.push({ kind: o.kind, name: o.metadata.name });
        }
      }
    }
    services.push(entry);
  }
  const others = objects.filter((o) => !used.has(o)).map((o) => ({ kind: o.kind, name: o.metadata.name }));
  const namespace = objects.find((o) => o.metadata.namespace)?.metadata.namespace;
  return {
    project: project.name,
    ...(namespace ? { namespace } : {}),
    services,
    networks: Object.keys(project.networks ?? {}).sort(),
    others,
  };
}

// ---------------------------------------------------------------------------------------------------------
// SVG

export function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f', '#be185d'];
const KIND_COLOR: Record<string, string> = {
  Ingress: '#fde68a',
  Service: '#bfdbfe',
  Deployment: '#bbf7d0',
  StatefulSet: '#a7f3d0',
  DaemonSet: '#d9f99d',
  Job: '#fed7aa',
  CronJob: '#fecaca',
  PersistentVolumeClaim: '#e9d5ff',
  ConfigMap: '#e0f2fe',
  Secret: '#fce7f3',
};
const SHORT: Record<string, string> = { PersistentVolumeClaim: 'PVC', HorizontalPodAutoscaler: 'HPA' };

const COL = { ingress: 16, service: 230, gutter: 460, workload: 560, resource: 880 };
const W = { ingress: 190, service: 210, workload: 260, resource: 250 };
const ITEM_H = 44;
const GAP = 10;
const ROW_PAD = 18;
const TOP = 56;

function box(x: number, y: number, w: number, h: number, item: TopoItem, extraClass = ''): string {
  const fill = KIND_COLOR[item.kind] ?? '#f3f4f6';
  const kind = SHORT[item.kind] ?? item.kind;
  const detail = item.detail ? `<text x="${x + 10}" y="${y + 34}" class="detail">${xml(clip(item.detail, Math.floor(w / 6.2)))}</text>` : '';
  return (
    `<g class="node ${extraClass}" data-kind="${xml(item.kind)}" data-name="${xml(item.name)}">` +
    `<title>${xml(`${item.kind}/${item.name}${item.detail ? ` — ${item.detail}` : ''}`)}</title>` +
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="7" fill="${fill}" stroke="#475569" stroke-width="1"/>` +
    `<text x="${x + 10}" y="${y + 18}" class="label"><tspan class="kind">${xml(kind)}</tspan> ${xml(clip(item.name, Math.floor((w - 12 - kind.length * 7) / 7.2)))}</text>` +
    detail +
    `</g>`
  );
}

function edge(x1: number, y1: number, x2: number, y2: number, cls = 'edge'): string {
  const mx = (x1 + x2) / 2;
  return `<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" class="${cls}" marker-end="url(#arrow)"/>`;
}

/** The topology as one self-contained `<svg>` element. */
export function topologySvg(t: Topology): string {
  const netColor = new Map<string, string>();
  const allNets = [...new Set([...t.networks, ...t.services.flatMap((s) => s.networks)])].sort();
  allNets.forEach((n, i) => netColor.set(n, PALETTE[i % PALETTE.length]!));

  const parts: string[] = [];
  const rowY = new Map<string, { top: number; mid: number }>();
  let y = TOP;
  const rows: string[] = [];
  for (const s of t.services) {
    const n = Math.max(1, s.ingresses.length, s.services.length, s.resources.length);
    const height = n * ITEM_H + (n - 1) * GAP;
    const wlH = Math.max(ITEM_H + 20, Math.min(height, ITEM_H + 20 + 14 * Math.ceil(s.networks.length / 2)));
    const mid = y + height / 2;
    rowY.set(s.name, { top: y, mid });
    rows.push(`<rect x="4" y="${y - ROW_PAD / 2}" width="${COL.resource + W.resource + 8}" height="${height + ROW_PAD}" class="row"/>`);
    const wlY = mid - wlH / 2;
    const wl: TopoItem = s.workload ?? { kind: 'none', name: s.kubeName, detail: 'no workload' };
    parts.push(
      box(COL.workload, wlY, W.workload, wlH, { ...wl, name: s.name === wl.name ? wl.name : `${wl.name} (${s.name})` }, 'workload').replace(
        '</g>',
        s.networks
          .map((net, i) => {
            const cx = COL.workload + 10 + (i % 2) * 125;
            const cy = wlY + 52 + Math.floor(i / 2) * 14;
            return `<circle cx="${cx + 4}" cy="${cy - 4}" r="4" fill="${netColor.get(net)}"/><text x="${cx + 12}" y="${cy}" class="net">${xml(clip(net, 16))}</text>`;
          })
          .join('') + '</g>',
      ),
    );
    const place = (items: TopoItem[], x: number, w: number, cls: string) =>
      items.map((item, i) => {
        const iy = mid - (items.length * ITEM_H + (items.length - 1) * GAP) / 2 + i * (ITEM_H + GAP);
        parts.push(box(x, iy, w, ITEM_H, item, cls));
        return iy + ITEM_H / 2;
      });
    const svcMids = place(s.services, COL.service, W.service, 'service');
    const ingMids = place(s.ingresses, COL.ingress, W.ingress, 'ingress');
    const resMids = place(s.resources, COL.resource, W.resource, 'resource');
    for (const m of ingMids) for (const sm of svcMids) parts.push(edge(COL.ingress + W.ingress, m, COL.service, sm));
    for (const sm of svcMids) parts.push(edge(COL.service + W.service, sm, COL.workload, mid));
    for (const rm of resMids) parts.push(edge(COL.workload + W.workload, mid, COL.resource, rm, 'edge uses'));
    y += height + ROW_PAD + 12;
  }

  // depends_on arrows in the gutter left of the workloads: from the dependent service to its dependency.
  let lane = 0;
  for (const s of t.services) {
    for (const d of s.dependsOn) {
      const from = rowY.get(s.name);
      const to = rowY.get(d.target);
      if (!from || !to) continue;
      const x = COL.gutter + 12 + (lane++ % 6) * 14;
      const cls = d.condition === 'service_healthy' ? 'dep healthy' : d.condition === 'service_completed_successfully' ? 'dep completed' : 'dep started';
      parts.push(
        `<path d="M${COL.workload},${from.mid - 6} L${x},${from.mid - 6} L${x},${to.mid + 6} L${COL.workload},${to.mid + 6}" class="${cls}" marker-end="url(#arrow-dep)"><title>${xml(`${s.name} depends on ${d.target} (${d.condition})`)}</title></path>`,
      );
    }
  }

  const height = y + 40;
  const width = COL.resource + W.resource + 16;
  const heading = (x: number, text: string) => `<text x="${x}" y="30" class="heading">${xml(text)}</text>`;
  const legend = [
    ['dep healthy', 'depends_on: healthy'],
    ['dep completed', 'depends_on: completed'],
    ['dep started', 'depends_on: started'],
  ]
    .map(([cls, label], i) => {
      const lx = 16 + i * 200;
      return `<line x1="${lx}" y1="${height - 16}" x2="${lx + 30}" y2="${height - 16}" class="${cls}"/><text x="${lx + 36}" y="${height - 12}" class="legend">${xml(label!)}</text>`;
    })
    .join('');
  const netLegend = allNets
    .map((n, i) => {
      const lx = 620 + i * 120;
      return `<circle cx="${lx}" cy="${height - 16}" r="5" fill="${netColor.get(n)}"/><text x="${lx + 9}" y="${height - 12}" class="legend">${xml(clip(n, 14))}</text>`;
    })
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${xml(`Topology of ${t.project}`)}" class="topology">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#64748b"/></marker>`,
    `<marker id="arrow-dep" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b45309"/></marker></defs>`,
    `<style>.label{font:600 13px system-ui,sans-serif;fill:#0f172a}.kind{font-weight:400;fill:#475569}.detail{font:12px ui-monospace,monospace;fill:#334155}.net{font:11px system-ui,sans-serif;fill:#334155}.heading{font:600 14px system-ui,sans-serif;fill:#334155}.legend{font:12px system-ui,sans-serif;fill:#334155}.edge{fill:none;stroke:#64748b;stroke-width:1.4}.uses{stroke-dasharray:4 3}.row{fill:#f8fafc;stroke:#e2e8f0}.dep{fill:none;stroke:#b45309;stroke-width:1.6}.healthy{stroke-width:2.2}.started{stroke-dasharray:2 3}.completed{stroke-dasharray:8 3}</style>`,
    heading(COL.ingress, 'Reached by'),
    heading(COL.service, 'Services and ports'),
    heading(COL.workload, 'Workloads and networks'),
    heading(COL.resource, 'Storage, configs, secrets'),
    ...rows,
    ...parts,
    legend,
    netLegend,
    `</svg>`,
  ].join('\n');
}
