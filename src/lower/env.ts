// environment -> env, env_file -> one ConfigMap per file plus envFrom. Compose precedence (B7): environment
// beats env_file and a later file beats an earlier one; Kubernetes gives env precedence over envFrom and a
// later envFrom source precedence over an earlier one, so envFrom lists the files in order and env follows.
// The env files were read and resolved by the loader (EnvFile.values): the lowering reads no file.

import type { EnvVar, EnvFromSource } from 'kubernetes-types/core/v1.js';
import { unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { escapeKubeExpansion } from './units.js';
import { merged } from './objects.js';

const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A variable that Kubernetes cannot set, or may refuse on older versions: say so (undefined = fine). */
function badEnvName(name: string): 'never' | 'older' | undefined {
  // Empty, with '=' or outside printable ASCII: no Kubernetes version accepts it (the API server would refuse
  // the whole workload).
  if (name === '' || /[=]|[^\x20-\x7e]/.test(name)) return 'never';
  return ENV_NAME.test(name) ? undefined : 'older';
}

/**
 * One ConfigMap per env file, with the values the loader resolved (so a value that used another file or
 * `environment` is already what compose gives the container). Keys that cannot be ConfigMap keys are
 * returned to be set as env; keys that `environment` unsets are left out, as compose leaves them out.
 */
function lowerEnvFiles(ctx: LowerContext, unit: ServiceUnit): { envFrom: EnvFromSource[]; asEnv: Record<string, string> } {
  const files = unit.compose.env_file ?? [];
  const environment = unit.compose.environment ?? {};
  const path = `${unit.path}.env_file`;
  const envFrom: EnvFromSource[] = [];
  const asEnv: Record<string, string> = {};
  const made: string[] = [];
  files.forEach((file, i) => {
    if (!file.values) return; // a missing `required: false` file, as compose skips it
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(file.values).sort(byKey)) {
      if (environment[k] === null) continue;
      if (CONFIGMAP_KEY.test(k)) data[k] = v;
      else asEnv[k] = v;
    }
    const name = ctx.names.envFile(unit.service, file.path);
    ctx.emit({ apiVersion: 'v1', kind: 'ConfigMap', metadata: unitMetadata(unit, name), data }, `${path}[${i}]`);
    envFrom.push({ configMapRef: { name } });
    unit.configRefs.add(`ConfigMap/${name}`);
    made.push(`ConfigMap/${name}`);
  });
  if (files.length) ctx.report.mapped(path, `${made.join(', ') || '(none)'} + ${workloadRef(unit)} envFrom`);
  return { envFrom, asEnv };
}

export function lowerEnv(ctx: LowerContext, unit: ServiceUnit): void {
  const { envFrom, asEnv } = lowerEnvFiles(ctx, unit);
  const environment = unit.compose.environment;
  const values: Record<string, string | null> = merged(asEnv, environment);
  const env: EnvVar[] = [];
  const path = `${unit.path}.${environment ? 'environment' : 'env_file'}`;
  for (const [name, value] of Object.entries(values).sort(byKey)) {
    // A null value is a variable unset at load time; Compose leaves it out of the container, so do we.
    if (value === null) continue;
    const bad = badEnvName(name);
    if (bad === 'never') {
      ctx.diagnostics.warn('env.invalid-name', `${unit.service}: environment variable ${JSON.stringify(name)} cannot be set in Kubernetes; it is left out`, { path });
      continue;
    }
    if (bad === 'older') ctx.diagnostics.warn('env.invalid-name', `${unit.service}: environment variable "${name}" may be rejected by older Kubernetes versions`, { path });
    env.push({ name, value: escapeKubeExpansion(value) });
  }
  if (environment) ctx.report.mapped(`${unit.path}.environment`, `${workloadRef(unit)} env`);
  const c = unit.container;
  if (envFrom.length) c.envFrom = [...(c.envFrom ?? []), ...envFrom];
  if (env.length) c.env = [...(c.env ?? []), ...env];
}

export const envPass: Pass = {
  name: 'env',
  run(ctx) {
    for (const unit of ctx.units.values()) lowerEnv(ctx, unit);
  },
};
