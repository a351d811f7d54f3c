// Entry point: parses argv with commander and dispatches to a command module loaded on demand,
// so `convert` never pays for the deploy or build libraries.
import { run } from './run.js';

process.exitCode = await run(process.argv.slice(2));
