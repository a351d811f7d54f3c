// A rebuild: the images of the service's workload are built (its own, and those of services sharing its pod:
// content-addressed, so unchanged ones cost a registry lookup) and pushed, and the workload alone is applied with
// the new references and waited for. Other objects are not touched; a failed build applies nothing, so the old
// pods keep serving.
import { buildAndPush } from '../build/index.js';
import { applyObjects, formatApply, formatWait, waitFor } from '../deploy/index.js';
import { Diagnostics } from '../model/diagnostics.js';
import { podSpecOf } from '../model/kube.js';
import type { WatchOptions } from './session.js';

type RebuildContext = Pick<WatchOptions, 'project' | 'workingDir' | 'placements' | 'objects' | 'cluster' | 'namespace' | 'projectName' | 'build' | 'apply' | 'timeoutMs' | 'signal'>;

/**
 * Rebuilds and rolls out the workload of `service`; `o.objects` then holds the applied workload. Undefined when the
 * images came out unchanged (nothing to roll out). Throws on a failed build, apply or rollout.
 */
export async function rebuildWorkload(o: RebuildContext, service: string): Promise<{ workload: string; reference: string } | undefined> {
  const place = o.placements[service]!;
  const index = o.objects.findIndex((x) => x.kind === place.kind && x.metadata.name === place.name);
  if (index < 0) throw new Error(`no ${place.kind}/${place.name} among the converted objects`);
  if (!o.project.services[service]?.build) throw new Error(`${service} has no build: section to rebuild its image from`);
  const members = Object.entries(o.placements)
    .filter(([s, p]) => p.kind === place.kind && p.name === place.name && o.project.services[s]?.build)
    .map(([s]) => s);
  // Build warnings were shown by the up the session started with.
  const built = await buildAndPush(o.project, {
    ...o.build,
    services: members,
    progress: 'quiet',
    signal: o.signal,
    diagnostics: new Diagnostics(),
    workingDir: o.workingDir,
    warnLocalOnly: false,
  });
  const next = structuredClone(o.objects[index]!);
  const containers = podSpecOf(next)?.containers ?? [];
  let changed = false;
  for (const s of members) {
    const c = containers.find((x) => x.name === o.placements[s]!.container);
    const ref = built.get(s)?.reference;
    if (c && ref && c.image !== ref) {
      c.image = ref;
      changed = true;
    }
  }
  if (!changed) return undefined;
  const result = await applyObjects([next], {
    cluster: o.cluster,
    namespace: o.namespace,
    projectName: o.projectName,
    fieldManager: o.apply.fieldManager,
    forceConflicts: o.apply.forceConflicts,
    concurrency: o.apply.concurrency,
    lock: o.apply.lock,
    createNamespace: false,
  });
  if (!result.ok) throw new Error(formatApply(result).stderr.trim());
  o.objects[index] = next;
  const waited = await waitFor([result.results[0]?.live ?? next], { cluster: o.cluster, namespace: o.namespace, timeoutMs: o.timeoutMs, signal: o.signal });
  if (o.signal.aborted) throw new Error('interrupted');
  if (!waited.ok) throw new Error(`rebuilt and applied, but the rollout did not finish: ${formatWait(waited, `${Math.round(o.timeoutMs / 1000)}s`).trim()}`);
  return { workload: `${place.kind}/${place.name}`, reference: built.get(service)?.reference ?? '' };
}
