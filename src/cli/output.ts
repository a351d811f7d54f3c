// Writing results: stdout, or a file replaced atomically so a failed run never leaves half-written output.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Diagnostics, formatDiagnostic } from '../model/diagnostics.js';

export function writeOutput(text: string, output: string | undefined): void {
  if (!output || output === '-') {
    process.stdout.write(text);
    return;
  }
  const target = resolve(output);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function printWarnings(diagnostics: Diagnostics): void {
  for (const d of diagnostics.items) {
    if (d.severity !== 'error') process.stderr.write(formatDiagnostic(d) + '\n');
  }
}
