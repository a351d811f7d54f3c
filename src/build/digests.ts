// Tags to digests. `up`, `apply` and `diff` (and `convert --resolve-digests`) deploy exactly what each tag points to
// now: every container image without a digest becomes `repo:tag@sha256:...` (a multi-arch index is pinned to the
// index digest: the HEAD asks for every manifest type and the registry answers with the digest of what it stores),
// and the workload remembers which tags it follows (IMAGE_TAGS_ANNOTATION) so that `update` can re-resolve them.
//
// One HEAD per distinct reference, through the registry client of the build stage (credentials, insecure registries,
// time limits, retries). Per registry the first request goes alone: it finds out whether the registry answers (and
// fetches a token) before the others go out in parallel over the same kept-alive connections, so an unreachable
// registry costs one round of retries, not one per image.
import { CredentialStore } from './auth.js';
import { DiagnosticError, Diagnostics, type Diagnostic } from '../model/diagnostics.js';
import { apiPathOf, formatReference, parseReference, registryOf } from '../model/image-reference.js';
import { containersOf, IMAGE_TAGS_ANNOTATION, LABEL, podSpecOf, type KubeObject } from '../model/kube.js';
import type { Project } from '../model/project.js';
import { runPool, type RetryOptions } from '../model/async.js';
import { DEFAULT_REGISTRY_TIMEOUT_MS, RegistryClient, RegistryError, secondsFromEnv } from './registry.js';

export interface DigestOptions {
  /** Registries (host[:port]) that may be reached over plain HTTP (loopback ones always may). */
  insecureRegistries?: string[];
  credentials?: CredentialStore;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  retry?: Partial<RetryOptions>;
  /** Time limit of one request (default: COMPOSE2K8S_REGISTRY_TIMEOUT seconds, else 30 s). */
  timeoutMs?: number;
  /** Requests in flight per registry (default 32). */
  concurrency?: number;
  fetch?: typeof fetch;
  /** Retry notes. */
  log?: (line: string) => void;
}

export const DEFAULT_DIGEST_CONCURRENCY = 32;

/**
 * What a tag points to: a digest, or why there is none. `unreachable` (no answer) and `unavailable` (5xx/429 after
 * the retries) are about the registry as a whole; `not-found`, `failed` (e.g. access denied) and `invalid` about one image.
 */
export type Resolution =
  | { ok: true; digest: string }
  | { ok: false; kind: 'unreachable' | 'unavailable' | 'not-found' | 'failed' | 'invalid'; message: string; registry?: string };

/** `repo:tag@digest` for a reference without a digest; the tag defaults to `latest`, the repository stays as written. */
export function pinnedReference(ref: string, digest: string): string {
  const p = parseReference(ref);
  if (!p) throw new Error(`pinnedReference: invalid reference ${ref}`);
  return formatReference({ ...p, tag: p.tag ?? 'latest', digest });
}

/** The digest each reference's tag points to now (the references are de-duplicated). Throws only when interrupted. */
export async function resolveTags(refs: Iterable<string>, o: DigestOptions = {}): Promise<Map<string, Resolution>> {
  const env = o.env ?? process.env;
  const timeoutMs = o.timeoutMs ?? secondsFromEnv(env, 'COMPOSE2K8S_REGISTRY_TIMEOUT') ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  const out = new Map<string, Resolution>();
  const byHost = new Map<string, string[]>();
  for (const ref of new Set(refs)) {
    const p = parseReference(ref);
    if (!p) out.set(ref, { ok: false, kind: 'invalid', message: `"${ref}" is not a valid image reference` });
    else if (p.digest) out.set(ref, { ok: true, digest: p.digest });
    else byHost.set(registryOf(p), [...(byHost.get(registryOf(p)) ?? []), ref]);
  }
  if (byHost.size === 0) return out;
  const credentials = o.credentials ?? CredentialStore.load(env);
  await Promise.all(
    [...byHost].map(async ([host, list]) => {
      const client = new RegistryClient(host, { credentials, insecure: o.insecureRegistries, retry: o.retry, timeoutMs, signal: o.signal, fetch: o.fetch });
      const first = await resolveOne(client, list[0]!, o);
      out.set(list[0]!, first);
      const rest = list.slice(1);
      if (!first.ok && (first.kind === 'unreachable' || first.kind === 'unavailable')) {
        for (const ref of rest) out.set(ref, first);
        return;
      }
      const results = await runPool(rest, o.concurrency ?? DEFAULT_DIGEST_CONCURRENCY, (ref) => resolveOne(client, ref, o), { signal: o.signal, stopOnFailure: false });
      for (const [ref, r] of results) {
        if (r.status === 'ok') out.set(ref, r.value);
        else if (r.status === 'failed') throw r.error;
      }
    }),
  );
  if (o.signal?.aborted) throw new DiagnosticError([{ severity: 'error', code: 'build.cancelled', message: 'interrupted while resolving image tags to digests' }]);
  return out;
}

async function resolveOne(client: RegistryClient, ref: string, o: DigestOptions): Promise<Resolution> {
  const p = parseReference(ref)!;
  const tag = p.tag ?? 'latest';
  const registry = client.host;
  try {
    const digest = await client.manifestDigest(apiPathOf(p), tag, o.log);
    if (!digest) return { ok: false, kind: 'not-found', message: `registry ${registry} has no tag ${tag} in ${apiPathOf(p)}`, registry };
    return { ok: true, digest };
  } catch (e) {
    if (o.signal?.aborted) throw e;
    if (e instanceof DiagnosticError) {
      const d = e.diagnostics[0];
      if (d?.code === 'build.cancelled') throw e;
      return { ok: false, kind: d?.code === 'build.registry-unreachable' ? 'unreachable' : 'failed', message: d?.message ?? e.message, registry };
    }
    if (e instanceof RegistryError) return { ok: false, kind: e.transient ? 'unavailable' : 'failed', message: e.message, registry };
    throw e;
  }
}

export interface UnresolvedImage {
  object: KubeObject;
  container: string;
  image: string;
  resolution: Extract<Resolution, { ok: false }>;
}

export interface PinDigestsOptions extends DigestOptions {
  /** Images left as they are: built into the local engine only, or made by `build:` and not pushed. */
  skip?: ReadonlySet<string>;
  /** false: no registry request at all, tags stay (`--no-resolve-digests`); the tags are still recorded. Default true. */
  resolve?: boolean;
}

export interface PinDigestsResult {
  /** Containers rewritten to `repo:tag@digest`. */
  pinned: number;
  /** Images deployed by tag (resolve: false). */
  unpinned: string[];
  unresolved: UnresolvedImage[];
}

/**
 * Rewrites, in place, the image of every container (init and ephemeral ones included) that has no digest to
 * `repo:tag@digest`, and records the tags each workload follows in its IMAGE_TAGS_ANNOTATION. Images that cannot be
 * resolved are left as they are and returned.
 */
export async function pinDigests(objects: KubeObject[], o: PinDigestsOptions = {}): Promise<PinDigestsResult> {
  const uses: { object: KubeObject; c: { name?: string; image?: string }; image: string }[] = [];
  for (const object of objects) {
    const tracked: Record<string, string> = {};
    for (const c of containersOf(podSpecOf(object))) {
      if (typeof c.image !== 'string' || o.skip?.has(c.image) || parseReference(c.image)?.digest) continue;
      tracked[c.name ?? ''] = c.image;
      uses.push({ object, c, image: c.image });
    }
    if (Object.keys(tracked).length === 0) continue;
    const sorted = Object.fromEntries(Object.entries(tracked).sort(([a], [b]) => a.localeCompare(b)));
    object.metadata.annotations = { ...object.metadata.annotations, [IMAGE_TAGS_ANNOTATION]: JSON.stringify(sorted) };
  }
  const result: PinDigestsResult = { pinned: 0, unpinned: [], unresolved: [] };
  if (o.resolve === false) {
    result.unpinned = [...new Set(uses.map((u) => u.image))];
    return result;
  }
  const resolved = await resolveTags(uses.map((u) => u.image), o);
  for (const u of uses) {
    const r = resolved.get(u.image)!;
    if (r.ok) {
      u.c.image = pinnedReference(u.image, r.digest);
      result.pinned++;
    } else result.unresolved.push({ object: u.object, container: u.c.name ?? '', image: u.image, resolution: r });
  }
  return result;
}

/**
 * The images of services with `build:` that no registry has because this run did not push them: the local content
 * tags of images built without --push, and the compose image names of services not built at all (unless `image:`
 * names a registry, where the user may have pushed it).
 */
export function unpushedImages(project: Project, built: ReadonlyMap<string, { reference: string; pushed: boolean }> | undefined): Set<string> {
  const out = new Set<string>();
  for (const [name, s] of Object.entries(project.services)) {
    if (!s.build) continue;
    const b = built?.get(name);
    if (b) {
      if (!b.pushed) out.add(b.reference);
      continue;
    }
    const source = s.image ?? `${project.name}-${name}`;
    if (!parseReference(source)?.domain) out.add(source);
  }
  return out;
}

export interface ProjectDigestChoices extends DigestOptions {
  /** false: `--no-resolve-digests` (tags kept, with a warning). */
  resolve?: boolean;
  /** Why the tags are not resolved, for the warning (default `--no-resolve-digests`). */
  offlineBecause?: string;
}

/**
 * The compile phase: pins the project's objects to digests (see pinDigests), reporting what could not be resolved as
 * errors naming the service and image (one per unreachable registry, naming every image it stopped), or, with
 * `resolve: false`, a warning that the images go out by tag.
 */
export async function resolveProjectDigests(
  objects: KubeObject[],
  project: Project,
  built: ReadonlyMap<string, { reference: string; pushed: boolean }> | undefined,
  choices: ProjectDigestChoices,
  diagnostics: Diagnostics,
): Promise<PinDigestsResult> {
  const result = await pinDigests(objects, { ...choices, skip: unpushedImages(project, built) });
  if (result.unpinned.length > 0) {
    diagnostics.warn(
      'image.unpinned',
      `${choices.offlineBecause ?? '--no-resolve-digests'}: ${result.unpinned.join(', ')} deployed by tag; a new image pushed under the same tag reaches pods only when they are recreated, and nodes may run different images (\`compose2k8s update\` pins them later)`,
    );
  }
  for (const d of unresolvedDiagnostics(result.unresolved, project)) diagnostics.add(d);
  return result;
}

/** The service a container belongs to: its name when that is a service, else its workload's component label. */
function serviceOf(u: UnresolvedImage, project: Project): { service: string; path?: string; label: string } {
  const component = u.object.metadata.labels?.[LABEL.component];
  const service = project.services[u.container] ? u.container : (component ?? u.object.metadata.name);
  const own = service === u.container;
  const path = own && project.services[service]?.image !== undefined ? `services.${service}.image` : project.services[service] ? `services.${service}` : undefined;
  return { service, path, label: own ? service : `${service} (container ${u.container})` };
}

const HINT = 'pass --no-resolve-digests to deploy the tags as written';

export function unresolvedDiagnostics(unresolved: readonly UnresolvedImage[], project: Project): Diagnostic[] {
  const out: Diagnostic[] = [];
  const global = new Map<string, { message: string; uses: string[] }>();
  const perImage = new Map<string, { message: string; services: string[]; path?: string }>();
  for (const u of unresolved) {
    const s = serviceOf(u, project);
    const r = u.resolution;
    if (r.kind === 'unreachable' || r.kind === 'unavailable') {
      const g = global.get(r.message) ?? { message: r.message, uses: [] };
      const use = `${s.label}: ${u.image}`;
      if (!g.uses.includes(use)) g.uses.push(use);
      global.set(r.message, g);
      continue;
    }
    const key = `${u.image}\n${r.message}`;
    const p = perImage.get(key) ?? { message: r.message, services: [], path: s.path };
    if (!p.services.includes(s.label)) p.services.push(s.label);
    perImage.set(key, p);
  }
  for (const g of global.values()) {
    out.push({ severity: 'error', code: 'build.registry-unreachable', message: `cannot resolve image tags to digests: ${g.message} (${g.uses.join('; ')}); ${HINT}` });
  }
  for (const [key, p] of perImage) {
    const image = key.split('\n')[0]!;
    out.push({
      severity: 'error',
      code: 'image.unresolved',
      message: `${p.services.join(', ')}: cannot resolve ${image} to a digest: ${p.message}; ${HINT}`,
      path: p.services.length === 1 ? p.path : undefined,
    });
  }
  return out;
}
