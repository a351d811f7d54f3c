// The deploy stage's public API, for the CLI (src/cli/deploy-commands.ts) and the lead's wiring.
// Importing this module does not load @kubernetes/client-node; `connect` does, on first use.
export { applyObjects, applyBody, type ApplyOptions, type ApplyResult, type ObjectResult, type ObjectOutcome, type DryRun } from './apply.js';
export { diffObjects, type DiffOptions, type DiffResult, type ObjectDiff } from './diff.js';
export { pruneSet, deleteSet, setStatus, listMembers, DEFAULT_FIELD_MANAGER, DEFAULT_CONCURRENCY, type PruneResult, type DeleteSetResult, type MemberStatus } from './set.js';
export { waitFor, type WaitOptions, type WaitResult, type WaitObjectResult } from './wait.js';
export { computeStatus, type Status, type StatusResult } from './status.js';
export { connect, clusterFrom, KubeClient, HttpTransport, type Cluster, type ConnectOptions, type Transport, type WatchFn } from './client.js';
export { applySetId, parentFor, LABEL_PART_OF, LABEL_ID, TOOLING, type ParentRef } from './applyset.js';
export { deployedWorkloads, setImages, imagesOf, type ImageChange, type ImageChangeResult, type ImageHistory, type ImageMap } from './images.js';
export { ApiError } from './errors.js';
export type { KubeObject, ObjectRef } from './types.js';
export { clientNodeExec, ExecError, isNotFound, type ExecFn, type ExecRequest, type ExecResult } from './exec.js';
export { listPods, runningContainers, restartContainer, RestartHistory, selectorString, type RunningContainer, type RestartOptions, type RestartResult } from './pods.js';
export type { LockOptions } from './lock.js';
export { formatApply, formatWait, parseDuration } from './report.js';
