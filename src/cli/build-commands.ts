// `compose2k8s build` and `compose2k8s images prune`. Only commander is loaded up front: the actions import
// the loader and the build stage (and through it dockerode) when they run.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ProjectFlags } from './project-options.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

function wholeNumber(min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return Number(v);
  };
}

interface BuildFlags extends ProjectFlags {
  push?: boolean;
  registry?: string;
  insecureRegistry?: string[];
  parallel?: number;
  progress: 'auto' | 'tty' | 'plain' | 'quiet';
  builder: 'auto' | 'classic' | 'buildkit';
  format: 'text' | 'json';
}

interface PruneFlags extends ProjectFlags {
  keep: number;
  registry?: string;
  insecureRegistry?: string[];
  dryRun?: boolean;
}

export function registerBuildCommands(program: Command, addProjectOptions: (cmd: Command) => Command): void {
  addProjectOptions(
    program
      .command('build')
      .description('build (and push) the images of the services that have a build section; unchanged inputs are not rebuilt')
      .argument('[service...]', 'only these services')
      .option('--push', 'push the images and report them pinned by digest')
      .option('--registry <registry>', 'HOST[:PORT][/NAMESPACE] to tag and push the images under')
      .addOption(new Option('--insecure-registry <host>', 'registry HOST[:PORT] that may be reached over plain HTTP (repeatable)').argParser(collect))
      .addOption(new Option('--parallel <n>', 'builds at once (default: number of CPUs)').argParser(wholeNumber(1)))
      .addOption(new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'quiet']).default('auto'))
      .addOption(new Option('--builder <kind>', 'Engine API builder (auto: DOCKER_BUILDKIT, else the engine default)').choices(['auto', 'classic', 'buildkit']).default('auto'))
      .addOption(new Option('--format <format>', 'result on stdout').choices(['text', 'json']).default('text')),
  ).action(async (services: string[], flags: BuildFlags) => {
    await buildCommand(services, flags);
  });

  const images = program.command('images').description('manage the images compose2k8s built');
  addProjectOptions(
    images
      .command('prune')
      .description('delete superseded images built for this project, keeping the newest N per service (and the current one)')
      .addOption(new Option('--keep <n>', 'images to keep per service').argParser(wholeNumber(0)).default(1))
      .option('--registry <registry>', 'also delete superseded tags in this registry (HOST[:PORT][/NAMESPACE]) if it allows deletes')
      .addOption(new Option('--insecure-registry <host>', 'registry HOST[:PORT] that may be reached over plain HTTP (repeatable)').argParser(collect))
      .option('--dry-run', 'only list what would be deleted'),
  ).action(async (flags: PruneFlags) => {
    await pruneCommand(flags);
  });
}

async function load(flags: ProjectFlags, services: string[]) {
  const { loadProject } = await import('../compose/loader.js');
  const { loadOptionsFrom } = await import('./project-options.js');
  const { Diagnostics } = await import('../model/diagnostics.js');
  const diagnostics = new Diagnostics();
  const loaded = loadProject(loadOptionsFrom(flags, { diagnostics, services: services.length > 0 ? services : undefined }));
  return { loaded, diagnostics };
}

export async function buildCommand(services: string[], flags: BuildFlags): Promise<void> {
  const { loaded, diagnostics } = await load(flags, services);
  const { printWarnings } = await import('./output.js');
  printWarnings(diagnostics);
  diagnostics.items.length = 0;
  const { buildAndPush } = await import('../build/index.js');
  const { interruptible } = await import('./interrupt.js');
  const result = await interruptible((signal) =>
    buildAndPush(loaded.project, {
      services: services.length > 0 ? services : undefined,
      push: flags.push,
      registry: flags.registry,
      insecureRegistries: flags.insecureRegistry,
      parallel: flags.parallel,
      progress: flags.progress,
      builder: flags.builder,
      diagnostics,
      signal,
      workingDir: loaded.source.workingDir,
    }),
  );
  printWarnings(diagnostics);
  if (flags.format === 'json') {
    process.stdout.write(JSON.stringify(Object.fromEntries(result), null, 2) + '\n');
    return;
  }
  const width = Math.max(0, ...[...result.keys()].map((k) => k.length));
  for (const [name, r] of result) {
    const what = [r.built ? 'built' : 'unchanged', r.uploaded ? 'pushed' : r.pushed ? 'already in registry' : 'local only'].join(', ');
    process.stdout.write(`${name.padEnd(width)}  ${r.reference}  (${what})\n`);
  }
}

export async function pruneCommand(flags: PruneFlags): Promise<void> {
  const { loaded, diagnostics } = await load(flags, []);
  const { printWarnings } = await import('./output.js');
  const { pruneImages } = await import('../build/index.js');
  const result = await pruneImages(loaded.project, {
    keep: flags.keep,
    registry: flags.registry,
    insecureRegistries: flags.insecureRegistry,
    dryRun: flags.dryRun,
    diagnostics,
    workingDir: loaded.source.workingDir,
    log: (line) => process.stderr.write(line + '\n'),
  });
  printWarnings(diagnostics);
  const verb = flags.dryRun ? 'would remove' : 'removed';
  process.stdout.write(
    `${verb} ${result.removed.length} local image(s), kept ${result.kept.length}` +
      (flags.registry ? `; ${flags.dryRun ? 'would delete' : 'deleted'} ${result.registryRemoved.length} registry tag(s), kept ${result.registryKept.length}` : '') +
      '\n',
  );
}
