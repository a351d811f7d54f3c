// Compose ports and expose as one list of container ports, with Kubernetes port names (IANA service names:
// at most 15 characters, lower-case letters, digits and '-', at least one letter) and appProtocol values.
// Shared by the services, ingress and network-policy passes; pure functions of the Compose service.

import type { Port, Service } from '../model/project.js';
import type { LowerContext, ServiceUnit } from './context.js';
import { isLabelKey } from './metadata.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortSpec {
  target: number;
  protocol: Protocol;
  /** The published (host) port, first of a range; undefined when not published. */
  published?: number;
  hostIp?: string;
  /** Long-syntax name / app_protocol. */
  name?: string;
  appProtocol?: string;
  /** Compose path of the entry, e.g. `services.web.ports[0]` or `services.web.expose[1]`. */
  path: string;
}

/** One container port (unique per target/protocol) with the name used everywhere for it. */
export interface ContainerPortSpec {
  target: number;
  protocol: Protocol;
  name: string;
  appProtocol?: string;
}

const PROTOCOLS: Record<string, Protocol> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

/** `3000`, `3000/udp`, `4000-4001/udp`; undefined when malformed. */
export function parseExpose(entry: string): { from: number; to: number; protocol: Protocol } | undefined {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(entry.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] !== undefined ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) return undefined;
  return { from, to, protocol: PROTOCOLS[(m[3] ?? 'tcp').toLowerCase()]! };
}

function publishedPort(p: Port): number | undefined {
  if (p.published === undefined || p.published === '') return undefined;
  const n = Number(p.published.split('-')[0]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export const MAX_PORT = 65535;

/** A `ports` entry whose container or published port is not 1-65535 (the loader checks only the short syntax). */
export interface PortOutOfRange {
  path: string;
  field: 'target' | 'published';
  value: number;
}

/**
 * Every port of a service: `ports` first (in order), then `expose`; ranges in `expose` are expanded. Entries
 * with a port outside 1-65535 are left out and listed in `outOfRange` (the services pass reports them).
 */
export interface ServicePorts {
  ports: PortSpec[];
  /** `expose` entries that are not a port or port range. */
  invalid: string[];
  outOfRange: PortOutOfRange[];
}

export function servicePorts(service: Service, base: string): ServicePorts {
  const ports: PortSpec[] = [];
  const invalid: string[] = [];
  const outOfRange: PortOutOfRange[] = [];
  (service.ports ?? []).forEach((p, i) => {
    const path = `${base}.ports[${i}]`;
    const published = publishedPort(p);
    const badTarget = !Number.isInteger(p.target) || p.target < 1 || p.target > MAX_PORT;
    const badPublished = published !== undefined && published > MAX_PORT;
    if (badTarget) outOfRange.push({ path: `${path}.target`, field: 'target', value: p.target });
    if (badPublished) outOfRange.push({ path: `${path}.published`, field: 'published', value: published });
    if (!badTarget && !badPublished) ports.push(portSpec(p, published, path));
  });
  (service.expose ?? []).forEach((e, i) => {
    const parsed = parseExpose(String(e));
    if (!parsed) {
      invalid.push(String(e));
      return;
    }
    for (let n = parsed.from; n <= parsed.to; n++) ports.push({ target: n, protocol: parsed.protocol, path: `${base}.expose[${i}]` });
  });
  return { ports, invalid, outOfRange };
}

/** Optional fields are set one by one: conditional spreads allocate and copy a temporary object per field. */
function portSpec(p: Port, published: number | undefined, path: string): PortSpec {
  const spec: PortSpec = { target: p.target, protocol: PROTOCOLS[(p.protocol || 'tcp').toLowerCase()] ?? 'TCP', path };
  if (published !== undefined) spec.published = published;
  if (p.host_ip) spec.hostIp = p.host_ip;
  if (p.name) spec.name = p.name;
  if (p.app_protocol) spec.appProtocol = p.app_protocol;
  return spec;
}

/** A unit's servicePorts, parsed once per lowering run (the services, ingress and network-policy passes read them). */
export function unitPorts(ctx: LowerContext, unit: ServiceUnit): ServicePorts {
  return ctx.memo(`ports\0${unit.service}`, () => servicePorts(unit.compose, unit.path));
}

/** A legal IANA service name (Kubernetes port name), or undefined. */
export function toPortName(raw: string): string | undefined {
  let s = raw.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
  if (s.length > 15) s = s.slice(0, 15).replace(/-+$/, '');
  return isPortName(s) ? s : undefined;
}

export function isPortName(s: string): boolean {
  return s.length > 0 && s.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');
}

const APP_PROTOCOLS: Record<string, string> = {
  h2c: 'kubernetes.io/h2c',
  ws: 'kubernetes.io/ws',
  wss: 'kubernetes.io/wss',
};

/** Compose app_protocol as a Kubernetes appProtocol (IANA names; h2c/ws/wss get the kubernetes.io prefix). */
export function toAppProtocol(raw: string): string | undefined {
  const v = raw.trim().toLowerCase();
  const mapped = APP_PROTOCOLS[v] ?? v;
  return isLabelKey(mapped) ? mapped : undefined;
}

/** Unique container ports with unique names: long-syntax name, else app_protocol, else `<proto>-<port>`. */
export function containerPorts(ports: PortSpec[]): ContainerPortSpec[] {
  const out: ContainerPortSpec[] = [];
  const taken = new Set<string>();
  const seen = new Map<string, ContainerPortSpec>();
  for (const p of ports) {
    const key = `${p.target}/${p.protocol}`;
    const known = seen.get(key);
    if (known) {
      if (!known.appProtocol && p.appProtocol && toAppProtocol(p.appProtocol)) known.appProtocol = toAppProtocol(p.appProtocol);
      continue;
    }
    const fallback = `${p.protocol.toLowerCase()}-${p.target}`;
    const candidates = [
      p.name && toPortName(p.name),
      p.appProtocol && toPortName(`${p.appProtocol}-${p.target}`),
      fallback,
    ].filter((c): c is string => Boolean(c));
    let name = candidates.find((c) => !taken.has(c));
    for (let i = 2; !name; i++) {
      const c = toPortName(`${fallback.slice(0, 12)}-${i}`);
      if (c && !taken.has(c)) name = c;
    }
    taken.add(name);
    const app = p.appProtocol ? toAppProtocol(p.appProtocol) : undefined;
    const spec: ContainerPortSpec = { target: p.target, protocol: p.protocol, name, ...(app ? { appProtocol: app } : {}) };
    seen.set(key, spec);
    out.push(spec);
  }
  return out;
}

const HTTP_APP = new Set(['http', 'https', 'kubernetes.io/h2c', 'http2', 'grpc', 'kubernetes.io/ws', 'kubernetes.io/wss']);
/** Container ports commonly serving plain HTTP, in preference order. */
const HTTP_PORTS = [80, 8080, 8000, 3000, 5000, 8081, 8888, 9000, 4200, 5173];
const HTTPS_PORTS = [443, 8443];

/**
 * The first HTTP-like port of `ports` (an Ingress backend): explicit http app_protocol or name first, then
 * well-known HTTP container (or else published) ports, then HTTPS ports; undefined when none looks like HTTP.
 */
export function httpLike(ports: PortSpec[]): PortSpec | undefined {
  const tcp = ports.filter((p) => p.protocol === 'TCP');
  const byApp = tcp.find((p) => {
    const app = p.appProtocol ? toAppProtocol(p.appProtocol) : undefined;
    return (app && HTTP_APP.has(app) && app !== 'https' && app !== 'kubernetes.io/wss') || /^(http|web|grpc)/i.test(p.name ?? '');
  });
  if (byApp) return byApp;
  for (const n of HTTP_PORTS) {
    const p = tcp.find((x) => x.target === n) ?? tcp.find((x) => x.published === n);
    if (p) return p;
  }
  const tls = tcp.find((p) => HTTPS_PORTS.includes(p.target) || HTTPS_PORTS.includes(p.published ?? 0) || (p.appProtocol && HTTP_APP.has(toAppProtocol(p.appProtocol) ?? '')));
  return tls;
}

export function isLoopback(ip: string | undefined): boolean {
  return ip !== undefined && (/^127\./.test(ip) || ip === '::1' || ip === 'localhost');
}
