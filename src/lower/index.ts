// Public surface of the lowering stage (Compose model -> Kubernetes objects).

export { lowerProject, PASSES, type LowerResult } from './pipeline.js';
export { resolveOptions, DEFAULT_HELPER_IMAGE, type LowerOptions, type FilePort, type ExposeMode, type PodSecurityLevel, type PodSecurityMode } from './options.js';
export type { PodSecurityService, PodSecurityFinding, StandardLevel } from './pod-security.js';
export type { KubeObject, LowerContext, ServiceUnit, Rollout } from './context.js';
export type { Pass } from './pass.js';
export type { ReportEntry, ReportStatus } from './report.js';
export { toKubeName } from './names.js';
export { sortForApply } from './assemble.js';
