// `extends`: a service starts from a clone of another (same file, or `file:` relative to the declaring
// file), resolved recursively; the local definition is merged over it with the usual merge rules.
import { dirname, isAbsolute, resolve } from 'node:path';
import { error } from '../model/diagnostics.js';
import { interpolateDocument } from './interpolate-tree.js';
import type { LoadSession, ModelInput } from './loader.js';
import { mergeModels, mergeServiceForExtends } from './merge.js';
import { absContextPath, absPath, maybeUnixPath } from './resolve-paths.js';
import { OverrideTag, ResetTag } from './tags.js';

type Dict = Record<string, unknown>;

interface Ref {
  service: string;
  file?: string;
}

function refOf(v: unknown): Ref | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return { service: v };
  const o = v as Dict;
  return { service: String(o.service), file: o.file === undefined ? undefined : String(o.file) };
}

export function applyExtends(cfg: Dict, file: string, accumulated: Dict, input: ModelInput, session: LoadSession): Dict {
  // `services: !override {...}` resolves inside the tag; `!reset`, `!override` of a scalar, a list or a scalar are
  // left to the merge and the schema ("services must be a mapping"), not walked as if they were services.
  if (cfg.services instanceof OverrideTag) {
    const inner = applyExtends({ ...cfg, services: cfg.services.value }, file, accumulated, input, session);
    return inner.services === cfg.services.value ? cfg : { ...cfg, services: new OverrideTag(inner.services) };
  }
  const services = cfg.services as Dict | undefined;
  if (!services || typeof services !== 'object' || Array.isArray(services) || services instanceof ResetTag) return cfg;
  // A service may extend one defined in this file, an included one (already in cfg) or an earlier file.
  const scope: Dict = { ...((accumulated.services as Dict | undefined) ?? {}), ...services };
  const out: Dict = {};
  for (const name of Object.keys(services)) {
    out[name] = resolveService(name, scope, file, input.workingDir, input, session, []);
  }
  return { ...cfg, services: out };
}

/**
 * `relBase` is where a relative `extends.file` points from: the project (or included project) directory for
 * the model's own files, even an override file elsewhere (compose-go resolves it with the other relative
 * paths), and the extended file's own directory for a file reached through `extends.file`.
 */
function resolveService(name: string, scope: Dict, file: string, relBase: string, input: ModelInput, session: LoadSession, chain: string[]): unknown {
  const svc = scope[name];
  if (svc === null || typeof svc !== 'object') return svc;
  const ref = refOf((svc as Dict).extends);
  if (!ref) return svc;
  const here = `${name} in ${file}`;
  if (chain.includes(here)) {
    const lines = [...chain, here].map((c, i) => (i === 0 ? `  ${c}` : `  extends ${c}`));
    throw error('extends.cycle', `Circular reference:\n${lines.join('\n')}`, { path: `services.${name}.extends`, file });
  }
  let base: unknown;
  let baseScope = scope;
  let baseFile = file;
  let baseRelBase = relBase;
  if (ref.file) {
    baseFile = isAbsolute(ref.file) ? ref.file : resolve(relBase, ref.file);
    baseRelBase = dirname(baseFile);
    baseScope = servicesOfFile(baseFile, input, session);
  }
  if (!Object.hasOwn(baseScope, ref.service)) {
    throw error('extends.not-found', `cannot extend service "${name}" in ${file}: service "${ref.service}" not found`, { path: `services.${name}.extends`, file });
  }
  base = resolveService(ref.service, baseScope, baseFile, baseRelBase, input, session, [...chain, here]);
  if (ref.file) base = rebasePaths(base as Dict, dirname(baseFile));
  const { extends: _e, ...local } = svc as Dict;
  return mergeServiceForExtends(structuredClone((base ?? {}) as Dict), local);
}

function servicesOfFile(path: string, input: ModelInput, session: LoadSession): Dict {
  const parsed = session.parseFile(path);
  let merged: Dict = {};
  for (const doc of parsed.documents) {
    const cfg = interpolateDocument(doc, {
      file: parsed.file,
      lookup: (k) => input.env[k],
      interpolate: session.interpolate,
      warn: (d) => session.diagnostics.add({ ...d, severity: 'warning' }),
      locate: (p) => session.locate(p),
    }) as Dict;
    merged = mergeModels(merged, cfg);
  }
  return (merged.services as Dict | undefined) ?? {};
}

const isRelative = (p: string) => p === '.' || p === '..' || p.startsWith('./') || p.startsWith('../');

/**
 * Makes the relative paths of a service taken from another directory absolute, against that directory. The
 * service is still in the short forms of its file, so each form is handled here, with the resolvers of
 * resolve-paths.ts (`~` is left for the loader, which expands it with the project's HOME).
 */
export function rebasePaths(svc: Dict, dir: string): Dict {
  const base = { workingDir: dir, home: undefined };
  const abs = (p: string) => absPath(p, base);
  const context = (p: string) => absContextPath(p, base);
  const out: Dict = { ...svc };
  if (typeof out.build === 'string') out.build = context(out.build);
  else if (out.build && typeof out.build === 'object') {
    const b = { ...(out.build as Dict) };
    if (typeof b.context === 'string') b.context = context(b.context);
    else if (b.context === undefined) b.context = dir;
    const extra = b.additional_contexts;
    if (Array.isArray(extra)) {
      b.additional_contexts = extra.map((c) => {
        const at = typeof c === 'string' ? c.indexOf('=') : -1;
        return at < 0 ? c : `${(c as string).slice(0, at)}=${context((c as string).slice(at + 1))}`;
      });
    } else if (extra && typeof extra === 'object') {
      b.additional_contexts = Object.fromEntries(Object.entries(extra as Dict).map(([k, c]) => [k, typeof c === 'string' ? context(c) : c]));
    }
    const key = (p: unknown) => (typeof p === 'string' && p !== '' ? maybeUnixPath(p, base) : p);
    if (Array.isArray(b.ssh)) {
      b.ssh = b.ssh.map((k) => {
        const at = typeof k === 'string' ? k.indexOf('=') : -1;
        return at < 0 ? k : `${(k as string).slice(0, at)}=${key((k as string).slice(at + 1)) as string}`;
      });
    } else if (b.ssh && typeof b.ssh === 'object') {
      b.ssh = Object.fromEntries(Object.entries(b.ssh as Dict).map(([k, p]) => [k, key(p)]));
    }
    out.build = b;
  }
  const envFile = out.env_file;
  if (typeof envFile === 'string') out.env_file = abs(envFile);
  else if (Array.isArray(envFile)) {
    out.env_file = envFile.map((e) => (typeof e === 'string' ? abs(e) : { ...(e as Dict), path: abs(String((e as Dict).path)) }));
  }
  if (typeof out.label_file === 'string') out.label_file = abs(out.label_file);
  else if (Array.isArray(out.label_file)) out.label_file = out.label_file.map((f) => abs(String(f)));
  const develop = out.develop as Dict | undefined;
  if (develop && Array.isArray(develop.watch)) {
    out.develop = { ...develop, watch: develop.watch.map((w) => (w && typeof (w as Dict).path === 'string' ? { ...(w as Dict), path: abs((w as Dict).path as string) } : w)) };
  }
  if (Array.isArray(out.volumes)) {
    out.volumes = out.volumes.map((v) => {
      if (typeof v === 'string') {
        const i = v.indexOf(':');
        return i > 0 && isRelative(v.slice(0, i)) ? resolve(dir, v.slice(0, i)) + v.slice(i) : v;
      }
      const o = v as Dict;
      return o.type === 'bind' && typeof o.source === 'string' ? { ...o, source: maybeUnixPath(o.source, base) } : o;
    });
  }
  return out;
}
