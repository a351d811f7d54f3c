// Server-side apply of a project's objects, in stages, with an ApplySet parent so that a later --prune (or down)
// finds exactly the objects this project applied. Transient failures are retried by the client; what still fails
// is reported per object, the remaining stages are skipped, nothing is pruned, and a rerun converges.
//
// applyObjects is the run, like kubectl apply's Run: prepare the objects, take the lock, read the set, apply the
// stages (the parent before the first member outside stage 0), announce the parent, prune (prune.ts), record the
// images workloads ran before (images.ts, for rollback). Each step is a function below.
import { error } from '../model/diagnostics.js';
import { isClusterScoped } from '../model/kube.js';
import { additionalNamespacesOf, applySetId, describeParent, groupKindsOf, parentFor, readParent, type ParentRef } from './applyset.js';
import type { Cluster } from './client.js';
import { objectPath } from './discovery.js';
import { ApiError, parseConflicts, withContext, type FieldConflict } from './errors.js';
import { unchangedSince, type LiveMetadata } from './fieldset.js';
import { isWorkload, keepJobDigests, recordAppliedImages, workloadImagesBefore, type ImageMap } from './images.js';
import { acquireLock, LockNamespaceMissing, type ApplyLock, type LockOptions } from './lock.js';
import { applyBody, checkInNewNamespace, namespacesToCreate, prepareObjects, withProjectNamespace, type PreparedObject } from './prepare.js';
import { pruneSet, type SetScope } from './prune.js';
import { schemaValidator, type ObjectValidator } from './schema.js';
import { applyParent, DEFAULT_CONCURRENCY, DEFAULT_FIELD_MANAGER, fetchParent, listMembers } from './set.js';
import { mapLimit, planStages, type Stage } from './stages.js';
import { describeRef, refKey, refOf, type KubeObject, type Logger, type ObjectRef } from './types.js';
import { waitFor } from './wait.js';

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
  /**
   * Record on the ApplySet parent the images that workloads whose images change ran before (images.ts), for
   * `rollback`. Costs one GET per existing workload that is sent (none when nothing changed). Not for dry runs.
   */
  recordImages?: boolean;
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

/**
 * Applies `objects` (server-side apply) stage by stage. Never throws for per-object failures: the result says which
 * objects were applied, which failed (with the server's message or the conflicting managers) and which were skipped.
 * Throws a DiagnosticError before touching anything when an object is malformed, its kind is unknown to the server,
 * or the ApplySet parent belongs to another tool.
 */
export async function applyObjects(objects: readonly KubeObject[], opts: ApplyOptions): Promise<ApplyResult> {
  const parent = applySetParent(opts);
  if (opts.dryRun === 'client') return clientDryRun(objects, opts, parent);
  const run = await prepareRun(objects, opts, parent);
  await takeLock(run);
  try {
    const set = await readSet(run);
    await applyStages(run, set);
    await announceParent(run, set);
    const results = run.prepared.map((p) => run.results.get(refKey(p.ref))!);
    const result: ApplyResult = { ok: !run.failed, results, pruned: [], pruneErrors: [], applySetId: run.id, parent };
    if (!run.failed && opts.prune && run.parent && run.id) await pruneAfterApply(run, set, result);
    await recordImages(run, set, result);
    return result;
  } finally {
    await run.lock?.release();
  }
}

/** What one run shares between its steps. */
interface ApplyRun {
  opts: ApplyOptions;
  cluster: Cluster;
  log: Logger;
  fieldManager: string;
  dryRun: DryRun;
  concurrency: number;
  parent?: ParentRef;
  id?: string;
  prepared: PreparedObject[];
  /** By refKey; an object applied before the stages (the namespace the lock needs) is not sent again. */
  results: Map<string, ObjectResult>;
  /** Namespaces a server dry run would create, and the schema check of the objects in them. */
  newNamespaces: ReadonlySet<string>;
  validate?: ObjectValidator;
  lock?: ApplyLock;
  /** An object failed (or the lock or the parent did): the remaining stages are skipped and nothing is pruned. */
  failed: boolean;
  /** The parent was applied with the union of old and new group-kinds and namespaces. */
  parentApplied: boolean;
}

/** The live set before this run, and what the parent announces while applying and after pruning. */
interface SetState {
  liveParent?: KubeObject;
  /** The live members' metadata, by refKey: for the outcome (unchanged or configured) and skipping unchanged objects. */
  before: Map<string, Before>;
  /** The union of what the parent announced and the desired group-kinds and namespaces. */
  union: SetScope;
  /** The desired objects' group-kinds and additional namespaces. */
  desired: SetScope;
  /** The live members that are workloads, by refKey. */
  liveWorkloads: Set<string>;
  /** With recordImages: the images of the existing workloads this run sends, before it sends them. */
  imagesBefore?: Map<string, ImageMap>;
}

/** The ApplySet parent: the given one, the project's, or none (`applySet: false`; then prune is impossible). */
function applySetParent(opts: ApplyOptions): ParentRef | undefined {
  let parent: ParentRef | undefined;
  if (opts.applySet !== false) {
    if (opts.applySet) parent = opts.applySet;
    else if (opts.projectName) parent = parentFor(opts.projectName, opts.namespace);
    else throw error('deploy.no-project', 'applyObjects needs a projectName (or applySet: false)');
  }
  if (opts.prune && !parent) throw error('deploy.prune-without-applyset', '--prune needs an ApplySet');
  return parent;
}

/** A client dry run sends no request at all: it reports what would be sent. */
function clientDryRun(objects: readonly KubeObject[], opts: ApplyOptions, parent: ParentRef | undefined): ApplyResult {
  const id = parent ? applySetId(parent) : undefined;
  const results: ObjectResult[] = objects.map((o) => {
    const body = applyBody(o, !isClusterScoped(o), opts.namespace, id);
    return { ref: refOf(body), outcome: 'dry-run', live: body };
  });
  return { ok: true, results, pruned: [], pruneErrors: [], applySetId: id, parent };
}

/** The objects ready to send (the project namespace added when asked), and how a server dry run checks new namespaces. */
async function prepareRun(objects: readonly KubeObject[], opts: ApplyOptions, parent: ParentRef | undefined): Promise<ApplyRun> {
  const { cluster } = opts;
  const dryRun = opts.dryRun ?? 'none';
  const id = parent ? applySetId(parent) : undefined;
  if (opts.createNamespace) {
    const all = objects;
    objects = await withContext(`reading namespace ${opts.namespace}`, () => withProjectNamespace(cluster, all, opts.namespace, id, opts.namespaceLabels));
  }
  const { prepared } = await withContext("looking up the objects' resources (API discovery)", () => prepareObjects(cluster, objects, opts.namespace, id));
  const newNamespaces = dryRun === 'server' ? await namespacesToCreate(cluster, prepared) : new Set<string>();
  return {
    opts,
    cluster,
    log: opts.log ?? (() => {}),
    fieldManager: opts.fieldManager ?? DEFAULT_FIELD_MANAGER,
    dryRun,
    concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
    parent,
    id,
    prepared,
    results: new Map(),
    newNamespaces,
    validate: newNamespaces.size > 0 ? schemaValidator(cluster) : undefined,
    failed: false,
    parentApplied: false,
  };
}

/**
 * The apply lock, before anything is read for the run: another run's writes must not interleave with ours. The
 * lock lives in the project's namespace: when that does not exist yet, it is applied first (it is a member of the
 * set, in stage 0 anyway).
 */
async function takeLock(run: ApplyRun): Promise<void> {
  const { opts, parent } = run;
  if (!opts.lock || !parent || run.dryRun !== 'none') return;
  const lockOpts = { ...opts.lock, log: opts.lock.log ?? run.log };
  const take = () => withContext(`taking the apply lock on ${describeParent(parent)}`, () => acquireLock(run.cluster, parent, lockOpts));
  try {
    run.lock = await take();
  } catch (e) {
    if (!(e instanceof LockNamespaceMissing)) throw e;
    const nsItem = run.prepared.find((p) => p.body.kind === 'Namespace' && p.ref.group === '' && p.ref.name === parent.namespace);
    if (!nsItem) {
      throw error('deploy.namespace-missing', `namespace "${parent.namespace}" does not exist (create it, or apply without --no-create-namespace)`);
    }
    run.log(`applying 1 object(s): ${planStages([nsItem.body])[0]!.name}`);
    if (await applyOne(run, nsItem)) run.lock = await take();
    else run.failed = true;
  }
}

/**
 * The parent and the live members (for resourceVersions, and later for pruning); with recordImages, the images of
 * the existing workloads that will be sent (the others cannot change).
 */
async function readSet(run: ApplyRun): Promise<SetState> {
  const { cluster, parent, id } = run;
  const bodies = run.prepared.map((p) => p.body);
  const desired = { groupKinds: groupKindsOf(bodies), namespaces: parent ? additionalNamespacesOf(bodies, parent.namespace) : [] };
  let liveParent: KubeObject | undefined;
  let previous = { groupKinds: [] as string[], namespaces: [] as string[] };
  const before = new Map<string, Before>();
  const liveWorkloads = new Set<string>();
  let imagesBefore: Map<string, ImageMap> | undefined;
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
          applyTime: applyTime(m.managedFields, run.fieldManager),
          meta: { annotations: m.annotations, deletionTimestamp: m.deletionTimestamp, managedFields: m.managedFields },
        });
        if (isWorkload(m.kind)) liveWorkloads.add(refKey(m));
      }
      if (run.opts.recordImages && run.dryRun === 'none') imagesBefore = await workloadImages(run, before, parent);
    }
  }
  const union = {
    groupKinds: [...new Set([...previous.groupKinds, ...desired.groupKinds])].sort(),
    namespaces: [...new Set([...previous.namespaces, ...desired.namespaces])].sort(),
  };
  return { liveParent, before, union, desired, liveWorkloads, imagesBefore };
}

/**
 * The images of the existing workloads that will be sent: one GET each. A Job keeps the digest it ran with (its pod
 * template cannot change), so its body is changed here, before any stage sends it.
 */
async function workloadImages(run: ApplyRun, before: Map<string, Before>, parent: ParentRef): Promise<Map<string, ImageMap>> {
  const sent = run.prepared.filter((p) => {
    const b = before.get(refKey(p.ref));
    return isWorkload(p.ref.kind) && b && !(run.opts.skipUnchanged !== false && unchangedSince(p.body, b.meta, run.fieldManager));
  });
  const images = await withContext(`reading the workloads of the ApplySet ${describeParent(parent)}`, () => workloadImagesBefore(run.cluster, sent, run.concurrency));
  for (const p of sent) {
    const live = images.get(refKey(p.ref));
    const kept = live && keepJobDigests(p.body, live);
    if (kept) {
      run.log(`${describeRef(p.ref)}: keeps the digest it ran with (a Job's pod template cannot change; it runs the new one when recreated)`);
      p.body = kept;
    }
  }
  return images;
}

/**
 * The stages in order, each only when every earlier one succeeded (else its objects are skipped). The parent goes
 * out before any member outside stage 0 (whose Namespaces the parent may live in), and lists the union of old and
 * new group-kinds so that an interrupted run can still prune everything later. (A server dry run skips it: it would
 * change nothing, and fails while the namespace is only dry-run created.)
 */
async function applyStages(run: ApplyRun, set: SetState): Promise<void> {
  const byKey = new Map(run.prepared.map((p) => [refKey(p.ref), p]));
  let skipReason: string | undefined;
  for (const [si, stage] of planStages(run.prepared.map((p) => p.body)).entries()) {
    // Objects applied before the stages (the namespace the lock needed) are not sent again.
    const items = stage.objects.map((o) => byKey.get(refKey(refOf(o)))!).filter((p) => !run.results.has(refKey(p.ref)));
    if (!run.failed && run.lock?.lost) {
      run.failed = true;
      skipReason = `not applied: lost the apply lock (${run.lock.lostReason})`;
    }
    if (run.failed) {
      skip(run, items, skipReason ?? 'not applied: an earlier stage failed');
      continue;
    }
    if (items.length === 0) continue;
    if (run.parent && !run.parentApplied && run.dryRun === 'none' && (si > 0 || !items.some((p) => p.body.kind === 'Namespace'))) {
      try {
        await applyParent(run.cluster, run.parent, set.liveParent, set.union.groupKinds, set.union.namespaces, { fieldManager: run.fieldManager });
        run.parentApplied = true;
      } catch (e) {
        run.failed = true;
        const message = `ApplySet parent ${describeParent(run.parent)}: ${(e as Error).message}`;
        run.log(`error: ${message}`);
        skip(run, items, `not applied: ${message}`);
        continue;
      }
    }
    await applyStage(run, set, stage, items);
  }
}

function skip(run: ApplyRun, items: readonly PreparedObject[], message: string): void {
  for (const p of items) run.results.set(refKey(p.ref), { ref: p.ref, outcome: 'skipped', message });
}

/** One stage's objects at once (up to the concurrency); then the CRDs among them established. */
async function applyStage(run: ApplyRun, set: SetState, stage: Stage, items: readonly PreparedObject[]): Promise<void> {
  run.log(`applying ${items.length} object(s): ${stage.name}`);
  await mapLimit(items, run.concurrency, async (p) => {
    const key = refKey(p.ref);
    if (run.dryRun === 'none' && run.opts.skipUnchanged !== false && unchangedSince(p.body, set.before.get(key)?.meta, run.fieldManager)) {
      run.results.set(key, { ref: p.ref, outcome: 'unchanged', object: p.body });
      return;
    }
    if (!(await applyOne(run, p, set.before.get(key)))) run.failed = true;
  });
  await establishCrds(run, items);
}

/** Custom resources of this set need their CRDs established (and discovery refreshed) first. */
async function establishCrds(run: ApplyRun, items: readonly PreparedObject[]): Promise<void> {
  const crds = items.filter((p) => p.body.kind === 'CustomResourceDefinition' && run.results.get(refKey(p.ref))?.outcome !== 'failed');
  if (run.failed || crds.length === 0 || run.dryRun !== 'none') return;
  run.log(`waiting for ${crds.length} CustomResourceDefinition(s) to be established`);
  const waited = await waitFor(
    crds.map((p) => p.body),
    { cluster: run.cluster, timeoutMs: run.opts.crdTimeoutMs ?? 60_000, namespace: run.opts.namespace },
  );
  if (!waited.ok) {
    run.failed = true;
    for (const w of waited.objects) {
      if (w.status !== 'Current') run.results.set(refKey(w.ref), { ref: w.ref, outcome: 'failed', message: `not established: ${w.message}` });
    }
  }
  run.cluster.discovery.invalidate();
}

/** Sends one object (or, in a namespace a server dry run would create, checks it against the schema). False when it failed. */
async function applyOne(run: ApplyRun, p: PreparedObject, before?: Before): Promise<boolean> {
  const key = refKey(p.ref);
  try {
    const problems = run.validate && (await checkInNewNamespace(p, run.newNamespaces, run.validate));
    if (problems) {
      const message = problems.length ? `invalid (checked against the server's schema; namespace ${p.ref.namespace} does not exist yet): ${problems.join('; ')}` : undefined;
      run.results.set(key, message ? { ref: p.ref, outcome: 'failed', message, object: p.body } : { ref: p.ref, outcome: 'dry-run', object: p.body, live: p.body });
      return !message;
    }
    const res = await run.cluster.client.applyPatch(
      objectPath(p.info, p.ref.name, p.ref.namespace),
      p.body,
      { fieldManager: run.fieldManager, force: run.opts.forceConflicts, dryRun: run.dryRun === 'server', fieldValidation: 'Strict' },
      describeRef(p.ref),
    );
    const outcome = run.dryRun === 'server' ? 'dry-run' : outcomeOf(res.created, before, res.object, run.fieldManager, res.date);
    run.results.set(key, { ref: p.ref, outcome, object: p.body, live: res.object });
    return true;
  } catch (e) {
    const err = e as Error;
    const conflicts = e instanceof ApiError && e.status === 409 ? parseConflicts(e) : [];
    const message = conflicts.length > 0 ? conflictMessage(conflicts) : failureMessage(err);
    run.results.set(key, { ref: p.ref, outcome: 'failed', message, conflicts: conflicts.length ? conflicts : undefined, object: p.body });
    return false;
  }
}

/** The parent, when no stage sent it yet (every member was in stage 0, or none needed sending). */
async function announceParent(run: ApplyRun, set: SetState): Promise<void> {
  if (!run.parent || run.parentApplied || run.failed || run.dryRun !== 'none') return;
  try {
    await applyParent(run.cluster, run.parent, set.liveParent, set.union.groupKinds, set.union.namespaces, { fieldManager: run.fieldManager });
  } catch (e) {
    run.failed = true;
    run.log(`error: ApplySet parent: ${(e as Error).message}`);
  }
}

/**
 * Every desired object is applied, so anything else labelled part-of this set goes (prune.ts) — provided we still
 * hold the lock (a run that took it over may have applied other objects since).
 */
async function pruneAfterApply(run: ApplyRun, set: SetState, result: ApplyResult): Promise<void> {
  const parent = run.parent!;
  if (run.lock) {
    await run.lock.renew();
    if (run.lock.lost) {
      result.ok = false;
      result.pruneErrors.push({ ref: { group: '', kind: parent.kind, namespace: parent.namespace, name: parent.name }, message: `nothing pruned: lost the apply lock (${run.lock.lostReason})` });
      return;
    }
  }
  const desired: ObjectRef[] = run.prepared.map((p) => p.ref);
  const pruned = await pruneSet(run.cluster, parent, run.id!, desired, { listed: set.union, desired: set.desired }, {
    dryRun: run.dryRun === 'server',
    concurrency: run.concurrency,
    log: run.log,
    fieldManager: run.fieldManager,
  });
  result.pruned = pruned.deleted;
  result.pruneErrors = pruned.errors;
  if (pruned.errors.length > 0) result.ok = false;
}

/** For rollback: on the parent, the images the workloads this run changed ran before (a failure is only a warning). */
async function recordImages(run: ApplyRun, set: SetState, result: ApplyResult): Promise<void> {
  const { parent } = run;
  if (!set.imagesBefore || !parent) return;
  const pruned = new Set(result.pruned.map(refKey));
  const present = new Set([
    ...run.prepared.filter((p) => isWorkload(p.ref.kind)).map((p) => refKey(p.ref)),
    ...[...set.liveWorkloads].filter((k) => !pruned.has(k)),
  ]);
  const applied = result.results.filter((r) => r.outcome === 'configured' || r.outcome === 'created');
  await recordAppliedImages(run.cluster, parent, set.imagesBefore, applied, present).catch((e: unknown) =>
    run.log(`warning: could not record the previous images on ${describeParent(parent)} for rollback: ${(e as Error).message}`),
  );
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
 * The message of a failed apply. When the connection broke after the request was sent, the server may have applied
 * it: say so (a rerun converges either way: server-side apply is idempotent).
 */
export function failureMessage(err: Error): string {
  if (err instanceof ApiError && err.maybeApplied) {
    return `${err.message} (the server may or may not have applied it; rerun to converge)`;
  }
  return err.message;
}
