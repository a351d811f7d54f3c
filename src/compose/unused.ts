// compose-go's WithoutUnnecessaryResources: after profiles, top-level networks, volumes, secrets, configs
// and models that no enabled service uses are dropped (docker compose config does the same).
import type { Project, Service } from '../model/project.js';

function used(services: Service[]): Record<'networks' | 'volumes' | 'secrets' | 'configs' | 'models', Set<string>> {
  const u = { networks: new Set<string>(), volumes: new Set<string>(), secrets: new Set<string>(), configs: new Set<string>(), models: new Set<string>() };
  for (const s of services) {
    for (const n of Object.keys(s.networks ?? {})) u.networks.add(n);
    for (const v of s.volumes ?? []) if (v.type === 'volume' && v.source) u.volumes.add(v.source);
    for (const r of s.secrets ?? []) u.secrets.add(r.source);
    for (const r of s.build?.secrets ?? []) u.secrets.add(r.source);
    for (const r of s.configs ?? []) u.configs.add(r.source);
    for (const m of Object.keys(s.models ?? {})) u.models.add(m);
  }
  return u;
}

export function withoutUnusedResources(project: Project): Project {
  const u = used(Object.values(project.services));
  const out: Project = { ...project };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs', 'models'] as const) {
    const all = project[kind] as Record<string, unknown> | undefined;
    if (!all) continue;
    const kept = Object.fromEntries(Object.entries(all).filter(([k]) => u[kind].has(k)));
    if (Object.keys(kept).length > 0) (out as unknown as Record<string, unknown>)[kind] = kept;
    else delete (out as unknown as Record<string, unknown>)[kind];
  }
  return out;
}
