// `healthcheck`: durations and counts cast, a string test becomes `[CMD-SHELL, test]`.

import { scalarText, withCasts, type Dict, type RunContext } from './casts.js';

export function canonicalHealthcheck(v: Dict, path: string, ctx: RunContext): Dict {
  const out = withCasts(v, path, ctx, {
    interval: 'duration',
    timeout: 'duration',
    start_period: 'duration',
    start_interval: 'duration',
    retries: 'int',
    disable: 'bool',
  });
  if (typeof out.test === 'string') out.test = ['CMD-SHELL', out.test];
  else if (Array.isArray(out.test)) out.test = out.test.map((x) => scalarText(x));
  return out;
}
