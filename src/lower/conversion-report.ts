// The conversion report (B3): for every key present in the input, what it became. Passes record what they
// consume; a final sweep records every key nobody consumed as `ignored`, so nothing is dropped silently.

import type { Diagnostics } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';

export type ReportStatus = 'mapped' | 'approximated' | 'ignored';

export interface ReportEntry {
  /** Compose path, e.g. `services.web.healthcheck` or `services.web.deploy.resources`. */
  path: string;
  status: ReportStatus;
  /** What it became, e.g. `Deployment/web readinessProbe`. */
  to?: string;
  /** Why it was approximated or ignored. */
  reason?: string;
}

export class Report {
  private readonly entries: ReportEntry[] = [];
  /** Every recorded path and each of its prefixes that ends before a `.` or `[`: what `covers` answers from. */
  private readonly covered = new Set<string>();
  private readonly diagnosed = new Set<string>();

  mapped(path: string, to: string): void {
    this.add({ path, status: 'mapped', to });
  }
  approximated(path: string, to: string, reason: string): void {
    this.add({ path, status: 'approximated', to, reason });
  }
  /** `diagnosed`: an error already explains it (e.g. a value out of range); the sweep does not warn again. */
  ignored(path: string, reason: string, diagnosed = false): void {
    this.add({ path, status: 'ignored', reason });
    if (diagnosed) this.diagnosed.add(`${path}\0${reason}`);
  }
  /** Whether an ignored entry was already reported as an error. */
  isDiagnosed(entry: ReportEntry): boolean {
    return this.diagnosed.has(`${entry.path}\0${entry.reason ?? ''}`);
  }
  /** Whether the path, or something below it, was already accounted for. */
  covers(path: string): boolean {
    return this.covered.has(path);
  }
  private add(entry: ReportEntry): void {
    this.entries.push(entry);
    const path = entry.path;
    if (this.covered.has(path)) return;
    this.covered.add(path);
    // Longest prefix first: a prefix already covered has all of its own prefixes covered too.
    for (let i = path.length - 1; i >= 0; i--) {
      const c = path.charCodeAt(i);
      if (c !== 46 /* . */ && c !== 91 /* [ */) continue;
      const prefix = path.slice(0, i);
      if (this.covered.has(prefix)) break;
      this.covered.add(prefix);
    }
  }
  /** The entries (only those of `status` if given), sorted. */
  list(status?: ReportStatus): ReportEntry[] {
    const entries = status === undefined ? [...this.entries] : this.entries.filter((e) => e.status === status);
    return entries.sort(compareEntries);
  }
}

function compareEntries(a: ReportEntry, b: ReportEntry): number {
  return cmp(a.path, b.path) || cmp(a.status, b.status) || cmp(a.to ?? '', b.to ?? '') || cmp(a.reason ?? '', b.reason ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keys whose children are accounted for one by one (a `deploy` with an unmapped `rollback_config` must show it). */
const NESTED_SERVICE_KEYS = new Set(['deploy']);
const TOP_LEVEL_ELEMENTS = ['networks', 'volumes', 'secrets', 'configs', 'models'] as const;

/** Every key path of the input the report must account for. */
export function inputKeyPaths(project: Project): string[] {
  const paths: string[] = [];
  for (const [name, service] of Object.entries(project.services)) {
    for (const [key, value] of Object.entries(service)) {
      if (value === undefined) continue;
      const path = `services.${name}.${key}`;
      if (NESTED_SERVICE_KEYS.has(key) && value && typeof value === 'object') {
        const children = Object.entries(value).filter(([, v]) => v !== undefined);
        if (children.length === 0) paths.push(path);
        for (const [child] of children) paths.push(`${path}.${child}`);
      } else paths.push(path);
    }
  }
  for (const element of TOP_LEVEL_ELEMENTS) {
    for (const name of Object.keys(project[element] ?? {})) paths.push(`${element}.${name}`);
  }
  for (const key of Object.keys(project)) if (key.startsWith('x-')) paths.push(key);
  return paths;
}

/**
 * Records every unaccounted key as ignored and reports it: a warning, or an error under `strict`.
 * Extension fields (`x-*` other than x-kubernetes) are user metadata, often YAML anchor holders: info only.
 */
export function sweepUnaccounted(project: Project, report: Report, diagnostics: Diagnostics, strict: boolean): void {
  for (const path of inputKeyPaths(project)) {
    if (report.covers(path)) continue;
    const extension = /(^|\.)x-[^.]*$/.test(path);
    report.ignored(path, extension ? 'extension field; not interpreted' : 'no Kubernetes mapping is implemented for this key');
  }
  for (const entry of report.list('ignored')) {
    if (report.isDiagnosed(entry)) continue;
    const extension = /(^|\.)x-[^.]*$/.test(entry.path);
    const message = `${entry.path} is ignored: ${entry.reason ?? 'no reason given'}`;
    if (extension) diagnostics.add({ severity: 'info', code: 'lower.ignored', message, path: entry.path });
    else if (strict) diagnostics.error('lower.ignored', message, { path: entry.path });
    else diagnostics.warn('lower.ignored', message, { path: entry.path });
  }
}
