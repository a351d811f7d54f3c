// `--templates DIR`: user templates in Handlebars, like Compose Bridge's transformers but in-process and
// sandboxed. Every `*.hbs` file at the top of DIR is rendered with the normalized model and the lowered objects:
//
//   project.<name>.hbs   once per project       context: { project, name, services[], objects }
//   service.<name>.hbs   once per service       context: { project, name, kubeName, service, objects, allObjects }
//   _<name>.hbs          a partial, `{{> name}}`
//
// Any other `*.hbs` name is an error (a typo would otherwise silently render nothing). The output is parsed as
// YAML (one or more documents); each document must be a Kubernetes object and is validated like ours. An
// object with the kind and name (and namespace, when given) of an existing one replaces it; others are added.
//
// Handlebars cannot execute anything here: only the built-in block helpers and ours are allowed
// (knownHelpersOnly), prototype properties and methods are never resolved, the context is plain JSON data,
// partials come only from DIR. `noEscape` because the output is YAML, not HTML: use `quote` for values.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { KubeObject } from '../model/kube.js';
import { sortForApply, toKubeName } from '../lower/index.js';
import { validateObjects } from './validate.js';
import { DiagnosticError, Diagnostics, type Diagnostic } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { loadHandlebars } from './templates-env.js';

export interface TemplateInput {
  project: Project;
  /** The lowered objects, in apply order. */
  objects: readonly KubeObject[];
}

const HELPERS = ['toYaml', 'indent', 'quote', 'b64enc', 'sanitize', 'default', 'toJson'] as const;
const BUILT_INS = ['if', 'unless', 'each', 'with', 'lookup'];

function fail(code: string, message: string, file: string, line?: number, column?: number): DiagnosticError {
  return new DiagnosticError({ severity: 'error', code, message, file, ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) });
}

/** Plain JSON data: no functions, no class instances, no prototypes worth reaching for. */
function data<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0);
}

/** Handlebars passes an options hash as the last argument of every helper call. */
function args(list: unknown[]): unknown[] {
  return list.slice(0, -1);
}

function registerHelpers(hb: typeof import('handlebars')): void {
  hb.registerHelper('toYaml', (...a: unknown[]) => {
    const [v] = args(a);
    if (v === undefined) return '';
    return stringify(v, { version: '1.1', lineWidth: 0, indentSeq: true, aliasDuplicateObjects: false }).replace(/\n$/, '');
  });
  hb.registerHelper('toJson', (...a: unknown[]) => JSON.stringify(args(a)[0] ?? null));
  hb.registerHelper('indent', (...a: unknown[]) => {
    const [n, text] = args(a);
    const count = Number(n);
    if (!Number.isInteger(count) || count < 0 || count > 200) throw new Error(`indent: the first argument must be a number of spaces, got ${JSON.stringify(n)}`);
    const pad = ' '.repeat(count);
    return String(text ?? '')
      .split('\n')
      .map((l) => (l ? pad + l : l))
      .join('\n');
  });
  // A YAML double-quoted scalar (JSON strings are valid YAML), whatever the value.
  hb.registerHelper('quote', (...a: unknown[]) => {
    const [v] = args(a);
    return JSON.stringify(v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
  });
  hb.registerHelper('b64enc', (...a: unknown[]) => Buffer.from(String(args(a)[0] ?? '')).toString('base64'));
  hb.registerHelper('sanitize', (...a: unknown[]) => toKubeName(String(args(a)[0] ?? '')));
  hb.registerHelper('default', (...a: unknown[]) => {
    const [v, fallback] = args(a);
    return isEmpty(v) ? fallback : v;
  });
}

interface TemplateFile {
  file: string;
  scope: 'project' | 'service';
  text: string;
}

function listTemplates(dir: string): { templates: TemplateFile[]; partials: Map<string, { file: string; text: string }> } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new DiagnosticError({ severity: 'error', code: 'templates.unreadable', message: `cannot read the templates directory ${dir}: ${(e as Error).message}` });
  }
  const templates: TemplateFile[] = [];
  const partials = new Map<string, { file: string; text: string }>();
  for (const name of entries.filter((n) => n.endsWith('.hbs'))) {
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    if (name.startsWith('_')) partials.set(name.slice(1, -'.hbs'.length), { file, text });
    else if (name.startsWith('project.')) templates.push({ file, scope: 'project', text });
    else if (name.startsWith('service.')) templates.push({ file, scope: 'service', text });
    else throw fail('templates.bad-name', `template ${name} must be named project.<name>.hbs, service.<name>.hbs or _<partial>.hbs`, file);
  }
  return { templates, partials };
}

type Compiled = (context: unknown) => string;

function compile(hb: typeof import('handlebars'), file: string, text: string): Compiled {
  const knownHelpers = Object.fromEntries([...HELPERS, ...BUILT_INS].map((h) => [h, true]));
  try {
    hb.parse(text); // parse errors now, with their line
    hb.precompile(text, { knownHelpers, knownHelpersOnly: true }); // unknown helpers now, with line and column
  } catch (e) {
    const err = e as Error & { lineNumber?: number; column?: number };
    const line = err.lineNumber ?? Number(/on line (\d+)/.exec(err.message)?.[1] ?? NaN);
    throw fail('templates.syntax', `template error: ${err.message.split('\n')[0]}`, file, Number.isNaN(line) ? undefined : line, err.column);
  }
  const fn = hb.compile(text, { noEscape: true, strict: false, knownHelpers, knownHelpersOnly: true });
  return (context) => fn(context, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false, allowCallsToHelperMissing: false });
}

function objectsOf(objects: readonly KubeObject[], kubeName: string): KubeObject[] {
  return objects.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === kubeName);
}

function parseOutput(text: string, where: string, file: string): KubeObject[] {
  const out: KubeObject[] = [];
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  docs.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) throw fail('templates.yaml', `${where}: the output is not valid YAML (output line ${err.linePos?.[0]?.line ?? '?'}): ${err.message.split('\n')[0]}`, file);
    const v = doc.toJS() as unknown;
    if (v === null || v === undefined) return;
    const o = v as Partial<KubeObject>;
    if (typeof o !== 'object' || Array.isArray(o) || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw fail('templates.not-an-object', `${where}: document ${i + 1} of the output is not a Kubernetes object (apiVersion, kind and metadata.name are required)`, file);
    }
    out.push(o as KubeObject);
  });
  return out;
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return a.kind === b.kind && a.metadata.name === b.metadata.name && (b.metadata.namespace === undefined || a.metadata.namespace === b.metadata.namespace);
}

/**
 * Renders every template of `dir` and returns the objects with the templates' objects merged in (same
 * kind/name replaces, others are added), in apply order. Throws a DiagnosticError naming the template file
 * (and line, when known) for a bad template, bad output or an invalid object.
 */
export async function renderUserTemplates(dir: string, input: TemplateInput): Promise<KubeObject[]> {
  const { templates, partials } = listTemplates(dir);
  const hb = await loadHandlebars();
  registerHelpers(hb);
  for (const [name, p] of partials) {
    compile(hb, p.file, p.text);
    hb.registerPartial(name, p.text);
  }
  const project = data(input.project);
  const objects = data([...input.objects]);
  const services = Object.keys(project.services)
    .sort()
    .map((name) => {
      const override = (project.services[name]!['x-kubernetes'] as { name?: unknown } | undefined)?.name;
      const kubeName = toKubeName(typeof override === 'string' ? override : name, { startWithLetter: true });
      return { name, kubeName, service: project.services[name]!, objects: objectsOf(objects, kubeName) };
    });

  const produced: { object: KubeObject; file: string }[] = [];
  for (const t of templates) {
    const fn = compile(hb, t.file, t.text);
    const runs =
      t.scope === 'project'
        ? [{ where: 'project', context: { project, name: project.name, services, objects } }]
        : services.map((s) => ({ where: `service ${s.name}`, context: { project, ...s, allObjects: objects } }));
    for (const run of runs) {
      let text: string;
      try {
        text = fn(run.context);
      } catch (e) {
        const err = e as Error & { lineNumber?: number; column?: number };
        throw fail('templates.render', `${run.where}: ${err.message.split('\n')[0]}`, t.file, err.lineNumber, err.column);
      }
      for (const object of parseOutput(text, run.where, t.file)) {
        const twin = produced.find((p) => sameObject(p.object, object) && sameObject(object, p.object));
        if (twin) throw fail('templates.duplicate', `${run.where}: ${object.kind}/${object.metadata.name} is also produced by ${twin.file}`, t.file);
        produced.push({ object, file: t.file });
      }
    }
  }

  // Validate what the templates made, as our own objects are validated.
  const problems: Diagnostic[] = [];
  for (const p of produced) {
    const d = new Diagnostics();
    await validateObjects([p.object], d);
    for (const e of d.errors) problems.push({ ...e, code: 'templates.invalid-object', file: p.file });
  }
  if (problems.length) throw new DiagnosticError(problems);

  let result = [...input.objects];
  for (const { object } of produced) {
    const i = result.findIndex((o) => sameObject(o, object));
    if (i >= 0) result[i] = object;
    else result = [...result, object];
  }
  return sortForApply(result);
}
