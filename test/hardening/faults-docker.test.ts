// Faults in the real daemons: the registry process killed in the middle of a push, dockerd restarted in the
// middle of a build, and Ctrl-C during a build. They run against a SECOND engine + registry
// (scripts/e2e/docker.sh with its own COMPOSE2K8S_DOCKER_DIR and port), started here and purged in afterAll,
// because the shared instance serves other tests at the same time.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Dockerode from 'dockerode';
import { E2E, warnSkipped } from '../build/e2e-helpers.js';
import { DockerInstance, isAlive, parseBuildOutput, registryDigest, registryTags, runCliAsync, writeProject } from '../build/fault-helpers.js';
import { ensureBuilt } from '../helpers/build.js';
import { STACK_LINE } from './cli-helpers.js';

warnSkipped('engine and registry fault tests (test/hardening/faults-docker.test.ts)');

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Images of a project in the engine, by content tag: `repo:c2k-...` -> image ID. */
async function projectImages(docker: Dockerode, project: string): Promise<Map<string, string>> {
  const list = (await docker.listImages({ filters: JSON.stringify({ label: [`io.compose2k8s.project=${project}`] }) } as never)) as unknown as { Id: string; RepoTags?: string[] | null }[];
  const out = new Map<string, string>();
  for (const img of list) for (const t of img.RepoTags ?? []) if (/:c2k-/.test(t)) out.set(t, img.Id);
  return out;
}

describe.skipIf(!E2E)('faults in a second engine and registry', () => {
  let inst: DockerInstance;
  let work: string;
  let docker: Dockerode;

  beforeAll(async () => {
    ensureBuilt();
    inst = DockerInstance.start();
    docker = await inst.docker();
    work = mkdtempSync(join(tmpdir(), 'c2k-fdock-'));
  }, 240_000);

  afterAll(() => {
    inst?.purge();
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  const cli = (dir: string, args: string[], onStderr?: Parameters<typeof runCliAsync>[1]['onStderr']) =>
    runCliAsync(args, { cwd: dir, env: { DOCKER_HOST: inst.dockerHost }, timeoutMs: 150_000, onStderr });

  it('the registry killed during a push and staying down: the engine retries, then a clear error; restarted, a rerun pushes only what is missing', async () => {
    const dir = join(work, 'kill-registry');
    writeProject(dir, 'fdr', { big: { padBytes: 48 * 1024 * 1024 }, small: {} });
    const registryArg = `${inst.registry}/r`;
    const args = ['build', '--push', '--registry', registryArg, '--progress', 'plain'];
    let killedAt = 0;
    const r = await cli(dir, args, (all) => {
      // The big layer has started to go up: kill -9 the registry.
      if (!killedAt && /^big +\| pushed .* of (\d{2,}(\.\d)?) MB$/m.test(all)) {
        killedAt = Date.now();
        process.kill(inst.pid('registry'), 'SIGKILL');
      }
    });
    expect(killedAt, r.stderr).toBeGreaterThan(0);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK_LINE);
    // The engine's own retries (5, 10, 15, 20 s) are shown while they happen; it then gives up, and so do we.
    expect(r.stderr).toMatch(/^big +\| the engine failed to upload layer [0-9a-f]+ and retries it in 5 s$/m);
    expect(r.stderr).toMatch(/^big +\| the engine failed to upload layer [0-9a-f]+ and retries it in 20 s$/m);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: big: pushing ${esc(registryArg)}/fdr-big:c2k-[0-9a-f]{20} failed: .*connection refused; the engine retried the upload itself - is the registry ${esc(inst.registry)} running and reachable from the Docker engine\\? \\(at services\\.big\\.build\\)$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(new RegExp(`^info: finished before the failure, a rerun reuses them: small \\(built, pushed ${esc(registryArg)}/fdr-small@sha256:[0-9a-f]{64}\\)$`, 'm'));

    // Restarted (same port, same storage), a rerun builds nothing, pushes big, and leaves small alone.
    inst.up();
    const again = await cli(dir, args);
    expect(again.status, again.stderr).toBe(0);
    const out = parseBuildOutput(again.stdout);
    expect(out.small!.what).toBe('unchanged, already in registry');
    expect(out.big!.what).toBe('unchanged, pushed');
    for (const svc of ['big', 'small']) {
      const tags = await registryTags(inst.registry, `r/fdr-${svc}`);
      expect(tags, svc).toHaveLength(1);
      expect(`${registryArg}/fdr-${svc}@${await registryDigest(inst.registry, `r/fdr-${svc}`, tags[0]!)}`).toBe(out[svc]!.reference);
    }
    // Locally: one image per service, under its content tag.
    const local = await projectImages(docker, 'fdr');
    expect([...local.keys()].map((t) => t.replace(/:c2k-.*/, '')).sort()).toEqual([`${registryArg}/fdr-big`, `${registryArg}/fdr-small`]);
  }, 150_000);

  it('dockerd restarted during builds (BuildKit and classic, slow RUN steps): a clear error naming each, then a rerun builds what was lost and reuses the rest', async () => {
    const dir = join(work, 'restart-dockerd');
    // slowkit has build.network none, so it is built by BuildKit; slowclassic by the classic builder (this
    // engine has no bridge network, see docs/build.md); quick has no RUN step and is done first. The RUN
    // steps outlast dockerd's shutdown (it gives containers 10 s, then kills them).
    writeProject(dir, 'fdd', { slowkit: { run: '/bin/busybox sleep 16', network: 'none' }, slowclassic: { run: '/bin/busybox sleep 16' }, quick: {} });
    const registryArg = `${inst.registry}/d`;
    const args = ['build', '--push', '--registry', registryArg, '--progress', 'plain', '--parallel', '3'];
    let restarting: Promise<number> | undefined;
    const r = await cli(dir, args, (all) => {
      const inRun = (svc: string) => new RegExp(`^${svc} +\\| step \\d+/\\d+: RUN `, 'm').test(all);
      if (!restarting && inRun('slowkit') && inRun('slowclassic') && /^quick +\| done: /m.test(all)) {
        // Both RUN steps are running: restart the daemon, as `systemctl restart docker` would.
        restarting = (async () => {
          await new Promise((res) => setTimeout(res, 500));
          const stopMs = await inst.kill('dockerd', 'SIGTERM');
          inst.up();
          return stopMs;
        })();
      }
    });
    expect(restarting, r.stderr).toBeDefined();
    const stopMs = await restarting!;
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(STACK_LINE);
    // BuildKit's build is cut when the daemon exits; the classic one first sees its RUN container killed (137)
    // by the stopping daemon, and the engine then no longer answers: both are "lost the Docker engine".
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: lost the Docker engine at ${esc(inst.dockerHost)} \\(from DOCKER_HOST\\) while building slowkit \\(${esc(registryArg)}/fdd-slowkit:c2k-[0-9a-f]{20}\\): aborted \\(ECONNRESET\\); did the daemon stop or restart\\? Run the command again when it is back: finished images are not built or pushed again \\(at services\\.slowkit\\.build\\)$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: lost the Docker engine at ${esc(inst.dockerHost)} \\(from DOCKER_HOST\\) while building slowclassic \\(${esc(registryArg)}/fdd-slowclassic:c2k-[0-9a-f]{20}\\), whose step was killed \\(137\\): .*; did the daemon stop or restart\\? .* \\(at services\\.slowclassic\\.build\\)$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^info: finished before the failure, a rerun reuses them: quick \(built, pushed /m);
    expect(stopMs).toBeGreaterThan(5000); // it did wait for its containers

    const again = await cli(dir, args);
    expect(again.status, again.stderr).toBe(0);
    const out = parseBuildOutput(again.stdout);
    expect(out.quick!.what).toBe('unchanged, already in registry');
    expect(out.slowkit!.what).toBe('built, pushed');
    expect(out.slowclassic!.what).toBe('built, pushed');
    for (const svc of ['slowkit', 'slowclassic', 'quick']) {
      const tags = await registryTags(inst.registry, `d/fdd-${svc}`);
      expect(tags, svc).toHaveLength(1);
      expect(`${registryArg}/fdd-${svc}@${await registryDigest(inst.registry, `d/fdd-${svc}`, tags[0]!)}`).toBe(out[svc]!.reference);
    }
    const local = await projectImages(docker, 'fdd');
    expect([...local.keys()].map((t) => t.replace(/:c2k-.*/, '')).sort()).toEqual(['slowclassic', 'slowkit', 'quick'].map((s) => `${registryArg}/fdd-${s}`).sort());
    // Nothing of the interrupted builds is left: no container (the classic builder removed its killed step's).
    expect(await docker.listContainers({ all: true })).toEqual([]);
  }, 200_000);

  it('Ctrl-C during builds: "interrupted", exit 130, and the engine stops both builds', async () => {
    const dir = join(work, 'interrupt');
    const marker = `c2k-int-${process.pid}`;
    writeProject(dir, 'fdi', { kit: { run: `/bin/busybox sleep 30; echo ${marker}`, network: 'none' }, classic: { run: `/bin/busybox sleep 30; echo ${marker}` } });
    let sent = 0;
    let watching: NodeJS.Timeout | undefined;
    let polling = false;
    const r = await cli(dir, ['build', '--progress', 'plain', '--parallel', '2'], (all, kill) => {
      const inRun = (svc: string) => new RegExp(`^${svc} +\\| step \\d+/\\d+: RUN `, 'm').test(all);
      if (!watching && inRun('kit') && inRun('classic')) {
        // Interrupt once both RUN steps really run: the classic builder's step container is running, and
        // BuildKit's step shell exists.
        watching = setInterval(() => {
          if (polling || sent) return;
          polling = true;
          void docker.listContainers().then((running) => {
            polling = false;
            if (!sent && running.length === 1 && sleeping(marker).length >= 2) {
              sent = Date.now();
              kill('SIGINT');
            }
          });
        }, 100);
      }
    });
    clearInterval(watching);
    expect(sent, r.stderr).toBeGreaterThan(0);
    expect(r.status, r.stderr).toBe(130); // like apply: 128 + SIGINT
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).toMatch(/^error: interrupted; not finished: kit, classic \(the engine cancels a build or push when its connection closes\)$/m);
    // Within a few seconds no RUN step of these builds runs any more (the shells holding the marker), and no
    // build container is left.
    const t0 = Date.now();
    let left: number[] = [];
    let containers: unknown[] = [];
    do {
      left = sleeping(marker);
      containers = await docker.listContainers({ all: true });
      if (left.length === 0 && containers.length === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    } while (Date.now() - t0 < 10_000);
    expect(left).toEqual([]);
    expect(containers).toEqual([]);
  }, 120_000);

  it('Ctrl-C during convert --build: exit 130, the builds stop, no manifests written', async () => {
    const dir = join(work, 'interrupt-convert');
    const marker = `c2k-intc-${process.pid}`;
    writeProject(dir, 'fdc', { kit: { run: `/bin/busybox sleep 30; echo ${marker}`, network: 'none' } });
    const out = join(dir, 'manifests');
    let sent = 0;
    let watching: NodeJS.Timeout | undefined;
    const r = await cli(dir, ['convert', '--build', '-o', `${out}/`], (_all, kill) => {
      if (watching) return;
      watching = setInterval(() => {
        if (!sent && sleeping(marker).length >= 1) {
          sent = Date.now();
          kill('SIGINT');
        }
      }, 100);
    });
    clearInterval(watching);
    expect(sent, r.stderr).toBeGreaterThan(0);
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).toMatch(/^error: interrupted; not finished: kit/m);
    expect(existsSync(out)).toBe(false);
    const t0 = Date.now();
    while (sleeping(marker).length > 0 && Date.now() - t0 < 10_000) await new Promise((res) => setTimeout(res, 200));
    expect(sleeping(marker)).toEqual([]);
  }, 120_000);
});

/** PIDs of live processes whose command line holds `marker`. */
function sleeping(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(marker) && isAlive(Number(d))) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}
