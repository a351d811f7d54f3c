// Public surface of the emit stage (objects -> text and files). The heavy outputs (Helm chart, Kustomize base,
// HTML report, user templates) are their own modules, imported on demand by the commands that write them.

export { toYamlStream, toJsonList, inOutputKeyOrder } from './serialize.js';
export { validateObjects } from './validate.js';
export { composeConfigObject, composeConfigJson, composeConfigYaml, type ComposeConfigOptions } from './compose-config.js';
