// The one Kubernetes name sanitizer (B16) and the table that assigns every Compose element its object name.
// Names are per Kubernetes kind: a ConfigMap and a Deployment may share a name, two ConfigMaps may not.

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Project } from '../model/project.js';
import type { Diagnostics } from '../model/diagnostics.js';

export const MAX_NAME = 63;

/** Short stable hash used to keep truncated or colliding names distinct. */
export function shortHash(text: string, length = 6): string {
  return sha256Hex(text).slice(0, length);
}

/** How many hashes a process computes in pure JS before it loads node:crypto (see sha256Hex). */
const PURE_JS_HASHES = 16;
let hashesDone = 0;

/**
 * Hex SHA-256 of the UTF-8 text. Requiring node:crypto costs ~8 ms of a cold start, more than a small project's
 * few hashes take in pure JS; but pure JS runs in V8's interpreter at first (~0.4 ms a hash), so a project with
 * more hashes than that switches to node:crypto (100 hashes: 32 ms in pure JS, 10 ms with node:crypto).
 */
export function sha256Hex(text: string): string {
  if (hashesDone++ < PURE_JS_HASHES) return pureSha256Hex(text);
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}

/** sha256Hex without node:crypto. */
export function pureSha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

export interface NameOptions {
  maxLength?: number;
  /** DNS-1035 (Service names): the first character must be a letter. */
  startWithLetter?: boolean;
}

/**
 * RFC 1123 label: lower-case, `_` and `.` become `-`, other invalid characters are removed, runs of `-`
 * collapse (readability; collisions are caught by the name table), no leading or
 * trailing `-`, at most 63 characters; a truncated name ends in a hash of the raw name so it stays unique.
 */
export function toKubeName(raw: string, opts: NameOptions = {}): string {
  const max = opts.maxLength ?? MAX_NAME;
  let s = raw.toLowerCase().replace(/[_.]/g, '-').replace(/[^a-z0-9-]/g, '').replace(/-{2,}/g, '-');
  s = trimDashes(s);
  if (s === '') return `x-${shortHash(raw)}`;
  if (opts.startWithLetter && !/^[a-z]/.test(s)) s = `x-${s}`;
  return s.length > max ? withSuffix(s, shortHash(raw), max) : s;
}

/** `base-suffix`, cutting `base` so the whole fits in `max` and never leaving `--` or a trailing `-`. */
export function withSuffix(base: string, suffix: string, max = MAX_NAME): string {
  const room = max - suffix.length - 1;
  return `${trimDashes(base.slice(0, Math.max(room, 1)))}-${suffix}`;
}

function trimDashes(s: string): string {
  return s.replace(/^-+/, '').replace(/-+$/, '');
}

export function isDnsLabel(s: string): boolean {
  return s.length > 0 && s.length <= MAX_NAME && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
}

/** The Compose element categories whose names the user chose (collisions are the user's to fix). */
type Category = 'service' | 'volume' | 'config' | 'secret';
const CATEGORY_KIND: Record<Category, string> = {
  service: 'service',
  volume: 'PersistentVolumeClaim',
  config: 'ConfigMap',
  secret: 'Secret',
};

export class NameTable {
  /** kind -> k8s name -> owner key */
  private readonly taken = new Map<string, Map<string, string>>();
  /** `kind\0owner` -> k8s name */
  private readonly assigned = new Map<string, string>();

  service(name: string): string {
    return this.mustGet('service', `service:${name}`);
  }
  volume(name: string): string {
    return this.mustGet(CATEGORY_KIND.volume, `volume:${name}`);
  }
  config(name: string): string {
    return this.mustGet(CATEGORY_KIND.config, `config:${name}`);
  }
  secret(name: string): string {
    return this.mustGet(CATEGORY_KIND.secret, `secret:${name}`);
  }
  /** The ConfigMap holding one env_file of one service. */
  envFile(service: string, path: string): string {
    const base = path.split(/[\\/]/).pop() ?? 'env';
    return this.claim('ConfigMap', `env_file:${service}:${path}`, `${this.service(service)}-${base}`);
  }

  /**
   * A generated name for `owner` (any stable key) among objects of `kind`. Asking twice gives the same name;
   * a name already taken by another owner gets a hash suffix, because the user did not choose it.
   */
  claim(kind: string, owner: string, desired: string, opts: NameOptions = {}): string {
    const key = `${kind}\0${owner}`;
    const known = this.assigned.get(key);
    if (known) return known;
    const max = opts.maxLength ?? MAX_NAME;
    let name = toKubeName(desired, opts);
    if (this.kindMap(kind).has(name)) name = withSuffix(name, shortHash(owner), max);
    for (let i = 2; this.kindMap(kind).has(name); i++) name = withSuffix(name, shortHash(`${owner}#${i}`), max);
    this.record(kind, owner, name);
    return name;
  }

  /** Whether a name of `kind` has been assigned (to anyone). */
  has(kind: string, name: string): boolean {
    return this.kindMap(kind).has(name);
  }

  /** @internal used while building */
  record(kind: string, owner: string, name: string): void {
    this.kindMap(kind).set(name, owner);
    this.assigned.set(`${kind}\0${owner}`, name);
  }

  private kindMap(kind: string): Map<string, string> {
    let m = this.taken.get(kind);
    if (!m) this.taken.set(kind, (m = new Map()));
    return m;
  }

  private mustGet(kind: string, owner: string): string {
    const name = this.assigned.get(`${kind}\0${owner}`);
    if (name === undefined) throw new Error(`no Kubernetes name assigned to ${owner}`);
    return name;
  }
}

/**
 * Assigns names to every service, volume, config and secret. A collision (`web_api` and `web.api`) is an
 * error naming both, unless `renameCollisions`: then the element whose name is already canonical keeps it
 * and the others get a stable hash suffix.
 */
export function buildNameTable(
  project: Project,
  serviceNameOverrides: Record<string, string | undefined>,
  renameCollisions: boolean,
  diagnostics: Diagnostics,
): NameTable {
  const table = new NameTable();
  const groups: [Category, string[], (k: string) => string][] = [
    ['service', Object.keys(project.services), (k) => serviceNameOverrides[k] ?? k],
    ['volume', Object.keys(project.volumes ?? {}), (k) => k],
    ['config', Object.keys(project.configs ?? {}), (k) => k],
    ['secret', Object.keys(project.secrets ?? {}), (k) => k],
  ];
  for (const [category, keys, rawOf] of groups) {
    const opts: NameOptions = { startWithLetter: category === 'service' };
    const bySanitized = new Map<string, string[]>();
    for (const key of [...keys].sort()) {
      const name = toKubeName(rawOf(key), opts);
      bySanitized.set(name, [...(bySanitized.get(name) ?? []), key]);
    }
    for (const [name, members] of bySanitized) {
      // The member spelled exactly like the Kubernetes name keeps it; otherwise the first in sort order.
      const winner = members.find((k) => rawOf(k) === name) ?? members[0]!;
      table.record(CATEGORY_KIND[category], `${category}:${winner}`, name);
      for (const other of members.filter((k) => k !== winner)) {
        if (!renameCollisions) {
          diagnostics.error(
            'names.collision',
            `${category}s "${winner}" and "${other}" both become the Kubernetes name "${name}"; rename one of them or allow renaming (renameCollisions)`,
            { path: `${category}s.${other}` },
          );
        }
        const renamed = withSuffix(name, shortHash(other), MAX_NAME);
        table.record(CATEGORY_KIND[category], `${category}:${other}`, renamed);
        if (renameCollisions) {
          diagnostics.warn('names.renamed', `${category} "${other}" is named "${renamed}" because "${winner}" already uses "${name}"`, {
            path: `${category}s.${other}`,
          });
        }
      }
    }
  }
  return table;
}
