// What to build for each service, decided before talking to any engine: which features of `build:` the
// Engine API can honour (and a clear error for those that need a BuildKit session or buildx), the image
// names, and - once the context is read - the content-addressed tag: a digest of everything that
// determines the image (context files after .dockerignore, Dockerfile, args, target, platform, labels).
// A remote context (a git repository or a URL) is fetched by the engine itself (`remote=`); what is behind
// its URL can change, so its image is tagged after the build, from the image ID.
import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { contextKind, isGitOverSsh } from '../compose/index.js';
import type { Diagnostics } from '../model/diagnostics.js';
import type { BuildConfig, Project, Service } from '../model/project.js';
import { loadContext, type BuildContext } from './context.js';
import {
  formatReference,
  parseReference,
  repositoryOf,
  reroot,
  sanitizeRepositoryPath,
  type ImageReference,
  type RegistryTarget,
} from '../model/image-reference.js';

export const LABEL_PROJECT = 'io.compose2k8s.project';
export const LABEL_SERVICE = 'io.compose2k8s.service';
export const LABEL_INPUTS = 'io.compose2k8s.inputs';
/** Content tags look like `c2k-<20 hex digits of the input digest>`. */
export const TAG_PREFIX = 'c2k-';
export const CONTENT_TAG = /^c2k-[0-9a-f]{20}$/;
/** Bumped when the digest recipe changes, so old tags are not mistaken for new ones. */
const RECIPE = 'compose2k8s-build-inputs/v1';

export interface ServicePlan {
  service: string;
  /** Compose path for diagnostics, e.g. `services.web.build`. */
  path: string;
  build: BuildConfig;
  /** The image name the lowering used for the service's containers (`image:` or `<project>-<service>`). */
  sourceImage: string;
  /** The repository the content tag lives in (re-rooted under --registry when given). */
  repository: ImageReference;
  /** Extra local tags: the service's own image name and build.tags. */
  extraTags: string[];
  args: Record<string, string>;
  platform?: string;
  labels: Record<string, string>;
  /** Whether a push target exists (registry given, or `image:` names one). */
  pushable: boolean;
  /** The context as written when the engine fetches it (a git repository or a URL); unset for a directory here. */
  remote?: string;
}

export interface PlanOptions {
  registry?: RegistryTarget;
  push?: boolean;
  /** Base for relative contexts (the project's working directory). */
  workingDir?: string;
}

const err = (d: Diagnostics, path: string, code: string, message: string) => d.error(code, message, { path });
const warn = (d: Diagnostics, path: string, code: string, message: string) => d.warn(code, message, { path });

/** Plans every selected service with `build:`; errors go to `d` (call d.throwIfErrors() after). */
export function planBuilds(project: Project, selected: string[] | undefined, o: PlanOptions, d: Diagnostics): ServicePlan[] {
  const names = selected && selected.length > 0 ? selected : Object.keys(project.services);
  const plans: ServicePlan[] = [];
  for (const name of names) {
    const s = project.services[name];
    if (!s) {
      d.error('build.no-such-service', `no such service: ${name}`);
      continue;
    }
    if (!s.build) {
      if (selected?.includes(name)) warn(d, `services.${name}`, 'build.no-build', `${name} has no build section; nothing to build`);
      continue;
    }
    const p = planService(project, name, s, s.build, o, d);
    if (p) plans.push(p);
  }
  return plans;
}

function planService(project: Project, name: string, s: Service, b: BuildConfig, o: PlanOptions, d: Diagnostics): ServicePlan | undefined {
  const path = `services.${name}.build`;
  let ok = true;
  const fail = (code: string, message: string) => {
    ok = false;
    err(d, path, code, message);
  };
  if (b.secrets && b.secrets.length > 0) {
    fail('build.needs-buildkit-session', `${name}: build secrets (${b.secrets.map((x) => x.source).join(', ')}) are served to BuildKit over a client session, which compose2k8s does not open; build this service with \`docker compose build\` (or \`docker buildx build --secret\`) and reference the pushed image, or remove build.secrets`);
  }
  if (b.ssh && Object.keys(b.ssh).length > 0) {
    fail('build.needs-buildkit-session', `${name}: build.ssh forwards an SSH agent to BuildKit over a client session, which compose2k8s does not open; build this service with \`docker compose build\` (or \`docker buildx build --ssh\`) and reference the pushed image, or remove build.ssh`);
  }
  if (b.platforms && b.platforms.length > 1) {
    fail('build.needs-buildx', `${name}: build.platforms lists ${b.platforms.length} platforms (${b.platforms.join(', ')}); a multi-platform image needs buildx (docker buildx build --platform ${b.platforms.join(',')} --push), the Engine API builds one platform at a time; keep one platform here`);
  }
  if (b.additional_contexts && Object.keys(b.additional_contexts).length > 0) {
    fail('build.needs-buildkit-session', `${name}: build.additional_contexts needs BuildKit named contexts over a client session, which compose2k8s does not open; use \`docker buildx build --build-context\``);
  }
  const remote = checkContext(name, b, fail);
  for (const [key, what] of [
    ['cache_to', 'cache export needs buildx'],
    ['no_cache_filter', 'per-stage cache invalidation needs buildx'],
    ['provenance', 'attestations need buildx'],
    ['sbom', 'attestations need buildx'],
    ['entitlements', 'entitlements need buildx'],
  ] as const) {
    const v = b[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) warn(d, `${path}.${key}`, 'build.ignored', `${name}: build.${key} is ignored (${what})`);
  }
  if (b.privileged) warn(d, `${path}.privileged`, 'build.ignored', `${name}: build.privileged is ignored (privileged builds need buildx and the security.insecure entitlement)`);

  const platform = b.platforms?.length === 1 ? b.platforms[0] : s.platform;
  if (b.platforms?.length === 1 && s.platform && s.platform !== b.platforms[0]) {
    fail('build.platform-mismatch', `${name}: platform ${s.platform} is not listed in build.platforms (${b.platforms[0]})`);
  }

  const sourceImage = s.image ?? `${project.name}-${name}`;
  let own = parseReference(sourceImage);
  if (!own && !s.image) own = { path: sanitizeRepositoryPath(sourceImage) };
  if (!own) {
    fail('build.invalid-image', `${name}: image "${sourceImage}" is not a valid image reference`);
    return undefined;
  }
  const repository: ImageReference = o.registry ? reroot({ ...own, tag: undefined, digest: undefined }, o.registry) : { domain: own.domain, path: own.path };
  const pushable = o.registry !== undefined || s.image !== undefined;
  if (o.push && !pushable) {
    fail('build.no-push-target', `${name}: nowhere to push: the service has no image: name and no --registry was given (it would be pushed to Docker Hub as ${own.path}); pass --registry HOST[:PORT][/NAMESPACE]`);
  }

  const extraTags = new Set<string>();
  // The Compose image name, as `docker compose build` would tag it (local only).
  extraTags.add(formatReference({ ...own, digest: undefined, tag: own.tag ?? 'latest' }));
  for (const t of b.tags ?? []) {
    const r = parseReference(t);
    if (!r || r.digest) {
      fail('build.invalid-tag', `${name}: build.tags entry "${t}" is not a valid image tag`);
      continue;
    }
    extraTags.add(formatReference({ ...r, tag: r.tag ?? 'latest' }));
  }

  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.args ?? {})) if (v !== null && v !== undefined) args[k] = v;

  if (!ok) return undefined;
  return {
    service: name,
    path,
    build: b,
    sourceImage,
    repository,
    extraTags: [...extraTags],
    args,
    platform,
    labels: { ...(b.labels ?? {}), [LABEL_PROJECT]: project.name, [LABEL_SERVICE]: name },
    pushable,
    ...(remote ? { remote } : {}),
  };
}

/**
 * The context's kind (resolve-paths.ts): a directory here, or a git repository or URL the engine fetches.
 * Returns the remote context, or undefined for a local one; what the engine cannot do is an error.
 */
function checkContext(name: string, b: BuildConfig, fail: (code: string, message: string) => void): string | undefined {
  const context = b.context;
  const kind = contextKind(context);
  if (kind === 'local') return undefined;
  if (kind === 'service' || kind === 'builder') {
    fail('build.remote-context', `${name}: build context ${context} names an image or a BuildKit named context, not something the Engine API builds from; use it as an additional context with \`docker buildx build\`, or point build.context at a directory`);
    return undefined;
  }
  if (context.startsWith('ssh://')) {
    // Neither builder can: the classic one does not take ssh:// URLs; BuildKit wants the SSH agent over a session.
    const scp = /^ssh:\/\/git@([^/:]+)(\/.*)$/.exec(context);
    const hint = scp ? `write it as git@${scp[1]}:${scp[2]} (the classic builder clones that with the SSH keys of the engine's host), or ` : '';
    fail('build.remote-context', `${name}: build context ${context}: the Docker engine cannot fetch an ssh:// context for compose2k8s (its classic builder does not take ssh:// URLs, and BuildKit needs your SSH agent forwarded over a client session, which compose2k8s does not open); ${hint}clone the repository and point build.context at the directory`);
    return undefined;
  }
  if (b.dockerfile_inline !== undefined) {
    fail('build.remote-context', `${name}: dockerfile_inline cannot be used with the remote build context ${context}: the engine reads the Dockerfile from the context it fetches; commit the Dockerfile there, or clone the repository and point build.context at the directory`);
    return undefined;
  }
  if (b.dockerfile && isAbsolute(b.dockerfile)) {
    fail('build.remote-context', `${name}: the Dockerfile ${b.dockerfile} is outside the remote build context ${context}, which the engine fetches itself; name a Dockerfile inside the repository (relative to the context)`);
    return undefined;
  }
  return context;
}

/** A git context fetched over SSH needs the classic builder, which clones with the engine host's keys. */
export const needsClassicBuilder = (p: Pick<ServicePlan, 'remote'>): boolean => p.remote !== undefined && isGitOverSsh(p.remote);

export interface ResolvedPlan extends ServicePlan {
  context: BuildContext;
  /** Full hex input digest. */
  inputs: string;
  /** `c2k-<20 hex>` */
  tag: string;
  /** repository:tag */
  taggedRef: string;
}

/** The input digest: context content, Dockerfile, args, target, platform, labels. */
export function inputDigest(p: Pick<ServicePlan, 'args' | 'platform' | 'labels' | 'build'>, ctx: Pick<BuildContext, 'digest' | 'dockerfileName' | 'dockerfileContent'>): string {
  const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const doc = {
    recipe: RECIPE,
    context: ctx.digest,
    dockerfile: { name: ctx.dockerfileName, sha256: createHash('sha256').update(ctx.dockerfileContent).digest('hex') },
    args: sorted(p.args),
    target: p.build.target ?? '',
    platform: p.platform ?? '',
    labels: sorted(p.labels),
  };
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}

/**
 * The input digest of a build from a remote context, stored in the image's inputs label: the context as written,
 * the Dockerfile's name in it, args, target, platform and labels. It names the build, not the content behind the
 * URL, so the image is not tagged by it.
 */
export function remoteInputDigest(p: Pick<ServicePlan, 'args' | 'platform' | 'labels' | 'build'> & { remote: string }): string {
  return inputDigest(p, { digest: `remote:${p.remote}`, dockerfileName: p.build.dockerfile ?? 'Dockerfile', dockerfileContent: '' });
}

/** The content tag of an image built from a remote context: its image ID is what addresses its content. */
export function imageContentTag(imageId: string): string {
  return TAG_PREFIX + imageId.replace(/^sha256:/, '').slice(0, 20);
}

/** Reads and hashes a local context. A remote plan has nothing to read here: see remoteInputDigest. */
export async function resolvePlan(p: ServicePlan, workingDir = process.cwd()): Promise<ResolvedPlan> {
  if (p.remote !== undefined) throw new Error(`${p.service}: the remote build context ${p.remote} is read by the engine, not here`);
  const context = await loadContext({
    context: isAbsolute(p.build.context) ? p.build.context : resolve(workingDir, p.build.context),
    dockerfile: p.build.dockerfile_inline !== undefined ? undefined : p.build.dockerfile,
    dockerfileInline: p.build.dockerfile_inline,
    path: p.path,
  });
  const inputs = inputDigest(p, context);
  const tag = TAG_PREFIX + inputs.slice(0, 20);
  return { ...p, context, inputs, tag, taggedRef: `${repositoryOf(p.repository)}:${tag}` };
}
