// Top-level networks, volumes, secrets and configs: `external` (the deprecated `{name}` form included), labels,
// driver options and a network's IPAM.

import { fail, goType, isDict, mapping, options, toBool, withCasts, type Cast, type Dict, type RunContext } from './casts.js';

export type ResourceKind = 'networks' | 'volumes' | 'secrets' | 'configs';

const RESOURCE_CASTS: Record<ResourceKind, Record<string, Cast>> = {
  networks: { internal: 'bool', attachable: 'bool', enable_ipv4: 'bool', enable_ipv6: 'bool' },
  volumes: {},
  secrets: {},
  configs: {},
};

export function canonicalResource(kind: ResourceKind, value: unknown, path: string, ctx: RunContext): Dict {
  if (value === null || value === undefined) return {};
  if (!isDict(value)) fail('canonical.type', `${path}: invalid type ${goType(value)}`, path);
  const r = withCasts(value, path, ctx, RESOURCE_CASTS[kind]);
  if (r.external !== undefined && r.external !== null) {
    if (isDict(r.external)) {
      // transform/external.go: the deprecated `external: {name: x}` becomes `external: true` + `name: x`.
      const legacyName = r.external.name;
      r.external = true;
      if (legacyName !== undefined) {
        ctx.warn('canonical.external-name', `${path}: external.name is deprecated. Please set name and external: true`, `${path}.external`);
        if (r.name !== undefined && r.name !== legacyName) {
          fail('canonical.external', `${path}: name and external.name conflict; only use name`, `${path}.name`);
        }
        r.name = legacyName;
      }
    } else {
      r.external = toBool(r.external, `${path}.external`, ctx);
    }
  }
  if (r.labels != null) r.labels = mapping(r.labels, `${path}.labels`);
  if (r.driver_opts != null) r.driver_opts = options(r.driver_opts, `${path}.driver_opts`);
  if (kind === 'networks' && isDict(r.ipam)) r.ipam = canonicalIpam(r.ipam, `${path}.ipam`);
  return r;
}

function canonicalIpam(v: Dict, path: string): Dict {
  const out: Dict = { ...v };
  if (out.options != null) out.options = options(out.options, `${path}.options`);
  if (Array.isArray(out.config)) {
    out.config = out.config.map((c, i) =>
      isDict(c) && c.aux_addresses != null ? { ...c, aux_addresses: mapping(c.aux_addresses, `${path}.config[${i}].aux_addresses`) } : c,
    );
  }
  return out;
}
