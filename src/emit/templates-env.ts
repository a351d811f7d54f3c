// Handlebars, loaded on demand (never on the default convert path), and the directory of the templates that
// ship with compose2k8s (`templates/` next to `src/` or `dist/`).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type HandlebarsRuntime = typeof import('handlebars');

/** A fresh, isolated Handlebars environment (helpers registered on it don't leak into other uses). */
export async function loadHandlebars(): Promise<HandlebarsRuntime> {
  const mod = (await import('handlebars')) as unknown as { default?: HandlebarsRuntime } & HandlebarsRuntime;
  const hb = mod.default ?? mod;
  return hb.create() as HandlebarsRuntime;
}

let root: string | undefined;

/** The shipped `templates/` directory: found by walking up from this module (src/emit/ or dist/). */
export function templatesRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'templates', 'helm'))) return (root = join(dir, 'templates'));
    dir = dirname(dir);
  }
  throw new Error('internal: the templates/ directory of compose2k8s was not found');
}

/** A shipped template's text, e.g. `helm/deployment.yaml.hbs`. */
export function shippedTemplate(rel: string): string | undefined {
  const file = join(templatesRoot(), rel);
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
