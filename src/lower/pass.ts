// The pass interface. A pass reads the model, the options and the resolved settings, contributes to
// ServiceUnits or emits objects through the context, and records every Compose key it consumes in the report.
// Passes run in the order of PASSES (pipeline.ts); a pass may rely on the contributions of earlier ones only.

import type { LowerContext } from './context.js';

export interface Pass {
  /** Short stable name, used in internal error messages. */
  readonly name: string;
  run(ctx: LowerContext): void;
}
