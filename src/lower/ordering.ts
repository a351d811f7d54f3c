// depends_on -> init containers that wait (peers §6.1). Kubernetes starts every pod at once; Compose's
// start order is rebuilt by waiting inside the dependent pod. Waits use cluster DNS wherever they can: it
// needs no token, no RBAC and no namespace in the manifests, so a stream applied with `-n other` still works.
// - service_healthy: until `<dep>-ready`, a headless Service of the dependency's pods, resolves. DNS of a
//   headless Service lists only ready endpoints, i.e. pods whose readinessProbe (the healthcheck) passes;
// - service_started (with waitForStarted): until `<dep>-started` resolves, the same Service publishing pods
//   that are not ready yet, so it resolves once a pod of the dependency runs;
// - service_completed_successfully: a finished Job's pods are endpoints of nothing, so this one asks the API:
//   `kubectl wait` (in-cluster config: the pod's own namespace, TLS verified with the service account CA) in
//   the kubectl image, with a ServiceAccount, Role and RoleBinding allowed to read Jobs. The RoleBinding's
//   subject names no namespace: in a RoleBinding it means the binding's own.

import type { Container, Service as KubeService } from 'kubernetes-types/core/v1.js';
import type { Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { asKube, podOwner, unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { escapeKubeExpansion } from './units.js';

const HARDENED = {
  runAsNonRoot: true,
  runAsUser: 65534,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};

/**
 * A shell loop until `host` resolves to at least one address. busybox nslookup prints the server as
 * `Address:<tab>ip:53` and each answer as `Address: ip`, so only an answer matches.
 */
export function dnsWaitScript(host: string, waiting: string): string {
  return `until nslookup ${host} 2>/dev/null | grep -q '^Address: '; do echo '${waiting}'; sleep 1; done`;
}

function dnsWait(ctx: LowerContext, name: string, host: string, waiting: string): Container {
  return {
    name,
    image: ctx.options.helperImage,
    command: ['/bin/sh', '-c', escapeKubeExpansion(dnsWaitScript(host, waiting))],
    env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
    securityContext: HARDENED,
  };
}

function jobWait(ctx: LowerContext, name: string, job: string): Container {
  return {
    name,
    image: ctx.options.kubectlImage,
    command: ['kubectl', 'wait', '--for=condition=Complete', '--timeout=-1s', `job/${job}`],
    securityContext: HARDENED,
  };
}

/** The headless Service `<dep>-ready` (or `-started`, which also lists pods not ready yet), once per dependency. */
function waitService(ctx: LowerContext, target: ServiceUnit, which: 'ready' | 'started'): string {
  return ctx.memo(`wait-service\0${which}\0${target.service}`, () => {
    const name = ctx.names.claim('Service', `${which}:${target.service}`, `${target.name}-${which}`);
    const svc: KubeService = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: unitMetadata(target, name),
      spec: { clusterIP: 'None', selector: { ...target.selector }, ...(which === 'started' ? { publishNotReadyAddresses: true } : {}) },
    };
    ctx.emit(asKube(svc), target.path);
    return name;
  });
}

function host(ctx: LowerContext, service: string): string {
  return `${service}.$POD_NAMESPACE.svc.${ctx.options.clusterDomain}`;
}

export interface ApiNeeds {
  jobs: string[];
}

/** The wait init containers of one service; what they need from the API is added to `needs`. */
export function lowerOrdering(ctx: LowerContext, unit: ServiceUnit, needs: ApiNeeds = { jobs: [] }): ApiNeeds {
  const deps = Object.entries(unit.compose.depends_on ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  if (!deps.length) return needs;
  const waits: Container[] = [];
  for (const [dep, spec] of deps) {
    const path = `${unit.path}.depends_on.${dep}`;
    const target = ctx.units.get(dep);
    if (!target) {
      if (spec.required) ctx.diagnostics.error('ordering.unknown-service', `${unit.service} depends on unknown service ${dep}`, { path });
      else ctx.report.mapped(path, '(optional dependency not in the project)');
      continue;
    }
    if (unit.group && target.workload === unit.workload) {
      // Init containers run before every container of the pod: waiting for a sibling would never end.
      const condition = spec.condition ?? 'service_started';
      if (condition !== 'service_started') {
        ctx.diagnostics.warn('group.depends-on', `${unit.service} waits for ${dep} (${condition}), but both are containers of one pod, which start together: the order is not enforced`, { path });
      }
      ctx.report.approximated(path, `${workloadRef(unit)} (same pod as ${dep})`, `containers of one pod start together; ${condition} is not waited for`);
      continue;
    }
    const waitName = ctx.names.claim(`initContainer:${unit.service}`, dep, `wait-for-${target.name}`);
    const restartNote = spec.restart ? '; restart: true (restart with the dependency) has no equivalent' : '';
    const to = `${workloadRef(unit)} initContainer ${waitName}`;
    switch (spec.condition) {
      case 'service_healthy': {
        if (!target.container.readinessProbe) {
          ctx.diagnostics.warn('ordering.no-healthcheck', `${unit.service} waits for ${dep} to be healthy, but ${dep} has no healthcheck: it counts as healthy once running`, { path });
        }
        const ready = waitService(ctx, target, 'ready');
        waits.push(dnsWait(ctx, waitName, host(ctx, ready), `waiting for ${dep} to be ready`));
        report(ctx, path, to, restartNote);
        break;
      }
      case 'service_completed_successfully': {
        if (target.kind !== 'Job') {
          ctx.diagnostics.warn('ordering.not-a-job', `${unit.service} waits for ${dep} to complete, but ${dep} is a ${target.kind}, which never completes; not waiting`, { path });
          ctx.report.ignored(path, `${dep} is a ${target.kind}, not a Job`);
          break;
        }
        waits.push(jobWait(ctx, waitName, target.workload));
        if (!needs.jobs.includes(target.workload)) needs.jobs.push(target.workload);
        report(ctx, path, to, restartNote);
        break;
      }
      default: {
        if (!ctx.options.waitForStarted) {
          ctx.report.approximated(path, '(no wait)', `Kubernetes starts all pods together; clients must retry until ${dep} is up (or enable waitForStarted)`);
          break;
        }
        const started = waitService(ctx, target, 'started');
        waits.push(dnsWait(ctx, waitName, host(ctx, started), `waiting for ${dep} to start`));
        ctx.report.approximated(path, to, `waits until a pod of ${dep} has an address, not until its container started${restartNote}`);
      }
    }
  }
  unit.initContainers = [...waits, ...unit.initContainers];
  return needs;
}

function report(ctx: LowerContext, path: string, to: string, restartNote: string): void {
  if (restartNote) ctx.report.approximated(path, to, restartNote.slice(2));
  else ctx.report.mapped(path, to);
}

/**
 * The ServiceAccount (unless the user chose one), Role and RoleBinding the Job waits of one pod need: per
 * service, or once for a group's pod (the token is the pod's).
 */
function grantApiAccess(ctx: LowerContext, units: ServiceUnit[], needs: ApiNeeds): void {
  const unit = units[0]!;
  const owner = podOwner(unit);
  const key = unit.group ? `group:${unit.workload}` : unit.service;
  let account = units.map((u) => u.settings.serviceAccountName).find(Boolean);
  if (!account) {
    account = ctx.names.claim('ServiceAccount', key, owner.name);
    const sa: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: unitMetadata(owner, account) };
    ctx.emit(asKube(sa));
  }
  for (const u of units) u.pod.serviceAccountName = account;
  const name = ctx.names.claim('Role', key, `${owner.name}-wait`);
  // kubectl wait lists and watches with a field selector on the name, which resourceNames cannot allow.
  const rules: Role['rules'] = [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] }];
  const role: Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: unitMetadata(owner, name), rules };
  const binding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: unitMetadata(owner, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: account }],
  };
  ctx.emit(asKube(role));
  ctx.emit(asKube(binding));
}

export const orderingPass: Pass = {
  name: 'ordering',
  run(ctx) {
    // One grant per pod: a group's members share the pod's ServiceAccount.
    const pods = new Map<string, { units: ServiceUnit[]; needs: ApiNeeds }>();
    for (const unit of ctx.units.values()) {
      const pod = pods.get(unit.workload) ?? { units: [], needs: { jobs: [] } };
      pods.set(unit.workload, pod);
      pod.units.push(unit);
      lowerOrdering(ctx, unit, pod.needs);
    }
    for (const { units, needs } of pods.values()) {
      if (needs.jobs.length) grantApiAccess(ctx, units, needs);
    }
  },
};
