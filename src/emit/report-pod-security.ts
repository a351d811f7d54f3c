// Pod Security Standards in the reports (`convert --report`, `check`, `report`): per service, the level chosen, the
// strictest level it meets as written, and what stops it from meeting the chosen level (when below it) or the next
// one, each at its file:line.

import type { PodSecurityService, StandardLevel } from '../lower/index.js';

const NEXT: Record<StandardLevel, 'baseline' | 'restricted' | undefined> = { privileged: 'baseline', baseline: 'restricted', restricted: undefined };
const RANK: Record<string, number> = { none: 0, privileged: 0, baseline: 1, restricted: 2 };

export interface PodSecurityRow {
  service: string;
  /** The level chosen for it (`none`: not checked). */
  level: string;
  meets: StandardLevel;
  /** Whether it is below the chosen level. */
  below: boolean;
  /** The level `blockers` stop it from meeting: the chosen one when below it, else the next. */
  target?: 'baseline' | 'restricted';
  blockers: { where: string; path: string; what: string; control: string; level: string; rule: string }[];
  notes: string[];
}

/** `where(path)`: the file:line of a Compose path, or '' when unknown. */
export function podSecurityRows(services: readonly PodSecurityService[], where: (path: string) => string = () => ''): PodSecurityRow[] {
  return services.map((s) => {
    const below = RANK[s.meets]! < RANK[s.level]!;
    const target = below ? (s.level as 'baseline' | 'restricted') : NEXT[s.meets];
    const blockers = (target ? s.breaks[target] : []).map((f) => ({ where: where(f.path), path: f.path, what: f.what, control: f.control, level: f.level, rule: f.rule }));
    return { service: s.service, level: s.level, meets: s.meets, below, ...(target ? { target } : {}), blockers, notes: s.notes };
  });
}

/** Plain text for a terminal. */
export function formatPodSecurity(services: readonly PodSecurityService[], where?: (path: string) => string): string {
  const rows = podSecurityRows(services, where);
  if (!rows.length) return '';
  const lines = ['POD SECURITY (level chosen -> strictest level met as written)'];
  for (const r of rows) {
    const tail = r.target ? (r.below ? `, below ${r.target}:` : `; ${r.target} needs:`) : '';
    lines.push(`  ${r.service}: ${r.level} -> ${r.meets}${tail}`);
    for (const b of r.blockers) lines.push(`    ${b.where ? `${b.where}: ` : ''}${b.path}: ${b.what} breaks "${b.control}" (${b.level}: ${b.rule})`);
    for (const n of r.notes) lines.push(`    note: ${n}`);
  }
  return lines.join('\n') + '\n';
}
