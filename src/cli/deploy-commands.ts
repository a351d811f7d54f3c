// The deploy commands: apply, diff, up, watch, down, status. The compose-to-objects step is injected (`deps.convert`) so
// this module never imports the lowering code, and the deploy stage itself is imported lazily inside each action
// so that `convert` and friends never load it (nor @kubernetes/client-node).
import { Command, Option } from 'commander';
import { applyAndWait, concurrencyOf, durationFlag, lockOptionsOf, namespaceOf, withCluster, type ConvertResult, type DeployDeps, type DeployFlags } from './deploy-run.js';

export type { ConvertResult, DeployDeps, DeployFlags } from './deploy-run.js';

function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('-n, --namespace <namespace>', "namespace (default: the project's, else the context's, else default)")
    .option('--field-manager <name>', 'server-side apply field manager', 'compose2k8s')
    .option('--request-timeout <duration>', 'give up on a request (and retry it) when the server sends nothing for this long', '60s')
    .addOption(new Option('--concurrency <n>', 'objects sent at once').default('32').hideHelp());
}

function addLockOptions(cmd: Command): Command {
  return cmd
    .option('--lock-timeout <duration>', "how long to wait while another apply/up/down of the project holds its lock (0: don't wait)", '2m')
    .addOption(new Option('--lock-ttl <duration>', 'how long the lock lives without renewal').default('30s').hideHelp());
}

function addApplyOptions(cmd: Command, defaults: { prune: boolean; wait: boolean; dryRun?: false }): Command {
  addLockOptions(addConnectionOptions(cmd));
  if (defaults.dryRun !== false) {
    cmd.addOption(new Option('--dry-run [mode]', 'only show what would happen: server (validated by the API server) or client').choices(['server', 'client', 'none']).preset('server'));
  }
  cmd
    .option('--force-conflicts', 'take ownership of fields other field managers own')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .option('--no-create-namespace', "fail instead of creating the namespace when it doesn't exist")
    .addOption(new Option('--no-skip-unchanged', 'send every object, even those provably unchanged').hideHelp());
  if (defaults.prune) cmd.option('--no-prune', 'keep objects of this project that are no longer in the compose file');
  else cmd.option('--prune', 'delete objects of this project that are no longer in the compose file');
  if (defaults.wait) cmd.option('--no-wait', "don't wait for the objects to become ready");
  else cmd.option('--wait', 'wait until every object is ready (rolled out, complete, bound)');
  return cmd;
}

/** apply and up: convert, server-side apply, optionally prune and wait. */
async function applyCommand(flags: DeployFlags, deps: DeployDeps, command: 'apply' | 'up'): Promise<void> {
  const timeoutMs = await durationFlag('--timeout', flags.timeout);
  const lock = await lockOptionsOf(flags, command);
  const converted = await deps.convert({ ...flags, command });
  const dryRun = flags.dryRun ?? 'none';
  if (dryRun === 'client') {
    // No cluster needed at all.
    const { applyObjects } = await import('../deploy/apply.js');
    const { formatApply } = await import('../deploy/report.js');
    const { clusterFrom } = await import('../deploy/client.js');
    const offline = clusterFrom({ server: '', request: () => Promise.reject(new Error('no requests in client dry run')), close: () => {} }, () => Promise.reject(new Error('no watches')));
    const result = await applyObjects(converted.objects, { cluster: offline, namespace: flags.namespace || converted.namespace || 'default', projectName: converted.projectName, dryRun });
    process.stdout.write(formatApply(result, { dryRun }).stdout);
    return;
  }
  await withCluster(flags, async (cluster) => {
    if (!(await applyAndWait(flags, converted, cluster, { dryRun, lock, timeoutMs }))) process.exitCode = 1;
  });
}

async function diffCommand(flags: DeployFlags, deps: DeployDeps): Promise<void> {
  try {
    const converted = await deps.convert({ ...flags, command: 'diff' });
    await withCluster(flags, async (cluster) => {
      const { diffObjects } = await import('../deploy/diff.js');
      const result = await diffObjects(converted.objects, {
        cluster,
        namespace: namespaceOf(flags, converted, cluster.config?.contextNamespace),
        projectName: converted.projectName,
        fieldManager: flags.fieldManager,
        forceConflicts: flags.forceConflicts,
        prune: flags.prune,
        createNamespace: true,
        namespaceLabels: converted.namespaceLabels,
        concurrency: concurrencyOf(flags),
      });
      process.stdout.write(result.text);
      // Like kubectl diff: 0 no differences, 1 differences, >1 error.
      process.exitCode = result.failed ? 2 : result.changed ? 1 : 0;
    }, 2);
  } catch (e) {
    const { DiagnosticError, formatDiagnostic } = await import('../model/diagnostics.js');
    if (e instanceof DiagnosticError) for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    else process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}

async function downCommand(flags: DeployFlags, deps: DeployDeps): Promise<void> {
  const lock = await lockOptionsOf(flags, 'down');
  const converted = await projectOf(flags, deps, 'down');
  await withCluster(flags, async (cluster) => {
    const { deleteSet } = await import('../deploy/set.js');
    const { formatDelete, parseDuration } = await import('../deploy/report.js');
    const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
    const result = await deleteSet({
      cluster,
      namespace,
      projectName: converted.projectName,
      fieldManager: flags.fieldManager,
      dryRun: flags.dryRun === 'server',
      concurrency: concurrencyOf(flags),
      waitTimeoutMs: flags.wait ? parseDuration(flags.timeout) : undefined,
      lock,
      log: undefined,
    });
    const text = formatDelete(result, `project ${converted.projectName} in namespace ${namespace}`, flags.dryRun === 'server');
    process.stdout.write(text.stdout);
    process.stderr.write(text.stderr);
    if (result.errors.length > 0 || result.remaining.length > 0) process.exitCode = 1;
  });
}

/** down and status need only the project name and namespace: with -p they work without a compose file. */
async function projectOf(flags: DeployFlags, deps: DeployDeps, command: string): Promise<ConvertResult> {
  try {
    return await deps.convert({ ...flags, command });
  } catch (e) {
    if (typeof flags.projectName === 'string' && flags.projectName) return { objects: [], projectName: flags.projectName };
    throw e;
  }
}

async function statusCommand(flags: DeployFlags, deps: DeployDeps): Promise<void> {
  const converted = await projectOf(flags, deps, 'status');
  await withCluster(flags, async (cluster) => {
    const { setStatus } = await import('../deploy/set.js');
    const { formatStatus } = await import('../deploy/report.js');
    const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
    const st = await setStatus({ cluster, namespace, projectName: converted.projectName });
    if (!st.found) {
      process.stderr.write(`no objects of project ${converted.projectName} in namespace ${namespace} (nothing applied yet?)\n`);
      return;
    }
    process.stdout.write(formatStatus(st.members));
  });
}

export function registerDeployCommands(program: Command, deps: DeployDeps): void {
  addApplyOptions(
    deps.addProjectOptions(program.command('apply').description('convert the project and server-side apply it to the cluster')),
    { prune: false, wait: false },
  ).action(async (opts: DeployFlags) => applyCommand(opts, deps, 'apply'));

  addConnectionOptions(deps.addProjectOptions(program.command('diff').description('show what apply would change (exit 1 when something would)')))
    .option('--prune', 'also show the objects apply --prune would delete')
    .option('--force-conflicts', 'diff as if taking ownership of conflicting fields')
    .action(async (opts: DeployFlags) => diffCommand(opts, deps));

  addApplyOptions(
    deps.addProjectOptions(
      program
        .command('up')
        .description('build and push images (for services with build:), apply, prune what was removed, and wait until ready'),
    ),
    { prune: true, wait: true },
  )
    .option('--build', 'build images (default: for services with build:)')
    .option('--no-build', "don't build images")
    .option('--push', 'push built images (default: when building)')
    .option('--no-push', "don't push images")
    .action(async (opts: DeployFlags) => applyCommand(opts, deps, 'up'));

  addApplyOptions(
    deps.addProjectOptions(
      program
        .command('watch')
        .description('up, then keep the cluster in step with the files of the develop.watch rules (sync, rebuild, restart) until Ctrl-C')
        .argument('[service...]', 'only watch these services (default: every service with develop.watch)'),
    ),
    { prune: true, wait: true, dryRun: false },
  )
    .option('--no-up', "don't build, push and apply first: watch what is deployed")
    .option('--no-push', "don't push rebuilt images (the cluster must see the local engine's images)")
    .action(async (services: string[], opts: DeployFlags) => {
      const { watchCommand } = await import('./watch.js');
      await watchCommand(services, opts, deps);
    });

  addLockOptions(addConnectionOptions(deps.addProjectOptions(program.command('down').description('delete every object this project applied'))))
    .addOption(new Option('--dry-run [mode]', 'only show what would be deleted (server)').choices(['server']).preset('server'))
    .option('--wait', 'wait until the objects are gone')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .action(async (opts: DeployFlags) => downCommand(opts, deps));

  addConnectionOptions(deps.addProjectOptions(program.command('status').description("show each of the project's objects and whether it is ready")))
    .action(async (opts: DeployFlags) => statusCommand(opts, deps));
}
