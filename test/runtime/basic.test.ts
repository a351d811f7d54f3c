// fixtures/runtime/basic on a real node: `compose2k8s up` builds the images, pushes them, applies, and the node
// pulls and runs them. Checked from outside the pods: web answers through its NodePort from this machine and shows
// what api:9000 answered it (compose name and container port), web's Service answers on its container port from
// another pod (kubectl exec through the kubelet), api's healthcheck became a readiness probe that
// passes, the restart: "no" seed ran once as a Job that completed before web's container started, env_file and
// interpolated values are in web's environment, `up` after a change to web's source rebuilds and rolls web only,
// and `down` leaves nothing of the project.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED, REGISTRY, cli, describeNamespace, waitImageFlags, httpGet, kubectl, kubectlJson, nodeAddress, prepareProject, warnSkipped } from './helpers.js';

warnSkipped('basic project (web -> api, healthcheck, Job ordering, env_file, down)');

const ns = `c2k-rt-basic-${randomBytes(3).toString('hex')}`;
const message = `interpolated-${randomBytes(4).toString('hex')}`;

describe.skipIf(!ENABLED)('runtime: basic project on a real node', () => {
  let project: ReturnType<typeof prepareProject>;
  let upResult: ReturnType<typeof cli>;
  let webUrl = '';
  let upArgs: string[] = [];

  beforeAll(async () => {
    project = prepareProject('basic');
    upArgs = ['up', '-n', ns, '--registry', `${REGISTRY}/c2k-runtime`, ...(await waitImageFlags()), '--expose', 'nodeport', '--timeout', '180s'];
    upResult = cli(upArgs, project.dir, { C2K_RUNTIME_MESSAGE: message });
    if (upResult.status === 0) {
      const svc = kubectlJson(['-n', ns, 'get', 'service', 'web-external']);
      webUrl = `http://${nodeAddress()}:${svc.spec.ports[0].nodePort}`;
    }
  }, 300_000);

  afterAll(() => {
    if (!project) return;
    cli(['down', '-n', ns, '--wait', '--timeout', '90s'], project.dir);
    project.cleanup();
  });

  it('up builds, pushes, applies and waits until every workload is ready', () => {
    expect(upResult.status, `${upResult.stderr}\n${describeNamespace(ns)}`).toBe(0);
    const pods = kubectlJson(['-n', ns, 'get', 'pods']).items as any[];
    expect(pods.length).toBe(3);
    // the node really pulled the pushed, digest-pinned images: each container runs the digest of its spec
    const pinned = new RegExp(`^${REGISTRY.replace(/\./g, '\\.')}/c2k-runtime/.+@(sha256:[0-9a-f]{64})$`);
    for (const pod of pods) {
      for (const c of [...(pod.status.initContainerStatuses ?? []), ...pod.status.containerStatuses]) {
        const spec = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].find((s: any) => s.name === c.name);
        if (c.name.startsWith('wait-for-')) continue; // the helper image, not built by up
        const digest = pinned.exec(spec.image)?.[1];
        expect(digest, `${pod.metadata.name}/${c.name}: ${spec.image}`).toBeDefined();
        // imageID names the repository the node first pulled that content from (another project may share it)
        expect(c.imageID, `${pod.metadata.name}/${c.name}`).toMatch(new RegExp(`@${digest}$`));
      }
    }
  });

  it('web reaches api by its compose name and container port; its NodePort answers from this machine', async () => {
    expect(webUrl).not.toBe('');
    const index = await httpGet(`${webUrl}/`);
    expect(index.status).toBe(200);
    expect(index.body).toBe('web: hello\n');
    const viaApi = await httpGet(`${webUrl}/cgi-bin/api`);
    expect(viaApi.status).toBe(200);
    expect(viaApi.body).toMatch(/^HTTP\/1\.[01] 200/);
    expect(viaApi.body).toContain('api: hello');
  });

  it("inside the cluster, web's Service answers on web's container port (from api's pod)", () => {
    const [api] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=api']).items;
    const r = kubectl(['-n', ns, 'exec', api.metadata.name, '--', 'sh', '-c', "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web 80"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.[01] 200/);
    expect(r.stdout).toContain('web: hello');
  });

  it("api's healthcheck is a readiness probe that passes", () => {
    const deploy = kubectlJson(['-n', ns, 'get', 'deployment', 'api']);
    const probe = deploy.spec.template.spec.containers[0].readinessProbe;
    expect(probe.exec.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(probe.exec.command[2]).toContain('nc 127.0.0.1 9000');
    const [pod] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=api']).items;
    const ready = pod.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status, describeNamespace(ns)).toBe('True');
    expect(pod.status.containerStatuses[0].restartCount).toBe(0);
    // the EndpointSlice web's wait polls lists the pod as ready
    const slices = kubectlJson(['-n', ns, 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=api']).items;
    expect(slices.flatMap((s: any) => s.endpoints ?? []).some((e: any) => e.conditions.ready)).toBe(true);
  });

  it('the restart: "no" service ran once as a Job that completed before web started', () => {
    const job = kubectlJson(['-n', ns, 'get', 'job', 'seed']);
    expect(job.status.succeeded).toBe(1);
    expect(job.status.failed ?? 0).toBe(0);
    const completed = Date.parse(job.status.completionTime);
    const [jobPod] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'job-name=seed']).items;
    expect(jobPod.status.containerStatuses[0].state.terminated.exitCode).toBe(0);
    const logs = kubectl(['-n', ns, 'logs', jobPod.metadata.name]);
    expect(logs.stdout.trim(), logs.stderr).toBe('seeded');
    const [web] = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=web']).items;
    const waits = Object.fromEntries((web.status.initContainerStatuses as any[]).map((s) => [s.name, s.state.terminated]));
    expect(waits['wait-for-seed']?.exitCode, JSON.stringify(waits)).toBe(0);
    expect(waits['wait-for-api']?.exitCode, JSON.stringify(waits)).toBe(0);
    // Kubernetes times have a resolution of one second.
    expect(Date.parse(waits['wait-for-seed'].finishedAt)).toBeGreaterThanOrEqual(completed);
    expect(Date.parse(web.status.containerStatuses[0].state.running.startedAt)).toBeGreaterThanOrEqual(completed);
  });

  it('env_file and interpolated values are in the environment of the running container', async () => {
    expect(webUrl).not.toBe('');
    const env = await httpGet(`${webUrl}/cgi-bin/env`);
    expect(env.body).toContain('GREETING=hello from env_file\n');
    expect(env.body).toContain(`MESSAGE=${message}\n`);
  });

  it("up again after a change to web's source rebuilds and rolls only web", async () => {
    const image = (kind: string, name: string) => kubectlJson(['-n', ns, 'get', kind, name]).spec.template.spec.containers[0].image as string;
    const before = { web: image('deployment', 'web'), api: image('deployment', 'api'), seed: image('job', 'seed') };
    const apiPod = kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=api']).items[0].metadata.uid;
    const seedJob = kubectlJson(['-n', ns, 'get', 'job', 'seed']).metadata.uid;
    writeFileSync(join(project.dir, 'web/www/index.html'), 'web: changed\n');
    const again = cli(upArgs, project.dir, { C2K_RUNTIME_MESSAGE: message });
    expect(again.status, `${again.stderr}\n${describeNamespace(ns)}`).toBe(0);
    expect(image('deployment', 'web')).not.toBe(before.web);
    expect(image('deployment', 'api')).toBe(before.api);
    expect(image('job', 'seed')).toBe(before.seed);
    expect(kubectlJson(['-n', ns, 'get', 'pods', '-l', 'app.kubernetes.io/component=api']).items[0].metadata.uid).toBe(apiPod);
    expect(kubectlJson(['-n', ns, 'get', 'job', 'seed']).metadata.uid).toBe(seedJob);
    // kube-proxy may route to the old pod for a moment after the rollout
    let body = '';
    for (let deadline = Date.now() + 15_000; Date.now() < deadline && body !== 'web: changed\n'; await new Promise((r) => setTimeout(r, 500))) {
      body = (await httpGet(`${webUrl}/`)).body;
    }
    expect(body).toBe('web: changed\n');
  }, 240_000);

  it('down leaves nothing of the project', () => {
    const down = cli(['down', '-n', ns, '--wait', '--timeout', '90s'], project.dir);
    expect(down.status, down.stderr).toBe(0);
    const left = kubectl(['get', 'namespace', ns]);
    expect(left.status, left.stdout).not.toBe(0);
    const pods = kubectlJson(['get', 'pods', '-A']).items.filter((p: any) => p.metadata.namespace === ns);
    expect(pods).toEqual([]);
  }, 120_000);
});
