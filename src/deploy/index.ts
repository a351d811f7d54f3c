// The deploy stage's entry: everything the deploy commands (src/cli/deploy-*.ts, image-update.ts, watch.ts) and the
// watch stage use comes from here.
// Importing it loads no heavy library: the client speaks HTTP itself, and kubeconfig.ts imports client-node's
// authenticators only when a kubeconfig needs them.
// apply.ts applies in stages (stages.ts) under the project's lock (lock.ts), with an ApplySet parent (applyset.ts,
// set.ts); prune.ts decides and deletes what is no longer desired, for apply --prune, diff --prune and down.ts.
export { applyObjects, type ApplyOptions, type ApplyResult, type ObjectResult, type ObjectOutcome, type DryRun } from './apply.js';
export { applyBody } from './prepare.js';
export { diffObjects, type DiffOptions, type DiffResult, type ObjectDiff } from './diff.js';
export { deleteSet, type DeleteSetResult } from './down.js';
export { setStatus, listMembers, DEFAULT_FIELD_MANAGER, DEFAULT_CONCURRENCY, type MemberStatus } from './set.js';
export { waitFor, type WaitOptions, type WaitResult, type WaitObjectResult } from './wait.js';
export { computeStatus, type Status, type StatusResult } from './status.js';
export { connect, clusterFrom, KubeClient, HttpTransport, type Cluster, type ConnectOptions, type Transport, type WatchFn } from './client.js';
export { applySetId, parentFor, LABEL_PART_OF, LABEL_ID, TOOLING, type ParentRef } from './applyset.js';
export type { LockOptions } from './lock.js';
export { deployedWorkloads, setImages, imagesOf, type ImageChange, type ImageChangeResult, type ImageHistory, type ImageMap } from './images.js';
export { ApiError } from './errors.js';
export { formatApply, formatWait, formatDelete, formatStatus, kubectlName, parseDuration } from './format.js';
export type { KubeObject, ObjectRef } from './types.js';
export { clientNodeExec, ExecError, isNotFound, type ExecFn, type ExecRequest, type ExecResult } from './exec.js';
export { listPods, runningContainers, restartContainer, RestartHistory, selectorString, type RunningContainer, type RestartOptions, type RestartResult } from './pods.js';
