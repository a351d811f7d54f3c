// Exploration helper (not part of the suite: the name does not end in .test.ts). Run with
//   FUZZ_N=5000 npx vitest run --config test/hardening/explore.config.ts
// to print every distinct violation instead of stopping at the first.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { test } from 'vitest';
import { composeText, mutatedSeed } from './arbitraries.js';
import { check, makePlayground, seedFiles } from './harness.js';
import { tmpdir } from 'node:os';

test('explore', () => {
  const n = Number(process.env.FUZZ_N ?? 2000);
  const seed = Number(process.env.FUZZ_SEED ?? 1);
  const files = seedFiles();
  const playground = makePlayground(mkdtempSync(join(tmpdir(), 'c2k-fuzz-')));
  const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));
  const input = fc.oneof(
    mutatedSeed(files, texts).map(({ file, text }) => ({ dir: dirname(file), text, from: file })),
    composeText.map((text) => ({ dir: playground, text, from: 'grammar' })),
  );
  const seen = new Map<string, { count: number; example: string; from: string; full: string }>();
  const t0 = Date.now();
  const codes = new Map<string, number>();
  let kinds = { loaded: 0, rejected: 0, bug: 0 };
  for (const x of fc.sample(input, { numRuns: n, seed })) {
    const o = check(x.text, { dir: x.dir, idempotence: true, determinism: false });
    kinds[o.kind]++;
    for (const c of o.errorCodes ?? []) codes.set(`${x.from === 'grammar' ? 'G' : 'S'} ${c}`, (codes.get(`${x.from === 'grammar' ? 'G' : 'S'} ${c}`) ?? 0) + 1);
    for (const v of o.violations) {
      const key = v.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 160);
      const s = seen.get(key);
      if (s) s.count++;
      else {
        seen.set(key, { count: 1, example: x.text.slice(0, 1500), from: x.from, full: v.slice(0, 3000) });
        writeFileSync(`/tmp/fz/fail-${seen.size}.yaml`, x.text);
        writeFileSync(`/tmp/fz/fail-${seen.size}.dir`, x.dir);
      }
    }
  }
  console.log([...codes].sort((a, b) => b[1] - a[1]).slice(0, 25));
  console.log(`${n} inputs in ${Date.now() - t0} ms`, kinds);
  for (const [k, v] of seen) console.log(`\n=== ${v.count}x ${k}\nfrom ${v.from}\n${v.full}\n--- input\n${v.example}`);
}, 3_600_000);
