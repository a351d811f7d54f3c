// The segment tree behind the per-path rule tables of merge, uniqueness and interpolation casts.
import { describe, expect, it } from 'vitest';
import { RuleNode } from '../../src/compose/path-rules.js';

const table = (patterns: string[]) => RuleNode.of(patterns.map((p, i) => [p.split('.'), i] as const));

describe('RuleNode', () => {
  it('finds the first pattern of the table that matches a path, `*` standing for any key', () => {
    const rules = table(['services.*.ports', 'services.web.ports', 'services.*.build.args', 'networks.*.labels']);
    expect(rules.ruleAt(['services', 'web', 'ports'])).toBe(0);
    expect(rules.ruleAt(['services', 'db', 'build', 'args'])).toBe(2);
    expect(rules.ruleAt(['networks', 'front', 'labels'])).toBe(3);
    expect(rules.ruleAt(['services', 'db'])).toBeUndefined();
    expect(rules.ruleAt(['volumes', 'v', 'labels'])).toBeUndefined();
  });

  it('keeps the wildcard patterns below a key written out at the same depth', () => {
    const rules = table(['a.b.c', 'a.*.d']);
    expect(rules.ruleAt(['a', 'b', 'c'])).toBe(0);
    expect(rules.ruleAt(['a', 'b', 'd'])).toBe(1);
    expect(rules.ruleAt(['a', 'x', 'd'])).toBe(1);
    expect(rules.ruleAt(['a', 'x', 'c'])).toBeUndefined();
  });

  it('tells a walk where nothing can match any more', () => {
    const rules = table(['services.*.ports']);
    const service = rules.child('services')!.child('web')!;
    expect(service.isLeaf).toBe(false);
    expect(service.child('environment')).toBeUndefined();
    expect(service.child('ports')!.isLeaf).toBe(true);
    expect(rules.child('volumes')).toBeUndefined();
  });

  it('lets `*` skip the keys it must not stand for', () => {
    const rules = RuleNode.of([[['s', '*', 'x'], 'map'] as const, [['s', '[]', 'x'], 'list'] as const], (key) => key !== '[]');
    expect(rules.ruleAt(['s', 'k', 'x'])).toBe('map');
    expect(rules.ruleAt(['s', '[]', 'x'])).toBe('list');
    const onlyWild = RuleNode.of([[['s', '*'], 'map'] as const], (key) => key !== '[]');
    expect(onlyWild.ruleAt(['s', '[]'])).toBeUndefined();
  });
});
