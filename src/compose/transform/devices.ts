// `devices`, `gpus` and the device requests of `deploy.resources.reservations.devices`.

import { parseDeviceSpec } from '../syntax/devices.js';
import { fail, goType, guard, isDict, mapping, stringList, type Dict } from './casts.js';

export function canonicalDevices(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail('canonical.devices', `${path}: invalid type ${goType(v)} for devices`, path);
  return v.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string') return guard('canonical.devices', at, () => parseDeviceSpec(entry));
    if (isDict(entry)) return { ...entry };
    fail('canonical.devices', `${at}: invalid type ${goType(entry)} for service volume mount`, at);
  });
}

export function canonicalGpus(v: unknown, path: string): Dict[] {
  if (typeof v === 'string') return [{ count: -1 }]; // `gpus: all`
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for gpus`, path);
  return v.map((d, i) => deviceRequest(d, `${path}[${i}]`));
}

/** A device request: `count: all` is -1, and so is a request naming neither count nor device_ids. */
export function deviceRequest(v: unknown, path: string): Dict {
  if (!isDict(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for device request`, path);
  const out: Dict = { ...v };
  if (out.count === undefined && out.device_ids === undefined) out.count = -1;
  else if (out.count !== undefined) out.count = deviceCount(out.count, `${path}.count`);
  if (out.options != null) out.options = mapping(out.options, `${path}.options`);
  for (const key of ['capabilities', 'device_ids']) if (out[key] != null) out[key] = stringList(out[key]);
  return out;
}

function deviceCount(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  if (s.toLowerCase() === 'all') return -1;
  if (/^[+-]?\d+$/.test(s)) return Number(s);
  fail('canonical.device-count', `invalid value ${JSON.stringify(s)}, the only value allowed is 'all' or a number`, path);
}
