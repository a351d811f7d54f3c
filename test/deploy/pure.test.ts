// Unit tests of the deploy stage's pure parts: ApplySet naming, error classification, backoff, staging,
// kstatus rules, diffs and Secret masking.
import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_GROUP_KINDS,
  ANNOTATION_NAMESPACES,
  ANNOTATION_TOOLING,
  LABEL_ID,
  additionalNamespacesOf,
  applySetId,
  checkParent,
  groupKindsOf,
  parentFor,
  parentObject,
} from '../../src/deploy/applyset.js';
import { pruneCandidates } from '../../src/deploy/prune.js';
import { outcomeOf } from '../../src/deploy/apply.js';
import { applyBody } from '../../src/deploy/prepare.js';
import { ApiError, errorFromResponse, isRetryable, parseConflicts } from '../../src/deploy/errors.js';
import { backoffDelay, withRetry } from '../../src/model/async.js';
import { deletionOrder, mapLimit, planStages } from '../../src/deploy/stages.js';
import { computeStatus } from '../../src/deploy/status.js';
import { diffLines, unifiedDiff } from '../../src/deploy/textdiff.js';
import { maskSecrets, objectDiff, stripForDiff } from '../../src/deploy/diff.js';
import { eventLines, podProblems } from '../../src/deploy/wait.js';
import type { KubeObject } from '../../src/deploy/types.js';
import { VERSION } from '../../src/version.js';

const obj = (apiVersion: string, kind: string, name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name },
  ...extra,
});

describe('ApplySet', () => {
  it('computes the ID like kubectl: base64url(sha256(name.namespace.kind.group)) without padding', () => {
    // Vectors computed independently (Python hashlib + urlsafe_b64encode, padding stripped).
    expect(applySetId({ name: 'compose2k8s-shop', namespace: 'prod', kind: 'Secret', group: '' })).toBe(
      'applyset-VKewAh8LOf6RI-rTG-PUvYQhDj6cMzjKMeLw6HLzbZY-v1',
    );
    expect(applySetId({ name: 'my-set', namespace: 'default', kind: 'ConfigMap', group: '' })).toBe(
      'applyset-DaObTxGT41gT7jz9wyulA3kuIrhUKfuOcjAfLI6wcmQ-v1',
    );
  });

  it('builds the parent Secret with ID label, tooling and sorted group-kinds', () => {
    const parent = parentFor('shop', 'prod');
    expect(parent).toEqual({ kind: 'Secret', group: '', name: 'compose2k8s-shop', namespace: 'prod' });
    const objects = [obj('apps/v1', 'Deployment', 'a'), obj('v1', 'Service', 'a'), obj('v1', 'ConfigMap', 'c'), obj('apps/v1', 'Deployment', 'b')];
    const gks = groupKindsOf(objects);
    expect(gks).toEqual(['ConfigMap', 'Deployment.apps', 'Service']);
    const p = parentObject(parent, ['Service', 'ConfigMap', 'Deployment.apps', 'Service'], ['b', 'a']);
    expect(p.metadata.labels).toEqual({ [LABEL_ID]: applySetId(parent) });
    expect(p.metadata.annotations).toEqual({
      [ANNOTATION_TOOLING]: `compose2k8s/${VERSION}`,
      [ANNOTATION_GROUP_KINDS]: 'ConfigMap,Deployment.apps,Service',
      [ANNOTATION_NAMESPACES]: 'a,b',
    });
  });

  it('lists namespaces other than the parent one', () => {
    const objects = [obj('v1', 'ConfigMap', 'a'), { ...obj('v1', 'ConfigMap', 'b'), metadata: { name: 'b', namespace: 'other' } }];
    expect(additionalNamespacesOf(objects, 'prod')).toEqual(['other']);
    expect(additionalNamespacesOf(objects, 'other')).toEqual([]);
  });

  it('refuses parents of other tools, without the ID label, or with a wrong ID', () => {
    const parent = parentFor('shop', 'prod');
    const ours = parentObject(parent, [], []);
    expect(() => checkParent(ours, parent)).not.toThrow();
    const kubectls = { ...ours, metadata: { ...ours.metadata, annotations: { [ANNOTATION_TOOLING]: 'kubectl/v1.30' } } };
    expect(() => checkParent(kubectls, parent)).toThrow(/managed by "kubectl\/v1.30"/);
    const plain = { apiVersion: 'v1', kind: 'Secret', metadata: { name: parent.name, namespace: 'prod' } };
    expect(() => checkParent(plain, parent)).toThrow(/not an ApplySet parent/);
    const wrong = { ...ours, metadata: { ...ours.metadata, labels: { [LABEL_ID]: 'applyset-x-v1' } } };
    expect(() => checkParent(wrong, parent)).toThrow(/has ID applyset-x-v1/);
  });

  it('prunes only live members that are not desired, never the parent', () => {
    const parent = parentFor('shop', 'prod');
    const live = [
      { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' },
      { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'old' },
      { group: '', kind: 'Secret', namespace: 'prod', name: 'compose2k8s-shop' },
    ];
    expect(pruneCandidates(live, [{ group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' }], parent)).toEqual([live[1]]);
  });
});

describe('applyBody', () => {
  it('drops status and server metadata, defaults the namespace, and labels the member', () => {
    const o = obj('v1', 'ConfigMap', 'c', { status: { x: 1 }, data: { a: '1' } });
    o.metadata.resourceVersion = '5';
    o.metadata.managedFields = [];
    o.metadata.labels = { app: 'x' };
    expect(applyBody(o, true, 'prod', 'applyset-abc-v1')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'prod', labels: { app: 'x', 'applyset.kubernetes.io/part-of': 'applyset-abc-v1' } },
      data: { a: '1' },
    });
    const ns = obj('v1', 'Namespace', 'n');
    ns.metadata.namespace = 'bogus';
    expect(applyBody(ns, false, 'prod').metadata).toEqual({ name: 'n' });
    expect(o.metadata.resourceVersion).toBe('5'); // input untouched
  });
});

describe('outcomeOf', () => {
  const after = (rv: string, time: string, generation = 1) =>
    ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x', resourceVersion: rv, generation, managedFields: [{ manager: 'compose2k8s', operation: 'Apply', time }, { manager: 'kcm', operation: 'Update', subresource: 'status', time: 'later' }] } }) as KubeObject;
  it('is created on 201, unchanged when nothing of ours moved, configured otherwise', () => {
    expect(outcomeOf(true, undefined, after('1', 't1'), 'compose2k8s')).toBe('created');
    expect(outcomeOf(false, undefined, after('1', 't1'), 'compose2k8s')).toBe('configured');
    expect(outcomeOf(false, { resourceVersion: '1' }, after('1', 't1'), 'compose2k8s')).toBe('unchanged');
    // A controller wrote status in between: the resourceVersion moved, our Apply entry did not.
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: 't1', generation: 1 }, after('5', 't1'), 'compose2k8s')).toBe('unchanged');
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: 't1', generation: 1 }, after('5', 't2', 2), 'compose2k8s')).toBe('configured');
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: 't1', generation: 1 }, after('5', 't1', 2), 'compose2k8s')).toBe('configured');
    // Within the same second as the previous apply the time proves nothing.
    const t = '2026-01-01T10:00:00Z';
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: t }, after('5', t), 'compose2k8s', 'Thu, 01 Jan 2026 10:00:00 GMT')).toBe('configured');
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: t, generation: 1 }, after('5', t), 'compose2k8s', 'Thu, 01 Jan 2026 10:00:01 GMT')).toBe('configured');
    expect(outcomeOf(false, { resourceVersion: '1', applyTime: t, generation: 1 }, after('5', t), 'compose2k8s', 'Thu, 01 Jan 2026 10:00:07 GMT')).toBe('unchanged');
  });
});

describe('errors', () => {
  it('classifies transient failures', () => {
    expect(isRetryable(new ApiError(0, 'ECONNREFUSED', 'x'))).toBe(true);
    expect(isRetryable(new ApiError(0, 'ECONNRESET', 'x'))).toBe(true);
    expect(isRetryable(new ApiError(429, 'TooManyRequests', 'x'))).toBe(true);
    expect(isRetryable(new ApiError(503, 'ServiceUnavailable', 'x'))).toBe(true);
    expect(isRetryable(new ApiError(500, 'InternalError', 'x'))).toBe(true);
    expect(isRetryable(new ApiError(501, 'NotImplemented', 'x'))).toBe(false);
    expect(isRetryable(new ApiError(409, 'Conflict', 'x'))).toBe(false);
    expect(isRetryable(new ApiError(422, 'Invalid', 'x'))).toBe(false);
    expect(isRetryable(new ApiError(0, 'ENOTFOUND', 'x'))).toBe(false);
    // What the API server answers for an unknown field under server-side apply: a 500 that will never succeed.
    const typed = 'failed to create typed patch object (ns/web; apps/v1, Kind=Deployment): .spec.x: field not declared in schema';
    expect(isRetryable(new ApiError(500, 'InternalError', typed))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });

  it('reads Status bodies and Retry-After', () => {
    const e = errorFromResponse(429, { kind: 'Status', message: 'slow down', reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
    expect([e.status, e.reason, e.message, e.retryAfter]).toEqual([429, 'TooManyRequests', 'slow down', 2]);
    expect(errorFromResponse(503, 'upstream down\n', '7').retryAfter).toBe(7);
    expect(errorFromResponse(503, 'upstream down\n').message).toBe('upstream down');
    expect(errorFromResponse(404, '').reason).toBe('NotFound');
  });

  it('extracts server-side apply conflicts from causes or, failing that, the message', () => {
    const fromCauses = errorFromResponse(409, {
      kind: 'Status',
      reason: 'Conflict',
      message: 'Apply failed with 2 conflicts: ...',
      details: {
        causes: [
          { reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using apps/v1', field: '.spec.replicas' },
          { reason: 'FieldManagerConflict', message: 'conflict with "hpa" with subresource "scale" using autoscaling/v1', field: '.spec.template' },
        ],
      },
    });
    expect(parseConflicts(fromCauses)).toEqual([
      { field: '.spec.replicas', manager: 'kubectl-edit', apiVersion: 'apps/v1' },
      { field: '.spec.template', manager: 'hpa', apiVersion: 'autoscaling/v1' },
    ]);
    const fromMessage = new ApiError(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "other" using v1: .data.a');
    expect(parseConflicts(fromMessage)).toEqual([{ field: '.data.a', manager: 'other', apiVersion: 'v1' }]);
  });
});

describe('retry (the API server policy on the shared mechanism)', () => {
  const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };
  it('backs off exponentially with ±15% jitter, bounded; a longer Retry-After wins, up to 30 s', () => {
    expect(backoffDelay(policy, 1, undefined, () => 0)).toBe(85);
    expect(backoffDelay(policy, 1, undefined, () => 1)).toBe(115);
    expect(backoffDelay(policy, 2, undefined, () => 0.5)).toBe(200);
    expect(backoffDelay(policy, 5, undefined, () => 0.5)).toBe(300);
    expect(backoffDelay(policy, 1, 10_000, () => 0.5)).toBe(10_000);
    expect(backoffDelay(policy, 1, 120_000, () => 0.5)).toBe(30_000);
  });

  const api = (wait: (ms: number) => Promise<void>) => ({ ...policy, isTransient: isRetryable, wait });
  it('retries transient failures up to the bound, and nothing else', async () => {
    let calls = 0;
    const waits: number[] = [];
    const wait = async (ms: number) => void waits.push(ms);
    await expect(
      withRetry(async () => {
        calls++;
        throw new ApiError(503, 'x', 'down');
      }, api(wait)),
    ).rejects.toThrow('down');
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
    calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new ApiError(422, 'Invalid', 'bad');
      }, api(wait)),
    ).rejects.toThrow('bad');
    expect(calls).toBe(1);
    calls = 0;
    expect(
      await withRetry(async () => {
        if (++calls < 3) throw new ApiError(0, 'ECONNRESET', 'reset');
        return 'ok';
      }, api(wait)),
    ).toBe('ok');
  });
});

describe('stages', () => {
  it('orders namespaces/CRDs, configuration, services, workloads, the rest', () => {
    const objects = [
      obj('networking.k8s.io/v1', 'Ingress', 'i'),
      obj('apps/v1', 'Deployment', 'd'),
      obj('v1', 'Service', 's'),
      obj('v1', 'ConfigMap', 'c'),
      obj('v1', 'Secret', 'sec'),
      obj('rbac.authorization.k8s.io/v1', 'Role', 'r'),
      obj('v1', 'ServiceAccount', 'sa'),
      obj('v1', 'PersistentVolumeClaim', 'p'),
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'crd'),
      obj('v1', 'Namespace', 'ns'),
      obj('batch/v1', 'Job', 'j'),
      obj('example.com/v1', 'Widget', 'w'),
    ];
    const stages = planStages(objects).map((s) => s.objects.map((o) => o.metadata.name));
    expect(stages).toEqual([['crd', 'ns'], ['c', 'sec', 'r', 'sa', 'p'], ['s'], ['d', 'j'], ['i', 'w']]);
    expect(deletionOrder(objects).map((w) => w.map((o) => o.metadata.name))).toEqual([['i', 'w'], ['d', 'j'], ['s'], ['c', 'sec', 'r', 'sa', 'p'], ['crd', 'ns']]);
  });

  it('mapLimit bounds concurrency and keeps order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([...Array(20).keys()], 4, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      inFlight--;
      return i * 2;
    });
    expect(peak).toBe(4);
    expect(out).toEqual([...Array(20).keys()].map((i) => i * 2));
  });
});

describe('kstatus', () => {
  const dep = (spec: Record<string, unknown>, status: Record<string, unknown>, generation = 1) =>
    ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', generation }, spec, status }) as KubeObject;

  it('Deployment: in progress until rolled out and available', () => {
    expect(computeStatus(dep({ replicas: 2 }, {})).status).toBe('InProgress');
    expect(computeStatus(dep({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 1 })).message).toBe('Updated: 1/2');
    expect(computeStatus(dep({ replicas: 2 }, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1, readyReplicas: 2 })).reason).toBe('LessAvailable');
    const done = {
      observedGeneration: 2,
      replicas: 2,
      updatedReplicas: 2,
      availableReplicas: 2,
      readyReplicas: 2,
      conditions: [
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
        { type: 'Available', status: 'True' },
      ],
    };
    expect(computeStatus(dep({ replicas: 2 }, done, 2))).toEqual({ status: 'Current', message: 'Deployment is available. Replicas: 2' });
    expect(computeStatus(dep({ replicas: 2 }, done, 3)).reason).toBe('LatestGenerationNotObserved');
    const stuck = { ...done, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "d-1" has timed out progressing.' }] };
    expect(computeStatus(dep({ replicas: 2 }, stuck, 2)).status).toBe('Failed');
  });

  it('StatefulSet, DaemonSet, Job, Pod, PVC, Service, CRD, generic', () => {
    const sts = (status: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' }, spec: { replicas: 1 }, status }) as KubeObject;
    expect(computeStatus(sts({ replicas: 1, readyReplicas: 1, currentReplicas: 1, currentRevision: 'a', updateRevision: 'b' })).reason).toBe('RevisionMismatch');
    expect(computeStatus(sts({ replicas: 1, readyReplicas: 1, currentReplicas: 1, currentRevision: 'a', updateRevision: 'a' })).status).toBe('Current');
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd' }, status: {} } as KubeObject;
    expect(computeStatus(ds).reason).toBe('NoDesiredNumber');
    const job = (status: Record<string, unknown>) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: {}, status }) as KubeObject;
    expect(computeStatus(job({})).reason).toBe('JobNotStarted');
    expect(computeStatus(job({ startTime: 'x', active: 1 })).status).toBe('InProgress');
    expect(computeStatus(job({ startTime: 'x', succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] })).status).toBe('Current');
    expect(computeStatus(job({ startTime: 'x', failed: 7, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }))).toMatchObject({ status: 'Failed', reason: 'BackoffLimitExceeded' });
    const pod = (status: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status }) as KubeObject;
    expect(computeStatus(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })).status).toBe('Current');
    expect(computeStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'c', state: { waiting: { reason: 'CrashLoopBackOff' } } }] })).status).toBe('Failed');
    expect(computeStatus(pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }] })).reason).toBe('PodUnschedulable');
    const pvc = (status: Record<string, unknown>, storageClassName?: string) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { storageClassName }, status }) as KubeObject;
    expect(computeStatus(pvc({ phase: 'Bound' })).status).toBe('Current');
    expect(computeStatus(pvc({ phase: 'Pending' })).status).toBe('InProgress');
    const ctx = { volumeBindingMode: (n: string | undefined) => (n === undefined || n === 'local' ? 'WaitForFirstConsumer' : 'Immediate') };
    expect(computeStatus(pvc({ phase: 'Pending' }, 'local'), ctx).status).toBe('Current');
    expect(computeStatus(pvc({ phase: 'Pending' }), ctx).status).toBe('Current');
    expect(computeStatus(pvc({ phase: 'Pending' }, 'fast'), ctx).status).toBe('InProgress');
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec, status }) as KubeObject;
    expect(computeStatus(svc({ type: 'ClusterIP', clusterIP: '10.0.0.1' })).status).toBe('Current');
    expect(computeStatus(svc({ type: 'LoadBalancer', clusterIP: '10.0.0.1' })).reason).toBe('NoIPAssigned');
    expect(computeStatus(svc({ type: 'LoadBalancer', clusterIP: '10.0.0.1' }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } })).status).toBe('Current');
    const crd = (conditions: unknown[]) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'c' }, status: { conditions } }) as KubeObject;
    expect(computeStatus(crd([])).status).toBe('InProgress');
    expect(computeStatus(crd([{ type: 'Established', status: 'True' }])).status).toBe('Current');
    expect(computeStatus(crd([{ type: 'NamesAccepted', status: 'False', reason: 'Conflict' }])).status).toBe('Failed');
    const cr = (conditions: unknown[]) => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { conditions } }) as KubeObject;
    expect(computeStatus(cr([])).status).toBe('Current');
    expect(computeStatus(cr([{ type: 'Ready', status: 'False', reason: 'Waiting' }])).status).toBe('InProgress');
    expect(computeStatus(cr([{ type: 'Stalled', status: 'True', reason: 'Broken' }])).status).toBe('Failed');
    expect(computeStatus(cr([{ type: 'Reconciling', status: 'True' }])).status).toBe('InProgress');
    expect(computeStatus(undefined).status).toBe('NotFound');
    expect(computeStatus({ ...cr([]), metadata: { name: 'w', deletionTimestamp: 'x' } }).status).toBe('Terminating');
  });

  it('explains pods: waiting reasons with hints, scheduling, exit codes, warning events', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1' },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'True' }],
        containerStatuses: [
          { name: 'web', ready: false, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "web:1"' } } },
          { name: 'side', ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1 } } },
        ],
      },
    } as KubeObject;
    const lines = podProblems(pod);
    expect(lines[0]).toMatch(/^pod web-1: container web: ImagePullBackOff \(Back-off pulling image "web:1"\) — was the image pushed/);
    expect(lines[1]).toMatch(/container side: CrashLoopBackOff/);
    const unsched = { ...pod, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } } as KubeObject;
    expect(podProblems(unsched)).toEqual(['pod web-1: not scheduled: Unschedulable (0/1 nodes are available: 1 Insufficient cpu.)']);
    const ev = (reason: string, t: string, type = 'Warning') => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: reason + t }, type, reason, message: `m ${reason}`, lastTimestamp: t }) as KubeObject;
    expect(eventLines([ev('Failed', '2'), ev('Pulled', '3', 'Normal'), ev('BackOff', '1'), ev('Failed', '4')], 'pod p')).toEqual(['pod p: event BackOff: m BackOff', 'pod p: event Failed: m Failed']);
  });
});

describe('diff', () => {
  it('produces minimal edit scripts and unified hunks', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'x', 'c']).map((o) => o.kind + o.line)).toEqual([' a', '-b', '+x', ' c']);
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'x', 'y')).toBe('');
    const lines = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const changed = [...lines];
    changed[2] = 'L2';
    changed[17] = 'L17';
    expect(unifiedDiff(lines.join('\n') + '\n', changed.join('\n') + '\n', 'a', 'b')).toBe(
      ['--- a', '+++ b', '@@ -1,6 +1,6 @@', ' l0', ' l1', '-l2', '+L2', ' l3', ' l4', ' l5', '@@ -15,6 +15,6 @@', ' l14', ' l15', ' l16', '-l17', '+L17', ' l18', ' l19', ''].join('\n'),
    );
    expect(unifiedDiff('', 'a\n', '/dev/null', 'b')).toBe('--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+a\n');
  });

  it('strips server-owned fields', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', resourceVersion: '1', uid: 'u', generation: 1, creationTimestamp: 't', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
      status: {},
      data: { a: '1' },
    } as KubeObject;
    expect(stripForDiff(live)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });

  it('never shows Secret values, only which keys change', () => {
    const before = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { same: 'c2FtZQ==', changed: 'b2xk', gone: 'eA==' } } as KubeObject;
    const after = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { same: 'c2FtZQ==', changed: 'bmV3', added: 'eQ==' } } as KubeObject;
    const [b, a] = maskSecrets(before, after);
    expect(b!.data).toEqual({ same: '***', changed: '*** (before)', gone: '***' });
    expect(a!.data).toEqual({ same: '***', changed: '*** (after)', added: '***' });
    const d = objectDiff({ group: '', kind: 'Secret', namespace: 'ns', name: 's' }, before, after);
    expect(d.change).toBe('update');
    expect(d.diff).not.toMatch(/c2FtZQ|b2xk|bmV3|eA==|eQ==/);
    expect(d.diff).toContain('-  changed: "*** (before)"');
    expect(d.diff).toContain('+  added: "***"');
    const created = objectDiff({ group: '', kind: 'Secret', name: 's' }, undefined, { ...after, stringData: { pw: 'hunter2' } } as KubeObject);
    expect(created.change).toBe('create');
    expect(created.diff).not.toContain('hunter2');
    expect(created.diff.split('\n')[0]).toBe('--- /dev/null');
  });
});
