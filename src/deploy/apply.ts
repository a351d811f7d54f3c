// Server-side apply of a project's objects, in stages, with an ApplySet parent so that a later --prune (or down)
// finds exactly the objects this project applied. Transient failures are retried by the client; what still fails
// is reported per object, the remaining stages are skipped, nothing is pruned, and a rerun converges.
import { error } from '../model/diagnostics.js';
import {
  LABEL_PART_OF,
  additionalNamespacesOf,
  applySetId,
  checkParent,
  groupKindsOf,
  parentFor,
  parentObject,
  pruneCandidates,
  readParent,
  withPartOf,
  type ParentRef,
} from './applyset.js';
import type { Cluster } from './client.js';
import { collectionPath, objectPath, type ResourceInfo } from './discovery.js';
import { ApiError, parseConflicts, withContext, type FieldConflict } from './errors.js';
import { applyParent, deleteRefs, DEFAULT_CONCURRENCY, DEFAULT_FIELD_MANAGER, fetchParent, listMembers, type Member } from './set.js';
import { mapLimit, planStages } from './stages.js';
import { unchangedSince, withAppliedHash, type LiveMetadata } from './fieldset.js';
import { describeRef, groupOf, parseGroupKind, refKey, refOf, type KubeObject, type Logger, type ObjectRef } from './types.js';
import { waitFor } from './wait.js';
import { isClusterScoped } from '../model/kube.js';
import { schemaValidator, type ObjectValidator } from './schema.js';
import { acquireLock, LockNamespaceMissing, type ApplyLock, type LockOptions } from './lock.js';

export { DEFAULT_CONCURRENCY, DEFAULT_FIELD_MANAGER };

export type DryRun = 'none' | 'server' | 'client';


export interface ApplyOptions {
  cluster: Cluster;
  /** Namespace for namespaced objects that name none; also where the ApplySet parent lives. */
  namespace: string;
  /** Names the ApplySet parent (Secret compose2k8s-<project>). Required unless `applySet` is false. */
  projectName?: string;
  /** Another parent, or false to apply without an ApplySet (then prune is impossible). */
  applySet?: ParentRef | false;
  fieldManager?: string;
  dryRun?: DryRun;
  forceConflicts?: boolean;
  /** After every object applied, delete members of the set that are no longer desired. */
  prune?: boolean;
  /** Objects applied at once within a stage. */
  concurrency?: number;
  /**
   * Create `namespace` (as a member of the set, so down deletes it) when it does not exist; keep it in the set on
   * later runs. A namespace that existed before is never adopted.
   */
  createNamespace?: boolean;
  /** Labels of the namespace createNamespace creates (e.g. the pod-security.kubernetes.io labels). */
  namespaceLabels?: Record<string, string>;
  /**
   * Don't send objects whose live state provably matches (see fieldset.ts): same applied-hash annotation and our
   * field set still covering the manifest. Default true; false sends every object (the server then decides).
   */
  skipUnchanged?: boolean;
  /** How long to wait for CRDs of this set to be established before applying the rest. */
  crdTimeoutMs?: number;
  /**
   * Hold the project's apply lock (lock.ts: an annotation on the ApplySet parent) while applying and pruning, so
   * that two runs of the same project never interleave; waits for another holder up to `lock.timeoutMs`. Not taken
   * for dry runs. Default: no lock (the CLI always passes one).
   */
  lock?: LockOptions;
  log?: Logger;
}

export type ObjectOutcome = 'created' | 'configured' | 'unchanged' | 'failed' | 'skipped' | 'dry-run';

export interface ObjectResult {
  ref: ObjectRef;
  outcome: ObjectOutcome;
  /** Why it failed or was skipped. Never contains Secret values. */
  message?: string;
  conflicts?: FieldConflict[];
  /** What was sent (or would be): the manifest with namespace, labels and the applied-hash annotation. */
  object?: KubeObject;
  /** The object as the server returned it (or would, for server dry-run); absent when skipped as unchanged. */
  live?: KubeObject;
}

export interface ApplyResult {
  ok: boolean;
  results: ObjectResult[];
  /** Members of the set deleted by --prune (or that would be, in dry-run). */
  pruned: ObjectRef[];
  /** Prune failures, if any. */
  pruneErrors: { ref: ObjectRef; message: string }[];
  applySetId?: string;
  parent?: ParentRef;
}

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

function conflictMessage(conflicts: FieldConflict[]): string {
  const parts = conflicts.map((c) => `${c.field || '(unknown field)'} is owned by "${c.manager}"`);
  return `conflict: ${parts.join('; ')} (rerun with --force-conflicts to take ownership)`;
}

interface Before {
  resourceVersion?: string;
  generation?: number;
  applyTime?: string;
  meta?: LiveMetadata;
}

/** When `manager` last changed the object with an Apply (the server leaves it alone on a no-op apply). */
export function applyTime(managedFields: unknown, manager: string): string | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  const entry = managedFields.find((m) => m?.manager === manager && m?.operation === 'Apply' && !m?.subresource);
  return entry?.time;
}

/**
 * created (HTTP 201), unchanged, or configured. A no-op apply keeps the resourceVersion — unless a controller wrote
 * status in between; then our Apply entry's time and the generation tell that our apply changed nothing. The time
 * has one-second resolution: when our previous apply happened within two seconds of this response (server `Date`),
 * the time proves nothing and the answer is `configured`.
 */
export function outcomeOf(created: boolean, before: Before | undefined, after: KubeObject, manager: string, date?: string): ObjectOutcome {
  if (created) return 'created';
  if (!before) return 'configured';
  if (before.resourceVersion !== undefined && after.metadata?.resourceVersion === before.resourceVersion) return 'unchanged';
  const time = applyTime(after.metadata?.managedFields, manager);
  // The entry time may be taken a moment before the response's Date: treat the last two seconds as "now".
  const recent = date !== undefined && time !== undefined && Date.parse(date) - Date.parse(time) < 2000;
  if (time !== undefined && !recent && time === before.applyTime && after.metadata?.generation === before.generation) return 'unchanged';
  return 'configured';
}

/**
 * Applies `objects` (server-side apply) stage by stage. Never throws for per-object failures: the result says which
 * objects were applied, which failed (with the server's message or the conflicting managers) and which were skipped.
 * Throws a DiagnosticError before touching anything when an object is malformed, its kind is unknown to the server,
 * or the ApplySet parent belongs to another tool.
 */
export async function applyObjects(objects: readonly KubeObject[], opts: ApplyOptions): Promise<ApplyResult> {
  const log = opts.log ?? (() => {});
  const fieldManager = opts.fieldManager ?? DEFAULT_FIELD_MANAGER;
  const dryRun = opts.dryRun ?? 'none';
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const { cluster } = opts;

  let parent: ParentRef | undefined;
  if (opts.applySet !== false) {
    if (opts.applySet) parent = opts.applySet;
    else if (opts.projectName) parent = parentFor(opts.projectName, opts.namespace);
    else throw error('deploy.no-project', 'applyObjects needs a projectName (or applySet: false)');
  }
  if (opts.prune && !parent) throw error('deploy.prune-without-applyset', '--prune needs an ApplySet');
  const id = parent ? applySetId(parent) : undefined;

  if (dryRun === 'client') {
    // No request at all: report what would be sent.
    const results: ObjectResult[] = objects.map((o) => {
      const body = applyBody(o, !isClusterScoped(o), opts.namespace, id);
      return { ref: refOf(body), outcome: 'dry-run', live: body };
    });
    return { ok: true, results, pruned: [], pruneErrors: [], applySetId: id, parent };
  }

  if (opts.createNamespace) {
    const all = objects;
    objects = await withContext(`reading namespace ${opts.namespace}`, () => withProjectNamespace(cluster, all, opts.namespace, id, opts.namespaceLabels));
  }
  const { prepared } = await withContext("looking up the objects' resources (API discovery)", () => prepareObjects(cluster, objects, opts.namespace, id));
  const results = new Map<string, ObjectResult>();
  const newNamespaces = dryRun === 'server' ? await namespacesToCreate(cluster, prepared) : new Set<string>();
  const validate = newNamespaces.size > 0 ? schemaValidator(cluster) : undefined;
  const applyOne = async (p: PreparedObject, before?: Before): Promise<boolean> => {
    const key = refKey(p.ref);
    try {
      const problems = validate && (await checkInNewNamespace(p, newNamespaces, validate));
      if (problems) {
        const message = problems.length ? `invalid (checked against the server's schema; namespace ${p.ref.namespace} does not exist yet): ${problems.join('; ')}` : undefined;
        results.set(key, message ? { ref: p.ref, outcome: 'failed', message, object: p.body } : { ref: p.ref, outcome: 'dry-run', object: p.body, live: p.body });
        return !message;
      }
      const res = await cluster.client.applyPatch(
        objectPath(p.info, p.ref.name, p.ref.namespace),
        p.body,
        { fieldManager, force: opts.forceConflicts, dryRun: dryRun === 'server', fieldValidation: 'Strict' },
        describeRef(p.ref),
      );
      const outcome = dryRun === 'server' ? 'dry-run' : outcomeOf(res.created, before, res.object, fieldManager, res.date);
      results.set(key, { ref: p.ref, outcome, object: p.body, live: res.object });
      return true;
    } catch (e) {
      const err = e as Error;
      const conflicts = e instanceof ApiError && e.status === 409 ? parseConflicts(e) : [];
      const message = conflicts.length > 0 ? conflictMessage(conflicts) : failureMessage(err);
      results.set(key, { ref: p.ref, outcome: 'failed', message, conflicts: conflicts.length ? conflicts : undefined, object: p.body });
      return false;
    }
  };

  // The apply lock, before anything is read for the run: another run's writes must not interleave with ours.
  let lock: ApplyLock | undefined;
  let failedEarly = false;
  if (opts.lock && parent && dryRun === 'none') {
    const lockOpts = { ...opts.lock, log: opts.lock.log ?? log };
    try {
      lock = await withContext(`taking the apply lock on ${describeParent(parent)}`, () => acquireLock(cluster, parent, lockOpts));
    } catch (e) {
      if (!(e instanceof LockNamespaceMissing)) throw e;
      // The lock lives in the project's namespace: create it first (it is a member of the set, stage 0 anyway).
      const nsItem = prepared.find((p) => p.body.kind === 'Namespace' && p.ref.group === '' && p.ref.name === parent.namespace);
      if (!nsItem) {
        throw error('deploy.namespace-missing', `namespace "${parent.namespace}" does not exist (create it, or apply without --no-create-namespace)`);
      }
      log(`applying 1 object(s): ${planStages([nsItem.body])[0]!.name}`);
      if (await applyOne(nsItem)) lock = await withContext(`taking the apply lock on ${describeParent(parent)}`, () => acquireLock(cluster, parent, lockOpts));
      else failedEarly = true;
    }
  }
  try {
    return await applyLocked();
  } finally {
    await lock?.release();
  }

  async function applyLocked(): Promise<ApplyResult> {
    const desiredKeys = new Set(prepared.map((p) => refKey(p.ref)));
    const gks = groupKindsOf(prepared.map((p) => p.body));
    const extraNamespaces = parent ? additionalNamespacesOf(prepared.map((p) => p.body), parent.namespace) : [];

    // The parent and the live members (for resourceVersions, and later for pruning).
    let liveParent: KubeObject | undefined;
    let previous = { groupKinds: [] as string[], namespaces: [] as string[] };
    const before = new Map<string, Before>();
    if (parent && id) {
      liveParent = await withContext(`reading the ApplySet parent ${describeParent(parent)}`, () => fetchParent(cluster, parent));
      previous = readParent(liveParent);
      if (liveParent) {
        const members = await withContext(`listing the members of the ApplySet ${describeParent(parent)}`, () =>
          listMembers(cluster, id, previous.groupKinds, [parent.namespace, ...previous.namespaces]),
        );
        for (const m of members) {
          before.set(refKey(m), {
            resourceVersion: m.resourceVersion,
            generation: m.generation,
            applyTime: applyTime(m.managedFields, fieldManager),
            meta: { annotations: m.annotations, deletionTimestamp: m.deletionTimestamp, managedFields: m.managedFields },
          });
        }
      }
    }

    const stages = planStages(prepared.map((p) => p.body));
    const byKey = new Map(prepared.map((p) => [refKey(p.ref), p]));
    let failed = failedEarly;
    let lockLost: string | undefined;
    let parentDone = false;
    const unionGks = [...new Set([...previous.groupKinds, ...gks])].sort();
    const unionNs = [...new Set([...previous.namespaces, ...extraNamespaces])].sort();

    for (const [si, stage] of stages.entries()) {
      // Objects applied before the stages (the namespace the lock needed) are not sent again.
      const items = stage.objects.map((o) => byKey.get(refKey(refOf(o)))!).filter((p) => !results.has(refKey(p.ref)));
      if (!failed && lock?.lost) {
        failed = true;
        lockLost = `not applied: lost the apply lock (${lock.lostReason})`;
      }
      if (failed) {
        for (const p of items) results.set(refKey(p.ref), { ref: p.ref, outcome: 'skipped', message: lockLost ?? 'not applied: an earlier stage failed' });
        continue;
      }
      if (items.length === 0) continue;
      // The parent goes out before any member outside stage 0 (whose Namespaces the parent may live in), and lists
      // the union of old and new group-kinds so that an interrupted run can still prune everything later.
      // (A server dry run skips it: it would change nothing, and fails while the namespace is only dry-run created.)
      if (parent && !parentDone && dryRun === 'none' && (si > 0 || !items.some((p) => p.body.kind === 'Namespace'))) {
        try {
          await applyParent(cluster, parent, liveParent, unionGks, unionNs, { fieldManager });
          parentDone = true;
        } catch (e) {
          failed = true;
          const message = `ApplySet parent ${parent.kind} ${parent.namespace}/${parent.name}: ${(e as Error).message}`;
          log(`error: ${message}`);
          for (const p of items) results.set(refKey(p.ref), { ref: p.ref, outcome: 'skipped', message: `not applied: ${message}` });
          continue;
        }
      }
      log(`applying ${items.length} object(s): ${stage.name}`);
      await mapLimit(items, concurrency, async (p) => {
        const key = refKey(p.ref);
        if (dryRun === 'none' && opts.skipUnchanged !== false && unchangedSince(p.body, before.get(key)?.meta, fieldManager)) {
          results.set(key, { ref: p.ref, outcome: 'unchanged', object: p.body });
          return;
        }
        if (!(await applyOne(p, before.get(key)))) failed = true;
      });
      // Custom resources of this set need their CRDs established (and discovery refreshed) first.
      const crds = items.filter((p) => p.body.kind === 'CustomResourceDefinition' && results.get(refKey(p.ref))?.outcome !== 'failed');
      if (!failed && crds.length > 0 && dryRun === 'none') {
        log(`waiting for ${crds.length} CustomResourceDefinition(s) to be established`);
        const waited = await waitFor(
          crds.map((p) => p.body),
          { cluster, timeoutMs: opts.crdTimeoutMs ?? 60_000, namespace: opts.namespace },
        );
        if (!waited.ok) {
          failed = true;
          for (const w of waited.objects) {
            if (w.status !== 'Current') results.set(refKey(w.ref), { ref: w.ref, outcome: 'failed', message: `not established: ${w.message}` });
          }
        }
        cluster.discovery.invalidate();
      }
    }
    if (parent && !parentDone && !failed && dryRun === 'none') {
      try {
        await applyParent(cluster, parent, liveParent, unionGks, unionNs, { fieldManager });
      } catch (e) {
        failed = true;
        log(`error: ApplySet parent: ${(e as Error).message}`);
      }
    }

    const ordered = prepared.map((p) => results.get(refKey(p.ref))!);
    const result: ApplyResult = { ok: !failed, results: ordered, pruned: [], pruneErrors: [], applySetId: id, parent };
    if (failed || !opts.prune || !parent || !id) return result;

    // Prune: every desired object is applied, so anything else labelled part-of this set goes — provided we still
    // hold the lock (a run that took it over may have applied other objects since).
    if (lock) {
      await lock.renew();
      if (lock.lost) {
        result.ok = false;
        result.pruneErrors.push({ ref: { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name }, message: `nothing pruned: lost the apply lock (${lock.lostReason})` });
        return result;
      }
    }
    const members = await withContext(`listing the members of the ApplySet ${describeParent(parent)} to prune (nothing was pruned)`, () =>
      listMembers(cluster, id, unionGks, [parent.namespace, ...unionNs]),
    );
    const desiredRefs = [...desiredKeys].map((k) => byKey.get(k)!.ref);
    const doomed = pruneCandidates(members, desiredRefs, parent) as Member[];
    const del = await deleteRefs(cluster, doomed, { dryRun: dryRun === 'server', concurrency, log });
    result.pruned = del.deleted;
    result.pruneErrors = del.errors;
    if (del.errors.length > 0) {
      result.ok = false;
      return result;
    }
    // The set now holds exactly the desired group-kinds and namespaces.
    try {
      await applyParent(cluster, parent, parentObject(parent, unionGks, unionNs), gks, extraNamespaces, { fieldManager, dryRun: dryRun === 'server' });
    } catch (e) {
      result.ok = false;
      result.pruneErrors.push({ ref: { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name }, message: (e as Error).message });
    }
    return result;
  }
}

/**
 * The message of a failed apply. When the connection broke after the request was sent, the server may have applied
 * it: say so (a rerun converges either way: server-side apply is idempotent).
 */
const describeParent = (p: ParentRef) => `${p.kind} ${p.namespace}/${p.name}`;

export function failureMessage(err: Error): string {
  if (err instanceof ApiError && err.maybeApplied) {
    return `${err.message} (the server may or may not have applied it; rerun to converge)`;
  }
  return err.message;
}
