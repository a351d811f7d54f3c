// Validates a merged, interpolated, type-cast Compose tree against the vendored compose-go JSON schema.
// The schema is compiled ahead of time (scripts/gen-validator.mjs) because compiling it at startup takes
// about a second. Failures are reported the way compose-go does: only the most specific error, worded like
// its santhosh-tekuri/jsonschema messages (`services.web additional properties 'foo' not allowed`).

import type { ErrorObject } from 'ajv';
import { DiagnosticError } from '../model/diagnostics.js';
import type { SourceLocation } from '../model/project.js';
import { validate as validateCompose } from './generated/compose-validator.js';

/**
 * `locate` (optional) finds where a compose path was written: an unknown key is reported at its parent's path
 * (compose-go's wording), but its line is the key's own, so even an unknown top-level key has a line.
 */
export function validateSchema(model: unknown, locate?: (path: string) => SourceLocation | undefined): void {
  if (validateCompose(model)) return;
  const failure = mostSpecificFailure(validateCompose.errors ?? [], model);
  const at = failure.keyPath !== undefined && locate ? locate(failure.keyPath) : undefined;
  throw new DiagnosticError({
    severity: 'error',
    code: 'schema.invalid',
    message: failure.message,
    ...(at ? { file: at.file, line: at.line, column: at.column } : {}),
    ...(failure.path ? { path: failure.path } : {}),
  });
}

interface Failure {
  /** Instance location as segments (array indexes are numbers). */
  location: (string | number)[];
  keyword: string;
  errors: ErrorObject[];
}

/**
 * compose-go keeps the failure with the deepest instance location (`additionalProperties` counts one deeper),
 * the first one on a tie. On a tie we prefer a failure that is not a type mismatch: for `oom_score_adj: 2000`
 * (a string or an integer up to 1000) compose-go says `must be a string`, we say `must be less than or equal to 1000`.
 */
function mostSpecificFailure(errors: ErrorObject[], model: unknown): { message: string; path: string; keyPath?: string } {
  const failures = leafFailures(errors, model);
  let best: Failure | undefined;
  for (const f of failures) {
    if (!best || specificity(f) > specificity(best)) best = f;
    else if (specificity(f) === specificity(best) && best.keyword === 'type' && f.keyword !== 'type') best = f;
  }
  if (!best) return { message: 'invalid compose file', path: '' };
  const extra = best.keyword === 'additionalProperties' ? best.errors[0]!.params.additionalProperty : undefined;
  const keyPath = typeof extra === 'string' ? composePath([...best.location, extra]) : undefined;
  return { message: describe(best, model), path: composePath(best.location), ...(keyPath !== undefined ? { keyPath } : {}) };
}

function specificity(f: Failure): number {
  return f.location.length + (f.keyword === 'additionalProperties' ? 1 : 0);
}

/**
 * ajv lists the errors of every failed `oneOf` branch followed by the `oneOf` error itself. Like compose-go,
 * only look at the branch errors (leaves); a `oneOf` that failed because several branches matched has no
 * branch errors and is a leaf itself. Errors of one keyword at one place are grouped, as the Go library does.
 */
function leafFailures(errors: ErrorObject[], model: unknown): Failure[] {
  const groups = new Map<string, Failure>();
  for (const e of errors) {
    const composite = (e.keyword === 'oneOf' && e.params.passingSchemas == null) || e.keyword === 'anyOf' || e.keyword === 'allOf';
    if (composite) continue;
    const key = `${e.instancePath}\u0000${e.schemaPath}`;
    const group = groups.get(key);
    if (group) group.errors.push(e);
    else groups.set(key, { location: locationOf(e.instancePath, model), keyword: e.keyword, errors: [e] });
  }
  if (groups.size === 0 && errors.length > 0) {
    const e = errors[errors.length - 1]!;
    return [{ location: locationOf(e.instancePath, model), keyword: e.keyword, errors: [e] }];
  }
  return [...groups.values()];
}

/** Decodes a JSON pointer, using the model to tell array indexes from numeric mapping keys (a volume named `0`). */
function locationOf(pointer: string, model: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node: unknown = model;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const i = Number(token);
      out.push(i);
      node = node[i];
    } else {
      out.push(token);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined;
    }
  }
  return out;
}

function valueAt(model: unknown, location: (string | number)[]): unknown {
  let node = model;
  for (const seg of location) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/** Diagnostic path, `services.web.ports[0]` style. */
function composePath(location: (string | number)[]): string {
  let path = '';
  for (const seg of location) path = typeof seg === 'number' ? `${path}[${seg}]` : path === '' ? seg : `${path}.${seg}`;
  return path;
}

/** compose-go prints the instance location joined with dots: `services.web.ports.0`. */
function goPath(location: (string | number)[]): string {
  return location.join('.');
}

function describe(f: Failure, model: unknown): string {
  const where = goPath(f.location);
  const text = describeKind(f, model);
  return where === '' ? text : `${where} ${text}`;
}

function describeKind(f: Failure, model: unknown): string {
  const e = f.errors[0]!;
  const p = e.params as Record<string, unknown>;
  switch (f.keyword) {
    case 'type': {
      const want = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
      return `must be a ${humanReadableType(want)}`;
    }
    case 'minimum':
      return `must be greater than or equal to ${String(p.limit)}`;
    case 'maximum':
      return `must be less than or equal to ${String(p.limit)}`;
    case 'additionalProperties':
      return `additional properties ${f.errors.map((x) => quote(String(x.params.additionalProperty))).join(', ')} not allowed`;
    case 'required': {
      const missing = f.errors.map((x) => String(x.params.missingProperty));
      return missing.length === 1 ? `missing property ${quote(missing[0]!)}` : `missing properties ${missing.map(quote).join(', ')}`;
    }
    case 'enum': {
      const allowed = p.allowedValues as unknown[];
      if (allowed.some((v) => v !== null && typeof v === 'object')) return "'enum' failed";
      return allowed.length === 1 ? `value must be ${display(allowed[0])}` : `value must be one of ${allowed.map(display).join(', ')}`;
    }
    case 'const':
      return p.allowedValue !== null && typeof p.allowedValue === 'object' ? "'const' failed" : `value must be ${display(p.allowedValue)}`;
    case 'pattern':
      return `${quote(String(valueAt(model, f.location)))} does not match pattern ${quote(String(p.pattern))}`;
    case 'uniqueItems': {
      const [a, b] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
      return `items at ${a} and ${b} are equal`;
    }
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength':
    case 'minProperties':
    case 'maxProperties':
      return `${f.keyword}: got ${sizeOf(valueAt(model, f.location))}, want ${String(p.limit)}`;
    case 'oneOf': {
      const passing = (p.passingSchemas as number[] | null) ?? [];
      return passing.length >= 2 ? `'oneOf' failed, subschemas ${passing[0]}, ${passing[1]} matched` : "'oneOf' failed, none matched";
    }
    case 'not':
      return "'not' failed";
    case 'false schema':
      return 'false schema';
    case 'propertyNames':
      return `invalid propertyName ${quote(String(p.propertyName))}`;
    default:
      return e.message ?? `${f.keyword} failed`;
  }
}

function sizeOf(v: unknown): number {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  return 0;
}

/** compose-go: a single type keeps its name (`object` reads `mapping`); several are sorted, `a, b or c`. */
function humanReadableType(want: string[]): string {
  const names = want.map((t) => (t === 'object' ? 'mapping' : t));
  if (names.length === 1) return names[0]!;
  names.sort();
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Go's `%q` with the jsonschema library's tweak: single quotes outside, double quotes left alone. */
function quote(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `'${out}'`;
}

function display(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  if (v === null) return '<nil>';
  if (typeof v === 'object') return 'value';
  return String(v);
}
