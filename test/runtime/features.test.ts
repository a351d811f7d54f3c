// fixtures/runtime/features on a real node, deployed with `up --no-wait` (secrets are created from their files by
// default; one of its services never
// turns ready on purpose): healthchecks in CMD and string form become readiness probes that pass and a failing one
// keeps its pod unready (but running), a compose secret and a config are at their targets with their modes, and a
// named volume shared by two services keeps its data when the writing pod is replaced.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, REGISTRY, cli, describeNamespace, kubectl, kubectlJson, prepareProject, warnSkipped } from './helpers.js';

warnSkipped('features project (healthcheck forms, failing healthcheck, secrets and configs, shared volume)');

const ns = `c2k-rt-feat-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pods of one compose service. */
const podsOf = (service: string) => kubectlJson(['-n', ns, 'get', 'pods', '-l', `app.kubernetes.io/component=${service}`]).items as any[];
const isReady = (pod: any) => pod.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') === true;
const exec = (service: string, script: string) => kubectl(['-n', ns, 'exec', podsOf(service)[0].metadata.name, '--', 'sh', '-c', script]);

async function until<T>(what: string, fn: () => T | undefined, ms = 90_000): Promise<T> {
  for (const deadline = Date.now() + ms; ; await sleep(500)) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${describeNamespace(ns)}`);
  }
}

describe.skipIf(!ENABLED)('runtime: features project on a real node', () => {
  let project: ReturnType<typeof prepareProject>;
  let up: ReturnType<typeof cli>;

  beforeAll(async () => {
    project = prepareProject('features');
    up = cli(['up', '-n', ns, '--registry', `${REGISTRY}/c2k-runtime`, '--no-wait'], project.dir);
    if (up.status !== 0) return;
    for (const service of ['vault', 'writer', 'reader']) {
      await until(`${service} ready`, () => (podsOf(service).some(isReady) ? true : undefined));
    }
  }, 240_000);

  afterAll(() => {
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '90s'], project.dir);
    project.cleanup();
  });

  it('up applies the project and never prints the secret', () => {
    expect(up.status, up.stderr).toBe(0);
    const token = readFileSync(join(project.dir, 'token.txt'), 'utf8').trim();
    expect(up.stdout + up.stderr).not.toContain(token);
  });

  it('services without ports resolve by their compose name from another pod', () => {
    // ping resolves through the pod's resolv.conf search list, as applications do (busybox nslookup exits 1 when
    // any search suffix fails, even with an answer).
    const r = exec('reader', 'ping -c 1 -W 2 vault && ping -c 1 -W 2 writer');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PING vault \(\d+\.\d+\.\d+\.\d+\)/);
    expect(r.stdout).toMatch(/PING writer \(\d+\.\d+\.\d+\.\d+\)/);
  });

  it('healthchecks in CMD and string form are readiness probes that pass', () => {
    const probe = (d: string) => kubectlJson(['-n', ns, 'get', 'deployment', d]).spec.template.spec.containers[0].readinessProbe.exec.command;
    expect(probe('vault')).toEqual(['cat', '/run/secrets/token']);
    expect(probe('writer')).toEqual(['/bin/sh', '-c', 'test -s /data/starts']);
    for (const service of ['vault', 'writer']) {
      const [pod] = podsOf(service);
      expect(isReady(pod), `${service}\n${describeNamespace(ns)}`).toBe(true);
      expect(pod.status.containerStatuses[0].restartCount).toBe(0);
    }
  });

  it('a failing healthcheck keeps its pod running but unready', async () => {
    // several probe periods (2 s) after the container started
    const started = await until('sick running', () => {
      const s = podsOf('sick')[0]?.status.containerStatuses?.[0]?.state?.running?.startedAt;
      return s ? Date.parse(s) : undefined;
    });
    await sleep(Math.max(0, started + 8_000 - Date.now()));
    const [pod] = podsOf('sick');
    expect(pod.status.phase).toBe('Running');
    expect(isReady(pod)).toBe(false);
    expect(pod.status.containerStatuses[0].ready).toBe(false);
    expect(pod.status.containerStatuses[0].restartCount).toBe(0);
  }, 120_000);

  it('the secret and the config are at their compose targets with their modes and contents', () => {
    const r = exec('vault', 'stat -L -c "%a %n" /run/secrets/token /etc/app.conf && cat /run/secrets/token /etc/app.conf');
    expect(r.status, r.stderr).toBe(0);
    const token = readFileSync(join(project.dir, 'token.txt'), 'utf8');
    const conf = readFileSync(join(project.dir, 'app.conf'), 'utf8');
    expect(r.stdout).toBe(`400 /run/secrets/token\n440 /etc/app.conf\n${token}${conf}`);
  });

  it('a named volume shared by two services keeps its data when the writing pod is replaced', async () => {
    expect(exec('reader', 'cat /data/starts').stdout).toBe('start\n');
    const old = podsOf('writer')[0].metadata.name;
    const del = kubectl(['-n', ns, 'delete', 'pod', old, '--wait=true'], 90_000);
    expect(del.status, del.stderr).toBe(0);
    await until('a new writer pod ready', () => (podsOf('writer').some((p) => p.metadata.name !== old && isReady(p)) ? true : undefined));
    // the new pod appended to what the old one wrote; reader sees both lines
    expect(exec('reader', 'cat /data/starts').stdout).toBe('start\nstart\n');
  }, 150_000);
});
