// Shared types of the deploy stage. Nothing here imports @kubernetes/client-node: the client is loaded lazily
// (see client.ts) so that `convert` and the unit-tested pure modules never pay for it.

export {
  describeRef,
  groupKind,
  groupOf,
  isPlainObject,
  parseGroupKind,
  refKey,
  refOf,
  versionOf,
  type KubeObject,
  type ObjectRef,
} from '../model/kube.js';

/** Optional progress sink: every stage reports through it instead of printing. */
export type Logger = (line: string) => void;
