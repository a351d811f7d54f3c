// The project flags shared by every command, named like `docker compose`'s (-f, -p, --profile, --env-file, --project-directory).
import { Command, Option } from 'commander';
import type { LoadOptions } from '../compose/loader.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function addProjectOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --file <file>', 'compose file (repeatable; - reads stdin)').argParser(collect))
    .option('-p, --project-name <name>', 'project name')
    .option('--project-directory <dir>', 'alternate working directory (default: the directory of the first compose file)')
    .addOption(new Option('--profile <profile>', 'enable a profile (repeatable)').argParser(collect))
    .addOption(new Option('--env-file <file>', 'alternate environment file (repeatable)').argParser(collect))
    .option('--restrict-paths', 'fail (instead of warning) when env files, bind mounts, build contexts, secret or config files are outside the project directory or special files');
}

export interface ProjectFlags {
  file?: string[];
  projectName?: string;
  projectDirectory?: string;
  profile?: string[];
  envFile?: string[];
  restrictPaths?: boolean;
}

export function loadOptionsFrom(flags: ProjectFlags, extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    files: flags.file,
    projectName: flags.projectName,
    projectDirectory: flags.projectDirectory,
    profiles: flags.profile,
    envFiles: flags.envFile,
    restrictPaths: flags.restrictPaths,
    ...extra,
  };
}
