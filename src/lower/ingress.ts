// Published ports outside the cluster, only as chosen (option `expose`, x-kubernetes expose/serviceType/
// ingress, kompose.service.type / kompose.service.expose labels):
// - none (default): nothing; the report says which published ports stay in-cluster;
// - nodeport / loadbalancer: a SEPARATE Service `<svc>-external` of that type whose port is the published
//   port and targetPort the container port, so the internal `<svc>` keeps Compose semantics (B9);
//   nodePort and externalTrafficPolicy (NodePort and LoadBalancer alike) from settings;
// - ingress: an Ingress `<svc>` whose backend is the internal Service on the first HTTP-like published
//   port (the report names it).
// Ports published on a loopback host_ip (127.0.0.1:8080:80) were private to the Docker host: never exposed.

import type { Service as KubeService, ServicePort } from 'kubernetes-types/core/v1.js';
import type { Ingress, IngressRule, IngressTLS } from 'kubernetes-types/networking/v1.js';
import { asKube, unitMetadata, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { containerPorts, httpLike, isLoopback, toPortName, unitPorts, type PortSpec } from './ports.js';
import { merged } from './objects.js';

export interface ExposurePlan {
  /** Type of the `<svc>-external` Service, if any. */
  serviceType?: 'NodePort' | 'LoadBalancer';
  /** Published ports the external Service carries. */
  external: PortSpec[];
  /** The Ingress backend (a container port of the internal Service), if an Ingress is emitted. */
  ingress?: PortSpec;
  /** Published ports that stay inside the cluster, with why. */
  unexposed: { port: PortSpec; why: string }[];
  /** Where the choice came from (for messages). */
  origin: string;
}

/** What is exposed outside the cluster, decided once per unit (the network-policy pass uses it too). */
export function exposurePlan(ctx: LowerContext, unit: ServiceUnit): ExposurePlan {
  return ctx.memo(`exposure\0${unit.service}`, () => planExposure(ctx, unit));
}

/** A function of the service's ports and settings. */
function planExposure(ctx: LowerContext, unit: ServiceUnit): ExposurePlan {
  const st = unit.settings;
  const { ports } = unitPorts(ctx, unit);
  const published = ports.filter((p) => p.published !== undefined);
  const loopback = published.filter((p) => isLoopback(p.hostIp));
  const candidates = published.filter((p) => !isLoopback(p.hostIp));
  const unexposed = loopback.map((port) => ({ port, why: `published on ${port.hostIp} (the Docker host only)` }));
  let serviceType: ExposurePlan['serviceType'];
  let origin = st.origin.expose ?? 'default';
  if (st.serviceType === 'NodePort' || st.serviceType === 'LoadBalancer') {
    serviceType = st.serviceType;
    origin = st.origin.serviceType ?? origin;
  } else if (st.serviceType === undefined && (st.expose === 'nodeport' || st.expose === 'loadbalancer')) {
    serviceType = st.expose === 'nodeport' ? 'NodePort' : 'LoadBalancer';
  }
  const plan: ExposurePlan = { external: [], unexposed, origin };
  if (serviceType) {
    if (candidates.length) {
      plan.serviceType = serviceType;
      plan.external = candidates;
    }
  }
  if (st.expose === 'ingress') {
    // An explicit ingress may use an unpublished port; the global option only exposes what Compose published.
    const explicit = st.ingress !== undefined && !(st.origin.expose ?? '').startsWith('option:');
    const pool = candidates.length ? candidates : explicit ? ports.filter((p) => !isLoopback(p.hostIp)) : [];
    const wanted = st.ingress?.port;
    const chosen = wanted !== undefined ? pool.find((p) => p.target === wanted || p.published === wanted) ?? ports.find((p) => p.target === wanted) : httpLike(pool) ?? pool.find((p) => p.protocol === 'TCP');
    if (chosen) plan.ingress = chosen;
    for (const p of candidates) {
      if (p !== chosen && !plan.external.includes(p)) plan.unexposed.push({ port: p, why: `the Ingress routes HTTP to port ${chosen?.target ?? '(none)'} only` });
    }
  } else if (!plan.serviceType) {
    for (const p of candidates) plan.unexposed.push({ port: p, why: 'not exposed outside the cluster; use --expose or x-kubernetes.expose' });
  }
  return plan;
}

function externalService(ctx: LowerContext, unit: ServiceUnit, plan: ExposurePlan): string | undefined {
  const st = unit.settings;
  const names = new Set<string>();
  const cports = containerPorts(unitPorts(ctx, unit).ports);
  const ports: ServicePort[] = [];
  const seen = new Set<string>();
  for (const p of plan.external) {
    const key = `${p.published}/${p.protocol}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const internal = cports.find((c) => c.target === p.target && c.protocol === p.protocol)!;
    let name = internal.name;
    if (names.has(name)) name = toPortName(`${p.protocol.toLowerCase()}-${p.published}`) ?? `p-${ports.length}`;
    names.add(name);
    ports.push({ name, port: p.published!, targetPort: p.target, protocol: p.protocol, ...(internal.appProtocol ? { appProtocol: internal.appProtocol } : {}) });
  }
  if (st.nodePort !== undefined) {
    if (plan.serviceType !== 'NodePort') {
      ctx.diagnostics.warn('expose.nodeport-unused', `${unit.service}: nodePort ${st.nodePort} needs service type NodePort; ignored`, { path: st.origin.nodePort });
    } else if (ports.length !== 1) {
      ctx.diagnostics.error('expose.nodeport-ports', `${unit.service}: a fixed nodePort (${st.nodePort}) needs exactly one published port, found ${ports.length} (${ports.map((p) => p.port).join(', ')})`, { path: st.origin.nodePort });
    } else ports[0]!.nodePort = st.nodePort;
  }
  const name = ctx.names.claim('service', `external:${unit.service}`, `${unit.name}-external`, { startWithLetter: true });
  const svc: KubeService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: unitMetadata(unit, name),
    spec: {
      type: plan.serviceType!,
      selector: { ...unit.selector },
      ports,
      ...(st.externalTrafficPolicy ? { externalTrafficPolicy: st.externalTrafficPolicy } : {}),
    },
  };
  ctx.emit(asKube(svc));
  return name;
}

function ingressObject(ctx: LowerContext, unit: ServiceUnit, backend: PortSpec): string {
  const settings = unit.settings.ingress ?? { rules: [{ path: '/' }], pathType: 'Prefix' as const, annotations: {} };
  const byHost = new Map<string, string[]>();
  for (const r of settings.rules) byHost.set(r.host ?? '', [...(byHost.get(r.host ?? '') ?? []), r.path]);
  const rules = [...byHost].map(([host, paths]) =>
    merged(host ? { host } : {}, {
      http: {
        paths: [...new Set(paths)].map((path) => ({
          path,
          pathType: settings.pathType,
          backend: { service: { name: unit.name, port: { number: backend.target } } },
        })),
      },
    }),
  );
  const hosts = [...byHost.keys()].filter(Boolean);
  const tls: IngressTLS[] | undefined = settings.tls
    ? [merged(hosts.length ? { hosts } : {}, settings.tls.secretName ? { secretName: settings.tls.secretName } : {})]
    : undefined;
  const name = ctx.names.claim('Ingress', unit.service, unit.name);
  const meta = unitMetadata(unit, name);
  const annotations = merged<Record<string, string>>(meta.annotations, settings.annotations);
  const ingress: Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: Object.keys(annotations).length ? merged(meta, { annotations }) : meta,
    spec: merged(settings.className ? { ingressClassName: settings.className } : {}, { rules }, tls ? { tls } : {}),
  };
  ctx.emit(asKube(ingress));
  return name;
}

export function lowerExposure(ctx: LowerContext, unit: ServiceUnit, claimed: Map<string, string>): void {
  const plan = exposurePlan(ctx, unit);
  const st = unit.settings;
  const portsPath = `${unit.path}.ports`;
  if (plan.serviceType) {
    const name = externalService(ctx, unit, plan);
    ctx.report.mapped(portsPath, `Service/${name} (${plan.serviceType}) on published ports ${plan.external.map((p) => p.published).join(', ')}`);
  }
  if (st.expose === 'ingress') {
    if (plan.ingress) {
      const name = ingressObject(ctx, unit, plan.ingress);
      const http = httpLike([plan.ingress]) !== undefined;
      const to = `Ingress/${name} -> Service/${unit.name} port ${plan.ingress.target}`;
      const where = plan.ingress.published !== undefined ? `published port ${plan.ingress.published}` : `container port ${plan.ingress.target}`;
      if (http || st.ingress?.port !== undefined) ctx.report.mapped(portsPath, `${to} (${where})`);
      else {
        ctx.report.approximated(portsPath, to, `no published port looks like HTTP; ${where} is used as the Ingress backend`);
        ctx.diagnostics.warn('expose.ingress-not-http', `${unit.service}: no published port looks like HTTP; the Ingress routes to ${where}`, { path: portsPath });
      }
      for (const r of (st.ingress?.rules ?? [{ path: '/' }])) {
        const key = `${r.host ?? '*'}${r.path}`;
        const other = claimed.get(key);
        if (other) {
          ctx.diagnostics.warn('expose.ingress-conflict', `${unit.service} and ${other} both route ${r.host ?? 'any host'}${r.path}; set x-kubernetes.ingress.host or path`, { path: st.origin.ingress ?? st.origin.expose });
        } else claimed.set(key, unit.service);
      }
    } else if (st.ingress?.port !== undefined) {
      ctx.diagnostics.error('expose.ingress-port', `${unit.service}: ingress port ${st.ingress.port} is not a port of the service`, { path: st.origin.ingress });
    } else if (!(st.origin.expose ?? '').startsWith('option:')) {
      ctx.diagnostics.warn('expose.ingress-no-port', `${unit.service}: expose ingress needs a TCP port; no Ingress`, { path: st.origin.ingress ?? st.origin.expose });
      ctx.report.approximated(portsPath, '(no Ingress)', 'no TCP port to route to');
    }
  }
  if (plan.unexposed.length) {
    const byWhy = new Map<string, number[]>();
    for (const { port, why } of plan.unexposed) byWhy.set(why, [...(byWhy.get(why) ?? []), port.published!]);
    for (const [why, list] of byWhy) {
      const s = list.length > 1 ? 's' : '';
      ctx.report.approximated(portsPath, `Service/${unit.name} (in-cluster only)`, `published port${s} ${[...new Set(list)].join(', ')} ${why}`);
    }
  }
  const stPath = st.origin.serviceType;
  if (stPath && !stPath.startsWith('option:') && (st.serviceType === 'NodePort' || st.serviceType === 'LoadBalancer') && !plan.serviceType) {
    ctx.diagnostics.warn('expose.nothing-published', `${unit.service}: service type ${st.serviceType} but no port is published; no external Service`, { path: stPath });
  }
  if (st.externalTrafficPolicy && !plan.serviceType) {
    ctx.diagnostics.warn('expose.traffic-policy-unused', `${unit.service}: externalTrafficPolicy applies to NodePort and LoadBalancer Services only; ignored`, { path: st.origin.externalTrafficPolicy });
  }
}

export const ingressPass: Pass = {
  name: 'ingress',
  run(ctx) {
    const claimed = new Map<string, string>();
    for (const unit of ctx.units.values()) lowerExposure(ctx, unit, claimed);
  },
};
