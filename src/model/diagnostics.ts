// The one diagnostics type every stage reports through. A diagnostic points at the user's input
// (file, line, column and compose path) so the CLI can print it without a stack trace.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  /** Stable machine-readable code, e.g. `yaml.duplicate-key`, `interpolate.required`. Tests assert on it. */
  code: string;
  message: string;
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  column?: number;
  /** Compose path such as `services.web.ports[1]`. */
  path?: string;
}

/** Thrown to abort a stage; carries every diagnostic collected so far. */
export class DiagnosticError extends Error {
  readonly diagnostics: Diagnostic[];
  constructor(diagnostics: Diagnostic | Diagnostic[]) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list.map(formatDiagnostic).join('\n'));
    this.name = 'DiagnosticError';
    this.diagnostics = list;
  }
}

/** Collects warnings (and errors) during a run; stages push to it instead of printing. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  add(d: Diagnostic): void {
    // The same warning reached twice (e.g. through extends) is reported once.
    const key = `${d.severity}|${d.code}|${d.file ?? ''}|${d.line ?? ''}|${d.path ?? ''}|${d.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(d);
  }
  warn(code: string, message: string, at: Partial<Diagnostic> = {}): void {
    this.add({ ...at, severity: 'warning', code, message });
  }
  error(code: string, message: string, at: Partial<Diagnostic> = {}): void {
    this.add({ ...at, severity: 'error', code, message });
  }
  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }
  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }
  /** Throws a DiagnosticError when any error was collected. */
  throwIfErrors(): void {
    const errors = this.errors;
    if (errors.length > 0) throw new DiagnosticError(errors);
  }
}

export function error(code: string, message: string, at: Partial<Diagnostic> = {}): DiagnosticError {
  return new DiagnosticError({ ...at, severity: 'error', code, message });
}

/** `file:line:column: severity: message (at path)`, the form printed on stderr. */
export function formatDiagnostic(d: Diagnostic): string {
  let where = '';
  if (d.file) {
    where = d.file;
    if (d.line !== undefined) where += `:${d.line}`;
    if (d.line !== undefined && d.column !== undefined) where += `:${d.column}`;
    where += ': ';
  }
  const at = d.path ? ` (at ${d.path})` : '';
  return `${where}${d.severity}: ${d.message}${at}`;
}
