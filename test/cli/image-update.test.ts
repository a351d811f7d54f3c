// `update` and `rollback` through commander, against the in-memory API server served over HTTP (it records field
// sets like the API server, so what compose2k8s applied can be extracted) and a registry on 127.0.0.1 that answers
// from a table; and the pure parts: which workloads a service names, what moved, the output lines, the backoff.
import { runDeployCommand } from '../helpers/deploy-cli.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConvertResult } from '../../src/cli/deploy-commands.js';
import { followedTags, formatMoves, nextDelay, planMoves, selectWorkloads, shortDigest } from '../../src/cli/image-update.js';
import { pinnedReference } from '../../src/build/digests.js';
import { imagesOf, readHistory } from '../../src/deploy/images.js';
import { kubectlName } from '../../src/deploy/format.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { IMAGE_TAGS_ANNOTATION } from '../../src/model/kube.js';
import { FakeCluster, deployment, serveFake } from '../deploy/fake-cluster.js';
import { startFakeRegistry, type FakeRegistry } from '../helpers/fake-registry.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-update-'));
const D = (c: string) => `sha256:${c.repeat(64)}`;

function workload(name: string, image: string, tag?: string, component = name): KubeObject {
  const d = deployment(name);
  d.metadata.labels = { 'app.kubernetes.io/component': component };
  (d.spec as any).template.spec.containers[0].image = image;
  if (tag) d.metadata.annotations = { [IMAGE_TAGS_ANNOTATION]: JSON.stringify({ [name]: tag }) };
  return d;
}

describe('update: the pure parts', () => {
  const web = workload('web', `reg/web:1@${D('1')}`, 'reg/web:1');
  const api = workload('api', `reg/api:2@${D('2')}`, 'reg/api:2');
  const built = workload('worker', `reg/worker@${D('3')}`);
  const group = workload('group', 'x', undefined, 'grp');
  (group.spec as any).template.spec.containers.push({ name: 'side', image: 'reg/side:1' });

  it('a service names the workloads whose component, name or container it is', () => {
    expect(selectWorkloads([web, api, group], [], imagesOf).selected).toHaveLength(3);
    expect(selectWorkloads([web, api, group], ['api', 'side'], imagesOf)).toEqual({ selected: [api, group], unknown: [] });
    expect(selectWorkloads([web, api, group], ['grp', 'nope'], imagesOf)).toEqual({ selected: [group], unknown: ['nope'] });
  });

  it('what moved: only followed tags whose digest is another one now; tags deployed without a digest get pinned', () => {
    const unpinned = workload('cache', 'redis:7', 'redis:7');
    const job = { ...workload('seed', `reg/seed:1@${D('4')}`, 'reg/seed:1'), kind: 'Job' };
    const followed = followedTags([web, api, built, unpinned, job], imagesOf);
    expect(followed.map((f) => f.tag)).toEqual(['reg/web:1', 'reg/api:2', 'redis:7']);
    const moves = planMoves(
      followed,
      new Map([
        ['reg/web:1', { ok: true as const, digest: D('1') }],
        ['reg/api:2', { ok: true as const, digest: D('9') }],
        ['redis:7', { ok: true as const, digest: D('7') }],
      ]),
      pinnedReference,
    );
    expect(moves.map((m) => [m.ref.name, m.from, m.to])).toEqual([
      ['api', `reg/api:2@${D('2')}`, `reg/api:2@${D('9')}`],
      ['cache', 'redis:7', `redis:7@${D('7')}`],
    ]);
    expect(formatMoves(moves, kubectlName)).toBe(
      `deployment.apps/api: api 222222222222 -> 999999999999 (reg/api:2)\ndeployment.apps/cache: cache unpinned -> 777777777777 (redis:7)\n`,
    );
    expect(shortDigest('nginx')).toBe('unpinned');
  });

  it('the pause between checks: the interval ±10%, doubled per registry error in a row, up to 10 minutes (or the interval)', () => {
    expect(nextDelay(60_000, 0, () => 0.5)).toBe(60_000);
    expect(nextDelay(60_000, 0, () => 0)).toBe(54_000);
    expect(nextDelay(60_000, 0, () => 1)).toBe(66_000);
    expect(nextDelay(60_000, 2, () => 0.5)).toBe(240_000);
    expect(nextDelay(60_000, 30, () => 0.5)).toBe(600_000);
    expect(nextDelay(3_600_000, 3, () => 0.5)).toBe(3_600_000);
  });
});

describe('update and rollback commands (in-memory API server, registry on 127.0.0.1)', () => {
  let reg: FakeRegistry;
  let f: FakeCluster;
  let served: Awaited<ReturnType<typeof serveFake>>;
  let objects: KubeObject[] = [];
  const convert = async (): Promise<ConvertResult> => ({ objects: structuredClone(objects), projectName: 'shop' });
  const run = (args: string[]) => runDeployCommand([...args, '--kubeconfig', served.kubeconfig, '-n', 'shop'], convert);
  const image = (name: string) => imagesOf(f.get('Deployment', name, 'shop')!)[name];
  const generation = (name: string) => f.get('Deployment', name, 'shop')!.metadata.generation;

  let web1: string;
  let api1: string;
  beforeAll(async () => {
    reg = await startFakeRegistry();
  });
  afterAll(() => reg.close());
  beforeEach(async () => {
    f = new FakeCluster();
    f.trackFieldSets = true;
    served = await serveFake(f, dir);
    web1 = reg.push('shop/web:1');
    api1 = reg.push('shop/api:1');
    objects = [workload('web', `${reg.host}/shop/web:1@${web1}`, `${reg.host}/shop/web:1`), workload('api', `${reg.host}/shop/api:1@${api1}`, `${reg.host}/shop/api:1`), workload('worker', `${reg.host}/shop/worker@${D('5')}`)];
    const applied = await run(['apply', '--no-resolve-digests']);
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterEach(() => served.close());

  it('rolls exactly the workload whose tag moved, prints it, records the previous digest; a second run rolls nothing', async () => {
    const web2 = reg.push('shop/web:1');
    const before = { api: structuredClone(f.get('Deployment', 'api', 'shop')), worker: structuredClone(f.get('Deployment', 'worker', 'shop')), web: generation('web') as number };
    const dry = await run(['update', '--dry-run', '--no-wait']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toBe(`deployment.apps/web: web ${web1.slice(7, 19)} -> ${web2.slice(7, 19)} (${reg.host}/shop/web:1) (dry run)\n`);
    expect(generation('web')).toBe(before.web);

    const r = await run(['update', '--no-wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`deployment.apps/web: web ${web1.slice(7, 19)} -> ${web2.slice(7, 19)} (${reg.host}/shop/web:1)\n`);
    expect(image('web')).toBe(`${reg.host}/shop/web:1@${web2}`);
    expect(generation('web')).toBe(before.web + 1);
    expect(f.get('Deployment', 'api', 'shop')).toEqual(before.api);
    expect(f.get('Deployment', 'worker', 'shop')).toEqual(before.worker);
    expect(readHistory(f.get('Secret', 'compose2k8s-shop', 'shop'))).toEqual({ 'apps/Deployment/shop/web': { web: `${reg.host}/shop/web:1@${web1}` } });
    // built images (a digest, no tag followed) are not asked about
    expect(reg.requests.filter((q) => q.includes('worker'))).toEqual([]);

    const again = await run(['update', '--no-wait']);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('no image moved: the 2 tag(s) followed by 2 workload(s) still point to the deployed digests');
    expect(generation('web')).toBe(before.web + 1);

    const back = await run(['rollback', '--no-wait']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toBe(`deployment.apps/web: web ${web2.slice(7, 19)} -> ${web1.slice(7, 19)} (${reg.host}/shop/web:1)\n`);
    expect(image('web')).toBe(`${reg.host}/shop/web:1@${web1}`);
    expect(readHistory(f.get('Secret', 'compose2k8s-shop', 'shop'))).toEqual({ 'apps/Deployment/shop/web': { web: `${reg.host}/shop/web:1@${web2}` } });
  });

  it('SERVICE limits what is checked; an unknown one is an error', async () => {
    reg.push('shop/web:1');
    reg.push('shop/api:1');
    reg.requests.length = 0;
    const r = await run(['update', 'api', '--no-wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^deployment\.apps\/api: api /);
    expect(image('web')).toBe(`${reg.host}/shop/web:1@${web1}`);
    expect(reg.requests).toEqual(['HEAD /v2/shop/api/manifests/1']);
    const bad = await run(['update', 'nope', '--no-wait']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: no workload of project shop in namespace shop runs nope');
  });

  it('a registry error changes nothing and fails the run', async () => {
    reg.push('shop/web:1');
    reg.manifests.delete('shop/api:1');
    const r = await run(['update', '--no-wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: cannot resolve ${reg.host}/shop/api:1: registry ${reg.host} has no tag 1 in shop/api (deployment.apps/api)`);
    expect(r.stderr).toContain('nothing was changed');
    expect(image('web')).toBe(`${reg.host}/shop/web:1@${web1}`);
  });

  it('rollback without a record says so', async () => {
    const r = await run(['rollback', '--no-wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing to roll back: no previous images are recorded for project shop in namespace shop');
  });
});
