// Text the deploy commands print. Pure functions; nothing here ever prints object contents (Secret values
// cannot leak through a report), only kinds, names, outcomes and messages.
import type { ApplyResult } from './apply.js';
import type { DeleteSetResult } from './down.js';
import type { MemberStatus } from './set.js';
import type { WaitResult } from './wait.js';
import type { ObjectRef } from './types.js';

/** `deployment.apps/web`, `configmap/app`, as kubectl prints references. */
export function kubectlName(ref: ObjectRef): string {
  const kind = ref.kind.toLowerCase();
  return `${ref.group ? `${kind}.${ref.group}` : kind}/${ref.name}`;
}

function withNs(ref: ObjectRef, showNs: boolean): string {
  return showNs && ref.namespace ? `${kubectlName(ref)} -n ${ref.namespace}` : kubectlName(ref);
}

/** One line per object, kubectl style, then a summary when something was not applied. */
export function formatApply(result: ApplyResult, opts: { dryRun?: string } = {}): { stdout: string; stderr: string } {
  const namespaces = new Set(result.results.map((r) => r.ref.namespace).filter(Boolean));
  const showNs = namespaces.size > 1;
  const suffix = opts.dryRun && opts.dryRun !== 'none' ? ` (${opts.dryRun} dry run)` : '';
  const out: string[] = [];
  const err: string[] = [];
  for (const r of result.results) {
    const name = withNs(r.ref, showNs);
    if (r.outcome === 'failed') err.push(`${name} failed: ${r.message ?? 'unknown error'}`);
    else if (r.outcome === 'skipped') continue;
    else out.push(`${name} ${r.outcome === 'dry-run' ? 'applied' : r.outcome}${suffix}`);
  }
  for (const p of result.pruned) out.push(`${withNs(p, showNs)} pruned${suffix}`);
  for (const p of result.pruneErrors) err.push(`${withNs(p.ref, showNs)} not pruned: ${p.message}`);
  if (!result.ok) {
    const applied = result.results.filter((r) => r.outcome !== 'failed' && r.outcome !== 'skipped');
    const notApplied = result.results.filter((r) => r.outcome === 'failed' || r.outcome === 'skipped');
    if (notApplied.length > 0) {
      err.push(`applied ${applied.length} of ${result.results.length} object(s); not applied:`);
      for (const r of notApplied) err.push(`  ${withNs(r.ref, true)}: ${r.outcome === 'failed' ? (r.message ?? 'failed') : (r.message ?? 'skipped')}`);
      err.push('nothing was pruned; fix the cause and rerun: applying again converges');
    } else if (result.pruneErrors.length > 0) err.push('some objects could not be pruned; rerun to retry');
  }
  return { stdout: out.map((l) => l + '\n').join(''), stderr: err.map((l) => l + '\n').join('') };
}

export function formatWait(result: WaitResult, timeout: string): string {
  const lines: string[] = [];
  const bad = result.objects.filter((o) => o.status !== 'Current');
  if (bad.length === 0) return `all ${result.objects.length} object(s) ready\n`;
  lines.push(result.timedOut ? `timed out after ${timeout} waiting for ${bad.length} object(s):` : `${bad.length} object(s) failed:`);
  for (const o of bad) {
    lines.push(`  ${withNs(o.ref, true)}: ${o.status}${o.reason ? ` (${o.reason})` : ''}: ${o.message}`);
    for (const d of o.details) lines.push(`    ${d}`);
  }
  return lines.map((l) => l + '\n').join('');
}

export function formatDelete(result: DeleteSetResult, what: string, dryRun?: boolean): { stdout: string; stderr: string } {
  if (!result.found) return { stdout: '', stderr: `nothing to delete: no ApplySet for ${what}\n` };
  const suffix = dryRun ? ' (server dry run)' : '';
  const out = result.deleted.map((r) => `${withNs(r, true)} deleted${suffix}\n`).join('');
  const err = [
    ...result.errors.map((e) => `${withNs(e.ref, true)} not deleted: ${e.message}`),
    ...result.remaining.map((r) => `${withNs(r, true)} still exists after the timeout`),
  ];
  if (result.errors.length > 0) err.push('the ApplySet parent was kept so that a rerun finds what is left');
  return { stdout: out, stderr: err.map((l) => l + '\n').join('') };
}

/** A fixed-width table: KIND NAME NAMESPACE STATUS MESSAGE. */
export function formatStatus(members: readonly MemberStatus[]): string {
  const rows = [['KIND', 'NAME', 'NAMESPACE', 'STATUS', 'MESSAGE']];
  for (const m of members) {
    rows.push([m.ref.group ? `${m.ref.kind}.${m.ref.group}` : m.ref.kind, m.ref.name, m.ref.namespace ?? '', m.status, m.message]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n').join('');
}

/** `30s`, `5m`, `1h30m`, `1500ms`, or plain seconds. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (const m of t.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0].length;
  }
  if (matched !== t.length || matched === 0) throw new Error(`invalid duration "${text}" (use e.g. 90s, 5m, 1h)`);
  return Math.round(total);
}
