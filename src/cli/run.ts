import { Command, CommanderError, Option } from 'commander';
import { DiagnosticError, formatDiagnostic } from '../model/diagnostics.js';
import { VERSION } from '../version.js';
import { forDisplay } from './output.js';
import { addProjectOptions, mergeProjectFlags } from './project-options.js';
import { writeStderr, writeStdout } from './stdio.js';
import { mark, timingReport } from './timing.js';

import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, UsageError } from './exit.js';

export async function run(argv: string[]): Promise<number> {
  mark('start-up');
  const debug = argv.includes('--debug');
  const program = new Command('compose2k8s')
    .description('Compile a Compose project into Kubernetes manifests, build its images and deploy it.')
    .version(VERSION)
    .option('--debug', 'show stack traces for internal errors')
    // The program's options are those before the command; the command's own come after it.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: writeStdout, writeErr: writeStderr });
  // `compose2k8s -f compose.yaml convert`, as `docker compose -f compose.yaml config` and `kompose -f ... convert`.
  addProjectOptions(program).hook('preAction', (_, command) => mergeProjectFlags(program, command));

  const { registerCommands, invokedCommand } = await import('./commands.js');
  registerCommands(program, invokedCommand(argv));
  // `debug` is read from argv above, wherever it is; each command still accepts it after its name.
  for (const command of descendants(program)) command.addOption(new Option('--debug').hideHelp());

  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    return reportError(err, debug);
  } finally {
    writeStderr(timingReport());
  }
}

function descendants(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...descendants(c)]);
}

function reportError(err: unknown, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof DiagnosticError) {
    for (const d of err.diagnostics) writeStderr(formatDiagnostic(forDisplay(d)) + '\n');
    return EXIT_INVALID_INPUT;
  }
  if (err instanceof UsageError) {
    writeStderr(`error: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeStderr(`error: ${message}\n`);
  if (debug && err instanceof Error && err.stack) writeStderr(err.stack + '\n');
  else writeStderr('(internal error; rerun with --debug for details)\n');
  return EXIT_INVALID_INPUT;
}
