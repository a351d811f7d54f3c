// The deploy commands: apply, diff, up, watch, down, status. The compose-to-objects step is injected (`deps.convert`) so
// this module never imports the lowering code, and the deploy stage itself is imported lazily inside each action
// so that `convert` and friends never load it (nor @kubernetes/client-node).
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  addConnectionOptions,
  applyAndWait,
  addLockOptions,
  concurrencyOf,
  durationFlag,
  lockOptionsOf,
  namespaceOf,
  projectOf,
  withCluster,
  type DeployDeps,
  type DeployFlags,
} from './deploy-common.js';

export type { ConvertResult, DeployDeps, DeployFlags } from './deploy-common.js';

/** `--keep-images N`: images kept per service, the current one included (at least 1). */
function keepImagesArg(v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('expected a whole number >= 1 (the current image is always kept)');
  return Number(v);
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
    .option('--no-resolve-digests', 'deploy image tags as written instead of pinning each to the digest it points to now (registry API)')
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
  // (--dry-run's preset is `server`; `true` is update's and rollback's plain switch.)
  const dryRun = flags.dryRun === true ? 'server' : (flags.dryRun ?? 'none');
  // A client dry run needs nothing on the network, registries included.
  const offline = dryRun === 'client' && flags.resolveDigests !== false ? { resolveDigests: false, offlineBecause: '--dry-run=client' } : {};
  const converted = await deps.convert({ ...flags, ...offline, command });
  if (dryRun === 'client') {
    // No cluster needed at all.
    const { applyObjects, formatApply, clusterFrom } = await import('../deploy/index.js');
    const offline = clusterFrom({ server: '', request: () => Promise.reject(new Error('no requests in client dry run')), close: () => {} }, () => Promise.reject(new Error('no watches')));
    const result = await applyObjects(converted.objects, { cluster: offline, namespace: flags.namespace || converted.namespace || 'default', projectName: converted.projectName, dryRun });
    process.stdout.write(formatApply(result, { dryRun }).stdout);
    return;
  }
  const mode = dryRun;
  await withCluster(flags, async (cluster) => {
    if (!(await applyAndWait(flags, converted, cluster, { dryRun: mode, lock, timeoutMs }))) {
      process.exitCode = 1;
      return;
    }
    const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
    // Superseded images of the services this run built go once the new ones run (and never one still in use).
    if (command === 'up' && dryRun === 'none' && flags.build !== false) {
      const { pruneAfterRollout } = await import('./image-update.js');
      await pruneAfterRollout({ cluster, namespace, projectName: converted.projectName, project: converted.project, workingDir: converted.workingDir, flags, pushed: flags.push !== false });
    }
  });
}

async function diffCommand(flags: DeployFlags, deps: DeployDeps): Promise<void> {
  try {
    const converted = await deps.convert({ ...flags, command: 'diff' });
    await withCluster(flags, async (cluster) => {
      const { diffObjects } = await import('../deploy/index.js');
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
    const { deleteSet, formatDelete, parseDuration } = await import('../deploy/index.js');
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

async function statusCommand(flags: DeployFlags, deps: DeployDeps): Promise<void> {
  const converted = await projectOf(flags, deps, 'status');
  await withCluster(flags, async (cluster) => {
    const { setStatus, formatStatus } = await import('../deploy/index.js');
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
    .option('--no-resolve-digests', 'compare the image tags as written instead of the digests they point to now')
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
    .addOption(new Option('--keep-images <n>', 'after the rollout, keep this many images per built service (the current one included) and delete the older ones, locally and in the registry').default(2).argParser(keepImagesArg))
    .option('--no-prune-images', "don't delete superseded built images after the rollout")
    .action(async (opts: DeployFlags) => applyCommand(opts, deps, 'up'));

  addLockOptions(
    addConnectionOptions(
      deps.addProjectOptions(
        program
          .command('update')
          .description("re-resolve the image tags the deployed project follows and roll exactly the workloads whose digest moved, then wait")
          .argument('[service...]', 'only these services'),
      ),
    ),
  )
    .option('--every <duration>', 'keep checking, this often (with jitter; backing off while the registry fails), until Ctrl-C')
    .option('--dry-run', 'only list what would roll')
    .option('--force-conflicts', 'take ownership of image fields another field manager changed')
    .option('--no-wait', "don't wait for the rolled workloads to become ready")
    .option('--timeout <duration>', 'how long to wait for the rollout', '5m')
    .addOption(new Option('--keep-images <n>', 'after the rollout, keep this many images per built service (the current one included)').default(2).argParser(keepImagesArg))
    .option('--no-prune-images', "don't delete superseded built images after the rollout")
    .action(async (services: string[], opts: DeployFlags) => {
      const { updateCommand } = await import('./image-update.js');
      await updateCommand(services, opts, deps);
    });

  addLockOptions(
    addConnectionOptions(
      deps.addProjectOptions(
        program
          .command('rollback')
          .description("put back the images the project's workloads ran before their last image change (recorded by up, apply and update), then wait")
          .argument('[service...]', 'only these services'),
      ),
    ),
  )
    .option('--dry-run', 'only list what would roll back')
    .option('--force-conflicts', 'take ownership of image fields another field manager changed')
    .option('--no-wait', "don't wait for the workloads to become ready")
    .option('--timeout <duration>', 'how long to wait for the rollout', '5m')
    .action(async (services: string[], opts: DeployFlags) => {
      const { rollbackCommand } = await import('./image-update.js');
      await rollbackCommand(services, opts, deps);
    });

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
