// Restarting a container against the in-memory API server, the kubelet played by the test: in place when PID 1
// handles SIGTERM, by replacing the pod when it does not, when the kubelet holds the stopped container back
// (crash-loop back-off), or when our own restart history says it would; a bare pod cannot be replaced.
import { describe, expect, it } from 'vitest';
import { clusterFrom } from '../../src/deploy/client.js';
import type { ExecRequest, ExecResult } from '../../src/deploy/exec.js';
import { RestartHistory, restartContainer, runningContainers, listPods } from '../../src/deploy/pods.js';
import type { KubeObject } from '../../src/model/kube.js';
import { FakeCluster } from './fake-cluster.js';

const selector = { app: 'web' };

function pod(name: string, state: Record<string, unknown>, containerID: string, o: { controlled?: boolean; ready?: boolean } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      labels: selector,
      ...(o.controlled === false ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }] }),
    },
    spec: { containers: [{ name: 'web', image: 'web:1' }], terminationGracePeriodSeconds: 1 },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
      containerStatuses: [{ name: 'web', containerID, restartCount: 0, ready: true, image: 'web:1', imageID: '', state }],
    },
  };
}

const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const ok: ExecResult = { exitCode: 0, stdout: '', stderr: '' };

/** A cluster whose pod web-a runs a container; `kubelet` decides what happens when PID 1 gets SIGTERM. */
function setup(o: { catches: boolean; kubelet?: (f: FakeCluster) => void; controlled?: boolean }) {
  const f = new FakeCluster();
  const commands: string[] = [];
  const exec = async (req: ExecRequest): Promise<ExecResult> => {
    commands.push(req.command.join(' '));
    if (req.command[0] === 'cat') return { exitCode: 0, stdout: `SigCgt:\t${o.catches ? '0000000000004000' : '0000000000000000'}\n`, stderr: '' };
    if (req.command[0] === 'kill') setTimeout(() => o.kubelet?.(f), 20);
    return ok;
  };
  const cluster = clusterFrom(f, f.watch, { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, exec);
  f.put(pod('web-a', running, 'c://1', { controlled: o.controlled }));
  // The ReplicaSet: a deleted pod is replaced by a new one that starts running after a moment.
  f.onWrite = (obj, deleted) => {
    if (deleted && obj.kind === 'Pod') setTimeout(() => f.put(pod(`web-${Math.random().toString(36).slice(2, 7)}`, running, 'c://new')), 30);
  };
  const container = async () => runningContainers((await listPods(cluster, 'ns', selector)) as never, 'web')[0]!;
  const options = { namespace: 'ns', selector, timeoutMs: 5000, pollMs: 20, backOffAfterMs: 200 };
  return { f, cluster, commands, container, options };
}

describe('restartContainer', () => {
  it('in place when PID 1 handles SIGTERM: same pod, a new container', async () => {
    const s = setup({ catches: true, kubelet: (f) => f.put(pod('web-a', running, 'c://2')) });
    const r = await restartContainer(s.cluster, await s.container(), s.options);
    expect(r).toEqual({ how: 'in place', pod: 'web-a' });
    expect(s.commands).toEqual(['cat /proc/1/status', 'kill -TERM 1']);
  });

  it('replaces the pod when PID 1 does not handle SIGTERM, without signalling it', async () => {
    const s = setup({ catches: false });
    const r = await restartContainer(s.cluster, await s.container(), s.options);
    expect(r.how).toBe('replaced');
    expect(r.why).toBe('its main process (PID 1) does not handle SIGTERM');
    expect(r.pod).not.toBe('web-a');
    expect(s.f.get('Pod', 'web-a', 'ns')).toBeUndefined();
    expect(s.commands).toEqual(['cat /proc/1/status']);
  });

  it('replaces the pod when the kubelet holds the stopped container back', async () => {
    const s = setup({ catches: true, kubelet: (f) => f.put(pod('web-a', { terminated: { exitCode: 0, reason: 'Completed' } }, 'c://1', { ready: false })) });
    const r = await restartContainer(s.cluster, await s.container(), s.options);
    expect(r.how).toBe('replaced');
    expect(r.why).toBe('the kubelet delays restarting it (crash-loop back-off)');
  });

  it("a second in-place restart within the kubelet's back-off replaces the pod at once", async () => {
    let n = 1;
    const s = setup({ catches: true, kubelet: (f) => f.put(pod('web-a', running, `c://${++n}`)) });
    const history = new RestartHistory();
    expect((await restartContainer(s.cluster, await s.container(), { ...s.options, history })).how).toBe('in place');
    const second = await restartContainer(s.cluster, await s.container(), { ...s.options, history });
    expect(second.how).toBe('replaced');
    expect(second.why).toBe('the kubelet would delay restarting it again (crash-loop back-off)');
    expect(s.commands.filter((c) => c.startsWith('kill'))).toHaveLength(1);
  });

  it('a bare pod cannot be replaced: an error saying why', async () => {
    const s = setup({ catches: false, controlled: false });
    await expect(restartContainer(s.cluster, await s.container(), s.options)).rejects.toThrow(
      'cannot restart web in pod web-a: its main process (PID 1) does not handle SIGTERM, and the pod has no controller that would replace it',
    );
  });
});

describe('RestartHistory', () => {
  it('follows the kubelet: 10 s, doubling to 300 s, forgotten after 10 minutes', () => {
    let t = 0;
    const h = new RestartHistory(() => t);
    expect(h.wouldBackOff('p/c')).toBe(false);
    h.restarted('p/c');
    t = 9_000;
    expect(h.wouldBackOff('p/c')).toBe(true);
    t = 10_000;
    expect(h.wouldBackOff('p/c')).toBe(false);
    h.restarted('p/c'); // back-off now 20 s
    t = 29_000;
    expect(h.wouldBackOff('p/c')).toBe(true);
    t = 30_001;
    expect(h.wouldBackOff('p/c')).toBe(false);
    for (let i = 0; i < 10; i++) {
      h.restarted('p/c');
      t += 1000;
    }
    t += 298_000; // 299 s after the last restart
    expect(h.wouldBackOff('p/c')).toBe(true); // capped at 300 s
    t += 1_000;
    expect(h.wouldBackOff('p/c')).toBe(false);
    expect(h.wouldBackOff('other/c')).toBe(false);
    t += 700_000; // forgotten: the next restart starts again at 10 s
    h.restarted('p/c');
    t += 11_000;
    expect(h.wouldBackOff('p/c')).toBe(false);
  });
});
