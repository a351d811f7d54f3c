// Profile filtering (the `profiles` attribute and --profile), following compose-go's Project.WithProfiles and WithServicesEnabled.
// Only services are filtered; networks, volumes, secrets, configs and models are kept as they are.

import { DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import type { Project, Service } from '../model/project.js';

export interface ProfilesResult {
  project: Project;
  /** Services removed because none of their profiles is active (name -> profiles). */
  disabled: Record<string, string[]>;
}

/**
 * Keeps the services enabled by the `active` profiles (`*` enables all). Services named in `explicitServices`
 * (e.g. `convert web`) activate their own profiles, which may enable other services of those profiles too.
 * A required dependency on a disabled service is an error; an optional one (`required: false`) is dropped.
 */
export function applyProfiles(project: Project, active: string[], explicitServices: string[] = []): ProfilesResult {
  const unknown = explicitServices.filter((name) => !project.services[name]);
  if (unknown.length > 0) {
    throw new DiagnosticError(
      unknown.map((name) => ({ severity: 'error', code: 'profiles.no-such-service', message: `no such service: ${name}` })),
    );
  }

  const profiles = [...active];
  for (const name of explicitServices) {
    const service = project.services[name]!;
    if (!isEnabled(service, profiles)) profiles.push(...(service.profiles ?? []));
  }

  const enabled: Record<string, Service> = {};
  const disabled: Record<string, string[]> = {};
  for (const [name, service] of Object.entries(project.services)) {
    if (isEnabled(service, profiles)) enabled[name] = service;
    else disabled[name] = [...(service.profiles ?? [])];
  }

  const errors: Diagnostic[] = [];
  for (const [name, service] of Object.entries(enabled)) {
    const deps = service.depends_on;
    if (!deps) continue;
    const dropped = Object.keys(deps).filter((dep) => disabled[dep] && deps[dep]!.required === false);
    for (const dep of Object.keys(deps)) {
      if (disabled[dep] && deps[dep]!.required !== false) {
        // The text docker compose prints for this case (the service exists, but is not enabled).
        errors.push({
          severity: 'error',
          code: 'profiles.disabled-dependency',
          message: `service "${name}" depends on undefined service "${dep}": invalid compose project`,
          path: `services.${name}.depends_on.${dep}`,
        });
      }
    }
    if (dropped.length > 0) {
      const kept = Object.fromEntries(Object.entries(deps).filter(([dep]) => !dropped.includes(dep)));
      const { depends_on: _, ...rest } = service;
      enabled[name] = Object.keys(kept).length > 0 ? { ...rest, depends_on: kept } : rest;
    }
  }
  if (errors.length > 0) throw new DiagnosticError(errors);

  return { project: { ...project, services: enabled }, disabled };
}

/** compose-go ServiceConfig.HasProfile: no profiles means always enabled. */
function isEnabled(service: Service, profiles: string[]): boolean {
  const own = service.profiles ?? [];
  if (own.length === 0) return true;
  return profiles.some((p) => p === '*' || own.includes(p));
}
