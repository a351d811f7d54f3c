import { describe, expect, test } from 'vitest';
import { configMapData, triageBind } from '../../src/lower/bind-mounts.js';
import type { FileInfo, FilePort } from '../../src/lower/options.js';
import type { ServiceVolume } from '../../src/model/project.js';
import { entry, find, lower, mainContainer, podSpec, project } from './helpers.js';

/** An in-memory tree: strings are files, objects directories, `{ link: '/abs' }` symlinks. */
type Node = string | Buffer | { link: string } | { [name: string]: Node };
function treePort(tree: Record<string, Node>): FilePort {
  const resolve = (path: string, depth = 0): { node: Node; id: string } | undefined => {
    if (depth > 40) throw new Error('ELOOP');
    const parts = path.split('/').filter(Boolean);
    let node: Node = tree as Node;
    let real: string[] = [];
    for (const part of parts) {
      if (typeof node === 'string' || Buffer.isBuffer(node) || 'link' in node) return undefined;
      const next: Node | undefined = (node as Record<string, Node>)[part];
      if (next === undefined) return undefined;
      if (typeof next === 'object' && !Buffer.isBuffer(next) && 'link' in next && typeof next.link === 'string') {
        const target = resolve(next.link, depth + 1);
        if (!target) return undefined;
        node = target.node;
        real = target.id.split('/').filter(Boolean);
      } else {
        node = next;
        real = [...real, part];
      }
    }
    return { node, id: `/${real.join('/')}` };
  };
  return {
    read(path) {
      const r = resolve(path);
      if (!r || (typeof r.node !== 'string' && !Buffer.isBuffer(r.node))) throw new Error(`ENOENT: ${path}`);
      return Buffer.isBuffer(r.node) ? r.node : Buffer.from(r.node);
    },
    stat(path): FileInfo | undefined {
      const r = resolve(path);
      if (!r) return undefined;
      if (typeof r.node === 'string' || Buffer.isBuffer(r.node)) return { type: 'file', size: Buffer.byteLength(r.node as string), id: r.id };
      return { type: 'directory', size: 0, id: r.id };
    },
    list(path) {
      const r = resolve(path);
      if (!r || typeof r.node === 'string' || Buffer.isBuffer(r.node)) throw new Error(`ENOTDIR: ${path}`);
      return Object.keys(r.node).reverse(); // any order: the walk sorts
    },
  };
}

const vol = (v: Partial<ServiceVolume> & { target: string }): ServiceVolume => ({ type: 'volume', ...v });

describe('bind-mount triage', () => {
  const files = treePort({
    proj: {
      'nginx.conf': 'server {}\n',
      conf: { 'b.ini': 'b', 'a.ini': 'a', sub: { 'c.txt': 'c' }, loop: { link: '/proj/conf' } },
      bin: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]) },
      empty: {},
      big: 'x'.repeat(2 * 1024 * 1024),
    },
  });

  test('a file -> one key; a directory walked sorted and recursively; symlink loops terminate', () => {
    expect(triageBind(files, '/proj/nginx.conf')).toMatchObject({ kind: 'file', file: { key: 'nginx.conf', text: true } });
    const dir = triageBind(files, '/proj/conf');
    expect(dir.kind).toBe('unsupported');
    expect((dir as any).why).toContain('symlink loop');
  });

  test('nested directories use keys for paths (B6: a subdirectory first never drops the directory)', () => {
    const port = treePort({ d: { a: { 'x.txt': 'x' }, 'b.txt': 'b' } });
    const t = triageBind(port, '/d');
    expect(t).toMatchObject({ kind: 'directory' });
    expect((t as any).files.map((f: any) => [f.key, f.path])).toEqual([['a_x.txt', 'a/x.txt'], ['b.txt', 'b.txt']]);
  });

  test('binary content goes to binaryData once (B5); text to data', () => {
    const t = triageBind(files, '/proj/bin') as any;
    expect(configMapData(t.files)).toEqual({ binaryData: { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString('base64') } });
  });

  test('missing, empty, too large, sockets', () => {
    expect(triageBind(files, '/proj/nope').kind).toBe('missing');
    expect(triageBind(files, '/proj/empty').kind).toBe('empty');
    expect(triageBind(files, '/proj/big').kind).toBe('too-large');
    expect(triageBind(files, '/var/run/docker.sock').kind).toBe('socket');
  });
});

describe('storage pass', () => {
  test('one PVC per named volume even when shared (ReadWriteMany, warned); size from volume x-kubernetes', () => {
    const r = lower(project(
      { a: { image: 'x', volumes: [vol({ source: 'data', target: '/a' })] }, b: { image: 'x', volumes: [vol({ source: 'data', target: '/b', read_only: true })] } },
      { volumes: { data: { 'x-kubernetes': { size: '5Gi', storageClass: 'fast' } } } },
    ));
    const pvcs = r.objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    expect(pvcs.map((p) => p.metadata.name)).toEqual(['data']);
    expect(pvcs[0]!.spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast' });
    expect(r.codes).toContain('storage.shared-volume');
    expect(mainContainer(find(r.objects, 'Deployment', 'b')).volumeMounts).toEqual([{ name: 'data', mountPath: '/b', readOnly: true }]);
    expect(podSpec(find(r.objects, 'Deployment', 'a')).volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }]);
    // RWX: no forced Recreate.
    expect(find(r.objects, 'Deployment', 'a').spec.strategy).toBeUndefined();
  });

  test('size/class precedence: volume settings > kompose volume labels > service settings > options', () => {
    const r = lower(project(
      {
        a: { image: 'x', volumes: [vol({ source: 'v1', target: '/1' }), vol({ source: 'v2', target: '/2' }), vol({ source: 'v3', target: '/3' })], labels: { 'kompose.volume.size': '2Gi', 'kompose.volume.storage-class-name': 'svc-class' } },
      },
      { volumes: { v1: { labels: { 'kompose.volume.size': '3Gi' }, 'x-kubernetes': { size: '4Gi' } }, v2: { labels: { 'kompose.volume.size': '3Gi' } }, v3: {} } },
    ), { volumeSize: '9Gi', storageClass: 'opt-class' });
    const size = (n: string) => find(r.objects, 'PersistentVolumeClaim', n).spec.resources.requests.storage;
    expect([size('v1'), size('v2'), size('v3')]).toEqual(['4Gi', '3Gi', '2Gi']);
    expect(find(r.objects, 'PersistentVolumeClaim', 'v3').spec.storageClassName).toBe('svc-class');
    const r2 = lower(project({ a: { image: 'x', volumes: [vol({ source: 'v', target: '/v' })] } }, { volumes: { v: {} } }), { volumeSize: '9Gi', storageClass: 'opt-class' });
    expect(find(r2.objects, 'PersistentVolumeClaim', 'v').spec).toMatchObject({ resources: { requests: { storage: '9Gi' } }, storageClassName: 'opt-class' });
  });

  test('external volumes and existingClaim reference an existing claim; nothing emitted, warned', () => {
    const r = lower(project(
      { a: { image: 'x', volumes: [vol({ source: 'ext', target: '/e' }), vol({ source: 'pre', target: '/p' })] } },
      { volumes: { ext: { external: true, name: 'Shared_Data' }, pre: { 'x-kubernetes': { existingClaim: 'legacy-claim' } } } },
    ));
    expect(r.objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(podSpec(find(r.objects, 'Deployment', 'a')).volumes.map((v: any) => v.persistentVolumeClaim.claimName)).toEqual(['shared-data', 'legacy-claim']);
    expect(r.codes).toContain('storage.external-volume');
  });

  test('a StatefulSet\'s own named volumes become volumeClaimTemplates, no PVC', () => {
    const r = lower(project({ db: { image: 'pg', volumes: [vol({ source: 'pgdata', target: '/var/lib/postgresql/data' })], 'x-kubernetes': { controller: 'statefulset' } } }, { volumes: { pgdata: {} } }));
    expect(r.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    const sts = find(r.objects, 'StatefulSet', 'db');
    expect(sts.spec.volumeClaimTemplates).toEqual([{ metadata: { name: 'pgdata' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }]);
    expect(mainContainer(sts).volumeMounts).toEqual([{ name: 'pgdata', mountPath: '/var/lib/postgresql/data' }]);
    expect(podSpec(sts).volumes).toBeUndefined();
  });

  test('RWO claim on a Deployment: Recreate; several replicas: multi-attach warning; update_config loss warned', () => {
    const r = lower(project({ a: { image: 'x', volumes: [vol({ source: 'd', target: '/d' })], deploy: { replicas: 3, update_config: { parallelism: 1 } } } }, { volumes: { d: {} } }));
    expect(find(r.objects, 'Deployment', 'a').spec.strategy).toEqual({ type: 'Recreate' });
    expect(r.codes).toEqual(expect.arrayContaining(['storage.multi-attach', 'storage.recreate']));
  });

  test('anonymous volumes -> emptyDir; tmpfs -> memory emptyDir with sizeLimit; subpath and read_only honoured', () => {
    const r = lower(project({
      a: {
        image: 'x',
        volumes: [
          vol({ target: '/cache' }),
          { type: 'tmpfs', target: '/run/t', tmpfs: { size: 67108864 } },
          vol({ source: 'd', target: '/d', read_only: true, volume: { subpath: 'sub' } }),
        ],
      },
    }, { volumes: { d: {} } }));
    const pod = podSpec(find(r.objects, 'Deployment', 'a'));
    expect(pod.volumes).toEqual([
      { name: 'anon-1', emptyDir: {} },
      { name: 'tmpfs-mount-2', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'd', persistentVolumeClaim: { claimName: 'd' } },
    ]);
    expect(pod.containers[0].volumeMounts[2]).toEqual({ name: 'd', mountPath: '/d', readOnly: true, subPath: 'sub' });
    expect(entry(r.report, 'services.a.volumes[0]')[0]!.status).toBe('mapped');
  });

  test('bind mounts: a file -> ConfigMap + subPath (checksum registered); a missing dir -> emptyDir warned; hostPath only with allowHostPaths', () => {
    const files = treePort({ proj: { 'nginx.conf': 'server {}\n' } });
    const svc = {
      image: 'x',
      volumes: [
        { type: 'bind' as const, source: '/proj/nginx.conf', target: '/etc/nginx/nginx.conf', read_only: true },
        { type: 'bind' as const, source: '/proj/data', target: '/data' },
      ],
    };
    const r = lower(project({ web: svc }), { files });
    const cm = find(r.objects, 'ConfigMap', 'web-nginx-conf');
    expect(cm.data).toEqual({ 'nginx.conf': 'server {}\n' });
    const d = find(r.objects, 'Deployment', 'web');
    expect(mainContainer(d).volumeMounts[0]).toEqual({ name: 'web-nginx-conf', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf', readOnly: true });
    expect(podSpec(d).volumes[1]).toEqual({ name: 'bind-2', emptyDir: {} });
    expect(d.spec.template.metadata.annotations['compose2k8s.io/config-checksum']).toMatch(/^[0-9a-f]{64}$/);
    expect(r.codes).toContain('storage.bind-empty');
    expect(JSON.stringify(r.objects)).not.toContain('/proj');
    const r2 = lower(project({ web: svc }), { files, allowHostPaths: true });
    expect(podSpec(find(r2.objects, 'Deployment', 'web')).volumes[1]).toEqual({ name: 'host-2', hostPath: { path: '/proj/data', type: 'DirectoryOrCreate' } });
    expect(r2.codes).toContain('storage.host-path');
  });

  test('/var/run/docker.sock is flagged unsafe and not mounted', () => {
    const r = lower(project({ a: { image: 'x', volumes: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] } }));
    expect(r.codes).toContain('storage.docker-socket');
    expect(podSpec(find(r.objects, 'Deployment', 'a')).volumes).toBeUndefined();
    expect(entry(r.report, 'services.a.volumes[0]')[0]!.status).toBe('ignored');
  });

  test('volumes_from mounts the same claims (read-only with :ro), approximated with a warning', () => {
    const r = lower(project({
      a: { image: 'x', volumes: [vol({ source: 'd', target: '/d' }), vol({ target: '/anon' })] },
      b: { image: 'x', volumes_from: ['a:ro', 'container:other'] },
    }, { volumes: { d: {} } }));
    const b = find(r.objects, 'Deployment', 'b');
    expect(mainContainer(b).volumeMounts).toEqual([
      { name: 'd', mountPath: '/d', readOnly: true },
      { name: 'anon-2', mountPath: '/anon', readOnly: true },
    ]);
    expect(r.objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toHaveLength(1);
    expect(entry(r.report, 'services.b.volumes_from[0]')[0]!.status).toBe('approximated');
    expect(entry(r.report, 'services.b.volumes_from[1]')[0]!.status).toBe('ignored');
    expect(r.codes).toEqual(expect.arrayContaining(['storage.volumes-from', 'storage.volumes-from-anonymous']));
  });

  test('kompose.volume.type emptyDir turns every volume into an emptyDir', () => {
    const r = lower(project({ a: { image: 'x', volumes: [vol({ source: 'd', target: '/d' })], labels: { 'kompose.volume.type': 'emptyDir' } } }, { volumes: { d: {} } }));
    expect(r.objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(podSpec(find(r.objects, 'Deployment', 'a')).volumes).toEqual([{ name: 'd', emptyDir: {} }]);
  });
});
