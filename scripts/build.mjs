// Bundles the CLI into dist/ so a command starts without resolving and compiling hundreds of module files:
//
//   dist/compose2k8s.cjs    the whole CLI in one script (command modules are still initialised lazily);
//   dist/compose2k8s.cache  V8's code cache for it, made by a training run (convert and config of examples/basic);
//   dist/cli.js             the entry: compiles the script with the cache, so functions the training run used start
//                           as bytecode instead of being parsed and compiled again in every process.
//
// Node 20 has no compile cache for ES modules (module.enableCompileCache is Node 22), hence a script through
// node:vm. A cache from another Node version or other V8 flags is rejected by V8 and the script compiles as usual.
// Heavy, command-specific libraries stay external and are imported lazily by the commands that need them.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const finalDist = fileURLToPath(new URL('../dist/', import.meta.url));
// Everything is made in a private directory that replaces dist/ at the end, so a CLI started meanwhile (tests build
// and spawn it) finds either the old build or the new one.
const dist = fileURLToPath(new URL(`../dist.${process.pid}.tmp/`, import.meta.url));
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
process.on('exit', () => rmSync(dist, { recursive: true, force: true }));

// The bundle is one function expression, run by dist/cli.js with the CommonJS arguments plus the URL the sources
// see as import.meta.url. Everything in it is strict code, as it was as ES modules.
const EXTERNAL = ['@kubernetes/client-node', 'dockerode', 'tar-stream', '@balena/dockerignore', 'kubernetes-models', 'kubernetes-models/*', 'ssh2', 'cpu-features', 'chokidar'];
const isExternal = (specifier) =>
  specifier.startsWith('node:') || EXTERNAL.some((e) => (e.endsWith('/*') ? specifier.startsWith(e.slice(0, -1)) : specifier === e || specifier.startsWith(`${e}/`)));

// commander requires node:child_process when it loads, only to spawn stand-alone executable subcommands (this CLI has
// none); child_process brings net, dgram and the streams with it, about 6 ms of a small `convert`. Require it on use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const eager = "const childProcess = require('node:child_process');";
      if (!text.includes(eager)) throw new Error(`${args.path}: no "${eager}" to make lazy; see scripts/build.mjs`);
      return { contents: text.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};

const bundle = await build({
  stdin: { contents: "export { run } from './src/cli/run.ts';", resolveDir: root, sourcefile: 'compose2k8s-entry.ts', loader: 'ts' },
  outfile: `${dist}compose2k8s.cjs`,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  charset: 'ascii',
  define: { 'import.meta.url': '__c2kImportMetaUrl' },
  banner: { js: '(function (exports, require, module, __filename, __dirname, __c2kImportMetaUrl, __c2kImport) {"use strict";' },
  footer: { js: '})' },
  external: EXTERNAL,
  plugins: [lazyChildProcess],
  write: false,
  logLevel: 'warning',
});
// Code compiled through node:vm cannot use import() without an experimental Node feature (and V8's code cache drops
// the callback anyway), so the lazy imports of external and built-in modules go through dist/cli.js, which sits in the
// same directory and therefore resolves them exactly as before.
for (const f of bundle.outputFiles) {
  let text = f.text;
  if (f.path.endsWith('.cjs')) {
    // Every internal import() was bundled, so each one left names an external or built-in module. A literal specifier
    // that is neither means the text matched is not an import() call: stop rather than change it.
    text = text.replace(/(?<![\w$.])import\((\s*)(["'`]?)([^"'`)]*)/g, (m, space, quote, specifier) => {
      if (quote && !isExternal(specifier)) throw new Error(`dist/compose2k8s.cjs: unexpected import(${quote}${specifier}${quote}); see scripts/build.mjs`);
      return `__c2kImport(${space}${quote}${specifier}`;
    });
  }
  writeFileSync(f.path, text);
}

// How dist/cli.js and the training run load the bundle: the same source, file name and options, so that V8 accepts
// the cache the training run makes. `source` is where the text is read from (the training run reads it before dist/
// is in place); `file` is the name V8 keeps in the cache and stack traces show, so it is always dist/'s.
const loadCli = (cacheFile, source = 'file') => `const file = dist + 'compose2k8s.cjs';
let cachedData;
try {
  cachedData = readFileSync(${cacheFile});
} catch {}
// The bundle is pure ASCII (charset: 'ascii'), so latin1 reads the same text without UTF-8 decoding (half the time).
const script = new Script(readFileSync(${source}, 'latin1'), { filename: file, cachedData });
const bundle = { exports: {} };
// This file's own require resolves from dist/ exactly as one made for the bundle would; node:module costs 6 ms to load.
script.runInThisContext()(bundle.exports, require, bundle, file, dirname(file), pathToFileURL(file).href, importLazily);
const { run } = bundle.exports;`;
// The bundle's lazy imports: built-in modules through require (no ES module loader work for them), the external
// libraries through import(), which resolves them from dist/ exactly as before.
const importLazily = `const importLazily = (specifier) => (specifier.startsWith('node:') ? Promise.resolve().then(() => require(specifier)) : import(specifier));`;
const requires = `const { readFileSync } = require('node:fs');
const { dirname } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');`;

// dist/ is CommonJS (dist/package.json): a CommonJS entry starts without Node's ES module loader, which costs a
// small project's `convert` about a tenth of its time.
writeFileSync(`${dist}package.json`, '{ "type": "commonjs" }\n');
const loader = `#!/usr/bin/env -S node --
// Entry of the compose2k8s CLI (generated by scripts/build.mjs): compiles dist/compose2k8s.cjs with V8's code cache
// when there is a usable one, then runs the command.
'use strict';
${requires}
${importLazily}
const dist = __dirname + '/';
${loadCli("dist + 'compose2k8s.cache'")}
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
`;
writeFileSync(`${dist}cli.js`, loader, { mode: 0o755 });

// Training run: a fresh process loads the bundle exactly as dist/cli.js does, runs typical commands with their output
// discarded, and saves the code cache, which then holds the bytecode of every function those commands used.
const train = `${requires}
${importLazily}
const { writeFileSync } = require('node:fs');
const dist = ${JSON.stringify(finalDist)};
${loadCli("'/nonexistent'", JSON.stringify(`${dist}compose2k8s.cjs`))}
const example = ${JSON.stringify(`${root}examples/basic/compose.yaml`)};
(async () => {
  for (const argv of [['convert', '-f', example], ['config', '-f', example, '--format', 'json'], ['config', '-f', example]]) {
    if ((await run(argv)) !== 0) throw new Error('training run failed: ' + argv.join(' '));
  }
  process.exitCode = 0;
  writeFileSync(${JSON.stringify(dist)} + 'compose2k8s.cache', script.createCachedData());
})();
`;
const r = spawnSync(process.execPath, ['--input-type=commonjs', '-e', train], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
if (r.status !== 0) {
  // Not fatal: without a cache the CLI only starts slower.
  console.warn(`warning: no code cache for dist/compose2k8s.cjs (training run failed):\n${r.stderr}`);
}
rmSync(finalDist, { recursive: true, force: true });
renameSync(dist, finalDist);
