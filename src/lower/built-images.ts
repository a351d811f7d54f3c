// Images that only exist where they are built. A service with `build:` gets the image name `image:` or
// `<project>-<service>`; unless this run builds and pushes it (convert --build --push, up), the manifests name
// an image no cluster can pull, which the user would otherwise learn from ImagePullBackOff. Said once per
// service, with the remedy; an error under --strict. A registry-qualified `image:` may be pushed by the user
// (docker compose build --push): that is only a note.
import { parseReference, registryOf } from '../model/image-reference.js';
import { workloadRef, type LowerContext, type ServiceUnit } from './context.js';

/**
 * What the build stage of this run does with the images of services that have `build:`: `pushed` (built,
 * pushed, manifests pinned to the pushed digest), `local` (built into the local engine only), `none`.
 */
export type BuiltImages = 'pushed' | 'local' | 'none';

export function reportBuild(ctx: LowerContext, unit: ServiceUnit, image: string): void {
  const path = `${unit.path}.build`;
  const mode = ctx.options.builtImages;
  if (mode === 'pushed') {
    ctx.report.mapped(path, 'build stage (image built and pushed; the manifests pin its digest)');
    return;
  }
  const name = unit.service;
  const say = (message: string) =>
    ctx.options.strict ? ctx.diagnostics.error('image.local-only', `${message} (--strict)`, { path }) : ctx.diagnostics.warn('image.local-only', message, { path });
  if (mode === 'local') {
    say(`${name}: its image is built into the local Docker engine only, which a cluster sees only if it shares that engine (or after \`kind load docker-image\`); add --push --registry REGISTRY, or deploy with \`compose2k8s up --registry REGISTRY\``);
    ctx.report.approximated(path, 'build stage (image built into the local Docker engine only)', 'not pushed: a cluster sees it only if it shares that engine; add --push --registry');
    return;
  }
  const ref = parseReference(image);
  if (ref?.domain) {
    // The user names a registry: they may push there themselves; this run does not.
    const registry = registryOf(ref);
    const message = `${name}: ${image} is neither built nor pushed by this command; the cluster pulls it from ${registry}, so push it there first (\`docker compose build --push\`), or build, push and pin it with \`convert --build --push\``;
    ctx.diagnostics.add({ severity: 'info', code: 'image.not-built', message, path });
    ctx.report.approximated(path, `${workloadRef(unit)} image ${image}`, `not built here: pulled from ${registry}, where it must have been pushed`);
    return;
  }
  const remedy = 'build and push it with `convert --build --push --registry REGISTRY` (the manifests then pin its digest), or deploy with `compose2k8s up --registry REGISTRY`';
  if (ref && ref.path.includes('/')) {
    say(`${name}: the image ${image} is made by build: and not pushed by this command; a cluster pulls it from Docker Hub (docker.io/${ref.path}), which has it only if you pushed it there: ${remedy}`);
  } else {
    say(`${name}: the image ${image} exists only where build: makes it; no cluster can pull it (its pods would stay in ImagePullBackOff): ${remedy}`);
  }
  ctx.report.ignored(path, `not built: the image ${image} exists only where it is built; ${remedy}`, true);
}
