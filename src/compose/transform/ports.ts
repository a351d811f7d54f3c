// `ports`: short syntax through syntax/ports.ts (a range becomes one entry per port), long syntax defaulted.

import type { Port } from '../../model/project.js';
import { parsePortSpec, portDefaults } from '../syntax/ports.js';
import { fail, goType, guard, isDict, toInt } from './casts.js';

export function canonicalPorts(v: unknown, path: string): Port[] {
  if (!Array.isArray(v)) fail('canonical.ports', `${path}: invalid type ${goType(v)} for port`, path);
  return v.flatMap((entry, i) => {
    const at = `${path}[${i}]`;
    if (typeof entry === 'string' || (typeof entry === 'number' && Number.isInteger(entry))) {
      return guard('canonical.ports', at, () => parsePortSpec(entry));
    }
    if (isDict(entry)) {
      const port = portDefaults(entry);
      if (port.target !== undefined) port.target = toInt(port.target, `${at}.target`);
      return [port];
    }
    fail('canonical.ports', `${at}: invalid type ${goType(entry)} for port`, at);
  });
}
