// Skipping provably unchanged objects: the applied-hash annotation and field-set coverage, on managedFields
// captured from a real kube-apiserver 1.34.
import { describe, expect, it } from 'vitest';
import { ANNOTATION_APPLIED_HASH, appliedHash, covers, unchangedSince, withAppliedHash } from '../../src/deploy/fieldset.js';
import type { KubeObject } from '../../src/deploy/types.js';

const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', labels: { 'com.docker.compose.service': 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { 'com.docker.compose.service': 'web' } },
    template: {
      metadata: { labels: { 'com.docker.compose.service': 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 8080 }], envFrom: [{ configMapRef: { name: 'web-config' } }] }] },
    },
  },
});

// What the server recorded for the manifest above (plus our hash annotation).
const deploymentFields = {
  'f:metadata': { 'f:annotations': { 'f:compose2k8s.io/applied-hash': {} }, 'f:labels': { 'f:com.docker.compose.service': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:com.docker.compose.service': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"web"}': { '.': {}, 'f:envFrom': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } },
        },
      },
    },
  },
};

const live = (body: KubeObject, fieldsV1: unknown, extra: Record<string, unknown> = {}) => ({
  annotations: body.metadata.annotations,
  managedFields: [
    { manager: 'compose2k8s', operation: 'Apply', fieldsV1 },
    { manager: 'kube-controller-manager', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } },
  ],
  ...extra,
});

describe('applied hash', () => {
  it('is stable under key order and ignores its own annotation', () => {
    const a = deployment();
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    const b = reverse(a) as KubeObject;
    expect(Object.keys(b)).toEqual(['spec', 'metadata', 'kind', 'apiVersion']);
    expect(appliedHash(a)).toBe(appliedHash(b));
    const hashed = withAppliedHash(a);
    expect(hashed.metadata.annotations![ANNOTATION_APPLIED_HASH]).toBe(appliedHash(a));
    expect(appliedHash(hashed)).toBe(appliedHash(a));
    const c = deployment();
    (c.spec as { replicas: number }).replicas = 3;
    expect(appliedHash(c)).not.toBe(appliedHash(a));
  });
});

describe('field-set coverage', () => {
  it('matches associative list keys, defaulted key fields, atomic maps and lists', () => {
    const body = withAppliedHash(deployment());
    const { apiVersion: _a, kind: _k, metadata, ...rest } = body;
    const { name: _n, namespace: _ns, ...meta } = metadata;
    expect(covers({ ...rest, metadata: meta }, deploymentFields)).toBe(true);
    expect(covers({ ports: [{ port: 80, targetPort: 8080, name: 'http' }] }, { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:name': {}, 'f:port': {}, 'f:targetPort': {} } } })).toBe(true);
    expect(covers({ args: ['a', 'b'] }, { 'f:args': {} })).toBe(true);
    expect(covers({ finalizers: ['x'] }, { 'f:finalizers': { 'v:"x"': {} } })).toBe(true);
    expect(covers({ finalizers: ['y'] }, { 'f:finalizers': { 'v:"x"': {} } })).toBe(false);
    expect(covers({ data: {} }, {})).toBe(true);
    expect(covers({ a: 1 }, { 'f:b': {} })).toBe(false);
    expect(covers({ containers: [{ name: 'other' }] }, deploymentFields['f:spec']['f:template']['f:spec'])).toBe(false);
  });

  it('skips only when the hash matches and our field set still covers the manifest', () => {
    const body = withAppliedHash(deployment());
    expect(unchangedSince(body, live(body, deploymentFields), 'compose2k8s')).toBe(true);
    // Another field manager, or no Apply entry of ours.
    expect(unchangedSince(body, live(body, deploymentFields), 'other')).toBe(false);
    // The manifest changed since the last apply.
    const changed = deployment();
    (changed.spec as { replicas: number }).replicas = 3;
    expect(unchangedSince(withAppliedHash(changed), live(body, deploymentFields), 'compose2k8s')).toBe(false);
    // Someone took .spec.replicas (kubectl scale/edit): it left our field set.
    const taken = structuredClone(deploymentFields) as Record<string, Record<string, unknown>>;
    delete taken['f:spec']!['f:replicas'];
    expect(unchangedSince(body, live(body, taken), 'compose2k8s')).toBe(false);
    // Someone removed our only label (the server prunes the emptied f:labels node, as a 1.34 API server does).
    const unlabelled = structuredClone(deploymentFields) as { 'f:metadata': Record<string, unknown> };
    delete unlabelled['f:metadata']['f:labels'];
    expect(unchangedSince(body, live(body, unlabelled), 'compose2k8s')).toBe(false);
    // Being deleted, or not known at all.
    expect(unchangedSince(body, live(body, deploymentFields, { deletionTimestamp: 'now' }), 'compose2k8s')).toBe(false);
    expect(unchangedSince(body, undefined, 'compose2k8s')).toBe(false);
  });
});
