// The deploy commands through commander, against the in-memory API server served over HTTP.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConvertResult } from '../../src/cli/deploy-commands.js';
import { formatStatus, parseDuration } from '../../src/deploy/format.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { runDeployCommand } from '../helpers/deploy-cli.js';
import { FakeCluster, cm, deployment, serveFake, service } from './fake-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-cli-'));

let objects: KubeObject[] = [];
let lastFlags: Record<string, unknown> = {};
const convert = async (flags: Record<string, unknown>): Promise<ConvertResult> => {
  lastFlags = flags;
  return { objects: structuredClone(objects), projectName: 'shop' };
};

const run = (args: string[]) => runDeployCommand(args, convert);

describe('deploy commands', () => {
  let f: FakeCluster;
  let served: Awaited<ReturnType<typeof serveFake>>;
  beforeEach(async () => {
    f = new FakeCluster();
    served = await serveFake(f, dir);
    objects = [cm('web-config'), service('web'), deployment('web')];
  });
  afterEach(() => served.close());

  it('apply prints kubectl-style lines and uses the context namespace', async () => {
    const r = await run(['apply', '--kubeconfig', served.kubeconfig]);
    expect(r.stderr).toBe(
      'applying 1 object(s): namespaces and CRDs\napplying 1 object(s): identities, secrets, configuration and storage\napplying 1 object(s): services\napplying 1 object(s): workloads\n',
    );
    // The missing namespace is created as part of the project.
    expect(r.stdout).toBe('namespace/from-context created\nconfigmap/web-config created\nservice/web created\ndeployment.apps/web created\n');
    expect(r.code).toBe(0);
    expect(f.get('Deployment', 'web', 'from-context')).toBeDefined();
    expect(lastFlags.command).toBe('apply');
    const again = await run(['apply', '--kubeconfig', served.kubeconfig, '-n', 'from-context']);
    expect(again.stdout).toBe('namespace/from-context unchanged\nconfigmap/web-config unchanged\nservice/web unchanged\ndeployment.apps/web unchanged\n');
    // A namespace that existed before is not adopted.
    f.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    const other = await run(['apply', '--kubeconfig', served.kubeconfig, '-n', 'team']);
    expect(other.stdout).toBe('configmap/web-config created\nservice/web created\ndeployment.apps/web created\n');
  });

  it('apply --prune deletes removed objects; status shows the rest; down removes everything', async () => {
    await run(['apply', '--kubeconfig', served.kubeconfig]);
    objects = [cm('web-config')];
    const r = await run(['apply', '--kubeconfig', served.kubeconfig, '--prune']);
    expect(r.stdout).toBe('namespace/from-context unchanged\nconfigmap/web-config unchanged\nservice/web pruned\ndeployment.apps/web pruned\n');
    const st = await run(['status', '--kubeconfig', served.kubeconfig]);
    expect(st.stdout).toBe(
      'KIND       NAME          NAMESPACE     STATUS   MESSAGE\nConfigMap  web-config    from-context  Current  Resource is current\nNamespace  from-context                Current  Resource is current\n',
    );
    const down = await run(['down', '--kubeconfig', served.kubeconfig]);
    expect(down.stdout).toBe('configmap/web-config -n from-context deleted\nnamespace/from-context deleted\n');
    expect(f.objects.size).toBe(0);
    const none = await run(['status', '--kubeconfig', served.kubeconfig]);
    expect(none.stderr).toMatch(/no objects of project shop in namespace from-context/);
  });

  it('apply reports conflicts and exits 1; the summary says what was and was not applied', async () => {
    await run(['apply', '--kubeconfig', served.kubeconfig]);
    f.foreignOwners.set('apps/Deployment/from-context/web', { '.spec.replicas': 'kubectl-edit' });
    const r = await run(['apply', '--kubeconfig', served.kubeconfig]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deployment.apps/web failed: conflict: .spec.replicas is owned by "kubectl-edit" (rerun with --force-conflicts to take ownership)');
    expect(r.stderr).toContain('applied 3 of 4 object(s); not applied:');
    const forced = await run(['apply', '--kubeconfig', served.kubeconfig, '--force-conflicts']);
    expect(forced.code).toBe(0);
  });

  it('diff exits 0 without changes, 1 with changes, 2 on errors', async () => {
    await run(['apply', '--kubeconfig', served.kubeconfig]);
    expect((await run(['diff', '--kubeconfig', served.kubeconfig])).code).toBe(0);
    objects[0] = cm('web-config', { a: '2' });
    const d = await run(['diff', '--kubeconfig', served.kubeconfig]);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain('+  a: "2"');
    const bad = await run(['diff', '--kubeconfig', join(dir, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/does not exist/);
  });

  it('--dry-run=client needs no cluster and --dry-run=server changes nothing', async () => {
    const c = await run(['apply', '--kubeconfig', join(dir, 'nope'), '--dry-run=client']);
    expect(c.stdout).toBe('configmap/web-config applied (client dry run)\nservice/web applied (client dry run)\ndeployment.apps/web applied (client dry run)\n');
    f.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'from-context' } });
    const s = await run(['apply', '--kubeconfig', served.kubeconfig, '--dry-run', 'server']);
    expect(s.stdout).toContain('deployment.apps/web applied (server dry run)');
    expect(s.code).toBe(0);
    expect(f.objects.size).toBe(1);
  });

  it('up prunes and waits by default and names what is not ready on timeout', async () => {
    const r = await run(['up', '--kubeconfig', served.kubeconfig, '--timeout', '300ms']);
    expect(lastFlags.command).toBe('up');
    expect(lastFlags.build).toBeUndefined();
    expect(lastFlags.prune).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('timed out after 300ms waiting for 1 object(s):');
    expect(r.stderr).toContain('deployment.apps/web -n from-context: InProgress (LessReplicas): Replicas: 0/1');
    expect(r.stderr).toContain('no pods match app=web yet');
    const noWait = await run(['up', '--kubeconfig', served.kubeconfig, '--no-wait', '--no-build']);
    expect(noWait.code).toBe(0);
    expect(lastFlags.build).toBe(false);
  });
});

describe('report helpers', () => {
  it('parses durations', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(() => parseDuration('5 minutes')).toThrow(/invalid duration/);
  });
  it('aligns the status table', () => {
    expect(formatStatus([{ ref: { group: 'apps', kind: 'Deployment', name: 'w', namespace: 'n' }, status: 'Current', message: 'ok' }])).toBe(
      'KIND             NAME  NAMESPACE  STATUS   MESSAGE\nDeployment.apps  w     n          Current  ok\n',
    );
  });
});
