// kstatus (sigs.k8s.io/cli-utils/pkg/kstatus) ported to TypeScript: one status per object computed from the object
// alone — generation observed, Reconciling/Stalled conditions, then rules per built-in kind, then the generic Ready
// condition. Pure functions over plain objects; wait.ts feeds them from watches.
import { groupOf, isPlainObject, type KubeObject } from './types.js';

export type Status = 'InProgress' | 'Failed' | 'Current' | 'Terminating' | 'NotFound' | 'Unknown';

export interface StatusResult {
  status: Status;
  /** Machine-readable reason, e.g. `ProgressDeadlineExceeded`, `LessAvailable`. */
  reason?: string;
  message: string;
}

export interface StatusContext {
  /** volumeBindingMode of a StorageClass by name; `undefined` name means the default class. */
  volumeBindingMode?: (storageClassName: string | undefined) => string | undefined;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function int(obj: unknown, path: string, fallback: number): number {
  const v = get(obj, path);
  return typeof v === 'number' ? v : fallback;
}

function conditions(obj: unknown): Condition[] {
  const c = get(obj, 'status.conditions');
  return Array.isArray(c) ? (c.filter((x) => isPlainObject(x) && typeof x.type === 'string') as unknown as Condition[]) : [];
}

function condition(obj: unknown, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

const inProgress = (reason: string, message: string): StatusResult => ({ status: 'InProgress', reason, message });
const failed = (reason: string, message: string): StatusResult => ({ status: 'Failed', reason, message });
const current = (message: string): StatusResult => ({ status: 'Current', message });

/** kstatus `Compute`. `undefined` is NotFound. */
export function computeStatus(obj: KubeObject | undefined, ctx: StatusContext = {}): StatusResult {
  if (!obj) return { status: 'NotFound', message: 'not found' };
  if (obj.metadata.deletionTimestamp) return { status: 'Terminating', message: 'being deleted' };
  const generic = genericProperties(obj);
  if (generic) return generic;
  const group = groupOf(obj.apiVersion);
  switch (`${obj.kind}/${group}`) {
    case 'Deployment/apps':
      return deployment(obj);
    case 'StatefulSet/apps':
      return statefulSet(obj);
    case 'DaemonSet/apps':
      return daemonSet(obj);
    case 'ReplicaSet/apps':
      return replicaSet(obj);
    case 'Job/batch':
      return job(obj);
    case 'CronJob/batch':
    case 'ConfigMap/':
    case 'Secret/':
      return current('Resource is current');
    case 'Pod/':
      return pod(obj);
    case 'PersistentVolumeClaim/':
      return pvc(obj, ctx);
    case 'Service/':
      return service(obj);
    case 'PodDisruptionBudget/policy':
      return pdb(obj);
    case 'CustomResourceDefinition/apiextensions.k8s.io':
      return crd(obj);
    default:
      return readyCondition(obj);
  }
}

/** observedGeneration vs generation, then the abnormal-true conditions Reconciling and Stalled. */
function genericProperties(obj: KubeObject): StatusResult | undefined {
  const observed = get(obj, 'status.observedGeneration');
  const generation = obj.metadata.generation;
  if (typeof observed === 'number' && typeof generation === 'number' && observed !== generation) {
    return inProgress('LatestGenerationNotObserved', `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`);
  }
  const reconciling = condition(obj, 'Reconciling');
  if (reconciling?.status === 'True') return inProgress(reconciling.reason ?? 'Reconciling', reconciling.message || 'Reconciling');
  const stalled = condition(obj, 'Stalled');
  if (stalled?.status === 'True') return failed(stalled.reason ?? 'Stalled', stalled.message || 'Stalled');
  return undefined;
}

function deployment(obj: KubeObject): StatusResult {
  let progressing = false;
  let available = false;
  for (const c of conditions(obj)) {
    if (c.type === 'Progressing') {
      if (c.reason === 'ProgressDeadlineExceeded') return failed('ProgressDeadlineExceeded', c.message || 'Progress deadline exceeded');
      if (c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    } else if (c.type === 'Available' && c.status === 'True') available = true;
  }
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  if (spec > replicas) return inProgress('LessReplicas', `Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress('LessUpdated', `Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (updated > avail) return inProgress('LessAvailable', `Available: ${avail}/${updated}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress('ReplicaSetNotAvailable', 'ReplicaSet not Available');
  if (!available) return inProgress('DeploymentNotAvailable', 'Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
}

function statefulSet(obj: KubeObject): StatusResult {
  if (get(obj, 'spec.updateStrategy.type') === 'OnDelete') return current('StatefulSet is using the ondelete update strategy');
  const spec = int(obj, 'spec.replicas', 1);
  const ready = int(obj, 'status.readyReplicas', 0);
  const currentReplicas = int(obj, 'status.currentReplicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const replicas = int(obj, 'status.replicas', 0);
  const partition = int(obj, 'spec.updateStrategy.rollingUpdate.partition', -1);
  if (spec > replicas) return inProgress('LessReplicas', `Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  if (partition !== -1) {
    if (updated < spec - partition) return inProgress('LessUpdated', `updated: ${updated}/${spec - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress('LessCurrent', `current: ${currentReplicas}/${spec}`);
  const cur = get(obj, 'status.currentRevision');
  const upd = get(obj, 'status.updateRevision');
  if (cur !== upd) return inProgress('RevisionMismatch', 'Waiting for updated revision to match current');
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
}

function daemonSet(obj: KubeObject): StatusResult {
  const desired = int(obj, 'status.desiredNumberScheduled', -1);
  const scheduled = int(obj, 'status.currentNumberScheduled', 0);
  const updated = int(obj, 'status.updatedNumberScheduled', 0);
  const available = int(obj, 'status.numberAvailable', 0);
  const ready = int(obj, 'status.numberReady', 0);
  if (desired === -1) return inProgress('NoDesiredNumber', 'Missing .status.desiredNumberScheduled');
  if (desired > scheduled) return inProgress('LessCurrent', `Current: ${scheduled}/${desired}`);
  if (desired > updated) return inProgress('LessUpdated', `Updated: ${updated}/${desired}`);
  if (desired > available) return inProgress('LessAvailable', `Available: ${available}/${desired}`);
  if (desired > ready) return inProgress('LessReady', `Ready: ${ready}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
}

function replicaSet(obj: KubeObject): StatusResult {
  for (const c of conditions(obj)) {
    if (c.type === 'ReplicaFailure' && c.status === 'True') return inProgress('ReplicaFailure', c.message || 'Replica Failure condition. Check Pods');
  }
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const available = int(obj, 'status.availableReplicas', 0);
  const labelled = int(obj, 'status.fullyLabeledReplicas', 0);
  if (spec > labelled) return inProgress('LessLabelled', `Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress('LessAvailable', `Available: ${available}/${spec}`);
  if (spec > ready) return inProgress('LessReady', `Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress('ExtraPods', `Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
}

function job(obj: KubeObject): StatusResult {
  const parallelism = int(obj, 'spec.parallelism', 1);
  const completions = int(obj, 'spec.completions', parallelism);
  const succeeded = int(obj, 'status.succeeded', 0);
  const active = int(obj, 'status.active', 0);
  const failedPods = int(obj, 'status.failed', 0);
  for (const c of conditions(obj)) {
    if (c.type === 'Failed' && c.status === 'True') return failed(c.reason || 'JobFailed', `Job Failed. failed: ${failedPods}/${completions}${c.message ? ` (${c.message})` : ''}`);
    if (c.type === 'Complete' && c.status === 'True') return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
  }
  if (!get(obj, 'status.startTime')) return inProgress('JobNotStarted', 'Job not started');
  return inProgress('JobInProgress', `Job in progress. success:${succeeded}, active: ${active}, failed: ${failedPods}`);
}

/** Container names whose state is waiting in CrashLoopBackOff. */
function crashLooping(obj: KubeObject): string[] {
  const statuses = get(obj, 'status.containerStatuses');
  if (!Array.isArray(statuses)) return [];
  return statuses.filter((s) => get(s, 'state.waiting.reason') === 'CrashLoopBackOff').map((s) => String(get(s, 'name')));
}

function pod(obj: KubeObject): StatusResult {
  const phase = get(obj, 'status.phase');
  if (phase === 'Succeeded') return current('Pod has completed successfully');
  if (phase === 'Failed') return failed('PodFailed', 'Pod has completed, but not successfully');
  if (phase === 'Running') {
    if (condition(obj, 'Ready')?.status === 'True') return current('Pod is Ready');
    const crashing = crashLooping(obj);
    if (crashing.length > 0) return failed('ContainerCrashLooping', `Containers in CrashLoop state: ${crashing.join(',')}`);
    return inProgress('PodRunningNotReady', 'Pod is running but is not Ready');
  }
  if (phase === 'Pending') {
    const scheduled = condition(obj, 'PodScheduled');
    if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
      return inProgress('PodUnschedulable', `Pod could not be scheduled${scheduled.message ? `: ${scheduled.message}` : ''}`);
    }
    return inProgress('PodPending', 'Pod is in the Pending phase');
  }
  return inProgress('PodNotReady', `Pod phase is ${String(phase ?? 'unknown')}`);
}

function pvc(obj: KubeObject, ctx: StatusContext): StatusResult {
  const phase = get(obj, 'status.phase');
  if (phase === 'Bound') return current('PVC is Bound');
  const className = get(obj, 'spec.storageClassName');
  const mode = ctx.volumeBindingMode?.(typeof className === 'string' ? className : undefined);
  if (mode === 'WaitForFirstConsumer' && (phase === 'Pending' || phase === undefined)) {
    return current('PVC is Pending until a pod uses it (StorageClass volumeBindingMode WaitForFirstConsumer)');
  }
  return inProgress('NotBound', `PVC is not Bound. phase: ${String(phase ?? 'unknown')}`);
}

function service(obj: KubeObject): StatusResult {
  if (get(obj, 'spec.type') === 'LoadBalancer') {
    const ingress = get(obj, 'status.loadBalancer.ingress');
    if (!Array.isArray(ingress) || ingress.length === 0) return inProgress('NoIPAssigned', 'Pending external IP assignment');
    return current('Service is ready');
  }
  return current('Service is ready');
}

function pdb(obj: KubeObject): StatusResult {
  const currentHealthy = int(obj, 'status.currentHealthy', 0);
  const desiredHealthy = int(obj, 'status.desiredHealthy', 0);
  if (currentHealthy < desiredHealthy) return inProgress('BudgetNotMet', `Budget not met. healthy replicas: ${currentHealthy}/${desiredHealthy}`);
  return current(`Budget is met. Replicas: ${currentHealthy}/${desiredHealthy}`);
}

function crd(obj: KubeObject): StatusResult {
  for (const c of conditions(obj)) {
    if (c.type === 'NamesAccepted' && c.status === 'False') return failed(c.reason || 'NamesNotAccepted', c.message || 'names not accepted');
    if (c.type === 'Established') {
      if (c.status === 'True') return current('CRD is established');
      return inProgress(c.reason || 'NotEstablished', c.message || 'CRD is not established');
    }
  }
  return inProgress('Installing', 'Install in progress');
}

/** Unknown kinds: the Ready condition if there is one, otherwise current. */
function readyCondition(obj: KubeObject): StatusResult {
  const ready = condition(obj, 'Ready');
  if (!ready) return current('Resource is current');
  if (ready.status === 'True') return current(ready.message || 'Resource is Ready');
  return inProgress(ready.reason || 'NotReady', ready.message || 'Resource is not Ready');
}
