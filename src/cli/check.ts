// `compose2k8s check --pod-security LEVEL`: converts without writing anything and prints, per service, the
// strictest Pod Security Standards level it meets and what breaks the chosen one. Exit 1 when a service is below.
import { Diagnostics, DiagnosticError } from '../model/diagnostics.js';
import { formatPodSecurity } from '../emit/report-pod-security.js';
import { convertProject, whereIn, type ConvertFlags } from './convert.js';
import { printWarnings } from './output.js';
import { writeStdout } from './stdio.js';

const RANK: Record<string, number> = { none: 0, privileged: 0, baseline: 1, restricted: 2 };

export async function checkCommand(flags: ConvertFlags): Promise<void> {
  const diagnostics = new Diagnostics();
  try {
    // Contradictions are what this command reports, not errors of the conversion.
    const converted = await convertProject({ ...flags, podSecurityMode: 'report', build: false, push: false }, diagnostics);
    writeStdout(formatPodSecurity(converted.podSecurity, whereIn(converted.loaded)));
    printWarnings(diagnostics, converted.loaded.locations);
    const below = converted.podSecurity.filter((s) => RANK[s.meets]! < RANK[s.level]!);
    if (below.length) process.exitCode = 1;
  } catch (e) {
    if (e instanceof DiagnosticError) printWarnings(diagnostics);
    throw e;
  }
}
