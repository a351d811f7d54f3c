// The query parameters of the Engine API's POST /build for one service: its build settings in the engine's names.
import { LABEL_INPUTS, type ServicePlan } from './plan.js';

/**
 * Query parameters of POST /build for one service: `tags` to give the image, the Dockerfile's name in the
 * context, the input digest for the inputs label, and `remote` when the engine fetches the context itself.
 */
export function buildQuery(
  p: Pick<ServicePlan, 'build' | 'args' | 'labels' | 'platform'>,
  x: { tags: string[]; dockerfile: string; inputs: string; remote?: string },
  version: '1' | '2',
): Record<string, unknown> {
  const b = p.build;
  const q: Record<string, unknown> = {
    t: x.tags,
    dockerfile: x.dockerfile,
    labels: { ...p.labels, [LABEL_INPUTS]: x.inputs },
    rm: true,
    forcerm: true,
    version,
  };
  if (x.remote !== undefined) q.remote = x.remote;
  if (Object.keys(p.args).length > 0) q.buildargs = p.args;
  if (b.target) q.target = b.target;
  if (b.cache_from && b.cache_from.length > 0) q.cachefrom = JSON.stringify(b.cache_from);
  if (b.network) q.networkmode = b.network;
  if (b.extra_hosts) {
    const hosts: string[] = [];
    for (const [h, ips] of Object.entries(b.extra_hosts)) for (const ip of ips) hosts.push(`${h}:${ip}`);
    if (hosts.length > 0) q.extrahosts = hosts;
  }
  if (b.shm_size !== undefined) q.shmsize = b.shm_size;
  if (b.no_cache) q.nocache = true;
  if (b.pull) q.pull = true;
  if (p.platform) q.platform = p.platform;
  if (b.isolation) q.isolation = b.isolation;
  if (b.ulimits) {
    q.ulimits = JSON.stringify(
      Object.entries(b.ulimits).map(([name, u]) => ({ Name: name, Soft: u.soft ?? u.single ?? 0, Hard: u.hard ?? u.single ?? 0 })),
    );
  }
  return q;
}
