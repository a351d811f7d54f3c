// Compose lifecycle hooks: post_start/pre_stop -> container lifecycle handlers, pre_start -> init containers.

import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1.js';
import type { ServiceHook } from '../model/project.js';
import { workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { parseUser } from './security.js';
import { escapeKubeExpansion } from './units.js';
import { merged } from './objects.js';

export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One hook as a shell command line that applies its working_dir and environment. */
function hookScript(hook: ServiceHook): string {
  const env = Object.entries(hook.environment ?? {})
    .filter(([, v]) => v !== null)
    .map(([k, v]) => shellQuote(`${k}=${v}`));
  let line = [...(env.length ? ['env', ...env] : []), ...hook.command.map(shellQuote)].join(' ');
  if (hook.working_dir) line = `cd ${shellQuote(hook.working_dir)} && ${line}`;
  return line;
}

/** Kubernetes allows one handler per event: a single plain hook runs as is; several run in order through sh. */
function handlerFor(hooks: ServiceHook[]): LifecycleHandler {
  const plain = hooks.length === 1 && !hooks[0]!.working_dir && !Object.keys(hooks[0]!.environment ?? {}).length;
  if (plain) return { exec: { command: hooks[0]!.command } };
  return { exec: { command: ['/bin/sh', '-c', hooks.map((h) => `(${hookScript(h)})`).join(' && ')] } };
}

export function applyHooks(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const { report } = ctx;
  const to = workloadRef(unit);
  for (const [key, event] of [['post_start', 'postStart'], ['pre_stop', 'preStop']] as const) {
    const hooks = s[key];
    if (!hooks?.length) continue;
    const path = `${unit.path}.${key}`;
    unit.container.lifecycle = merged(unit.container.lifecycle, { [event]: handlerFor(hooks) });
    const lost = hooks.some((h) => h.user !== undefined || h.privileged);
    if (lost) {
      ctx.diagnostics.warn('container.hook-user', `${unit.service}: ${key} hooks run as the container's user; user and privileged are ignored`, { path });
      report.approximated(path, `${to} lifecycle.${event}`, 'user/privileged ignored: handlers run inside the container');
    } else if (hooks.length > 1) report.approximated(path, `${to} lifecycle.${event}`, 'several hooks chained through /bin/sh');
    else report.mapped(path, `${to} lifecycle.${event}`);
  }
  const pre = s.pre_start;
  if (pre?.length) {
    const path = `${unit.path}.pre_start`;
    pre.forEach((hook, i) => unit.initContainers.push(preStartContainer(unit, hook, i)));
    if (pre.some((h) => h.per_replica === false)) {
      report.approximated(path, `${to} initContainers`, 'init containers run once per pod, not once per service');
    } else report.mapped(path, `${to} initContainers`);
  }
}

function preStartContainer(unit: ServiceUnit, hook: ServiceHook, index: number): Container {
  const user = hook.user ? parseUser(hook.user) : {};
  const env = Object.entries(hook.environment ?? {})
    .filter((e): e is [string, string] => e[1] !== null)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value: escapeKubeExpansion(value) }));
  return {
    name: `pre-start-${index + 1}`,
    image: hook.image ?? unit.container.image,
    command: hook.command.map(escapeKubeExpansion),
    ...(hook.working_dir ? { workingDir: hook.working_dir } : {}),
    ...(env.length ? { env } : {}),
    ...(hook.privileged || user.uid !== undefined
      ? { securityContext: merged(hook.privileged ? { privileged: true } : {}, user.uid !== undefined ? { runAsUser: user.uid } : {}) }
      : {}),
  };
}
