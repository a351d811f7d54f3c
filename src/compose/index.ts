// Public surface of the front end (compose files -> the resolved model).

export { loadProject, type LoadOptions } from './loader.js';
export { withoutUnusedResources } from './unused.js';
export { goTimestamp } from './yaml.js';
export { readRegularFile } from './paths.js';
export { contextKind, isGitOverSsh } from './resolve-paths.js';
