// The watch stage: `compose2k8s watch` keeps a deployed project in step with its sources, following the compose
// `develop.watch` rules (docs/watch.md). It comes after compile/ and deploy/: it builds through build/, applies and
// execs through deploy/. chokidar is loaded only when a session starts.
export { runWatch, type WatchOptions, type WatchOutcome } from './session.js';
export type { WatchFactory, FileWatcher, WatchHandlers } from './files.js';
export { compileRules as checkRules } from './rules.js';
