// Maps apiVersion + kind to the REST resource (plural name, namespaced or not) through API discovery.
// Aggregated discovery (apidiscovery.k8s.io/v2, GA in 1.30) answers for every group in two requests;
// older servers fall back to one request per group-version, and only for the group-versions asked about.
import { ApiError } from './errors.js';
import type { KubeClient } from './client.js';
import { groupKind, groupOf, versionOf } from './types.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
}

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface DiscoveryResource {
  resource: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
}
interface DiscoveryGroup {
  metadata?: { name?: string };
  versions?: { version: string; resources?: DiscoveryResource[] }[];
}

export class Discovery {
  /** `group/version/kind` → resource. */
  private byGvk = new Map<string, ResourceInfo>();
  /** `Kind.group` → its versions in the server's preference order. */
  private byGk = new Map<string, ResourceInfo[]>();
  private loaded?: Promise<boolean>;
  private readonly legacyLoaded = new Map<string, Promise<void>>();

  constructor(private readonly client: KubeClient) {}

  /** Kinds not found even after a refresh; not refreshed for again until `invalidate`. */
  private readonly missing = new Set<string>();

  /** Forgets everything (e.g. after CRDs were established). */
  invalidate(): void {
    this.refresh();
    this.missing.clear();
  }

  private refresh(): void {
    this.byGvk.clear();
    this.byGk.clear();
    this.loaded = undefined;
    this.legacyLoaded.clear();
  }

  private add(info: ResourceInfo): void {
    const key = `${info.group}/${info.version}/${info.kind}`;
    if (this.byGvk.has(key)) return;
    this.byGvk.set(key, info);
    const gk = groupKind(info.group, info.kind);
    const list = this.byGk.get(gk) ?? [];
    list.push(info);
    this.byGk.set(gk, list);
  }

  /** Loads aggregated discovery; false when the server does not offer it. */
  private loadAggregated(): Promise<boolean> {
    this.loaded ??= (async () => {
      const [core, groups] = await Promise.all(
        ['/api', '/apis'].map((path) => this.client.request<Record<string, unknown>>({ method: 'GET', path, accept: AGGREGATED })),
      );
      if (core?.kind !== 'APIGroupDiscoveryList' || groups?.kind !== 'APIGroupDiscoveryList') return false;
      for (const list of [core, groups]) {
        for (const g of (list.items as DiscoveryGroup[]) ?? []) {
          const group = g.metadata?.name ?? '';
          for (const v of g.versions ?? []) {
            for (const r of v.resources ?? []) {
              if (!r.responseKind?.kind) continue;
              this.add({ group, version: v.version, kind: r.responseKind.kind, resource: r.resource, namespaced: r.scope === 'Namespaced' });
            }
          }
        }
      }
      return true;
    })();
    return this.loaded;
  }

  private loadLegacy(group: string, version: string): Promise<void> {
    const key = `${group}/${version}`;
    let p = this.legacyLoaded.get(key);
    if (!p) {
      p = (async () => {
        const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
        let list: { resources?: { name: string; kind: string; namespaced: boolean }[] } | undefined;
        try {
          list = await this.client.get(path);
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) return;
          throw e;
        }
        for (const r of list?.resources ?? []) {
          if (r.name.includes('/')) continue; // subresources
          this.add({ group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced });
        }
      })();
      this.legacyLoaded.set(key, p);
    }
    return p;
  }

  private async lookup(group: string, version: string, kind: string): Promise<ResourceInfo | undefined> {
    const aggregated = await this.loadAggregated();
    if (!aggregated) await this.loadLegacy(group, version);
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  /** The resource for an apiVersion and kind; refreshes discovery once before giving up (new CRDs). */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const group = groupOf(apiVersion);
    const version = versionOf(apiVersion);
    let info = await this.lookup(group, version, kind);
    const key = `${group}/${version}/${kind}`;
    if (!info && !this.missing.has(key)) {
      this.refresh();
      info = await this.lookup(group, version, kind);
      if (!info) this.missing.add(key);
    }
    if (!info) {
      throw new ApiError(
        404,
        'NotFound',
        `the server has no resource for kind ${kind} in ${apiVersion} (is the API group enabled, or its CustomResourceDefinition installed?)`,
      );
    }
    return info;
  }

  /** The preferred version of a group-kind (for listing ApplySet members); undefined when the server lacks it. */
  async resolveGroupKind(group: string, kind: string): Promise<ResourceInfo | undefined> {
    const aggregated = await this.loadAggregated();
    if (!aggregated) {
      const apis = group ? await this.client.getOptional<{ preferredVersion?: { version: string } }>(`/apis/${group}`) : { preferredVersion: { version: 'v1' } };
      const v = apis?.preferredVersion?.version;
      if (!v) return undefined;
      await this.loadLegacy(group, v);
    }
    return this.byGk.get(groupKind(group, kind))?.[0];
  }
}

export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${base}${ns}/${info.resource}`;
}

export function objectPath(info: ResourceInfo, name: string, namespace?: string): string {
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}
