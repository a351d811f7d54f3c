// `deploy`: replicas, update and rollback configs, restart policy, placement, and resources (limits and
// reservations with their device requests).

import { deviceRequest } from './devices.js';
import { isDict, mapping, withCasts, type Dict, type RunContext } from './casts.js';

export function canonicalDeploy(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { replicas: 'int' });
  if (out.labels != null) out.labels = mapping(out.labels, `${path}.labels`);
  for (const key of ['update_config', 'rollback_config']) {
    if (isDict(out[key])) {
      out[key] = withCasts(out[key], `${path}.${key}`, ctx, {
        parallelism: 'int',
        delay: 'duration',
        monitor: 'duration',
        max_failure_ratio: 'float',
      });
    }
  }
  if (isDict(out.restart_policy)) {
    out.restart_policy = withCasts(out.restart_policy, `${path}.restart_policy`, ctx, {
      delay: 'duration',
      window: 'duration',
      max_attempts: 'int',
    });
  }
  if (isDict(out.placement)) {
    out.placement = withCasts(out.placement, `${path}.placement`, ctx, { max_replicas_per_node: 'int' });
  }
  if (isDict(out.resources)) {
    const resources: Dict = { ...out.resources };
    for (const kind of ['limits', 'reservations']) {
      if (isDict(resources[kind])) resources[kind] = canonicalResourceLimits(resources[kind], `${path}.resources.${kind}`, ctx);
    }
    out.resources = resources;
  }
  return out;
}

function canonicalResourceLimits(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { cpus: 'float', memory: 'bytes', pids: 'int' });
  if (Array.isArray(out.devices)) out.devices = out.devices.map((d, i) => deviceRequest(d, `${path}.devices[${i}]`));
  if (Array.isArray(out.generic_resources)) {
    out.generic_resources = out.generic_resources.map((g, i) => {
      if (!isDict(g) || !isDict(g.discrete_resource_spec)) return g;
      const at = `${path}.generic_resources[${i}].discrete_resource_spec`;
      return { ...g, discrete_resource_spec: withCasts(g.discrete_resource_spec, at, ctx, { value: 'int' }) };
    });
  }
  return out;
}
