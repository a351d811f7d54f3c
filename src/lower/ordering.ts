// depends_on -> init containers that wait (peers §6.1). Kubernetes starts every pod at once; Compose's
// start order is rebuilt by waiting inside the dependent pod:
// - service_healthy: until the dependency's Service has a ready endpoint (EndpointSlice ready=true), which
//   is what its readinessProbe (from the healthcheck) reports;
// - service_completed_successfully: until the dependency's Job has the Complete condition (fails on Failed);
// - service_started: nothing, unless waitForStarted (then until its Service name resolves).
// API waits need a token allowed to read EndpointSlices/Jobs: a ServiceAccount, Role and RoleBinding.

import type { Container } from 'kubernetes-types/core/v1.js';
import type { Role, RoleBinding } from 'kubernetes-types/rbac/v1.js';
import type { ServiceAccount } from 'kubernetes-types/core/v1.js';
import { asKube, podOwner, unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { escapeKubeExpansion } from './units.js';

const API = 'https://kubernetes.default.svc';
const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * One shell loop: fetch `url` until its body contains `done` (exit 0) or `failed` (exit 1). The patterns are
 * compact JSON: `pretty=false`, because the API server indents its answers to a client that says it is Wget.
 */
function pollScript(url: string, done: string, waiting: string, failed?: [string, string]): string {
  const compact = `${url}${url.includes('?') ? '&' : '?'}pretty=false`;
  const fetch = `wget -q -O - --no-check-certificate --header "Authorization: Bearer $(cat ${TOKEN})" "${compact}" 2>/dev/null`;
  const fail = failed ? ` *'${failed[0]}'*) echo '${failed[1]}' >&2; exit 1;;` : '';
  return `while true; do S=$(${fetch}); case "$S" in *'${done}'*) exit 0;;${fail} esac; echo '${waiting}'; sleep 2; done`;
}

function helper(ctx: LowerContext, name: string, script: string): Container {
  return {
    name,
    image: ctx.options.helperImage,
    command: ['/bin/sh', '-c', escapeKubeExpansion(script)],
    env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
}

export interface ApiNeeds {
  endpointSlices: boolean;
  jobs: string[];
}

/** The wait init containers of one service; what they need from the API is added to `needs`. */
export function lowerOrdering(ctx: LowerContext, unit: ServiceUnit, needs: ApiNeeds = { endpointSlices: false, jobs: [] }): ApiNeeds {
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
        const url = `${API}/apis/discovery.k8s.io/v1/namespaces/$POD_NAMESPACE/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${target.name}`;
        waits.push(helper(ctx, waitName, pollScript(url, '"ready":true', `waiting for ${dep} to be ready`)));
        needs.endpointSlices = true;
        report(ctx, path, to, restartNote);
        break;
      }
      case 'service_completed_successfully': {
        if (target.kind !== 'Job') {
          ctx.diagnostics.warn('ordering.not-a-job', `${unit.service} waits for ${dep} to complete, but ${dep} is a ${target.kind}, which never completes; not waiting`, { path });
          ctx.report.ignored(path, `${dep} is a ${target.kind}, not a Job`);
          break;
        }
        const url = `${API}/apis/batch/v1/namespaces/$POD_NAMESPACE/jobs/${target.workload}`;
        waits.push(
          helper(ctx, waitName, pollScript(url, '"type":"Complete","status":"True"', `waiting for ${dep} to complete`, ['"type":"Failed","status":"True"', `${dep} failed`])),
        );
        if (!needs.jobs.includes(target.workload)) needs.jobs.push(target.workload);
        report(ctx, path, to, restartNote);
        break;
      }
      default: {
        if (!ctx.options.waitForStarted) {
          ctx.report.approximated(path, '(no wait)', `Kubernetes starts all pods together; clients must retry until ${dep} is up (or enable waitForStarted)`);
          break;
        }
        const host = `${target.name}.$POD_NAMESPACE.svc.${ctx.options.clusterDomain}`;
        const script = `until nslookup ${host} >/dev/null 2>&1; do echo 'waiting for ${dep}'; sleep 2; done`;
        waits.push(helper(ctx, waitName, script));
        ctx.report.approximated(path, to, `waits until the ${dep} Service name resolves, not until its container started${restartNote}`);
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
 * The ServiceAccount (unless the user chose one), Role and RoleBinding the waiting init containers of one pod
 * need: per service, or once for a group's pod (the token is the pod's).
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
  const rules: Role['rules'] = [];
  if (needs.endpointSlices) rules.push({ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] });
  if (needs.jobs.length) rules.push({ apiGroups: ['batch'], resources: ['jobs'], resourceNames: [...needs.jobs].sort(), verbs: ['get'] });
  const role: Role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: unitMetadata(owner, name), rules };
  if (!ctx.namespace) {
    ctx.diagnostics.warn('ordering.namespace-unknown', 'RoleBindings name the ServiceAccount\'s namespace; assuming "default" (pass a namespace to set it)');
  }
  const binding: RoleBinding = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: unitMetadata(owner, name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: ctx.namespace ?? 'default' }],
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
      const pod = pods.get(unit.workload) ?? { units: [], needs: { endpointSlices: false, jobs: [] } };
      pods.set(unit.workload, pod);
      pod.units.push(unit);
      lowerOrdering(ctx, unit, pod.needs);
    }
    for (const { units, needs } of pods.values()) {
      if (needs.endpointSlices || needs.jobs.length) grantApiAccess(ctx, units, needs);
    }
  },
};
