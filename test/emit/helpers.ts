// Shared helpers of the packaging tests: load a fixture project from disk, lower it, find real tools.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compileSync } from '../../src/compile/index.js';
import { lowerProject } from '../../src/lower/index.js';
import type { KubeObject } from '../../src/lower/context.js';
import type { LowerOptions, FilePort } from '../../src/lower/options.js';
import { inOutputKeyOrder } from '../../src/emit/serialize.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { Project } from '../../src/model/project.js';
import type { PackageContext } from '../../src/emit/directory.js';

export const FIXTURES = resolve(__dirname, '../../fixtures/emit');

export const fsFiles: FilePort = { read: (p) => readFileSync(p) };

export interface Lowered {
  project: Project;
  objects: KubeObject[];
  report: ReturnType<typeof lowerProject>['report'];
  diagnostics: Diagnostics;
  ctx: PackageContext;
}

/** Loads fixtures/emit/<name> with the given compose files and lowers it. */
export function lowerFixture(name: string, files: string[] = ['compose.yaml'], options: Partial<LowerOptions> = {}): Lowered {
  const cwd = join(FIXTURES, name);
  const diagnostics = new Diagnostics();
  const { loaded, objects, report } = compileSync({ load: { cwd, files, env: {} }, lower: options, diagnostics });
  const project = loaded.project;
  return { project, objects, report, diagnostics, ctx: { project, files: fsFiles, diagnostics } };
}

export function tempDir(prefix = 'c2k-emit-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** YAML 1.1 as kubectl reads it (sigs.k8s.io/yaml, go-yaml v2): timestamp-like and base-60 scalars stay strings. */
const KUBECTL_YAML = {
  version: '1.1',
  customTags: (tags: readonly { tag?: string; format?: string }[]) => tags.filter((t) => !/timestamp$/.test(t.tag ?? '') && t.format !== 'TIME'),
} as const;

/** Parses a YAML stream (or a JSON/YAML list) into objects, dropping empty documents. */
export function parseStream(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, KUBECTL_YAML as never)) {
    if (doc.errors.length) throw doc.errors[0];
    const v = doc.toJS();
    if (v === null || v === undefined) continue;
    if (v.kind === 'List' && Array.isArray(v.items)) out.push(...v.items);
    else out.push(v);
  }
  return out;
}

const id = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** Objects keyed by kind/namespace/name, keys in output order: for order-insensitive comparison. */
export function byId(objects: readonly KubeObject[]): Record<string, unknown> {
  return Object.fromEntries([...objects].sort((a, b) => (id(a) < id(b) ? -1 : 1)).map((o) => [id(o), inOutputKeyOrder(o)]));
}

export const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
export const HELM = process.env.COMPOSE2K8S_HELM && existsSync(process.env.COMPOSE2K8S_HELM) ? process.env.COMPOSE2K8S_HELM : undefined;
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** A visible note when a tool-dependent test is skipped. */
export function warnSkip(what: string, why: string): void {
  console.warn(`SKIPPED ${what}: ${why}`);
}

const meta = (name: string, component?: string) => ({
  name,
  labels: {
    'app.kubernetes.io/instance': 'shop',
    'app.kubernetes.io/managed-by': 'compose2k8s',
    'app.kubernetes.io/name': component ?? 'shop',
    'app.kubernetes.io/part-of': 'shop',
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  },
});

/**
 * Stand-ins for the second-half passes (Services, PVCs, config/secret objects, Ingress, HPA) while they are
 * being written: the emitters are generic, so these objects only need the shapes those passes will emit.
 */
export function withSecondHalf(l: Lowered): KubeObject[] {
  const dir = join(FIXTURES, 'shop');
  const extra: KubeObject[] = [];
  const workloads = l.objects.filter((o) => ['Deployment', 'StatefulSet'].includes(o.kind));
  for (const w of workloads) {
    const name = w.metadata.name;
    const ports = name === 'web' ? [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] : name === 'db' ? [{ name: 'pg', port: 5432 }] : [];
    extra.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(name, name),
      spec: { selector: (w.spec as any).selector.matchLabels, ...(ports.length ? { ports } : { clusterIP: 'None' }), ...(name === 'web' ? { type: 'NodePort' } : {}) },
    });
  }
  if (l.project.secrets?.db_password) {
    extra.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('db-password'),
      type: 'Opaque',
      data: { db_password: readFileSync(join(dir, 'secrets/db_password.txt')).toString('base64') },
    });
  }
  if (l.project.configs?.nginx_conf) {
    extra.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('nginx-conf'), data: { 'nginx.conf': readFileSync(join(dir, 'nginx.conf'), 'utf8') } });
  }
  if (l.project.volumes?.dbdata) {
    extra.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('dbdata'),
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
  }
  if (l.project.services.web) {
    extra.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web', 'web'),
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
      },
    });
    extra.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('worker', 'worker'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' },
        minReplicas: 1,
        maxReplicas: 5,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    });
  }
  const rank = ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret', 'ConfigMap', 'PersistentVolumeClaim', 'Service', 'Deployment', 'StatefulSet', 'Job', 'HorizontalPodAutoscaler', 'Ingress'];
  // Kinds the lowering already emits are left to it.
  const have = new Set(l.objects.map((o) => o.kind));
  const secretFromLowering = l.objects.some((o) => o.kind === 'Secret' || (o.kind === 'ConfigMap' && o.metadata.name.includes('nginx')));
  const namespace = l.objects.find((o) => o.metadata.namespace)?.metadata.namespace;
  const added = extra
    .filter((o) => !have.has(o.kind) && !(secretFromLowering && ['Secret', 'ConfigMap'].includes(o.kind)))
    .map((o) => (namespace ? { ...o, metadata: { ...o.metadata, namespace } } : o));
  return [...l.objects, ...added].sort((a, b) => rank.indexOf(a.kind) - rank.indexOf(b.kind) || (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
}

/**
 * `kubectl kustomize DIR`, plain (no --load-restrictor), parsed. Kustomize wraps the base64 of Secret data at
 * 70 columns; the API server ignores line breaks in base64, so they are removed for comparison.
 */
export function kustomizeBuild(dir: string): { status: number | null; stderr: string; objects: KubeObject[] } {
  const r = spawnSync(KUBECTL!, ['kustomize', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { status: r.status, stderr: r.stderr, objects: [] };
  const objects = parseStream(r.stdout).map((o) =>
    o.kind === 'Secret' && o.data && typeof o.data === 'object'
      ? { ...o, data: Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s/g, '')])) }
      : o,
  );
  return { status: r.status, stderr: r.stderr, objects };
}
