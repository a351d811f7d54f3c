import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery } from '../../src/build/index.js';
import { imageContentTag, needsClassicBuilder, planBuilds, remoteInputDigest, resolvePlan, CONTENT_TAG, LABEL_INPUTS } from '../../src/build/plan.js';
import { parseRegistryTarget } from '../../src/model/image-reference.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { BuildConfig, Project } from '../../src/model/project.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'c2k-plan-'));
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM scratch\nCOPY a /a\n');
  writeFileSync(join(dir, 'web', 'a'), 'a');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const project = (build: Partial<BuildConfig> = {}, extra: Project['services'] = {}): Project => ({
  name: 'proj',
  services: { web: { build: { context: join(dir, 'web'), dockerfile: 'Dockerfile', ...build } }, db: { image: 'postgres:16' }, ...extra },
});

function plan(p: Project, o: Parameters<typeof planBuilds>[2] = {}) {
  const d = new Diagnostics();
  return { plans: planBuilds(p, undefined, o, d), d };
}

describe('planning', () => {
  it('plans only services with build:, naming them <project>-<service> by default', () => {
    const { plans, d } = plan(project({ args: { A: '1', B: null } }));
    expect(d.items).toEqual([]);
    expect(plans).toHaveLength(1);
    expect(plans[0]).toMatchObject({ service: 'web', sourceImage: 'proj-web', repository: { path: 'proj-web' }, extraTags: ['proj-web:latest'], args: { A: '1' }, pushable: false });
    expect(plans[0]!.labels).toEqual({ 'io.compose2k8s.project': 'proj', 'io.compose2k8s.service': 'web' });
  });

  it('re-roots image: names under --registry and keeps build.tags as local tags', () => {
    const p = project({ tags: ['mirror.io/web:v1', 'web-extra'] });
    p.services.web!.image = 'ghcr.io/org/web:2.0';
    const { plans } = plan(p, { registry: parseRegistryTarget('127.0.0.1:5000/ns'), push: true });
    expect(plans[0]).toMatchObject({ repository: { domain: '127.0.0.1:5000', path: 'ns/org/web' }, pushable: true });
    expect(plans[0]!.extraTags).toEqual(['ghcr.io/org/web:2.0', 'mirror.io/web:v1', 'web-extra:latest']);
  });

  it.each([
    [{ secrets: [{ source: 'npmrc' }] }, 'build.needs-buildkit-session', /secrets \(npmrc\).*client session/],
    [{ ssh: { default: null } }, 'build.needs-buildkit-session', /build\.ssh.*SSH agent/],
    [{ platforms: ['linux/amd64', 'linux/arm64'] }, 'build.needs-buildx', /needs buildx/],
    [{ additional_contexts: { x: '../x' } }, 'build.needs-buildkit-session', /named contexts/],
    [{ context: 'ssh://git@github.com/o/r.git#main' }, 'build.remote-context', /cannot fetch an ssh:\/\/ context .*write it as git@github\.com:\/o\/r\.git#main/],
    [{ context: 'ssh://git@host:2222/r.git' }, 'build.remote-context', /^web: build context ssh:\/\/git@host:2222\/r\.git: .*\); clone the repository/],
    [{ context: 'git@github.com:o/r.git', dockerfile: undefined, dockerfile_inline: 'FROM scratch' }, 'build.remote-context', /dockerfile_inline cannot be used with the remote build context git@github\.com:o\/r\.git/],
    [{ context: 'https://h/r.git', dockerfile: '/abs/Dockerfile' }, 'build.remote-context', /Dockerfile \/abs\/Dockerfile is outside the remote build context https:\/\/h\/r\.git/],
    [{ context: 'docker-image://alpine' }, 'build.remote-context', /names an image or a BuildKit named context/],
    [{ context: 'service:base' }, 'build.remote-context', /names an image or a BuildKit named context/],
  ])('refuses %j clearly', (b, code, message) => {
    const { plans, d } = plan(project(b as Partial<BuildConfig>));
    expect(plans).toEqual([]);
    expect(d.errors[0]).toMatchObject({ code, path: 'services.web.build' });
    expect(d.errors[0]!.message).toMatch(message);
  });

  it.each([
    ['git://127.0.0.1/r.git#main:sub', false],
    ['https://github.com/o/r.git#v1:dir', false],
    ['http://127.0.0.1:8080/ctx.tar.gz', false],
    ['github.com/o/r', false],
    ['git@github.com:o/r.git', true],
  ])('hands the remote context %s to the engine as written', async (context, classic) => {
    const { plans, d } = plan(project({ context }));
    expect(d.items).toEqual([]);
    expect(plans[0]).toMatchObject({ service: 'web', remote: context, repository: { path: 'proj-web' } });
    expect(needsClassicBuilder(plans[0]!)).toBe(classic);
    await expect(resolvePlan(plans[0]!)).rejects.toThrow(/read by the engine/);
  });

  it('plans a local context as one to read here', () => {
    const { plans } = plan(project());
    expect(plans[0]!.remote).toBeUndefined();
    expect(needsClassicBuilder(plans[0]!)).toBe(false);
  });

  it('needs somewhere to push', () => {
    const { d } = plan(project(), { push: true });
    expect(d.errors[0]!.code).toBe('build.no-push-target');
  });

  it('warns about options the Engine API cannot honour', () => {
    const { plans, d } = plan(project({ cache_to: ['type=inline'], provenance: 'true' }));
    expect(plans).toHaveLength(1);
    expect(d.warnings.map((w) => w.path)).toEqual(['services.web.build.cache_to', 'services.web.build.provenance']);
  });

  it('an unknown selected service is an error', () => {
    const d = new Diagnostics();
    planBuilds(project(), ['nope'], {}, d);
    expect(d.errors[0]!.message).toBe('no such service: nope');
  });
});

describe('content tags', () => {
  const tagOf = async (p: Project) => (await resolvePlan(plan(p).plans[0]!)).tag;

  it('are stable for unchanged inputs and change with each input', async () => {
    const base = await tagOf(project({ args: { A: '1' } }));
    expect(base).toMatch(CONTENT_TAG);
    expect(await tagOf(project({ args: { A: '1' } }))).toBe(base);
    expect(await tagOf(project({ args: { A: '1', B: null } }))).toBe(base); // unset args do not count
    const variants = [
      project({ args: { A: '2' } }),
      project({ args: { A: '1' }, target: 't' }),
      project({ args: { A: '1' }, platforms: ['linux/arm64'] }),
      project({ args: { A: '1' }, labels: { x: 'y' } }),
      project({ args: { A: '1' }, dockerfile_inline: 'FROM scratch\n', dockerfile: undefined }),
    ];
    const tags = await Promise.all(variants.map(tagOf));
    expect(new Set([base, ...tags]).size).toBe(variants.length + 1);
    // Options that do not change what is built do not change the tag.
    expect(await tagOf(project({ args: { A: '1' }, no_cache: true, pull: true, network: 'none' }))).toBe(base);
  });

  it('map build options onto POST /build parameters', async () => {
    const p = await resolvePlan(
      plan(project({ args: { A: '1' }, target: 'final', cache_from: ['c:1'], network: 'none', extra_hosts: { h: ['1.2.3.4', '::1'] }, shm_size: 1024, no_cache: true, pull: true, platforms: ['linux/arm64'], ulimits: { nofile: { soft: 1, hard: 2 } } })).plans[0]!,
    );
    const q = buildQuery(p, { tags: [p.taggedRef, ...p.extraTags], dockerfile: p.context.dockerfileName, inputs: p.inputs }, '2');
    expect(q).toMatchObject({
      t: [p.taggedRef, 'proj-web:latest'],
      dockerfile: 'Dockerfile',
      buildargs: { A: '1' },
      target: 'final',
      cachefrom: '["c:1"]',
      networkmode: 'none',
      extrahosts: ['h:1.2.3.4', 'h:::1'],
      shmsize: 1024,
      nocache: true,
      pull: true,
      platform: 'linux/arm64',
      version: '2',
      ulimits: '[{"Name":"nofile","Soft":1,"Hard":2}]',
    });
    expect((q.labels as Record<string, string>)[LABEL_INPUTS]).toBe(p.inputs);
    expect(p.taggedRef).toBe(`proj-web:${p.tag}`);
    expect(q.remote).toBeUndefined();
  });

  it('for a remote context: remote=, the Dockerfile named in it, and a tag from the image ID', () => {
    const p = plan(project({ context: 'git://h/r.git#main:sub', dockerfile: 'build/Dockerfile', args: { A: '1' } })).plans[0]!;
    const inputs = remoteInputDigest({ ...p, remote: p.remote! });
    const q = buildQuery(p, { tags: p.extraTags, dockerfile: p.build.dockerfile!, inputs, remote: p.remote }, '1');
    expect(q).toMatchObject({ remote: 'git://h/r.git#main:sub', dockerfile: 'build/Dockerfile', t: ['proj-web:latest'], buildargs: { A: '1' }, version: '1' });
    expect(inputs).not.toBe(remoteInputDigest({ ...p, remote: 'git://h/r.git#other:sub' }));
    expect(imageContentTag('sha256:0123456789abcdef0123456789abcdef')).toBe('c2k-0123456789abcdef0123');
    expect(imageContentTag('sha256:0123456789abcdef0123456789abcdef')).toMatch(CONTENT_TAG);
  });
});
