// `compose2k8s config`: load the project and print the normalized model like `docker compose config`.
import { loadProject } from '../compose/loader.js';
import { composeConfigJson, composeConfigObject, composeConfigYaml } from '../emit/compose-config.js';
import { Diagnostics } from '../model/diagnostics.js';
import { loadOptionsFrom, type ProjectFlags } from './project-options.js';
import { printWarnings, writeOutput } from './output.js';

interface ConfigFlags extends ProjectFlags {
  format: 'yaml' | 'json';
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  interpolate: boolean;
  output?: string;
}

export async function configCommand(selected: string[], flags: ConfigFlags): Promise<void> {
  const diagnostics = new Diagnostics();
  // --profiles lists every profile, so no service may be filtered out first.
  const loaded = loadProject(
    loadOptionsFrom(flags, {
      diagnostics,
      interpolate: flags.interpolate,
      services: selected.length > 0 ? selected : undefined,
      profiles: flags.profiles ? ['*'] : flags.profile,
    }),
  );
  printWarnings(diagnostics);
  const p = loaded.project;
  if (selected.length > 0) {
    for (const name of Object.keys(p.services)) if (!selected.includes(name)) delete p.services[name];
  }
  const lines = (xs: Iterable<string>) => [...xs].join('\n') + ([...xs].length ? '\n' : '');
  if (flags.services) return writeOutput(lines(Object.keys(p.services)), flags.output);
  if (flags.volumes) return writeOutput(lines(Object.keys(p.volumes ?? {})), flags.output);
  if (flags.networks) return writeOutput(lines(Object.keys(p.networks ?? {})), flags.output);
  if (flags.profiles) {
    const all = new Set<string>();
    for (const s of Object.values(p.services)) for (const pr of s.profiles ?? []) all.add(pr);
    return writeOutput(lines([...all].sort()), flags.output);
  }
  if (flags.images) {
    const images = Object.entries(p.services).map(([name, s]) => s.image ?? `${p.name}-${name}`);
    return writeOutput(lines(images), flags.output);
  }
  const obj = composeConfigObject(loaded, { escape: flags.interpolate, nestedExtensions: flags.format !== 'json' });
  writeOutput(flags.format === 'json' ? composeConfigJson(obj) : composeConfigYaml(obj), flags.output);
}
