import { describe, expect, test } from 'vitest';
import { applyJsonPatch, PatchError } from '../../src/lower/patches.js';
import { find, lower, podSpec, project } from './helpers.js';

describe('RFC 6902 patches', () => {
  const doc = { a: { b: [1, 2] }, 'x/y': 1 };
  test('operations', () => {
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/a/b/-', value: 3 }]).a.b).toEqual([1, 2, 3]);
    expect(applyJsonPatch(doc, [{ op: 'add', path: '/a/b/0', value: 0 }]).a.b).toEqual([0, 1, 2]);
    expect(applyJsonPatch(doc, [{ op: 'remove', path: '/x~1y' }])).toEqual({ a: { b: [1, 2] } });
    expect(applyJsonPatch(doc, [{ op: 'replace', path: '/a/b/1', value: 9 }]).a.b).toEqual([1, 9]);
    expect(applyJsonPatch(doc, [{ op: 'move', from: '/a/b', path: '/c' }])).toEqual({ a: {}, 'x/y': 1, c: [1, 2] });
    expect((applyJsonPatch(doc, [{ op: 'copy', from: '/a', path: '/d' }]) as any).d).toEqual({ b: [1, 2] });
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/a/b/0', value: 2 }])).toThrow(PatchError);
    expect(() => applyJsonPatch(doc, [{ op: 'remove', path: '/nope' }])).toThrow(PatchError);
    expect(doc).toEqual({ a: { b: [1, 2] }, 'x/y': 1 });
  });
  test('service patches target the service objects by kind; project patches by kind and name', () => {
    const r = lower(
      project(
        {
          web: { image: 'x', 'x-kubernetes': { patches: [{ target: { kind: 'Deployment' }, patch: [{ op: 'add', path: '/spec/template/spec/priorityClassName', value: 'high' }] }] } },
          other: { image: 'y' },
        },
        { 'x-kubernetes': { patches: [{ target: { kind: 'Deployment', name: 'other' }, patch: [{ op: 'add', path: '/spec/paused', value: true }] }] } },
      ),
    );
    expect(podSpec(find(r.objects, 'Deployment', 'web')).priorityClassName).toBe('high');
    expect(podSpec(find(r.objects, 'Deployment', 'other')).priorityClassName).toBeUndefined();
    expect(find(r.objects, 'Deployment', 'other').spec.paused).toBe(true);
  });
  test('a failing patch is an error at its path; a patch that matches nothing warns', () => {
    const r = lower(
      project({
        web: {
          image: 'x',
          'x-kubernetes': {
            patches: [
              { target: { kind: 'Deployment' }, patch: [{ op: 'remove', path: '/spec/nothing' }] },
              { target: { kind: 'Ingress' }, patch: [] },
            ],
          },
        },
      }),
    );
    expect(r.diagnostics.errors.map((e) => [e.code, e.path])).toEqual([['patch.failed', 'services.web.x-kubernetes.patches[0]']]);
    expect(r.codes).toContain('patch.no-target');
  });
});
