// Apply order. Objects of one stage go out concurrently; a stage starts when the previous one succeeded.
// Namespaces and CRDs first (CRDs must be established before their custom resources), then identities and
// configuration the workloads reference, then Services (so that environment-variable service discovery and
// endpoints exist when pods start), then the workloads, then everything else (Ingress, HPA, PDB, custom resources).
import { APPLY_STAGES, applyStage } from '../model/kube.js';
import type { KubeObject } from './types.js';

export interface Stage {
  name: string;
  objects: KubeObject[];
}

const STAGE_NAMES = APPLY_STAGES;

export function stageIndex(object: Pick<KubeObject, 'apiVersion' | 'kind'>): number {
  return applyStage(object);
}

/** Splits objects into non-empty stages, keeping the input order within each stage. */
export function planStages(objects: readonly KubeObject[]): Stage[] {
  const buckets: KubeObject[][] = STAGE_NAMES.map(() => []);
  for (const o of objects) buckets[stageIndex(o)]!.push(o);
  return buckets.map((objs, i) => ({ name: STAGE_NAMES[i]!, objects: objs })).filter((s) => s.objects.length > 0);
}

/** Deletion runs the stages backwards: the rest, workloads, Services, configuration, then Namespaces and CRDs. */
export function deletionOrder<T extends Pick<KubeObject, 'apiVersion' | 'kind'>>(objects: readonly T[]): T[][] {
  const buckets: T[][] = STAGE_NAMES.map(() => []);
  for (const o of objects) buckets[stageIndex(o)]!.push(o);
  return buckets.reverse().filter((b) => b.length > 0);
}

export { mapLimit } from '../model/async.js';
