import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../src/emit/report-html.js';
import { buildTopology, topologySvg } from '../../src/emit/report-html-topology.js';
import { renderReportMarkdown } from '../../src/emit/report-md.js';
import { CHROMIUM, lowerFixture, tempDir, warnSkip, withSecondHalf } from './helpers.js';

function input() {
  const l = lowerFixture('shop', ['compose.yaml'], { namespace: 'shop' });
  const objects = withSecondHalf(l);
  // A hostile project name and diagnostic must come out as text.
  const diagnostics = [...l.diagnostics.items, { severity: 'warning' as const, code: 'test.markup', message: '<script>alert(1)</script> | pipe', path: 'services.web' }];
  return { project: l.project, objects, report: l.report, diagnostics };
}

function chromium(args: string[]): string {
  return execFileSync(
    CHROMIUM!,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'c2k-chromium-'))}`, ...args,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
  );
}

describe('topology', () => {
  it('finds each service’s workload, Services, Ingress, claims, configs, secrets, networks and depends_on', () => {
    const { project, objects } = input();
    const t = buildTopology(project, objects);
    const web = t.services.find((s) => s.name === 'web')!;
    expect(web.workload).toMatchObject({ kind: 'Deployment', name: 'web', detail: '2 replicas' });
    expect(web.services.map((s) => s.name)).toEqual(['web']);
    expect(web.services[0]!.detail).toContain('8080');
    expect(web.ingresses[0]).toMatchObject({ kind: 'Ingress', detail: 'shop.example.com/' });
    expect(web.resources.map((r) => `${r.kind}/${r.name}`)).toEqual(expect.arrayContaining(['ConfigMap/web-app-env']));
    expect(web.dependsOn).toEqual([{ target: 'db', condition: 'service_healthy' }]);
    expect(web.networks).toEqual(['default']);
    expect(t.services.find((s) => s.name === 'db')!.workload!.kind).toBe('StatefulSet');
    expect(t.services.find((s) => s.name === 'worker')!.workload!.detail).toBe('autoscaled 1–5');
    const svg = topologySvg(t);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const name of ['web', 'db', 'worker', 'migrate']) expect(svg).toContain(`data-name="${name}"`);
  });
});

describe('topology of a service group (kompose.service.group)', () => {
  it('shows each member on the group workload with its own Service', () => {
    const l = lowerFixture('../convert/service-group');
    const t = buildTopology(l.project, l.objects);
    for (const name of ['web', 'api']) {
      const member = t.services.find((s) => s.name === name)!;
      expect(member.workload).toMatchObject({ kind: 'Deployment', name: 'frontend' });
      expect(member.services.map((s) => s.name)).toEqual([name]);
    }
    expect(t.services.find((s) => s.name === 'db')!.workload).toMatchObject({ name: 'db' });
  });
});

describe('renderReportHtml', () => {
  it('is one self-contained page with the topology, the warnings and the conversion table, all text escaped', async () => {
    const html = await renderReportHtml(input());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<svg');
    expect(html).toContain('id="conversion"');
    expect(html).toContain('services.web.env_file');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    // Nothing is fetched at view time: no src/href attributes, no url() outside the page.
    expect(html).not.toMatch(/\s(src|href)=/);
    expect(html).not.toMatch(/url\((?!#)/);
    expect(html).not.toMatch(/@import/);
  });

  it('renders in headless Chromium showing every service, its Service and resources', async (t) => {
    if (!CHROMIUM) {
      warnSkip('report in Chromium', 'no /usr/bin/chromium (apt-get install -y chromium)');
      return t.skip();
    }
    const dir = tempDir('c2k-report-');
    const page = join(dir, 'report.html');
    writeFileSync(page, await renderReportHtml(input()));
    const dom = chromium(['--dump-dom', `file://${page}`]);
    for (const [kind, name] of [
      ['Deployment', 'web'],
      ['StatefulSet', 'db'],
      ['Job', 'migrate'],
      ['Deployment', 'worker'],
      ['Service', 'web'],
      ['Ingress', 'web'],
      ['ConfigMap', 'web-app-env'],
    ]) {
      expect(dom).toContain(`data-kind="${kind}" data-name="${name}"`);
    }
    expect(dom).toContain('web depends on db (service_healthy)');
    const png = join(dir, 'report.png');
    chromium([`--screenshot=${png}`, '--window-size=1400,1000', `file://${page}`]);
    const buf = readFileSync(png);
    expect(buf.subarray(1, 4).toString()).toBe('PNG');
    expect([buf.readUInt32BE(16), buf.readUInt32BE(20)]).toEqual([1400, 1000]);
    // A blank page compresses to a few KB; the reference screenshot (fixtures/emit/report/shop-topology.png) is ~130 KB.
    expect(statSync(png).size).toBeGreaterThan(40_000);
  });
});

describe('renderReportMarkdown', () => {
  it('has a Mermaid topology, escaped tables of warnings, keys and objects', () => {
    const md = renderReportMarkdown(input());
    expect(md).toContain('```mermaid\nflowchart LR');
    expect(md).toMatch(/n\d+\["Deployment web \(2 replicas\)"\]/);
    expect(md).toMatch(/== "healthy" ==>/);
    expect(md).toContain('| warning | `test.markup` | &lt;script&gt;alert(1)&lt;/script&gt; \\| pipe |');
    expect(md).toContain('| `services.web.env_file` | mapped |');
    expect(md).toMatch(/\| 1 \| Namespace \| `shop` \|/);
  });
});
