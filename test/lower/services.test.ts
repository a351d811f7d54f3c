import { describe, expect, test } from 'vitest';
import { containerPorts, httpLike, parseExpose, servicePorts, toAppProtocol, toPortName } from '../../src/lower/ports.js';
import { entry, find, lower, mainContainer, podSpec, project } from './helpers.js';
import type { Port } from '../../src/model/project.js';

const port = (target: number, extra: Partial<Port> = {}): Port => ({ target, protocol: 'tcp', mode: 'ingress', ...extra });

describe('ports helpers', () => {
  test('expose entries: single, protocol, ranges; malformed ones are reported', () => {
    expect(parseExpose('3000')).toEqual({ from: 3000, to: 3000, protocol: 'TCP' });
    expect(parseExpose('4000-4001/udp')).toEqual({ from: 4000, to: 4001, protocol: 'UDP' });
    expect(parseExpose('x')).toBeUndefined();
    const { ports, invalid } = servicePorts({ expose: ['53/udp', '7000-7002', 'bad'] }, 'services.a');
    expect(ports.map((p) => `${p.target}/${p.protocol}`)).toEqual(['53/UDP', '7000/TCP', '7001/TCP', '7002/TCP']);
    expect(invalid).toEqual(['bad']);
  });

  test('port names are IANA service names: <= 15 chars, a letter, unique; long-syntax name and app_protocol first', () => {
    expect(toPortName('My_Very_Long_Port_Name')).toBe('my-very-long-po');
    expect(toPortName('8080')).toBeUndefined();
    const { ports } = servicePorts({ ports: [port(80, { name: 'web' }), port(443, { app_protocol: 'https' }), port(53, { protocol: 'udp' }), port(53), port(81, { name: 'web' })] }, 's');
    const names = containerPorts(ports).map((p) => p.name);
    expect(names).toEqual(['web', 'https-443', 'udp-53', 'tcp-53', 'tcp-81']);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(15);
  });

  test('appProtocol: IANA names as is, h2c/ws/wss with the kubernetes.io prefix', () => {
    expect(toAppProtocol('HTTP')).toBe('http');
    expect(toAppProtocol('h2c')).toBe('kubernetes.io/h2c');
    expect(toAppProtocol('wss')).toBe('kubernetes.io/wss');
    expect(toAppProtocol('not valid!')).toBeUndefined();
  });

  test('HTTP-like: http app_protocol, then well-known HTTP ports, then HTTPS; never UDP', () => {
    const sp = (...p: Port[]) => servicePorts({ ports: p }, 's').ports;
    expect(httpLike(sp(port(5432), port(8080), port(80)))!.target).toBe(80);
    expect(httpLike(sp(port(9999, { app_protocol: 'http' }), port(80)))!.target).toBe(9999);
    expect(httpLike(sp(port(443), port(5432)))!.target).toBe(443);
    expect(httpLike(sp(port(80, { protocol: 'udp' }), port(5432)))).toBeUndefined();
  });
});

describe('services pass', () => {
  test('B9: the Service port is the CONTAINER port, whatever is published; TCP and UDP in one Service', () => {
    const r = lower(project({ web: { image: 'x', ports: [port(80, { published: '8080' }), port(53, { protocol: 'udp', published: '53' })] } }));
    const svc = find(r.objects, 'Service', 'web');
    expect(svc.spec.clusterIP).toBeUndefined();
    expect(svc.spec.ports).toEqual([
      { name: 'tcp-80', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'udp-53', port: 53, targetPort: 53, protocol: 'UDP' },
    ]);
    expect(svc.spec.selector).toEqual(find(r.objects, 'Deployment', 'web').spec.selector.matchLabels);
    expect(mainContainer(find(r.objects, 'Deployment', 'web')).ports).toEqual([
      { name: 'tcp-80', containerPort: 80, protocol: 'TCP' },
      { name: 'udp-53', containerPort: 53, protocol: 'UDP' },
    ]);
    expect(entry(r.report, 'services.web.ports').map((e) => e.status)).toEqual(['approximated', 'mapped']);
  });

  test('one Service port per container port even when published twice; expose adds ports', () => {
    const r = lower(project({ web: { image: 'x', ports: [port(80, { published: '8080' }), port(80, { published: '8081' })], expose: ['9000'] } }));
    expect(find(r.objects, 'Service', 'web').spec.ports.map((p: any) => p.port)).toEqual([80, 9000]);
    expect(entry(r.report, 'services.web.expose')[0]!.status).toBe('mapped');
  });

  test('no ports: a headless Service without ports for long-running services and referenced Jobs; not for unreferenced Jobs', () => {
    const r = lower(project({
      worker: { image: 'x' },
      seed: { image: 'x', restart: 'no' },
      once: { image: 'x', restart: 'no' },
      app: { image: 'x', depends_on: { seed: { condition: 'service_completed_successfully', required: true } } },
    }));
    expect(find(r.objects, 'Service', 'worker').spec).toEqual({ clusterIP: 'None', selector: expect.any(Object) });
    expect(find(r.objects, 'Service', 'seed').spec.clusterIP).toBe('None');
    expect(r.objects.some((o) => o.kind === 'Service' && o.metadata.name === 'once')).toBe(false);
  });

  test('deploy.endpoint_mode dnsrr -> headless with ports; serviceType Headless likewise', () => {
    const r = lower(project({
      a: { image: 'x', expose: ['80'], deploy: { endpoint_mode: 'dnsrr' } },
      b: { image: 'x', expose: ['80'], labels: { 'kompose.service.type': 'headless' } },
    }));
    for (const n of ['a', 'b']) {
      const svc = find(r.objects, 'Service', n);
      expect(svc.spec.clusterIP).toBe('None');
      expect(svc.spec.ports).toHaveLength(1);
    }
    expect(entry(r.report, 'services.a.deploy.endpoint_mode')[0]!.status).toBe('mapped');
  });

  test('a StatefulSet gets its governing headless Service as well as its ClusterIP Service', () => {
    const r = lower(project({ db: { image: 'pg', expose: ['5432'], 'x-kubernetes': { controller: 'statefulset' } } }));
    expect(find(r.objects, 'StatefulSet', 'db').spec.serviceName).toBe('db-headless');
    const headless = find(r.objects, 'Service', 'db-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports[0].port).toBe(5432);
    expect(find(r.objects, 'Service', 'db').spec.clusterIP).toBeUndefined();
  });

  test('link and network aliases become Services with the same selector and ports; invalid or taken names are warned about', () => {
    const r = lower(project({
      db: { image: 'pg', expose: ['5432'], networks: { back: { aliases: ['database', 'Bad_Alias', 'web'] } } },
      web: { image: 'x', links: ['db:pg', 'db'], depends_on: { db: { condition: 'service_started', required: true } } },
    }, { networks: { back: {} } }));
    for (const alias of ['database', 'pg']) {
      const svc = find(r.objects, 'Service', alias);
      expect(svc.spec.selector).toEqual(find(r.objects, 'Service', 'db').spec.selector);
      expect(svc.spec.ports).toEqual(find(r.objects, 'Service', 'db').spec.ports);
      expect(svc.metadata.labels['compose2k8s.io/alias-of']).toBe('db');
    }
    expect(r.codes).toContain('services.alias-invalid');
    expect(r.codes).toContain('services.alias-conflict');
    expect(entry(r.report, 'services.web.links[0]')[0]!.status).toBe('approximated');
    expect(entry(r.report, 'services.web.links[1]')[0]!.status).toBe('mapped');
  });

  test('kompose.controller.port.expose -> hostPort and hostIP', () => {
    const r = lower(project({ a: { image: 'x', ports: [port(80, { published: '8080', host_ip: '0.0.0.0' }), port(81)], labels: { 'kompose.controller.port.expose': 'true' } } }));
    expect(mainContainer(find(r.objects, 'Deployment', 'a')).ports).toEqual([
      { name: 'tcp-80', containerPort: 80, protocol: 'TCP', hostPort: 8080, hostIP: '0.0.0.0' },
      { name: 'tcp-81', containerPort: 81, protocol: 'TCP' },
    ]);
  });

  test('network_mode host -> hostNetwork with cluster DNS; service:X approximated with a warning; none ignored', () => {
    const r = lower(project({ a: { image: 'x', network_mode: 'host' }, b: { image: 'x', network_mode: 'service:a' }, c: { image: 'x', network_mode: 'none' } }));
    expect(podSpec(find(r.objects, 'Deployment', 'a'))).toMatchObject({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
    expect(r.codes).toContain('network.shared-namespace');
    expect(entry(r.report, 'services.b.network_mode')[0]!.status).toBe('approximated');
    expect(entry(r.report, 'services.c.network_mode')[0]!.status).toBe('ignored');
  });

  test('external_links are reported as ignored with a reason', () => {
    const r = lower(project({ a: { image: 'x', external_links: ['redis:cache'] } }));
    expect(entry(r.report, 'services.a.external_links')[0]).toMatchObject({ status: 'ignored', reason: expect.stringContaining('ExternalName') });
  });

  test('B3: every second-half key is accounted for, also when empty; nothing is "not implemented"', () => {
    const p = project(
      {
        empty: { image: 'x', ports: [], expose: [], volumes: [], volumes_from: [], secrets: [], configs: [], links: [], external_links: [], networks: {} },
        full: {
          image: 'x',
          ports: [port(80, { published: '80' })],
          expose: ['81'],
          volumes: [{ type: 'volume', source: 'v', target: '/v' }],
          volumes_from: ['empty'],
          secrets: [{ source: 's' }],
          configs: [{ source: 'c' }],
          links: ['empty:e'],
          external_links: ['x'],
          networks: { n: { aliases: ['alias'] } },
          network_mode: 'bridge',
          deploy: { endpoint_mode: 'vip' },
        },
      },
      { volumes: { v: {} }, secrets: { s: { file: '/s' } }, configs: { c: { content: 'c' } }, networks: { n: {} } },
    );
    const r = lower(p);
    const notImplemented = r.report.filter((e) => e.reason === 'no Kubernetes mapping is implemented for this key');
    expect(notImplemented).toEqual([]);
    const ignored = r.report.filter((e) => e.status === 'ignored').map((e) => e.path);
    expect(ignored).toEqual(['services.full.external_links']);
  });

  test('B23: domainname gets the headless Service its subdomain needs, selecting the pods that use it', () => {
    const r = lower(project({ a: { image: 'x', hostname: 'node1', domainname: 'cluster.example.com' }, b: { image: 'x', domainname: 'cluster.example.com' } }));
    const svc = find(r.objects, 'Service', 'cluster');
    expect(svc.spec).toEqual({ clusterIP: 'None', selector: { 'app.kubernetes.io/instance': 'demo', 'compose2k8s.io/subdomain': 'cluster' } });
    for (const n of ['a', 'b']) expect(find(r.objects, 'Deployment', n).spec.template.metadata.labels['compose2k8s.io/subdomain']).toBe('cluster');
    expect(entry(r.report, 'services.a.domainname').map((e) => e.status)).toContain('mapped');
  });
});
