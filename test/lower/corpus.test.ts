// Converts EVERY compose file of the shared corpus (Kompose's fixtures and compose-go's testdata) and checks
// properties that must hold for any input. Files the loader rejects are skipped (they are loader tests).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { lowerProject, type KubeObject, type LowerOptions } from '../../src/lower/index.js';
import { toYamlStream, validateObjects } from '../../src/emit/index.js';
import { isDnsLabel, toKubeName } from '../../src/lower/names.js';
import { servicePorts } from '../../src/lower/ports.js';
import { escapeKubeExpansion } from '../../src/lower/units.js';
import type { LoadedProject } from '../../src/model/project.js';
import { composeFilesUnder, corpusDir } from '../helpers/corpus.js';
import { diskOptions, loadFixture } from './fs-port.js';

interface Case {
  file: string;
  loaded: LoadedProject;
}

function cases(): { loaded: Case[]; rejected: number } {
  const out: Case[] = [];
  let rejected = 0;
  for (const sub of ['kompose', 'compose-go']) {
    for (const file of composeFilesUnder(join(corpusDir!, sub))) {
      try {
        out.push({ file, loaded: loadFixture(file, dirname(file)) });
      } catch {
        rejected++;
      }
    }
  }
  return { loaded: out, rejected };
}

function convert(c: Case, secrets: 'inline' | 'reference' = 'reference', extra: Partial<LowerOptions> = {}) {
  const d = new Diagnostics();
  const r = lowerProject(c.loaded.project, { ...diskOptions(c.loaded), secrets, ...extra }, d);
  return { ...r, diagnostics: d };
}

const podSpecOf = (o: KubeObject): any => {
  const spec = o.spec as any;
  return (spec?.template ?? spec?.jobTemplate?.spec?.template)?.spec;
};

describe.skipIf(!corpusDir)('lowering over the whole corpus', () => {
  const all = corpusDir ? cases() : { loaded: [], rejected: 0 };

  test('the corpus has files the loader accepts', () => {
    expect(all.loaded.length).toBeGreaterThan(50);
    console.info(`corpus: ${all.loaded.length} files converted, ${all.rejected} rejected by the loader (skipped)`);
  });

  test('no crash; deterministic (two runs byte-identical); RFC 1123 names', () => {
    for (const c of all.loaded) {
      const a = convert(c);
      const b = convert(c);
      expect(toYamlStream(a.objects), c.file).toBe(toYamlStream(b.objects));
      for (const o of a.objects) {
        expect(isDnsLabel(o.metadata.name), `${c.file}: ${o.kind}/${o.metadata.name}`).toBe(true);
        if (o.kind === 'Service') expect(/^[a-z]/.test(o.metadata.name), `${c.file}: Service/${o.metadata.name}`).toBe(true);
      }
    }
  });

  test('every object validates (kubernetes-models), with default options and with every second-half option on', async () => {
    const variants: [ 'inline' | 'reference', Partial<LowerOptions>][] = [
      ['reference', {}],
      ['inline', { networkPolicies: true, expose: 'ingress', allowHostPaths: true }],
      ['inline', { expose: 'loadbalancer', controller: 'statefulset', networkPolicies: true }],
      ['reference', { expose: 'nodeport' }],
    ];
    for (const c of all.loaded) {
      for (const [mode, extra] of variants) {
        const r = convert(c, mode, extra);
        const d = new Diagnostics();
        const invalid = await validateObjects(r.objects, d);
        expect(d.errors.map((e) => e.message), c.file).toEqual([]);
        expect(d.items.filter((i) => i.code === 'validate.no-schema').map((i) => i.message), c.file).toEqual([]);
        expect(invalid).toBe(0);
      }
    }
  }, 600_000);

  test('service groups: volume mode, and all services of a project in one group: no crash, deterministic, valid without errors', async () => {
    let grouped = 0;
    let merged = 0;
    for (const c of all.loaded) {
      const byVolume = convert(c, 'inline', { serviceGroupMode: 'volume' });
      expect(toYamlStream(byVolume.objects), c.file).toBe(toYamlStream(convert(c, 'inline', { serviceGroupMode: 'volume' }).objects));
      if (byVolume.diagnostics.items.some((i) => i.code === 'group.volume')) grouped++;
      if (!byVolume.diagnostics.errors.length) expect(await validateObjects(byVolume.objects, new Diagnostics()), c.file).toBe(0);
      // Every service into one pod: the harshest merge (conflicts become errors, never exceptions).
      const p = c.loaded.project;
      const services = Object.fromEntries(Object.entries(p.services).map(([n, s]) => [n, { ...s, labels: { ...s.labels, 'kompose.service.group': 'all' } }]));
      const d = new Diagnostics();
      const r = lowerProject({ ...p, services }, { ...diskOptions(c.loaded), secrets: 'inline' }, d);
      const pods = r.objects.filter((o) => podSpecOf(o));
      if (!Object.keys(p.services).length || d.errors.some((e) => e.code === 'names.collision' || e.code === 'group.name-collision')) continue;
      expect(pods.map((o) => o.metadata.name), c.file).toEqual(['all']);
      expect(podSpecOf(pods[0]!).containers.length, c.file).toBe(Object.keys(p.services).length);
      if (!d.errors.length) {
        merged++;
        expect(await validateObjects(r.objects, new Diagnostics()), c.file).toBe(0);
      }
    }
    console.info(`corpus: ${grouped} files group services by shared volumes; ${merged} merge all their services into one valid pod`);
    expect(grouped).toBeGreaterThan(0);
    expect(merged).toBeGreaterThan(10);
  }, 600_000);

  test('a Service per service with ports, on the container ports; every named volume has exactly one claim', () => {
    for (const c of all.loaded) {
      const r = convert(c);
      if (r.diagnostics.errors.some((e) => e.code === 'names.collision')) continue;
      const p = c.loaded.project;
      for (const [name, svc] of Object.entries(p.services)) {
        const { ports } = servicePorts(svc, `services.${name}`);
        if (!ports.length) continue;
        const kname = toKubeName(svc['x-kubernetes'] && (svc['x-kubernetes'] as any).name ? (svc['x-kubernetes'] as any).name : svc.labels?.['kompose.service.name_override'] ?? name, { startWithLetter: true });
        const service = r.objects.find((o) => o.kind === 'Service' && o.metadata.name === kname);
        expect(service, `${c.file}: Service/${kname}`).toBeDefined();
        const svcPorts = ((service!.spec as any).ports ?? []).map((x: any) => `${x.port}/${x.protocol}=${x.targetPort}`);
        for (const port of ports) expect(svcPorts, c.file).toContain(`${port.target}/${port.protocol}=${port.target}`);
      }
      const mounted = new Set<string>();
      for (const svc of Object.values(p.services)) {
        if (svc.labels?.['kompose.volume.type'] && svc.labels['kompose.volume.type'].toLowerCase() !== 'persistentvolumeclaim') continue;
        for (const v of svc.volumes ?? []) if (v.type === 'volume' && v.source && !p.volumes?.[v.source]?.external) mounted.add(v.source);
      }
      for (const v of mounted) {
        const name = toKubeName(v);
        const pvcs = r.objects.filter((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === name).length;
        const templates = r.objects.flatMap((o) => ((o.spec as any)?.volumeClaimTemplates ?? []) as any[]).filter((t) => t.metadata.name === name).length;
        const existing = (p.volumes?.[v]?.['x-kubernetes'] as any)?.existingClaim;
        expect(existing ? 0 : pvcs + templates, `${c.file}: volume ${v}`).toBe(existing ? 0 : 1);
      }
    }
  });

  test('shell healthchecks run through sh -c; environment beats env_file; no secret text in ConfigMaps', () => {
    for (const c of all.loaded) {
      const r = convert(c, 'inline');
      const p = c.loaded.project;
      const workloads = r.objects.filter((o) => podSpecOf(o));
      for (const [name, svc] of Object.entries(p.services)) {
        const w = workloads.find((o) => podSpecOf(o).containers[0].name === toKubeName(name, { startWithLetter: true }));
        if (!w) continue;
        const container = podSpecOf(w).containers[0];
        const hc = svc.healthcheck;
        const readinessLabels = Object.keys(svc.labels ?? {}).some((k) => k.startsWith('kompose.service.healthcheck.readiness.'));
        if (hc?.test?.[0] === 'CMD-SHELL' && !hc.disable && !readinessLabels && container.readinessProbe?.exec) {
          expect(container.readinessProbe.exec.command.slice(0, 2), c.file).toEqual(['/bin/sh', '-c']);
        }
        if (svc.env_file?.length) {
          for (const [k, v] of Object.entries(svc.environment ?? {})) {
            if (v === null) continue;
            expect(container.env?.find((e: any) => e.name === k)?.value, `${c.file}: ${name}.${k}`).toBe(escapeKubeExpansion(v));
          }
        }
      }
      const secrets: string[] = [];
      for (const s of Object.values(p.secrets ?? {})) {
        if (!s.file) continue;
        try {
          const text = readFileSync(s.file, 'utf8').trim();
          if (text.length >= 4) secrets.push(text);
        } catch {
          // unreadable: nothing to leak
        }
      }
      for (const cm of r.objects.filter((o) => o.kind === 'ConfigMap')) {
        const body = JSON.stringify([cm.data ?? {}, cm.binaryData ?? {}]);
        for (const s of secrets) expect(body.includes(JSON.stringify(s).slice(1, -1)), `${c.file}: ConfigMap/${cm.metadata.name}`).toBe(false);
      }
    }
  });

  test('the keys of the second half are never reported as "no mapping implemented"', () => {
    for (const c of all.loaded) {
      const r = convert(c);
      const unmapped = r.report.filter((e) => e.reason === 'no Kubernetes mapping is implemented for this key').map((e) => e.path);
      expect(unmapped, c.file).toEqual([]);
    }
  });
});
