import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { KUBE_YAML_OPTIONS, stringifyKube } from '../../src/emit/yaml-writer.js';

const library = (v: unknown) => stringify(v, KUBE_YAML_OPTIONS);

const tricky = [
  '', ' ', 'a', '-', '?', ':', '- a', '? a', 'a: b', 'a:b', 'a :b', 'a #b', 'a#b', '#a', 'a ', ' a', 'a:', '&a', '*a', '!a', '|a', '>a',
  "'a", '"a', '%a', '@a', '`a', ',a', '[a', ']a', '{a', '}a', 'a,b', 'a[b]', 'a{b}', 'yes', 'Yes', 'YES', 'no', 'No', 'on', 'Off', 'y', 'n', 'Y',
  'N', 'true', 'False', 'null', 'Null', '~', '0', '00', '0755', '0o755', '08', '0x1F', '0b101', '1_000', '1.5', '.5', '1.', '1e3', '1E-3', '+1',
  '-1', '.inf', '-.Inf', '.nan', '.NaN', '1:20', '1:20:30', '190:20:30.15', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10',
  '<<', '=', '---', '--- a', '...', '... a', 'a---', 'it\'s', 'say "hi"', 'both \' and "', 'back\\slash', 'tab\there', 'line\nbreak', 'trail\n',
  'ünïcödé', 'emoji 😀', '\u0085', '\u00a0', '\u2028', '\ufeff', 'x'.repeat(1100), 'http://x:80/a?b=c&d', 'sh -c "echo $$HOME"', '$(cat /f)',
  'k8s.io/name', 'app.kubernetes.io/part-of', '100m', '256Mi', '1Gi', 'TCP', 'IfNotPresent', 'None', 'NULL', 'nULL', '0.0.0.0', '::1', '[::1]:80',
];

describe('stringifyKube writes exactly what the yaml package writes', () => {
  it('for every tricky scalar as a value, a key and a sequence item', () => {
    for (const s of tricky) {
      for (const v of [{ k: s }, { [s]: 'v' }, { k: [s, [s], { [s]: s }] }, { a: { b: { c: s } } }]) {
        expect(stringifyKube(v), JSON.stringify(v)).toBe(library(v));
      }
    }
  });

  it('for numbers, booleans, null, empty and nested collections, undefined values and buffers', () => {
    const cases: unknown[] = [
      { a: 1, b: -0, c: 0.5, d: 1e21, e: -3, f: 1.5e-7, g: Number.NaN, h: Infinity, i: -Infinity, j: 2 ** 53 + 2 },
      { t: true, f: false, n: null, u: undefined },
      { e: {}, l: [], nested: { e: {}, l: [] }, seq: [{}, [], [[]], [{}], { a: [] }] },
      { only: undefined },
      { a: { only: undefined } },
      { list: [undefined, 1] },
      { list: [null] },
      { all: { a: null, b: null } },
      { buf: Buffer.from('hi') },
      { date: new Date(0) },
      { deep: [[['a', ['b']], { c: [{ d: [] }] }]] },
      {},
      [],
      'text',
      null,
    ];
    for (const v of cases) expect(stringifyKube(v), String(JSON.stringify(v))).toBe(library(v));
  });

  it('for random trees', () => {
    const text = fc.oneof(
      fc.constantFrom(...tricky),
      fc.string({ unit: fc.constantFrom('a', 'b', ' ', '-', ':', '#', "'", '"', '0', '1', '.', 'y', 'n', '\\', '?', '[', '{', ',', '&', '*', '!', '%') }),
      fc.string(),
    );
    const scalar = fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(text, tie('node'), { maxKeys: 5 }),
    })).map;
    fc.assert(
      fc.property(tree, (v) => {
        expect(stringifyKube(v)).toBe(library(v));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('multi-line values (block literals) are written exactly as the yaml package writes them', () => {
  const multiline = [
    'a\nb', 'a\nb\n', 'a\nb\n\n', 'a\n', '\n', '\n\n', '\na', ' a\nb', '  a\n b\n', '\n a\n', 'a\n\n\nb\n', 'a \nb', 'a\n ',
    'a\n\t', 'a\t\nb\t\n', '\tindented\n', '- a\n- b\n', 'key: v\nother: w\n', '# c\nx\n', '---\na\n', 'a\n---\nb\n', '...\n',
    'server {\n  listen 80;\n  location / { proxy_pass http://api:3000; }\n}\n', '#!/bin/sh\nset -e\necho "$HOME"\n', 'x  \n', ' \n',
    'a\n  \nb\n', 'a\n\n', 'yes\nno', '|\n>', "it's\n\"q\"\n",
  ];
  it('for known shapes as a map value, a sequence item and deeper', () => {
    for (const s of multiline) {
      for (const v of [{ k: s }, { k: [s, [s], { j: s }] }, { a: { b: { c: s } } }, { data: { 'f.conf': s, other: 'x' } }]) {
        expect(stringifyKube(v), JSON.stringify(v)).toBe(library(v));
      }
    }
  });

  it('for random multi-line text in random trees', () => {
    const line = fc.string({ unit: fc.constantFrom('a', ' ', '\t', '-', ':', '#', '|', '>', "'", '"', '.', '1', 'y') , maxLength: 6 });
    const text = fc.array(line, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n'));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 3 }),
      map: fc.dictionary(fc.constantFrom('a', 'b', 'data', 'script'), tie('node'), { maxKeys: 3 }),
    })).map;
    fc.assert(
      fc.property(tree, (v) => {
        expect(stringifyKube(v)).toBe(library(v));
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe('toYamlStream writes what the yaml package writes for the output-ordered copy of each object', () => {
  it('for key order, status, undefined values, index-like keys and odd values', async () => {
    const { toYamlStream, inOutputKeyOrder } = await import('../../src/emit/serialize.js');
    const objects = [
      { kind: 'ConfigMap', apiVersion: 'v1', metadata: { namespace: 'n', name: 'a', labels: { z: '1', a: 'no' } }, data: { b: 'x', a: undefined, '10': 'ten', '2': 'two' }, status: { x: 1 } },
      { metadata: { name: 'b' }, kind: 'Secret', apiVersion: 'v1', spec: { list: [{ name: 'x', image: 'y', ports: [{ containerPort: 80 }] }, []], empty: {} } },
      { apiVersion: 'v1', kind: 'X', metadata: { name: 'c' }, data: { when: new Date(0), buf: Buffer.from('x'), nothing: null, arr: [undefined, 'a'] } },
      { apiVersion: 'v1', kind: 'Y', metadata: { name: 'd', annotations: { 'a.b/c': 'multi\nline', ü: 'é' } } },
    ];
    const expected = objects.map((o) => {
      const { status: _s, ...rest } = o as Record<string, unknown>;
      return `---\n${library(inOutputKeyOrder(rest))}`;
    });
    expect(toYamlStream(objects as never)).toBe(expected.join(''));
  });
});
