// Short port syntax, as compose-go's types.ParsePortConfig does it on top of docker/go-connections v0.4.0
// nat.ParsePortSpecs: `[[ip:]host:]container[/proto]` with ranges. Error texts are go-connections' own.
// Quirk kept: the expanded entries are ordered by the string "port/proto" (Go sorts the map keys), so
// `98-101` yields 100, 101, 98, 99.

import { isIP } from 'node:net';
import type { Port } from '../../model/project.js';

interface Binding {
  port: number;
  proto: string;
  hostIp: string;
  hostPort: string;
}

export function parsePortSpec(spec: string | number): Port[] {
  // A YAML integer is parsed as its decimal text (transform/ports.go), so it is range-checked too.
  const bindings = parsePortBindings(typeof spec === 'number' ? String(spec) : spec);
  const byKey = new Map<string, Binding[]>();
  for (const b of bindings) {
    const key = `${b.port}/${b.proto}`;
    byKey.set(key, [...(byKey.get(key) ?? []), b]);
  }
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.flatMap((key) =>
    byKey.get(key)!.map((b) => {
      const port: Port = { target: b.port, protocol: b.proto, mode: 'ingress' };
      if (b.hostIp !== '') port.host_ip = b.hostIp;
      if (b.hostPort !== '') port.published = b.hostPort;
      return port;
    }),
  );
}

/** Long-form defaults (transform.portDefaults) plus the string form of `published`. */
export function portDefaults(entry: Record<string, unknown>): Port {
  const port = { ...entry } as Record<string, unknown>;
  if (port['protocol'] === undefined) port['protocol'] = 'tcp';
  if (port['mode'] === undefined) port['mode'] = 'ingress';
  if (typeof port['published'] === 'number') port['published'] = String(port['published']);
  return port as unknown as Port;
}

function splitParts(raw: string): [ip: string, hostPort: string, containerPort: string] {
  const parts = raw.split(':');
  const n = parts.length;
  if (n === 1) return ['', '', parts[0]!];
  if (n === 2) return ['', parts[0]!, parts[1]!];
  return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, parts[n - 1]!];
}

function splitProtoPort(raw: string): [proto: string, port: string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

/** Go's strconv.ParseUint(s, 10, 16). */
function parseUint16(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffff ? n : undefined;
}

/** nat.ParsePortRange: `a` or `a-b` (anything after a second `-` is ignored, as in Go). */
function parsePortRange(s: string): [number, number] | undefined {
  if (s === '') return undefined;
  if (!s.includes('-')) {
    const p = parseUint16(s);
    return p === undefined ? undefined : [p, p];
  }
  const parts = s.split('-');
  const start = parseUint16(parts[0]!);
  const end = parseUint16(parts[1]!);
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

/**
 * net.SplitHostPort(ip + ":"), which go-connections calls to strip the brackets of an IPv6 address. A bare
 * multi-colon IPv6 address therefore fails with "too many colons in address".
 */
function stripBrackets(rawIp: string): string {
  const hostport = `${rawIp}:`;
  const fail = (why: string) => new Error(`Invalid ip address ${rawIp}: address ${hostport}: ${why}`);
  const lastColon = hostport.length - 1;
  let host: string;
  let noOpenFrom = 0;
  let noCloseFrom = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) throw fail("missing ']' in address");
    if (end + 1 !== lastColon) {
      throw fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
    }
    host = hostport.slice(1, end);
    noOpenFrom = 1;
    noCloseFrom = end + 1;
  } else {
    host = hostport.slice(0, lastColon);
    if (host.includes(':')) throw fail('too many colons in address');
  }
  if (hostport.slice(noOpenFrom).includes('[')) throw fail("unexpected '[' in address");
  if (hostport.slice(noCloseFrom).includes(']')) throw fail("unexpected ']' in address");
  return host;
}

/** net.ParseIP: dotted IPv4 without leading zeros, or IPv6 without a zone. */
function isGoIp(ip: string): boolean {
  if (ip.includes('%')) return false;
  return isIP(ip) !== 0;
}

function parsePortBindings(rawPort: string): Binding[] {
  const [rawIp, hostPort, containerPortWithProto] = splitParts(rawPort);
  const [proto, containerPort] = splitProtoPort(containerPortWithProto);

  const ip = stripBrackets(rawIp);
  if (ip !== '' && !isGoIp(ip)) throw new Error(`Invalid ip address: ${ip}`);
  if (containerPort === '') throw new Error(`No port specified: ${rawPort}<empty>`);

  const container = parsePortRange(containerPort);
  if (!container) throw new Error(`Invalid containerPort: ${containerPort}`);
  const [startPort, endPort] = container;

  let startHostPort = 0;
  let endHostPort = 0;
  if (hostPort.length > 0) {
    const host = parsePortRange(hostPort);
    if (!host) throw new Error(`Invalid hostPort: ${hostPort}`);
    [startHostPort, endHostPort] = host;
    // A host range is allowed with a single container port: it is the range to allocate into.
    if (endPort - startPort !== endHostPort - startHostPort && endPort !== startPort) {
      throw new Error(`Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }

  const lowerProto = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lowerProto)) throw new Error(`Invalid proto: ${proto}`);

  const bindings: Binding[] = [];
  for (let i = 0; i <= endPort - startPort; i++) {
    let published = hostPort.length > 0 ? String(startHostPort + i) : '';
    if (startPort === endPort && startHostPort !== endHostPort) published = `${published}-${endHostPort}`;
    bindings.push({ port: startPort + i, proto: lowerProto, hostIp: ip, hostPort: published });
  }
  return bindings;
}
