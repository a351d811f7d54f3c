// Credentials a build needs to pull its base images. The classic builder takes them in X-Registry-Config; BuildKit
// would ask for them over a client session compose2k8s does not open (builder.ts then picks the classic builder).
import { DOCKER_HUB, parseReference, registryOf } from '../model/image-reference.js';
import { DOCKER_HUB_INDEX, type AuthConfig, type CredentialStore } from './auth.js';
import { baseImages } from './context.js';
import type { ResolvedPlan } from './plan.js';

/** X-Registry-Config for the classic builder: credentials for the registries of FROM and cache_from images. */
export async function pullCredentials(store: CredentialStore, p: ResolvedPlan): Promise<Record<string, AuthConfig>> {
  const hosts = new Set<string>();
  for (const img of [...baseImages(p.context.dockerfileContent, p.args), ...(p.build.cache_from ?? [])]) {
    const r = parseReference(img);
    if (r) hosts.add(registryOf(r));
  }
  const out: Record<string, AuthConfig> = {};
  for (const h of hosts) {
    const a = await store.get(h);
    if (a) out[h === DOCKER_HUB ? DOCKER_HUB_INDEX : h] = a;
  }
  return out;
}
