import { Command, InvalidArgumentError, Option } from 'commander';
import { registerBuildCommands } from './build-commands.js';
import { registerDeployCommands } from './deploy-commands.js';
import { addPackageOptions } from './package-options.js';
import { addProjectOptions, projectFlagSpan } from './project-options.js';

const BUILD_COMMANDS = ['build', 'images'];
const DEPLOY_COMMANDS = ['apply', 'diff', 'up', 'watch', 'down', 'status', 'update', 'rollback'];
const COMMANDS = ['config', 'convert', 'check', 'report', ...BUILD_COMMANDS, ...DEPLOY_COMMANDS];

/**
 * The command `argv` runs when it names one (after --debug and the project flags); undefined for help, unknown
 * commands and no command, which need every command registered.
 */
export function invokedCommand(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; ) {
    const arg = argv[i]!;
    const span = arg === '--debug' ? 1 : projectFlagSpan(arg);
    if (span === 0) return COMMANDS.includes(arg) ? arg : undefined;
    i += span;
  }
  return undefined;
}

/**
 * Registers the commands (only `only`'s group when given: setting up a dozen commands' options is a noticeable part
 * of a small `convert`); each action imports its implementation lazily so a command loads only what it uses.
 */
export function registerCommands(program: Command, only?: string): void {
  const want = (...names: string[]) => only === undefined || names.includes(only);
  if (want('config')) addProjectOptions(
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

  if (want('convert')) addPackageOptions(addConvertOptions(addProjectOptions(program.command('convert').description('convert the compose project into Kubernetes manifests')))).action(
    async (opts) => {
      const { convertCommand } = await import('./convert.js');
      await convertCommand(opts);
    },
  );

  if (want('check')) addLoweringOptions(addProjectOptions(program.command('check').description('check each service against a Pod Security Standards level; print what breaks it (exit 1 when a service is below), no manifests')), { podSecurityDefault: 'restricted' })
    .option('-n, --namespace <namespace>', 'the namespace the project would be converted for')
    .action(async (opts) => {
      const { checkCommand } = await import('./check.js');
      await checkCommand(opts);
    });

  if (want(...BUILD_COMMANDS)) registerBuildCommands(program, addProjectOptions);

  if (want(...DEPLOY_COMMANDS)) registerDeployCommands(program, {
    addProjectOptions: (cmd) => addImageOptions(addLoweringOptions(addProjectOptions(cmd))),
    convert: async (flags) => {
      const { convertForDeploy } = await import('./convert.js');
      return convertForDeploy(flags);
    },
  });

  if (!want('report')) return;
  const report = program
    .command('report')
    .description('write a self-contained HTML page (or Markdown) with the topology, the per-key conversion table and all warnings');
  addLoweringOptions(addProjectOptions(report))
    .option('-n, --namespace <namespace>', 'set metadata.namespace on every object')
    .option('-o, --output <file>', 'where to write the report', 'report.html')
    .addOption(new Option('--format <format>', 'report format').choices(['html', 'md']).default('html'))
    .action(async (opts) => {
      const { reportCommand } = await import('./report-command.js');
      await reportCommand(opts);
    });
}

/** A Kubernetes quantity of bytes (the pattern of schemas/x-kubernetes.schema.json's storageSize). */
function storageSize(value: string): string {
  if (!/^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$/.test(value)) {
    throw new InvalidArgumentError('not a Kubernetes quantity (e.g. 10Gi, 500M)');
  }
  return value;
}

/** The lowering flags, shared by convert, check, report, apply, diff and up. */
export function addLoweringOptions(cmd: Command, defaults: { podSecurityDefault?: string } = {}): Command {
  const podSecurity = new Option('--pod-security <level>', 'Pod Security Standards level every pod must meet: complete its securityContext and refuse what contradicts it (x-kubernetes.podSecurity wins)').choices(['restricted', 'baseline', 'none']);
  return cmd
    .addOption(defaults.podSecurityDefault ? podSecurity.default(defaults.podSecurityDefault) : podSecurity)
    .addOption(new Option('--pod-security-mode <mode>', 'what a compose key contradicting the level is: an error (enforce, default) or a warning').choices(['enforce', 'warn']))
    .addOption(new Option('--expose <mode>', 'how published ports are exposed outside the cluster').choices(['none', 'nodeport', 'loadbalancer', 'ingress']))
    .addOption(new Option('--controller <kind>', 'workload kind for long-running services').choices(['deployment', 'statefulset', 'daemonset']))
    .option('--volume-size <size>', 'size of PersistentVolumeClaims without an explicit size (default 1Gi)', storageSize)
    .option('--storage-class <name>', 'storageClassName of PersistentVolumeClaims without an explicit class')
    .option('--network-policies', 'emit a NetworkPolicy per compose network')
    .option('--rename-collisions', 'give services whose names collide after sanitizing distinct suffixed names instead of failing')
    .option('--helper-image <image>', 'image of the init containers that wait for dependencies (needs sh and nslookup)')
    .option('--kubectl-image <image>', 'image with kubectl for the waits on depends_on: service_completed_successfully (default registry.k8s.io/kubectl:v1.34.4)')
    .option('--wait-for-started', 'also wait (by DNS) for depends_on: service_started dependencies')
    .option('--allow-host-paths', 'turn bind mounts that cannot become ConfigMaps into hostPath volumes')
    .addOption(new Option('--service-group-mode <mode>', 'run services in one pod by equal kompose.service.group labels (default), by shared writable volumes, or never').choices(['label', 'volume', 'none']))
    .option('--service-group-name <name>', 'with --service-group-mode volume: the workload name of the group')
    .addOption(new Option('--secrets <mode>', 'write secret data (inline) or only reference existing Secrets (default: reference for convert; apply, diff and up create them from their sources)').choices(['inline', 'reference']))
    .option('--validate', 'validate every object against the Kubernetes schema')
    .option('--strict', 'fail when any compose key is ignored, or a service is below its --pod-security level')
    .option('--report', 'print the per-key conversion report to stderr')
    .option('--report-file <file>', 'write the per-key conversion report as JSON');
}

/** Where built images go: shared by convert and up. */
export function addImageOptions(cmd: Command): Command {
  return cmd
    .option('--registry <registry>', 'HOST[:PORT][/NAMESPACE] to push the images under')
    .addOption(new Option('--insecure-registry <host>', 'registry that may be reached over plain HTTP (repeatable)').argParser((v: string, p: string[] = []) => [...p, v]))
    .addOption(new Option('--parallel <n>', 'builds at once (default: number of CPUs)').argParser((v: string) => Number.parseInt(v, 10)));
}

/** convert's own flags: the namespace, the lowering flags and building. */
export function addConvertOptions(cmd: Command): Command {
  return addImageOptions(
    addLoweringOptions(cmd.option('-n, --namespace <namespace>', 'set metadata.namespace on every object and emit the Namespace first'))
      .option('--build', 'build the images of services with build: (Docker Engine API) and use them in the manifests')
      .option('--push', 'push the built images and pin the manifests to the pushed digests (implies --build)')
      .option('--resolve-digests', 'pin every image tag to the digest it points to now (registry API; without it convert never touches the network)'),
  );
}
