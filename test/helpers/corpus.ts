// Locating the shared test corpus: set by .ci/run through COMPOSE2K8S_CORPUS. When it is set, a missing
// corpus is a failure; when unset (a clone without ../shared), corpus tests are skipped visibly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const corpusDir: string | undefined = process.env.COMPOSE2K8S_CORPUS || undefined;

if (!corpusDir) {
  console.warn('COMPOSE2K8S_CORPUS is not set: tests over ../shared/corpus are SKIPPED');
} else if (!existsSync(corpusDir)) {
  throw new Error(`COMPOSE2K8S_CORPUS=${corpusDir} does not exist`);
}

/** Every compose-looking YAML file under a directory (Kompose's golden outputs excluded). */
export function composeFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name) && !name.startsWith('output')) out.push(p);
    }
  };
  walk(dir);
  return out;
}
