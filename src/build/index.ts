// Public surface of the build stage (images of services with `build:`: build, push, pin digests, prune).
// run.ts drives a run; each service is built by service.ts and pushed by push.ts, with the engine connection
// and registry clients of session.ts, the builder of builder.ts and the error policy of failures.ts.

export { buildAndPush } from './run.js';
export type { BuildOptions, BuiltImage, BuilderKind } from './options.js';
export { buildQuery } from './query.js';
export { pinImages, type PinResult } from './pin.js';
export { pinDigests, pinnedReference, resolveProjectDigests, resolveTags, unpushedImages, type DigestOptions, type ProjectDigestChoices, type Resolution } from './digests.js';
export { contextIgnores, dockerignoreMatcher, packEntries, type ContextEntry } from './context.js';
export { checkImageUsers, classifyUser, type ImageUserCheck, type ImageUserProblem } from './image-user.js';
export { pruneImages, type PruneOptions, type PruneResult as ImagesPruneResult } from './prune.js';
export type { ProgressMode } from './progress.js';
