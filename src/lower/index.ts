// Public surface of the lowering stage (Compose model -> Kubernetes objects).

export { lowerProject, PASSES, type LowerResult } from './pipeline.js';
export { resolveOptions, DEFAULT_HELPER_IMAGE, type LowerOptions, type FilePort, type ExposeMode } from './options.js';
export type { KubeObject, LowerContext, ServiceUnit, Rollout } from './context.js';
export type { Pass } from './pass.js';
export type { ReportEntry, ReportStatus } from './conversion-report.js';
export { toKubeName } from './names.js';
export { sortForApply } from './assemble.js';
