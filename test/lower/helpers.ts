import { Diagnostics } from '../../src/model/diagnostics.js';
import type { Project, Service } from '../../src/model/project.js';
import { lowerProject } from '../../src/lower/index.js';
import type { KubeObject } from '../../src/lower/context.js';
import type { FilePort, LowerOptions } from '../../src/lower/options.js';

export function project(services: Record<string, Service>, rest: Partial<Project> = {}): Project {
  return { name: 'demo', services, ...rest };
}

export function lower(p: Project, options: Partial<LowerOptions> = {}) {
  const diagnostics = new Diagnostics();
  const result = lowerProject(p, options, diagnostics);
  return { ...result, diagnostics, codes: diagnostics.items.map((d) => d.code) };
}

export function find(objects: KubeObject[], kind: string, name: string): any {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** The pod spec of any workload kind. */
export function podSpec(workload: any): any {
  return (workload.spec.template ?? workload.spec.jobTemplate.spec.template).spec;
}

export function mainContainer(workload: any): any {
  return podSpec(workload).containers[0];
}

export function memFiles(files: Record<string, string>): FilePort {
  return {
    read(path: string) {
      if (!(path in files)) throw new Error(`ENOENT: ${path}`);
      return Buffer.from(files[path]!);
    },
  };
}

export function entry(report: { path: string; status: string; reason?: string; to?: string }[], path: string) {
  return report.filter((e) => e.path === path);
}
