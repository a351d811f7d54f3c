// `compose2k8s config`: load the project and print the normalized model like `docker compose config`.
import { loadProject } from '../compose/loader.js';
import { withoutUnusedResources } from '../compose/unused.js';
import { composeConfigJson, composeConfigObject, composeConfigYaml } from '../emit/compose-config.js';
import { Diagnostics } from '../model/diagnostics.js';
import type { Project } from '../model/project.js';
import { loadOptionsFrom, type ProjectFlags } from './project-options.js';
import { printWarnings, writeOutput } from './output.js';
import { mark } from './timing.js';

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
  // docker compose prints the model with --no-interpolate before profiles and unused resources apply.
  const rawModel = !flags.interpolate && !flags.services && !flags.volumes && !flags.networks && !flags.profiles && !flags.images;
  // docker compose lists --services, --volumes and --networks for the whole project, whatever services are named.
  if (flags.services || flags.volumes || flags.networks) selected = [];
  mark('options');
  // --profiles lists every profile, so no service may be filtered out first.
  const loaded = loadProject(
    loadOptionsFrom(flags, {
      diagnostics,
      interpolate: flags.interpolate,
      services: selected.length > 0 ? selected : undefined,
      profiles: flags.profiles || rawModel ? ['*'] : flags.profile,
      keepUnusedResources: rawModel,
    }),
  );
  mark('load');
  printWarnings(diagnostics);
  const p = loaded.project;
  if (selected.length > 0) {
    const keep = withDependencies(p, selected);
    for (const name of Object.keys(p.services)) if (!keep.has(name)) delete p.services[name];
  }
  // Resources only the services left out use are dropped with them.
  const shown = selected.length > 0 && !rawModel ? withoutUnusedResources(p) : p;
  const lines = (xs: Iterable<string>) => [...xs].join('\n') + ([...xs].length ? '\n' : '');
  if (flags.services) return writeOutput(lines(inDependencyOrder(p)), flags.output);
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
  const obj = composeConfigObject({ ...loaded, project: shown }, { escape: flags.interpolate, yaml: flags.format !== 'json', rawModel });
  writeOutput(flags.format === 'json' ? composeConfigJson(obj) : composeConfigYaml(obj), flags.output);
}

/** compose-go's ForEachService order: names sorted, each service after the services it depends on. */
export function inDependencyOrder(p: Project): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !p.services[name]) return;
    seen.add(name);
    for (const dep of Object.keys(p.services[name]!.depends_on ?? {}).sort()) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(p.services).sort()) visit(name);
  return out;
}

/** `config <service>...` keeps the named services and everything they depend on, as docker compose does. */
export function withDependencies(p: Project, names: string[]): Set<string> {
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name) || !p.services[name]) return;
    keep.add(name);
    for (const dep of Object.keys(p.services[name]!.depends_on ?? {})) visit(dep);
  };
  for (const name of names) visit(name);
  return keep;
}
