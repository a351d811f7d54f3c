// One service's build: from a local context (hashed into a content tag first; built only when that tag is not
// already there) or from a remote one the engine fetches itself; then pushed when asked. Progress goes to the
// run's reporter; the engine going away mid-build is told apart from a failing Dockerfile step.
import type Dockerode from 'dockerode';
import { error } from '../model/diagnostics.js';
import { repositoryOf } from '../model/image-reference.js';
import { contextTar } from './context.js';
import { engineGuard, engineLost, isConnectionError, type EngineGuard } from './engine.js';
import { BuildFailure, inspectImage, runBuild, tagImage, type BuildParams } from './engine-ops.js';
import type { BuildOptions, BuiltImage } from './options.js';
import { imageContentTag, remoteInputDigest, resolvePlan, type ServicePlan } from './plan.js';
import { pullCredentials } from './pull-credentials.js';
import { pushBuilt, registryDigest } from './push.js';
import { buildQuery } from './query.js';
import type { BuildSession } from './session.js';

export async function buildOne(ctx: BuildSession, plan: ServicePlan, o: BuildOptions): Promise<BuiltImage> {
  if (plan.remote !== undefined) return buildRemote(ctx, plan, plan.remote, o);
  const r = ctx.reporter;
  r.phase(plan.service, 'hashing');
  const p = await resolvePlan(plan, o.workingDir);
  const repo = repositoryOf(p.repository);
  const base = { service: p.service, tag: p.tag, taggedRef: p.taggedRef, sourceImage: p.sourceImage };

  if (o.push) {
    const digest = await registryDigest(ctx, o, p);
    if (digest) {
      r.phase(p.service, 'cached', `${p.taggedRef} is already in the registry`);
      return { ...base, reference: `${repo}@${digest}`, digest, pushed: true, built: false, uploaded: false };
    }
  }

  const { docker, info, ep } = await ctx.engine();
  const guard = engineGuard(o.signal, ep, p.service);
  let imageId: string;
  let built = false;
  const local = await guard(`looking up ${p.taggedRef}`, () => inspectImage(docker, p.taggedRef));
  if (local) {
    imageId = local.id;
    for (const t of p.extraTags) if (!local.repoTags.includes(t)) await guard(`tagging ${t}`, () => tagImage(docker, imageId, t));
    if (!o.push) r.phase(p.service, 'cached', `${p.taggedRef} exists locally`);
  } else {
    r.phase(p.service, 'building', p.taggedRef);
    const registryConfig = await pullCredentials(ctx.credentials, p);
    const version = await guard('asking for its networks', () => ctx.builderVersion(docker, info, p, Object.keys(registryConfig).length > 0));
    const query = buildQuery(p, { tags: [p.taggedRef, ...p.extraTags], dockerfile: p.context.dockerfileName, inputs: p.inputs }, version);
    imageId = await runServiceBuild(ctx, guard, p.service, `building ${p.service} (${p.taggedRef})`, { tar: await contextTar(p.context), query, registryConfig, signal: o.signal });
    built = true;
    if (!o.push) r.phase(p.service, 'done', `${p.taggedRef} (${imageId.slice(7, 19)})`);
  }
  if (!o.push) return { ...base, reference: p.taggedRef, pushed: false, built, uploaded: false, imageId };
  const { reference, digest } = await pushBuilt(ctx, o, guard, p);
  return { ...base, reference, digest, pushed: true, built, uploaded: true, imageId };
}

/** Runs one build with progress; resolves with the image ID. */
async function runServiceBuild(ctx: BuildSession, guard: EngineGuard, service: string, doing: string, params: BuildParams): Promise<string> {
  const { docker, ep } = await ctx.engine();
  const r = ctx.reporter;
  return guard(doing, async () => {
    try {
      return await runBuild(docker, params, { step: (n, of, text) => r.step(service, n, of, text), output: (line) => r.output(service, line) });
    } catch (e) {
      // A step killed by a signal (137 KILL, 143 TERM) is what a stopping daemon does to a classic build's
      // RUN container before it goes: if the engine no longer answers, that is what happened.
      if (e instanceof BuildFailure && KILLED_STEP.test(e.message)) {
        const gone = await engineGone(docker);
        if (gone) throw engineLost(ep, gone, `${doing}, whose step was killed (${KILLED_STEP.exec(e.message)![1]})`);
        throw new BuildFailure(`${e.message} (the step was killed: out of memory, or the Docker daemon stopping)`, e.step, e.lastLines);
      }
      throw e;
    }
  });
}

/**
 * A build from a remote context: the engine fetches the git repository or URL itself (`remote=`), so nothing is
 * hashed first and the build always runs (the engine's cache makes an unchanged one quick). The content tag
 * comes from the image ID; with --push, a tag already in the registry is not pushed again.
 */
async function buildRemote(ctx: BuildSession, p: ServicePlan, remote: string, o: BuildOptions): Promise<BuiltImage> {
  const r = ctx.reporter;
  const repo = repositoryOf(p.repository);
  const { docker, info, ep } = await ctx.engine();
  const guard = engineGuard(o.signal, ep, p.service);
  r.phase(p.service, 'building', remote);
  const version = await guard('asking for its networks', () => ctx.builderVersion(docker, info, p, false));
  const query = buildQuery(p, { tags: p.extraTags, dockerfile: p.build.dockerfile ?? 'Dockerfile', inputs: remoteInputDigest({ ...p, remote }), remote }, version);
  let imageId: string;
  try {
    imageId = await runServiceBuild(ctx, guard, p.service, `building ${p.service} from ${remote}`, { query, signal: o.signal });
  } catch (e) {
    throw remoteFailure(p.service, remote, e);
  }
  const tag = imageContentTag(imageId);
  const taggedRef = `${repo}:${tag}`;
  await guard(`tagging ${taggedRef}`, () => tagImage(docker, imageId, taggedRef));
  const base = { service: p.service, tag, taggedRef, sourceImage: p.sourceImage, imageId, built: true };
  if (!o.push) {
    r.phase(p.service, 'done', `${taggedRef} (${imageId.slice(7, 19)})`);
    return { ...base, reference: taggedRef, pushed: false, uploaded: false };
  }
  const target = { service: p.service, repository: p.repository, tag, taggedRef };
  const existing = await registryDigest(ctx, o, target);
  if (existing) {
    r.phase(p.service, 'cached', `${taggedRef} is already in the registry`);
    return { ...base, reference: `${repo}@${existing}`, digest: existing, pushed: true, uploaded: false };
  }
  const { reference, digest } = await pushBuilt(ctx, o, guard, target);
  return { ...base, reference, digest, pushed: true, uploaded: true };
}

/**
 * A remote build that failed before any Dockerfile step ran failed on the context: the engine could not fetch
 * it (unreachable host, unknown ref, a URL form it does not take) or find the Dockerfile in it.
 */
function remoteFailure(service: string, remote: string, e: unknown): unknown {
  if (e instanceof BuildFailure && e.step?.startsWith('step ')) return e;
  let message: string;
  if (e instanceof BuildFailure) message = e.message;
  else if (typeof (e as { statusCode?: unknown })?.statusCode === 'number') {
    const json = (e as { json?: { message?: string } }).json;
    message = json?.message ?? (e as Error).message.replace(/^\(HTTP code \d+\) [\w ]+ - /, '');
  } else return e;
  // git's multi-line complaints, quoted by the engine, read better on one line; a web server's error page does not help.
  const oneLine = message
    .replace(/:?\s*<(!DOCTYPE|html)[\s\S]*$/i, '')
    .split(/\s*\n\s*/)
    .filter(Boolean)
    .join(' ')
    .replace(/ : /g, ': ')
    .trim();
  return error('build.remote-context', `${service}: the Docker engine could not fetch or read the remote build context ${remote}: ${oneLine}`);
}

const KILLED_STEP = /returned a non-zero code: (137|143)\b/;

/**
 * Whether the engine is going away: pinged three times over ~2 s (a stopping dockerd kills the containers it
 * waited for, then exits within a second). The connection error if it stopped answering, else undefined.
 */
async function engineGone(docker: Dockerode): Promise<Error | undefined> {
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((res) => setTimeout(res, 1000));
    try {
      await docker.ping({ abortSignal: AbortSignal.timeout(3000) } as never);
    } catch (e) {
      if (isConnectionError(e)) return e as Error;
      if ((e as Error).name === 'AbortError' || (e as Error).name === 'TimeoutError') return Object.assign(new Error('no answer to a ping within 3 s'), { code: 'ETIMEDOUT' });
    }
  }
  return undefined;
}
