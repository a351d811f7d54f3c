// `compose2k8s report -o report.html`: one self-contained HTML page (no network at view time) with the
// topology as inline SVG, every warning, and the per-key conversion table of the lowering report.

import type { KubeObject } from '../model/kube.js';
import type { PodSecurityService, ReportEntry } from '../lower/index.js';
import { formatDiagnostic, type Diagnostic } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { VERSION } from '../version.js';
import { buildTopology, topologySvg } from './report-html-topology.js';
import { podSecurityRows } from './report-pod-security.js';
import { loadHandlebars, shippedTemplate } from './templates-env.js';

export interface ReportInput {
  project: Project;
  /** The lowered objects, in apply order. */
  objects: readonly KubeObject[];
  /** The lowering's per-key report. */
  report: readonly ReportEntry[];
  /** Every diagnostic of the run (load and lowering). */
  diagnostics: readonly Diagnostic[];
  /** Per service, the Pod Security Standards level it meets, and `where` (file:line of a Compose path). */
  podSecurity?: readonly PodSecurityService[];
  where?: (path: string) => string;
  title?: string;
}

const SEVERITY_RANK = { error: 0, warning: 1, info: 2 } as const;

/** The numbers and rows both report formats show. */
export function reportData(input: ReportInput) {
  const topology = buildTopology(input.project, input.objects);
  const diagnostics = [...input.diagnostics]
    .sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])
    .map((d) => ({
      severity: d.severity,
      code: d.code,
      message: d.message,
      where: [d.file ? `${d.file}${d.line !== undefined ? `:${d.line}` : ''}` : '', d.path ?? ''].filter(Boolean).join(' '),
      text: formatDiagnostic(d),
    }));
  const count = (s: ReportEntry['status']) => input.report.filter((e) => e.status === s).length;
  return {
    title: input.title ?? `Conversion report: ${input.project.name}`,
    project: input.project.name,
    namespace: topology.namespace,
    version: VERSION,
    topology,
    counts: {
      services: Object.keys(input.project.services).length,
      objects: input.objects.length,
      mapped: count('mapped'),
      approximated: count('approximated'),
      ignored: count('ignored'),
      warnings: input.diagnostics.filter((d) => d.severity === 'warning').length,
      errors: input.diagnostics.filter((d) => d.severity === 'error').length,
    },
    diagnostics,
    podSecurity: podSecurityRows(input.podSecurity ?? [], input.where),
    entries: input.report.map((e) => ({ path: e.path, status: e.status, to: e.to ?? '', reason: e.reason ?? '' })),
    objects: input.objects.map((o, i) => ({ n: i + 1, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace ?? '' })),
    others: topology.others,
  };
}

export async function renderReportHtml(input: ReportInput): Promise<string> {
  const data = reportData(input);
  const hb = await loadHandlebars();
  const template = shippedTemplate('report/report.html.hbs');
  if (!template) throw new Error('internal: templates/report/report.html.hbs is missing');
  return hb.compile(template, { strict: false })({ ...data, svg: topologySvg(data.topology) });
}
