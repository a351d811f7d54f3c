// Image references (`[domain[:port]/]path[:tag][@digest]`), parsed like distribution/reference: the first
// component is a registry domain only when it contains `.` or `:` or is `localhost`; otherwise the image
// lives on Docker Hub. Used to name built images, re-root them under `--registry` and pin digests.

export interface ImageReference {
  /** Registry host[:port], absent for Docker Hub short names (`web`, `org/web`). */
  domain?: string;
  /** Repository path inside the registry, e.g. `org/web`. */
  path: string;
  tag?: string;
  digest?: string;
}

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

export const DOCKER_HUB = 'docker.io';

/** Parses a reference; returns undefined when it is not a valid one. */
export function parseReference(ref: string): ImageReference | undefined {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let domain: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      if (!DOMAIN.test(first)) return undefined;
      domain = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  if (rest === '' || !rest.split('/').every((c) => PATH_COMPONENT.test(c))) return undefined;
  return { domain, path: rest, tag, digest };
}

/** The repository without tag or digest: `domain/path`, or `path` for Docker Hub short names. */
export function repositoryOf(r: ImageReference): string {
  return r.domain ? `${r.domain}/${r.path}` : r.path;
}

export function formatReference(r: ImageReference): string {
  return repositoryOf(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** The registry host a reference is pushed to / pulled from (`docker.io` for Hub names). */
export function registryOf(r: ImageReference): string {
  if (!r.domain || r.domain === 'index.docker.io' || r.domain === 'registry-1.docker.io') return DOCKER_HUB;
  return r.domain;
}

/** The path as the registry API sees it: Docker Hub single-component names live under `library/`. */
export function apiPathOf(r: ImageReference): string {
  return registryOf(r) === DOCKER_HUB && !r.path.includes('/') ? `library/${r.path}` : r.path;
}

export interface RegistryTarget {
  /** host[:port] */
  host: string;
  /** Optional namespace (path prefix) under which every image is placed. */
  namespace?: string;
}

/** Parses `--registry HOST[:PORT][/NAMESPACE]` (an `http://` or `https://` prefix is tolerated and dropped). */
export function parseRegistryTarget(value: string): RegistryTarget | undefined {
  const v = value.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  const slash = v.indexOf('/');
  const host = slash < 0 ? v : v.slice(0, slash);
  const namespace = slash < 0 ? undefined : v.slice(slash + 1);
  if (!host || !DOMAIN.test(host)) return undefined;
  if (namespace !== undefined && !namespace.split('/').every((c) => PATH_COMPONENT.test(c))) return undefined;
  return { host: host.toLowerCase(), namespace };
}

/** Moves a reference under a registry (and namespace), dropping its own registry domain: `ghcr.io/org/web:1` -> `R/NS/org/web:1`. */
export function reroot(r: ImageReference, target: RegistryTarget): ImageReference {
  const path = target.namespace ? `${target.namespace}/${r.path}` : r.path;
  return { domain: target.host, path, tag: r.tag, digest: undefined };
}

/**
 * Turns a Compose default image name (`<project>-<service>`, where the service name may contain
 * upper case or characters a repository path does not allow) into a valid repository path.
 */
export function sanitizeRepositoryPath(name: string): string {
  const lowered = name.toLowerCase().replace(/[^a-z0-9._/-]+/g, '-');
  const parts = lowered
    .split('/')
    .map((c) => c.replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '').replace(/[._-]{2,}/g, (m) => (m === '__' ? m : '-')))
    .filter((c) => c !== '');
  return parts.join('/') || 'image';
}
