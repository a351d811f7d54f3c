import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { lowerProject, PASSES } from '../../src/lower/index.js';
import { toJsonList, toYamlStream, validateObjects } from '../../src/emit/index.js';
import { APPLY_ORDER as KIND_ORDER } from '../../src/model/kube.js';
import { isDnsLabel } from '../../src/lower/names.js';
import { isLabelKey, isLabelValue } from '../../src/lower/metadata.js';
import { inputKeyPaths } from '../../src/lower/conversion-report.js';
import { find, lower, memFiles, podSpec, project } from './helpers.js';
import { KITCHEN_SINK, KITCHEN_SINK_FILES } from './kitchen-sink.js';

const options = { files: memFiles(KITCHEN_SINK_FILES), namespace: 'shop' };
const sink = () => lower(KITCHEN_SINK, options);

describe('pipeline', () => {
  test('the kitchen sink lowers without errors', () => {
    const r = sink();
    expect(r.diagnostics.errors).toEqual([]);
  });

  test('B15: apply order: Namespace first, RBAC and config before workloads, HPAs after; by name within a kind', () => {
    const { objects } = sink();
    expect(objects[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'shop' } });
    const ranks = objects.map((o) => KIND_ORDER.indexOf(o.kind));
    expect(ranks.every((r) => r >= 0)).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    for (let i = 1; i < objects.length; i++) {
      if (objects[i]!.kind === objects[i - 1]!.kind) expect(objects[i - 1]!.metadata.name < objects[i]!.metadata.name).toBe(true);
    }
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/shop',
      'ServiceAccount/web',
      'Role/web-wait',
      'RoleBinding/web-wait',
      'ConfigMap/web-env',
      'Service/cache',
      'Service/db',
      'Service/db-headless',
      'Service/db-ready',
      'Service/migrate',
      'Service/web',
      'Deployment/web',
      'StatefulSet/db',
      'DaemonSet/cache',
      'Job/migrate',
      'CronJob/report',
      'HorizontalPodAutoscaler/web',
    ]);
  });

  test('namespace on every namespaced object', () => {
    for (const o of sink().objects.slice(1)) expect(o.metadata.namespace).toBe('shop');
  });

  test('every object validates against the Kubernetes schema (kubernetes-models)', async () => {
    const { objects } = sink();
    const d = new Diagnostics();
    expect(await validateObjects(objects, d)).toBe(0);
    expect(d.errors).toEqual([]);
    expect(d.items.filter((i) => i.code === 'validate.no-schema')).toEqual([]);
  });

  test('semantic validity the schema does not check (B10, B11, B16)', () => {
    for (const o of sink().objects) {
      expect(isDnsLabel(o.metadata.name)).toBe(true);
      for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
        expect(isLabelKey(k)).toBe(true);
        expect(isLabelValue(v)).toBe(true);
      }
      if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(o.kind)) {
        expect(podSpec(o).restartPolicy ?? 'Always').toBe('Always');
        const spec = o.spec as any;
        expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
        if (spec.strategy?.type === 'Recreate') expect(spec.strategy.rollingUpdate).toBeUndefined();
      }
      if (['Job', 'CronJob'].includes(o.kind)) expect(['Never', 'OnFailure']).toContain(podSpec(o).restartPolicy);
      if (o.kind !== 'Namespace' && 'spec' in o && (o.spec as any)?.template) {
        const pod = podSpec(o);
        const names = [...(pod.initContainers ?? []), ...pod.containers].map((c: any) => c.name);
        expect(new Set(names).size).toBe(names.length);
      }
    }
  });

  test('determinism: two runs give byte-identical YAML and JSON', () => {
    expect(toYamlStream(sink().objects)).toBe(toYamlStream(sink().objects));
    expect(toJsonList(sink().objects)).toBe(toJsonList(sink().objects));
  });

  test('B20: no host paths, argv or timestamps in the output; kompose labels are consumed, not copied', () => {
    const yaml = toYamlStream(sink().objects);
    expect(yaml).not.toContain('/proj');
    expect(yaml).not.toContain('kompose.');
    expect(yaml).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    expect(yaml).not.toContain('status:');
  });

  test('B4: YAML is safe for YAML 1.1 readers and round-trips; no status; key order stable', () => {
    const { objects } = sink();
    const yaml = toYamlStream(objects);
    expect(yaml).toContain('value: "no"');
    const docs = parseAllDocuments(yaml, { version: '1.1' }).map((d) => d.toJS());
    expect(docs).toEqual(JSON.parse(JSON.stringify(objects)));
    expect(yaml.split('\n').slice(0, 3)).toEqual(['---', 'apiVersion: v1', 'kind: Namespace']);
    const list = JSON.parse(toJsonList(objects));
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items).toHaveLength(objects.length);
  });

  test('B3: every key of the input is accounted for in the report; ignored entries carry a reason', () => {
    const { report, diagnostics } = sink();
    for (const path of inputKeyPaths(KITCHEN_SINK)) {
      expect(report.some((e) => e.path === path || e.path.startsWith(`${path}.`)), path).toBe(true);
    }
    for (const e of report.filter((x) => x.status === 'ignored')) expect(e.reason).toBeTruthy();
    // ports are mapped to the in-cluster Service; the published port is reported as not exposed (expose: none).
    expect(report.filter((e) => e.path === 'services.web.ports').map((e) => e.status)).toEqual(['approximated', 'mapped']);
    expect(report.find((e) => e.path === 'services.web.ports' && e.status === 'approximated')!.reason).toContain('published port 8080 not exposed outside the cluster');
    // x-* anchors are noted at info level only (B14: no noise).
    expect(diagnostics.items.find((d) => d.path === 'x-common')!.severity).toBe('info');
  });

  test('strict turns every ignored key into an error', () => {
    const r = lower(project({ a: { image: 'x', ulimits: { nofile: { soft: 1, hard: 1 } } } }), { strict: true });
    expect(r.diagnostics.errors.map((e) => e.path)).toEqual(['services.a.ulimits']);
  });

  test('labels and selectors: recommended labels everywhere, minimal selector, compose labels as pod annotations', () => {
    const { objects } = sink();
    const web = find(objects, 'Deployment', 'web');
    expect(web.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/instance': 'Shop_App', 'app.kubernetes.io/component': 'web' });
    expect(web.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/part-of': 'Shop_App',
      'app.kubernetes.io/managed-by': 'compose2k8s',
      tier: 'front',
    });
    expect(web.metadata.annotations).toEqual({ 'has space': 'x y' });
    expect(web.spec.template.metadata.annotations).toMatchObject({ 'com.example.team': 'web', 'example.com/owner': 'me' });
    expect(find(objects, 'StatefulSet', 'db').spec.template.metadata.labels.backup).toBe('daily');
    expect(find(objects, 'Namespace', 'shop').metadata.labels['app.kubernetes.io/managed-by']).toBe('compose2k8s');
  });

  test('top-level x-kubernetes defaults reach every pod; a service setting adds to them', () => {
    const { objects } = sink();
    expect(podSpec(find(objects, 'Deployment', 'web')).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', pool: 'main' });
    expect(podSpec(find(objects, 'StatefulSet', 'db')).tolerations).toHaveLength(1);
  });

  test('passes plug in without editing existing ones (second-half contract)', () => {
    const d = new Diagnostics();
    const servicesPass = {
      name: 'services',
      run(ctx: any) {
        for (const unit of ctx.units.values()) {
          ctx.emit({ apiVersion: 'v1', kind: 'Service', metadata: { name: unit.name, labels: unit.labels }, spec: { selector: unit.selector, ports: [{ port: 80 }] } });
          ctx.report.mapped(`${unit.path}.ports`, `Service/${unit.name}`);
          unit.configRefs.add(`ConfigMap/${unit.name}-files`);
        }
      },
    };
    const r = lowerProject(project({ a: { image: 'x', ports: [{ target: 80, protocol: 'tcp', mode: 'ingress' }] } }), {}, d, [...PASSES, servicesPass]);
    expect(r.objects.map((o) => o.kind)).toEqual(['Service', 'Deployment']);
    expect(d.warnings).toEqual([]);
    expect(find(r.objects, 'Deployment', 'a').spec.template.metadata.annotations['compose2k8s.io/config-checksum']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('two objects of one kind and name are an error, not a silent overwrite (B16)', () => {
    const d = new Diagnostics();
    const dup = {
      name: 'dup',
      run(ctx: any) {
        ctx.emit({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
        ctx.emit({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
      },
    };
    lowerProject(project({}), {}, d, [dup]);
    expect(d.errors.map((e) => e.code)).toEqual(['lower.duplicate-object']);
  });
});
