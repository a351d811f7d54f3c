import { Command, Option } from 'commander';
import { addProjectOptions } from './project-options.js';

/** Registers every command; each action imports its implementation lazily so a command loads only what it uses. */
export function registerCommands(program: Command): void {
  addProjectOptions(
    program
      .command('config')
      .description('print the normalized compose model, like `docker compose config`')
      .argument('[service...]', 'only these services (and enable their profiles)')
      .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
      .option('--services', 'print the service names, one per line')
      .option('--volumes', 'print the volume names, one per line')
      .option('--networks', 'print the network names, one per line')
      .option('--profiles', 'print the profile names, one per line')
      .option('--images', 'print the image names, one per line')
      .option('--no-interpolate', "don't interpolate environment variables")
      .option('-o, --output <file>', 'write to a file instead of stdout'),
  ).action(async (services: string[], opts) => {
    const { configCommand } = await import('./config.js');
    await configCommand(services, opts);
  });
}
