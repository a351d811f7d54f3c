// The build CLI: flag parsing and usage errors (no engine needed), and - with the e2e engine - a whole
// `build --push` and `images prune` run on a temporary copy of fixtures/build loaded by the real loader.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command, CommanderError } from 'commander';
import { registerBuildCommands } from '../../src/cli/build-commands.js';
import { addProjectOptions } from '../../src/cli/project-options.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { E2E, REGISTRY, prepareFixture, registryGet, warnSkipped } from './e2e-helpers.js';

function program(): Command {
  const p = new Command('compose2k8s').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerBuildCommands(p, addProjectOptions);
  return p;
}

async function run(argv: string[]): Promise<{ stdout: string; stderr: string; error?: unknown }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    await program().parseAsync(argv, { from: 'user' });
    return { stdout, stderr };
  } catch (error) {
    return { stdout, stderr, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('build CLI flags', () => {
  it('registers build and images prune with the project flags', () => {
    const p = program();
    const build = p.commands.find((c) => c.name() === 'build')!;
    expect(build.options.map((o) => o.long)).toEqual(
      expect.arrayContaining(['--push', '--registry', '--parallel', '--progress', '--builder', '--file', '--project-name', '--profile']),
    );
    const prune = p.commands.find((c) => c.name() === 'images')!.commands.find((c) => c.name() === 'prune')!;
    expect(prune.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--keep', '--registry', '--dry-run', '--file']));
  });

  it.each([
    [['build', '--parallel', '0']],
    [['build', '--parallel', 'x']],
    [['build', '--progress', 'fancy']],
    [['images', 'prune', '--keep', '-1']],
    [['build', '--bogus']],
  ])('usage error for %j', async (argv) => {
    const r = await run(argv);
    expect(r.error).toBeInstanceOf(CommanderError);
    expect((r.error as CommanderError).exitCode).not.toBe(0);
  });

  it('an unknown service is a diagnostic, not a crash', async () => {
    const fx = prepareFixtureIfBusybox();
    if (!fx) return;
    try {
      const r = await run(['build', '-f', `${fx.dir}/compose.yaml`, 'nope', '--progress', 'quiet']);
      expect(r.error).toBeInstanceOf(DiagnosticError);
    } finally {
      fx.cleanup();
    }
  });
});

function prepareFixtureIfBusybox() {
  try {
    return prepareFixture();
  } catch {
    return undefined;
  }
}

warnSkipped('build CLI e2e tests (test/build/cli.test.ts)');

describe.skipIf(!E2E)('build CLI against a real engine and registry', () => {
  let fx: ReturnType<typeof prepareFixture>;
  const registry = `${REGISTRY}/c2k-cli`;
  beforeAll(() => {
    fx = prepareFixture();
  });
  afterAll(() => fx?.cleanup());

  it('build --push prints pinned references; a second run builds nothing', async () => {
    const argv = ['build', '-f', `${fx.dir}/compose.yaml`, '--push', '--registry', registry, '--progress', 'plain', '--format', 'json'];
    const r1 = await run(argv);
    expect(r1.error).toBeUndefined();
    const first = JSON.parse(r1.stdout) as Record<string, { reference: string; built: boolean; uploaded: boolean }>;
    expect(Object.keys(first).sort()).toEqual(['api', 'web', 'worker']);
    expect(first.web!.reference).toMatch(new RegExp(`^${registry.replace(/\./g, '\\.')}/c2kbuild-web@sha256:[0-9a-f]{64}$`));
    expect(first.worker!.built).toBe(true);
    expect(r1.stderr).toMatch(/web\s+\| step \d+\/\d+: /);
    const r2 = await run(argv);
    const second = JSON.parse(r2.stdout) as typeof first;
    for (const k of Object.keys(first)) {
      expect(second[k]!.reference).toBe(first[k]!.reference);
      expect(second[k]!.built).toBe(false);
      expect(second[k]!.uploaded).toBe(false);
    }
  });

  it('images prune keeps the newest per service, locally and in the registry', async () => {
    // A second generation of web: change a file in its context.
    const { writeFileSync } = await import('node:fs');
    const base = ['-f', `${fx.dir}/compose.yaml`];
    const before = JSON.parse((await run(['build', ...base, '--push', '--registry', registry, '--progress', 'quiet', '--format', 'json'])).stdout) as Record<string, { tag: string; reference: string }>;
    writeFileSync(`${fx.dir}/web/app/index.html`, 'changed\n');
    const after = JSON.parse((await run(['build', ...base, '--push', '--registry', registry, '--progress', 'quiet', '--format', 'json'])).stdout) as typeof before;
    expect(after.web!.tag).not.toBe(before.web!.tag);
    const r = await run(['images', 'prune', ...base, '--keep', '1', '--registry', registry]);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/^removed [1-9]\d* local image\(s\), kept \d+; deleted [1-9]\d* registry tag\(s\), kept \d+/);
    const tags = (await (await registryGet(`/v2/c2k-cli/c2kbuild-web/tags/list`)).json()) as { tags: string[] | null };
    expect(tags.tags ?? []).toContain(after.web!.tag);
    expect(tags.tags ?? []).not.toContain(before.web!.tag);
    // The current images still exist and are still current: a rebuild does nothing.
    const again = JSON.parse((await run(['build', ...base, '--push', '--registry', registry, '--progress', 'quiet', '--format', 'json'])).stdout) as Record<string, { built: boolean; reference: string }>;
    expect(again.web!.built).toBe(false);
    expect(again.web!.reference).toBe(after.web!.reference);
  });
});
