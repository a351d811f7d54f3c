// The kompose.* label compatibility layer (each label is listed in docs/kompose-compat.md): Kompose's meaning
// without its accidental failure modes (B17, B18): case-insensitive values, percentages and quantities for HPA
// targets, clear errors.
// Labels are control input: they are consumed here and never copied onto objects (B20).

import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Diagnostics } from '../model/diagnostics.js';
import type { Service } from '../model/project.js';
import { merged } from './objects.js';
import type { Report } from './conversion-report.js';
import type { MetricTarget, ServiceSettings, ServiceType, VolumeSettings, WorkloadKind } from './settings-types.js';
import { durationSeconds, isQuantity, splitShellWords } from './units.js';

export const KOMPOSE_PREFIX = 'kompose.';

type Layer = Partial<ServiceSettings> & { origin: Partial<Record<keyof ServiceSettings, string>> };

const CONTROLLERS: Record<string, WorkloadKind> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
};
const SERVICE_TYPES: Record<string, ServiceType> = {
  clusterip: 'ClusterIP',
  nodeport: 'NodePort',
  loadbalancer: 'LoadBalancer',
  headless: 'Headless',
};
const PULL_POLICIES: Record<string, 'Always' | 'IfNotPresent' | 'Never'> = {
  always: 'Always',
  ifnotpresent: 'IfNotPresent',
  never: 'Never',
};
const CONCURRENCY: Record<string, 'Allow' | 'Forbid' | 'Replace'> = { allow: 'Allow', forbid: 'Forbid', replace: 'Replace' };

/** Shell metacharacters: a probe test containing one needs a shell, not an argv split. */
const SHELL_SYNTAX = /[|&;<>()$`*?~]/;

export function parseKomposeLabels(
  serviceName: string,
  service: Service,
  diagnostics: Diagnostics,
  report: Report,
): Layer {
  const base = `services.${serviceName}`;
  const labels: [string, string, string][] = [
    ...Object.entries(service.labels ?? {}).map(([k, v]): [string, string, string] => [k, v, `${base}.labels.${k}`]),
    // Kompose reads the ephemeral-storage labels from deploy.labels only; accept them there too.
    ...Object.entries(service.deploy?.labels ?? {})
      .filter(([k]) => k.startsWith('kompose.ephemeral-storage.'))
      .map(([k, v]): [string, string, string] => [k, v, `${base}.deploy.labels.${k}`]),
  ].filter(([k]) => k.startsWith(KOMPOSE_PREFIX));

  const layer: Layer = { origin: {} };
  const set = <K extends keyof ServiceSettings>(key: K, value: ServiceSettings[K], path: string) => {
    layer[key] = value;
    layer.origin[key] = path;
  };
  const bad = (path: string, key: string, value: string, expected: string) =>
    diagnostics.error('kompose.invalid-label', `label ${key}="${value}" is invalid: expected ${expected}`, { path });
  const int = (path: string, key: string, value: string, min = 0): number | undefined => {
    const n = Number(value.trim());
    // Every integer a label sets is an int32 field of the API (replicas, ports, limits, backoffLimit).
    if (Number.isInteger(n) && n >= min && n <= 2147483647 && value.trim() !== '') return n;
    bad(path, key, value, `an integer from ${min} to 2147483647`);
    return undefined;
  };

  const readiness: Partial<Probe> & { disable?: boolean } = {};
  const liveness: Partial<Probe> = {};
  const hpa: NonNullable<ServiceSettings['autoscale']> = {};
  const init: { name?: string; image?: string; command?: string[] } = {};
  let cronSchedule: string | undefined;
  let cronConcurrency: 'Allow' | 'Forbid' | 'Replace' | undefined;
  let cronBackoff: number | undefined;
  const ingressHosts: string[] = [];
  let exposePath: string | undefined;
  let exposeSeen = false;
  let tlsSecret: string | undefined;
  let ingressClass: string | undefined;
  let readinessPath = base;
  let livenessPath = base;
  const ephemeral: Record<string, string> = {};

  for (const [key, raw, path] of labels) {
    const value = raw.trim();
    const lower = value.toLowerCase();
    let consumed = true;
    switch (key) {
      case 'kompose.service.type':
        if (SERVICE_TYPES[lower]) set('serviceType', SERVICE_TYPES[lower], path);
        else bad(path, key, raw, 'clusterip, nodeport, loadbalancer or headless');
        break;
      case 'kompose.service.nodeport.port': {
        const n = int(path, key, value, 1);
        if (n !== undefined) set('nodePort', n, path);
        break;
      }
      case 'kompose.service.expose':
        exposeSeen = true;
        if (lower !== 'true' && lower !== '') ingressHosts.push(...value.split(',').map((h) => h.trim()).filter(Boolean));
        if (lower !== 'false') layer.origin.ingress = path;
        else exposeSeen = false;
        break;
      case 'kompose.service.expose.tls-secret':
        tlsSecret = value;
        break;
      case 'kompose.service.expose.ingress-class-name':
        ingressClass = value;
        break;
      case 'kompose.service.expose.path':
        exposePath = value;
        break;
      case 'kompose.service.external-traffic-policy':
        if (lower === 'cluster' || lower === 'local') set('externalTrafficPolicy', lower === 'local' ? 'Local' : 'Cluster', path);
        else bad(path, key, raw, 'cluster or local');
        break;
      case 'kompose.service.group':
        // Reported by the group resolution (groups.ts), which knows whether the grouping mode uses it.
        if (value) set('serviceGroup', value, path);
        else bad(path, key, raw, 'a group name');
        break;
      case 'kompose.service.name_override':
        set('name', value, path);
        break;
      case 'kompose.controller.type':
        if (CONTROLLERS[lower]) set('controller', CONTROLLERS[lower], path);
        else if (lower === 'replicationcontroller') {
          diagnostics.warn('kompose.replicationcontroller', `ReplicationControllers are obsolete; ${serviceName} becomes a Deployment`, { path });
          set('controller', 'Deployment', path);
        } else bad(path, key, raw, 'deployment, statefulset or daemonset');
        break;
      case 'kompose.controller.expose.port':
      case 'kompose.controller.port.expose':
        if (key === 'kompose.controller.expose.port') {
          diagnostics.warn('kompose.deprecated-label', `${key} is a misspelling of kompose.controller.port.expose; accepted`, { path });
        }
        set('hostPortExpose', lower === 'true', path);
        break;
      case 'kompose.image-pull-policy':
        if (PULL_POLICIES[lower]) set('imagePullPolicy', PULL_POLICIES[lower], path);
        else bad(path, key, raw, 'Always, IfNotPresent or Never');
        break;
      case 'kompose.image-pull-secret':
        set('imagePullSecrets', value.split(',').map((s) => s.trim()).filter(Boolean), path);
        break;
      case 'kompose.serviceaccount-name':
        set('serviceAccountName', value, path);
        break;
      case 'kompose.security-context.fsgroup': {
        const n = int(path, key, value);
        if (n !== undefined) set('securityContext', { fsGroup: n }, path);
        break;
      }
      case 'kompose.volume.size':
        if (isQuantity(value)) set('volumeSize', value, path);
        else bad(path, key, raw, 'a quantity such as 10Gi');
        break;
      case 'kompose.volume.storage-class-name':
        set('storageClass', value, path);
        break;
      case 'kompose.volume.type': {
        const types = ['persistentVolumeClaim', 'emptyDir', 'hostPath', 'configMap'] as const;
        const t = types.find((x) => x.toLowerCase() === lower);
        if (t) set('volumeType', t, path);
        else bad(path, key, raw, types.join(', '));
        break;
      }
      case 'kompose.volume.subpath':
        set('volumeSubpath', value, path);
        break;
      case 'kompose.cronjob.schedule':
        cronSchedule = value;
        layer.origin.cron = path;
        break;
      case 'kompose.cronjob.concurrency_policy':
        if (CONCURRENCY[lower]) cronConcurrency = CONCURRENCY[lower];
        else bad(path, key, raw, 'Allow, Forbid or Replace');
        break;
      case 'kompose.cronjob.backoff_limit':
        cronBackoff = int(path, key, value);
        break;
      case 'kompose.hpa.cpu':
      case 'kompose.hpa.memory': {
        const target = parseTarget(value);
        if (target) hpa[key === 'kompose.hpa.cpu' ? 'cpu' : 'memory'] = target;
        else bad(path, key, raw, 'a percentage (50 or 50%) or a quantity (500m, 512Mi)');
        layer.origin.autoscale = path;
        break;
      }
      case 'kompose.hpa.replicas.min':
      case 'kompose.hpa.replicas.max': {
        const n = int(path, key, value, 1);
        if (n !== undefined) hpa[key.endsWith('min') ? 'min' : 'max'] = n;
        layer.origin.autoscale = path;
        break;
      }
      case 'kompose.init.containers.name':
        init.name = value;
        break;
      case 'kompose.init.containers.image':
        init.image = value;
        break;
      case 'kompose.init.containers.command':
        init.command = parseCommandList(value);
        break;
      case 'kompose.ephemeral-storage.limit':
      case 'kompose.ephemeral-storage.request':
        if (isQuantity(value)) ephemeral[key.endsWith('limit') ? 'limits' : 'requests'] = value;
        else bad(path, key, raw, 'a quantity such as 1Gi');
        layer.origin.resources = path;
        break;
      default:
        if (key.startsWith('kompose.service.healthcheck.readiness.')) {
          readinessPath = path;
          consumed = probeLabel(readiness, key.slice('kompose.service.healthcheck.readiness.'.length), value, true);
        } else if (key.startsWith('kompose.service.healthcheck.liveness.')) {
          livenessPath = path;
          consumed = probeLabel(liveness, key.slice('kompose.service.healthcheck.liveness.'.length), value, false);
        } else consumed = false;
    }
    if (consumed && key === 'kompose.service.group' && layer.serviceGroup !== undefined) continue;
    if (consumed) report.mapped(path, 'compose2k8s settings (kompose compatibility)');
    else {
      report.ignored(path, 'unknown kompose label');
      diagnostics.warn('kompose.unknown-label', `unknown label ${key} is ignored`, { path });
    }
  }

  if (exposeSeen) {
    const rules = ingressHosts.length
      ? ingressHosts.map((h) => {
          const slash = h.indexOf('/');
          return slash < 0 ? { host: h, path: exposePath ?? '/' } : { host: h.slice(0, slash), path: h.slice(slash) };
        })
      : [{ path: exposePath ?? '/' }];
    layer.ingress = {
      rules,
      pathType: 'Prefix',
      annotations: {},
      ...(tlsSecret !== undefined && tlsSecret.toLowerCase() !== 'false'
        ? { tls: tlsSecret.toLowerCase() === 'true' ? {} : { secretName: tlsSecret } }
        : {}),
      ...(ingressClass ? { className: ingressClass } : {}),
    };
    set('expose', 'ingress', layer.origin.ingress!);
  } else if (tlsSecret !== undefined || ingressClass !== undefined || exposePath !== undefined) {
    diagnostics.warn('kompose.expose-missing', 'kompose.service.expose.* labels need kompose.service.expose; ignored', { path: `${base}.labels` });
  }
  if (cronSchedule !== undefined) {
    layer.cron = { schedule: cronSchedule, ...(cronConcurrency ? { concurrencyPolicy: cronConcurrency } : {}) };
    layer.cronFromLabels = true;
    if (cronBackoff !== undefined) layer.job = { backoffLimit: cronBackoff };
  }
  if (Object.keys(hpa).length > 0) layer.autoscale = hpa;
  if (init.image) {
    layer.initContainer = { name: init.name ?? 'init', image: init.image, ...(init.command ? { command: init.command } : {}) };
    layer.origin.initContainer = `${base}.labels.kompose.init.containers.image`;
  } else if (init.name || init.command) {
    diagnostics.warn('kompose.init-image-missing', 'kompose.init.containers.* needs kompose.init.containers.image; ignored', { path: `${base}.labels` });
  }
  if (Object.keys(ephemeral).length > 0) {
    layer.resources = {
      limits: ephemeral.limits ? { 'ephemeral-storage': ephemeral.limits } : {},
      requests: ephemeral.requests ? { 'ephemeral-storage': ephemeral.requests } : {},
    };
  }
  const probes: ServiceSettings['probes'] = {};
  if (readiness.disable) probes.readiness = false;
  else if (Object.keys(readiness).length > 0) probes.readiness = { probe: readiness, inheritTimings: !hasHandler(readiness) };
  if (Object.keys(liveness).length > 0) probes.liveness = { probe: liveness, inheritTimings: true };
  if (Object.keys(probes).length > 0) {
    layer.probes = probes;
    layer.origin.probes = probes.readiness !== undefined ? readinessPath : livenessPath;
  }
  return layer;
}

function hasHandler(p: Partial<Probe>): boolean {
  return Boolean(p.exec || p.httpGet || p.tcpSocket || p.grpc);
}

/** Applies one `kompose.service.healthcheck.*` field to a probe; false when the field is unknown. */
function probeLabel(probe: Partial<Probe> & { disable?: boolean }, field: string, value: string, full: boolean): boolean {
  const port = (v: string): number | string => (/^\d+$/.test(v) ? Number(v) : v);
  switch (field) {
    case 'http_get_path':
      probe.httpGet = merged(probe.httpGet ?? { port: 80 }, { path: value });
      return true;
    case 'http_get_port':
      probe.httpGet = merged(probe.httpGet, { port: port(value) });
      return true;
    case 'tcp_port':
      probe.tcpSocket = { port: port(value) };
      return true;
  }
  if (!full) return false;
  switch (field) {
    case 'test':
      probe.exec = { command: SHELL_SYNTAX.test(value) ? ['/bin/sh', '-c', value] : splitShellWords(value) };
      return true;
    case 'interval':
      probe.periodSeconds = durationSeconds(value, 1);
      return true;
    case 'timeout':
      probe.timeoutSeconds = durationSeconds(value, 1);
      return true;
    case 'retries':
      probe.failureThreshold = Math.max(1, Number(value) || 1);
      return true;
    case 'start_period':
      probe.initialDelaySeconds = durationSeconds(value);
      return true;
    case 'disable':
      probe.disable = value.toLowerCase() === 'true';
      return true;
  }
  return false;
}

/** "50", "50%" -> utilization 50; "500m", "512Mi" -> average value. */
export function parseTarget(value: string | number): MetricTarget | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? { utilization: value } : undefined;
  const v = value.trim();
  const pct = /^(\d+)%?$/.exec(v);
  if (pct) return Number(pct[1]) > 0 ? { utilization: Number(pct[1]) } : undefined;
  return isQuantity(v) ? { averageValue: v } : undefined;
}

/** Kompose splits on commas; a JSON list is also accepted. */
function parseCommandList(value: string): string[] {
  if (value.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not JSON: fall back to Kompose's comma split
    }
  }
  return value.includes(',') ? value.split(',').map((s) => s.trim()) : [value];
}

/** Top-level volume labels: kompose.volume.size, storage-class-name, selector. */
export function parseKomposeVolumeLabels(
  volumeName: string,
  labels: Record<string, string>,
  diagnostics: Diagnostics,
  report: Report,
): Partial<VolumeSettings> {
  const out: Partial<VolumeSettings> = {};
  const origin: VolumeSettings['origin'] = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!key.startsWith(KOMPOSE_PREFIX)) continue;
    const path = `volumes.${volumeName}.labels.${key}`;
    if (key === 'kompose.volume.size' && isQuantity(value)) {
      out.size = value;
      origin.size = path;
    } else if (key === 'kompose.volume.storage-class-name') {
      out.storageClass = value;
      origin.storageClass = path;
    } else if (key === 'kompose.volume.selector') {
      // Kompose's selector label key.
      out.selector = { 'io.kompose.service': value };
      origin.selector = path;
    } else {
      report.ignored(path, key === 'kompose.volume.size' ? 'not a quantity' : 'unknown kompose volume label');
      diagnostics.warn('kompose.unknown-label', `label ${key}="${value}" on volume ${volumeName} is ignored`, { path });
      continue;
    }
    report.mapped(path, 'compose2k8s volume settings (kompose compatibility)');
  }
  return merged(out, { origin });
}
