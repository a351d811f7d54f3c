// Shared helpers of the deploy tests: fixture loading, a TCP proxy that can be "stopped" mid-apply, kubeconfig copies.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { parseAllDocuments, parse, stringify } from 'yaml';
import type { KubeObject } from '../../src/deploy/types.js';

export const FIXTURES = new URL('../../fixtures/deploy/', import.meta.url).pathname;

export function loadManifests(path: string): KubeObject[] {
  const files = path.endsWith('.yaml') ? [path] : readdirSync(path).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(path, f));
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8'))
      .map((d) => d.toJS() as KubeObject)
      .filter(Boolean),
  );
}

/** A TCP proxy in front of the API server; `stop` closes the listener and cuts every connection, `start` resumes on the same port. */
export class TcpProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

/** A copy of a kubeconfig whose current cluster points at another server URL. */
export function redirectKubeconfig(source: string, target: string, server: string): void {
  const doc = parse(readFileSync(source, 'utf8')) as { 'current-context': string; contexts: { name: string; context: { cluster: string } }[]; clusters: { name: string; cluster: { server: string } }[] };
  const ctx = doc.contexts.find((c) => c.name === doc['current-context'])!;
  const cluster = doc.clusters.find((c) => c.name === ctx.context.cluster)!;
  cluster.cluster.server = server;
  writeFileSync(target, stringify(doc));
}

export function serverOf(kubeconfig: string): URL {
  const doc = parse(readFileSync(kubeconfig, 'utf8')) as { 'current-context': string; contexts: { name: string; context: { cluster: string } }[]; clusters: { name: string; cluster: { server: string } }[] };
  const ctx = doc.contexts.find((c) => c.name === doc['current-context'])!;
  return new URL(doc.clusters.find((c) => c.name === ctx.context.cluster)!.cluster.server);
}
