// Objects made ready to send, shared by apply and diff: the namespace defaulted (or removed for cluster-scoped
// kinds), the part-of label and applied-hash annotation set, server-owned metadata removed, each object's resource
// found by discovery (or in a CRD of the same set), and the namespaces the set will create.
import { error } from '../model/diagnostics.js';
import { LABEL_PART_OF, withPartOf } from './applyset.js';
import type { Cluster } from './client.js';
import type { ResourceInfo } from './discovery.js';
import { ApiError } from './errors.js';
import { withAppliedHash } from './fieldset.js';
import type { ObjectValidator } from './schema.js';
import { describeRef, groupOf, refKey, refOf, type KubeObject, type ObjectRef } from './types.js';

/** An object ready to send: namespace defaulted, part-of label set, server-owned metadata removed. */
export interface PreparedObject {
  ref: ObjectRef;
  body: KubeObject;
  info: ResourceInfo;
}

const SERVER_METADATA = ['resourceVersion', 'uid', 'creationTimestamp', 'managedFields', 'generation', 'selfLink', 'deletionTimestamp'];

/** What we send for an object: no status, no server-owned metadata, the namespace resolved. */
export function applyBody(object: KubeObject, namespaced: boolean, defaultNamespace: string, applySet?: string): KubeObject {
  const { status: _status, ...rest } = object;
  const metadata: KubeObject['metadata'] = { ...object.metadata };
  for (const k of SERVER_METADATA) delete metadata[k];
  if (namespaced) metadata.namespace = object.metadata.namespace || defaultNamespace;
  else delete metadata.namespace;
  const body: KubeObject = { ...rest, metadata };
  return applySet ? withPartOf(body, applySet) : body;
}

/**
 * Adds a Namespace object for the project namespace when it does not exist yet, or when it exists because an earlier
 * run of this set created it (it carries our part-of label); otherwise returns the objects unchanged.
 */
export async function withProjectNamespace(
  cluster: Cluster,
  objects: readonly KubeObject[],
  namespace: string,
  id: string | undefined,
  labels: Record<string, string> = {},
): Promise<readonly KubeObject[]> {
  if (objects.some((o) => o.kind === 'Namespace' && groupOf(o.apiVersion) === '' && o.metadata.name === namespace)) return objects;
  const live = await cluster.client.getOptional<KubeObject>(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
  if (live && (!id || live.metadata.labels?.[LABEL_PART_OF] !== id)) return objects;
  const metadata = Object.keys(labels).length ? { name: namespace, labels: { ...labels } } : { name: namespace };
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata }, ...objects];
}

/** Resolves each object's resource and namespace; kinds defined by CRDs of this same set are taken from those CRDs. */
export async function prepareObjects(
  cluster: Cluster,
  objects: readonly KubeObject[],
  namespace: string,
  applySet: string | undefined,
): Promise<{ prepared: PreparedObject[]; pending: KubeObject[] }> {
  const crdScopes = new Map<string, ResourceInfo>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || groupOf(o.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = (o.spec ?? {}) as { group?: string; names?: { kind?: string; plural?: string }; scope?: string; versions?: { name: string }[] };
    for (const v of spec.versions ?? []) {
      if (!spec.group || !spec.names?.kind || !spec.names.plural) continue;
      crdScopes.set(`${spec.group}/${v.name}/${spec.names.kind}`, {
        group: spec.group,
        version: v.name,
        kind: spec.names.kind,
        resource: spec.names.plural,
        namespaced: spec.scope !== 'Cluster',
      });
    }
  }
  const problems: string[] = [];
  const prepared: PreparedObject[] = [];
  const pending: KubeObject[] = [];
  for (const o of objects) {
    if (!o || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || !o.metadata?.name) {
      problems.push(`an object has no apiVersion, kind or metadata.name: ${JSON.stringify(o).slice(0, 120)}`);
      continue;
    }
    const fromCrd = crdScopes.get(`${groupOf(o.apiVersion)}/${o.apiVersion.split('/').pop()}/${o.kind}`);
    let info: ResourceInfo | undefined;
    try {
      info = await cluster.discovery.resolve(o.apiVersion, o.kind);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      if (fromCrd) info = fromCrd;
      else problems.push(`${describeRef(refOf(o))}: ${e.message}`);
    }
    if (!info) continue;
    const body = withAppliedHash(applyBody(o, info.namespaced, namespace, applySet));
    prepared.push({ ref: refOf(body), body, info });
    if (fromCrd && info === fromCrd) pending.push(o);
  }
  const seen = new Map<string, number>();
  for (const p of prepared) seen.set(refKey(p.ref), (seen.get(refKey(p.ref)) ?? 0) + 1);
  for (const [k, n] of seen) if (n > 1) problems.push(`${k.split('/').slice(0, 2).join(' ')} ${k.split('/').slice(2).join('/')} appears ${n} times`);
  if (problems.length > 0) throw error('deploy.invalid-objects', `cannot apply:\n  ${problems.join('\n  ')}`);
  return { prepared, pending };
}

/**
 * Namespaces of the set that do not exist yet. A server dry run of an object in one of them only answers
 * `namespaces "x" not found`; those objects are checked against the server's schema instead (schema.ts).
 */
export async function namespacesToCreate(cluster: Cluster, prepared: readonly PreparedObject[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const p of prepared) {
    if (p.body.kind !== 'Namespace' || p.ref.group !== '') continue;
    if (!(await cluster.client.getOptional(`/api/v1/namespaces/${encodeURIComponent(p.ref.name)}`))) out.add(p.ref.name);
  }
  return out;
}

/** In a namespace still to be created: validated against the schema, or undefined when the server can dry-run it. */
export async function checkInNewNamespace(p: PreparedObject, newNamespaces: ReadonlySet<string>, validate: ObjectValidator): Promise<string[] | undefined> {
  if (!p.info.namespaced || !p.ref.namespace || !newNamespaces.has(p.ref.namespace)) return undefined;
  return validate(p.body);
}
