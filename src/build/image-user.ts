// Before a deploy under a Pod Security level that sets runAsNonRoot: the user each such container's image runs as,
// read from its registry (the image config's User). The kubelet refuses to start a container whose image runs as
// root (no USER, `root`, `0`), or as a user name it cannot check, with runAsNonRoot; saying so before applying
// names the service and the remedy instead of a CreateContainerConfigError later.
import { podSpecOf, type KubeObject } from '../model/kube.js';
import { parseReference, apiPathOf, registryOf } from '../model/image-reference.js';
import { RegistryClient } from './registry.js';

export interface ImageUserProblem {
  /** `Deployment/web container web`. */
  where: string;
  image: string;
  /** The image's User ('' when it sets none). */
  user: string;
  problem: 'root' | 'name';
}

export interface ImageUserCheck {
  problems: ImageUserProblem[];
  /** Images whose user could not be read (registry unreachable, no such image): not checked. */
  unchecked: { image: string; reason: string }[];
}

type Container = { name?: string; image?: string; securityContext?: { runAsNonRoot?: boolean; runAsUser?: number } };

/** What the kubelet makes of an image User under runAsNonRoot: fine, root, or a name it cannot check. */
export function classifyUser(user: string): 'ok' | 'root' | 'name' {
  const name = user.split(':')[0]!.trim();
  if (name === '' || name === 'root' || name === '0') return 'root';
  return /^\d+$/.test(name) ? 'ok' : 'name';
}

export async function checkImageUsers(objects: readonly KubeObject[], o: { insecureRegistries?: string[] } = {}): Promise<ImageUserCheck> {
  const wanted = new Map<string, string[]>();
  for (const w of objects) {
    const pod = podSpecOf(w) as ({ securityContext?: { runAsNonRoot?: boolean; runAsUser?: number } } & Record<string, Container[] | undefined>) | undefined;
    if (!pod) continue;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      if (nonRoot !== true || uid !== undefined || !c.image) continue;
      const list = wanted.get(c.image) ?? [];
      list.push(`${w.kind}/${w.metadata.name} container ${c.name}`);
      wanted.set(c.image, list);
    }
  }
  const clients = new Map<string, RegistryClient>();
  const result: ImageUserCheck = { problems: [], unchecked: [] };
  await Promise.all(
    [...wanted].map(async ([image, places]) => {
      const ref = parseReference(image);
      if (!ref) return void result.unchecked.push({ image, reason: 'not an image reference' });
      const host = registryOf(ref);
      let client = clients.get(host);
      if (!client) clients.set(host, (client = new RegistryClient(host, { insecure: o.insecureRegistries, retry: { attempts: 2 }, timeoutMs: 10_000 })));
      try {
        const config = await client.imageConfig(apiPathOf(ref), ref.digest ?? ref.tag ?? 'latest');
        if (!config) return void result.unchecked.push({ image, reason: 'not found in its registry' });
        const user = config.User ?? '';
        const kind = classifyUser(user);
        if (kind !== 'ok') for (const where of places) result.problems.push({ where, image, user, problem: kind });
      } catch (e) {
        result.unchecked.push({ image, reason: (e as Error).message });
      }
    }),
  );
  result.problems.sort((a, b) => (a.where < b.where ? -1 : 1));
  return result;
}
