// Compose configs -> ConfigMaps, secrets -> Secrets, mounted as single files exactly where Compose puts them:
// configs at `target` (default `/<source>`), secrets at `/run/secrets/<target or source>` (a relative target
// is under /run/secrets). Object names are sanitized; data keys (the Compose name) and mount paths are not
// (B8). External ones reference existing objects by `name`. With the `secrets` option `reference` (the
// default) no secret material is written: the Secret must exist (the warning says how to create it);
// `inline` writes it base64-encoded into a Secret. Secret material never reaches a ConfigMap, an annotation,
// a diagnostic or the report. Every ConfigMap/Secret a pod uses is registered for the config checksum.

import type { Secret as KubeSecret } from 'kubernetes-types/core/v1.js';
import type { Config, FileReference, Secret } from '../model/project.js';
import { isTextContent } from './bind-mounts.js';
import { inRange } from './units.js';
import { addMount, addVolume, asKube, type LowerContext, type ServiceUnit } from './context.js';
import { projectLabels } from './metadata.js';
import { toKubeName } from './names.js';
import type { Pass } from './pass.js';

const LIMIT = 1024 * 1024 - 16 * 1024;
const KEY = /^[-._a-zA-Z0-9]+$/;

type Kind = 'config' | 'secret';

interface Resolved {
  /** Kubernetes object name (emitted or existing). */
  name: string;
  /** Data key inside it. */
  key: string;
  /** Emitted by us (else referenced). */
  emitted: boolean;
}

/** Reads the content of a config or secret; undefined (with a diagnostic) when unavailable. */
function content(ctx: LowerContext, kind: Kind, key: string, def: Secret | Config): Buffer | undefined {
  const path = `${kind}s.${key}`;
  if (def.content !== undefined) return Buffer.from(def.content, 'utf8');
  if (def.environment !== undefined) {
    const value = ctx.options.lookupEnv?.(def.environment);
    if (value === undefined) {
      ctx.diagnostics.error(`${kind}.environment-unset`, `${kind} ${key}: environment variable ${def.environment} is not set`, { path });
      return undefined;
    }
    return Buffer.from(value, 'utf8');
  }
  if (def.file !== undefined) {
    try {
      return ctx.files.read(def.file);
    } catch (e) {
      // The message names the path only, never content.
      ctx.diagnostics.error(`${kind}.file-unreadable`, `${kind} ${key}: cannot read its file: ${(e as Error).message.split('\n')[0]}`, { path });
      return undefined;
    }
  }
  ctx.diagnostics.error(`${kind}.no-source`, `${kind} ${key} has neither file, environment nor content`, { path });
  return undefined;
}

function dataKey(key: string): string {
  return KEY.test(key) ? key : key.replace(/[^-._a-zA-Z0-9]/g, '-');
}

/** Emits (or decides to reference) the object for one top-level config/secret; memoized per key. */
function resolveObject(ctx: LowerContext, kind: Kind, key: string, cache: Map<string, Resolved | null>): Resolved | undefined {
  const id = `${kind}:${key}`;
  if (cache.has(id)) return cache.get(id) ?? undefined;
  const def = (kind === 'config' ? ctx.project.configs : ctx.project.secrets)?.[key];
  const path = `${kind}s.${key}`;
  let out: Resolved | null = null;
  const objKind = kind === 'config' ? 'ConfigMap' : 'Secret';
  if (!def) {
    // The loader's consistency check refuses this; do not crash.
    ctx.diagnostics.error(`${kind}.unknown`, `${kind} ${key} is not defined`, { path });
  } else if (def.external) {
    const existing = toKubeName(def.name ?? key);
    out = { name: existing, key: dataKey(key), emitted: false };
    ctx.diagnostics.warn(`${kind}.external`, `${kind} ${key} is external: the ${objKind} "${existing}" must already exist with a key "${out.key}"`, { path });
    ctx.report.approximated(path, `${objKind}/${existing} (existing)`, `references an existing ${objKind}; nothing is emitted`);
  } else if (kind === 'secret' && ctx.options.secrets === 'reference') {
    const name = ctx.names.secret(key);
    out = { name, key: dataKey(key), emitted: false };
    const source = def.file !== undefined ? `--from-file=${out.key}=<file>` : def.environment !== undefined ? `--from-literal=${out.key}="$${def.environment}"` : `--from-literal=${out.key}=<value>`;
    ctx.diagnostics.warn('secret.reference', `secret ${key} is not written to the output: create it with \`kubectl create secret generic ${name} ${source}\` (or convert with secrets: inline)`, { path });
    ctx.report.approximated(path, `Secret/${name} (reference)`, 'secret material is not written (secrets option "reference"); the Secret must be created separately');
  } else {
    const data = content(ctx, kind, key, def);
    if (data) {
      const name = kind === 'config' ? ctx.names.config(key) : ctx.names.secret(key);
      out = { name, key: dataKey(key), emitted: true };
      if (data.length > LIMIT) {
        ctx.diagnostics.error(`${kind}.too-large`, `${kind} ${key} is ${data.length} bytes; a ${objKind} holds at most 1 MiB`, { path });
      }
      if (kind === 'config') {
        const text = isTextContent(data);
        ctx.emit({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, labels: projectLabels(ctx.project.name) },
          ...(text ? { data: { [out.key]: data.toString('utf8') } } : { binaryData: { [out.key]: data.toString('base64') } }),
        }, path);
      } else {
        const secret: KubeSecret = {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, labels: projectLabels(ctx.project.name) },
          type: 'Opaque',
          data: { [out.key]: data.toString('base64') },
        };
        ctx.emit(asKube(secret), path);
      }
      const from = def.content !== undefined ? 'content' : def.environment !== undefined ? 'environment' : 'file';
      ctx.report.mapped(path, `${objKind}/${name} (from ${from})`);
    } else ctx.report.ignored(path, `its content is unavailable`);
  }
  const lost = [def?.driver && 'driver', def?.driver_opts && 'driver_opts', def?.template_driver && 'template_driver'].filter(Boolean);
  if (lost.length) ctx.diagnostics.warn(`${kind}.driver`, `${kind} ${key}: ${lost.join(', ')} cannot be kept`, { path });
  cache.set(id, out);
  return out ?? undefined;
}

/** Where Compose mounts it. */
export function mountPath(kind: Kind, ref: FileReference): string {
  const target = ref.target;
  if (kind === 'secret') {
    if (!target) return `/run/secrets/${ref.source}`;
    return target.startsWith('/') ? target : `/run/secrets/${target}`;
  }
  if (!target) return `/${ref.source}`;
  return target.startsWith('/') ? target : `/${target}`;
}

function lowerRefs(ctx: LowerContext, unit: ServiceUnit, kind: Kind, cache: Map<string, Resolved | null>): void {
  const refs = (kind === 'config' ? unit.compose.configs : unit.compose.secrets) ?? [];
  if ((kind === 'config' ? unit.compose.configs : unit.compose.secrets)?.length === 0) ctx.report.mapped(`${unit.path}.${kind}s`, '(empty)');
  const used = new Set(unit.volumes.map((v) => v.name));
  refs.forEach((ref, i) => {
    const path = `${unit.path}.${kind}s[${i}]`;
    const obj = resolveObject(ctx, kind, ref.source, cache);
    if (!obj) {
      ctx.report.ignored(path, `${kind} ${ref.source} is unavailable`);
      return;
    }
    const objKind = kind === 'config' ? 'ConfigMap' : 'Secret';
    unit.configRefs.add(`${objKind}/${obj.name}`);
    const target = mountPath(kind, ref);
    let volName = toKubeName(`${kind}-${ref.source}`);
    for (let n = 2; used.has(volName); n++) volName = toKubeName(`${kind}-${ref.source}-${n}`);
    used.add(volName);
    // File modes are permission bits: 0 to 0777 (511) in the API.
    const octal = ref.mode !== undefined ? ` (0${ref.mode.toString(8)} in octal; a YAML number without a leading 0 is decimal, so write 0644 for rw-r--r--)` : '';
    const mode = ref.mode !== undefined && inRange(ctx, ref.mode, `${path}.mode`, 'file mode', 0, 0o777, octal) ? ref.mode : undefined;
    const item = { key: obj.key, path: obj.key, ...(mode !== undefined ? { mode } : {}) };
    if (kind === 'config') addVolume(unit, { name: volName, configMap: { name: obj.name, items: [item] } });
    else addVolume(unit, { name: volName, secret: { secretName: obj.name, items: [item] } });
    addMount(unit.container, { name: volName, mountPath: target, subPath: obj.key, readOnly: true });
    const lost = [ref.uid !== undefined && 'uid', ref.gid !== undefined && 'gid'].filter(Boolean);
    const to = `${objKind}/${obj.name} mounted at ${target}`;
    if (lost.length) ctx.report.approximated(path, to, `${lost.join(' and ')} cannot be set per file (use securityContext.fsGroup)`);
    else ctx.report.mapped(path, to);
  });
}

export function lowerConfigsAndSecrets(ctx: LowerContext): void {
  const cache = new Map<string, Resolved | null>();
  for (const unit of ctx.units.values()) {
    lowerRefs(ctx, unit, 'config', cache);
    lowerRefs(ctx, unit, 'secret', cache);
  }
  // Top-level entries no service mounts (e.g. build-only secrets): accounted for, nothing emitted.
  for (const kind of ['config', 'secret'] as const) {
    for (const key of Object.keys((kind === 'config' ? ctx.project.configs : ctx.project.secrets) ?? {})) {
      if (!cache.has(`${kind}:${key}`)) ctx.report.approximated(`${kind}s.${key}`, '(not emitted)', 'no service mounts it (build secrets are used by the build stage)');
    }
  }
}

export const configsSecretsPass: Pass = {
  name: 'configs-secrets',
  run(ctx) {
    lowerConfigsAndSecrets(ctx);
  },
};
