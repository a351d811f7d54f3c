// Short port syntax `[[ip:]host:]container[/proto]` with ranges, as compose-go's types.ParsePortConfig
// does it on top of docker/go-connections nat.ParsePortSpecs.
//
// Which go-connections: compose-go's go.mod asks for v0.4.0, but `docker compose` links a newer one
// (v0.6.0 in v2.40, v0.8.1 in v5.6, by minimal version selection), and its parsing is what users get:
// the protocol is split at the first `/`, ranges at the first `-`, and only a bracketed IP goes through
// net.SplitHostPort, so a bare IPv6 host IP (`::1:6000:6000`) is accepted (checked with compose-go
// v2.16.1 built both ways). The error texts are v0.4.0's, which compose-go's own tests assert.
// Quirk kept: the expanded entries are ordered by the string "port/proto" (Go sorts the map keys), so
// `98-101` yields 100, 101, 98, 99.

import type { Port } from '../../model/project.js';
import { isGoIp } from './ip.js';

interface Binding {
  port: number;
  proto: string;
  hostIp: string;
  hostPort: string;
}

export function parsePortSpec(spec: string | number): Port[] {
  // A YAML integer is parsed as its decimal text (transform/ports.go), so it is range-checked too.
  const bindings = parsePortBindings(typeof spec === 'number' ? String(spec) : spec);
  if (bindings.length === 1) return [toPort(bindings[0]!)];
  // The bindings of one spec share a protocol and differ in port, so each "port/proto" key is unique.
  const keyed = bindings.map((b) => ({ key: `${b.port}/${b.proto}`, binding: b }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ binding }) => toPort(binding));
}

function toPort(b: Binding): Port {
  const port: Port = { target: b.port, protocol: b.proto, mode: 'ingress' };
  if (b.hostIp !== '') port.host_ip = b.hostIp;
  if (b.hostPort !== '') port.published = b.hostPort;
  return port;
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

/** nat.SplitProtoPort: the protocol is whatever follows the first `/`, tcp when empty. */
function splitProtoPort(raw: string): [proto: string, port: string] {
  const slash = raw.indexOf('/');
  const port = slash < 0 ? raw : raw.slice(0, slash);
  const proto = slash < 0 ? '' : raw.slice(slash + 1);
  if (port === '') return ['', ''];
  return [proto === '' ? 'tcp' : proto, port];
}

/** nat.parsePortNumber: strconv.ParseInt(s, 10, 0) within 0-65535. */
function parsePortNumber(s: string): number | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 0 && n <= 0xffff ? n : undefined;
}

/** nat.parsePortRange: `a` or `a-b`, split at the first `-`. */
function parsePortRange(s: string): [number, number] | undefined {
  if (s === '') return undefined;
  const dash = s.indexOf('-');
  const startText = dash < 0 ? s : s.slice(0, dash);
  const start = parsePortNumber(startText);
  if (start === undefined) return undefined;
  const endText = s.slice(dash + 1);
  if (dash < 0 || endText === startText) return [start, start];
  const end = parsePortNumber(endText);
  if (end === undefined || end < start) return undefined;
  return [start, end];
}

/** net.SplitHostPort(ip + ":"), used to strip the brackets of `[::1]`. */
function stripBrackets(rawIp: string): string {
  const hostport = `${rawIp}:`;
  const fail = (why: string) => new Error(`Invalid ip address ${rawIp}: address ${hostport}: ${why}`);
  const lastColon = hostport.length - 1;
  const end = hostport.indexOf(']');
  if (end < 0) throw fail("missing ']' in address");
  if (end + 1 !== lastColon) {
    throw fail(hostport[end + 1] === ':' ? 'too many colons in address' : 'missing port in address');
  }
  if (hostport.slice(1).includes('[')) throw fail("unexpected '[' in address");
  if (hostport.slice(end + 1).includes(']')) throw fail("unexpected ']' in address");
  return hostport.slice(1, end);
}

function parsePortBindings(rawPort: string): Binding[] {
  const [rawIp, hostPort, containerPortWithProto] = splitParts(rawPort);
  const [proto, containerPort] = splitProtoPort(containerPortWithProto);
  if (containerPort === '') throw new Error(`No port specified: ${rawPort}<empty>`);

  const lowerProto = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lowerProto)) throw new Error(`Invalid proto: ${proto}`);

  const ip = rawIp.startsWith('[') ? stripBrackets(rawIp) : rawIp;
  if (ip !== '' && !isGoIp(ip)) throw new Error(`Invalid ip address: ${ip}`);

  const container = parsePortRange(containerPort);
  if (!container) throw new Error(`Invalid containerPort: ${containerPort}`);
  const [startPort, endPort] = container;

  let startHostPort = 0;
  let endHostPort = 0;
  if (hostPort !== '') {
    const host = parsePortRange(hostPort);
    if (!host) throw new Error(`Invalid hostPort: ${hostPort}`);
    [startHostPort, endHostPort] = host;
    // A host range is allowed with a single container port: it is the range to allocate into.
    if (endPort - startPort !== endHostPort - startHostPort && endPort !== startPort) {
      throw new Error(`Invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
    }
  }

  const count = endPort - startPort + 1;
  const bindings: Binding[] = [];
  for (let i = 0; i < count; i++) {
    let published = '';
    if (hostPort !== '') {
      published = String(startHostPort + i);
      if (count === 1 && startHostPort !== endHostPort) published += `-${endHostPort}`;
    }
    bindings.push({ port: startPort + i, proto: lowerProto, hostIp: ip, hostPort: published });
  }
  return bindings;
}
