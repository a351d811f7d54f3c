// A service's references to other elements: `extends` (a service), `depends_on` (services, with their
// conditions defaulted), `networks` and `models` (a list of names becomes a map).

import { fail, goType, isDict, mapEntries, options, withCasts, type Dict, type RunContext } from './casts.js';

export function canonicalExtends(v: unknown, path: string): Dict {
  if (typeof v === 'string') return { service: v };
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for extends`, path);
  return { ...v };
}

export function canonicalDependsOn(v: unknown, path: string, ctx: RunContext): Record<string, Dict> {
  if (Array.isArray(v)) {
    return Object.fromEntries(v.map((s) => [String(s), { condition: 'service_started', required: true }]));
  }
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for depend_on`, path);
  return mapEntries(v, (dep, service) => {
    const at = `${path}.${service}`;
    if (!isDict(dep)) fail('canonical.type', `${at}: unsupported value ${JSON.stringify(dep)}`, at);
    const out = withCasts(dep, at, ctx, { required: 'bool', restart: 'bool' });
    if (out.condition === undefined) out.condition = 'service_started';
    if (out.required === undefined) out.required = true;
    return out;
  });
}

/** `networks` and `models` of a service: a list of names becomes a map with null values. */
export function canonicalNamedRefs(v: unknown, path: string): Record<string, unknown> {
  if (Array.isArray(v)) return Object.fromEntries(v.map((n) => [String(n), null]));
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)}`, path);
  return { ...v };
}

export function canonicalServiceNetworks(v: unknown, path: string, ctx: RunContext): Record<string, unknown> {
  return mapEntries(canonicalNamedRefs(v, path), (net, key) => {
    if (!isDict(net)) return net ?? null;
    const at = `${path}.${key}`;
    const out = withCasts(net, at, ctx, { priority: 'int', gw_priority: 'int' });
    if (net.driver_opts != null) out.driver_opts = options(net.driver_opts, `${at}.driver_opts`);
    return out;
  });
}
