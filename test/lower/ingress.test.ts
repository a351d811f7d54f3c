import { describe, expect, test } from 'vitest';
import type { Port } from '../../src/model/project.js';
import { entry, find, lower, project } from './helpers.js';

const port = (target: number, extra: Partial<Port> = {}): Port => ({ target, protocol: 'tcp', mode: 'ingress', ...extra });
const kinds = (objects: { kind: string; metadata: { name: string } }[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('external exposure', () => {
  test('default none: only the in-cluster Service; the report says the published port is not exposed', () => {
    const r = lower(project({ web: { image: 'x', ports: [port(80, { published: '8080' })] } }));
    expect(kinds(r.objects)).toEqual(['Service/web', 'Deployment/web']);
    const approx = entry(r.report, 'services.web.ports').find((e) => e.status === 'approximated')!;
    expect(approx.reason).toBe('published port 8080 not exposed outside the cluster; use --expose or x-kubernetes.expose');
  });

  test('nodeport option: a SEPARATE <svc>-external NodePort Service on the published port, targetPort = container port', () => {
    const r = lower(project({ web: { image: 'x', ports: [port(80, { published: '8080' }), port(9000)] } }), { expose: 'nodeport' });
    const ext = find(r.objects, 'Service', 'web-external');
    expect(ext.spec).toMatchObject({ type: 'NodePort', ports: [{ name: 'tcp-80', port: 8080, targetPort: 80, protocol: 'TCP' }] });
    expect(find(r.objects, 'Service', 'web').spec.ports.map((p: any) => p.port)).toEqual([80, 9000]);
  });

  test('loadbalancer via kompose.service.type, externalTrafficPolicy honoured; a fixed nodePort with NodePort', () => {
    const r = lower(project({
      api: { image: 'x', ports: [port(3000, { published: '3000' }), port(53, { protocol: 'udp', published: '5353' })], labels: { 'kompose.service.type': 'LoadBalancer', 'kompose.service.external-traffic-policy': 'local' } },
      adm: { image: 'x', ports: [port(9000, { published: '9000' })], 'x-kubernetes': { expose: 'nodeport', nodePort: 30900, externalTrafficPolicy: 'Local' } },
    }));
    const lb = find(r.objects, 'Service', 'api-external');
    expect(lb.spec.type).toBe('LoadBalancer');
    expect(lb.spec.externalTrafficPolicy).toBe('Local');
    expect(lb.spec.ports.map((p: any) => `${p.port}->${p.targetPort}/${p.protocol}`)).toEqual(['3000->3000/TCP', '5353->53/UDP']);
    const np = find(r.objects, 'Service', 'adm-external');
    expect(np.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: [{ nodePort: 30900, port: 9000 }] });
  });

  test('a fixed nodePort with several published ports is an error naming the ports', () => {
    const r = lower(project({ a: { image: 'x', ports: [port(80, { published: '80' }), port(81, { published: '81' })], 'x-kubernetes': { serviceType: 'NodePort', nodePort: 30080 } } }));
    expect(r.diagnostics.errors.map((e) => e.code)).toEqual(['expose.nodeport-ports']);
    expect(r.diagnostics.errors[0]!.message).toContain('80, 81');
  });

  test('ingress: backend = internal Service on the first HTTP-like published port (named in the report); host, tls, class, annotations', () => {
    const r = lower(project({
      web: {
        image: 'x',
        ports: [port(5432, { published: '5432' }), port(8080, { published: '80' })],
        'x-kubernetes': { ingress: { hosts: ['a.example.com', 'b.example.com'], path: '/app', tls: 'shop-tls', className: 'nginx', annotations: { 'cert-manager.io/cluster-issuer': 'le' } } },
      },
    }));
    const ing = find(r.objects, 'Ingress', 'web');
    expect(ing.apiVersion).toBe('networking.k8s.io/v1');
    expect(ing.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'le' });
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules).toHaveLength(2);
    expect(ing.spec.rules[0]).toEqual({
      host: 'a.example.com',
      http: { paths: [{ path: '/app', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } }] },
    });
    expect(ing.spec.tls).toEqual([{ hosts: ['a.example.com', 'b.example.com'], secretName: 'shop-tls' }]);
    const mapped = entry(r.report, 'services.web.ports').find((e) => e.to?.startsWith('Ingress/'))!;
    expect(mapped.to).toContain('port 8080 (published port 80)');
    expect(entry(r.report, 'services.web.ports').some((e) => e.reason?.includes('5432') && e.reason.includes('Ingress routes HTTP to port 8080'))).toBe(true);
    expect(r.objects.some((o) => o.metadata.name === 'web-external')).toBe(false);
  });

  test('kompose.service.expose labels: host/path list, tls-secret, ingress-class-name, expose.path', () => {
    const r = lower(project({
      web: {
        image: 'x',
        ports: [port(80, { published: '8080' })],
        labels: { 'kompose.service.expose': 'a.example.com,b.example.com/api', 'kompose.service.expose.tls-secret': 'tls', 'kompose.service.expose.ingress-class-name': 'traefik' },
      },
    }));
    const ing = find(r.objects, 'Ingress', 'web');
    expect(ing.spec.rules.map((x: any) => `${x.host}${x.http.paths[0].path}`)).toEqual(['a.example.com/', 'b.example.com/api']);
    expect(ing.spec.ingressClassName).toBe('traefik');
    expect(ing.spec.tls[0].secretName).toBe('tls');
  });

  test('expose ingress with no HTTP-like port falls back to the first TCP port with a warning', () => {
    const r = lower(project({ db: { image: 'x', ports: [port(5432, { published: '5432' })] } }), { expose: 'ingress' });
    expect(find(r.objects, 'Ingress', 'db').spec.rules[0].http.paths[0].backend.service.port.number).toBe(5432);
    expect(r.codes).toContain('expose.ingress-not-http');
  });

  test('two services routing the same host and path are warned about', () => {
    const r = lower(project({ a: { image: 'x', ports: [port(80, { published: '80' })] }, b: { image: 'x', ports: [port(80, { published: '81' })] } }), { expose: 'ingress' });
    expect(r.codes).toContain('expose.ingress-conflict');
  });

  test('ports published on loopback stay in the cluster whatever the mode', () => {
    const r = lower(project({ a: { image: 'x', ports: [port(80, { published: '8080', host_ip: '127.0.0.1' })] } }), { expose: 'loadbalancer' });
    expect(r.objects.some((o) => o.metadata.name === 'a-external')).toBe(false);
    expect(entry(r.report, 'services.a.ports').some((e) => e.reason?.includes('127.0.0.1'))).toBe(true);
  });

  test('service-level settings beat the expose option (x-kubernetes.serviceType ClusterIP keeps it internal)', () => {
    const r = lower(project({ a: { image: 'x', ports: [port(80, { published: '80' })], 'x-kubernetes': { serviceType: 'ClusterIP' } } }), { expose: 'nodeport' });
    expect(r.objects.some((o) => o.metadata.name === 'a-external')).toBe(false);
  });
});
