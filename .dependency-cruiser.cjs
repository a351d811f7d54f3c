// The import rules of docs/architecture.md, checked by test/architecture/imports.test.ts (`npx depcruise src`).
// Stages, in the order data flows: model (shared) -> compose -> lower -> emit | build | deploy -> compile -> watch -> cli.
/** @type {import('dependency-cruiser').IConfiguration} */
const STAGES = ['compose', 'lower', 'emit', 'build', 'deploy', 'compile', 'watch', 'cli'];
// What each stage may import besides model/ and itself (through the entry module index.ts, except cli/).
const MAY_IMPORT = {
  compose: [],
  lower: [],
  emit: ['compose', 'lower'],
  build: ['compose', 'lower'],
  deploy: [],
  compile: ['compose', 'lower', 'emit', 'build'],
  watch: ['compose', 'lower', 'build', 'deploy', 'compile'],
  cli: ['compose', 'lower', 'emit', 'build', 'deploy', 'compile', 'watch'],
};
const later = (stage) =>
  STAGES.filter((s) => s !== stage && !MAY_IMPORT[stage].includes(s)).join('|');

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import circles; type-only imports are erased by the compiler and cannot form one at run time',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'model-imports-nothing',
      severity: 'error',
      comment: 'src/model is the shared vocabulary: it imports no stage',
      from: { path: '^src/model/' },
      to: { path: `^src/(${STAGES.join('|')})/` },
    },
    ...STAGES.filter((s) => later(s)).map((stage) => ({
      name: `${stage}-imports-only-earlier-stages`,
      severity: 'error',
      comment: `${stage}/ may import model/ and ${MAY_IMPORT[stage].join(', ') || 'no other stage'}`,
      from: { path: `^src/${stage}/` },
      to: { path: `^src/(${later(stage)})/` },
    })),
    ...['emit', 'build', 'deploy', 'compile', 'watch'].map((stage) => ({
      name: `${stage}-imports-entry-modules`,
      severity: 'error',
      comment: `${stage}/ reaches other stages only through their entry module (index.ts)`,
      from: { path: `^src/${stage}/` },
      to: { path: `^src/(?!${stage}/|model/)[^/]+/(?!index\\.ts$)` },
    })),
    {
      name: 'cli-imports-deploy-entry',
      severity: 'error',
      comment:
        'the deploy commands use deploy/ through its entry module: it loads no heavy library, so reaching past it saves nothing (other stages may be imported module by module, to keep convert fast)',
      from: { path: '^src/cli/' },
      to: { path: '^src/deploy/(?!index\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
