// `command` and `entrypoint`, the lifecycle hooks (`post_start`, `pre_start`, `pre_stop`) and `develop.watch`,
// whose `exec` is a hook: a string command is split like a shell would, a hook's environment is a mapping.

import { splitShellWords } from '../syntax/shellwords.js';
import { fail, goType, guard, isDict, mappingWithEquals, scalarText, stringList, withCasts, type Dict, type RunContext } from './casts.js';

/** A string command is split like a shell would (no variable expansion); a list is kept. */
export function shellCommand(v: unknown, path: string): string[] | null {
  if (v === null) return null;
  if (typeof v === 'string') return guard('canonical.command', path, () => splitShellWords(v));
  if (Array.isArray(v)) return v.map((x) => scalarText(x));
  fail('canonical.command', `${path}: invalid type ${goType(v)} for command`, path);
}

export function hooks(v: unknown, path: string, ctx: RunContext): unknown[] {
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)} for hooks`, path);
  return v.map((h, i) => (isDict(h) ? hook(h, `${path}[${i}]`, ctx) : h));
}

function hook(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, { privileged: 'bool', per_replica: 'bool' });
  if (out.command !== undefined) out.command = shellCommand(out.command, `${path}.command`);
  if (out.environment != null) out.environment = mappingWithEquals(out.environment, `${path}.environment`);
  return out;
}

export function canonicalDevelop(v: Dict, path: string, ctx: RunContext): Dict {
  const out: Dict = { ...v };
  if (Array.isArray(out.watch)) {
    out.watch = out.watch.map((w, i) => {
      if (!isDict(w)) return w;
      const at = `${path}.watch[${i}]`;
      const rule = withCasts(w, at, ctx, { initial_sync: 'bool' });
      for (const key of ['ignore', 'include']) if (rule[key] != null) rule[key] = stringList(rule[key]);
      if (isDict(rule.exec)) rule.exec = hook(rule.exec, `${at}.exec`, ctx);
      return rule;
    });
  }
  return out;
}
