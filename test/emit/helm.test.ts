import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { escapeGoTemplate, helmChartFiles, splitImage, valuesExpr, writeHelmChart } from '../../src/emit/helm.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { byId, HELM, lowerFixture, parseStream, tempDir, warnSkip, withSecondHalf } from './helpers.js';

function shop(namespace?: string) {
  const l = lowerFixture('shop', ['compose.yaml'], namespace ? { namespace } : {});
  return { ...l, all: withSecondHalf(l) };
}

function helm(args: string[]): string {
  return execFileSync(HELM!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('helm chart pieces', () => {
  it('splits image references so they join back exactly', () => {
    for (const ref of ['nginx', 'nginx:1.27', 'localhost:5000/a/b:tag', 'localhost:5000/a/b', 'postgres:16@sha256:abc', 'x@sha256:abc']) {
      const { repository, tag, digest } = splitImage(ref);
      expect(`${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`).toBe(ref);
    }
    expect(splitImage('localhost:5000/a/b')).toEqual({ repository: 'localhost:5000/a/b', tag: '', digest: '' });
  });
  it('escapes Go-template delimiters and writes values paths for any key', () => {
    expect(escapeGoTemplate('a {{ .X }}}')).toBe('a {{ "{{" }} .X {{ "}}" }}}');
    expect(valuesExpr(['services', 'my-web', 'image'])).toBe('(index .Values.services "my-web").image');
  });
});

describe('writeHelmChart', () => {
  it('writes Chart.yaml, values with per-service settings, schema, README, helpers, NOTES and one template per object', async () => {
    const { all, ctx } = shop('shop');
    const files = await helmChartFiles(all, ctx, { chartVersion: '1.2.3' });
    const chart = parse(files.get('Chart.yaml') as string);
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'shop', version: '1.2.3', type: 'application' });
    const values = parse(files.get('values.yaml') as string);
    expect(values.global).toEqual({ namespace: 'shop', createNamespace: true, imagePullSecrets: [], labels: {} });
    expect(values.services.web.image).toEqual({ repository: 'registry.example.com/shop/web', tag: '1.4.2', digest: '' });
    expect(values.services.db.image.digest).toMatch(/^sha256:/);
    expect(values.services.web.replicas).toBe(2);
    expect(values.services.web.resources).toEqual({ limits: { cpu: '500m', memory: '256Mi' } });
    expect(values.services.web.env).toMatchObject({ MODE: 'production' });
    expect(values.services.web.service).toBeDefined();
    expect(values.services.web.ingress).toMatchObject({ enabled: true, className: 'nginx' });
    expect(values.services.worker.autoscaling).toMatchObject({ enabled: true, maxReplicas: 5 });
    expect(Object.keys(values.persistence)).toContain('dbdata');
    expect(files.get('values.yaml')).toContain('# Image repository.');
    const schema = JSON.parse(files.get('values.schema.json') as string);
    expect(schema.properties.services.properties.web.properties.replicas.type).toEqual(['integer', 'null']);
    expect(files.get('README.md')).toContain('| `services.web.image.tag` | string | `"1.4.2"` |');
    expect(files.get('templates/_helpers.tpl')).toContain('define "shop.image"');
    expect(files.get('templates/NOTES.txt')).toContain('kubectl port-forward');
    expect(files.has('templates/deployment-web.yaml')).toBe(true);
    const dep = files.get('templates/deployment-web.yaml') as string;
    expect(dep).toContain('image: {{ include "shop.image" .Values.services.web.image }}');
    // Compose text that looks like a template is escaped, never executed.
    expect(dep).toContain('{{ "{{" }} fail "injected" {{ "}}" }}');
    expect(dep).not.toMatch(/\{\{ fail/);
  });

  it('rejects a bad chart version and a directory with foreign files', async () => {
    const { all, ctx } = shop();
    await expect(helmChartFiles(all, ctx, { chartVersion: 'v1' })).rejects.toThrow(/SemVer/);
    const dir = tempDir();
    writeFileSync(join(dir, 'Chart.yaml'), 'name: theirs\n');
    await expect(writeHelmChart(all, ctx, dir)).rejects.toThrow(DiagnosticError);
    expect(readFileSync(join(dir, 'Chart.yaml'), 'utf8')).toBe('name: theirs\n');
  });
});

describe('with the real helm', () => {
  for (const namespace of ['shop', undefined]) {
    it(`helm lint passes and helm template renders the plain stream (namespace ${namespace ?? 'none'})`, async (t) => {
      if (!HELM) {
        warnSkip('helm lint/template', 'set COMPOSE2K8S_HELM to a helm binary (bash scripts/tools/helm.sh prints one)');
        return t.skip();
      }
      const { all, ctx } = shop(namespace);
      const dir = join(tempDir(), 'chart');
      await writeHelmChart(all, ctx, dir);
      expect(helm(['lint', '--strict', dir])).toContain('0 chart(s) failed');
      const rendered = parseStream(helm(['template', 'rel', dir]));
      expect(byId(rendered)).toEqual(byId(all));
    });
  }

  it('values change what they say, and injected template text stays literal', async (t) => {
    if (!HELM) {
      warnSkip('helm template with --set', 'COMPOSE2K8S_HELM not set');
      return t.skip();
    }
    const { all, ctx } = shop('shop');
    const dir = join(tempDir(), 'chart');
    await writeHelmChart(all, ctx, dir);
    const out = parseStream(
      helm([
        'template', 'rel', dir,
        '--set', 'services.web.replicas=5',
        '--set', 'services.web.image.tag=2.0.0',
        '--set', 'global.namespace=other',
        '--set', 'global.labels.team=shop',
        '--set', 'services.web.ingress.enabled=false',
        '--set', 'services.worker.autoscaling.enabled=false',
        '--set', 'services.worker.replicas=3',
        '--set', 'persistence.dbdata.size=5Gi',
        '--set', 'global.imagePullSecrets[0].name=regcred',
        '--set-string', 'services.web.env.MODE=staging',
      ]),
    );
    const get = (kind: string, name: string): any => out.find((o) => o.kind === kind && o.metadata.name === name);
    const web = get('Deployment', 'web');
    expect(web.spec.replicas).toBe(5);
    expect(web.metadata.namespace).toBe('other');
    expect(web.metadata.labels.team).toBe('shop');
    expect(web.spec.selector.matchLabels.team).toBeUndefined();
    const c = web.spec.template.spec.containers[0];
    expect(c.image).toBe('registry.example.com/shop/web:2.0.0');
    expect(c.env.find((e: any) => e.name === 'MODE').value).toBe('staging');
    expect(c.env.find((e: any) => e.name === 'GREETING').value).toBe('hello {{ .Release.Name }} x');
    expect(c.args).toContain('{{ fail "injected" }}');
    expect(web.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(get('Ingress', 'web')).toBeUndefined();
    expect(get('HorizontalPodAutoscaler', 'worker')).toBeUndefined();
    expect(get('Deployment', 'worker').spec.replicas).toBe(3);
    expect(get('Namespace', 'other')).toBeDefined();
    expect(get('PersistentVolumeClaim', 'dbdata')?.spec.resources.requests.storage ?? '5Gi').toBe('5Gi');
  });

  it('values.schema.json rejects a wrong type', async (t) => {
    if (!HELM) {
      warnSkip('helm schema validation', 'COMPOSE2K8S_HELM not set');
      return t.skip();
    }
    const { all, ctx } = shop();
    const dir = join(tempDir(), 'chart');
    await writeHelmChart(all, ctx, dir);
    mkdirSync(join(dir, '..', 'v'), { recursive: true });
    expect(() => helm(['template', 'rel', dir, '--set', 'services.web.replicas=many'])).toThrow(/replicas/);
  });
});
