// `convert --format helm -o DIR`: a Helm chart made from the lowered objects, so it describes exactly the same
// deployment as the plain stream: `helm template` with the default values renders the stream's objects.
//
// Every object becomes one chart template (through the per-kind Handlebars template in templates/helm/).
// The object is written as YAML with *holes*: chosen fields are replaced by unique sentinels before
// serialization, every `{{`/`}}` of the (user-controlled) text is escaped so Compose content can never
// inject template actions, and then each sentinel line is replaced by a Go-template action reading values.yaml.
// Values hold exactly what the stream has, so default values reproduce it; values are data (never passed
// through `tpl`).

import { randomBytes } from 'node:crypto';
import { Document, isMap, isScalar, stringify, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { isClusterScoped, podTemplateOf, WORKLOAD_KINDS, type KubeObject } from '../model/kube.js';
import { toKubeName } from '../lower/index.js';
import { inOutputKeyOrder } from './serialize.js';
import { VERSION } from '../version.js';
import { error } from '../model/diagnostics.js';
import { objectFileNames, writeTreeAtomic, type FileTree, type PackageContext } from './directory.js';
import { loadHandlebars, shippedTemplate } from './templates-env.js';

export interface HelmOptions {
  /** Chart `version` (SemVer 2); default 0.1.0. */
  chartVersion?: string;
  /** Chart `appVersion`; default: the image tag all services share, else the chart version. */
  appVersion?: string;
}

const COMPONENT = 'app.kubernetes.io/component';
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

// ---------------------------------------------------------------------------------------------------------
// Go-template text

/** Escapes Go-template delimiters in literal chart text: `{{` -> `{{ "{{" }}`, `}}` -> `{{ "}}" }}`. */
export function escapeGoTemplate(text: string): string {
  return text.replace(/\{\{|\}\}/g, (m) => (m === '{{' ? '{{ "{{" }}' : '{{ "}}" }}'));
}

/** A Go string literal (JSON's escapes are a subset of Go's). */
function goString(s: string): string {
  return JSON.stringify(s);
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `.Values.a.b` with `index` for segments that aren't Go identifiers. */
export function valuesExpr(path: readonly string[]): string {
  let e = '.Values';
  for (const seg of path) e = IDENT.test(seg) ? `${e}.${seg}` : `(index ${e} ${goString(seg)})`;
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Holes

type Hole =
  /** `key: <value>`; `optional`: the line is left out when the value is null. */
  | { mode: 'json'; expr: string; optional?: boolean; unless?: string }
  /** `key: "<string>"`, left out when empty. */
  | { mode: 'string'; expr: string }
  /** `key:` + YAML block; `optional`: left out when empty. */
  | { mode: 'block'; expr: string; optional?: boolean }
  | { mode: 'image'; expr: string }
  /** A sentinel map entry: more entries from a map value, minus keys the object already has. */
  | { mode: 'merge-map'; expr: string; omit: string[] }
  /** A sentinel list element: more elements from a list value. */
  | { mode: 'append-list'; expr: string };

class Holes {
  private readonly nonce = randomBytes(6).toString('hex');
  readonly list: Hole[] = [];
  make(h: Hole): string {
    this.list.push(h);
    return `c2khole${this.nonce}x${this.list.length - 1}`;
  }
  get pattern(): RegExp {
    return new RegExp(`c2khole${this.nonce}x(\\d+)`);
  }
}

/** Replaces each sentinel line of (already escaped) YAML text by its Go-template rendering. */
function fillHoles(text: string, holes: Holes, chart: string): string {
  const re = holes.pattern;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const hole = holes.list[Number(m[1])]!;
    const sentinel = m[0];
    const kv = new RegExp(`^(\\s*)(- )?(.+?): ${sentinel}$`).exec(line);
    const item = new RegExp(`^(\\s*)- ${sentinel}$`).exec(line);
    if (hole.mode === 'merge-map') {
      const pad = /^(\s*)/.exec(line)![1]!.length;
      const omit = hole.omit.map(goString).join(' ');
      out.push(`{{- with ${omit ? `omit ${hole.expr} ${omit}` : hole.expr} }}{{- toYaml . | nindent ${pad} }}{{- end }}`);
      continue;
    }
    if (hole.mode === 'append-list') {
      if (!item) throw new Error(`internal: list hole on an unexpected line: ${line}`);
      out.push(`{{- with ${hole.expr} }}{{- toYaml . | nindent ${item[1]!.length} }}{{- end }}`);
      continue;
    }
    if (!kv) throw new Error(`internal: value hole on an unexpected line: ${line}`);
    const [, indent, dash = '', key] = kv;
    const lead = `${indent}${dash}${key}:`;
    const child = indent!.length + dash.length + 2;
    const canOmit = dash === '';
    switch (hole.mode) {
      case 'json':
        if (hole.optional && canOmit) {
          const present = `not (kindIs "invalid" ${hole.expr})`;
          out.push(`{{- if ${hole.unless ? `and (${present}) (not ${hole.unless})` : present} }}`, `${lead} {{ toJson ${hole.expr} }}`, '{{- end }}');
        }
        else out.push(`${lead} {{ toJson ${hole.expr} }}`);
        break;
      case 'string':
        if (canOmit) out.push(`{{- with ${hole.expr} }}`, `${lead} {{ toJson . }}`, '{{- end }}');
        else out.push(`${lead} {{ toJson ${hole.expr} }}`);
        break;
      case 'block':
        if (hole.optional && canOmit) out.push(`{{- with ${hole.expr} }}`, `${lead} {{- toYaml . | nindent ${child} }}`, '{{- end }}');
        else out.push(`${lead} {{- toYaml ${hole.expr} | nindent ${child} }}`);
        break;
      case 'image':
        out.push(`${lead} {{ include ${goString(`${chart}.image`)} ${hole.expr} }}`);
        break;
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Values and per-kind parametrization

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = Record<string, any>;

interface ServiceValues {
  image?: { repository: string; tag: string; digest: string };
  replicas?: number | null;
  resources?: Obj;
  env?: Record<string, string>;
  extraEnv?: Obj[];
  imagePullSecrets?: Obj[];
  service?: { type: string; ports: Obj[] };
  ingress?: { enabled: boolean; className: string; annotations: Record<string, string>; rules: Obj[]; tls: Obj[] };
  autoscaling?: { enabled: boolean; minReplicas: number | null; maxReplicas: number; metrics: Obj[] };
}

interface Values {
  global: { namespace: string; createNamespace?: boolean; imagePullSecrets: Obj[]; labels: Record<string, string> };
  services: Record<string, ServiceValues>;
  persistence: Record<string, { size: string; storageClass: string }>;
}

/** Splits `repo[:tag][@digest]` so that joining the parts gives the reference back exactly. */
export function splitImage(image: string): { repository: string; tag: string; digest: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const rest = at >= 0 ? image.slice(0, at) : image;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { repository: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { repository: rest, tag: '', digest };
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

interface Parametrized {
  body: Obj;
  /** The service whose values this object reads, and the values path shown in its header comment. */
  service?: string;
  valuesPath?: string;
}

class ChartBuilder {
  readonly holes = new Holes();
  readonly values: Values;
  private readonly namespace?: string;

  constructor(
    readonly chart: string,
    private readonly objects: readonly KubeObject[],
  ) {
    this.namespace = objects.find((o) => o.metadata.namespace)?.metadata.namespace ?? objects.find((o) => o.kind === 'Namespace')?.metadata.name;
    this.values = {
      global: {
        namespace: this.namespace ?? '',
        ...(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === this.namespace) ? { createNamespace: true } : {}),
        imagePullSecrets: [],
        labels: {},
      },
      services: {},
      persistence: {},
    };
  }

  serviceOf(o: KubeObject): string | undefined {
    return o.metadata.labels?.[COMPONENT];
  }

  private sv(service: string): ServiceValues {
    return (this.values.services[service] ??= {});
  }

  private common(o: Obj, pod = false): void {
    const md = (o.metadata ??= {});
    if (!pod && !isClusterScoped(o as KubeObject)) md.namespace = this.holes.make({ mode: 'string', expr: valuesExpr(['global', 'namespace']) });
    if (md.labels && Object.keys(md.labels).length) {
      const sentinel = this.holes.make({ mode: 'merge-map', expr: valuesExpr(['global', 'labels']), omit: Object.keys(md.labels).sort() });
      md.labels = { ...md.labels, [sentinel]: sentinel };
    }
  }

  parametrize(o: KubeObject): Parametrized {
    const body = clone(o) as Obj;
    this.common(body);
    const service = this.serviceOf(o);
    const vp = (...rest: string[]) => valuesExpr(['services', service!, ...rest]);
    const label = (...rest: string[]) => ['services', service!, ...rest].join('.');

    if (o.kind === 'Namespace' && o.metadata.name === this.namespace) {
      body.metadata.name = this.holes.make({ mode: 'json', expr: valuesExpr(['global', 'namespace']) });
      return { body };
    }
    if (o.kind === 'PersistentVolumeClaim') {
      const key = o.metadata.name;
      this.claim(key, body);
      return { body, valuesPath: `persistence.${key}` };
    }
    if (!service) return { body };

    if (WORKLOAD_KINDS.has(o.kind) && o.metadata.name === service) {
      this.workload(body, service, vp);
      return { body, service, valuesPath: label() };
    }
    if (o.kind === 'Service' && o.metadata.name === service) {
      const spec = (body.spec ??= {});
      this.sv(service).service = { type: spec.type ?? '', ports: spec.ports ?? [] };
      spec.type = this.holes.make({ mode: 'string', expr: vp('service', 'type') });
      spec.ports = this.holes.make({ mode: 'block', expr: vp('service', 'ports'), optional: true });
      return { body, service, valuesPath: label() };
    }
    if (o.kind === 'Ingress' && !this.sv(service).ingress) {
      const spec = (body.spec ??= {});
      this.sv(service).ingress = {
        enabled: true,
        className: spec.ingressClassName ?? '',
        annotations: body.metadata.annotations ?? {},
        rules: spec.rules ?? [],
        tls: spec.tls ?? [],
      };
      spec.ingressClassName = this.holes.make({ mode: 'string', expr: vp('ingress', 'className') });
      body.metadata.annotations = this.holes.make({ mode: 'block', expr: vp('ingress', 'annotations'), optional: true });
      spec.rules = this.holes.make({ mode: 'block', expr: vp('ingress', 'rules'), optional: true });
      spec.tls = this.holes.make({ mode: 'block', expr: vp('ingress', 'tls'), optional: true });
      return { body, service, valuesPath: label() };
    }
    if (o.kind === 'HorizontalPodAutoscaler' && !this.sv(service).autoscaling) {
      const spec = (body.spec ??= {});
      this.sv(service).autoscaling = { enabled: true, minReplicas: spec.minReplicas ?? null, maxReplicas: spec.maxReplicas, metrics: spec.metrics ?? [] };
      spec.minReplicas = this.holes.make({ mode: 'json', expr: vp('autoscaling', 'minReplicas'), optional: true });
      spec.maxReplicas = this.holes.make({ mode: 'json', expr: vp('autoscaling', 'maxReplicas') });
      spec.metrics = this.holes.make({ mode: 'block', expr: vp('autoscaling', 'metrics'), optional: true });
      return { body, service, valuesPath: label() };
    }
    return { body, service };
  }

  private claim(key: string, pvc: Obj): void {
    const spec = (pvc.spec ??= {});
    const size = spec.resources?.requests?.storage;
    if (typeof size !== 'string') return;
    this.values.persistence[key] = { size, storageClass: spec.storageClassName ?? '' };
    spec.resources.requests.storage = this.holes.make({ mode: 'json', expr: valuesExpr(['persistence', key, 'size']) });
    spec.storageClassName = this.holes.make({ mode: 'string', expr: valuesExpr(['persistence', key, 'storageClass']) });
  }

  private workload(body: Obj, service: string, vp: (...rest: string[]) => string): void {
    const sv = this.sv(service);
    const spec = (body.spec ??= {});
    if (body.kind === 'Deployment' || body.kind === 'StatefulSet') {
      const scaled = this.objects.some(
        (h) => h.kind === 'HorizontalPodAutoscaler' && (h.spec as Obj | undefined)?.scaleTargetRef?.kind === body.kind && (h.spec as Obj).scaleTargetRef.name === body.metadata.name,
      );
      // With an HPA the replicas field is left out (the HPA owns it) unless autoscaling is switched off.
      sv.replicas = typeof spec.replicas === 'number' ? spec.replicas : null;
      spec.replicas = this.holes.make({ mode: 'json', expr: vp('replicas'), optional: true, ...(scaled ? { unless: `${vp('autoscaling')}.enabled` } : {}) });
    }
    for (const t of (spec.volumeClaimTemplates ?? []) as Obj[]) {
      if (t.metadata?.name) this.claim(`${t.metadata.name}-${body.metadata.name}`, t);
    }
    const template = podTemplateOf(body as KubeObject) as Obj | undefined;
    if (!template) return;
    this.common(template, true);
    const pod: Obj = (template.spec ??= {});
    sv.imagePullSecrets = pod.imagePullSecrets ?? [];
    pod.imagePullSecrets = this.holes.make({
      mode: 'block',
      expr: `(concat (${vp('imagePullSecrets')} | default list) (${valuesExpr(['global', 'imagePullSecrets'])} | default list))`,
      optional: true,
    });
    const containers = (pod.containers ?? []) as Obj[];
    const main = containers.find((c) => c.name === body.metadata.name) ?? containers[0];
    if (!main) return;
    if (typeof main.image === 'string') {
      sv.image = splitImage(main.image);
      main.image = this.holes.make({ mode: 'image', expr: vp('image') });
    }
    sv.resources = main.resources ?? {};
    main.resources = this.holes.make({ mode: 'block', expr: vp('resources'), optional: true });
    if (Array.isArray(main.env)) {
      const env: Record<string, string> = {};
      for (const e of main.env as Obj[]) {
        if (typeof e.value !== 'string' || e.valueFrom !== undefined || e.name in env) continue;
        env[e.name] = e.value;
        e.value = this.holes.make({ mode: 'json', expr: `(index ${vp('env')} ${goString(e.name)})` });
      }
      sv.env = env;
      sv.extraEnv = [];
      main.env = [...main.env, this.holes.make({ mode: 'append-list', expr: vp('extraEnv') })];
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// values.yaml, values.schema.json, README

const DESCRIPTIONS: [RegExp, string][] = [
  [/^global$/, 'Settings for every object of the chart.'],
  [/^global\.namespace$/, 'Namespace of every namespaced object; empty: the release namespace.'],
  [/^global\.createNamespace$/, 'Create the Namespace object named global.namespace.'],
  [/^global\.imagePullSecrets$/, 'Pull secrets added to every pod ([{name: regcred}]).'],
  [/^global\.labels$/, 'Labels added to every object and pod (never to selectors).'],
  [/^services$/, 'Per Compose service (by Kubernetes name).'],
  [/^services\.[^.]+\.image$/, 'Container image: repository[:tag][@digest].'],
  [/^services\.[^.]+\.image\.repository$/, 'Image repository.'],
  [/^services\.[^.]+\.image\.tag$/, 'Image tag (empty: none).'],
  [/^services\.[^.]+\.image\.digest$/, 'Image digest, e.g. sha256:... (empty: none).'],
  [/^services\.[^.]+\.replicas$/, 'Replicas (null: the Kubernetes default); ignored while autoscaling is enabled.'],
  [/^services\.[^.]+\.resources$/, 'Container resources (requests/limits).'],
  [/^services\.[^.]+\.env$/, 'Values of the environment variables from the Compose file.'],
  [/^services\.[^.]+\.extraEnv$/, 'More environment variables ([{name, value}]).'],
  [/^services\.[^.]+\.imagePullSecrets$/, 'Pull secrets of this service (global ones are added).'],
  [/^services\.[^.]+\.service$/, "The service's Kubernetes Service."],
  [/^services\.[^.]+\.service\.type$/, 'Service type (empty: ClusterIP).'],
  [/^services\.[^.]+\.service\.ports$/, 'Service ports.'],
  [/^services\.[^.]+\.ingress$/, 'Ingress of the service.'],
  [/^services\.[^.]+\.ingress\.enabled$/, 'Render the Ingress.'],
  [/^services\.[^.]+\.ingress\.className$/, 'IngressClass (empty: the cluster default).'],
  [/^services\.[^.]+\.ingress\.annotations$/, 'Ingress annotations.'],
  [/^services\.[^.]+\.ingress\.rules$/, 'Ingress rules (hosts and paths).'],
  [/^services\.[^.]+\.ingress\.tls$/, 'Ingress TLS.'],
  [/^services\.[^.]+\.autoscaling$/, 'HorizontalPodAutoscaler of the service.'],
  [/^services\.[^.]+\.autoscaling\.enabled$/, 'Render the HorizontalPodAutoscaler.'],
  [/^services\.[^.]+\.autoscaling\.minReplicas$/, 'Minimum replicas.'],
  [/^services\.[^.]+\.autoscaling\.maxReplicas$/, 'Maximum replicas.'],
  [/^services\.[^.]+\.autoscaling\.metrics$/, 'Autoscaling metrics (autoscaling/v2).'],
  [/^persistence$/, 'Per PersistentVolumeClaim (StatefulSet claim templates as <template>-<statefulset>).'],
  [/^persistence\.[^.]+\.size$/, 'Requested size.'],
  [/^persistence\.[^.]+\.storageClass$/, 'StorageClass (empty: the cluster default).'],
];

function describe(path: string): string | undefined {
  return DESCRIPTIONS.find(([re]) => re.test(path))?.[1];
}

/** Maps whose entries are data (shown as one value in the README table). */
const OPAQUE = /(^global\.labels$|\.(resources|env|extraEnv|imagePullSecrets|ports|annotations|rules|tls|metrics)$|^global\.imagePullSecrets$)/;

function valuesYaml(values: Values): string {
  const doc = new Document(values, { version: '1.1' });
  const walk = (node: unknown, path: string[]) => {
    if (!isMap(node)) return;
    for (const pair of (node as YAMLMap).items as Pair[]) {
      const key = isScalar(pair.key) ? String((pair.key as Scalar).value) : String(pair.key);
      const p = [...path, key];
      const d = describe(p.join('.'));
      if (d && isScalar(pair.key)) (pair.key as Scalar).commentBefore = ` ${d}`;
      if (!OPAQUE.test(p.join('.'))) walk(pair.value, p);
    }
  };
  walk(doc.contents, []);
  return `# Default values of the chart: exactly what compose2k8s lowered from the Compose file.\n${doc.toString({ lineWidth: 0, indentSeq: true })}`;
}

function schemaFor(value: unknown, path: string): Obj {
  const d = describe(path);
  const withDesc = (s: Obj) => (d ? { description: d, ...s } : s);
  if (/\.replicas$|\.minReplicas$/.test(path)) return withDesc({ type: ['integer', 'null'], minimum: 0 });
  if (/\.service\.type$/.test(path)) return withDesc({ type: 'string', enum: ['', 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] });
  if (/\.image\.digest$/.test(path)) return withDesc({ type: 'string', pattern: '^([a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+)?$' });
  if (/^persistence\.[^.]+\.size$/.test(path)) return withDesc({ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?([EPTGMK]i?|[mun]|e[0-9]+)?$' });
  if (Array.isArray(value)) return withDesc({ type: 'array' });
  if (value === null) return withDesc({});
  switch (typeof value) {
    case 'string':
      return withDesc({ type: 'string' });
    case 'boolean':
      return withDesc({ type: 'boolean' });
    case 'number':
      return withDesc({ type: Number.isInteger(value) ? 'integer' : 'number' });
    case 'object': {
      if (OPAQUE.test(path)) return withDesc({ type: 'object' });
      const props = Object.fromEntries(Object.entries(value as Obj).map(([k, v]) => [k, schemaFor(v, path ? `${path}.${k}` : k)]));
      return withDesc({ type: 'object', properties: props });
    }
  }
  return withDesc({});
}

function readmeRows(values: Values): { key: string; type: string; default: string; description: string }[] {
  const rows: { key: string; type: string; default: string; description: string }[] = [];
  const cell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;');
  const walk = (v: unknown, path: string[]) => {
    const p = path.join('.');
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !OPAQUE.test(p) && Object.keys(v).length) {
      for (const [k, x] of Object.entries(v as Obj)) walk(x, [...path, k]);
      return;
    }
    const type = v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'map' : typeof v;
    const json = JSON.stringify(v);
    rows.push({ key: cell(p), type, default: `\`${cell(json.length > 120 ? `${json.slice(0, 117)}...` : json)}\``, description: cell(describe(p) ?? '') });
  };
  walk(values, []);
  return rows;
}

// ---------------------------------------------------------------------------------------------------------
// The chart

function chartYaml(name: string, project: string, version: string, appVersion: string): string {
  return stringify(
    {
      apiVersion: 'v2',
      name,
      description: `The Compose project ${project}, converted by compose2k8s`.replace(/[\r\n]/g, ' '),
      type: 'application',
      version,
      appVersion,
      annotations: { 'compose2k8s.io/version': VERSION },
    },
    { version: '1.1', lineWidth: 0 },
  );
}

function defaultAppVersion(values: Values, chartVersion: string): string {
  const tags = new Set(Object.values(values.services).flatMap((s) => (s.image?.tag ? [s.image.tag] : [])));
  return tags.size === 1 ? [...tags][0]! : chartVersion;
}

/** The chart's files (relative to the chart directory), without writing anything. */
export async function helmChartFiles(objects: readonly KubeObject[], ctx: PackageContext, options: HelmOptions = {}): Promise<FileTree> {
  const version = options.chartVersion ?? '0.1.0';
  if (!SEMVER.test(version)) throw error('helm.chart-version', `chart version "${version}" is not SemVer 2 (e.g. 1.2.3)`);
  const chart = toKubeName(ctx.project.name, { maxLength: 53 }) || 'chart';
  const hb = await loadHandlebars();
  const render = (name: string, data: object) => {
    const text = shippedTemplate(`helm/${name}`);
    if (text === undefined) return undefined;
    return hb.compile(text, { noEscape: true, strict: false })(data);
  };

  const builder = new ChartBuilder(chart, objects);
  const files: FileTree = new Map();
  const names = objectFileNames(objects);
  objects.forEach((o, i) => {
    if (o.kind === 'Secret' && (o.data !== undefined || o.stringData !== undefined)) {
      ctx.diagnostics.warn('helm.secret-in-chart', `Secret ${o.metadata.name} holds secret material, which is written into the chart; use --secrets reference to keep it out`);
    }
    const { body, service, valuesPath } = builder.parametrize(o);
    const yaml = stringify(inOutputKeyOrder(body), { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false });
    const text = fillHoles(escapeGoTemplate(yaml), builder.holes, chart).replace(/\n+$/, '');
    const kind = o.kind.toLowerCase();
    const data = {
      kind: o.kind,
      name: o.metadata.name,
      service,
      values: service && builder.values.services[service] ? valuesExpr(['services', service]) : undefined,
      valuesPath,
      body: text,
      chart,
    };
    const rendered = render(`${kind}.yaml.hbs`, data) ?? render('object.yaml.hbs', data)!;
    files.set(`templates/${names[i]}`, rendered.replace(/\n*$/, '\n'));
  });

  const values = builder.values;
  // A services entry only for services that have values (e.g. a Job with nothing to set has none).
  const ORDER = ['image', 'replicas', 'resources', 'env', 'extraEnv', 'imagePullSecrets', 'service', 'ingress', 'autoscaling'];
  values.services = Object.fromEntries(
    Object.entries(values.services)
      .filter(([, v]) => Object.keys(v).length > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).sort(([a], [b]) => ORDER.indexOf(a) - ORDER.indexOf(b)))]),
  );
  values.persistence = Object.fromEntries(Object.entries(values.persistence).sort(([a], [b]) => (a < b ? -1 : 1)));
  const appVersion = options.appVersion ?? defaultAppVersion(values, version);

  files.set('Chart.yaml', chartYaml(chart, ctx.project.name, version, appVersion));
  files.set('values.yaml', valuesYaml(values));
  files.set(
    'values.schema.json',
    `${JSON.stringify({ $schema: 'https://json-schema.org/draft-07/schema#', title: `Values of the ${chart} chart`, ...schemaFor(values, '') }, null, 2)}\n`,
  );
  files.set('templates/_helpers.tpl', render('_helpers.tpl.hbs', { chart })!);
  const workloads = objects.filter((o) => WORKLOAD_KINDS.has(o.kind));
  const servicePorts = (name: string) =>
    ((objects.find((o) => o.kind === 'Service' && o.metadata.name === name)?.spec as Obj | undefined)?.ports ?? []) as Obj[];
  files.set(
    'templates/NOTES.txt',
    render('NOTES.txt.hbs', {
      chart,
      project: escapeGoTemplate(ctx.project.name),
      instance: workloads[0]?.metadata.labels?.['app.kubernetes.io/instance'] ?? chart,
      services: workloads.map((w) => ({
        name: w.metadata.name,
        kind: w.kind,
        ports: servicePorts(w.metadata.name).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', '),
      })),
      forwards: workloads.flatMap((w) => {
        const p = servicePorts(w.metadata.name)[0];
        return p ? [{ name: w.metadata.name, port: p.port }] : [];
      }),
    })!,
  );
  files.set('README.md', render('README.md.hbs', { chart, project: ctx.project.name.replace(/`/g, "'"), version: VERSION, rows: readmeRows(values) })!);
  files.set('.helmignore', render('helmignore.hbs', {})!);
  return files;
}

/**
 * Writes the chart into `dir` atomically (Chart.yaml, values.yaml, values.schema.json, README.md, templates/).
 * Throws a DiagnosticError for a bad chart version, foreign files in `dir` or an unwritable `dir`.
 */
export async function writeHelmChart(objects: readonly KubeObject[], ctx: PackageContext, dir: string, options: HelmOptions = {}): Promise<void> {
  writeTreeAtomic(dir, await helmChartFiles(objects, ctx, options));
}

export type { Json };
