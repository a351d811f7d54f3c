import { describe, expect, it } from 'vitest';
import { pinImages } from '../../src/build/pin.js';
import type { KubeObject } from '../../src/model/kube.js';

const ref = (r: string, s: string) => ({ reference: r, sourceImage: s });

describe('pinImages', () => {
  const objects = (): KubeObject[] => (
    [
    { kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { initContainers: [{ name: 'i', image: 'p-web' }], containers: [{ name: 'web', image: 'p-web' }, { name: 'db', image: 'postgres' }] } } } },
    { kind: 'StatefulSet', metadata: { name: 's' }, spec: { template: { spec: { containers: [{ name: 's', image: 'org/api:1' }] } } } },
    { kind: 'DaemonSet', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'd', image: 'p-web' }] } } } },
    { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'org/api:1' }] } } } } } },
    { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'p', image: 'p-web' }] } },
    { kind: 'Service', metadata: { name: 'web' }, spec: { ports: [] } },
    { kind: 'ConfigMap', metadata: { name: 'x' }, data: { image: 'p-web' } },
  ].map((o) => ({ apiVersion: 'v1', ...o })));

  it('rewrites containers and init containers of every workload kind by source image', () => {
    const objs = objects();
    const res = pinImages(objs, new Map([['web', ref('r/p-web@sha256:1', 'p-web')], ['api', ref('r/org/api@sha256:2', 'org/api:1')]]));
    const images = JSON.stringify(objs);
    expect(images.match(/r\/p-web@sha256:1/g)).toHaveLength(4);
    expect(images.match(/r\/org\/api@sha256:2/g)).toHaveLength(2);
    expect(images).toContain('"image":"postgres"');
    expect(images).toContain('"data":{"image":"p-web"}');
    expect(res.changed).toHaveLength(6);
    expect(res.changed[0]).toBe('Deployment/web i: p-web -> r/p-web@sha256:1');
    expect(res.unused).toEqual([]);
  });

  it('takes source images from a callback and reports unused builds', () => {
    const objs = objects();
    const res = pinImages(objs, new Map([['web', { reference: 'x@sha256:1' }], ['gone', { reference: 'y@sha256:2' }]]), (s) => (s === 'web' ? 'p-web' : `p-${s}`));
    expect(res.unused).toEqual(['gone']);
    expect(() => pinImages(objs, new Map([['web', { reference: 'x' }]]))).toThrow(/no source image/);
  });

  it('refuses two services building one image name differently', () => {
    expect(() => pinImages([], new Map([['a', ref('x@1', 'same')], ['b', ref('x@2', 'same')]]))).toThrow(/both build image "same"/);
  });
});
