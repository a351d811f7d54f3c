#!/usr/bin/env node
// The benchmark harness (`npm run bench`, `npm run bench -- --quick`). Every figure is a median over repeated
// cold-process runs, with the reference tool measured alternately in the same run (ours, theirs, theirs, ours, ...),
// so both meet the same machine load. Results go to bench/results.json (quick: bench/results-quick.json) and, for a
// full run, to the generated section of docs/benchmarks.md.
//
//   node bench/run.mjs [--quick] [--no-build] [--only corpus,generated,load,apply,build,digests] [--sizes 10,100,...]
//                      [--runs N] [--out FILE] [--docs | --no-docs] [--kubeconfig FILE]
//
// Inputs: every compose file under $COMPOSE2K8S_CORPUS (default ../shared/corpus; Kompose's golden outputs excluded)
// and generated projects of 10, 100, 1,000 and 5,000 services (bench/generate.mjs). Reference tools come from
// scripts/tools/all.sh (built from their Go modules, cached). Apply figures need a cluster (COMPOSE2K8S_KUBECONFIG or
// --kubeconfig; else the one `scripts/e2e/cluster.sh env` reports for a running cluster); no-op rebuild figures need DOCKER_HOST and REGISTRY
// (scripts/e2e/docker.sh up). Sections whose prerequisites are missing are recorded as skipped, with the reason.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const quick = flag('--quick');
const only = new Set((opt('--only', 'corpus,generated,load,apply,build,digests') ?? '').split(','));
const sizes = (opt('--sizes', quick ? '10,100,1000' : '10,100,1000,5000') ?? '').split(',').map(Number);
const out = resolve(root, opt('--out', quick ? 'bench/results-quick.json' : 'bench/results.json'));
const writeDocs = flag('--docs') || (!quick && !flag('--no-docs'));
const corpusDir = resolve(root, process.env.COMPOSE2K8S_CORPUS ?? '../shared/corpus');
/** A running e2e control plane (scripts/e2e/cluster.sh env prints its kubeconfig; nothing is started here). */
function runningCluster() {
  const script = join(root, 'scripts/e2e/cluster.sh');
  if (!existsSync(script)) return undefined;
  const r = spawnSync('bash', [script, 'env'], { encoding: 'utf8', timeout: 30_000 });
  return r.status === 0 ? /^KUBECONFIG=(.+)$/m.exec(r.stdout)?.[1] : undefined;
}
const kubeconfig = opt('--kubeconfig', process.env.COMPOSE2K8S_KUBECONFIG) ?? runningCluster();
const tmp = join(root, '.bench-tmp', 'run');
const TIME = '/usr/bin/time';
const log = (...a) => process.stderr.write(a.join(' ') + '\n');

// ---- measurement -------------------------------------------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined && x !== null).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => (x === null || x === undefined ? null : Math.round(x * 10 ** d) / 10 ** d);

/** Runs one command as a fresh process: wall time (ms), peak RSS (MB, GNU time), exit status. Output is discarded. */
function runOnce(cmd, cwd) {
  const rss = join(tmp, 'rss.txt');
  const t = performance.now();
  const r = spawnSync(TIME, ['-f', '%M', '-o', rss, ...cmd], { cwd, env: cmdEnv, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  let rssMB = null;
  try {
    rssMB = Number(readFileSync(rss, 'utf8').trim().split('\n').pop()) / 1024;
  } catch {}
  return { ms, rssMB, ok: r.status === 0, stderr: r.status === 0 ? '' : String(r.stderr).slice(0, 400) };
}

/**
 * Measures commands alternately: `runs` rounds, each running every command once, the order reversed every other
 * round; with `warmup`, one unmeasured run each first (file cache). Returns per command: medians and every sample.
 */
function alternate(cmds, runs, cwd, warmup = true) {
  if (warmup) for (const c of cmds) runOnce(c.cmd, cwd);
  const samples = cmds.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = cmds.map((_, j) => j);
    if (i % 2) order.reverse();
    for (const j of order) samples[j].push(runOnce(cmds[j].cmd, cwd));
  }
  return Object.fromEntries(
    cmds.map((c, j) => {
      const s = samples[j];
      const ok = s.every((x) => x.ok);
      return [c.name, { ok, medianMs: round(median(s.map((x) => x.ms))), peakRssMB: round(Math.max(...s.map((x) => x.rssMB ?? 0))), medianRssMB: round(median(s.map((x) => x.rssMB))), runs: s.length, samplesMs: s.map((x) => round(x.ms)), ...(ok ? {} : { error: s.find((x) => !x.ok).stderr }) }];
    }),
  );
}

// ---- setup -------------------------------------------------------------------------------------------------------

mkdirSync(tmp, { recursive: true });
const loadStart = loadavg();
log(`[bench] ${quick ? 'quick' : 'full'} run; load average ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);

const tools = Object.fromEntries(
  execFileSync('bash', [join(root, 'scripts/tools/all.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => l.split('=')),
);
const kompose = tools.kompose;
const dockerCompose = tools['docker-compose'];
if (!flag('--no-build')) {
  log('[bench] building the CLI (node scripts/build.mjs)');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
// Measure a private copy: other people's builds replace dist/ while a long run is going.
rmSync(join(tmp, 'dist'), { recursive: true, force: true });
cpSync(join(root, 'dist'), join(tmp, 'dist'), { recursive: true });
const cli = join(tmp, 'dist/cli.js');
// Both tools see the same small environment (as in the differential test), so no user setting changes the work.
const cmdEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, LANG: 'C.UTF-8' };

const ours = {
  convert: (file) => [process.execPath, cli, 'convert', '-f', file],
  config: (file) => [process.execPath, cli, 'config', '-f', file, '--format', 'json'],
};
const peers = {
  convert: (file) => [kompose, 'convert', '--stdout', '-f', file],
  config: (file) => [dockerCompose, '-f', file, 'config', '--format', 'json'],
};

const version = (cmd) => {
  try {
    return execFileSync(cmd[0], cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
  } catch {
    return 'unknown';
  }
};
const gitCommit = version(['git', '-C', root, 'rev-parse', '--short', 'HEAD']);
const gitDirty = version(['git', '-C', root, 'status', '--porcelain', '--', 'src', 'scripts/build.mjs']) !== '';
const results = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGB: round(totalmem() / 2 ** 30), kernel: release(), loadAverageStart: loadStart.map((x) => round(x, 2)) },
  versions: {
    compose2k8s: `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} (${gitCommit}${gitDirty ? ', uncommitted changes in src' : ''})`,
    node: process.version,
    kompose: version([kompose, 'version']),
    dockerCompose: version([dockerCompose, 'version', '--short']),
    kubectl: (() => {
      try {
        return JSON.parse(execFileSync('/usr/bin/kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })).clientVersion.gitVersion;
      } catch {
        return 'unknown';
      }
    })(),
  },
  commands: {
    ourConvert: 'node dist/cli.js convert -f FILE (a copy of dist/ made right after the build)',
    komposeConvert: 'kompose convert --stdout -f FILE',
    ourConfig: 'node dist/cli.js config -f FILE --format json',
    dockerComposeConfig: 'docker-compose -f FILE config --format json',
    wrapper: '/usr/bin/time -f %M (peak RSS), cwd = the file\'s directory, env = PATH, HOME, LANG only, stdout discarded',
    loadOnly: 'node bench/load-only.mjs FILE RUNS',
    apply: 'node bench/deploy/apply-bench.mjs --kubeconfig K --rounds R',
    noopRebuild: 'node bench/build/bench.mjs noop',
  },
  sections: {},
};
// `--only` remeasures some sections and keeps the others from the existing results file (each says when and at
// which commit it was measured).
if (argv.includes('--only') && existsSync(out)) {
  const previous = JSON.parse(readFileSync(out, 'utf8'));
  for (const [name, section] of Object.entries(previous.sections ?? {})) {
    if (!only.has(name)) results.sections[name] = { measuredAt: previous.date, commit: previous.versions?.compose2k8s, loadAverageStart: previous.machine?.loadAverageStart, ...section };
  }
}
const stamp = () => ({ measuredAt: new Date().toISOString(), commit: results.versions.compose2k8s });

// ---- corpus: cold convert and config of small real projects ------------------------------------------------------

function composeFilesUnder(dir) {
  const found = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && !name.startsWith('output')) found.push(p);
    }
  };
  walk(dir);
  return found;
}

if (only.has('corpus')) {
  if (!existsSync(corpusDir)) results.sections.corpus = { skipped: `no corpus at ${corpusDir} (set COMPOSE2K8S_CORPUS)` };
  else {
    let files = composeFilesUnder(corpusDir);
    const total = files.length;
    if (quick) files = files.filter((_, i) => i % 20 === 0);
    const runs = Number(opt('--runs', 3));
    log(`[bench] corpus: ${files.length} of ${total} files, ${runs} alternating runs each`);
    const rows = [];
    for (const [i, file] of files.entries()) {
      const cwd = dirname(file);
      // Small files: the binaries and the corpus are in the page cache after the first file, so no warm-up run.
      const convert = alternate([{ name: 'ours', cmd: ours.convert(file) }, { name: 'kompose', cmd: peers.convert(file) }], runs, cwd, i === 0);
      const config = alternate([{ name: 'ours', cmd: ours.config(file) }, { name: 'dockerCompose', cmd: peers.config(file) }], runs, cwd, i === 0);
      rows.push({ file: relative(corpusDir, file), convert, config });
      if (i % 10 === 9) log(`[bench]   ${i + 1}/${files.length}`);
    }
    const summary = (key, a, b) => {
      const both = rows.filter((r) => r[key][a].ok && r[key][b].ok);
      const ratios = both.map((r) => r[key][a].medianMs / r[key][b].medianMs);
      return {
        files: rows.length,
        bothSucceeded: both.length,
        [`${a}MedianMs`]: round(median(both.map((r) => r[key][a].medianMs))),
        [`${b}MedianMs`]: round(median(both.map((r) => r[key][b].medianMs))),
        medianRatio: round(median(ratios), 2),
        worstRatio: round(Math.max(...ratios), 2),
        filesAtOrBelow1: ratios.filter((x) => x <= 1).length,
        [`${a}PeakRssMB`]: round(Math.max(...both.map((r) => r[key][a].peakRssMB))),
        [`${b}PeakRssMB`]: round(Math.max(...both.map((r) => r[key][b].peakRssMB))),
      };
    };
    results.sections.corpus = { ...stamp(), runsPerFile: runs, convert: summary('convert', 'ours', 'kompose'), config: summary('config', 'ours', 'dockerCompose'), files: rows };
  }
}

// ---- generated projects: scaling ---------------------------------------------------------------------------------

if (only.has('generated')) {
  const rows = [];
  for (const n of sizes) {
    const file = generateProject(n, join(tmp, `p${n}`));
    const runs = Number(opt('--runs', n >= 5000 ? 1 : n >= 1000 ? (quick ? 1 : 3) : quick ? 3 : 5));
    const warmup = quick ? n < 1000 : n < 5000;
    log(`[bench] generated ${n} services: ${runs} alternating runs${warmup ? ' after a warm-up run' : ''}`);
    const cwd = dirname(file);
    const convert = alternate([{ name: 'ours', cmd: ours.convert(file) }, { name: 'kompose', cmd: peers.convert(file) }], runs, cwd, warmup);
    const config = alternate([{ name: 'ours', cmd: ours.config(file) }, { name: 'dockerCompose', cmd: peers.config(file) }], runs, cwd, warmup);
    rows.push({ services: n, convert, config, speedupVsKompose: round(convert.kompose.medianMs / convert.ours.medianMs, 2), speedupVsDockerCompose: round(config.dockerCompose.medianMs / config.ours.medianMs, 2) });
  }
  const at = (n) => rows.find((r) => r.services === n);
  const growth = {};
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    const size = b.services / a.services;
    growth[`${a.services}->${b.services}`] = {
      sizeFactor: size,
      oursConvertTimeFactor: round(b.convert.ours.medianMs / a.convert.ours.medianMs, 2),
      komposeConvertTimeFactor: round(b.convert.kompose.medianMs / a.convert.kompose.medianMs, 2),
      oursConfigTimeFactor: round(b.config.ours.medianMs / a.config.ours.medianMs, 2),
    };
  }
  results.sections.generated = { ...stamp(), rows, growth, has1000: Boolean(at(1000)) };
}

// ---- load + validate in-process ----------------------------------------------------------------------------------

if (only.has('load')) {
  const rows = [];
  for (const n of sizes.filter((s) => s >= 1000)) {
    const file = generateProject(n, join(tmp, `p${n}`));
    const runs = quick ? 3 : 5;
    log(`[bench] load-only ${n} services (${runs} runs in one process)`);
    const r = spawnSync(process.execPath, [join(root, 'bench/load-only.mjs'), file, String(runs)], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) rows.push({ services: n, error: r.stderr.slice(0, 400) });
    else rows.push({ services: n, ...JSON.parse(r.stdout.trim().split('\n').pop()) });
  }
  results.sections.load = { ...stamp(), rows };
}

// ---- apply (bench/deploy, by the deploy engineer) -----------------------------------------------------------------

if (only.has('apply')) {
  if (!kubeconfig || !existsSync(kubeconfig)) {
    results.sections.apply = { skipped: 'no cluster: set COMPOSE2K8S_KUBECONFIG or pass --kubeconfig (scripts/e2e/cluster.sh up prints one)' };
  } else {
    const rounds = quick ? 1 : 3;
    log(`[bench] apply of 300 objects vs kubectl apply --server-side (${rounds} rounds)`);
    const r = spawnSync(process.execPath, [join(root, 'bench/deploy/apply-bench.mjs'), '--kubeconfig', kubeconfig, '--rounds', String(rounds)], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) results.sections.apply = { error: (r.stderr || r.stdout).slice(0, 1000) };
    else {
      const lines = r.stdout.trim().split('\n');
      const secs = (cell) => Number(/([\d.]+) s/.exec(cell)?.[1] ?? NaN) * 1000;
      const medianRow = lines.find((l) => l.startsWith('| median |'))?.split('|').map((c) => c.trim());
      results.sections.apply = {
        ...stamp(),
        header: lines[0],
        table: lines.filter((l) => l.startsWith('|')),
        ...(medianRow
          ? { kubectlCreateMs: secs(medianRow[2]), oursCreateMs: secs(medianRow[3]), kubectlUnchangedMs: secs(medianRow[5]), oursUnchangedMs: secs(medianRow[6]) }
          : {}),
      };
    }
  }
}

// ---- no-op rebuild (bench/build, by the build engineer) ------------------------------------------------------------

/** A running e2e engine and registry (scripts/e2e/docker.sh env prints DOCKER_HOST and REGISTRY; nothing is started). */
function runningEngine() {
  if (process.env.DOCKER_HOST && process.env.REGISTRY) return { DOCKER_HOST: process.env.DOCKER_HOST, REGISTRY: process.env.REGISTRY };
  const script = join(root, 'scripts/e2e/docker.sh');
  if (!existsSync(script)) return undefined;
  const r = spawnSync('bash', [script, 'env'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return undefined;
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return env.DOCKER_HOST && env.REGISTRY ? env : undefined;
}

if (only.has('build')) {
  const engine = runningEngine();
  if (!engine) {
    results.sections.build = { skipped: 'no engine: export DOCKER_HOST and REGISTRY, or start one with scripts/e2e/docker.sh up' };
  } else {
    log('[bench] no-op rebuild of 10 services');
    const r = spawnSync(process.execPath, [join(root, 'bench/build/bench.mjs'), 'noop'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...engine } });
    if (r.status !== 0) results.sections.build = { error: (r.stderr || r.stdout).slice(0, 1000) };
    else results.sections.build = { ...stamp(), ...JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()) };
    if (!quick && results.sections.build.error === undefined) {
      // Four independent builds of about 5 s each (RUN sleep 5, fresh inputs every time), default builder, at the
      // default parallelism (the number of CPUs) and at 4; three runs each, median. About two minutes.
      log('[bench] four independent 5 s builds');
      const walls = { default: [], four: [] };
      for (let i = 0; i < 3; i++) {
        const p = spawnSync(process.execPath, [join(root, 'bench/build/bench.mjs'), 'parallel', 'auto'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...engine } });
        if (p.status !== 0) {
          results.sections.build.parallelError = (p.stderr || p.stdout).slice(0, 1000);
          break;
        }
        for (const line of p.stdout.split('\n').filter((l) => l.startsWith('{'))) {
          const x = JSON.parse(line);
          if (x.bench === 'four-5s-builds') walls[x.parallel === 4 ? 'four' : 'default'].push(x.wallMs);
        }
      }
      const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : undefined);
      Object.assign(results.sections.build, { fourBuildsDefaultMs: median(walls.default), fourBuildsParallel4Ms: median(walls.four), fourBuildsRuns: walls.default, parallelDefault: availableParallelism() });
    }
  }
}

if (only.has('digests')) {
  // Resolving the image tags of a 100-service project to digests (convert --resolve-digests) against the loopback
  // registry: the `digests` phase of COMPOSE2K8S_TIMING, median of 7 cold processes. Needs only REGISTRY.
  const engine = runningEngine();
  if (!engine) {
    results.sections.digests = { skipped: 'no registry: export REGISTRY, or start one with scripts/e2e/docker.sh up' };
  } else {
    log('[bench] resolving the digests of 100 services');
    const r = spawnSync(process.execPath, [join(root, 'bench/build/digests-bench.mjs'), '100', quick ? '3' : '7'], { cwd: root, encoding: 'utf8', env: { ...process.env, ...engine } });
    if (r.status !== 0) results.sections.digests = { error: (r.stderr || r.stdout).slice(0, 1000) };
    else results.sections.digests = { ...stamp(), ...JSON.parse(r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()) };
  }
}

results.machine.loadAverageEnd = loadavg().map((x) => round(x, 2));
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
log(`[bench] wrote ${relative(root, out)}`);

// ---- report --------------------------------------------------------------------------------------------------------

const s = (ms) => (ms === null || ms === undefined ? 'n/a' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const mb = (x) => (x === null || x === undefined ? 'n/a' : `${Math.round(x)} MB`);
const table = [];
const { corpus, generated, load, apply, build, digests } = results.sections;
table.push(`Run: ${results.date}, ${results.mode} mode; ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGB} GB, Linux ${results.machine.kernel}; load average ${results.machine.loadAverageStart.join(' ')} at start, ${results.machine.loadAverageEnd.join(' ')} at end.`);
table.push(`Versions: compose2k8s ${results.versions.compose2k8s}, Node ${results.versions.node}, ${results.versions.kompose.startsWith('1') ? 'kompose ' : ''}${results.versions.kompose}, docker compose ${results.versions.dockerCompose}, kubectl ${results.versions.kubectl}.`);
table.push('');
table.push('| Figure | compose2k8s | reference | ratio (ours / reference) |');
table.push('|---|---|---|---|');
if (corpus?.convert) {
  const c = corpus.convert;
  table.push(`| cold \`convert\`, corpus files (median of per-file medians, ${c.bothSucceeded} files both accept, ${corpus.runsPerFile} runs each) | ${s(c.oursMedianMs)} | kompose ${s(c.komposeMedianMs)} | ${c.medianRatio} (≤ 1.0 on ${c.filesAtOrBelow1} files; worst ${c.worstRatio}) |`);
  const g = corpus.config;
  table.push(`| cold \`config --format json\`, corpus files (${g.bothSucceeded} files) | ${s(g.oursMedianMs)} | docker compose ${s(g.dockerComposeMedianMs)} | ${g.medianRatio} (≤ 1.0 on ${g.filesAtOrBelow1} files; worst ${g.worstRatio}) |`);
  table.push(`| peak RSS, corpus convert (max over files) | ${mb(c.oursPeakRssMB)} | kompose ${mb(c.komposePeakRssMB)} | |`);
} else if (corpus?.skipped) table.push(`| corpus | skipped: ${corpus.skipped} | | |`);
for (const r of generated?.rows ?? []) {
  table.push(`| \`convert\`, ${r.services.toLocaleString('en')} services (${r.convert.ours.runs} runs) | ${s(r.convert.ours.medianMs)}, ${mb(r.convert.ours.peakRssMB)} | kompose ${r.convert.kompose.ok ? '' : '(failed) '}${s(r.convert.kompose.medianMs)}, ${mb(r.convert.kompose.peakRssMB)} | ${round(r.convert.ours.medianMs / r.convert.kompose.medianMs, 2)} (${r.speedupVsKompose >= 1 ? `${r.speedupVsKompose}× faster` : `${round(1 / r.speedupVsKompose, 2)}× slower`}) |`);
  const dc = r.config.dockerCompose;
  table.push(
    `| \`config --format json\`, ${r.services.toLocaleString('en')} services | ${s(r.config.ours.medianMs)}, ${mb(r.config.ours.peakRssMB)} | ` +
      (dc.ok ? `docker compose ${s(dc.medianMs)}, ${mb(dc.peakRssMB)} | ${round(r.config.ours.medianMs / dc.medianMs, 2)} |` : `docker compose fails: ${dc.error.trim().split('\n').pop().replace(/^.*?: (?=[^:]*$)/, '').slice(0, 100)} | n/a |`),
  );
}
for (const [k, g] of Object.entries(generated?.growth ?? {})) {
  table.push(`| time growth ${k} services (×${g.sizeFactor} input) | convert ×${g.oursConvertTimeFactor}, config ×${g.oursConfigTimeFactor} | kompose convert ×${g.komposeConvertTimeFactor} | |`);
}
for (const r of load?.rows ?? []) {
  table.push(`| load + validate in-process, ${r.services.toLocaleString('en')} services (${r.runs ?? '?'} runs) | ${r.error ? 'error' : `${s(r.medianMs)} (first ${s(r.firstMs)}), ${mb(r.maxRssMB)}`} | | |`);
}
if (apply?.oursCreateMs !== undefined) {
  table.push(`| apply 300 objects (create) | ${s(apply.oursCreateMs)} | kubectl apply --server-side ${s(apply.kubectlCreateMs)} | ${round(apply.oursCreateMs / apply.kubectlCreateMs, 2)} |`);
  table.push(`| re-apply, nothing changed | ${s(apply.oursUnchangedMs)} | kubectl ${s(apply.kubectlUnchangedMs)} | ${round(apply.oursUnchangedMs / apply.kubectlUnchangedMs, 2)} |`);
} else table.push(`| apply 300 objects / no-op re-apply | ${apply?.skipped ? `not measured: ${apply.skipped}` : apply?.error ? 'error (see results.json)' : 'n/a'} | | |`);
if (build?.noopLocalMedianMs !== undefined) {
  table.push(`| no-op rebuild, 10 services (local / with push) | ${s(build.noopLocalMedianMs)} / ${s(build.noopPushMedianMs)} | | |`);
  if (build.fourBuildsDefaultMs !== undefined) {
    table.push(`| four independent 5 s builds, default --parallel (${build.parallelDefault}) / --parallel 4 | ${s(build.fourBuildsDefaultMs)} / ${s(build.fourBuildsParallel4Ms)} | target < 12 s | |`);
  }
} else table.push(`| no-op rebuild, 10 services | ${build?.skipped ? `not measured: ${build.skipped}` : build?.error ? 'error (see results.json)' : 'n/a'} | | |`);
if (digests?.digestsPhaseMedianMs !== undefined) {
  table.push(`| resolve image tags to digests, ${digests.services} services (loopback registry; whole \`convert --resolve-digests\` / without) | ${s(digests.digestsPhaseMedianMs)} (${s(digests.convertResolveMedianMs)} / ${s(digests.convertPlainMedianMs)}) | target < 1 s | |`);
} else table.push(`| resolve image tags to digests, 100 services | ${digests?.skipped ? `not measured: ${digests.skipped}` : digests?.error ? 'error (see results.json)' : 'n/a'} | | |`);
table.push('');
table.push(
  'Sections: ' +
    Object.entries(results.sections)
      .map(([name, sec]) => `${name} ${sec.measuredAt ? `measured ${sec.measuredAt.slice(0, 16).replace('T', ' ')} UTC at ${sec.commit}${sec.loadAverageStart ? `, load ${sec.loadAverageStart.join(' ')} at that run's start` : ''}` : sec.skipped ? 'skipped' : 'n/a'}`)
      .join('; ') +
    '.',
);
const text = table.join('\n');
console.log(text);

if (writeDocs) {
  const doc = join(root, 'docs/benchmarks.md');
  const start = '<!-- bench:results:start (generated by `npm run bench`; do not edit by hand) -->';
  const end = '<!-- bench:results:end -->';
  const current = existsSync(doc) ? readFileSync(doc, 'utf8') : `# Benchmarks\n\n${start}\n${end}\n`;
  const a = current.indexOf(start);
  const b = current.indexOf(end);
  if (a >= 0 && b > a) {
    writeFileSync(doc, current.slice(0, a + start.length) + '\n' + text + '\n' + current.slice(b));
    log('[bench] updated docs/benchmarks.md');
  } else log('[bench] docs/benchmarks.md has no generated section; not updated');
}
rmSync(join(tmp, 'rss.txt'), { force: true });
