// The fast YAML reader (src/compose/yaml-fast.ts) must give exactly what the `yaml` package path gives: the same
// documents and the same location for every path, on every file it accepts; anything else must go to the library.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseComposeYaml, parseWithLibrary, resolvePlain } from '../../src/compose/yaml.js';
import { fastParseCompose } from '../../src/compose/yaml-fast.js';
import { generateProject } from '../../bench/generate.mjs';
import { composeFilesUnder, corpusDir } from '../helpers/corpus.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const root = join(new URL('.', import.meta.url).pathname, '..', '..');

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

type Outcome = { documents: unknown; locations: [string, unknown][] } | { error: string };

function outcome(f: () => { documents: unknown[]; locations: Map<string, unknown> }): Outcome {
  try {
    const r = f();
    return { documents: r.documents, locations: [...r.locations].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  } catch (e) {
    return { error: String((e as Error).message) };
  }
}

let fastAccepted = 0;
function compare(file: string, text: string): void {
  if (fastParseCompose(text, file, resolvePlain)) fastAccepted++;
  const ours = outcome(() => parseComposeYaml(text, file));
  const library = outcome(() => parseWithLibrary(text, file));
  expect(ours, file).toEqual(library);
  compareLookups(file, text);
}

/**
 * The fast reader's locations answer `get` without building their Map (the loader only looks paths up): every path,
 * and paths next to them that were never written, must give what the library's Map gives.
 */
function compareLookups(file: string, text: string): void {
  const fast = fastParseCompose(text, file, resolvePlain);
  if (!fast) return;
  const library = parseWithLibrary(text, file).locations;
  for (const path of library.keys()) {
    for (const p of [path, `${path}.x`, `${path}[0]`, `${path}[01]`, path.slice(0, -1), `${path}]`]) {
      expect(fast.locations.get(p), `${file}: ${p}`).toEqual(library.get(p));
    }
  }
  for (const p of ['', '.', '[0]', 'nothing']) expect(fast.locations.get(p), `${file}: ${p}`).toEqual(library.get(p));
}

const tricky = [
  'a: 1\nb: -1\nc: 0755\nd: 0o17\ne: 1e3\nf: .inf\ng: ~\nh: null\ni: true\nj: yes\nk: 2001-12-14\nl: 12345678901234567890\n',
  'a:\n- x\n- y\nb:\n  - 1\n  - [a, "b", \'c\']\n  - {k: v, "q": \'s\'}\n',
  'a: "x # not a comment"   # comment\nb: \'it\'\'s\'\nc: x#y\nd: x #y\n',
  'a:\n  - name: x\n    port: 1\n  - name: y\n    list:\n    - 1\n    - 2\n',
  'a: b\na: c\n',
  'a: &x 1\nb: *x\n',
  '<<: {a: 1}\n',
  'a: |\n  text\n',
  'a: multi\n  line\n',
  'a:\n\tb: 1\n',
  'a: b: c\n',
  '1: x\n',
  'true: x\n',
  '__proto__: x\n',
  'a: [1, 2,]\n',
  'a: [a: b]\n',
  'a: {a}\n',
  '"a": 1\n\'b\': 2\n',
  'a: "esc\\n"\n',
  'a: "unterminated\n  still"\n',
  '---\na: 1\n',
  'a: 1\n---\nb: 2\n',
  '  a: 1\n',
  'a:\n  b: 1\n c: 2\n',
  'a:\n  - 1\n  b: 2\n',
  'a:\n-\n  b: 1\n',
  'a:\n  - - 1\n',
  '# only a comment\n',
  '',
  'a:    \n  # comment\n  b: c   \n\n\nd: e',
  'a: x:y\nb: http://h:80/p\nc: "10000:8080"\n',
  'a: -x\nb: ?x\nc: :x\n',
  'a: [x, {y: z}]\n',
  'a: [ ]\nb: { }\nc: []\nd: {}\n',
  'a:\r\n  b: 1\r\n',
  'ünï: cödé\nb: "ü"\n',
  'a: 1 # c\n# c\nb:\n  # c\n  - x # c\n',
  // Keys holding dots and brackets, and empty keys, make paths that several entries share.
  'a.b:\n  c: 1\na:\n  b.c: 2\n  b:\n    c: 3\n',
  'x:\n  "a[0]": 1\n  a:\n  - 2\n  - 3\n',
  'x:\n  a:\n  - 2\n  "a[0]": 1\n',
  'x:\n  a:\n  - 2\n  - b: 1\n  "a[1].b": 4\n',
  '"":\n  b: 1\n  "": [1, 2]\nb: 2\n"[0]": x\n',
  '".": {"": 1}\n"[": {"]": 2}\n',
  // Under a '' key at the top, paths start without it: `a.image` is only reachable through the '' key (fuzz seed).
  '"":\n  a:\n    image: x\n',
  '"":\n  "":\n    a: 1\n',
];

/** Anchors, aliases and merge keys the fast reader reads itself. */
const anchored = [
  'a:\n  - &x foo\n  - *x\n  -   &y   "q"   # c\n  -   *y   # c\nb: *x\n',
  'x: &a\n  k: 1\n  l: [1, 2]\ny:\n  <<: *a\n  m: 2\nz: *a\nw:\n  - *a\n',
  'x: &a\n  k: 1\nq: &b\n  k: 2\n  n: 3\ny:\n  m: 0\n  <<: [*b, *a]\n  k: 9\n',
  'x: &a\n  k: 1\nq: &b\n  k: 2\n  n: 3\ny:\n  <<: [ *a ,*b ]   # c\n',
  'x: &a\n  k: 1\n  n: 1\ny:\n  k: 2\n  <<: *a\n  z: 3\n',
  'x: &a\n  toString: 1\n  constructor: 2\n  z: 3\ny:\n  <<: *a\n',
  'x: &a\n- 1\n- [2, 3]\ny: *a\nz:\n  - *a\n',
  'x: &a\n  - 1\ny:\n  - *a\n  - *a\n',
  'a: &v 5\nb: *v\nc: &q "x"  # c\nd: *q # c\ne: &s \'it\'\'s\'\nf: *s\n',
  'a: &a\n  k: 1\nb: &b\n  x: *a\n  <<: *a\nc:\n  - *b\n  - <<: *b\n    y: 2\n  - <<: [*b, *a]\n',
  'a: &a\n  b: &b\n    c: 1\n  d: &d x\n',
  'a: &a\n  b: &b\n    c: 1\nd: *b\ne: *a\n',
  'x: &a\n  k: 1\n<<: *a\n',
  'x: &a\n  k: 1\ny:\n  << : *a\n',
  'x-common: &common-env_1\n  LOG: info\nservices:\n  web:\n    environment:\n      <<: *common-env_1\n      X: 1\n',
  'x: &a\n  "a.b": 1\n  a:\n    b: 2\ny:\n  <<: *a\n  a.b: 3\n',
  'x: &a\n  k: {m: 1}\ns:\n  - name: n\n    v: *a\n  - *a\n',
];

/** Anchors, aliases and merges the fast reader leaves to the library (which reads them or reports the error). */
const anchoredForLibrary = [
  'a: &x [1, 2]\nb: *x\n',
  'a: &x {k: 1}\nb: *x\n',
  'a: *x\n',
  'a: *x\nb: &x 1\n',
  'a: &x 1\nb: &x 2\nc: *x\n',
  'a: &x\n  b: &x 1\nc: *x\n',
  'a: &x\n  b: *x\n',
  '&a k: v\n',
  'l:\n  - &a k: v\n',
  'l:\n  - &a\n    k: v\n',
  'a: !!str &x 1\nb: *x\n',
  'a: &x !!str 1\nb: *x\n',
  'a: &x &y 1\n',
  'a: &x *y\n',
  'a: &x\nb: 1\nc: *x\n',
  'a: &x # c\n  b: 1\n',
  'a: &x:y 1\n',
  'a: &x,y 1\n',
  'a: &é 1\nb: *é\n',
  'a: &x 1\nb: *x y\n',
  'a: &x 1\nb: [*x]\n',
  'a: &x 1\nb: {k: *x}\n',
  'a: &x\n  k: 1\nb: *x\n  c: 2\n',
  '<<: 1\n',
  '<<: {a: 1}\n',
  '<<:\n  a: 1\n',
  'x: &a 1\ny:\n  <<: *a\n',
  'x: &a\n- 1\ny:\n  <<: *a\n',
  'x: &a\n  k: 1\ny:\n  <<: [*a, {b: 1}]\n',
  'x: &a\n  k: 1\ny:\n  <<: []\n',
  'x: &a\n  k: 1\ny:\n  <<: [*a,]\n',
  'x: &a\n  k: 1\ny:\n  <<: *a\n  <<: *a\n',
  'x: &a\n  k: 1\ny:\n  "<<": *a\n',
  'x: &a\n  k: 1\ny:\n  <<: &b *a\n',
  'x: &a\n  k: 1\ny:\n  <<: *a\n    k: 2\n',
  'x: &a\n  k: 1\ny: {<<: *a}\n',
];

/** Alias chains nested `levels` deep: each anchored mapping holds the previous one `width` times (by alias or merge). */
function aliasChain(levels: number, width: number, merge = false): string {
  let text = 'a0: &a0\n  k: v\n';
  for (let i = 1; i <= levels; i++) {
    const uses = Array.from({ length: width }, (_, j) => (merge ? `  <<: *a${i - 1}\n  k${j}: x\n` : `  k${j}: *a${i - 1}\n`));
    text += `a${i}: &a${i}\n${merge ? uses[0] : uses.join('')}`;
  }
  return text;
}

/**
 * A random document made of anchors, aliases and merges over a few keys: mostly new anchor names and aliases to values
 * anchored above, sometimes a name defined again, an alias to an enclosing or unknown anchor, a merge of a scalar or a
 * sequence, clashing keys...: what the fast reader accepts must read exactly as the library does.
 */
function randomAnchoredDocument(random: () => number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const rarely = () => random() < 0.02;
  const keys = ['k', 'l', 'm', 'a.b', 'toString', '"q"'];
  let names = 0;
  const anchored: string[] = [];
  const mappings: string[] = [];
  /** An anchor for a value, and what to call once the value is written. */
  const anchor = (isMapping: boolean): [string, () => void] => {
    if (random() < 0.6) return ['', () => {}];
    const name = rarely() || (rarely() && anchored.length > 0) ? pick(anchored) ?? 'n0' : `n${names++}`;
    return [` &${name}`, () => (anchored.push(name), isMapping && mappings.push(name))];
  };
  const alias = (list: string[]) => `*${rarely() ? pick([`n${names}`, 'unknown', ...anchored]) : pick(list)}`;
  /** Mostly, aliases name what is defined (else a value becomes a scalar, a merge goes away). */
  const canAlias = (list: string[]) => list.length > 0 || rarely();
  const scalar = () => (rarely() ? pick(['~', '[1, 2]', '{f: 1}']) : pick(['1', 'x', '"s"', 'true', "'it''s'"]));
  const anchoredValue = (isMapping: boolean, write: (anchor: string) => string): string => {
    const [text, done] = anchor(isMapping);
    const out = write(text);
    done();
    return out;
  };
  const value = (indent: string, depth: number): string => {
    const r = random();
    if (r < 0.25 && canAlias(anchored)) return ` ${alias(anchored)}\n`;
    if (r < 0.5 || depth > 3) return anchoredValue(false, (a) => `${a} ${scalar()}\n`);
    if (r < 0.65) return anchoredValue(false, (a) => `${a}\n${items(indent + '  ', depth + 1)}`);
    return anchoredValue(true, (a) => `${a}\n${entries(indent + '  ', depth + 1)}`);
  };
  const items = (indent: string, depth: number): string => {
    let out = '';
    for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
      const r = random();
      if (r < 0.3 && canAlias(anchored)) out += `${indent}- ${alias(anchored)}\n`;
      else if (r < 0.5) out += anchoredValue(false, (a) => `${indent}-${a} ${scalar()}\n`);
      else if (r < 0.7 && canAlias(mappings)) out += `${indent}- <<: ${alias(mappings)}\n${indent}  ${pick(keys)}: 1\n`;
      else out += `${indent}- ${scalar()}\n`;
    }
    return out;
  };
  const entries = (indent: string, depth: number): string => {
    const used = new Set<string>();
    let out = '';
    for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
      if (random() < 0.25 && canAlias(mappings) && (!used.has('<<') || rarely())) {
        used.add('<<');
        out += `${indent}<<: ${random() < 0.5 ? alias(mappings) : `[${alias(mappings)}, ${alias(mappings)}]`}\n`;
        continue;
      }
      const key = pick(keys);
      if (used.has(key) && !rarely()) continue;
      used.add(key);
      out += `${indent}${key}:${value(indent, depth)}`;
    }
    return out;
  };
  let text = '';
  for (let i = 0; i < 6; i++) text += `t${i}:${value('', 1)}`;
  return text;
}

const RANDOM_DOCUMENTS = 800;

/** A small seeded generator (mulberry32), so that every run compares the same documents. */
function seededRandom(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fast YAML reader', () => {
  it('matches the library on random documents of anchors, aliases and merges', () => {
    const random = seededRandom(20261122);
    const before = fastAccepted;
    for (let i = 0; i < RANDOM_DOCUMENTS; i++) compare('/x/compose.yaml', randomAnchoredDocument(random));
    console.log(`random anchored documents: ${fastAccepted - before} of ${RANDOM_DOCUMENTS} took the fast path`);
    expect(fastAccepted - before).toBeGreaterThan(RANDOM_DOCUMENTS / 3);
  });


  it('matches the library on anchors, aliases and merge keys', () => {
    for (const t of anchored) {
      compare('/x/compose.yaml', t);
      expect(fastParseCompose(t, 'f', resolvePlain), t).toBeDefined();
    }
  });

  it('leaves unusual anchors, aliases and merges to the library', () => {
    for (const t of anchoredForLibrary) {
      compare('/x/compose.yaml', t);
      expect(fastParseCompose(t, 'f', resolvePlain), t).toBeUndefined();
    }
  });

  it('leaves alias expansions near the library\'s budget and depth limits to it', () => {
    // Within the fast reader's budget: read here, and exactly as the library reads it.
    const small = aliasChain(3, 5);
    compare('/x/compose.yaml', small);
    expect(fastParseCompose(small, 'f', resolvePlain)).toBeDefined();
    // Deeper than the fast reader goes, by aliases or by merges (each costs the library two levels).
    for (const text of [aliasChain(70, 1), aliasChain(70, 1, true)]) {
      expect(fastParseCompose(text, 'f', resolvePlain)).toBeUndefined();
      compare('/x/compose.yaml', text);
    }
    // Past the library's limits: its errors.
    const bomb = aliasChain(6, 10);
    expect(fastParseCompose(bomb, 'f', resolvePlain)).toBeUndefined();
    expect(outcome(() => parseComposeYaml(bomb, 'f'))).toEqual({ error: expect.stringContaining('too many alias expansions') });
    const deep = aliasChain(130, 1, true);
    expect(fastParseCompose(deep, 'f', resolvePlain)).toBeUndefined();
    expect(outcome(() => parseComposeYaml(deep, 'f'))).toEqual({ error: expect.stringContaining('nesting deeper than') });
  });

  it('gives every alias and merge its own copy, as the library does', () => {
    const text = 'x: &a\n  k:\n    m: [1]\ny: *a\nz:\n  <<: *a\nw:\n  - *a\n';
    for (const parse of [() => fastParseCompose(text, 'f', resolvePlain)!, () => parseWithLibrary(text, 'f')]) {
      const doc = parse().documents[0] as any;
      doc.y.k.m.push(2);
      doc.z.k.m = 'changed';
      doc.w[0].k = null;
      expect(doc.x).toEqual({ k: { m: [1] } });
      expect(doc).toEqual({ x: { k: { m: [1] } }, y: { k: { m: [1, 2] } }, z: { k: { m: 'changed' } }, w: [{ k: null }] });
    }
  });

  it('reads the README example (an anchor and a merge key) itself', () => {
    const file = join(root, 'examples', 'basic', 'compose.yaml');
    expect(fastParseCompose(readFileSync(file, 'utf8'), file, resolvePlain)).toBeDefined();
  });

  it('matches the library on tricky snippets', () => {
    for (const t of tricky) compare('/x/compose.yaml', t);
    expect(fastAccepted).toBeGreaterThan(5);
  });

  it('types plain scalars like the library (the shortcut for certain strings included)', () => {
    const words = ['null', 'true', 'false'].flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1), w.slice(0, -1), `${w}s`, w.replace(/.$/, (c) => c.toUpperCase())]);
    const others = ['~', '~x', 'n', 'N', 't', 'f', 'yes', 'No', 'on', 'nginx', 'tcp', '<<', '<x', '.inf', '-.Inf', '+.INF', '.NaN', '.nan', '.x', '-1', '+1', '-x'];
    const numbers = ['1e3', '-1.5E+3', '.5', '1.', '0x1F', '0xfg', '0o17', '0o8', '0755', '3.8', '1_000', '0', '00', '007', '08', '10', '123456789012345', '1234567890123456', '9007199254740993', '12345678901234567890', '-0', '+5', '256M', '10s', '1h30m', '0.5', '1:20'];
    const dates = ['2001-12-14', '2001-12-14t21:59:43.10-05:00', '2001-12-14T21:59:43Z', '2001-12-14 21:59:43.10', '2001-13-14', 'x001-12-14', '20011-2-14'];
    for (const s of [...words, ...others, ...numbers, ...dates, 'é', '/var/lib', '${TAG}', 'a b', 'x:y']) {
      const library = parseWithLibrary(`a: ${s}\n`, 'f').documents[0] as Record<string, unknown>;
      expect(resolvePlain(s, false), s).toEqual(library.a);
    }
    expect(resolvePlain('<<', true), 'a merge key is left to the library').toBeUndefined();
  });

  it('matches the library on generated projects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c2k-fast-'));
    for (const n of [1, 7, 60]) {
      const file = generateProject(n, join(dir, `p${n}`));
      const before = fastAccepted;
      compare(file, readFileSync(file, 'utf8'));
      expect(fastAccepted, 'the fast reader takes the generated projects').toBe(before + 1);
    }
  });

  it('matches the library on every fixture file', () => {
    for (const file of yamlFilesUnder(join(root, 'fixtures'))) compare(file, readFileSync(file, 'utf8'));
    for (const file of yamlFilesUnder(join(root, 'examples'))) compare(file, readFileSync(file, 'utf8'));
  });

  it.skipIf(!corpusDir)('matches the library on every corpus file', () => {
    let files = 0;
    for (const file of composeFilesUnder(corpusDir!)) {
      compare(file, readFileSync(file, 'utf8'));
      files++;
    }
    expect(files).toBeGreaterThan(100);
    console.log(`fast YAML reader: ${fastAccepted} of the files compared so far took the fast path`);
  });
});
