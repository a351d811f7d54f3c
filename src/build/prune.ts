// `images prune`: delete the images this tool built for a project (label io.compose2k8s.project) that are
// superseded - per service, all but the newest N and the one matching the current inputs. With a registry,
// also delete superseded content tags (`c2k-...`) there, by manifest digest, when the registry allows it.
// After a rollout (`up`, `update`) the same runs with the images the project's workloads use protected: an image
// something still runs is never deleted, whatever its age.
import { Diagnostics, error } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { CredentialStore } from './auth.js';
import { connect, engineUnreachable, isConnectionError, pingEngine, resolveEngine } from './engine.js';
import { listProjectImages, type ImageSummary } from './engine-ops.js';
import { CONTENT_TAG, LABEL_PROJECT, LABEL_SERVICE, planBuilds, resolvePlan } from './plan.js';
import { apiPathOf, parseReference, parseRegistryTarget, registryOf, repositoryOf, type RegistryTarget } from '../model/image-reference.js';
import { RegistryClient } from './registry.js';
import type { RetryOptions } from '../model/async.js';

export interface PruneOptions {
  /** Images kept per service besides the current one (default 1: the newest). */
  keep?: number;
  registry?: string;
  insecureRegistries?: string[];
  dryRun?: boolean;
  env?: NodeJS.ProcessEnv;
  diagnostics?: Diagnostics;
  workingDir?: string;
  credentials?: CredentialStore;
  retry?: Partial<RetryOptions>;
  log?: (line: string) => void;
  /**
   * Also prune the registry repositories the images were pushed to without --registry (their `image:` names), as
   * `up` without --registry pushes them.
   */
  pushed?: boolean;
  /** Image references in use (the workloads of the project's ApplySet): never deleted, here or in the registry. */
  protect?: Iterable<string>;
}

export interface PruneResult {
  /** Local images removed (or that would be, with dryRun): id and the tags it had. */
  removed: { service: string; id: string; tags: string[] }[];
  kept: { service: string; id: string; tags: string[] }[];
  /** Registry manifests deleted: repo@digest (tag). */
  registryRemoved: { service: string; repository: string; tag: string; digest: string }[];
  registryKept: { service: string; repository: string; tag: string; digest: string }[];
}

/** `host/path@digest` and `host/path:tag` of a reference, the forms two names of one image are compared in. */
function canonicalForms(ref: string): string[] {
  const p = parseReference(ref);
  if (!p) return [];
  const repo = `${registryOf(p)}/${apiPathOf(p)}`;
  return [p.digest ? `${repo}@${p.digest}` : '', p.tag || !p.digest ? `${repo}:${p.tag ?? 'latest'}` : ''].filter(Boolean);
}

/** The set of canonical forms of the references in use. */
export function protectedSet(refs: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const r of refs) for (const f of canonicalForms(r)) out.add(f);
  return out;
}

/** Whether any name of an image (tags, repo digests) is in use. */
export function inUse(names: readonly string[], protect: ReadonlySet<string>): boolean {
  return names.some((n) => canonicalForms(n).some((f) => protect.has(f)));
}

/** The current content tag per service (from the inputs on disk); '' where it cannot be known (remote contexts, unreadable ones). */
async function currentTags(project: Project, registry: RegistryTarget | undefined, workingDir: string | undefined, d: Diagnostics) {
  const planDiag = new Diagnostics();
  const plans = planBuilds(project, undefined, { registry }, planDiag);
  const out = new Map<string, { tag: string; repository: string; apiPath: string; host: string }>();
  for (const p of plans) {
    if (p.remote !== undefined) {
      // Nothing here says which image a remote context gives now: the newest ones are kept.
      out.set(p.service, { tag: '', repository: repositoryOf(p.repository), apiPath: apiPathOf(p.repository), host: registryOf(p.repository) });
      continue;
    }
    try {
      const r = await resolvePlan(p, workingDir);
      out.set(p.service, { tag: r.tag, repository: repositoryOf(p.repository), apiPath: apiPathOf(p.repository), host: registryOf(p.repository) });
    } catch (e) {
      d.warn('prune.current-unknown', `${p.service}: cannot compute the current image tag (${(e as Error).message}); keeping only the newest images`);
      out.set(p.service, { tag: '', repository: repositoryOf(p.repository), apiPath: apiPathOf(p.repository), host: registryOf(p.repository) });
    }
  }
  return out;
}

export async function pruneImages(project: Project, o: PruneOptions = {}): Promise<PruneResult> {
  const keep = o.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 0) throw error('prune.invalid-keep', `--keep must be a whole number >= 0, got ${o.keep}`);
  const d = o.diagnostics ?? new Diagnostics();
  const log = o.log ?? (() => undefined);
  let registry: RegistryTarget | undefined;
  if (o.registry !== undefined) {
    registry = parseRegistryTarget(o.registry);
    if (!registry) throw error('build.invalid-registry', `invalid --registry "${o.registry}": expected HOST[:PORT][/NAMESPACE]`);
  }
  const current = await currentTags(project, registry, o.workingDir, d);
  const result: PruneResult = { removed: [], kept: [], registryRemoved: [], registryKept: [] };
  const protect = protectedSet(o.protect ?? []);

  // Local images.
  const ep = resolveEngine(o.env ?? process.env);
  const docker = await connect(ep);
  await pingEngine(docker, ep);
  let images: ImageSummary[];
  try {
    images = await listProjectImages(docker, LABEL_PROJECT, project.name);
  } catch (e) {
    if (isConnectionError(e)) throw engineUnreachable(ep, e);
    throw e;
  }
  const byService = new Map<string, ImageSummary[]>();
  for (const img of images) {
    const s = img.labels[LABEL_SERVICE] ?? '';
    byService.set(s, [...(byService.get(s) ?? []), img]);
  }
  for (const [service, list] of byService) {
    list.sort((a, b) => b.created - a.created);
    const cur = current.get(service)?.tag;
    list.forEach((img, i) => {
      const isCurrent = cur !== undefined && cur !== '' && img.repoTags.some((t) => t.endsWith(`:${cur}`));
      const entry = { service, id: img.id, tags: img.repoTags };
      if (i < keep || isCurrent || inUse([...img.repoTags, ...img.repoDigests], protect)) result.kept.push(entry);
      else result.removed.push(entry);
    });
  }
  for (const r of result.removed) {
    log(`${o.dryRun ? 'would remove' : 'removing'} ${r.service} image ${r.id.slice(7, 19)} ${r.tags.join(' ')}`);
    if (o.dryRun) continue;
    try {
      // Untag each name (rmi of an ID with several tags needs force); the last untag deletes the image.
      if (r.tags.length === 0) await docker.getImage(r.id).remove();
      for (const t of r.tags) await docker.getImage(t).remove();
    } catch (e) {
      if (isConnectionError(e)) throw engineUnreachable(ep, e);
      const status = (e as { statusCode?: number }).statusCode;
      if (status === 404) continue;
      d.warn('prune.in-use', `${r.service}: image ${r.id.slice(7, 19)} not removed: ${(e as Error).message.replace(/^\(HTTP code \d+\) [\w ]+ - /, '')}`);
    }
  }

  // Registry tags.
  if (registry || o.pushed) {
    const credentials = o.credentials ?? CredentialStore.load(o.env ?? process.env);
    const clients = new Map<string, RegistryClient>();
    let unsupported = false;
    for (const [service, c] of current) {
      let client = clients.get(c.host);
      if (!client) {
        client = new RegistryClient(c.host, { credentials, insecure: o.insecureRegistries, retry: o.retry });
        clients.set(c.host, client);
      }
      const tags = (await client.listTags(c.apiPath)).filter((t) => CONTENT_TAG.test(t));
      const infos = [];
      for (const t of tags) {
        const info = await client.inspectTag(c.apiPath, t);
        if (info && info.labels[LABEL_PROJECT] === project.name && (info.labels[LABEL_SERVICE] ?? service) === service) infos.push(info);
      }
      infos.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
      const keptDigests = new Set<string>();
      const toDelete = [];
      for (const [i, info] of infos.entries()) {
        const entry = { service, repository: c.repository, tag: info.tag, digest: info.digest };
        if (i < keep || info.tag === c.tag || inUse([`${c.repository}@${info.digest}`, `${c.repository}:${info.tag}`], protect)) {
          keptDigests.add(info.digest);
          result.registryKept.push(entry);
        } else toDelete.push(entry);
      }
      for (const e of toDelete) {
        if (keptDigests.has(e.digest) || unsupported) continue;
        log(`${o.dryRun ? 'would delete' : 'deleting'} ${e.repository}:${e.tag} (${e.digest})`);
        if (o.dryRun) {
          result.registryRemoved.push(e);
          continue;
        }
        const r = await client.deleteManifest(c.apiPath, e.digest);
        if (r === 'unsupported') {
          unsupported = true;
          d.warn('prune.registry-no-delete', `registry ${c.host} does not allow deletes (distribution: storage.delete.enabled: true); superseded tags were left there`);
          continue;
        }
        result.registryRemoved.push(e);
      }
    }
  }
  return result;
}
