// `environment` and `env_file`: bare environment keys take their value from the project environment here,
// where it is known; env files become `{path, required}` entries (read later, by service-env.ts).

import { fail, goType, isDict, mappingWithEquals, toBool, type Dict, type RunContext } from './casts.js';

export function canonicalEnvironment(v: unknown, path: string, ctx: RunContext): Record<string, string | null> {
  if (!Array.isArray(v) && !isDict(v)) fail('canonical.environment', `${path} must be a mapping`, path);
  const env = mappingWithEquals(v, path);
  // Bare keys take their value from the project environment; unset ones stay null (left out later).
  for (const [key, value] of Object.entries(env)) {
    if (value === null) env[key] = ctx.lookupEnv(key) ?? null;
  }
  return env;
}

export function canonicalEnvFiles(v: unknown, path: string, ctx: RunContext): Dict[] {
  if (typeof v !== 'string' && !Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for env_file`, path);
  const entries: unknown[] = typeof v === 'string' ? [v] : v;
  return entries.map((e, i) => {
    const at = `${path}[${i}]`;
    let entry: Dict;
    if (typeof e === 'string') entry = { path: e };
    else if (isDict(e)) entry = { ...e };
    else fail('canonical.type', `${at}: invalid type ${goType(e)} for env_file`, at);
    entry.path = String(entry.path ?? '');
    entry.required = entry.required === undefined || entry.required === null ? true : toBool(entry.required, `${at}.required`, ctx);
    return entry;
  });
}
