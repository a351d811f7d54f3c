// `compose2k8s watch [SERVICE...]`: up (unless --no-up), then a watch session (src/watch/) until Ctrl-C or SIGTERM,
// which ends it with exit 0, or 130/143 when a build, rollout or restart was cut short; a second signal ends the
// process at once. The deployment keeps running.
import { DiagnosticError } from '../model/diagnostics.js';
import { locate } from './output.js';
import { applyAndWait, durationFlag, lockOptionsOf, namespaceOf, withCluster, type DeployDeps, type DeployFlags } from './deploy-common.js';

export async function watchCommand(services: string[], flags: DeployFlags, deps: DeployDeps): Promise<void> {
  const timeoutMs = await durationFlag('--timeout', flags.timeout);
  const lock = await lockOptionsOf(flags, 'watch');
  const converted = await deps.convert({ ...flags, command: 'watch' });
  const { loaded, placements } = converted;
  if (!loaded || !placements) throw new Error('the conversion did not return the project to watch');
  const { checkRules, runWatch } = await import('../watch/index.js');
  // Bad rules are reported before anything is deployed, each at its file and line.
  try {
    checkRules(loaded.project, services, loaded.source.workingDir);
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    throw new DiagnosticError(e.diagnostics.map((d) => locate(d, loaded.locations)));
  }
  await withCluster(flags, async (cluster) => {
    if (flags.up !== false && !(await applyAndWait(flags, converted, cluster, { dryRun: 'none', lock, timeoutMs }))) {
      process.exitCode = 1;
      return;
    }
    const abort = new AbortController();
    let received: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) process.exit(received === 'SIGINT' ? 130 : 143);
      received = signal;
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const outcome = await runWatch({
        project: loaded.project,
        workingDir: loaded.source.workingDir,
        services,
        placements,
        objects: converted.objects,
        cluster,
        namespace: namespaceOf(flags, converted, cluster.config?.contextNamespace),
        projectName: converted.projectName,
        build: {
          push: flags.push !== false,
          registry: flags.registry as string | undefined,
          insecureRegistries: flags.insecureRegistry as string[] | undefined,
          parallel: flags.parallel as number | undefined,
        },
        apply: { fieldManager: flags.fieldManager, forceConflicts: flags.forceConflicts, lock },
        timeoutMs,
        print: (line) => process.stdout.write(`${line}\n`),
        warn: (line) => process.stderr.write(`${line}\n`),
        signal: abort.signal,
        afterRollout: async () => {
          const { pruneAfterRollout } = await import('./image-update.js');
          const namespace = namespaceOf(flags, converted, cluster.config?.contextNamespace);
          await pruneAfterRollout({ cluster, namespace, projectName: converted.projectName, project: loaded.project, workingDir: loaded.source.workingDir, flags, pushed: flags.push !== false });
        },
      });
      process.exitCode = outcome.interrupted ? (received === 'SIGTERM' ? 143 : 130) : 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
