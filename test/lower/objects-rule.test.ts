// The lowering's rule for building objects (src/lower/objects.ts, merged()): no object literal that starts with a
// spread and goes on. Checked on the syntax tree of every module of src/lower, so a new pass keeps it too.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const dir = resolve(__dirname, '../../src/lower');

/** `file:line` of each object literal whose first entry is a spread and that has more entries. */
function spreadFirstLiterals(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && node.properties.length > 1 && ts.isSpreadAssignment(node.properties[0]!)) {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('merged() instead of spread-first object literals in src/lower', () => {
  it('src/lower keeps the rule', () => {
    // objects.ts is merged() itself, whose `__proto__` case must spread.
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'objects.ts');
    expect(files.length).toBeGreaterThan(20);
    const found = files.flatMap((f) => spreadFirstLiterals(f, readFileSync(join(dir, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('finds such literals, and only those', () => {
    const text = [
      'const a = { ...b, c: 1 };',
      'const d = { ...(x ? { y } : {}), z };',
      'const e = { ...b };',
      'const f = { c, ...b };',
      'const { g, ...rest } = b;',
      'const h = merged(b, { c: 1 });',
    ].join('\n');
    expect(spreadFirstLiterals('probe.ts', text)).toEqual(['probe.ts:1', 'probe.ts:2']);
  });
});
