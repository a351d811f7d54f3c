// The project flags shared by every command, named like `docker compose`'s (-f, -p, --profile, --env-file,
// --project-directory). They are accepted before the command, as `docker compose -f a.yaml config` takes them, and
// after it, as this CLI always took them: the program and every command declare the same options (from the table
// below) and `mergeProjectFlags` joins the two positions before the command runs.
import { Command, Option } from 'commander';
import type { LoadOptions } from '../compose/loader.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The help heading of the project flags, in `compose2k8s --help` and in each command's help. */
export const PROJECT_OPTIONS_HEADING = 'Project options (before or after the command):';

interface ProjectOption {
  flags: string;
  description: string;
  /** docker compose's string arrays: each use adds a value (else the last use of one position wins). */
  repeatable?: boolean;
}

const PROJECT_OPTIONS: readonly ProjectOption[] = [
  { flags: '-f, --file <file>', description: 'compose file (repeatable; - reads stdin)', repeatable: true },
  { flags: '-p, --project-name <name>', description: 'project name' },
  { flags: '--project-directory <dir>', description: 'alternate working directory (default: the directory of the first compose file)' },
  { flags: '--profile <profile>', description: 'enable a profile (repeatable)', repeatable: true },
  { flags: '--env-file <file>', description: 'alternate environment file (repeatable)', repeatable: true },
  {
    flags: '--restrict-paths',
    description: 'fail (instead of warning) when env files, bind mounts, build contexts, secret or config files are outside the project directory or special files',
  },
];

function projectOption(def: ProjectOption): Option {
  const option = new Option(def.flags, def.description).helpGroup(PROJECT_OPTIONS_HEADING);
  return def.repeatable ? option.argParser(collect) : option;
}

export function addProjectOptions(cmd: Command): Command {
  for (const def of PROJECT_OPTIONS) cmd.addOption(projectOption(def));
  return cmd;
}

/**
 * How many argv entries the project flag `arg` starts (2 for `-f x`, 1 for `--file=x`, `-fx` or `--restrict-paths`),
 * 0 when `arg` is not a project flag; this finds the command after the flags before it.
 */
export function projectFlagSpan(arg: string): number {
  for (const def of PROJECT_OPTIONS) {
    const o = new Option(def.flags);
    if (arg === o.long || arg === o.short) return o.required ? 2 : 1;
    if (o.required && (arg.startsWith(`${o.long}=`) || (o.short !== undefined && arg.startsWith(o.short)))) return 1;
  }
  return 0;
}

/**
 * Gives `command` the project flags given before it (on `program`): repeatable flags accumulate, before ones first;
 * a single-valued flag given in both positions is a usage error (docker compose refuses project flags after its
 * commands, so there is no rule to follow for that, and silently picking one would hide a typo).
 */
export function mergeProjectFlags(program: Command, command: Command): void {
  if (command === program) return;
  for (const def of PROJECT_OPTIONS) {
    const o = new Option(def.flags);
    const key = o.attributeName();
    const before: unknown = program.getOptionValue(key);
    if (before === undefined) continue;
    const after: unknown = command.getOptionValue(key);
    let merged = before;
    if (def.repeatable) merged = [...(before as string[]), ...((after as string[] | undefined) ?? [])];
    else if (o.required && after !== undefined) {
      const name = [o.short, o.long].filter(Boolean).join('/');
      command.error(`error: ${name} is given both before and after the command ("${before}" and "${after}"); give it once`, {
        exitCode: 2,
        code: 'compose2k8s.projectFlagTwice',
      });
    }
    command.setOptionValueWithSource(key, merged, 'cli');
  }
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
