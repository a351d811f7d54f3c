// An in-memory API server for unit tests of the deploy stage: aggregated discovery, GET/LIST with label and field
// selectors, server-side apply (a shallow merge that keeps resourceVersion when nothing changes), DELETE with uid
// preconditions, and watches. Failures are injected per request with `fail`.
import { clusterFrom, type Cluster, type KubeRequest, type KubeResponse, type Transport, type WatchEvent } from '../../src/deploy/client.js';
import type { KubeObject } from '../../src/deploy/types.js';

interface Res {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

const RESOURCES: Res[] = [
  { group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
  { group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true },
  { group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', namespaced: true },
  { group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses', namespaced: true },
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', resource: 'customresourcedefinitions', namespaced: false },
  { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false },
];

export interface Injected {
  match: (req: KubeRequest) => boolean;
  /** HTTP status to answer, or a network error code (e.g. ECONNREFUSED) to throw. */
  status: number | string;
  body?: unknown;
  /** How many times (default 1). */
  times?: number;
  /** Carry the request out first, then fail (an answer lost after the server did the work). */
  afterExecuting?: boolean;
}

type Listener = (ev: WatchEvent) => void;

function parse(path: string, resources: readonly Res[] = RESOURCES): { res: Res; namespace?: string; name?: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = decodeURIComponent(rest[1]!);
    rest = rest.slice(2);
  }
  const res = resources.find((r) => r.group === group && r.version === version && r.resource === rest[0]);
  if (!res) return undefined;
  return { res, namespace, name: rest[1] ? decodeURIComponent(rest[1]) : undefined };
}

function matchesLabels(obj: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return obj.metadata.labels?.[k!] === v;
  });
}

function matchesFields(obj: KubeObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (k === 'metadata.name') return obj.metadata.name === v;
    if (k === 'involvedObject.name') return (obj.involvedObject as { name?: string })?.name === v;
    if (k === 'involvedObject.kind') return (obj.involvedObject as { kind?: string })?.kind === v;
    return true;
  });
}

const status = (code: number, reason: string, message: string, causes?: unknown[]) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
  details: causes ? { causes } : undefined,
});

export class FakeCluster implements Transport {
  readonly server = 'https://fake.invalid';
  /** Built-in resources plus those of CRDs applied so far. */
  readonly resources: Res[] = [...RESOURCES];
  readonly objects = new Map<string, KubeObject>();
  readonly requests: KubeRequest[] = [];
  readonly injected: Injected[] = [];
  /** Fields owned by other managers: `key` → field path → manager, used to produce SSA conflicts. */
  readonly foreignOwners = new Map<string, Record<string, string>>();
  private rv = 100;
  private uid = 0;
  private listeners = new Map<string, Set<Listener>>();
  /** Called after every successful write (tests use it to play controllers). */
  onWrite?: (obj: KubeObject, deleted: boolean) => void;
  /** Record the applier's field set (fieldsV1) like the API server, so that what it applied can be extracted again. */
  trackFieldSets = false;

  cluster(opts: { attempts?: number; log?: (line: string) => void } = {}): Cluster {
    return clusterFrom(this, this.watch, { retry: { attempts: opts.attempts ?? 4, baseDelayMs: 1, maxDelayMs: 2 }, log: opts.log });
  }

  fail(inj: Injected): void {
    this.injected.push(inj);
  }

  static keyOf(res: Pick<Res, 'group' | 'kind'>, namespace: string | undefined, name: string): string {
    return `${res.group}/${res.kind}/${namespace ?? ''}/${name}`;
  }

  get(kind: string, name: string, namespace?: string): KubeObject | undefined {
    const res = RESOURCES.find((r) => r.kind === kind)!;
    return this.objects.get(FakeCluster.keyOf(res, res.namespaced ? (namespace ?? 'default') : undefined, name));
  }

  /** Stores an object as if someone else created it. */
  put(obj: KubeObject): KubeObject {
    const res = RESOURCES.find((r) => r.kind === obj.kind)!;
    const ns = res.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    const key = FakeCluster.keyOf(res, ns, obj.metadata.name);
    const old = this.objects.get(key);
    const stored: KubeObject = {
      ...obj,
      metadata: {
        ...obj.metadata,
        namespace: ns,
        uid: (old?.metadata.uid as string) ?? `uid-${++this.uid}`,
        resourceVersion: String(++this.rv),
        // Like the API server: status writes do not bump the generation.
        generation: ((old?.metadata.generation as number) ?? 0) + (old && JSON.stringify(old.spec) === JSON.stringify(obj.spec) ? 0 : 1),
      },
    };
    this.objects.set(key, stored);
    this.emit(res, ns, old ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  private collectionKey(res: Res, namespace?: string): string {
    return `${res.group}/${res.resource}/${namespace ?? ''}`;
  }

  private emit(res: Res, namespace: string | undefined, type: string, object: KubeObject): void {
    for (const key of [this.collectionKey(res, namespace), this.collectionKey(res, undefined)]) {
      for (const l of this.listeners.get(key) ?? []) l({ type, object: structuredClone(object) as WatchEvent['object'] });
    }
    this.onWrite?.(object, type === 'DELETED');
  }

  watch = async (path: string, query: Record<string, unknown>, onEvent: Listener, _onDone: (err?: unknown) => void) => {
    const p = parse(path, this.resources)!;
    const key = this.collectionKey(p.res, p.namespace);
    const listener: Listener = (ev) => {
      if (!matchesLabels(ev.object, query.labelSelector as string | undefined)) return;
      if (!matchesFields(ev.object, query.fieldSelector as string | undefined)) return;
      onEvent(ev);
    };
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    set.add(listener);
    return { abort: () => set!.delete(listener) };
  };

  async request(req: KubeRequest): Promise<KubeResponse> {
    this.requests.push(req);
    const inj = this.injected.find((i) => i.match(req));
    if (inj) {
      inj.times = (inj.times ?? 1) - 1;
      if (inj.times <= 0) this.injected.splice(this.injected.indexOf(inj), 1);
      if (inj.afterExecuting) this.handle(req);
      if (typeof inj.status === 'string') {
        const { ApiError } = await import('../../src/deploy/errors.js');
        throw new ApiError(0, inj.status, `cannot reach the API server: ${inj.status}`);
      }
      return { status: inj.status, body: inj.body ?? status(inj.status, 'InternalError', `injected ${inj.status}`), headers: {} };
    }
    await Promise.resolve();
    return this.handle(req);
  }

  private handle(req: KubeRequest): KubeResponse {
    const ok = (body: unknown, code = 200): KubeResponse => ({ status: code, body: structuredClone(body), headers: {} });
    if (req.path === '/api' || req.path === '/apis') {
      const core = req.path === '/api';
      const groups = new Map<string, Res[]>();
      for (const r of this.resources) if ((r.group === '') === core) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
      return ok({
        kind: 'APIGroupDiscoveryList',
        items: [...groups].map(([g, rs]) => ({
          metadata: { name: g },
          versions: [
            {
              version: 'v1',
              resources: rs.map((r) => ({ resource: r.resource, responseKind: { group: g, version: r.version, kind: r.kind }, scope: r.namespaced ? 'Namespaced' : 'Cluster' })),
            },
          ],
        })),
      });
    }
    const p = parse(req.path, this.resources);
    if (!p) return { status: 404, body: status(404, 'NotFound', `no route ${req.path}`), headers: {} };
    const { res, namespace, name } = p;
    const q = req.query ?? {};
    const nsMissing = () =>
      res.namespaced && namespace && namespace !== 'default' && !this.objects.has(FakeCluster.keyOf(RESOURCES[0]!, undefined, namespace));
    if (!name && req.method === 'POST') {
      // Create: 409 AlreadyExists when the name is taken (the apply lock relies on it).
      const body = JSON.parse(req.body!) as KubeObject;
      if (nsMissing()) return { status: 404, body: status(404, 'NotFound', `namespaces "${namespace}" not found`), headers: {} };
      const key = FakeCluster.keyOf(res, res.namespaced ? namespace : undefined, body.metadata.name);
      if (this.objects.has(key)) return { status: 409, body: status(409, 'AlreadyExists', `${res.resource} "${body.metadata.name}" already exists`), headers: {} };
      const stored: KubeObject = {
        ...body,
        metadata: {
          ...body.metadata,
          namespace: res.namespaced ? namespace : undefined,
          uid: `uid-${++this.uid}`,
          resourceVersion: String(++this.rv),
          generation: 1,
          managedFields: [{ manager: q.fieldManager as string, operation: 'Update' }],
        },
      };
      this.objects.set(key, stored);
      this.emit(res, stored.metadata.namespace, 'ADDED', stored);
      return ok(stored, 201);
    }
    if (!name) {
      if (req.method !== 'GET') return { status: 405, body: status(405, 'MethodNotAllowed', 'no'), headers: {} };
      const items = [...this.objects.values()].filter((o) => {
        if (o.kind !== res.kind || (o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : '') !== res.group) return false;
        if (res.namespaced && namespace && o.metadata.namespace !== namespace) return false;
        return matchesLabels(o, q.labelSelector as string | undefined) && matchesFields(o, q.fieldSelector as string | undefined);
      });
      return ok({ kind: `${res.kind}List`, metadata: { resourceVersion: String(this.rv) }, items });
    }
    const key = FakeCluster.keyOf(res, res.namespaced ? namespace : undefined, name);
    const existing = this.objects.get(key);
    if (req.method === 'GET') {
      return existing ? ok(existing) : { status: 404, body: status(404, 'NotFound', `${res.resource} "${name}" not found`), headers: {} };
    }
    if (req.method === 'DELETE') {
      if (!existing) return { status: 404, body: status(404, 'NotFound', `${res.resource} "${name}" not found`), headers: {} };
      const opts = req.body ? JSON.parse(req.body) : {};
      if (opts.preconditions?.uid && opts.preconditions.uid !== existing.metadata.uid) {
        return { status: 409, body: status(409, 'Conflict', 'Precondition failed: UID mismatch'), headers: {} };
      }
      if (!opts.dryRun) {
        this.objects.delete(key);
        this.emit(res, existing.metadata.namespace, 'DELETED', existing);
      }
      return ok(status(200, '', 'deleted'));
    }
    if (req.method === 'PATCH' && req.contentType === 'application/merge-patch+json') {
      // Only metadata labels/annotations (null removes), with a resourceVersion precondition like the API server's.
      if (!existing) return { status: 404, body: status(404, 'NotFound', `${res.resource} "${name}" not found`), headers: {} };
      const patch = JSON.parse(req.body!) as { metadata?: { resourceVersion?: string; annotations?: Record<string, string | null>; labels?: Record<string, string | null> } };
      const want = patch.metadata?.resourceVersion;
      if (want !== undefined && want !== existing.metadata.resourceVersion) {
        return {
          status: 409,
          body: status(409, 'Conflict', `Operation cannot be fulfilled on ${res.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`),
          headers: {},
        };
      }
      const mergeMap = (a: Record<string, string> | undefined, b: Record<string, string | null> | undefined) => {
        const out = { ...(a ?? {}) };
        for (const [k, v] of Object.entries(b ?? {})) if (v === null) delete out[k];
        else out[k] = v;
        return out;
      };
      const stored: KubeObject = {
        ...existing,
        metadata: {
          ...existing.metadata,
          annotations: mergeMap(existing.metadata.annotations, patch.metadata?.annotations),
          labels: mergeMap(existing.metadata.labels, patch.metadata?.labels),
          resourceVersion: String(++this.rv),
        },
      };
      if (!Object.keys(stored.metadata.annotations!).length) delete stored.metadata.annotations;
      if (!Object.keys(stored.metadata.labels!).length) delete stored.metadata.labels;
      this.objects.set(key, stored);
      this.emit(res, stored.metadata.namespace, 'MODIFIED', stored);
      return ok(stored);
    }
    if (req.method === 'PATCH' && req.contentType === 'application/apply-patch+yaml') {
      const body = JSON.parse(req.body!) as KubeObject;
      if (!q.fieldManager) return { status: 422, body: status(422, 'Invalid', 'fieldManager is required'), headers: {} };
      if (body.metadata.name !== name) return { status: 400, body: status(400, 'BadRequest', 'name mismatch'), headers: {} };
      if (res.namespaced && body.metadata.namespace !== namespace) return { status: 400, body: status(400, 'BadRequest', 'namespace mismatch'), headers: {} };
      if (nsMissing()) {
        return { status: 404, body: status(404, 'NotFound', `namespaces "${namespace}" not found`), headers: {} };
      }
      if (q.fieldValidation === 'Strict' && 'bogus' in ((body.spec as object) ?? {})) {
        return { status: 400, body: status(400, 'BadRequest', `.spec.bogus: field not declared in schema`), headers: {} };
      }
      const owners = this.foreignOwners.get(key);
      if (owners && q.force !== 'true') {
        const causes = Object.entries(owners)
          .filter(([field]) => field.split('.').filter(Boolean).reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], body) !== undefined)
          .map(([field, manager]) => ({ reason: 'FieldManagerConflict', message: `conflict with "${manager}" using apps/v1`, field }));
        if (causes.length > 0) {
          return { status: 409, body: status(409, 'Conflict', `Apply failed with ${causes.length} conflict(s)`, causes), headers: {} };
        }
      }
      if (owners && q.force === 'true') this.foreignOwners.delete(key);
      const merged: KubeObject = {
        ...(existing ?? {}),
        ...body,
        metadata: {
          ...(existing?.metadata ?? {}),
          ...body.metadata,
          labels: { ...(existing?.metadata.labels ?? {}), ...(body.metadata.labels ?? {}) },
          annotations: { ...(existing?.metadata.annotations ?? {}), ...(body.metadata.annotations ?? {}) },
        },
      };
      if (!Object.keys(merged.metadata.annotations!).length) delete merged.metadata.annotations;
      if (!Object.keys(merged.metadata.labels!).length) delete merged.metadata.labels;
      const strip = (o: KubeObject | undefined) => {
        if (!o) return '';
        const { status: _s, ...r } = o;
        const { resourceVersion: _rv, uid: _u, generation: _g, creationTimestamp: _c, managedFields: _m, ...md } = r.metadata;
        return JSON.stringify({ ...r, metadata: md });
      };
      const changed = strip(existing) !== strip(merged);
      const stored: KubeObject = {
        ...merged,
        metadata: {
          ...merged.metadata,
          uid: (existing?.metadata.uid as string) ?? `uid-${++this.uid}`,
          resourceVersion: changed ? String(++this.rv) : existing!.metadata.resourceVersion,
          generation: changed ? (((existing?.metadata.generation as number) ?? 0) + 1) : existing!.metadata.generation,
          managedFields: [
            {
              manager: q.fieldManager as string,
              operation: 'Apply',
              ...(this.trackFieldSets ? { fieldsV1: fieldSetOf(appliedFields(body)) } : {}),
            },
          ],
        },
      };
      if (q.dryRun === 'All') return ok(stored, existing ? 200 : 201);
      if (res.kind === 'CustomResourceDefinition') {
        // Established at once, and served from now on.
        const spec = body.spec as { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string }[] };
        for (const v of spec.versions) {
          if (!this.resources.some((r) => r.group === spec.group && r.version === v.name && r.kind === spec.names.kind)) {
            this.resources.push({ group: spec.group, version: v.name, kind: spec.names.kind, resource: spec.names.plural, namespaced: spec.scope === 'Namespaced' });
          }
        }
        stored.status = { conditions: [{ type: 'NamesAccepted', status: 'True' }, { type: 'Established', status: 'True' }] };
      }
      if (changed) {
        this.objects.set(key, stored);
        this.emit(res, stored.metadata.namespace, existing ? 'MODIFIED' : 'ADDED', stored);
      }
      return ok(stored, existing ? 200 : 201);
    }
    return { status: 405, body: status(405, 'MethodNotAllowed', `${req.method} ${req.path}`), headers: {} };
  }

  close(): void {}
}

/** The fields of an applied body the API server tracks (not apiVersion, kind, name, namespace, resourceVersion). */
function appliedFields(body: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = body;
  const { name: _n, namespace: _ns, resourceVersion: _rv, ...meta } = metadata;
  return { ...rest, metadata: meta };
}

/** A fieldsV1 field set like the API server's: maps by field, lists of named objects by `k:{"name":...}`, other lists atomic. */
export function fieldSetOf(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) {
    if (!value.every((el) => el && typeof el === 'object' && typeof (el as { name?: unknown }).name === 'string')) return {};
    return Object.fromEntries(value.map((el) => [`k:${JSON.stringify({ name: (el as { name: string }).name })}`, { '.': {}, ...fieldSetOf(el) }]));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [`f:${k}`, fieldSetOf(v)]));
  }
  return {};
}

export function cm(name: string, data: Record<string, string> = { a: '1' }, namespace?: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...(namespace ? { namespace } : {}) }, data };
}

export function deployment(name: string, replicas = 1): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1` }] } },
    },
  };
}

export function service(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }] } };
}

/** Serves a FakeCluster over plain HTTP (watches stream JSON lines) and writes a kubeconfig for it. */
export async function serveFake(f: FakeCluster, dir: string): Promise<{ kubeconfig: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url!, 'http://x');
      const query = Object.fromEntries(url.searchParams);
      if (query.watch === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const h = await f.watch(url.pathname, query, (ev) => res.write(JSON.stringify(ev) + '\n'), () => {});
        req.on('close', () => h.abort());
        res.on('close', () => h.abort());
        return;
      }
      try {
        const r = await f.request({
          method: req.method as 'GET',
          path: url.pathname,
          query,
          body: chunks.length ? Buffer.concat(chunks).toString() : undefined,
          contentType: req.headers['content-type'],
          accept: req.headers.accept,
        });
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      } catch (e) {
        req.socket.destroy(e as Error);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = join(dir, 'fake-kubeconfig.json');
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'fake',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'fake', user: { token: 'fake-token' } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'from-context' } }],
    }),
  );
  return {
    kubeconfig,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
