// Writing results: stdout, or a file replaced atomically so a failed run never leaves half-written output.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { Diagnostics, formatDiagnostic, type Diagnostic } from '../model/diagnostics.js';
import type { SourceMap } from '../model/project.js';
import { fileModeFor } from '../emit/secret-mode.js';
import { writeStderr, writeStdout } from './stdio.js';
import { mark } from './timing.js';

export function writeOutput(text: string, output: string | undefined): void {
  if (!output || output === '-') {
    writeStdout(text);
    mark('output');
    return;
  }
  const target = resolve(output);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    // Secret data (convert --secrets inline -o FILE) is readable by its owner only.
    writeFileSync(tmp, text, { mode: fileModeFor(text) });
    renameSync(tmp, target);
    mark('output');
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Prints warnings (info only with COMPOSE2K8S_VERBOSE), with file and line filled in from the source map. */
export function printWarnings(diagnostics: Diagnostics, locations?: SourceMap): void {
  const verbose = !!process.env.COMPOSE2K8S_VERBOSE;
  for (const d of diagnostics.items) {
    if (d.severity === 'error' || (d.severity === 'info' && !verbose)) continue;
    writeStderr(formatDiagnostic(forDisplay(locate(d, locations))) + '\n');
  }
}

export function locate(d: Diagnostic, locations?: SourceMap): Diagnostic {
  if (d.line !== undefined || !d.path || !locations) return d;
  const loc = locations.get(d.path);
  return loc ? { ...d, file: d.file ?? loc.file, line: loc.line, column: loc.column } : d;
}

/** Paths under the working directory are shown relative to it, like compilers do. */
export function forDisplay(d: Diagnostic): Diagnostic {
  if (!d.file || !isAbsolute(d.file)) return d;
  const rel = relative(process.cwd(), d.file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? { ...d, file: rel } : d;
}
