// `include`: each entry is a complete sub-project (own directory, own env files) whose resources are
// imported under the including file, the including file's definitions winning (compose-go merges).
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { error } from '../model/diagnostics.js';
import { buildProjectEnvironment } from './environment.js';
import type { LoadSession, ModelInput } from './loader.js';

/** The loader's model phase; passed in, since an included project is loaded by the same loader that includes it. */
export type LoadModel = (input: ModelInput, session: LoadSession) => Record<string, unknown>;
import { mergeModels } from './merge.js';
import { isOverride, isReset } from './tags.js';

const IMPORTED = ['services', 'volumes', 'networks', 'secrets', 'configs', 'models'] as const;

interface IncludeEntry {
  path: string[];
  env_file?: string[];
  project_directory?: string;
}

function asList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function entries(raw: unknown): IncludeEntry[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((e, i) => {
    if (typeof e === 'string') return { path: [e] };
    // Includes are applied before the schema check: refuse what the schema would (compose-go's wording).
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw error('schema.invalid', `include.${i} must be a mapping or string`, { path: `include[${i}]` });
    const o = e as Record<string, unknown>;
    if (o.project_directory !== undefined && o.project_directory !== null && typeof o.project_directory !== 'string') {
      throw error('schema.invalid', `include.${i}.project_directory must be a string`, { path: `include[${i}].project_directory` });
    }
    return { path: asList(o.path) ?? [], env_file: asList(o.env_file), project_directory: (o.project_directory ?? undefined) as string | undefined };
  });
}

export function applyIncludes(cfg: Record<string, unknown>, file: string, parent: ModelInput, session: LoadSession, loadModel: LoadModel): Record<string, unknown> {
  const list = entries(cfg.include);
  if (list.length === 0) return cfg;
  let imported: Record<string, unknown> = {};
  list.forEach((entry, i) => {
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(parent.workingDir, p));
    const paths = entry.path.map(abs);
    if (paths.length === 0) throw error('include.no-path', 'include entry has no path', { path: `include[${i}]` });
    for (const p of paths) {
      if (parent.chain.includes(p)) {
        const cycle = [...parent.chain, p].map((f, j) => (j === 0 ? f : ` include ${f}`)).join('\n');
        throw error('include.cycle', `include cycle detected:\n${cycle}`, { path: `include[${i}]`, file });
      }
      if (!existsSync(p) || !statSync(p).isFile()) throw error('include.not-found', `include ${p}: no such file`, { path: `include[${i}]`, file });
    }
    const workingDir = entry.project_directory ? abs(entry.project_directory) : dirname(paths[0]!);
    const envFiles = entry.env_file ? entry.env_file.map(abs) : defaultEnvFile(workingDir);
    // The including project's environment wins over the included env files (TestLoadWithIncludeEnv).
    const env = { ...buildProjectEnvironment({}, envFiles.filter((f) => f !== '/dev/null')), ...parent.env };
    const model = loadModel({ files: paths.map((p) => session.parseFile(p)), env, workingDir, chain: [...parent.chain, ...paths] }, session);
    const subset: Record<string, unknown> = {};
    for (const k of IMPORTED) if (model[k] !== undefined) subset[k] = model[k];
    imported = mergeModels(imported, subset);
  });
  const { include: _include, ...rest } = cfg;
  return mergeModels(imported, untagImportedNames(rest, imported));
}

/**
 * docker compose ignores a tag written on a whole resource that an include brought in: `svc: !reset` keeps the
 * imported service and `svc: !override {...}` merges like an untagged definition. Tags inside it still apply.
 */
function untagImportedNames(cfg: Record<string, unknown>, imported: Record<string, unknown>): Record<string, unknown> {
  const out = { ...cfg };
  for (const kind of IMPORTED) {
    const mine = cfg[kind];
    const theirs = imported[kind] as Record<string, unknown> | undefined;
    if (!theirs || mine === null || typeof mine !== 'object' || Array.isArray(mine)) continue;
    const entries: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(mine)) {
      if (!(name in theirs)) entries[name] = v;
      else if (isReset(v)) continue;
      else entries[name] = isOverride(v) ? v.value : v;
    }
    out[kind] = entries;
  }
  return out;
}

function defaultEnvFile(dir: string): string[] {
  const p = join(dir, '.env');
  try {
    return statSync(p).isFile() ? [p] : [];
  } catch {
    return [];
  }
}
