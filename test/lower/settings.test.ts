import { describe, expect, test } from 'vitest';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { Project } from '../../src/model/project.js';
import { resolveOptions, type LowerOptions } from '../../src/lower/options.js';
import { Report } from '../../src/lower/conversion-report.js';
import { resolveSettings } from '../../src/lower/settings.js';
import { project } from './helpers.js';

function settings(p: Project, options: Partial<LowerOptions> = {}) {
  const diagnostics = new Diagnostics();
  const report = new Report();
  const resolved = resolveSettings(p, resolveOptions(options), diagnostics, report);
  return { resolved, diagnostics, report, codes: diagnostics.items.map((d) => d.code) };
}

describe('settings', () => {
  test('precedence: service x-kubernetes > kompose label > top-level x-kubernetes > CLI option > default', () => {
    const p = project(
      {
        a: { image: 'x', labels: { 'kompose.volume.storage-class-name': 'label' }, 'x-kubernetes': { storageClass: 'service' } },
        b: { image: 'x', labels: { 'kompose.volume.storage-class-name': 'label' } },
        c: { image: 'x' },
      },
      { 'x-kubernetes': { storageClass: 'project', volumeSize: '5Gi' } },
    );
    const { resolved } = settings(p, { storageClass: 'cli' });
    expect(resolved.services.a!.storageClass).toBe('service');
    expect(resolved.services.b!.storageClass).toBe('label');
    expect(resolved.services.c!.storageClass).toBe('project');
    expect(resolved.services.c!.origin.storageClass).toBe('x-kubernetes.storageClass');
    expect(settings(project({ c: { image: 'x' } }), { storageClass: 'cli' }).resolved.services.c!.storageClass).toBe('cli');
    expect(resolved.services.c!.volumeSize).toBe('5Gi');
    expect(settings(project({ c: { image: 'x' } })).resolved.services.c!.volumeSize).toBe('1Gi');
  });
  test('maps merge key by key across layers', () => {
    const { resolved } = settings(
      project({ a: { image: 'x', 'x-kubernetes': { nodeSelector: { disk: 'ssd' } } } }, { 'x-kubernetes': { nodeSelector: { pool: 'main', disk: 'hdd' } } }),
    );
    expect(resolved.services.a!.nodeSelector).toEqual({ pool: 'main', disk: 'ssd' });
  });
  test('an invalid x-kubernetes block is an error at its Compose path, typos included', () => {
    const { diagnostics } = settings(project({ a: { image: 'x', 'x-kubernetes': { replicas: -1, nodeSelectr: {} } } }));
    const paths = diagnostics.errors.map((e) => e.path);
    expect(paths).toContain('services.a.x-kubernetes.replicas');
    expect(diagnostics.errors.some((e) => e.message.includes('nodeSelectr'))).toBe(true);
  });
  test('top-level x-kubernetes: namespace and patches are project-wide, the rest are defaults', () => {
    const { resolved } = settings(
      project({ a: { image: 'x' } }, { 'x-kubernetes': { namespace: 'shop', replicas: 2, patches: [{ target: { kind: 'Deployment' }, patch: [] }] } }),
    );
    expect(resolved.project.namespace).toBe('shop');
    expect(resolved.project.patches).toHaveLength(1);
    expect(resolved.services.a!.patches).toEqual([]);
    expect(resolved.services.a!.replicas).toBe(2);
  });
  test('the namespace option wins over the file', () => {
    expect(settings(project({}, { 'x-kubernetes': { namespace: 'file' } }), { namespace: 'cli' }).resolved.project.namespace).toBe('cli');
  });
  test('kompose labels: case-insensitive values, clear errors, replicationcontroller warned, unknown labels reported', () => {
    const { resolved, codes, report } = settings(
      project({
        a: { image: 'x', labels: { 'kompose.controller.type': 'DaemonSet', 'kompose.service.type': 'NodePort', 'kompose.image-pull-secret': 'r1, r2' } },
        b: { image: 'x', labels: { 'kompose.controller.type': 'replicationcontroller', 'kompose.bogus': '1' } },
        c: { image: 'x', labels: { 'kompose.controller.type': 'pod' } },
      }),
    );
    expect(resolved.services.a!.controller).toBe('DaemonSet');
    expect(resolved.services.a!.serviceType).toBe('NodePort');
    expect(resolved.services.a!.imagePullSecrets).toEqual(['r1', 'r2']);
    expect(resolved.services.b!.controller).toBe('Deployment');
    expect(codes).toEqual(expect.arrayContaining(['kompose.replicationcontroller', 'kompose.unknown-label', 'kompose.invalid-label']));
    expect(report.list().find((e) => e.path === 'services.b.labels.kompose.bogus')!.status).toBe('ignored');
  });
  test('kompose.service.expose hosts and paths -> ingress settings', () => {
    const { resolved } = settings(
      project({
        a: {
          image: 'x',
          labels: {
            'kompose.service.expose': 'a.example.com, b.example.com/api',
            'kompose.service.expose.tls-secret': 'tls',
            'kompose.service.expose.ingress-class-name': 'nginx',
          },
        },
      }),
    );
    expect(resolved.services.a!.expose).toBe('ingress');
    expect(resolved.services.a!.ingress).toEqual({
      rules: [
        { host: 'a.example.com', path: '/' },
        { host: 'b.example.com', path: '/api' },
      ],
      pathType: 'Prefix',
      annotations: {},
      tls: { secretName: 'tls' },
      className: 'nginx',
    });
  });
  test('kompose init container, fsGroup, ephemeral storage from deploy.labels, misspelled port-expose label', () => {
    const { resolved, codes } = settings(
      project({
        a: {
          image: 'x',
          labels: {
            'kompose.init.containers.image': 'busybox',
            'kompose.init.containers.command': 'sh,-c,echo hi',
            'kompose.security-context.fsgroup': '1000',
            'kompose.controller.expose.port': 'true',
          },
          deploy: { labels: { 'kompose.ephemeral-storage.limit': '1Gi' } },
        },
      }),
    );
    const a = resolved.services.a!;
    expect(a.initContainer).toEqual({ name: 'init', image: 'busybox', command: ['sh', '-c', 'echo hi'] });
    expect(a.securityContext).toEqual({ fsGroup: 1000 });
    expect(a.resources.limits).toEqual({ 'ephemeral-storage': '1Gi' });
    expect(a.hostPortExpose).toBe(true);
    expect(codes).toContain('kompose.deprecated-label');
  });
  test('a volume size that is not a Kubernetes quantity is an error at its path, not an invalid PersistentVolumeClaim', () => {
    for (const [size, ok] of [['big', false], ['10 Gi', false], ['-1Gi', false], ['5Gi', true], ['500M', true], ['1e9', true], ['1.5Gi', true], ['+2Ki', true]] as const) {
      const { diagnostics } = settings(project({}, { volumes: { data: { 'x-kubernetes': { size } } } as Project['volumes'] }));
      const errors = diagnostics.errors.map((e) => [e.path, e.message]);
      if (ok) expect(errors, size).toEqual([]);
      else expect(errors, size).toEqual([['volumes.data.x-kubernetes.size', 'volumes.data.x-kubernetes.size: must be a Kubernetes quantity of bytes (e.g. 10Gi, 500M)']]);
    }
    const top = settings(project({}, { 'x-kubernetes': { volumeSize: 'lots' } } as Partial<Project>));
    expect(top.diagnostics.errors.map((e) => e.path)).toEqual(['x-kubernetes.volumeSize']);
  });
  test('volume settings: x-kubernetes over kompose labels', () => {
    const { resolved } = settings(
      project(
        {},
        {
          volumes: {
            data: { labels: { 'kompose.volume.size': '5Gi', 'kompose.volume.storage-class-name': 'slow' }, 'x-kubernetes': { size: '10Gi', accessModes: ['ReadWriteMany'] } },
          },
        },
      ),
    );
    expect(resolved.volumes.data).toMatchObject({ size: '10Gi', storageClass: 'slow', accessModes: ['ReadWriteMany'] });
  });
});
