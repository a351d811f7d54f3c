/** Writes a synthetic compose project of `n` services into `dir` (see generate.mjs); returns the compose file. */
export function generateProject(n: number, dir: string): string;
