// Resolves every service's Kubernetes settings once. Precedence, highest first:
//   service x-kubernetes > service kompose.* label > top-level x-kubernetes > CLI option > default.
// Passes read ServiceSettings only, never raw labels or extension fields.

import type { ErrorObject } from 'ajv';
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Diagnostics } from '../model/diagnostics.js';
// schemas/x-kubernetes.schema.json compiled ahead of time (scripts/gen-validator.mjs): no schema compiler at run time.
import * as validators from './generated/x-kubernetes-validator.js';
import type { Project } from '../model/project.js';
import { merged } from './objects.js';
import { parseKomposeLabels, parseKomposeVolumeLabels, parseTarget } from './kompose-labels.js';
import type { LowerOptions } from './options.js';
import type { Report } from './report.js';
import type {
  IngressSettings,
  PatchSpec,
  ProbeSetting,
  ProjectSettings,
  ServiceSettings,
  ServiceType,
  VolumeSettings,
  WorkloadKind,
} from './settings-types.js';

export const EXTENSION = 'x-kubernetes';

type Layer = Partial<ServiceSettings> & { origin: Partial<Record<keyof ServiceSettings, string>> };

/** Validates one x-kubernetes block; reports every schema error at its Compose path. */
function validate(kind: 'service' | 'project' | 'volume', value: unknown, path: string, diagnostics: Diagnostics): boolean {
  const fn = validators[kind];
  if (fn(value)) return true;
  for (const e of (fn.errors ?? []) as ErrorObject[]) {
    const at = path + e.instancePath.replace(/\//g, '.');
    const extra = e.keyword === 'unevaluatedProperties' || e.keyword === 'additionalProperties'
      ? ` (${String((e.params as Record<string, unknown>).unevaluatedProperty ?? (e.params as Record<string, unknown>).additionalProperty)})`
      : e.keyword === 'enum' ? ` (${((e.params as { allowedValues: unknown[] }).allowedValues).join(', ')})` : '';
    // A pattern means nothing to a reader; the sizes are the one pattern with a name.
    const message = e.keyword === 'pattern' && e.schemaPath.includes('storageSize') ? 'must be a Kubernetes quantity of bytes (e.g. 10Gi, 500M)' : (e.message ?? 'invalid');
    diagnostics.error('x-kubernetes.invalid', `${at}: ${message}${extra}`, { path: at });
  }
  return false;
}

const KINDS: Record<string, WorkloadKind> = {
  deployment: 'Deployment',
  statefulset: 'StatefulSet',
  daemonset: 'DaemonSet',
  job: 'Job',
  cronjob: 'CronJob',
};

type Raw = Record<string, unknown>;

/** Turns a validated x-kubernetes block into a settings layer. */
function fromExtension(raw: Raw, path: string): Layer {
  const layer: Layer = { origin: {} };
  const put = <K extends keyof ServiceSettings>(key: K, value: ServiceSettings[K] | undefined, field: string = key) => {
    if (value === undefined) return;
    layer[key] = value;
    layer.origin[key] = `${path}.${field}`;
  };
  const r = raw as Raw & Record<string, never>;
  put('name', r.name as string | undefined);
  put('controller', r.controller ? KINDS[(r.controller as string).toLowerCase()] : undefined);
  put('replicas', r.replicas as number | undefined);
  put('expose', r.expose as ServiceSettings['expose'] | undefined);
  const st = r.serviceType as string | undefined;
  put('serviceType', st ? (({ clusterip: 'ClusterIP', nodeport: 'NodePort', loadbalancer: 'LoadBalancer', headless: 'Headless' }) as Record<string, ServiceType>)[st.toLowerCase()] : undefined);
  put('nodePort', r.nodePort as number | undefined);
  put('externalTrafficPolicy', r.externalTrafficPolicy as 'Cluster' | 'Local' | undefined);
  if (r.ingress) put('ingress', ingressFrom(r.ingress as Raw));
  if (r.ingress && !r.expose) put('expose', 'ingress', 'ingress');
  put('cron', r.cron as ServiceSettings['cron']);
  put('job', r.job as ServiceSettings['job']);
  put('nodeSelector', r.nodeSelector as Record<string, string> | undefined);
  put('tolerations', r.tolerations as ServiceSettings['tolerations']);
  put('affinity', r.affinity as ServiceSettings['affinity']);
  put('labels', r.labels as Record<string, string> | undefined);
  put('annotations', r.annotations as Record<string, string> | undefined);
  put('podLabels', r.podLabels as Record<string, string> | undefined);
  put('podAnnotations', r.podAnnotations as Record<string, string> | undefined);
  put('serviceAccountName', r.serviceAccountName as string | undefined);
  put('imagePullSecrets', r.imagePullSecrets as string[] | undefined);
  put('imagePullPolicy', r.imagePullPolicy as ServiceSettings['imagePullPolicy']);
  if (r.resources) {
    const res = r.resources as { limits?: Raw; requests?: Raw };
    const str = (m?: Raw) => Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, String(v)]));
    put('resources', { limits: str(res.limits), requests: str(res.requests) });
  }
  if (r.probes) {
    const probes: ServiceSettings['probes'] = {};
    for (const [k, v] of Object.entries(r.probes as Record<string, boolean | Probe>)) {
      probes[k as keyof ServiceSettings['probes']] = typeof v === 'boolean' ? v : ({ probe: v, inheritTimings: false } as ProbeSetting);
    }
    put('probes', probes);
  }
  put('storageClass', r.storageClass as string | undefined);
  put('volumeSize', r.volumeSize as string | undefined);
  put('accessModes', r.accessModes as string[] | undefined);
  if (r.autoscale) {
    const a = r.autoscale as { min?: number; max?: number; cpu?: string | number; memory?: string | number };
    put('autoscale', {
      ...(a.min !== undefined ? { min: a.min } : {}),
      ...(a.max !== undefined ? { max: a.max } : {}),
      ...(a.cpu !== undefined ? { cpu: parseTarget(a.cpu)! } : {}),
      ...(a.memory !== undefined ? { memory: parseTarget(a.memory)! } : {}),
    });
  }
  put('securityContext', r.securityContext as ServiceSettings['securityContext']);
  put('containerSecurityContext', r.containerSecurityContext as ServiceSettings['containerSecurityContext']);
  put('podSecurity', r.podSecurity as ServiceSettings['podSecurity'] | undefined);
  if (r.patches) {
    put(
      'patches',
      (r.patches as Omit<PatchSpec, 'origin'>[]).map((p, i) => ({ ...p, origin: `${path}.patches[${i}]` })),
    );
  }
  return layer;
}

function ingressFrom(raw: Raw): IngressSettings {
  const path = (raw.path as string | undefined) ?? '/';
  const hosts = [...((raw.hosts as string[] | undefined) ?? []), ...(raw.host ? [raw.host as string] : [])];
  const tls = raw.tls;
  return {
    rules: hosts.length ? hosts.map((host) => ({ host, path })) : [{ path }],
    pathType: (raw.pathType as IngressSettings['pathType'] | undefined) ?? 'Prefix',
    ...(raw.port !== undefined ? { port: raw.port as number } : {}),
    ...(tls === true ? { tls: {} } : typeof tls === 'string' ? { tls: { secretName: tls } } : tls && typeof tls === 'object' ? { tls: tls as { secretName?: string } } : {}),
    ...(raw.className ? { className: raw.className as string } : {}),
    annotations: (raw.annotations as Record<string, string> | undefined) ?? {},
  };
}

/** Fields whose values are maps merged key by key across layers (a higher layer wins per key). */
const MERGED_MAPS = new Set(['nodeSelector', 'labels', 'annotations', 'podLabels', 'podAnnotations', 'securityContext', 'containerSecurityContext', 'job', 'probes']);

function merge(layers: Layer[]): ServiceSettings {
  const out: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (key === 'origin' || value === undefined) continue;
      if (MERGED_MAPS.has(key)) out[key] = merged(out[key] as object | undefined, value as object);
      else if (key === 'resources') {
        const prev = (out.resources as ServiceSettings['resources'] | undefined) ?? { limits: {}, requests: {} };
        const next = value as ServiceSettings['resources'];
        out.resources = { limits: merged(prev.limits, next.limits), requests: merged(prev.requests, next.requests) };
      } else out[key] = value;
      const o = layer.origin[key as keyof ServiceSettings];
      if (o) origin[key] = o;
    }
  }
  return merged<ServiceSettings>(out as unknown as ServiceSettings, { origin });
}

export interface ResolvedSettings {
  services: Record<string, ServiceSettings>;
  project: ProjectSettings;
  volumes: Record<string, VolumeSettings>;
}

export function resolveSettings(project: Project, options: LowerOptions, diagnostics: Diagnostics, report: Report): ResolvedSettings {
  const defaults: Layer = {
    expose: 'none',
    volumeSize: '1Gi',
    job: {},
    nodeSelector: {},
    labels: {},
    annotations: {},
    podLabels: {},
    podAnnotations: {},
    imagePullSecrets: [],
    resources: { limits: {}, requests: {} },
    probes: {},
    securityContext: {},
    containerSecurityContext: {},
    podSecurity: 'none',
    patches: [],
    origin: {},
  };
  const cli: Layer = { origin: {} };
  if (options.controller) {
    cli.controller = KINDS[options.controller];
    cli.origin.controller = 'option:controller';
  }
  cli.expose = options.expose;
  cli.origin.expose = 'option:expose';
  cli.podSecurity = options.podSecurity;
  cli.origin.podSecurity = 'option:podSecurity';
  cli.volumeSize = options.volumeSize;
  cli.origin.volumeSize = 'option:volumeSize';
  if (options.storageClass) {
    cli.storageClass = options.storageClass;
    cli.origin.storageClass = 'option:storageClass';
  }

  const projectSettings: ProjectSettings = { patches: [], ...(options.namespace ? { namespace: options.namespace } : {}) };
  let projectLayer: Layer = { origin: {} };
  const top = project[EXTENSION];
  if (top !== undefined) {
    if (validate('project', top, EXTENSION, diagnostics)) {
      const { namespace, patches, name, ...rest } = top as Raw;
      if (name !== undefined) diagnostics.error('x-kubernetes.invalid', 'x-kubernetes.name is only valid on a service', { path: `${EXTENSION}.name` });
      projectLayer = fromExtension(rest, EXTENSION);
      // The CLI namespace is the deploy-time choice of the same thing; the file's value is its default.
      if (namespace !== undefined && !options.namespace) projectSettings.namespace = namespace as string;
      if (patches) projectSettings.patches = fromExtension({ patches }, EXTENSION).patches ?? [];
      report.mapped(EXTENSION, 'compose2k8s settings');
    } else report.ignored(EXTENSION, 'invalid x-kubernetes block');
  }

  // Project-level patches target objects by kind/name themselves; they are not per-service defaults.
  const { patches: _ignored, ...projectDefaults } = projectLayer;
  const services: Record<string, ServiceSettings> = {};
  for (const [name, service] of Object.entries(project.services).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const path = `services.${name}.${EXTENSION}`;
    const labels = parseKomposeLabels(name, service, diagnostics, report);
    let own: Layer = { origin: {} };
    const raw = service[EXTENSION];
    if (raw !== undefined) {
      if (validate('service', raw, path, diagnostics)) {
        own = fromExtension(raw as Raw, path);
        report.mapped(path, 'compose2k8s settings');
      } else report.ignored(path, 'invalid x-kubernetes block');
    }
    services[name] = merge([defaults, cli, projectDefaults as Layer, labels, own]);
  }

  const volumes: Record<string, VolumeSettings> = {};
  for (const [name, volume] of Object.entries(project.volumes ?? {})) {
    const fromLabels = parseKomposeVolumeLabels(name, volume?.labels ?? {}, diagnostics, report);
    const path = `volumes.${name}.${EXTENSION}`;
    const raw = volume?.[EXTENSION];
    let own: Partial<VolumeSettings> = {};
    const origin: VolumeSettings['origin'] = { ...fromLabels.origin };
    if (raw !== undefined) {
      if (validate('volume', raw, path, diagnostics)) {
        own = raw as Partial<VolumeSettings>;
        for (const k of Object.keys(own)) origin[k as keyof VolumeSettings] = `${path}.${k}`;
        report.mapped(path, 'compose2k8s volume settings');
      } else report.ignored(path, 'invalid x-kubernetes block');
    }
    volumes[name] = merged(fromLabels, own, { origin });
  }

  return { services, project: projectSettings, volumes };
}
