// The build stage's error policy: each service's failure as diagnostics naming the service, one message for an
// engine or registry that stopped several services, what was not started, and what did finish (so the user knows
// a rerun will not redo it).
import { DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { BuildFailure, PushFailure } from './engine-ops.js';
import type { BuiltImage } from './options.js';
import type { ServicePlan } from './plan.js';
import { RegistryError } from './registry.js';

/** Failures that are about the engine or the registry as a whole, not one service. */
const GLOBAL_CODES = new Set(['build.engine-unreachable', 'build.engine-lost', 'build.registry-unreachable']);

/** After a failure: what did finish, so the user knows the rerun will not redo it. */
function finishedNote(results: Map<string, BuiltImage>): Diagnostic[] {
  const done = [...results.values()].filter((r) => r.built || r.uploaded);
  if (done.length === 0) return [];
  const what = done.map((r) => `${r.service} (${[r.built ? 'built' : '', r.uploaded ? `pushed ${r.reference}` : ''].filter(Boolean).join(', ')})`);
  return [{ severity: 'info', code: 'build.finished', message: `finished before the failure, a rerun reuses them: ${what.join('; ')}` }];
}

/** One service's failure as diagnostics at its compose path, each naming the service. */
export function toDiagnostics(e: unknown, p: ServicePlan): Diagnostic[] {
  if (e instanceof DiagnosticError) return e.diagnostics.map((x) => ({ ...x, path: x.path ?? p.path }));
  if (e instanceof BuildFailure) {
    const where = e.step ? ` at ${e.step}` : '';
    const tail = e.lastLines.length > 0 ? `\n  last output:\n${e.lastLines.map((l) => `    | ${l}`).join('\n')}` : '';
    return [{ severity: 'error', code: 'build.failed', path: p.path, message: `${p.service}: build failed${where}: ${e.message}${tail}` }];
  }
  if (e instanceof PushFailure) return [{ severity: 'error', code: 'build.push-failed', path: p.path, message: `${p.service}: ${e.message}` }];
  if (e instanceof RegistryError) return [{ severity: 'error', code: 'build.registry', path: p.path, message: `${p.service}: ${e.message}` }];
  return [{ severity: 'error', code: 'build.error', path: p.path, message: `${p.service}: ${(e as Error)?.message ?? String(e)}` }];
}


/** Interrupted (Ctrl-C): which services did not finish, and which did. */
export function interrupted(services: readonly string[], results: Map<string, BuiltImage>): DiagnosticError {
  const unfinished = services.filter((s) => !results.has(s));
  return new DiagnosticError([
    { severity: 'error', code: 'build.cancelled', message: `interrupted; not finished: ${unfinished.join(', ')} (the engine cancels a build or push when its connection closes)` },
    ...finishedNote(results),
  ]);
}

/**
 * The failures of a run as one error: duplicates dropped, an unreachable (or lost) engine or registry reported
 * once naming the services it stopped, the services not started because of them, and what did finish.
 */
export function stageFailure(errors: readonly Diagnostic[], cancelled: readonly string[], results: Map<string, BuiltImage>): DiagnosticError {
  const unique: Diagnostic[] = [];
  const global = new Map<string, { d: Diagnostic; services: string[] }>();
  for (const e of errors) {
    if (GLOBAL_CODES.has(e.code)) {
      const k = e.code + e.message;
      const service = e.path?.replace(/^services\.([^.]+)\..*$/, '$1') ?? '';
      const g = global.get(k);
      if (g) g.services.push(service);
      else {
        const g2 = { d: { ...e }, services: [service] };
        global.set(k, g2);
        unique.push(g2.d);
      }
    } else if (!unique.some((u) => u.path === e.path && u.message === e.message)) unique.push(e);
  }
  for (const { d, services } of global.values()) {
    if (services.length > 1) {
      d.message += ` (services ${services.join(', ')})`;
      delete d.path;
    }
  }
  if (cancelled.length > 0) {
    // An engine or registry that is gone stops everything: say so in its one message.
    if (unique.every((e) => GLOBAL_CODES.has(e.code))) unique[0]!.message += `; not started: ${cancelled.join(', ')}`;
    else unique.push({ severity: 'error', code: 'build.cancelled', message: `not started because of the failure above: ${cancelled.join(', ')}` });
  }
  return new DiagnosticError([...unique, ...finishedNote(results)]);
}
