// Differential test against the real `docker compose config --format json` (built from its Go module by
// scripts/tools/docker-compose.sh; CI sets COMPOSE2K8S_DOCKER_COMPOSE). Every corpus and fixture file is
// loaded by both tools; the outputs must be equal after the normalizations in normalizeForDiff, or the
// file must be listed with a reason in test/compose/known-deviations.json.
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../src/compose/loader.js';
import { parse } from 'yaml';
import { composeConfigObject, composeConfigYaml } from '../../src/emit/compose-config.js';
import { DiagnosticError, Diagnostics } from '../../src/model/diagnostics.js';
import { composeFilesUnder, corpusDir } from '../helpers/corpus.js';

const oracle = process.env.COMPOSE2K8S_DOCKER_COMPOSE;
const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const deviations: Record<string, string> = JSON.parse(readFileSync(join(root, 'test/compose/known-deviations.json'), 'utf8'));

if (!oracle) console.warn('COMPOSE2K8S_DOCKER_COMPOSE is not set: the differential test against docker compose is SKIPPED');

/** A controlled environment so both tools see exactly the same variables. */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', COMPOSE2K8S_DIFF: '1' };

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function runOracle(file: string): Outcome {
  const r = spawnSync(oracle!, ['-f', file, 'config', '--format', 'json'], { cwd: dirname(file), env: ENV, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { ok: false, message: (r.stderr || r.stdout || '').trim() };
  return { ok: true, value: JSON.parse(r.stdout) };
}

/** `config` (YAML): compose-go's YAML tags omit more than its JSON tags (empty structs, null commands). */
function runOracleYaml(file: string): unknown {
  const r = spawnSync(oracle!, ['-f', file, 'config'], { cwd: dirname(file), env: ENV, encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? parse(r.stdout) : undefined;
}

function runOursYaml(file: string): unknown {
  const loaded = loadProject({ files: [file], cwd: dirname(file), env: ENV, diagnostics: new Diagnostics() });
  return parse(composeConfigYaml(composeConfigObject(loaded, { yaml: true })));
}

function runOurs(file: string): Outcome {
  try {
    const loaded = loadProject({ files: [file], cwd: dirname(file), env: ENV, diagnostics: new Diagnostics() });
    return { ok: true, value: JSON.parse(JSON.stringify(composeConfigObject(loaded))) };
  } catch (e) {
    if (e instanceof DiagnosticError) return { ok: false, message: e.message };
    return { ok: false, message: `CRASH ${(e as Error).stack}` };
  }
}

/** Documented normalizations: key order is irrelevant (we compare parsed JSON). */
export function normalizeForDiff(v: unknown): unknown {
  return v;
}

function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return `${path}: docker compose=${JSON.stringify(a)} ours=${JSON.stringify(b)}`;
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as any)[k])]));
  return v;
}

describe.skipIf(!oracle || !corpusDir)('differential: docker compose config --format json', () => {
  const files = oracle && corpusDir ? [...composeFilesUnder(join(corpusDir, 'kompose')), ...composeFilesUnder(join(corpusDir, 'compose-go'))] : [];
  const fixtureDir = join(root, 'fixtures');
  if (files.length > 0 && existsSync(fixtureDir)) files.push(...composeFilesUnder(fixtureDir).filter((f) => /compose[^/]*\.ya?ml$/.test(f)));
  const results: { file: string; diff?: string }[] = [];

  it.each(files.map((f) => [relative(corpusDir ?? root, f), f]))('%s', (name, file) => {
    const theirs = runOracle(file);
    const ours = runOurs(file);
    let diff: string | undefined;
    if (ours.ok === false && ours.message.startsWith('CRASH')) diff = ours.message;
    else if (theirs.ok !== ours.ok) diff = theirs.ok ? `we failed: ${(ours as { message: string }).message}` : `docker compose failed: ${(theirs as { message: string }).message}; we succeeded`;
    else if (theirs.ok && ours.ok) diff = firstDifference(sortDeep(normalizeForDiff(theirs.value)), sortDeep(normalizeForDiff(ours.value)));
    if (!diff && theirs.ok && ours.ok) {
      const yamlDiff = firstDifference(sortDeep(runOracleYaml(file)), sortDeep(runOursYaml(file)));
      if (yamlDiff) diff = `YAML output: ${yamlDiff}`;
    }
    results.push({ file: name, diff });
    const known = deviations[name];
    if (diff && !known) expect.fail(diff);
    if (!diff && known) expect.fail(`listed in known-deviations.json but now identical: remove it (${known})`);
  });

  it('agrees on at least 98% of the files', () => {
    // COMPOSE2K8S_DIFF_REPORT=file.json writes every difference, for working through them.
    if (process.env.COMPOSE2K8S_DIFF_REPORT) writeFileSync(process.env.COMPOSE2K8S_DIFF_REPORT, JSON.stringify(results.filter((r) => r.diff), null, 2));
    const same = results.filter((r) => !r.diff).length;
    expect(results.length).toBe(files.length);
    expect(same / results.length).toBeGreaterThanOrEqual(0.98);
  });
});
