// Ctrl-C (or TERM) during builds and pushes: abort them (the engine cancels a build or push when its connection
// closes), say what was not finished, and exit like `apply` does (130 for SIGINT, 143 for SIGTERM). A second signal
// ends the process at once (the handlers are `once`).

/** Runs `work` with a signal that Ctrl-C/TERM aborts; exits 130/143 when it failed because of that. */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(abort.signal);
  } catch (e) {
    if (interrupted) {
      const { DiagnosticError, formatDiagnostic } = await import('../model/diagnostics.js');
      const { forDisplay } = await import('./output.js');
      if (e instanceof DiagnosticError) for (const d of e.diagnostics) process.stderr.write(formatDiagnostic(forDisplay(d)) + '\n');
      else process.stderr.write(`error: interrupted (${interrupted})\n`);
      process.exit(interrupted === 'SIGINT' ? 130 : 143);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
