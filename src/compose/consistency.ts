// Consistency checks on the canonical project: the ones compose-go makes in loader/validate.go, validation/*.go
// and graph/cycle.go, worded like them. compose-go stops at the first failure; we report all of them at once.

import { DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import type { DeviceRequest, Project, Service } from '../model/project.js';
import { contextKind } from './resolve-paths.js';
import { isGoIp } from './syntax/ip.js';

const INVALID = 'invalid compose project';

/**
 * Throws a DiagnosticError listing every inconsistency. `disabled` maps services removed by profiles to their
 * profiles: a non-required `depends_on` on one of them is allowed, as in compose-go.
 */
export function checkConsistency(project: Project, disabled: Record<string, string[]> = {}): void {
  const found: Diagnostic[] = [];
  const report = (code: string, message: string, path: string): void => {
    found.push({ severity: 'error', code, message, path });
  };
  for (const [name, service] of Object.entries(project.services)) {
    checkService(project, name, service, disabled, report);
  }
  checkFileObjects(project, report);
  checkExternalVolumes(project, report);
  const cycle = findDependencyCycle(project);
  if (cycle) report('consistency.dependency-cycle', `dependency cycle detected: ${cycle.join(' -> ')}`, `services.${cycle[0]}.depends_on`);
  if (found.length > 0) throw new DiagnosticError(found);
}

type Report = (code: string, message: string, path: string) => void;

function checkService(project: Project, name: string, s: Service, disabled: Record<string, string[]>, report: Report): void {
  const at = `services.${name}`;
  // A provider service is run by a plugin and has no image.
  if (!s.build && !s.image && !s.provider) {
    report('consistency.missing-image', `service "${name}" has neither an image nor a build context specified: ${INVALID}`, at);
  }
  if (s.build?.dockerfile && s.build.dockerfile_inline) {
    // "mutualy" is compose-go's spelling.
    report('consistency.dockerfile-conflict', `service "${name}" declares mutualy exclusive dockerfile and dockerfile_inline: ${INVALID}`, `${at}.build`);
  }
  for (const [key, context] of Object.entries(s.build?.additional_contexts ?? {})) {
    if (contextKind(context) !== 'service') continue;
    const target = context.slice('service:'.length);
    const path = `${at}.build.additional_contexts.${key}`;
    if (!project.services[target]) report('consistency.build-context-service', `service "${name}" declares unknown service "${target}" as additional contexts ${key}`, path);
    else if (!project.services[target]!.build) report('consistency.build-context-service', `service "${name}" declares non-buildable service "${target}" as additional contexts ${key}`, path);
  }
  if (s.build?.platforms?.length && s.platform && !s.build.platforms.includes(s.platform)) {
    report('consistency.build-platform', `service.build.platforms MUST include service.platform "${s.platform}": ${INVALID}`, `${at}.build.platforms`);
  }
  checkNetworks(project, name, s, report);
  checkReferences(project, name, s, report);
  checkDependsOn(project, name, s, disabled, report);
  checkHealthcheck(name, s, report);
  checkScaleAndResources(name, s, report);
  checkWatch(name, s, report);
  checkMounts(name, s, report);
  checkDeviceRequests(name, s, report);
  checkPorts(name, s, report);
}

function checkNetworks(project: Project, name: string, s: Service, report: Report): void {
  const at = `services.${name}`;
  const networks = Object.keys(s.networks ?? {});
  if (s.network_mode && networks.length > 0) {
    report('consistency.network-mode-conflict', `service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: ${INVALID}`, at);
  }
  for (const net of networks) {
    if (!project.networks?.[net]) {
      report('consistency.undefined-network', `service "${name}" refers to undefined network ${net}: ${INVALID}`, `${at}.networks.${net}`);
    }
  }
  if (s.network_mode?.startsWith('service:')) {
    const target = s.network_mode.slice('service:'.length);
    if (!project.services[target]) {
      report('consistency.network-mode-service', `service "${target}" not found for network_mode 'service:${target}'`, `${at}.network_mode`);
    }
  }
}

function checkReferences(project: Project, name: string, s: Service, report: Report): void {
  const at = `services.${name}`;
  const undefinedRef = (what: string, ref: string, path: string): void =>
    report(`consistency.undefined-${what.replace(' ', '-')}`, `service "${name}" refers to undefined ${what} ${ref}: ${INVALID}`, path);
  (s.volumes ?? []).forEach((v, i) => {
    // Anonymous volumes (no source) need no declaration.
    if (v.type === 'volume' && v.source && !project.volumes?.[v.source]) undefinedRef('volume', v.source, `${at}.volumes[${i}]`);
  });
  (s.build?.secrets ?? []).forEach((ref, i) => {
    if (!project.secrets?.[ref.source]) undefinedRef('build secret', ref.source, `${at}.build.secrets[${i}]`);
  });
  (s.configs ?? []).forEach((ref, i) => {
    if (!project.configs?.[ref.source]) undefinedRef('config', ref.source, `${at}.configs[${i}]`);
  });
  (s.secrets ?? []).forEach((ref, i) => {
    if (!project.secrets?.[ref.source]) undefinedRef('secret', ref.source, `${at}.secrets[${i}]`);
  });
  for (const model of Object.keys(s.models ?? {})) {
    if (!project.models?.[model]) undefinedRef('model', model, `${at}.models.${model}`);
  }
}

function checkDependsOn(project: Project, name: string, s: Service, disabled: Record<string, string[]>, report: Report): void {
  for (const [dep, cfg] of Object.entries(s.depends_on ?? {})) {
    if (project.services[dep]) continue;
    if (disabled[dep] && cfg.required === false) continue;
    report('consistency.undefined-service', `service "${name}" depends on undefined service "${dep}": ${INVALID}`, `services.${name}.depends_on.${dep}`);
  }
}

function checkHealthcheck(name: string, s: Service, report: Report): void {
  const first = s.healthcheck?.test?.[0];
  if (first !== undefined && first !== 'CMD' && first !== 'CMD-SHELL' && first !== 'NONE') {
    report('consistency.healthcheck-test', 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"', `services.${name}.healthcheck.test`);
  }
}

/** compose-go compares service-level values with `deploy` ones whenever `deploy.resources.limits` exists, even if the limit is unset. */
function checkScaleAndResources(name: string, s: Service, report: Report): void {
  const at = `services.${name}`;
  const conflict = (a: string, b: string): void =>
    report('consistency.conflicting-values', `${at}: can't set distinct values on '${a}' and '${b}': ${INVALID}`, at);
  const deploy = s.deploy;
  if (s.scale !== undefined && deploy?.replicas !== undefined && s.scale !== deploy.replicas) conflict('scale', 'deploy.replicas');
  const limits = deploy?.resources?.limits;
  const reservations = deploy?.resources?.reservations;
  // cpus are float32 in compose-go.
  if (s.cpus && limits && Math.fround(limits.cpus ?? 0) !== Math.fround(s.cpus)) conflict('cpus', 'deploy.resources.limits.cpus');
  if (s.mem_limit && limits && (limits.memory ?? 0) !== s.mem_limit) conflict('mem_limit', 'deploy.resources.limits.memory');
  if (s.mem_reservation && reservations && (reservations.memory ?? 0) !== s.mem_reservation) {
    conflict('mem_reservation', 'deploy.resources.reservations.memory');
  }
  if (s.pids_limit && limits && (limits.pids ?? 0) !== s.pids_limit) conflict('pids_limit', 'deploy.resources.limits.pids');

  if (s.scale !== undefined && s.scale < 0) {
    report('consistency.negative-scale', `${at}.scale must be greater than or equal to 0`, `${at}.scale`);
  }
  if (deploy?.replicas !== undefined && deploy.replicas < 0) {
    report('consistency.negative-scale', `${at}.deploy.replicas must be greater than or equal to 0`, `${at}.deploy.replicas`);
  }
  const scale = s.scale ?? deploy?.replicas ?? 1;
  if (scale > 1 && s.container_name) {
    const attr = s.scale !== undefined ? 'scale' : 'deploy.replicas';
    // compose-go swaps its format arguments here; the message is reproduced as docker compose prints it.
    report(
      'consistency.container-name-scale',
      `services.${attr}: can't set container_name and ${name} as container name must be unique: ${INVALID}`,
      `${at}.container_name`,
    );
  }
}

function checkWatch(name: string, s: Service, report: Report): void {
  const watch = s.develop?.watch;
  if (!Array.isArray(watch)) return;
  watch.forEach((rule: unknown, i) => {
    const r = (rule ?? {}) as { path?: unknown; action?: unknown; target?: unknown };
    const at = `services.${name}.develop.watch[${i}]`;
    if (typeof r.path !== 'string' || r.path === '') report('consistency.watch-path', `${at}.path: value can't be blank`, `${at}.path`);
    if (r.action !== 'rebuild' && !r.target) {
      report('consistency.watch-target', `services.${name}.develop.watch: target is required for non-rebuild actions: ${INVALID}`, at);
    }
  });
}

/** tmpfs entries are registered first, then volumes, so a clash names the volume (compose-go order). */
function checkMounts(name: string, s: Service, report: Report): void {
  const mounted = new Map<string, string>();
  const mount = (target: string, loc: string): void => {
    const existing = mounted.get(target);
    if (existing !== undefined) {
      report('consistency.duplicate-mount', `${loc}: target ${target} already mounted as ${existing}`, loc);
    } else {
      mounted.set(target, loc);
    }
  };
  (s.tmpfs ?? []).forEach((entry, i) => mount(entry.split(':')[0]!, `services.${name}.tmpfs[${i}]`));
  (s.volumes ?? []).forEach((v, i) => mount(v.target, `services.${name}.volumes[${i}]`));
}

function checkDeviceRequests(name: string, s: Service, report: Report): void {
  const check = (d: DeviceRequest, loc: string): void => {
    // Normalization gives an entry without ids `count: -1`, so only a non-empty id list conflicts.
    if (d.count !== undefined && d.device_ids !== undefined && d.device_ids.length > 0) {
      report('consistency.device-request', `${loc}: "count" and "device_ids" attributes are exclusive`, loc);
    }
  };
  (s.deploy?.resources?.reservations?.devices ?? []).forEach((d, i) =>
    check(d, `services.${name}.deploy.resources.reservations.devices[${i}]`),
  );
  (s.gpus ?? []).forEach((d, i) => check(d, `services.${name}.gpus[${i}]`));
}

/** Go's net.ParseIP: dotted IPv4 or IPv6, no zone. An empty host_ip means "not set" after canonicalization. */
function checkPorts(name: string, s: Service, report: Report): void {
  (s.ports ?? []).forEach((p, i) => {
    const ip = p.host_ip;
    if (ip === undefined || ip === '') return;
    if (!isGoIp(ip)) {
      const loc = `services.${name}.ports[${i}]`;
      report('consistency.invalid-ip', `${loc}: invalid ip address: ${ip}`, loc);
    }
  });
}

/** Top-level secrets need `file` or `environment`; configs need `file`, `environment` or `content` (validation/validation.go). */
function checkFileObjects(project: Project, report: Report): void {
  for (const [key, secret] of Object.entries(project.secrets ?? {})) {
    const at = `secrets.${key}`;
    const present = (['file', 'environment'] as const).filter((k) => secret[k] !== undefined);
    if (present.length > 1) {
      report('consistency.secret-source', `${at}: file|environment attributes are mutually exclusive`, at);
    } else if (!secret.external && !secret.driver) {
      if (present.length === 0) report('consistency.secret-source', `${at}: one of file|environment must be set`, at);
      // Declared but empty, e.g. `file: ${UNSET}`: caught by compose-go's checkConsistency.
      else if (!secret.file && !secret.environment) {
        report('consistency.secret-source', `secret "${key}" must declare either \`file\` or \`environment\`: ${INVALID}`, at);
      }
    }
  }
  for (const [key, config] of Object.entries(project.configs ?? {})) {
    const at = `configs.${key}`;
    // The loader may fill `content` from `environment`; only a `content` of its own counts as a source.
    const sources = [config.file !== undefined, config.environment !== undefined, config.content !== undefined && config.environment === undefined];
    const count = sources.filter(Boolean).length;
    if (count > 1) report('consistency.config-source', `${at}: file|environment|content attributes are mutually exclusive`, at);
    else if (count === 0 && !config.external && !config.driver) {
      report('consistency.config-source', `${at}: one of file|environment|content must be set`, at);
    }
  }
}

/** `external: true` volumes accept only `name` and extensions (validation/external.go). */
function checkExternalVolumes(project: Project, report: Report): void {
  for (const [key, volume] of Object.entries(project.volumes ?? {})) {
    if (volume.external !== true) continue;
    for (const [attr, value] of Object.entries(volume)) {
      if (attr === 'name' || attr === 'external' || attr.startsWith('x-') || value === undefined) continue;
      report('consistency.external-conflict', `volumes.${key}: conflicting parameters "external" and "${attr}" specified`, `volumes.${key}.${attr}`);
    }
  }
}

/**
 * Depth-first search in name order, like compose-go's graph.CheckCycle, so the reported cycle is stable:
 * `dependency cycle detected: a -> b -> a`. Dependencies on services that do not exist are ignored here.
 */
export function findDependencyCycle(project: Project): string[] | undefined {
  const services = project.services;
  const children = (name: string): string[] =>
    Object.keys(services[name]?.depends_on ?? {})
      .filter((d) => services[d] !== undefined)
      .sort();
  const done = new Set<string>();
  const search = (path: string[]): string[] | undefined => {
    const current = path[path.length - 1]!;
    for (const child of children(current)) {
      const i = path.indexOf(child);
      if (i >= 0) return [...path.slice(i), child];
      if (done.has(child)) continue;
      const found = search([...path, child]);
      if (found) return found;
    }
    done.add(current);
    return undefined;
  };
  for (const name of Object.keys(services).sort()) {
    if (done.has(name)) continue;
    const found = search([name]);
    if (found) return found;
  }
  return undefined;
}
