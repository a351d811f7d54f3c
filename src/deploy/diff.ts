// diff: live objects against what a server-side dry-run apply would make of them, as a unified diff per object,
// like `kubectl diff --server-side`. Server-owned noise (managedFields, status, resourceVersion, generation, uid,
// creationTimestamp) is stripped; Secret values never appear, only their keys (`***`, or `*** (before)` /
// `*** (after)` when a value changes), as kubectl masks them; so does a Secret's applied-hash annotation.
import { stringify } from 'yaml';
import { checkInNewNamespace, namespacesToCreate, prepareObjects, withProjectNamespace } from './apply.js';
import { schemaValidator } from './schema.js';
import { DEFAULT_CONCURRENCY, DEFAULT_FIELD_MANAGER, listMembers } from './set.js';
import { applySetId, parentFor, pruneCandidates, readParent, checkParent, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { objectPath } from './discovery.js';
import { ApiError, parseConflicts } from './errors.js';
import { mapLimit } from './stages.js';
import { ANNOTATION_APPLIED_HASH } from './fieldset.js';
import { unifiedDiff } from './textdiff.js';
import { describeRef, groupKind, isPlainObject, type KubeObject, type ObjectRef } from './types.js';

export interface DiffOptions {
  cluster: Cluster;
  namespace: string;
  projectName?: string;
  applySet?: ParentRef | false;
  fieldManager?: string;
  forceConflicts?: boolean;
  /** As for applyObjects: show the project namespace as created when it does not exist. */
  createNamespace?: boolean;
  namespaceLabels?: Record<string, string>;
  /** Also show the members of the set that `apply --prune` would delete. */
  prune?: boolean;
  concurrency?: number;
}

export interface ObjectDiff {
  ref: ObjectRef;
  change: 'create' | 'update' | 'delete' | 'none' | 'error';
  /** Unified diff text; empty when unchanged. */
  diff: string;
  message?: string;
}

export interface DiffResult {
  /** True when anything would change (exit 1, like kubectl diff). */
  changed: boolean;
  /** True when an object could not be diffed (exit > 1). */
  failed: boolean;
  objects: ObjectDiff[];
  /** Concatenated diffs, ready to print. */
  text: string;
}

const STRIP_METADATA = ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** Removes what the server owns and what would only be noise in a diff. */
export function stripForDiff(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = object;
  const metadata: KubeObject['metadata'] = { ...object.metadata };
  for (const k of STRIP_METADATA) delete metadata[k];
  const annotations = { ...(metadata.annotations ?? {}) };
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...rest, metadata } as KubeObject;
}

function isSecret(o: KubeObject | undefined): boolean {
  return !!o && o.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === '/v1');
}

/**
 * Masks Secret values in both versions at once: equal values become `***`, differing ones `*** (before)` and
 * `*** (after)`, so the diff shows which keys change and nothing else. `stringData` is masked as well.
 */
export function maskSecrets(before: KubeObject | undefined, after: KubeObject | undefined): [KubeObject | undefined, KubeObject | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const b = before ? ({ ...before } as KubeObject) : undefined;
  const a = after ? ({ ...after } as KubeObject) : undefined;
  for (const field of ['data', 'stringData']) {
    const bv = b && isPlainObject(b[field]) ? (b[field] as Record<string, unknown>) : undefined;
    const av = a && isPlainObject(a[field]) ? (a[field] as Record<string, unknown>) : undefined;
    const bm: Record<string, string> = {};
    const am: Record<string, string> = {};
    for (const k of Object.keys(bv ?? {})) bm[k] = av && k in av && av[k] !== bv![k] ? '*** (before)' : '***';
    for (const k of Object.keys(av ?? {})) am[k] = bv && k in bv && bv[k] !== av![k] ? '*** (after)' : '***';
    if (b && bv) b[field] = bm;
    if (a && av) a[field] = am;
  }
  // The applied-hash annotation is a hash of the Secret including its data: printed, it would let a reader of the
  // diff confirm a guessed value offline. Masked the same way.
  const bh = b?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH];
  const ah = a?.metadata?.annotations?.[ANNOTATION_APPLIED_HASH];
  const mask = (o: KubeObject, v: string) => (o.metadata = { ...o.metadata, annotations: { ...o.metadata.annotations, [ANNOTATION_APPLIED_HASH]: v } });
  if (b && bh !== undefined) mask(b, ah !== undefined && ah !== bh ? '*** (before)' : '***');
  if (a && ah !== undefined) mask(a, bh !== undefined && ah !== bh ? '*** (after)' : '***');
  return [b, a];
}

/** YAML for diffing: keys sorted so that field order never shows as a change. */
export function diffYaml(object: KubeObject | undefined): string {
  if (!object) return '';
  return stringify(sortKeys(object), { lineWidth: 0, aliasDuplicateObjects: false });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlainObject(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys(v[k])]),
    );
  }
  return v;
}

function refPath(ref: ObjectRef): string {
  return `${groupKind(ref.group, ref.kind)}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** One object's diff from its live and would-be versions (pure). */
export function objectDiff(ref: ObjectRef, live: KubeObject | undefined, merged: KubeObject | undefined): ObjectDiff {
  const [b, a] = maskSecrets(live && stripForDiff(live), merged && stripForDiff(merged));
  const diff = unifiedDiff(diffYaml(b), diffYaml(a), live ? `live/${refPath(ref)}` : '/dev/null', merged ? `merged/${refPath(ref)}` : '/dev/null');
  const change = !diff ? 'none' : !live ? 'create' : !merged ? 'delete' : 'update';
  return { ref, change, diff };
}

/** Diffs each object against the cluster; never modifies anything (dry-run applies and, with prune, dry-run deletes). */
export async function diffObjects(objects: readonly KubeObject[], opts: DiffOptions): Promise<DiffResult> {
  const { cluster } = opts;
  const fieldManager = opts.fieldManager ?? DEFAULT_FIELD_MANAGER;
  let parent: ParentRef | undefined;
  if (opts.applySet !== false) parent = opts.applySet || (opts.projectName ? parentFor(opts.projectName, opts.namespace) : undefined);
  const id = parent ? applySetId(parent) : undefined;
  if (opts.createNamespace) objects = await withProjectNamespace(cluster, objects, opts.namespace, id, opts.namespaceLabels);
  const { prepared } = await prepareObjects(cluster, objects, opts.namespace, id);
  const newNamespaces = await namespacesToCreate(cluster, prepared);
  const validate = newNamespaces.size > 0 ? schemaValidator(cluster) : undefined;
  const results = await mapLimit(prepared, opts.concurrency ?? DEFAULT_CONCURRENCY, async (p): Promise<ObjectDiff> => {
    const path = objectPath(p.info, p.ref.name, p.ref.namespace);
    try {
      // A first deploy: the namespace does not exist, so the server cannot dry-run the object; show it as created.
      const problems = validate && (await checkInNewNamespace(p, newNamespaces, validate));
      if (problems?.length) return { ref: p.ref, change: 'error', diff: '', message: `invalid (checked against the server's schema): ${problems.join('; ')}` };
      if (problems) return objectDiff(p.ref, undefined, p.body);
      // Live and dry-run result must come from the same version of the object: a controller writing in between
      // (e.g. the Deployment revision annotation) would show up as a change we would make. The dry-run answer
      // carries the resourceVersion it was computed from; on a mismatch, read both again.
      let live: KubeObject | undefined;
      let merged: KubeObject | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        live = await cluster.client.getOptional<KubeObject>(path);
        merged = (
          await cluster.client.applyPatch(path, p.body, { fieldManager, force: opts.forceConflicts, dryRun: true, fieldValidation: 'Strict' }, describeRef(p.ref))
        ).object;
        if (!live || live.metadata.resourceVersion === merged.metadata?.resourceVersion) break;
      }
      return objectDiff(p.ref, live, merged);
    } catch (e) {
      const conflicts = e instanceof ApiError && e.status === 409 ? parseConflicts(e) : [];
      const message = conflicts.length
        ? `conflict: ${conflicts.map((c) => `${c.field} is owned by "${c.manager}"`).join('; ')} (use --force-conflicts to take ownership)`
        : (e as Error).message;
      return { ref: p.ref, change: 'error', diff: '', message };
    }
  });
  if (opts.prune && parent && id) {
    const path = `/api/v1/namespaces/${encodeURIComponent(parent.namespace)}/${parent.kind === 'Secret' ? 'secrets' : 'configmaps'}/${encodeURIComponent(parent.name)}`;
    const liveParent = await cluster.client.getOptional<KubeObject>(path);
    if (liveParent) {
      checkParent(liveParent, parent);
      const state = readParent(liveParent);
      const members = await listMembers(cluster, id, state.groupKinds, [parent.namespace, ...state.namespaces]);
      const doomed = pruneCandidates(members, prepared.map((p) => p.ref), parent);
      for (const ref of doomed) {
        const info = await cluster.discovery.resolveGroupKind(ref.group, ref.kind);
        if (!info) continue;
        const live = await cluster.client.getOptional<KubeObject>(objectPath(info, ref.name, ref.namespace));
        if (live) results.push(objectDiff(ref, live, undefined));
      }
    }
  }
  const text = results
    .map((r) => (r.change === 'error' ? `# ${describeRef(r.ref)}: error: ${r.message}\n` : r.diff))
    .filter(Boolean)
    .join('');
  return {
    changed: results.some((r) => r.change !== 'none' && r.change !== 'error'),
    failed: results.some((r) => r.change === 'error'),
    objects: results,
    text,
  };
}
