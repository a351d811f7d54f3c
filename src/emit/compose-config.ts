// Renders the normalized model the way `docker compose config` prints it, so the two can be diffed.
import { stringify } from 'yaml';
import type { LoadedProject, Project } from '../model/project.js';
import { resolveServiceEnvironment } from '../compose/service-env.js';

const TOP_LEVEL_ORDER = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** The JSON shape of `docker compose config --format json`. */
export function composeConfigObject(loaded: LoadedProject, options: { resolveEnvironment?: boolean } = {}): Record<string, unknown> {
  const p: Project = loaded.project;
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(p.services).sort()) {
    const svc = { ...p.services[name]! };
    if (options.resolveEnvironment !== false && (svc.env_file || svc.environment)) {
      const env = resolveServiceEnvironment(svc, loaded.source.environment);
      if (Object.keys(env).length > 0) svc.environment = env;
    }
    services[name] = sortKeys(svc);
  }
  const out: Record<string, unknown> = {};
  const all: Record<string, unknown> = { ...p, services };
  for (const k of TOP_LEVEL_ORDER) if (all[k] !== undefined) out[k] = k === 'services' ? services : sortKeys(all[k]);
  for (const k of Object.keys(all).sort()) if (!(k in out) && all[k] !== undefined) out[k] = sortKeys(all[k]);
  return out;
}

export function composeConfigYaml(obj: unknown): string {
  return stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function composeConfigJson(obj: unknown): string {
  return JSON.stringify(obj, null, 2) + '\n';
}
