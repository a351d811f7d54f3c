// Kubeconfig resolution like kubectl, and the HTTP transport: token and exec auth, one keep-alive pool.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/deploy/client.js';
import { kubeconfigFiles, loadKubeconfig, mergeFirstWins } from '../../src/deploy/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-kubeconfig-'));

function kubeconfig(file: string, o: { current?: string; contexts: [string, string, string, string?][]; clusters: [string, string][]; users: [string, Record<string, unknown>][] }): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': o.current,
      clusters: o.clusters.map(([name, server]) => ({ name, cluster: { server, 'insecure-skip-tls-verify': true } })),
      users: o.users.map(([name, user]) => ({ name, user })),
      contexts: o.contexts.map(([name, cluster, user, namespace]) => ({ name, context: { cluster, user, namespace } })),
    }),
  );
  return path;
}

describe('kubeconfig resolution', () => {
  it('--kubeconfig wins, then KUBECONFIG (missing files skipped), then ~/.kube/config', () => {
    const a = kubeconfig('a.yaml', { contexts: [], clusters: [], users: [] });
    expect(kubeconfigFiles({ kubeconfig: a }, { KUBECONFIG: 'x' }).files).toEqual([a]);
    expect(kubeconfigFiles({}, { KUBECONFIG: [join(dir, 'missing'), a, a].join(delimiter) }).files).toEqual([a]);
    expect(kubeconfigFiles({}, {}, join(dir, 'nohome')).files).toEqual([]);
  });

  it('merges several files with the first occurrence winning, like kubectl', () => {
    expect(mergeFirstWins([[{ name: 'x', v: 1 }], [{ name: 'x', v: 2 }, { name: 'y', v: 3 }]])).toEqual([
      { name: 'x', v: 1 },
      { name: 'y', v: 3 },
    ]);
  });

  it('loads KUBECONFIG files: first current-context, first definition of each name, --context override, context namespace', async () => {
    const first = kubeconfig('first.yaml', {
      current: 'dev',
      contexts: [['dev', 'c1', 'u1', 'team-a']],
      clusters: [['c1', 'http://127.0.0.1:1']],
      users: [['u1', { token: 't1' }]],
    });
    const second = kubeconfig('second.yaml', {
      current: 'prod',
      contexts: [
        ['dev', 'c2', 'u2'],
        ['prod', 'c2', 'u2'],
      ],
      clusters: [
        ['c1', 'http://127.0.0.1:9'],
        ['c2', 'http://127.0.0.1:2'],
      ],
      users: [['u2', { token: 't2' }]],
    });
    const env = { KUBECONFIG: [first, second].join(delimiter) };
    const a = await loadKubeconfig({}, env);
    expect([a.contextName, a.server, a.contextNamespace]).toEqual(['dev', 'http://127.0.0.1:1', 'team-a']);
    const b = await loadKubeconfig({ context: 'prod' }, env);
    expect([b.contextName, b.server, b.contextNamespace]).toEqual(['prod', 'http://127.0.0.1:2', undefined]);
    await expect(loadKubeconfig({ context: 'nope' }, env)).rejects.toThrow(/context "nope" does not exist/);
    await expect(loadKubeconfig({ kubeconfig: join(dir, 'absent.yaml') }, {})).rejects.toThrow(/does not exist/);
    const noCurrent = kubeconfig('nocurrent.yaml', { contexts: [['x', 'c1', 'u1']], clusters: [['c1', 'http://127.0.0.1:1']], users: [['u1', {}]] });
    await expect(loadKubeconfig({ kubeconfig: noCurrent }, {})).rejects.toThrow(/no current context/);
    await expect(loadKubeconfig({}, { KUBECONFIG: join(dir, 'missing-only') })).rejects.toThrow(/no Kubernetes configuration found/);
  });
});

describe('HttpTransport', () => {
  let server: http.Server;
  let url = '';
  const seen: { auth?: string; socket: number; path: string }[] = [];
  const sockets = new WeakMap<object, number>();
  let nextSocket = 0;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (!sockets.has(req.socket)) sockets.set(req.socket, ++nextSocket);
      seen.push({ auth: req.headers.authorization, socket: sockets.get(req.socket)!, path: req.url! });
      if (req.url!.startsWith('/fail401') && req.headers.authorization === 'Bearer stale') {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"kind":"Status","code":401,"reason":"Unauthorized","message":"Unauthorized"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'x' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the bearer token and reuses connections', async () => {
    const file = kubeconfig('token.yaml', { current: 'c', contexts: [['c', 'k', 'u']], clusters: [['k', url]], users: [['u', { token: 'sekret' }]] });
    const cluster = await connect({ kubeconfig: file, maxSockets: 4 });
    seen.length = 0;
    await Promise.all(Array.from({ length: 40 }, (_, i) => cluster.client.get(`/api/v1/namespaces/default/configmaps/c${i}`)));
    cluster.close();
    expect(seen).toHaveLength(40);
    expect(seen.every((s) => s.auth === 'Bearer sekret')).toBe(true);
    expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(4);
  });

  it('runs exec credential plugins', async () => {
    const plugin = join(dir, 'plugin.sh');
    writeFileSync(plugin, `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-exec"}}'\n`);
    chmodSync(plugin, 0o755);
    const file = kubeconfig('exec.yaml', {
      current: 'c',
      contexts: [['c', 'k', 'u']],
      clusters: [['k', url]],
      users: [['u', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' } }]],
    });
    const cluster = await connect({ kubeconfig: file });
    seen.length = 0;
    await cluster.client.get('/api/v1/namespaces');
    cluster.close();
    expect(seen[0]!.auth).toBe('Bearer from-exec');
  });
});
