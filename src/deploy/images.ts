// Changing only the container images of deployed workloads (`update`, `rollback`), and the record of the images
// they ran before (kept on the ApplySet parent, so that `rollback` works from any machine).
//
// An image is changed with a server-side apply by compose2k8s' own field manager of exactly the configuration it
// applied last time, extracted from the live object with that manager's field set (the extract-modify-apply
// workflow of client-go's Extract* functions), with the new images. So the images stay owned by compose2k8s — the
// next `up` neither conflicts nor needs --force-conflicts, as it would after a JSON patch by another manager — and
// nothing else changes: only the pod templates of workloads whose image moved change, so only they roll.
import { error } from '../model/diagnostics.js';
import { parseReference, repositoryOf } from '../model/image-reference.js';
import { containersOf, podSpecOf, WORKLOAD_KINDS } from '../model/kube.js';
import { LABEL_PART_OF, applySetId, describeParent, parentApiPath, parentFor, readParent, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { collectionPath, objectPath } from './discovery.js';
import { ApiError, parseConflicts } from './errors.js';
import { ANNOTATION_APPLIED_HASH, withAppliedHash } from './fieldset.js';
import { acquireLock, type ApplyLock, type LockOptions } from './lock.js';
import { DEFAULT_CONCURRENCY, DEFAULT_FIELD_MANAGER, fetchParent } from './set.js';
import { mapLimit } from './stages.js';
import { describeRef, isPlainObject, parseGroupKind, refKey, refOf, type KubeObject, type Logger, type ObjectRef } from './types.js';

/** On the ApplySet parent: JSON of workload (refKey) -> container -> the image it ran before its last image change. */
export const ANNOTATION_PREVIOUS_IMAGES = 'compose2k8s.io/previous-images';
/** Field manager of the record's writes (a merge patch; the parent's server-side apply leaves the annotation alone). */
export const IMAGES_FIELD_MANAGER = 'compose2k8s-images';

/** Container name -> image. */
export type ImageMap = Record<string, string>;
/** Workload (refKey) -> the images its containers ran before. */
export type ImageHistory = Record<string, ImageMap>;

/** The image of every container of a workload or Pod (init and ephemeral ones included). */
export function imagesOf(o: KubeObject): ImageMap {
  const out: ImageMap = {};
  for (const c of containersOf(podSpecOf(o))) if (c.name && typeof c.image === 'string') out[c.name] = c.image;
  return out;
}

export function isWorkload(kind: string): boolean {
  return kind === 'Pod' || WORKLOAD_KINDS.has(kind);
}

export function readHistory(parent: KubeObject | undefined): ImageHistory {
  const raw = parent?.metadata.annotations?.[ANNOTATION_PREVIOUS_IMAGES];
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (!isPlainObject(v)) return {};
    const out: ImageHistory = {};
    for (const [k, m] of Object.entries(v)) {
      if (!isPlainObject(m)) continue;
      const images = Object.fromEntries(Object.entries(m).filter((e): e is [string, string] => typeof e[1] === 'string'));
      if (Object.keys(images).length > 0) out[k] = images;
    }
    return out;
  } catch {
    return {};
  }
}

export interface ImageTransition {
  key: string;
  before: ImageMap;
  after: ImageMap;
}

/**
 * The record after some workloads changed images: a workload whose images changed gets the images its changed
 * containers ran before (so a rollback after a rollback goes forward again); the others keep their entry. With
 * `present`, entries of workloads that no longer exist are dropped.
 */
export function nextHistory(history: ImageHistory, transitions: readonly ImageTransition[], present?: ReadonlySet<string>): ImageHistory {
  const out: ImageHistory = {};
  for (const [k, v] of Object.entries(history)) if (!present || present.has(k)) out[k] = v;
  for (const t of transitions) {
    const previous: ImageMap = {};
    for (const [c, image] of Object.entries(t.before)) if (t.after[c] !== undefined && t.after[c] !== image) previous[c] = image;
    if (Object.keys(previous).length > 0) out[t.key] = previous;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** Writes the record on the parent (no request when it is unchanged). */
export async function writeHistory(cluster: Cluster, parent: ParentRef, live: KubeObject, history: ImageHistory): Promise<void> {
  const value = Object.keys(history).length > 0 ? JSON.stringify(history) : null;
  if ((live.metadata.annotations?.[ANNOTATION_PREVIOUS_IMAGES] ?? null) === value) return;
  await cluster.client.request(
    {
      method: 'PATCH',
      path: parentApiPath(parent),
      query: { fieldManager: IMAGES_FIELD_MANAGER },
      contentType: 'application/merge-patch+json',
      body: JSON.stringify({ metadata: { annotations: { [ANNOTATION_PREVIOUS_IMAGES]: value } } }),
    },
    `the image record on ApplySet parent ${describeParent(parent)}`,
  );
}

/**
 * The part of `value` that the field set `node` (managedFields fieldsV1) covers: `f:` fields, `k:` list elements by
 * key, `v:` by value, `i:` by index; a leaf (`{}`) takes the value whole (a scalar, or an atomic list or map).
 */
export function extractFields(value: unknown, node: unknown): unknown {
  if (!isPlainObject(node)) return undefined;
  const keys = Object.keys(node).filter((k) => k !== '.');
  if (keys.length === 0) return '.' in node && isPlainObject(value) ? {} : value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((el, i) => {
      for (const k of keys) {
        if (k.startsWith('k:') && isPlainObject(el)) {
          let key: Record<string, unknown>;
          try {
            key = JSON.parse(k.slice(2)) as Record<string, unknown>;
          } catch {
            continue;
          }
          if (!Object.entries(key).every(([f, v]) => JSON.stringify(el[f]) === JSON.stringify(v))) continue;
          const sub = extractFields(el, node[k]);
          out.push({ ...key, ...(isPlainObject(sub) ? sub : {}) });
          return;
        }
        if (k === `v:${JSON.stringify(el)}`) {
          out.push(el);
          return;
        }
        if (k === `i:${i}`) {
          out.push(extractFields(el, node[k]) ?? el);
          return;
        }
      }
    });
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      if (!k.startsWith('f:')) continue;
      const f = k.slice(2);
      if (value[f] === undefined) continue;
      const sub = extractFields(value[f], node[k]);
      if (sub !== undefined) out[f] = sub;
    }
    return out;
  }
  return value;
}

/** What `manager` applied to `live` (its Apply entry's fields), as an object to apply again; undefined without one. */
export function extractApplied(live: KubeObject, manager: string): KubeObject | undefined {
  const entry = (live.metadata.managedFields as { manager?: string; operation?: string; subresource?: string; fieldsV1?: unknown }[] | undefined)?.find(
    (m) => m.manager === manager && m.operation === 'Apply' && !m.subresource,
  );
  if (!entry || !isPlainObject(entry.fieldsV1)) return undefined;
  const owned = extractFields(live, entry.fieldsV1) as Record<string, unknown>;
  const metadata = isPlainObject(owned.metadata) ? owned.metadata : {};
  return {
    ...owned,
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: { ...metadata, name: live.metadata.name, ...(live.metadata.namespace ? { namespace: live.metadata.namespace } : {}) },
  };
}

/** A copy of `body` with these container images; the containers must be in it. */
export function withImages(body: KubeObject, images: ImageMap): KubeObject {
  const copy = structuredClone(body);
  const containers = containersOf(podSpecOf(copy));
  for (const [name, image] of Object.entries(images)) {
    const c = containers.find((x) => x.name === name);
    if (!c) throw new Error(`container ${name} is not among the fields compose2k8s applied`);
    c.image = image;
  }
  return copy;
}

/** Every workload and Pod of the set, as full objects (kind and apiVersion filled in). */
export async function listWorkloadObjects(cluster: Cluster, id: string, groupKinds: readonly string[], namespaces: readonly string[]): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  await Promise.all(
    groupKinds.map(async (gk) => {
      const { group, kind } = parseGroupKind(gk);
      if (!isWorkload(kind)) return;
      const info = await cluster.discovery.resolveGroupKind(group, kind);
      if (!info) return;
      for (const ns of info.namespaced ? [...new Set(namespaces)] : [undefined]) {
        let cont: string | undefined;
        do {
          const list = await cluster.client.get<{ items?: KubeObject[]; metadata?: { continue?: string } }>(collectionPath(info, ns), {
            labelSelector: `${LABEL_PART_OF}=${id}`,
            limit: 500,
            continue: cont,
          });
          for (const item of list.items ?? []) out.push({ ...item, apiVersion: group ? `${group}/${info.version}` : info.version, kind });
          cont = list.metadata?.continue || undefined;
        } while (cont);
      }
    }),
  );
  return out.sort((a, b) => refKey(refOf(a)).localeCompare(refKey(refOf(b))));
}

export interface DeployedWorkloads {
  parent: ParentRef;
  /** The parent as it is now; undefined when the project was never applied to this namespace. */
  live?: KubeObject;
  workloads: KubeObject[];
  history: ImageHistory;
}

/** The workloads of a project's ApplySet, and its image record. */
export async function deployedWorkloads(cluster: Cluster, namespace: string, projectName: string): Promise<DeployedWorkloads> {
  const parent = parentFor(projectName, namespace);
  const live = await fetchParent(cluster, parent);
  if (!live) return { parent, workloads: [], history: {} };
  const state = readParent(live);
  const workloads = await listWorkloadObjects(cluster, applySetId(parent), state.groupKinds, [namespace, ...state.namespaces]);
  return { parent, live, workloads, history: readHistory(live) };
}

export interface ImageChange {
  ref: ObjectRef;
  /** Container -> new image. */
  images: ImageMap;
}

export interface ImageChangeResult {
  ref: ObjectRef;
  outcome: 'configured' | 'unchanged' | 'failed';
  message?: string;
  before: ImageMap;
  after: ImageMap;
  /** The object the server returned. */
  live?: KubeObject;
}

export interface SetImagesOptions {
  cluster: Cluster;
  namespace: string;
  projectName: string;
  fieldManager?: string;
  forceConflicts?: boolean;
  /** Hold the project's apply lock (the CLI always does). */
  lock?: LockOptions;
  concurrency?: number;
  log?: Logger;
}

/**
 * Sets the images of some workloads of a project (each: extract what compose2k8s applied, change the images, apply
 * it again) and records the images they ran before on the ApplySet parent. Per-workload failures are reported in
 * the results; throws when the project is not deployed here or the lock cannot be taken.
 */
export async function setImages(changes: readonly ImageChange[], opts: SetImagesOptions): Promise<{ ok: boolean; results: ImageChangeResult[] }> {
  const { cluster } = opts;
  const fieldManager = opts.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const parent = parentFor(opts.projectName, opts.namespace);
  let lock: ApplyLock | undefined;
  if (opts.lock) {
    lock = await acquireLock(cluster, parent, { ...opts.lock, createParent: false, log: opts.lock.log ?? opts.log });
    if (!lock) throw notDeployed(opts.projectName, opts.namespace);
  }
  try {
    const results = await mapLimit(changes, opts.concurrency ?? DEFAULT_CONCURRENCY, (change) => setOne(cluster, change, fieldManager, opts.forceConflicts, lock));
    const live = await fetchParent(cluster, parent);
    if (!live) throw notDeployed(opts.projectName, opts.namespace);
    const moved = results.filter((r) => r.outcome === 'configured').map((r) => ({ key: refKey(r.ref), before: r.before, after: r.after }));
    if (moved.length > 0) {
      lock?.check();
      await writeHistory(cluster, parent, live, nextHistory(readHistory(live), moved));
    }
    return { ok: results.every((r) => r.outcome !== 'failed'), results };
  } finally {
    await lock?.release();
  }
}

function notDeployed(projectName: string, namespace: string) {
  return error('deploy.not-deployed', `project ${projectName} is not deployed in namespace ${namespace} (no ApplySet parent Secret compose2k8s-${projectName}); deploy it with \`compose2k8s up\``);
}

async function setOne(cluster: Cluster, change: ImageChange, fieldManager: string, force: boolean | undefined, lock: ApplyLock | undefined): Promise<ImageChangeResult> {
  const ref = change.ref;
  const fail = (message: string, before: ImageMap = {}): ImageChangeResult => ({ ref, outcome: 'failed', message, before, after: before });
  const info = await cluster.discovery.resolveGroupKind(ref.group, ref.kind);
  if (!info) return fail(`the server no longer serves ${ref.kind}`);
  const path = objectPath(info, ref.name, ref.namespace);
  const got = await cluster.client.getOptional<KubeObject>(path);
  if (!got) return fail('it no longer exists');
  const live = { ...got, apiVersion: ref.group ? `${ref.group}/${info.version}` : info.version, kind: ref.kind };
  const before = imagesOf(live);
  const after = { ...before, ...change.images };
  if (Object.entries(change.images).every(([c, image]) => before[c] === image)) return { ref, outcome: 'unchanged', before, after: before, live };
  const applied = extractApplied(live, fieldManager);
  if (!applied) return fail(`it has no fields applied by field manager "${fieldManager}" (was it deployed with another --field-manager?)`, before);
  let body: KubeObject;
  try {
    body = withImages(applied, change.images);
  } catch (e) {
    return fail((e as Error).message, before);
  }
  // What was applied now, hashed (fieldset.ts): the next `up` skips the object only if it would send exactly this.
  const annotations = { ...body.metadata.annotations };
  delete annotations[ANNOTATION_APPLIED_HASH];
  body = withAppliedHash({ ...body, metadata: { ...body.metadata, annotations } });
  // Optimistic concurrency: fails with 409 if the object changed since it was read.
  body.metadata.resourceVersion = live.metadata.resourceVersion;
  lock?.check();
  try {
    const res = await cluster.client.applyPatch(path, body, { fieldManager, force, fieldValidation: 'Strict' }, describeRef(ref));
    return { ref, outcome: 'configured', before, after: imagesOf(res.object), live: res.object };
  } catch (e) {
    const conflicts = e instanceof ApiError && e.status === 409 ? parseConflicts(e) : [];
    const message =
      conflicts.length > 0
        ? `conflict: ${conflicts.map((c) => `${c.field || '(unknown field)'} is owned by "${c.manager}"`).join('; ')} (rerun with --force-conflicts to take ownership)`
        : (e as Error).message;
    return fail(message, before);
  }
}

/**
 * For apply: the images of these live workloads before applying (one GET each, `concurrency` at a time; one gone
 * meanwhile is left out). Then `recordAppliedImages` writes the record of what changed.
 */
export async function workloadImagesBefore(
  cluster: Cluster,
  workloads: readonly { ref: ObjectRef; info: { group: string; version: string; kind: string; resource: string; namespaced: boolean } }[],
  concurrency = DEFAULT_CONCURRENCY,
): Promise<Map<string, ImageMap>> {
  const out = new Map<string, ImageMap>();
  await mapLimit(workloads, concurrency, async (w) => {
    const live = await cluster.client.getOptional<KubeObject>(objectPath(w.info, w.ref.name, w.ref.namespace));
    if (live) out.set(refKey(w.ref), imagesOf({ ...live, kind: w.ref.kind }));
  });
  return out;
}

export async function recordAppliedImages(
  cluster: Cluster,
  parent: ParentRef,
  before: ReadonlyMap<string, ImageMap>,
  applied: readonly { ref: ObjectRef; live?: KubeObject }[],
  present: ReadonlySet<string>,
): Promise<void> {
  const transitions: ImageTransition[] = [];
  for (const r of applied) {
    if (!r.live || !isWorkload(r.ref.kind)) continue;
    const key = refKey(r.ref);
    const was = before.get(key);
    if (was) transitions.push({ key, before: was, after: imagesOf(r.live) });
  }
  const live = await fetchParent(cluster, parent);
  if (!live) return;
  const history = readHistory(live);
  await writeHistory(cluster, parent, live, nextHistory(history, transitions, present));
}

/**
 * A Job's pod template cannot change once it exists (the API server refuses it). So an existing Job keeps the digest
 * it ran with where only the digest behind the same repository and tag moved, instead of failing the apply; a new
 * Job (after `down`, or once it was deleted) runs the current one. Returns the body with those images, hash renewed,
 * or undefined when nothing needs keeping.
 */
export function keepJobDigests(body: KubeObject, live: ImageMap): KubeObject | undefined {
  if (body.kind !== 'Job') return undefined;
  const keep: ImageMap = {};
  for (const [name, image] of Object.entries(imagesOf(body))) {
    const was = live[name];
    if (!was || was === image) continue;
    const a = parseReference(image);
    const b = parseReference(was);
    if (a?.digest && b?.digest && repositoryOf(a) === repositoryOf(b) && (a.tag ?? 'latest') === (b.tag ?? 'latest')) keep[name] = was;
  }
  if (Object.keys(keep).length === 0) return undefined;
  const kept = withImages(body, keep);
  const annotations = { ...kept.metadata.annotations };
  delete annotations[ANNOTATION_APPLIED_HASH];
  return withAppliedHash({ ...kept, metadata: { ...kept.metadata, annotations } });
}
