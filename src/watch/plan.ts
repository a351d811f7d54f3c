// What one batch of changes asks of one service (compose's handleWatchBatch): every rule matching a changed path
// contributes. A rebuild makes a restart pointless (the new pods start anyway); otherwise the synced files go to
// the running containers, then one restart if a rule asks for it, then each sync+exec command once.
import { basename } from 'node:path';
import type { Change } from './batch.js';
import { SYNCS, type Rule } from './rules.js';

export interface SyncItem {
  rule: Rule;
  hostPath: string;
  containerPath: string;
  deleted: boolean;
}

export interface Plan {
  /** Rules that ask for a rebuild (or fall back to one). */
  rebuild: Rule[];
  syncs: SyncItem[];
  restart: boolean;
  /** sync+exec rules whose command runs after the sync, once each. */
  execs: Rule[];
  /** Changed host paths that matched any rule, in event order. */
  files: string[];
}

/**
 * The plan for `batch` under the rules of one service. `asRebuild(rule)`: the rule cannot sync (its containers
 * have no tar) and is carried out as a rebuild.
 */
export function planBatch(rules: readonly Rule[], batch: ReadonlyMap<string, Change>, asRebuild: (r: Rule) => boolean = () => false): Plan {
  const plan: Plan = { rebuild: [], syncs: [], restart: false, execs: [], files: [] };
  for (const [hostPath, change] of batch) {
    let matched = false;
    for (const rule of rules) {
      const containerPath = rule.map(hostPath);
      if (containerPath === undefined) continue;
      matched = true;
      if (rule.action === 'rebuild' || asRebuild(rule)) {
        if (!plan.rebuild.includes(rule)) plan.rebuild.push(rule);
        continue;
      }
      if (SYNCS.has(rule.action)) plan.syncs.push({ rule, hostPath, containerPath, deleted: change === 'delete' });
      if (rule.action === 'restart' || rule.action === 'sync+restart') plan.restart = true;
      if (rule.action === 'sync+exec' && !plan.execs.includes(rule)) plan.execs.push(rule);
    }
    if (matched) plan.files.push(hostPath);
  }
  if (plan.rebuild.length > 0) plan.restart = false;
  return plan;
}

export function isEmpty(plan: Plan): boolean {
  return plan.rebuild.length === 0 && plan.syncs.length === 0 && !plan.restart && plan.execs.length === 0;
}

/** `index.html`, `a.js, b.js`, or `12 files`: what the action line names. */
export function describeFiles(files: readonly string[], base: string): string {
  const rel = (f: string) => (f === base ? basename(f) : f.startsWith(`${base}/`) ? f.slice(base.length + 1) : f);
  if (files.length === 0) return 'no files';
  if (files.length <= 3) return files.map(rel).join(', ');
  return `${files.length} files`;
}
