// Rewrites the container images of lowered workloads to the built references. A container is matched by the
// image string the lowering gave it for its service: `image:` if set, else `<project>-<service>`. Services
// that reuse another service's built image by name (`image: proj-web` without `build:`) are pinned too.
import { podSpecOf, type KubeObject } from '../model/kube.js';


export interface ImageRef {
  reference: string;
  sourceImage?: string;
}

export interface PinResult {
  /** Containers rewritten, as `Kind/name container: old -> new`. */
  changed: string[];
  /** Built services whose image no container used. */
  unused: string[];
}

/**
 * Replaces, in place, every container image equal to a built service's source image by its reference.
 * `refs` maps service name -> { reference, sourceImage }; `sourceImageOf(service)` supplies the source image
 * when an entry lacks it (e.g. `(s) => project.services[s].image ?? `${project.name}-${s}``).
 */
export function pinImages(
  objects: KubeObject[],
  refs: Map<string, ImageRef>,
  sourceImageOf?: (service: string) => string,
): PinResult {
  const bySource = new Map<string, { service: string; reference: string }>();
  for (const [service, r] of refs) {
    const source = r.sourceImage ?? sourceImageOf?.(service);
    if (source === undefined) throw new Error(`pinImages: no source image for service ${service}`);
    const prev = bySource.get(source);
    if (prev && prev.reference !== r.reference) {
      throw new Error(`services ${prev.service} and ${service} both build image "${source}" with different content; give them different image: names`);
    }
    bySource.set(source, { service, reference: r.reference });
  }
  const used = new Set<string>();
  const changed: string[] = [];
  for (const o of objects) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    for (const list of [pod.initContainers, pod.containers, pod.ephemeralContainers]) {
      for (const c of list ?? []) {
        if (typeof c.image !== 'string') continue;
        const hit = bySource.get(c.image);
        if (!hit) continue;
        used.add(hit.service);
        if (c.image === hit.reference) continue;
        changed.push(`${o.kind}/${o.metadata.name} ${c.name ?? '?'}: ${c.image} -> ${hit.reference}`);
        c.image = hit.reference;
      }
    }
  }
  const unused = [...bySource.values()].map((v) => v.service).filter((s) => !used.has(s));
  return { changed, unused };
}
