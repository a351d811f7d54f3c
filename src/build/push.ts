// The registry side of one service: is its content tag already there (then nothing is pushed), and the push
// itself with retries, resolving to the pinned reference `REPO@sha256:...`.
import { error } from '../model/diagnostics.js';
import { apiPathOf, registryOf, repositoryOf } from '../model/image-reference.js';
import type { EngineGuard } from './engine.js';
import { PushFailure, pushImage } from './engine-ops.js';
import { withRetry } from '../model/async.js';
import type { BuildOptions } from './options.js';
import type { ServicePlan } from './plan.js';
import { RegistryError } from './registry.js';
import type { BuildSession } from './session.js';

/** The digest of `tag` in the registry, if it is there. */
export async function registryDigest(ctx: BuildSession, o: BuildOptions, p: Pick<ServicePlan, 'service' | 'repository'> & { tag: string; taggedRef: string }): Promise<string | undefined> {
  try {
    return await ctx.registry(registryOf(p.repository)).manifestDigest(apiPathOf(p.repository), p.tag, (line) => ctx.reporter.note(p.service, line));
  } catch (e) {
    if (o.signal?.aborted) throw error('build.cancelled', `${p.service}: interrupted`);
    // An unreachable registry is reported once for every service (failures.ts: GLOBAL_CODES); an error answer is per image.
    if (e instanceof RegistryError) throw new RegistryError(`cannot check whether ${p.taggedRef} is in the registry: ${e.message}`, e.status, e.transient);
    throw e;
  }
}

/** Pushes `taggedRef` with retries; resolves with the pinned reference `REPO@sha256:...`. */
export async function pushBuilt(
  ctx: BuildSession,
  o: BuildOptions,
  guard: EngineGuard,
  p: Pick<ServicePlan, 'service' | 'repository'> & { tag: string; taggedRef: string },
): Promise<{ reference: string; digest: string }> {
  const r = ctx.reporter;
  const { docker } = await ctx.engine();
  const repo = repositoryOf(p.repository);
  const host = registryOf(p.repository);
  r.phase(p.service, 'pushing', p.taggedRef);
  const auth = await ctx.credentials.get(host);
  let attempts = 0;
  const digest = await withRetry(
    async () => {
      attempts++;
      return guard(`pushing ${p.taggedRef}`, () =>
        pushImage(docker, repo, p.tag, auth, { bytes: (c, t) => r.pushBytes(p.service, c, t), note: (text) => r.note(p.service, text) }, o.signal, ctx.timeouts.pushIdleMs),
      );
    },
    {
      ...ctx.retry,
      // A failure the engine already retried for ~50 s (layer uploads) is not pushed again: that is docker
      // push's own patience; the ones it does not retry (its /v2/ check, the manifest, 429) are.
      isTransient: (e) => e instanceof PushFailure && e.transient && !e.engineRetried,
      onRetry: (e, attempt, delay) => r.note(p.service, `push failed (${(e as Error).message}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1}/${ctx.retry.attempts})`),
      signal: o.signal,
    },
  ).catch((e: unknown) => {
    if (o.signal?.aborted) throw error('build.cancelled', `${p.service}: interrupted`);
    if (e instanceof PushFailure) {
      const tries = e.engineRetried
        ? `the engine retried the upload itself${attempts > 1 ? `, and the push was tried ${attempts} times` : ''}`
        : `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
      const why = e.transient ? `; ${tries} - is the registry ${host} running and reachable from the Docker engine?` : '';
      throw new PushFailure(`pushing ${p.taggedRef} failed: ${e.message}${why}`, e.transient, e.engineRetried);
    }
    throw e;
  });
  r.phase(p.service, 'done', `${repo}@${digest}`);
  return { reference: `${repo}@${digest}`, digest };
}
