import { describe, expect, test } from 'vitest';
import { entry, find, lower, mainContainer, podSpec, project } from './helpers.js';

const one = (service: object, options = {}) => {
  const r = lower(project({ app: { image: 'img', ...service } }), options);
  const w = r.objects.find((o) => o.metadata.name === 'app' && ['Deployment', 'Job', 'StatefulSet', 'DaemonSet', 'CronJob'].includes(o.kind))!;
  return { r, w, c: mainContainer(w), pod: podSpec(w) };
};

describe('containers', () => {
  test('entrypoint -> command, command -> args', () => {
    const { c } = one({ entrypoint: ['/entry.sh'], command: ['serve', '--port', '80'] });
    expect(c.command).toEqual(['/entry.sh']);
    expect(c.args).toEqual(['serve', '--port', '80']);
  });
  test('B1: $VAR, ${VAR} and $$ survive; a literal $( is escaped as $$( in command and entrypoint alike', () => {
    const { c } = one({ entrypoint: ['sh', '-c', 'echo $(id -u)'], command: ['echo $MY_VAR ${OTHER} $(date)'] });
    expect(c.command).toEqual(['sh', '-c', 'echo $$(id -u)']);
    expect(c.args).toEqual(['echo $MY_VAR ${OTHER} $$(date)']);
  });
  test('a service without image uses the Compose build image name', () => {
    const r = lower(project({ api: { build: { context: '.' } } }), { builtImages: 'pushed' });
    expect(mainContainer(find(r.objects, 'Deployment', 'api')).image).toBe('demo-api');
    expect(entry(r.report, 'services.api.build')[0]).toMatchObject({ status: 'mapped', to: 'build stage (image built and pushed; the manifests pin its digest)' });
    expect(r.diagnostics.items).toEqual([]);
  });
  test('user uid:gid -> securityContext; a user name is warned about and left out', () => {
    expect(one({ user: '1000:2000' }).c.securityContext).toEqual({ runAsUser: 1000, runAsGroup: 2000 });
    const named = one({ user: 'www-data' });
    expect(named.c.securityContext).toBeUndefined();
    expect(named.r.codes).toContain('container.user-name');
  });
  test('capabilities, privileged, read_only, security_opt', () => {
    const { c } = one({ cap_add: ['NET_ADMIN', 'CAP_SYS_TIME'], cap_drop: ['ALL'], privileged: true, read_only: true, security_opt: ['no-new-privileges:true'] });
    expect(c.securityContext).toEqual({
      capabilities: { add: ['NET_ADMIN', 'SYS_TIME'], drop: ['ALL'] },
      privileged: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
  });
  test('sysctls -> pod securityContext.sysctls; unsafe ones warned about', () => {
    const { pod, r } = one({ sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '1' } });
    expect(pod.securityContext.sysctls).toEqual([
      { name: 'net.core.somaxconn', value: '1024' },
      { name: 'net.ipv4.tcp_syncookies', value: '1' },
    ]);
    expect(r.codes).toContain('container.unsafe-sysctl');
  });
  test('stdin_open, tty, working_dir, stop_grace_period', () => {
    const { c, pod } = one({ stdin_open: true, tty: true, working_dir: '/app', stop_grace_period: '1m30s' });
    expect([c.stdin, c.tty, c.workingDir]).toEqual([true, true, '/app']);
    expect(pod.terminationGracePeriodSeconds).toBe(90);
  });
  test('post_start/pre_stop -> lifecycle; several hooks chain through sh', () => {
    const { c } = one({
      post_start: [{ command: ['touch', '/ready'] }],
      pre_stop: [{ command: ['nginx', '-s', 'quit'] }, { command: ['sleep', '5'], environment: { A: 'b c' } }],
    });
    expect(c.lifecycle.postStart).toEqual({ exec: { command: ['touch', '/ready'] } });
    expect(c.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '-c', "(nginx -s quit) && (env 'A=b c' sleep 5)"]);
  });
  test('pre_start -> init containers using the service image by default', () => {
    const { pod } = one({ pre_start: [{ command: ['migrate'] }, { command: ['seed'], image: 'tools' }] });
    expect(pod.initContainers.map((i: any) => [i.name, i.image, i.command])).toEqual([
      ['pre-start-1', 'img', ['migrate']],
      ['pre-start-2', 'tools', ['seed']],
    ]);
  });
  test('extra_hosts -> hostAliases grouped by IP; dns keeps the cluster DNS first', () => {
    const { pod } = one({ extra_hosts: { b: ['10.0.0.1'], a: ['10.0.0.1'], c: ['::1'] }, dns: ['8.8.8.8'], dns_search: ['example.com'], dns_opt: ['ndots:2', 'rotate'] });
    expect(pod.hostAliases).toEqual([
      { ip: '10.0.0.1', hostnames: ['a', 'b'] },
      { ip: '::1', hostnames: ['c'] },
    ]);
    expect(pod.dnsPolicy).toBeUndefined();
    expect(pod.dnsConfig).toEqual({ nameservers: ['8.8.8.8'], searches: ['example.com'], options: [{ name: 'ndots', value: '2' }, { name: 'rotate' }] });
  });
  test('hostname and domainname', () => {
    const { pod, r } = one({ hostname: 'box', domainname: 'corp.example' });
    expect([pod.hostname, pod.subdomain]).toEqual(['box', 'corp']);
    expect(entry(r.report, 'services.app.domainname')[0]!.status).toBe('approximated');
  });
  test('shm_size -> memory emptyDir at /dev/shm; tmpfs -> memory emptyDir with sizeLimit', () => {
    const { c, pod } = one({ shm_size: 268435456, tmpfs: ['/run:size=64m,mode=1777', '/tmp'] });
    expect(pod.volumes).toEqual([
      { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '256Mi' } },
      { name: 'tmpfs-1', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'tmpfs-2', emptyDir: { medium: 'Memory' } },
    ]);
    expect(c.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/dev/shm', '/run', '/tmp']);
  });
  test('pull_policy -> imagePullPolicy; kompose.image-pull-policy wins and is case-insensitive', () => {
    expect(one({ pull_policy: 'missing' }).c.imagePullPolicy).toBe('IfNotPresent');
    expect(one({ pull_policy: 'daily' }).c.imagePullPolicy).toBe('Always');
    expect(one({ pull_policy: 'never', labels: { 'kompose.image-pull-policy': 'always' } }).c.imagePullPolicy).toBe('Always');
  });
  test('platform -> nodeSelector os/arch', () => {
    expect(one({ platform: 'linux/arm64/v8' }).pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' });
  });
  test('gpus and GPU device reservations -> nvidia.com/gpu limits', () => {
    expect(one({ gpus: [{ count: 2 }] }).c.resources.limits).toEqual({ 'nvidia.com/gpu': '2' });
    const res = one({ deploy: { resources: { reservations: { devices: [{ capabilities: ['gpu'], driver: 'nvidia', count: 1 }] } } } });
    expect(res.c.resources.limits).toEqual({ 'nvidia.com/gpu': '1' });
    const all = one({ gpus: [{ count: -1 }] });
    expect(all.c.resources.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(all.r.codes).toContain('container.gpu');
  });
  test('pid/ipc host', () => {
    const { pod } = one({ pid: 'host', ipc: 'host' });
    expect([pod.hostPID, pod.hostIPC]).toEqual([true, true]);
  });
  test('B3: keys without an equivalent are reported with a reason, never silently dropped', () => {
    const { r } = one({ ulimits: { nofile: { soft: 1, hard: 2 } }, init: true, container_name: 'x', logging: { driver: 'json-file' } });
    expect(entry(r.report, 'services.app.ulimits')[0]).toMatchObject({ status: 'ignored' });
    expect(entry(r.report, 'services.app.init')[0]!.reason).toContain('tini');
    expect(entry(r.report, 'services.app.container_name')[0]!.status).toBe('approximated');
    expect(r.diagnostics.warnings.filter((w) => w.code === 'lower.ignored').map((w) => w.path)).toEqual([
      'services.app.init',
      'services.app.logging',
      'services.app.ulimits',
    ]);
  });
});

describe('images that exist only where they are built (image.local-only)', () => {
  const services = {
    backend: { build: { context: '.' } },
    hub: { build: { context: '.' }, image: 'myorg/front:1' },
    qualified: { build: { context: '.' }, image: 'registry.example.com/org/api:1' },
    db: { image: 'mysql:8' },
  };
  const run = (options = {}) => lower(project(services), options);
  const byPath = (r: ReturnType<typeof run>) => Object.fromEntries(r.diagnostics.items.map((d) => [d.path, d]));

  test('without a build stage: one warning per service whose image no cluster can pull, with the remedy', () => {
    const r = run();
    const d = byPath(r);
    expect(r.diagnostics.items.map((x) => [x.severity, x.code, x.path])).toEqual([
      ['warning', 'image.local-only', 'services.backend.build'],
      ['warning', 'image.local-only', 'services.hub.build'],
      ['info', 'image.not-built', 'services.qualified.build'],
    ]);
    expect(d['services.backend.build']!.message).toBe(
      'backend: the image demo-backend exists only where build: makes it; no cluster can pull it (its pods would stay in ImagePullBackOff): build and push it with `convert --build --push --registry REGISTRY` (the manifests then pin its digest), or deploy with `compose2k8s up --registry REGISTRY`',
    );
    expect(d['services.hub.build']!.message).toMatch(/^hub: the image myorg\/front:1 is made by build: and not pushed by this command; a cluster pulls it from Docker Hub \(docker\.io\/myorg\/front\)/);
    // A registry-qualified image may be pushed by the user: only a note.
    expect(d['services.qualified.build']!.message).toMatch(/^qualified: registry\.example\.com\/org\/api:1 is neither built nor pushed by this command; the cluster pulls it from registry\.example\.com/);
    // The report says so too, without a second (lower.ignored) warning.
    expect(entry(r.report, 'services.backend.build')).toEqual([expect.objectContaining({ status: 'ignored', reason: expect.stringMatching(/^not built: the image demo-backend exists only where it is built; build and push it/) })]);
    expect(entry(r.report, 'services.qualified.build')[0]).toMatchObject({ status: 'approximated', to: 'Deployment/qualified image registry.example.com/org/api:1' });
    expect(mainContainer(find(r.objects, 'Deployment', 'backend')).image).toBe('demo-backend');
  });

  test('--strict makes them errors; the qualified one stays a note', () => {
    const r = run({ strict: true });
    expect(r.diagnostics.errors.map((x) => [x.code, x.path])).toEqual([
      ['image.local-only', 'services.backend.build'],
      ['image.local-only', 'services.hub.build'],
    ]);
    expect(r.diagnostics.errors[0]!.message).toMatch(/ \(--strict\)$/);
    expect(r.diagnostics.warnings).toEqual([]);
  });

  test('built into the local engine only: every service with build: is warned about, qualified or not', () => {
    const r = run({ builtImages: 'local' });
    expect(r.diagnostics.items.map((x) => [x.severity, x.code, x.path])).toEqual([
      ['warning', 'image.local-only', 'services.backend.build'],
      ['warning', 'image.local-only', 'services.hub.build'],
      ['warning', 'image.local-only', 'services.qualified.build'],
    ]);
    expect(r.diagnostics.items[0]!.message).toMatch(/^backend: its image is built into the local Docker engine only.*add --push --registry REGISTRY/);
    expect(entry(r.report, 'services.backend.build')[0]).toMatchObject({ status: 'approximated' });
  });

  test('built and pushed: nothing to say', () => {
    const r = run({ builtImages: 'pushed', strict: true });
    expect(r.diagnostics.items).toEqual([]);
    expect(entry(r.report, 'services.hub.build')[0]).toMatchObject({ status: 'mapped' });
  });
});
