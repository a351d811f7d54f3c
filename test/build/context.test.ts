import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, utimesSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extract } from 'tar-stream';
import { baseImages, contextTar, loadContext, parseDockerignore } from '../../src/build/context.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'c2k-ctx-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function files(map: Record<string, string>) {
  for (const [p, c] of Object.entries(map)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

async function tarEntries(ctx: Awaited<ReturnType<typeof loadContext>>): Promise<Record<string, { type: string; body: string; mode: number; uid: number }>> {
  const out: Record<string, { type: string; body: string; mode: number; uid: number }> = {};
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      let body = '';
      stream.on('data', (d: unknown) => (body += String(d as Buffer)));
      stream.on('end', () => {
        out[h.name] = { type: h.type, body, mode: h.mode, uid: h.uid };
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  const tar = await contextTar(ctx);
  for await (const chunk of tar) ex.write(chunk as Buffer);
  ex.end(undefined as unknown as Buffer);
  await done;
  return out;
}

describe('.dockerignore', () => {
  it('parses comments, negations and leading slashes like moby', () => {
    expect(parseDockerignore('# c\n\n/abs\n./rel\n!keep\n  spaced  \n! neg\n')).toEqual(['abs', 'rel', '!keep', 'spaced', '!neg']);
  });

  it('excludes ignored files and directories but keeps exceptions, Dockerfile and .dockerignore', async () => {
    files({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'Dockerfile\n.dockerignore\nsecret.txt\n*.log\n!keep.log\nnode_modules\nbuild/**\n!build/out.bin\n',
      'secret.txt': 's',
      'a.log': 'l',
      'keep.log': 'k',
      'sub/a.log': 'nested logs are not matched by *.log',
      'node_modules/x/index.js': 'x',
      'build/tmp.o': 'o',
      'build/out.bin': 'b',
      'src/main.c': 'int main;',
    });
    const ctx = await loadContext({ context: dir });
    const names = ctx.entries.map((e) => e.name);
    // `build/**` matches what is under build/, not the directory itself (moby's regexp is ^build/.*$).
    expect(names).toEqual(['.dockerignore', 'Dockerfile', 'build', 'build/out.bin', 'keep.log', 'src', 'src/main.c', 'sub', 'sub/a.log']);
    expect(ctx.ignoreFile).toBe(join(dir, '.dockerignore'));
    const tar = await tarEntries(ctx);
    expect(Object.keys(tar).sort()).toEqual(['.dockerignore', 'Dockerfile', 'build', 'build/out.bin', 'keep.log', 'src', 'src/main.c', 'sub', 'sub/a.log']);
    expect(tar['src/main.c']).toMatchObject({ type: 'file', body: 'int main;', uid: 0 });
  });

  it('<Dockerfile>.dockerignore next to the Dockerfile wins over the context one', async () => {
    files({ 'docker/app.Dockerfile': 'FROM scratch\n', 'docker/app.Dockerfile.dockerignore': 'notes.md\n', '.dockerignore': 'config.txt\n', 'config.txt': 'c', 'notes.md': 'n' });
    const ctx = await loadContext({ context: dir, dockerfile: 'docker/app.Dockerfile' });
    expect(ctx.ignoreFile).toBe(join(dir, 'docker/app.Dockerfile.dockerignore'));
    expect(ctx.dockerfileName).toBe('docker/app.Dockerfile');
    const names = ctx.entries.map((e) => e.name);
    expect(names).toContain('config.txt');
    expect(names).not.toContain('notes.md');
  });
});

describe('context digest', () => {
  it('depends on content and mode, not on mtimes', async () => {
    files({ Dockerfile: 'FROM scratch\n', 'a.txt': 'one' });
    const d1 = (await loadContext({ context: dir })).digest;
    utimesSync(join(dir, 'a.txt'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    expect((await loadContext({ context: dir })).digest).toBe(d1);
    writeFileSync(join(dir, 'a.txt'), 'two');
    const d2 = (await loadContext({ context: dir })).digest;
    expect(d2).not.toBe(d1);
    chmodSync(join(dir, 'a.txt'), 0o755);
    expect((await loadContext({ context: dir })).digest).not.toBe(d2);
  });

  it('ignored files do not change it', async () => {
    files({ Dockerfile: 'FROM scratch\n', '.dockerignore': '*.log\n', 'a.log': '1' });
    const d1 = (await loadContext({ context: dir })).digest;
    writeFileSync(join(dir, 'a.log'), '2');
    expect((await loadContext({ context: dir })).digest).toBe(d1);
  });

  it('keeps symlinks as links', async () => {
    files({ Dockerfile: 'FROM scratch\n', 'target.txt': 't' });
    symlinkSync('target.txt', join(dir, 'link'));
    const ctx = await loadContext({ context: dir });
    expect(ctx.entries.find((e) => e.name === 'link')).toMatchObject({ type: 'symlink', linkname: 'target.txt' });
    const tar = await tarEntries(ctx);
    expect(tar.link!.type).toBe('symlink');
  });
});

describe('Dockerfiles', () => {
  it('injects an inline Dockerfile under a generated name', async () => {
    files({ 'a.txt': 'a' });
    const ctx = await loadContext({ context: dir, dockerfileInline: 'FROM scratch\nCOPY a.txt /\n' });
    expect(ctx.dockerfileName).toMatch(/^\.compose2k8s\.Dockerfile\.[0-9a-f]{12}$/);
    const tar = await tarEntries(ctx);
    expect(tar[ctx.dockerfileName]!.body).toBe('FROM scratch\nCOPY a.txt /\n');
  });

  it('injects a Dockerfile outside the context', async () => {
    files({ 'ctx/a.txt': 'a', 'elsewhere/Dockerfile': 'FROM scratch\n' });
    const ctx = await loadContext({ context: join(dir, 'ctx'), dockerfile: '../elsewhere/Dockerfile' });
    expect(ctx.dockerfileName).toMatch(/^\.compose2k8s\.Dockerfile\./);
    expect(ctx.dockerfileContent).toBe('FROM scratch\n');
  });

  it('reports a missing context or Dockerfile with its compose path', async () => {
    const e1 = await loadContext({ context: join(dir, 'nope'), path: 'services.web.build' }).catch((e: unknown) => e);
    expect((e1 as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'build.context-missing', path: 'services.web.build.context' });
    const e2 = await loadContext({ context: dir, path: 'services.web.build' }).catch((e: unknown) => e);
    expect((e2 as DiagnosticError).diagnostics[0]).toMatchObject({ code: 'build.dockerfile-missing', path: 'services.web.build.dockerfile' });
  });

  it('streams large files', async () => {
    files({ Dockerfile: 'FROM scratch\n' });
    writeFileSync(join(dir, 'big.bin'), Buffer.alloc(3 << 20, 7));
    const tar = await tarEntries(await loadContext({ context: dir }));
    expect(tar['big.bin']!.body.length).toBe(3 << 20);
  });

  it('finds base images, skipping stages and scratch', () => {
    expect(baseImages('FROM --platform=$P reg.io/a:1 AS build\nFROM build\nfrom scratch\nFROM ${BASE}\n', { BASE: 'ghcr.io/x/y' })).toEqual(['reg.io/a:1', 'ghcr.io/x/y']);
  });
});
