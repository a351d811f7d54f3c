// What the build stage takes and what it gives back: the options of a run and, per service, the image it built or
// found.
import type { Diagnostics } from '../model/diagnostics.js';
import type { RetryOptions } from '../model/async.js';
import type { CredentialStore } from './auth.js';
import type { ProgressMode, Sink } from './progress.js';

export type BuilderKind = 'auto' | 'classic' | 'buildkit';

export interface BuildOptions {
  /** Only these services (default: every service with `build:`). */
  services?: string[];
  push?: boolean;
  /** `HOST[:PORT][/NAMESPACE]`: images are re-rooted under it. */
  registry?: string;
  /** Registries (host[:port]) that may be reached over plain HTTP (loopback ones always may). */
  insecureRegistries?: string[];
  /** Builds in flight at once (default: the number of CPUs). */
  parallel?: number;
  progress?: ProgressMode;
  /** `auto`: DOCKER_BUILDKIT if set, else the engine's default builder (Builder-Version from /_ping). */
  builder?: BuilderKind;
  env?: NodeJS.ProcessEnv;
  /** Warnings are added here. */
  diagnostics?: Diagnostics;
  signal?: AbortSignal;
  retry?: Partial<RetryOptions>;
  /** Where progress goes (default process.stderr). */
  progressStream?: Sink;
  /** Base for relative build contexts. */
  workingDir?: string;
  credentials?: CredentialStore;
  /** Warn (`build.local-only`) when images were built without --push (default true; convert warns per service instead). */
  warnLocalOnly?: boolean;
  /** Time limit of one registry API request (default: COMPOSE2K8S_REGISTRY_TIMEOUT seconds, else 30 s). */
  registryTimeoutMs?: number;
  /** A push the engine reports nothing about for this long is aborted and retried (default: COMPOSE2K8S_PUSH_IDLE_TIMEOUT seconds, else 120 s). */
  pushIdleMs?: number;
}

export interface BuiltImage {
  service: string;
  /** What manifests should use: `REPO@sha256:...` when pushed, else `REPO:c2k-...` (local only). */
  reference: string;
  /** The registry manifest digest, when the image is in the registry. */
  digest?: string;
  /** The image is in the registry (pushed now or found there). */
  pushed: boolean;
  /** Built by this run (false: the content tag already existed). */
  built: boolean;
  /** Pushed by this run. */
  uploaded: boolean;
  /** Local image ID, when the local engine was consulted. */
  imageId?: string;
  /** The content tag `c2k-...` and `REPO:c2k-...`. */
  tag: string;
  taggedRef: string;
  /** The image name the lowering gave the service's containers. */
  sourceImage: string;
}

