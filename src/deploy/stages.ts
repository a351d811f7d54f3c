// Apply order. Objects of one stage go out concurrently; a stage starts when the previous one succeeded.
// Namespaces and CRDs first (CRDs must be established before their custom resources), then identities and
// configuration the workloads reference, then Services (so that environment-variable service discovery and
// endpoints exist when pods start), then the workloads, then everything else (Ingress, HPA, PDB, custom resources).
import { groupOf, type KubeObject } from './types.js';

export interface Stage {
  name: string;
  objects: KubeObject[];
}

const STAGE_NAMES = ['namespaces and CRDs', 'identities, secrets, configuration and storage', 'services', 'workloads', 'the rest'] as const;

const BY_KIND: Record<string, number> = {
  'Namespace/': 0,
  'CustomResourceDefinition/apiextensions.k8s.io': 0,
  'ServiceAccount/': 1,
  'Role/rbac.authorization.k8s.io': 1,
  'ClusterRole/rbac.authorization.k8s.io': 1,
  'RoleBinding/rbac.authorization.k8s.io': 1,
  'ClusterRoleBinding/rbac.authorization.k8s.io': 1,
  'Secret/': 1,
  'ConfigMap/': 1,
  'PersistentVolume/': 1,
  'PersistentVolumeClaim/': 1,
  'StorageClass/storage.k8s.io': 1,
  'LimitRange/': 1,
  'ResourceQuota/': 1,
  'PriorityClass/scheduling.k8s.io': 1,
  'Service/': 2,
  'Deployment/apps': 3,
  'StatefulSet/apps': 3,
  'DaemonSet/apps': 3,
  'ReplicaSet/apps': 3,
  'Job/batch': 3,
  'CronJob/batch': 3,
  'Pod/': 3,
  'ReplicationController/': 3,
};

export function stageIndex(object: Pick<KubeObject, 'apiVersion' | 'kind'>): number {
  return BY_KIND[`${object.kind}/${groupOf(object.apiVersion)}`] ?? STAGE_NAMES.length - 1;
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

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
