// The build stage: for every service with `build:`, hash its inputs into a content tag, and build (and push)
// only when that tag is not already there - in the registry when pushing, else in the local engine. Builds
// run in parallel; the first failure stops new builds, lets running ones finish and fails the whole stage
// (so no manifests are written). The result maps each service to the image reference manifests should use:
// `REPO@sha256:...` when pushed, else the local content tag.
import { availableParallelism } from 'node:os';
import { Diagnostics, error, type Diagnostic } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { parseRegistryTarget, type RegistryTarget } from '../model/image-reference.js';
import { REGISTRY_RETRY as DEFAULT_RETRY, runPool } from '../model/async.js';
import { CredentialStore } from './auth.js';
import { DEFAULT_PUSH_IDLE_MS } from './engine-ops.js';
import { interrupted, stageFailure, toDiagnostics } from './failures.js';
import type { BuildOptions, BuiltImage } from './options.js';
import { planBuilds } from './plan.js';
import { createReporter } from './progress.js';
import { DEFAULT_REGISTRY_TIMEOUT_MS, secondsFromEnv } from './registry.js';
import { buildOne } from './service.js';
import { BuildSession } from './session.js';

/** Builds (and pushes) every selected service with `build:`. Throws DiagnosticError on any failure. */
export async function buildAndPush(project: Project, o: BuildOptions = {}): Promise<Map<string, BuiltImage>> {
  const env = o.env ?? process.env;
  const d = o.diagnostics ?? new Diagnostics();
  let registry: RegistryTarget | undefined;
  if (o.registry !== undefined) {
    registry = parseRegistryTarget(o.registry);
    if (!registry) throw error('build.invalid-registry', `invalid --registry "${o.registry}": expected HOST[:PORT][/NAMESPACE]`);
  }
  const planDiag = new Diagnostics();
  const plans = planBuilds(project, o.services, { registry, push: o.push }, planDiag);
  for (const item of planDiag.items) d.add(item);
  planDiag.throwIfErrors();
  const results = new Map<string, BuiltImage>();
  if (plans.length === 0) return results;

  const timeouts = {
    registryMs: o.registryTimeoutMs ?? secondsFromEnv(env, 'COMPOSE2K8S_REGISTRY_TIMEOUT') ?? DEFAULT_REGISTRY_TIMEOUT_MS,
    pushIdleMs: o.pushIdleMs ?? secondsFromEnv(env, 'COMPOSE2K8S_PUSH_IDLE_TIMEOUT') ?? DEFAULT_PUSH_IDLE_MS,
  };
  const out = o.progressStream ?? process.stderr;
  const reporter = createReporter(o.progress ?? 'auto', out, plans.map((p) => p.service));
  const credentials = o.credentials ?? CredentialStore.load(env);
  const retry = { ...DEFAULT_RETRY, ...o.retry };
  const ctx = new BuildSession(env, credentials, o, reporter, retry, timeouts);

  const byName = new Map(plans.map((p) => [p.service, p]));
  let outcomes;
  try {
    outcomes = await runPool(
      plans.map((p) => p.service),
      o.parallel ?? availableParallelism(),
      (name) => buildOne(ctx, byName.get(name)!, o),
      { signal: o.signal, onCancel: (name) => reporter.phase(name, 'cancelled') },
    );
  } finally {
    reporter.close();
  }

  const errors: Diagnostic[] = [];
  const cancelled: string[] = [];
  for (const { service: name } of plans) {
    const r = outcomes.get(name)!;
    if (r.status === 'ok') results.set(name, r.value);
    else if (r.status === 'cancelled') cancelled.push(name);
    else errors.push(...toDiagnostics(r.error, byName.get(name)!));
  }
  if (o.signal?.aborted) throw interrupted(plans.map((p) => p.service), results);
  if (errors.length > 0) throw stageFailure(errors, cancelled, results);
  if (cancelled.length > 0) throw error('build.cancelled', `cancelled before building: ${cancelled.join(', ')}`);
  if (!o.push && o.warnLocalOnly !== false) {
    const refs = [...results.values()].map((r) => r.reference);
    d.warn(
      'build.local-only',
      `images were built into the local engine only (${refs.join(', ')}); the cluster must be able to see them (a cluster that shares this Docker engine, or a load such as \`kind load docker-image\`), otherwise pass --push --registry`,
    );
  }
  return results;
}
