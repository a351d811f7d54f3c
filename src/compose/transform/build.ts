// `build`: a string is the context; defaults (context `.`, `Dockerfile`), bare `args` from the project
// environment, list forms of ssh, labels, additional contexts, hosts, secrets and ulimits.

import { parseExtraHosts } from '../syntax/hosts.js';
import { fail, goType, guard, isDict, keyValues, mapEntries, mapping, mappingWithEquals, scalarText, stringList, withCasts, type Cast, type Dict, type RunContext } from './casts.js';
import { canonicalUlimits } from './limits.js';
import { fileReferences } from './secrets-configs.js';

const BUILD_CASTS: Record<string, Cast> = {
  no_cache: 'bool',
  pull: 'bool',
  privileged: 'bool',
  shm_size: 'bytes',
  provenance: 'string', // true/false become "true"/"false" (transformStringOrX)
  sbom: 'string',
};

export function canonicalBuild(v: unknown, path: string, ctx: RunContext): Dict {
  let build: Dict;
  if (typeof v === 'string') build = { context: v };
  else if (isDict(v)) build = withCasts(v, path, ctx, BUILD_CASTS);
  else fail('canonical.type', `${path}: invalid type ${goType(v)} for build`, path);
  build.context = typeof build.context === 'string' ? build.context : '.';
  if (build.dockerfile === undefined && build.dockerfile_inline === undefined) build.dockerfile = 'Dockerfile';
  if (build.args != null) {
    // Bare keys take their value from the project environment and are dropped when it is unset.
    const args = mappingWithEquals(build.args, `${path}.args`);
    for (const [key, value] of Object.entries(args)) {
      if (value !== null) continue;
      const found = ctx.lookupEnv(key);
      if (found === undefined) delete args[key];
      else args[key] = found;
    }
    build.args = args;
  }
  if (build.ssh != null) build.ssh = canonicalSsh(build.ssh, `${path}.ssh`);
  if (build.labels != null) build.labels = mapping(build.labels, `${path}.labels`);
  if (build.additional_contexts != null) {
    build.additional_contexts = mapEntries(keyValues(build.additional_contexts, `${path}.additional_contexts`), (c) => String(c));
  }
  for (const key of ['cache_from', 'cache_to', 'tags', 'platforms', 'entitlements', 'no_cache_filter']) {
    if (build[key] != null) build[key] = stringList(build[key]);
  }
  if (build.extra_hosts != null) {
    const at = `${path}.extra_hosts`;
    build.extra_hosts = guard('canonical.extra-hosts', at, () => parseExtraHosts(build.extra_hosts as unknown[] | Dict));
  }
  if (build.secrets != null) build.secrets = fileReferences(build.secrets, `${path}.secrets`, false);
  if (build.ulimits != null) build.ulimits = canonicalUlimits(build.ulimits, `${path}.ulimits`);
  return build;
}

/** build.ssh: `[default, id=path]` becomes `{default: null, id: path}` (key paths are resolved with the others). */
function canonicalSsh(v: unknown, path: string): Record<string, string | null> {
  let ssh: Record<string, string | null>;
  if (Array.isArray(v)) {
    ssh = {};
    for (const item of v) {
      if (typeof item !== 'string') fail('canonical.ssh', `invalid ssh key type ${goType(item)}`, path);
      const at = item.indexOf('=');
      if (at < 0) {
        if (item !== 'default') fail('canonical.ssh', `invalid ssh key ${JSON.stringify(item)}`, path);
        ssh[item] = null;
      } else {
        ssh[item.slice(0, at)] = item.slice(at + 1);
      }
    }
  } else if (isDict(v)) {
    ssh = mapEntries(v, (x) => (x === null || x === undefined ? null : scalarText(x)));
  } else {
    fail('canonical.ssh', `${path}: invalid type ${goType(v)} for ssh`, path);
  }
  return ssh;
}
