// `compose2k8s report --format md`: the report as Markdown for pull requests, with the topology as a Mermaid
// flowchart (rendered by GitHub and GitLab), the warnings and the per-key conversion table.

import { reportData, type ReportInput } from './report-html.js';

/** Text safe inside a Markdown table cell. */
function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, "'");
}

/** A Mermaid node label: quoted, with quotes and markup characters as entities. */
function label(s: string): string {
  return `"${s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;').replace(/[\r\n]+/g, ' ')}"`;
}

export function renderReportMarkdown(input: ReportInput): string {
  const d = reportData(input);
  const out: string[] = [];
  out.push(`# ${cell(d.title)}`, '');
  out.push(
    `Compose project \`${cell(d.project)}\`${d.namespace ? ` → namespace \`${cell(d.namespace)}\`` : ''}: ` +
      `${d.counts.services} services, ${d.counts.objects} Kubernetes objects; keys ${d.counts.mapped} mapped, ` +
      `${d.counts.approximated} approximated, ${d.counts.ignored} ignored; ${d.counts.warnings} warnings` +
      `${d.counts.errors ? `, ${d.counts.errors} errors` : ''}.`,
    '',
  );

  out.push('## Topology', '', '```mermaid', 'flowchart LR');
  let n = 0;
  const ids = new Map<string, string>();
  const id = (key: string) => {
    if (!ids.has(key)) ids.set(key, `n${n++}`);
    return ids.get(key)!;
  };
  for (const s of d.topology.services) {
    const w = id(`svc:${s.name}`);
    const wl = s.workload ? `${s.workload.kind} ${s.workload.name}${s.workload.detail ? ` (${s.workload.detail})` : ''}` : `${s.name} (no workload)`;
    out.push(`  ${w}[${label(wl)}]`);
    for (const sv of s.services) {
      const k = id(`Service:${sv.name}`);
      out.push(`  ${k}([${label(`Service ${sv.name}: ${sv.detail ?? ''}`)}]) --> ${w}`);
    }
    for (const ing of s.ingresses) {
      const k = id(`Ingress:${ing.name}`);
      const target = s.services[0] ? id(`Service:${s.services[0].name}`) : w;
      out.push(`  ${k}{{${label(`Ingress ${ing.detail ?? ing.name}`)}}} --> ${target}`);
    }
    for (const r of s.resources) {
      const k = id(`${r.kind}:${r.name}`);
      const kind = r.kind === 'PersistentVolumeClaim' ? 'PVC' : r.kind;
      out.push(`  ${w} -.-> ${k}[(${label(`${kind} ${r.name}${r.detail ? ` ${r.detail}` : ''}`)})]`);
    }
  }
  for (const s of d.topology.services) {
    for (const dep of s.dependsOn) {
      if (!d.topology.services.some((t) => t.name === dep.target)) continue;
      out.push(`  ${id(`svc:${s.name}`)} == ${label(dep.condition.replace(/^service_/, ''))} ==> ${id(`svc:${dep.target}`)}`);
    }
  }
  out.push('```', '');

  out.push(`## Warnings (${d.diagnostics.length})`, '');
  if (d.diagnostics.length === 0) out.push('No warnings.', '');
  else {
    out.push('| Severity | Code | Message | Where |', '|---|---|---|---|');
    for (const x of d.diagnostics) out.push(`| ${x.severity} | \`${cell(x.code)}\` | ${cell(x.message)} | ${x.where ? `\`${cell(x.where)}\`` : ''} |`);
    out.push('');
  }

  if (d.podSecurity.length) {
    out.push('## Pod Security Standards', '', '| Service | Level chosen | Meets as written | What stops it |', '|---|---|---|---|');
    for (const r of d.podSecurity) {
      const blockers = r.blockers.map((b) => `${cell(b.where ? `${b.where} ` : '')}\`${cell(b.path)}\`: ${cell(`${b.what} breaks "${b.control}" (${b.level}: ${b.rule})`)}`);
      const stops = [...(r.target ? [`${r.below ? 'below' : 'for'} ${r.target}:`] : []), ...blockers, ...r.notes.map((n) => cell(`note: ${n}`))];
      out.push(`| \`${cell(r.service)}\` | ${r.level} | ${r.meets} | ${stops.join('<br>')} |`);
    }
    out.push('');
  }

  out.push(`## Conversion, key by key (${d.entries.length})`, '', '| Compose key | Status | Became | Why |', '|---|---|---|---|');
  for (const e of d.entries) out.push(`| \`${cell(e.path)}\` | ${e.status} | ${cell(e.to)} | ${cell(e.reason)} |`);
  out.push('', `## Objects, in apply order (${d.objects.length})`, '', '| # | Kind | Name | Namespace |', '|---|---|---|---|');
  for (const o of d.objects) out.push(`| ${o.n} | ${o.kind} | \`${cell(o.name)}\` | ${cell(o.namespace)} |`);
  out.push('');
  return out.join('\n');
}
