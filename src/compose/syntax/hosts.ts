// `extra_hosts`, as compose-go's types.HostsList decodes it. The list form splits each entry at the first
// `=`, or failing that at the first `:` (so `myhostv6:::1` is host `myhostv6`, IP `::1`); the IP part may
// be a comma-separated list. The map form takes a string or a list per host. Brackets around an IP are
// removed; an empty host name or one containing `:` or `=` is rejected.

import { goSprint } from './units.js';

export type ExtraHostsInput = unknown[] | Record<string, unknown>;

export function parseExtraHosts(input: ExtraHostsInput): Record<string, string[]> {
  const hosts: Record<string, string[]> = {};
  if (Array.isArray(input)) {
    for (const item of input) {
      const entry = scalarText(item);
      const sep = entry.includes('=') ? '=' : entry.includes(':') ? ':' : undefined;
      if (sep === undefined) throw new Error(`invalid additional host, missing IP: ${entry}`);
      const at = entry.indexOf(sep);
      const host = entry.slice(0, at);
      const ips = entry.slice(at + 1).split(',');
      hosts[host] = [...(hosts[host] ?? []), ...ips];
    }
  } else {
    for (const [host, value] of Object.entries(input)) {
      if (value === null || value === undefined) hosts[host] = [''];
      else if (Array.isArray(value)) hosts[host] = value.map(scalarText);
      else hosts[host] = [scalarText(value)];
    }
  }
  for (const [host, ips] of Object.entries(hosts)) {
    if (host === '' || host.includes(':') || host.includes('=')) throw new Error(`bad host name '${host}'`);
    hosts[host] = ips.map((ip) => (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip));
  }
  return hosts;
}

function scalarText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return goSprint(v);
  return String(v);
}
