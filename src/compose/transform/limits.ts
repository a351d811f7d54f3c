// Kernel limits of a service (or a build): `ulimits` and `blkio_config`.

import { fail, goType, isDict, mapEntries, toInt, withCasts, type Dict, type RunContext } from './casts.js';

export function canonicalUlimits(v: unknown, path: string): Record<string, Dict> {
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for ulimits`, path);
  return mapEntries(v, (limit, name) => {
    const at = `${path}.${name}`;
    if (isDict(limit)) {
      const out: Dict = { ...limit };
      for (const key of ['single', 'soft', 'hard']) if (out[key] != null) out[key] = toInt(out[key], `${at}.${key}`);
      return out;
    }
    if (typeof limit === 'number' || typeof limit === 'string') {
      // compose-go's UlimitsConfig: `single` is omitempty, so `nofile: 0` is soft 0 / hard 0, and config prints it so.
      const n = toInt(limit, at);
      return n === 0 ? { soft: 0, hard: 0 } : { single: n };
    }
    fail('canonical.type', `${at}: invalid type ${goType(limit)} for ulimits`, at);
  });
}

export function canonicalBlkio(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { weight: 'int' });
  if (Array.isArray(out.weight_device)) {
    out.weight_device = out.weight_device.map((d, i) => (isDict(d) ? withCasts(d, `${path}.weight_device[${i}]`, ctx, { weight: 'int' }) : d));
  }
  // ThrottleDevice.Rate is a byte size for all four lists, IOPS included.
  for (const key of ['device_read_bps', 'device_read_iops', 'device_write_bps', 'device_write_iops']) {
    if (Array.isArray(out[key])) {
      out[key] = (out[key] as unknown[]).map((d, i) => (isDict(d) ? withCasts(d, `${path}.${key}[${i}]`, ctx, { rate: 'bytes' }) : d));
    }
  }
  return out;
}
