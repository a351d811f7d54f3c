// Project-wide defaults that compose-go's loader/normalize.go adds once all files are merged and
// canonical: the implicit `default` network, implicit dependencies (links, `service:` namespaces,
// volumes_from), runtime names of networks/volumes/secrets/configs, build and pull_policy defaults, and
// the service image as the default image of pre_start hooks. Bare environment keys are resolved earlier,
// in toCanonicalForm, which has the project environment.

import type { DependsOn, Project, Service } from '../model/project.js';
import { cleanPath } from './syntax/volumes.js';

const SERVICE_PREFIX = 'service:';
const CONTAINER_PREFIX = 'container:';

/** Does not modify `input`: the result shares it, and only the objects that get a default are copied. */
export function normalize(input: Project): Project {
  const project: Project = { ...input };
  if (input.services) {
    const services: Record<string, Service> = {};
    for (const [name, service] of Object.entries(input.services)) services[name] = normalizeService(service);
    project.services = services;
  }
  // The implicit `default` network is declared only if some service uses it.
  if (Object.values(project.services ?? {}).some(usesDefaultNetwork)) {
    project.networks = { ...project.networks, default: project.networks?.default ?? {} };
  }
  setNamesFromKeys(project);
  return project;
}

function attachesToNetworks(service: Service): boolean {
  return service.provider === undefined && service.network_mode === undefined;
}

function usesDefaultNetwork(service: Service): boolean {
  return attachesToNetworks(service) && service.networks !== undefined && 'default' in service.networks;
}

function normalizeService(input: Service): Service {
  const service: Service = { ...input };
  // Services with no network attachment join `default`.
  if (attachesToNetworks(service) && (service.networks === undefined || Object.keys(service.networks).length === 0)) {
    service.networks = { default: null };
  }
  if (service.pull_policy === 'if_not_present') service.pull_policy = 'missing';
  if (input.build) {
    const build = { ...input.build };
    build.context ??= '.';
    if (build.dockerfile === undefined && build.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
    service.build = build;
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
  if (input.volumes) {
    service.volumes = input.volumes.map((volume) => {
      if (typeof volume.target !== 'string') return volume;
      const target = volume.target === '' ? '.' : cleanPath(volume.target);
      return target === volume.target ? volume : { ...volume, target };
    });
  }

  // compose-spec#647: a pre_start hook runs the service image unless it names its own.
  if (service.image !== undefined && input.pre_start) {
    service.pre_start = input.pre_start.map((hook) => (hook.image === undefined || hook.image === null ? { ...hook, image: service.image } : hook));
  }
  return service;
}

/** Resources are named `<project>_<key>`, or `<key>` when external, unless `name` is given. */
function setNamesFromKeys(project: Project): void {
  for (const kind of ['networks', 'volumes', 'configs', 'secrets'] as const) {
    const resources = project[kind];
    if (!resources) continue;
    const named: Record<string, NonNullable<(typeof resources)[string]>> = {};
    for (const [key, resource] of Object.entries(resources)) {
      const r = resource ?? {};
      named[key] = r.name === undefined || r.name === null ? { ...r, name: r.external === true ? key : `${project.name}_${key}` } : r;
    }
    (project as Record<typeof kind, typeof named>)[kind] = named;
  }
}
