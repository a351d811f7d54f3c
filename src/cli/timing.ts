// COMPOSE2K8S_TIMING=1 prints on stderr how long each phase of a command took, measured from the start of the
// process, so a slow run can be split into Node's start-up, loading the program, and the work itself
// (docs/benchmarks.md). Off, it costs one environment lookup.
const enabled = !!process.env.COMPOSE2K8S_TIMING;
const marks: [string, number][] = [];

/** Records that `phase` just ended. */
export function mark(phase: string): void {
  if (enabled) marks.push([phase, performance.now()]);
}

/** One line per phase with its duration, or '' when timing is off. */
export function timingReport(): string {
  if (!enabled) return '';
  let previous = 0;
  const lines = marks.map(([phase, at]) => {
    const line = `timing: ${phase.padEnd(12)} ${(at - previous).toFixed(1).padStart(7)} ms`;
    previous = at;
    return line;
  });
  return [...lines, `timing: ${'total'.padEnd(12)} ${previous.toFixed(1).padStart(7)} ms`].join('\n') + '\n';
}
