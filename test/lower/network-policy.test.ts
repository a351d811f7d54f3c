import { describe, expect, test } from 'vitest';
import type { Port } from '../../src/model/project.js';
import { entry, find, lower, project } from './helpers.js';

const port = (target: number, extra: Partial<Port> = {}): Port => ({ target, protocol: 'tcp', mode: 'ingress', ...extra });

const sample = () =>
  project(
    {
      web: { image: 'x', ports: [port(80, { published: '8080' })], networks: { front: null } },
      api: { image: 'x', expose: ['3000'], networks: { front: null, back: null } },
      db: { image: 'x', expose: ['5432'], networks: { back: null } },
    },
    { networks: { front: {}, back: { internal: true } } },
  );

describe('network policies', () => {
  test('off by default: no policies; networks reported as approximated (one flat pod network)', () => {
    const r = lower(sample());
    expect(r.objects.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
    expect(entry(r.report, 'services.api.networks')[0]!.status).toBe('approximated');
    expect(entry(r.report, 'networks.back')[0]!.reason).toContain('internal');
  });

  test('a policy per network: members labelled, ingress from members; deterministic names without the project name (B13)', () => {
    const r = lower(sample(), { networkPolicies: true });
    const front = find(r.objects, 'NetworkPolicy', 'network-front');
    const sel = { matchLabels: { 'compose2k8s.io/network-front': 'true' } };
    expect(front.spec).toEqual({ podSelector: sel, policyTypes: ['Ingress', 'Egress'], ingress: [{ from: [{ podSelector: sel }] }], egress: [{}] });
    const api = find(r.objects, 'Deployment', 'api');
    expect(api.spec.template.metadata.labels).toMatchObject({ 'compose2k8s.io/network-front': 'true', 'compose2k8s.io/network-back': 'true' });
    expect(find(r.objects, 'Deployment', 'db').spec.template.metadata.labels['compose2k8s.io/network-front']).toBeUndefined();
    expect(r.objects.filter((o) => o.kind === 'NetworkPolicy').every((o) => !o.metadata.name.includes('demo'))).toBe(true);
  });

  test('internal: true -> egress limited to members and DNS', () => {
    const r = lower(sample(), { networkPolicies: true });
    const back = find(r.objects, 'NetworkPolicy', 'network-back');
    expect(back.spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'compose2k8s.io/network-back': 'true' } } }] },
      { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
    ]);
  });

  test('exposed ports accept ingress from outside; unexposed published ports do not', () => {
    const none = lower(sample(), { networkPolicies: true });
    expect(none.objects.some((o) => o.metadata.name === 'web-exposed')).toBe(false);
    const r = lower(sample(), { networkPolicies: true, expose: 'loadbalancer' });
    expect(find(r.objects, 'NetworkPolicy', 'web-exposed').spec).toEqual({
      podSelector: { matchLabels: find(r.objects, 'Deployment', 'web').spec.selector.matchLabels },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
    });
  });

  test('a wait for a Job on an internal network may reach the API server; a DNS wait needs only DNS', () => {
    const api = { ports: [{ port: 443, protocol: 'TCP' }, { port: 6443, protocol: 'TCP' }] };
    const healthy = sample();
    healthy.services.api!.depends_on = { db: { condition: 'service_healthy', required: true } };
    expect(find(lower(healthy, { networkPolicies: true }).objects, 'NetworkPolicy', 'network-back').spec.egress).not.toContainEqual(api);
    const job = sample();
    job.services.db!.restart = 'no';
    job.services.api!.depends_on = { db: { condition: 'service_completed_successfully', required: true } };
    expect(find(lower(job, { networkPolicies: true }).objects, 'NetworkPolicy', 'network-back').spec.egress).toContainEqual(api);
  });
});
