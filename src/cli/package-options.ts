// The output/packaging flags of `convert` (and `-o` of `report`): format, output path, Kustomize overlays,
// user templates, chart version. The lead wires them; this module only declares and checks them.
import { Command, InvalidArgumentError, Option } from 'commander';

export type OutputFormat = 'yaml' | 'json' | 'kustomize' | 'helm';

export interface PackageFlags {
  format: OutputFormat;
  /** File (yaml/json; a directory for one file per object when it ends with `/` or exists as one) or directory (kustomize/helm). */
  output?: string;
  /** `NAME=FILE` pairs, in the order given. */
  overlay?: { name: string; file: string }[];
  templates?: string;
  chartVersion?: string;
}

const OVERLAY_NAME = /^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$/i;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export function parseOverlay(value: string, previous: { name: string; file: string }[] = []): { name: string; file: string }[] {
  const eq = value.indexOf('=');
  const name = eq > 0 ? value.slice(0, eq) : '';
  const file = eq > 0 ? value.slice(eq + 1) : '';
  if (!name || !file) throw new InvalidArgumentError(`expected NAME=FILE (e.g. prod=compose.prod.yaml), got "${value}"`);
  if (!OVERLAY_NAME.test(name)) throw new InvalidArgumentError(`overlay name "${name}" must be letters, digits, '-', '_' or '.'`);
  if (previous.some((o) => o.name === name)) throw new InvalidArgumentError(`overlay "${name}" is given twice`);
  return [...previous, { name, file }];
}

function parseChartVersion(value: string): string {
  if (!SEMVER.test(value)) throw new InvalidArgumentError(`"${value}" is not a SemVer 2 version (e.g. 1.2.3)`);
  return value;
}

export function addPackageOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json', 'kustomize', 'helm']).default('yaml'))
    .option('-o, --output <path>', 'yaml/json: a file, or a directory for one file per object; kustomize/helm: the directory to write (replaced atomically)')
    .addOption(
      new Option('--overlay <name=file>', 'kustomize: an overlay from a Compose override file, written to <dir>/overlays/<name> (repeatable)').argParser(parseOverlay),
    )
    .option('--templates <dir>', 'render the Handlebars templates in <dir> (project.*.hbs, service.*.hbs) and add their objects')
    .addOption(new Option('--chart-version <version>', 'helm: the chart version (SemVer 2)').argParser(parseChartVersion).default('0.1.0'));
}

/** Combinations commander cannot check by itself; returns an error message or undefined. */
export function checkPackageFlags(flags: PackageFlags): string | undefined {
  if ((flags.format === 'kustomize' || flags.format === 'helm') && (!flags.output || flags.output === '-')) {
    return `--format ${flags.format} writes a directory: give it with -o <dir>`;
  }
  if (flags.overlay?.length && flags.format !== 'kustomize') return '--overlay needs --format kustomize';
  return undefined;
}
