// Pushes images straight through the registry HTTP API (no Docker engine): a FROM-scratch image whose one layer holds
// Debian's static busybox and a nonce file, as an OCI manifest, and OCI indexes (multi-arch) by hand. Re-pushing a tag
// with another nonce moves it to another digest, which is what `compose2k8s update` has to notice. The node of the
// runtime suite can run these images (`/bin/busybox <applet>`).
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function layerTar(files: Record<string, { data: Buffer; mode: number }>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, f] of Object.entries(files)) {
    await new Promise<void>((res, rej) => pack.entry({ name, mode: f.mode, uid: 0, gid: 0, mtime: new Date(0) }, f.data, (e) => (e ? rej(e) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let busyboxLayer: { tar: Buffer; gz: Buffer } | undefined;

async function request(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, init);
  if (!res.ok && res.status !== 404) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

/** Uploads a blob (monolithic) unless the repository has it. */
export async function pushBlob(registry: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha(data);
  const base = `http://${registry}/v2/${repo}/blobs`;
  if ((await fetch(`${base}/${digest}`, { method: 'HEAD' })).status === 200) return digest;
  const start = await request(`${base}/uploads/`, { method: 'POST' });
  const location = new URL(start.headers.get('location')!, `http://${registry}`);
  location.searchParams.set('digest', digest);
  await request(location.toString(), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(data) });
  return digest;
}

/** PUTs a manifest (or index) under `reference` (a tag or digest); returns its digest. */
export async function putManifest(registry: string, repo: string, reference: string, manifest: object, mediaType: string): Promise<{ digest: string; size: number }> {
  const body = JSON.stringify(manifest);
  const res = await request(`http://${registry}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType }, body });
  const digest = res.headers.get('docker-content-digest') ?? sha(body);
  if (digest !== sha(body)) throw new Error(`registry digest ${digest} is not the sha256 of what was sent (${sha(body)})`);
  return { digest, size: Buffer.byteLength(body) };
}

export interface PushedImage {
  digest: string;
  size: number;
  /** The content of /nonce in the image. */
  nonce: string;
}

/**
 * Pushes `repo:tag` (to `reference`, a tag, default `tag`): FROM scratch, /bin/busybox and /nonce, entrypoint
 * /bin/busybox, for `architecture` (default amd64). Each call gets a new nonce, hence a new digest.
 */
export async function pushBusyboxImage(registry: string, repo: string, tag: string, o: { architecture?: string; nonce?: string } = {}): Promise<PushedImage> {
  busyboxLayer ??= await (async () => {
    const t = await layerTar({ 'bin/busybox': { data: readFileSync('/bin/busybox'), mode: 0o755 } });
    return { tar: t, gz: gzipSync(t) };
  })();
  const nonce = o.nonce ?? randomBytes(8).toString('hex');
  const nonceTar = await layerTar({ nonce: { data: Buffer.from(`${nonce}\n`), mode: 0o644 } });
  const nonceGz = gzipSync(nonceTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: o.architecture ?? 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/busybox'], Cmd: ['sleep', '3600'], Env: ['PATH=/bin'] },
      rootfs: { type: 'layers', diff_ids: [sha(busyboxLayer.tar), sha(nonceTar)] },
    }),
  );
  const layers = [];
  for (const gz of [busyboxLayer.gz, nonceGz]) layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: await pushBlob(registry, repo, gz), size: gz.length });
  const configDigest = await pushBlob(registry, repo, config);
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers };
  const { digest, size } = await putManifest(registry, repo, tag, manifest, OCI_MANIFEST);
  return { digest, size, nonce };
}

/** Pushes a multi-arch OCI index under `repo:tag` whose platform images are pushed first (by digest); returns the index digest. */
export async function pushMultiArch(registry: string, repo: string, tag: string, architectures: string[] = ['amd64', 'arm64']): Promise<{ index: string; platforms: Record<string, string> }> {
  const platforms: Record<string, string> = {};
  const manifests = [];
  for (const architecture of architectures) {
    // Pushed under a throwaway tag first (the registry needs the manifest before the index names it).
    const img = await pushBusyboxImage(registry, repo, `${tag}-${architecture}`, { architecture });
    platforms[architecture] = img.digest;
    manifests.push({ mediaType: OCI_MANIFEST, digest: img.digest, size: img.size, platform: { architecture, os: 'linux' } });
  }
  const { digest } = await putManifest(registry, repo, tag, { schemaVersion: 2, mediaType: OCI_INDEX, manifests }, OCI_INDEX);
  return { index: digest, platforms };
}

/** The digest a tag points to in the registry (asked directly, every manifest type accepted); undefined when absent. */
export async function tagDigest(registry: string, repo: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: [OCI_MANIFEST, OCI_INDEX, 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json'].join(', ') },
  });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Deletes every manifest the repository's tags point to (the registry must allow deletes), to leave nothing behind. */
export async function deleteRepository(registry: string, repo: string): Promise<void> {
  const res = await fetch(`http://${registry}/v2/${repo}/tags/list`);
  if (!res.ok) return;
  const tags = ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  const digests = new Set<string>();
  for (const tag of tags) {
    const d = await tagDigest(registry, repo, tag);
    if (d) digests.add(d);
  }
  for (const d of digests) await fetch(`http://${registry}/v2/${repo}/manifests/${d}`, { method: 'DELETE' }).catch(() => undefined);
}
