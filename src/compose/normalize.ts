// Project-wide defaults that compose-go's loader/normalize.go adds once all files are merged and
// canonical: the implicit `default` network, implicit dependencies (links, `service:` namespaces,
// volumes_from), runtime names of networks/volumes/secrets/configs, build and pull_policy defaults, and
// the service image as the default image of pre_start hooks. Bare environment keys are resolved earlier,
// in canonicalize, which has the project environment.

import type { DependsOn, Project, Service } from '../model/project.js';
import { cleanPath } from './syntax/volumes.js';

const SERVICE_PREFIX = 'service:';
const CONTAINER_PREFIX = 'container:';

export function normalize(input: Project): Project {
  const project = structuredClone(input);
  normalizeNetworks(project);
  for (const service of Object.values(project.services ?? {})) normalizeService(service);
  setNamesFromKeys(project);
  return project;
}

/** Services with no network attachment join `default`, which is declared only if someone uses it. */
function normalizeNetworks(project: Project): void {
  let usesDefault = false;
  for (const service of Object.values(project.services ?? {})) {
    if (service.provider !== undefined || service.network_mode !== undefined) continue;
    if (service.networks === undefined || Object.keys(service.networks).length === 0) {
      service.networks = { default: null };
      usesDefault = true;
    } else if ('default' in service.networks) {
      usesDefault = true;
    }
  }
  if (usesDefault) {
    project.networks ??= {};
    project.networks.default ??= {};
  }
}

function normalizeService(service: Service): void {
  if (service.pull_policy === 'if_not_present') service.pull_policy = 'missing';
  if (service.build) {
    service.build.context ??= '.';
    if (service.build.dockerfile === undefined && service.build.dockerfile_inline === undefined) {
      service.build.dockerfile = 'Dockerfile';
    }
  }

  const dependsOn: Record<string, DependsOn> = { ...service.depends_on };
  const addImplicit = (name: string, restart: boolean) => {
    if (!(name in dependsOn)) dependsOn[name] = { condition: 'service_started', restart, required: true };
  };
  for (const link of service.links ?? []) {
    const parts = link.split(':');
    addImplicit(parts.length === 2 ? parts[0]! : link, true);
  }
  for (const ref of [service.network_mode, service.ipc, service.pid, service.uts, service.cgroup]) {
    if (typeof ref === 'string' && ref.startsWith(SERVICE_PREFIX)) addImplicit(ref.slice(SERVICE_PREFIX.length), true);
  }
  for (const from of service.volumes_from ?? []) {
    if (!from.startsWith(CONTAINER_PREFIX)) addImplicit(from.split(':')[0]!, false);
  }
  if (Object.keys(dependsOn).length > 0) service.depends_on = dependsOn;

  // loader/normalize.go cleans every mount target once more after the merge, and path.Clean("") is ".": a long-form
  // `target: ""` is printed (and reloads) as `target: .`.
  for (const volume of service.volumes ?? []) if (typeof volume.target === 'string') volume.target = volume.target === '' ? '.' : cleanPath(volume.target);

  // compose-spec#647: a pre_start hook runs the service image unless it names its own.
  if (service.image !== undefined) {
    for (const hook of service.pre_start ?? []) hook.image ??= service.image;
  }
}

/** Resources are named `<project>_<key>`, or `<key>` when external, unless `name` is given. */
function setNamesFromKeys(project: Project): void {
  for (const kind of ['networks', 'volumes', 'configs', 'secrets'] as const) {
    const resources = project[kind];
    if (!resources) continue;
    for (const [key, resource] of Object.entries(resources)) {
      const r = resource ?? {};
      if (r.name === undefined || r.name === null) r.name = r.external === true ? key : `${project.name}_${key}`;
      resources[key] = r;
    }
  }
}
