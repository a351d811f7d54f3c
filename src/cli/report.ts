// `compose2k8s report`: convert, then write the topology, the per-key table and the warnings as one page.
import { Diagnostics } from '../model/diagnostics.js';
import { convertProject, whereIn, type ConvertFlags } from './convert.js';
import { locate, printWarnings, writeOutput } from './output.js';

interface ReportFlags extends Omit<ConvertFlags, 'format' | 'output'> {
  output: string;
  format: 'html' | 'md';
}

export async function reportCommand(flags: ReportFlags): Promise<void> {
  const diagnostics = new Diagnostics();
  const { loaded, objects, report, podSecurity } = await convertProject({ ...flags, format: 'yaml', output: undefined }, diagnostics);
  const input = {
    project: loaded.project,
    objects,
    report,
    podSecurity,
    where: whereIn(loaded),
    diagnostics: diagnostics.items.filter((d) => d.severity !== 'info').map((d) => locate(d, loaded.locations)),
  };
  const text =
    flags.format === 'md'
      ? (await import('../emit/report-md.js')).renderReportMarkdown(input)
      : await (await import('../emit/report-html.js')).renderReportHtml(input);
  writeOutput(text, flags.output);
  printWarnings(diagnostics, loaded.locations);
}
