// lowerProject: settings -> names -> units -> passes (in order) -> assemble -> report sweep.

import type { Diagnostics } from '../model/diagnostics.js';
import type { Placement } from '../model/kube.js';
import type { Project } from '../model/project.js';
import { assemble } from './assemble.js';
import { containersPass } from './containers.js';
import { newUnit, type KubeObject, type LowerContext, type PodGroup, type ServiceUnit } from './context.js';
import { resolveGroups } from './groups.js';
import { configsSecretsPass } from './configs-secrets.js';
import { envPass } from './env.js';
import { ingressPass } from './ingress.js';
import { LABEL, selectorLabels, serviceLabels } from './metadata.js';
import { buildNameTable, isDnsLabel } from './names.js';
import { networkPolicyPass } from './network-policy.js';
import { resolveOptions, type LowerOptions } from './options.js';
import { orderingPass } from './ordering.js';
import type { Pass } from './pass.js';
import { podMetadataPass } from './pod-metadata.js';
import { podSecurityPass, type PodSecurityService } from './pod-security.js';
import { podSettingsPass } from './pod-settings.js';
import { probesPass } from './probes.js';
import { Report, sweepUnaccounted, type ReportEntry } from './conversion-report.js';
import { scalingPass } from './scaling.js';
import { servicesPass } from './services.js';
import { resolveSettings } from './settings.js';
import { storagePass } from './storage.js';
import { unsupportedPass } from './unsupported.js';
import { workloadsPass } from './workloads.js';
import { merged } from './objects.js';

/**
 * The passes, in order. `workloads` must come first (every pass may read `unit.kind`); `ordering` after
 * `probes` (it checks the dependency's readiness probe); `pod-settings` after every pass that derives pod
 * fields from Compose (explicit settings win); `pod-security` after it (it checks and completes every container,
 * the init containers of `ordering` and `pod-settings` too); `unsupported` last.
 * `services`, `ingress`, `storage` (after `scaling`: it reads replicas and may replace the rollout with Recreate)
 * and `configs-secrets` come before `ordering` (which waits on the Services); `network-policy` after it
 * (internal networks must let wait init containers reach the API server).
 */
export const PASSES: readonly Pass[] = [
  workloadsPass,
  containersPass,
  envPass,
  probesPass,
  scalingPass,
  servicesPass,
  ingressPass,
  storagePass,
  configsSecretsPass,
  orderingPass,
  networkPolicyPass,
  podMetadataPass,
  podSettingsPass,
  podSecurityPass,
  unsupportedPass,
];

export interface LowerResult {
  /** In apply order. */
  objects: KubeObject[];
  report: ReportEntry[];
  /** Each compose service's workload and container (what `watch` syncs into and rolls). */
  placements: Record<string, Placement>;
  /** Per service, the Pod Security Standards level it meets as written (pod-security.ts). */
  podSecurity: PodSecurityService[];
  /** Labels of the project's Namespace (the pod-security.kubernetes.io labels of the chosen levels). */
  namespaceLabels: Record<string, string>;
}

export function lowerProject(
  project: Project,
  partial: Partial<LowerOptions>,
  diagnostics: Diagnostics,
  passes: readonly Pass[] = PASSES,
): LowerResult {
  const options = resolveOptions(partial);
  const report = new Report();
  const settings = resolveSettings(project, options, diagnostics, report);
  const overrides = Object.fromEntries(Object.entries(settings.services).map(([k, s]) => [k, s.name]));
  const names = buildNameTable(project, overrides, options.renameCollisions, diagnostics);
  const namespace = settings.project.namespace;
  if (namespace !== undefined && !isDnsLabel(namespace)) {
    diagnostics.error('namespace.invalid', `namespace "${namespace}" is not a valid DNS label`);
  }

  // x-kubernetes labels go on every object but can never change the selector.
  const extraLabels = (service: string, selector: Record<string, string>) =>
    Object.fromEntries(Object.entries(settings.services[service]!.labels).filter(([k]) => !(k in selector)));
  const groupOf = new Map<string, PodGroup>();
  for (const plan of resolveGroups(project, settings, options, names, diagnostics, report)) {
    const selector = selectorLabels(project.name, plan.name);
    // The group's own objects carry every member's x-kubernetes labels and annotations (first member wins a key).
    const extra = Object.assign({}, ...[...plan.members].reverse().map((m) => extraLabels(m, selector))) as Record<string, string>;
    const annotations = Object.assign({}, ...[...plan.members].reverse().map((m) => settings.services[m]!.annotations)) as Record<string, string>;
    const group: PodGroup = merged(plan, { selector, labels: merged(serviceLabels(project.name, plan.name), extra), annotations });
    for (const m of plan.members) groupOf.set(m, group);
  }

  const units = new Map<string, ServiceUnit>();
  for (const service of Object.keys(project.services).sort()) {
    const st = settings.services[service]!;
    const name = names.service(service);
    const group = groupOf.get(service);
    // A group member's pods are the group's: its Services select them.
    const selector = group?.selector ?? selectorLabels(project.name, name);
    units.set(
      service,
      newUnit({
        service,
        compose: project.services[service]!,
        name,
        settings: st,
        selector,
        labels: merged(serviceLabels(project.name, name), extraLabels(service, selector)),
        annotations: { ...st.annotations },
        ...(group ? { group } : {}),
      }),
    );
  }

  const emitted: KubeObject[] = [];
  const emittedKeys = new Set<string>();
  const origins = new Map<string, string>();
  const byKubeName = new Map([...units.values()].map((u) => [u.name, u.path]));
  const memos = new Map<string, unknown>();
  const namespaceLabels: Record<string, string> = {};
  const podSecurity: PodSecurityService[] = [];
  const ctx: LowerContext = {
    project,
    options,
    diagnostics,
    report,
    names,
    settings,
    units,
    files: options.files,
    ...(namespace ? { namespace } : {}),
    namespaceLabels,
    podSecurity,
    emit(object, origin) {
      // Kind and name are never changed after an object is emitted, so a set answers the clash check.
      const key = `${object.kind}\0${object.metadata.name}`;
      if (emittedKeys.has(key)) {
        diagnostics.error('lower.duplicate-object', `two ${object.kind} objects are named ${object.metadata.name}`);
        return;
      }
      emittedKeys.add(key);
      emitted.push(object);
      if (origin) origins.set(key, origin);
    },
    originOf(object) {
      const known = origins.get(`${object.kind}\0${object.metadata.name}`);
      if (known) return known;
      const component = object.metadata.labels?.[LABEL.component];
      return component !== undefined ? byKubeName.get(component) : undefined;
    },
    emitted: () => emitted,
    isEmitted: (kind, name) => emittedKeys.has(`${kind}\0${name}`),
    memo<T>(key: string, make: () => T): T {
      if (!memos.has(key)) memos.set(key, make());
      return memos.get(key) as T;
    },
  };

  for (const pass of passes) pass.run(ctx);
  const objects = assemble(ctx);
  sweepUnaccounted(project, report, diagnostics, options.strict);
  const placements = Object.fromEntries(
    [...units.values()].map((u) => [u.service, { kind: u.kind, name: u.workload, container: u.name, selector: u.selector }]),
  );
  return { objects, report: report.list(), podSecurity, namespaceLabels, placements };
}
