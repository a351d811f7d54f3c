// environment -> env, env_file -> one ConfigMap per file plus envFrom. Compose precedence (B7): environment
// beats env_file and a later file beats an earlier one; Kubernetes gives env precedence over envFrom and a
// later envFrom source precedence over an earlier one, so envFrom lists the files in order and env follows.

import type { EnvVar, EnvFromSource } from 'kubernetes-types/core/v1.js';
import { unitMetadata, workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { escapeKubeExpansion } from './units.js';

const CONFIGMAP_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

type ParsedEnvFile = { values: Record<string, string | null> } | { unreadable: string } | { invalid: string };

/** An env_file read and parsed, once per lowering run however many services use it. */
function readEnvFile(ctx: LowerContext, file: string, format: string | undefined): ParsedEnvFile {
  return ctx.memo(`env_file\0${format ?? ''}\0${file}`, (): ParsedEnvFile => {
    let content: string;
    try {
      content = ctx.options.files.read(file).toString('utf8');
    } catch (e) {
      return { unreadable: (e as Error).message };
    }
    try {
      return { values: ctx.options.parseEnvFile(content, file, format) };
    } catch (e) {
      return { invalid: (e as Error).message };
    }
  });
}

function lowerEnvFiles(ctx: LowerContext, unit: ServiceUnit): EnvFromSource[] {
  const files = unit.compose.env_file ?? [];
  const path = `${unit.path}.env_file`;
  const envFrom: EnvFromSource[] = [];
  const made: string[] = [];
  files.forEach((file, i) => {
    const parsed = readEnvFile(ctx, file.path, file.format);
    if ('unreadable' in parsed) {
      if (file.required) {
        ctx.diagnostics.error('env.file-unreadable', `${unit.service}: cannot read env_file ${file.path}: ${parsed.unreadable}`, { path: `${path}[${i}]` });
      }
      return; // `required: false` skips a missing file, as Compose does
    }
    if ('invalid' in parsed) {
      ctx.diagnostics.error('env.file-invalid', `${unit.service}: ${file.path}: ${parsed.invalid}`, { path: `${path}[${i}]` });
      return;
    }
    const values = parsed.values;
    const entries = Object.entries(values).filter((e): e is [string, string] => e[1] !== null);
    const invalid = entries.filter(([k]) => !CONFIGMAP_KEY.test(k)).map(([k]) => k);
    if (invalid.length) {
      ctx.diagnostics.warn('env.invalid-key', `${unit.service}: env_file ${file.path}: ${invalid.join(', ')} cannot be ConfigMap keys and are left out`, { path: `${path}[${i}]` });
    }
    const name = ctx.names.envFile(unit.service, file.path);
    ctx.emit({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: unitMetadata(unit, name),
      data: Object.fromEntries(entries.filter(([k]) => CONFIGMAP_KEY.test(k)).sort(byKey)),
    }, `${path}[${i}]`);
    envFrom.push({ configMapRef: { name } });
    unit.configRefs.add(`ConfigMap/${name}`);
    made.push(`ConfigMap/${name}`);
  });
  if (files.length) {
    const to = `${made.join(', ') || '(none)'} + ${workloadRef(unit)} envFrom`;
    ctx.report.mapped(path, to);
  }
  return envFrom;
}

export function lowerEnv(ctx: LowerContext, unit: ServiceUnit): void {
  const envFrom = lowerEnvFiles(ctx, unit);
  const environment = unit.compose.environment;
  const env: EnvVar[] = [];
  if (environment) {
    const path = `${unit.path}.environment`;
    // A null value is a variable unset at load time; Compose leaves it out of the container, so do we.
    for (const [name, value] of Object.entries(environment).sort(byKey)) {
      if (value === null) continue;
      // Empty, with '=' or outside printable ASCII: no Kubernetes version accepts it (the API server would
      // refuse the whole workload), so leave it out and say so.
      if (name === '' || /[=]|[^\x20-\x7e]/.test(name)) {
        ctx.diagnostics.warn('env.invalid-name', `${unit.service}: environment variable ${JSON.stringify(name)} cannot be set in Kubernetes; it is left out`, { path });
        continue;
      }
      if (!ENV_NAME.test(name)) {
        ctx.diagnostics.warn('env.invalid-name', `${unit.service}: environment variable "${name}" may be rejected by older Kubernetes versions`, { path });
      }
      env.push({ name, value: escapeKubeExpansion(value) });
    }
    ctx.report.mapped(path, `${workloadRef(unit)} env`);
  }
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
