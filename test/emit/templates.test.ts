import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderUserTemplates } from '../../src/emit/templates.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { FIXTURES, lowerFixture, tempDir } from './helpers.js';

function shop() {
  const l = lowerFixture('shop');
  return { project: l.project, objects: l.objects };
}

function dirWith(files: Record<string, string>): string {
  const dir = tempDir('c2k-tpl-');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function failure(dir: string): Promise<DiagnosticError> {
  try {
    await renderUserTemplates(dir, shop());
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

describe('renderUserTemplates', () => {
  it('renders project and per-service templates, replaces same kind/name, adds the rest in apply order', async () => {
    const input = shop();
    const out = await renderUserTemplates(join(FIXTURES, 'templates', 'good'), input);
    const get = (kind: string, name: string): any => out.find((o) => o.kind === kind && o.metadata.name === name);
    expect(get('ConfigMap', 'web-app-env').data).toEqual({ LOG_LEVEL: 'debug', SERVICES: '4' });
    const inv = get('ConfigMap', 'shop-inventory');
    expect(inv.data.services).toContain('- web (web): "registry.example.com/shop/web:1.4.2"');
    expect(inv.data.services).toContain('- migrate (migrate): "shop/migrate:1.4.2"');
    // Compose text stays text: the quote helper keeps template-looking values verbatim.
    expect(inv.data.greeting).toBe('hello {{ .Release.Name }} x');
    expect(inv.data['secret-b64']).toBe('eA==');
    const pdb = get('PodDisruptionBudget', 'web-pdb');
    expect(pdb.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/component': 'web', 'app.kubernetes.io/instance': 'shop' });
    expect(pdb.metadata.labels['app.kubernetes.io/part-of']).toBe('shop');
    expect(get('PodDisruptionBudget', 'worker-pdb')).toBeUndefined(); // no replicas field
    const kinds = out.map((o) => o.kind);
    expect(kinds.indexOf('PodDisruptionBudget')).toBeGreaterThan(kinds.lastIndexOf('Deployment'));
    expect(out.length).toBe(input.objects.length + 2);
  });

  it('a syntax error names the template file and line', async () => {
    const dir = dirWith({ 'service.broken.yaml.hbs': 'kind: ConfigMap\n{{#each objects}}\nx: 1\n' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'templates.syntax', file: join(dir, 'service.broken.yaml.hbs') });
    expect(e.diagnostics[0]!.line).toBeGreaterThanOrEqual(3);
  });

  it('an unknown helper is an error with line and column, nothing can be called', async () => {
    const dir = dirWith({ 'project.x.yaml.hbs': 'a: 1\nb: {{constructor.constructor "return process"}}\n' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'templates.syntax', line: 2 });
    expect(e.message).toContain('project.x.yaml.hbs:2');
  });

  it('prototype properties are not reachable', async () => {
    const dir = dirWith({
      'project.p.yaml.hbs': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p}\ndata:\n  a: {{quote (lookup project "constructor")}}\n  b: {{quote project.__proto__}}\n',
    });
    const out = await renderUserTemplates(dir, shop());
    expect((out.find((o) => o.metadata.name === 'p') as any).data).toEqual({ a: '', b: '' });
  });

  it('bad output: not YAML, not an object, an invalid object, a duplicate, a bad file name', async () => {
    expect((await failure(dirWith({ 'project.a.hbs': 'a: [1\n' }))).diagnostics[0]!.code).toBe('templates.yaml');
    expect((await failure(dirWith({ 'project.a.hbs': 'just: data\n' }))).diagnostics[0]!.code).toBe('templates.not-an-object');
    const invalid = await failure(dirWith({ 'project.a.hbs': 'apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: "eighty"}]}\n' }));
    expect(invalid.diagnostics[0]).toMatchObject({ code: 'templates.invalid-object' });
    expect(invalid.diagnostics[0]!.file).toMatch(/project\.a\.hbs$/);
    const dup = await failure(dirWith({ 'service.a.hbs': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: same}\n' }));
    expect(dup.diagnostics[0]!.code).toBe('templates.duplicate');
    expect((await failure(dirWith({ 'thing.hbs': '' }))).diagnostics[0]!.code).toBe('templates.bad-name');
    expect((await failure(join(tempDir(), 'missing'))).diagnostics[0]!.code).toBe('templates.unreadable');
  });

  it('helper misuse is a render error naming the file', async () => {
    const dir = dirWith({ 'project.i.hbs': '{{indent "x" "y"}}' });
    const e = await failure(dir);
    expect(e.diagnostics[0]).toMatchObject({ code: 'templates.render' });
    expect(e.diagnostics[0]!.file).toMatch(/project\.i\.hbs$/);
  });
});
