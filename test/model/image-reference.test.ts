import { describe, expect, it } from 'vitest';
import { apiPathOf, formatReference, parseReference, parseRegistryTarget, registryOf, reroot, sanitizeRepositoryPath } from '../../src/model/image-reference.js';

describe('image references', () => {
  it.each([
    ['web', { path: 'web' }],
    ['org/web:1.2', { path: 'org/web', tag: '1.2' }],
    ['localhost/web', { domain: 'localhost', path: 'web' }],
    ['127.0.0.1:5000/ns/web:c2k-abc', { domain: '127.0.0.1:5000', path: 'ns/web', tag: 'c2k-abc' }],
    ['ghcr.io/o/w@sha256:' + 'a'.repeat(64), { domain: 'ghcr.io', path: 'o/w', digest: 'sha256:' + 'a'.repeat(64) }],
    ['reg:5000/w:t@sha256:' + 'b'.repeat(64), { domain: 'reg:5000', path: 'w', tag: 't', digest: 'sha256:' + 'b'.repeat(64) }],
  ])('parses %s', (ref, want) => {
    expect(parseReference(ref)).toEqual({ domain: undefined, tag: undefined, digest: undefined, ...want });
    expect(formatReference(parseReference(ref)!)).toBe(ref);
  });

  it.each(['Web', 'web:', 'web:-x', 'a//b', '', 'web@sha256:zz', 'UPPER.io/x/Y'])('rejects %j', (ref) => {
    expect(parseReference(ref)).toBeUndefined();
  });

  it('knows the registry and API path', () => {
    expect(registryOf(parseReference('web')!)).toBe('docker.io');
    expect(apiPathOf(parseReference('web')!)).toBe('library/web');
    expect(apiPathOf(parseReference('org/web')!)).toBe('org/web');
    expect(registryOf(parseReference('index.docker.io/org/web')!)).toBe('docker.io');
    expect(apiPathOf(parseReference('127.0.0.1:5000/web')!)).toBe('web');
  });

  it('re-roots under a registry and namespace, dropping the old registry', () => {
    const t = parseRegistryTarget('127.0.0.1:5000/team/app')!;
    expect(t).toEqual({ host: '127.0.0.1:5000', namespace: 'team/app' });
    expect(formatReference(reroot(parseReference('ghcr.io/org/web:1')!, t))).toBe('127.0.0.1:5000/team/app/org/web:1');
    expect(formatReference(reroot(parseReference('proj-web')!, parseRegistryTarget('reg.example.com')!))).toBe('reg.example.com/proj-web');
    expect(parseRegistryTarget('https://Reg.Example.com:443/')).toEqual({ host: 'reg.example.com:443', namespace: undefined });
    expect(parseRegistryTarget('bad host')).toBeUndefined();
    expect(parseRegistryTarget('reg/UPPER')).toBeUndefined();
  });

  it('sanitizes default image names into repository paths', () => {
    expect(sanitizeRepositoryPath('proj-My_Service')).toBe('proj-my_service');
    expect(sanitizeRepositoryPath('proj-web..x')).toBe('proj-web-x');
    expect(parseReference(sanitizeRepositoryPath('Proj-ÄÖ'))).toBeDefined();
  });
});
