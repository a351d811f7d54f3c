// Property-based fuzzing of the whole front end and lowering, in-process: grammar-generated compose documents
// and random mutations of every compose file under $COMPOSE2K8S_CORPUS and fixtures/. For every input:
//   - loading either succeeds or throws a DiagnosticError whose errors name a file and a line (and a compose
//     path where one exists); anything else thrown is a bug;
//   - lowering never throws; its errors carry a compose path;
//   - a sample of conversions is lowered twice (byte-identical) and validated with kubernetes-models;
//   - `config`'s YAML, loaded again, prints the same YAML (idempotence).
// CI runs a fixed seed (COMPOSE2K8S_FUZZ_RUNS, default 700, under a minute here); the nightly size is
//   COMPOSE2K8S_FUZZ_RUNS=100000 COMPOSE2K8S_FUZZ_SEED=<any> COMPOSE2K8S_FUZZ_COLLECT=1 npx vitest run test/hardening/fuzz.test.ts
// A failure prints the seed, the path to replay (fast-check's `path`) and the shrunk input.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { type KubeObject } from '../../src/lower/index.js';
import { validateObjects } from '../../src/emit/index.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import { composeText, mutatedSeed } from './arbitraries.js';
import { check, makePlayground, seedFiles } from './harness.js';

const RUNS = Number(process.env.COMPOSE2K8S_FUZZ_RUNS ?? 700);
const SEED = Number(process.env.COMPOSE2K8S_FUZZ_SEED ?? 20261121);
/** Every Nth accepted input is also lowered twice and validated against the Kubernetes schema. */
const SAMPLE_EVERY = Number(process.env.COMPOSE2K8S_FUZZ_SAMPLE ?? 5);
/** Keep going after a violation and report every distinct one at the end (the nightly run); else stop and shrink. */
const COLLECT = !!process.env.COMPOSE2K8S_FUZZ_COLLECT;
/** A file to write progress to every 1,000 inputs (long runs). */
const PROGRESS = process.env.COMPOSE2K8S_FUZZ_PROGRESS;
const corpus = process.env.COMPOSE2K8S_CORPUS || undefined;
if (!corpus) console.warn('COMPOSE2K8S_CORPUS is not set: fuzzing mutates fixtures/ only (corpus seeds SKIPPED)');

const playground = makePlayground(mkdtempSync(join(tmpdir(), 'c2k-fuzz-')));
afterAll(() => rmSync(playground, { recursive: true, force: true }));

const files = seedFiles(corpus);
const texts = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

interface Input {
  text: string;
  dir: string;
  from: string;
}

const input: fc.Arbitrary<Input> = fc.oneof(
  { weight: 3, arbitrary: mutatedSeed(files, texts).map(({ file, text }) => ({ text, dir: dirname(file), from: file })) },
  { weight: 2, arbitrary: composeText.map((text) => ({ text, dir: playground, from: 'grammar' })) },
);

const stats = { inputs: 0, loaded: 0, rejected: 0, validated: 0, objects: 0, ms: 0 };

describe('fuzz: hostile compose input never crashes, errors are located, output is valid and stable', () => {
  test(`${RUNS} inputs, seed ${SEED}`, async () => {
    const t0 = Date.now();
    const sample: { objects: KubeObject[]; input: Input }[] = [];
    const found = new Map<string, string>();
    fc.assert(
      fc.property(input, (x) => {
        stats.inputs++;
        const deep = stats.inputs % SAMPLE_EVERY === 0;
        const o = check(x.text, { dir: x.dir, idempotence: true, determinism: deep });
        if (o.kind === 'loaded') stats.loaded++;
        if (o.kind === 'rejected') stats.rejected++;
        if (PROGRESS && stats.inputs % 1000 === 0) writeFileSync(PROGRESS, `${JSON.stringify({ ...stats, ms: Date.now() - t0, distinct: found.size })}\n`, { flag: 'a' });
        if (o.violations.length > 0) {
          if (!COLLECT) throw new Error(`from ${x.from}:\n${o.violations.join('\n')}`);
          for (const v of o.violations) {
            const key = v.split('\n')[0]!.replace(/\d+/g, 'N').slice(0, 200);
            if (!found.has(key)) {
              found.set(key, `${v.slice(0, 2000)}\n--- input from ${x.from}\n${x.text.slice(0, 2000)}`);
              if (PROGRESS) writeFileSync(PROGRESS, `finding at input ${stats.inputs}: ${found.get(key)}\n`, { flag: 'a' });
            }
          }
        }
        if (deep && o.objects && o.objects.length > 0) sample.push({ objects: o.objects, input: x });
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
    // Schema validation is the expensive part (kubernetes-models): a sample of the accepted inputs.
    for (const s of sample) {
      const d = new Diagnostics();
      await validateObjects(s.objects, d);
      stats.validated++;
      stats.objects += s.objects.length;
      expect(d.errors.map((e) => e.message), `from ${s.input.from}:\n${s.input.text}`).toEqual([]);
    }
    stats.ms = Date.now() - t0;
    if (PROGRESS) writeFileSync(PROGRESS, `done ${JSON.stringify({ ...stats, distinct: found.size })}\n${[...found.values()].join('\n\n')}\n`, { flag: 'a' });
    expect([...found.values()]).toEqual([]);
    console.info(`fuzz: ${JSON.stringify(stats)} (seeds: ${files.length} files)`);
    // The generators must keep producing inputs that load, or the lowering is not being fuzzed at all.
    expect(stats.loaded / stats.inputs).toBeGreaterThan(0.05);
  }, Math.max(120_000, RUNS * 200));
});
