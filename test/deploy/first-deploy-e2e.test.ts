// A first deploy into a namespace that does not exist yet (issue #14): a server dry run of its objects would only
// answer `namespaces "x" not found`. diff shows each object as created, with the Namespace; apply --dry-run=server
// checks them against the schema the server publishes, and creates nothing. Against a real API server.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObjects } from '../../src/deploy/apply.js';
import { connect, type Cluster } from '../../src/deploy/client.js';
import { diffObjects } from '../../src/deploy/diff.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { FIXTURES, loadManifests } from './helpers.js';

const KUBECONFIG = process.env.COMPOSE2K8S_KUBECONFIG;

describe.skipIf(!KUBECONFIG)('first deploy into a new namespace (real API server)', () => {
  let cluster: Cluster;
  const fresh = () => `c2k-first-${randomBytes(3).toString('hex')}`;
  const project = () => loadManifests(join(FIXTURES, 'project'));
  beforeAll(async () => {
    cluster = await connect({ kubeconfig: KUBECONFIG });
  });
  afterAll(() => cluster?.close());

  it('apply --dry-run=server: every object validated, none failed, nothing created', async () => {
    const ns = fresh();
    const objects = project();
    const r = await applyObjects(objects, { cluster, namespace: ns, projectName: 'first', dryRun: 'server', createNamespace: true });
    expect(r.results.filter((x) => x.outcome !== 'dry-run').map((x) => `${x.ref.kind}/${x.ref.name}: ${x.message}`)).toEqual([]);
    expect(r.results.map((x) => `${x.ref.kind}/${x.ref.name}`)).toContain(`Namespace/${ns}`);
    expect(r.results).toHaveLength(objects.length + 1);
    expect(await cluster.client.getOptional(`/api/v1/namespaces/${ns}`)).toBeUndefined();
  });

  it('apply --dry-run=server: an unknown or mistyped field is named, as the server would', async () => {
    const objects = project();
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    (deployment.spec as Record<string, unknown>).bogus = 1;
    ((deployment.spec as any).template.spec.containers[0] as Record<string, unknown>).image = 42;
    const r = await applyObjects(objects, { cluster, namespace: fresh(), projectName: 'first', dryRun: 'server', createNamespace: true });
    const failed = r.results.filter((x) => x.outcome === 'failed');
    expect(failed.map((x) => x.ref.name)).toEqual([deployment.metadata.name]);
    expect(failed[0]!.message).toContain('spec: must NOT have additional properties (bogus)');
    expect(failed[0]!.message).toContain('spec.template.spec.containers.0.image: must be string');
  });

  it('diff: the Namespace and every object show as created, exit status "changed"', async () => {
    const ns = fresh();
    const objects: KubeObject[] = project();
    const r = await diffObjects(objects, { cluster, namespace: ns, projectName: 'first', createNamespace: true });
    expect(r.failed).toBe(false);
    expect(r.changed).toBe(true);
    expect(r.objects.map((o) => o.change)).toEqual(r.objects.map(() => 'create'));
    expect(r.objects).toHaveLength(objects.length + 1);
    expect(r.text).toContain(`+++ merged/Namespace/${ns}`);
    expect(r.text).toContain('--- /dev/null');
  });
});
