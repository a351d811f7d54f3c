import { statSync } from 'node:fs';
// `compose2k8s convert`: load the project, lower it to Kubernetes objects, and write them out.
import { compile, type CompileOptions, type Compiled } from '../compile/index.js';
import { nodeFilePort } from '../compile/node-files.js';
import { toJsonList, toYamlStream } from '../emit/index.js';
import type { LowerOptions, PodSecurityService, ReportEntry } from '../lower/index.js';
import type { KubeObject, Placement } from '../model/kube.js';
import { Diagnostics, DiagnosticError } from '../model/diagnostics.js';
import type { LoadedProject } from '../model/project.js';
import { forDisplay, locate, printWarnings, writeOutput } from './output.js';
import { checkPackageFlags, type PackageFlags } from './package-options.js';
import { UsageError } from './exit.js';
import { writeStderr } from './stdio.js';
import { mark } from './timing.js';
import { loadOptionsFrom, type ProjectFlags } from './project-options.js';

export interface ConvertFlags extends ProjectFlags, Partial<PackageFlags> {
  namespace?: string;
  expose?: LowerOptions['expose'];
  controller?: LowerOptions['controller'];
  volumeSize?: string;
  storageClass?: string;
  networkPolicies?: boolean;
  renameCollisions?: boolean;
  helperImage?: string;
  kubectlImage?: string;
  waitForStarted?: boolean;
  allowHostPaths?: boolean;
  serviceGroupMode?: LowerOptions['serviceGroupMode'];
  serviceGroupName?: string;
  secrets?: LowerOptions['secrets'];
  podSecurity?: LowerOptions['podSecurity'];
  podSecurityMode?: LowerOptions['podSecurityMode'];
  validate?: boolean;
  strict?: boolean;
  report?: boolean;
  reportFile?: string;
  build?: boolean;
  push?: boolean;
  registry?: string;
  insecureRegistry?: string[];
  parallel?: number;
  /** convert: --resolve-digests; apply, diff, up: true unless --no-resolve-digests. Undefined: no registry lookups. */
  resolveDigests?: boolean;
  /** Why the digests are not resolved when resolveDigests is false (for the warning). */
  offlineBecause?: string;
  /** Set by `watch`: develop.watch rules are carried out, not reported as ignored. */
  watching?: boolean;
}

export type Converted = Compiled;

/** The driver's options for these flags: the CLI's only job before compiling. */
export function compileOptionsFrom(flags: ConvertFlags, diagnostics: Diagnostics): CompileOptions {
  return {
    load: loadOptionsFrom(flags),
    lower: {
      namespace: flags.namespace,
      expose: flags.expose,
      controller: flags.controller,
      volumeSize: flags.volumeSize,
      storageClass: flags.storageClass,
      networkPolicies: flags.networkPolicies,
      renameCollisions: flags.renameCollisions,
      helperImage: flags.helperImage,
      kubectlImage: flags.kubectlImage,
      waitForStarted: flags.waitForStarted,
      allowHostPaths: flags.allowHostPaths,
      serviceGroupMode: flags.serviceGroupMode,
      serviceGroupName: flags.serviceGroupName,
      secrets: flags.secrets,
      podSecurity: flags.podSecurity,
      podSecurityMode: flags.podSecurityMode,
      validate: flags.validate,
      strict: flags.strict,
      // --push implies --build; the lowering says which images no cluster will be able to pull. `watch --no-up`
      // applies nothing but workloads its rebuilds pinned to pushed images.
      builtImages: flags.push || (flags.watching && !flags.build) ? 'pushed' : flags.build ? 'local' : 'none',
      watch: flags.watching,
    },
    validate: flags.validate,
    build:
      flags.build || flags.push
        ? {
            push: flags.push,
            registry: flags.registry,
            insecureRegistries: flags.insecureRegistry,
            parallel: flags.parallel,
            warnLocalOnly: false, // the lowering warned per service (image.local-only)
          }
        : undefined,
    resolveDigests:
      flags.resolveDigests === undefined
        ? undefined
        : { resolve: flags.resolveDigests, offlineBecause: flags.offlineBecause, insecureRegistries: flags.insecureRegistry, log: (line) => writeStderr(`${line}\n`) },
    diagnostics,
    onPhase: mark,
  };
}

/** Load + lower (+ build), shared by convert, report, apply, diff and up. Throws DiagnosticError on any error. */
export async function convertProject(flags: ConvertFlags, diagnostics = new Diagnostics()): Promise<Converted> {
  mark('options');
  const options = compileOptionsFrom(flags, diagnostics);
  const digests = options.resolveDigests;
  if (!options.build && digests?.resolve !== true) return compile(options);
  // Ctrl-C during a build or registry lookups aborts them (exit 130/143) instead of killing the process mid-build.
  const { interruptible } = await import('./interrupt.js');
  return interruptible((signal) =>
    compile({ ...options, build: options.build && { ...options.build, signal }, resolveDigests: digests && { ...digests, signal } }),
  );
}

export async function convertCommand(flags: ConvertFlags): Promise<void> {
  const problem = checkPackageFlags({ format: flags.format ?? 'yaml', ...flags } as PackageFlags);
  if (problem) throw new UsageError(problem);
  const diagnostics = new Diagnostics();
  let converted: Converted;
  try {
    converted = await convertProject(flags, diagnostics);
    if (flags.templates) {
      const { renderUserTemplates } = await import('../emit/templates.js');
      converted.objects = await renderUserTemplates(flags.templates, { project: converted.loaded.project, objects: converted.objects });
    }
  } catch (e) {
    // Warnings collected before the failure still help the user.
    if (e instanceof DiagnosticError) printWarnings(diagnostics);
    throw e;
  }
  const { loaded, objects } = converted;
  if (flags.reportFile) writeOutput(JSON.stringify(converted.report, null, 2) + '\n', flags.reportFile);
  if (flags.report) writeStderr(await formatReport(converted));
  const ctx = { project: loaded.project, files: nodeFilePort, diagnostics };
  switch (flags.format ?? 'yaml') {
    case 'kustomize': {
      const { writeKustomize } = await import('../emit/kustomize.js');
      const overlays = [];
      for (const o of flags.overlay ?? []) {
        // An overlay is the base files plus the override file, lowered the same way.
        const withOverride = await convertProject({ ...flags, file: [...loaded.source.composeFiles, o.file] }, new Diagnostics());
        overlays.push({ name: o.name, objects: withOverride.objects, project: withOverride.loaded.project });
      }
      writeKustomize(objects, ctx, flags.output!, overlays);
      break;
    }
    case 'helm': {
      const { writeHelmChart } = await import('../emit/helm.js');
      await writeHelmChart(objects, ctx, flags.output!, { chartVersion: flags.chartVersion });
      break;
    }
    default: {
      if (flags.output && flags.output !== '-' && isDirectoryTarget(flags.output)) {
        const { writeDirectory } = await import('../emit/directory.js');
        writeDirectory(objects, flags.output);
        break;
      }
      writeOutput(flags.format === 'json' ? toJsonList(objects) : toYamlStream(objects), flags.output);
    }
  }
  printWarnings(diagnostics, loaded.locations);
}

/** `-o dir/` or an existing directory means one file per object. */
function isDirectoryTarget(output: string): boolean {
  if (output.endsWith('/')) return true;
  try {
    return statSync(output).isDirectory();
  } catch {
    return false;
  }
}

/** The per-key table, then each service's Pod Security level. */
async function formatReport(converted: Pick<Converted, 'report' | 'podSecurity' | 'loaded'>): Promise<string> {
  const { formatPodSecurity } = await import('../emit/report-pod-security.js');
  return `${formatEntries(converted.report)}\n${formatPodSecurity(converted.podSecurity, whereIn(converted.loaded))}`;
}

/** `file:line:column` of a Compose path, as diagnostics show it; '' when unknown. */
export function whereIn(loaded: LoadedProject): (path: string) => string {
  return (path) => {
    const d = forDisplay(locate({ severity: 'info', code: '', message: '', path }, loaded.locations));
    return d.file ? `${d.file}${d.line !== undefined ? `:${d.line}${d.column !== undefined ? `:${d.column}` : ''}` : ''}` : '';
  };
}

function formatEntries(entries: ReportEntry[]): string {
  const rows = entries.map((e) => [e.path, e.status, [e.to, e.reason].filter(Boolean).join(': ')]);
  const w0 = Math.max(4, ...rows.map((r) => r[0]!.length));
  const w1 = Math.max(6, ...rows.map((r) => r[1]!.length));
  const lines = [`${'PATH'.padEnd(w0)}  ${'STATUS'.padEnd(w1)}  DETAIL`, ...rows.map((r) => `${r[0]!.padEnd(w0)}  ${r[1]!.padEnd(w1)}  ${r[2]}`)];
  return lines.join('\n') + '\n';
}

/** What apply, diff, up, down and watch deploy, and (for watch) the project it came from. */
export interface DeployConverted {
  objects: KubeObject[];
  projectName: string;
  namespace?: string;
  /** Labels of the namespace a deploy creates (the pod-security.kubernetes.io labels of --pod-security). */
  namespaceLabels: Record<string, string>;
  loaded: LoadedProject;
  placements: Record<string, Placement>;
  /** The loaded project and its directory: `up` and `update` prune its built images. */
  project: LoadedProject['project'];
  workingDir: string;
}

/**
 * Under a Pod Security level (runAsNonRoot), each image must run as a numeric non-root user, which only its
 * registry knows: an image running as root (or as a user name the kubelet cannot check) is an error before anything
 * is applied (a warning with --pod-security-mode warn), at the service's compose line; unreadable images are noted.
 */
async function checkImageUsersBeforeDeploy(converted: Converted, flags: ConvertFlags, diagnostics: Diagnostics): Promise<void> {
  if (!converted.podSecurity.some((s) => s.level === 'restricted')) return;
  const { checkImageUsers } = await import('../build/index.js');
  const { toKubeName } = await import('../lower/index.js');
  const check = await checkImageUsers(converted.objects, { insecureRegistries: flags.insecureRegistry });
  const serviceOf = (where: string) => Object.keys(converted.loaded.project.services).find((s) => where.endsWith(` container ${toKubeName(s)}`));
  const warn = flags.podSecurityMode === 'warn';
  for (const p of check.problems) {
    const service = serviceOf(p.where);
    const what = p.problem === 'root' ? `runs as root (USER ${p.user ? `"${p.user}"` : 'not set'})` : `runs as user "${p.user}", a name the kubelet cannot check against runAsNonRoot`;
    const message = `${p.where}: image ${p.image} ${what}; Pod Security "restricted" needs a numeric non-root user: set user: "UID" in the compose file or a numeric USER in the Dockerfile`;
    const at = { path: service ? `services.${service}` : undefined };
    if (warn) diagnostics.warn('pod-security.image-user', message, at);
    else diagnostics.error('pod-security.image-user', message, at);
  }
  for (const u of check.unchecked) diagnostics.warn('pod-security.image-user-unknown', `image ${u.image}: its user could not be read (${u.reason}); the kubelet refuses it under runAsNonRoot if it runs as root`);
  const errors = diagnostics.errors;
  if (errors.length > 0) {
    diagnostics.items.forEach((d, i) => (diagnostics.items[i] = locate(d, converted.loaded.locations)));
    throw new DiagnosticError(errors.map((d) => locate(d, converted.loaded.locations)));
  }
}

/** The deploy commands that create compose secrets from their sources unless `--secrets reference`. */
const SECRETS_CREATED_BY = new Set(['apply', 'diff', 'up', 'watch']);

export async function convertForDeploy(raw: Record<string, unknown>): Promise<DeployConverted> {
  const flags = { ...raw } as ConvertFlags & { command?: string; up?: boolean };
  if (flags.command === 'up') {
    if (flags.build === undefined) flags.build = true;
    if (flags.push === undefined) flags.push = flags.build;
  }
  if (flags.command === 'watch') {
    // watch does an up first, building and pushing (unless --no-push); with --no-up it deploys nothing.
    flags.watching = true;
    flags.build = flags.up !== false;
    flags.push = flags.build && flags.push !== false;
  }
  // A deploy reads each secret from its source on this machine, as `docker compose up` does, and sends it only
  // to the API server (diff masks it); otherwise pods wait for a Secret nobody created.
  if (flags.secrets === undefined && flags.command !== undefined && SECRETS_CREATED_BY.has(flags.command)) flags.secrets = 'inline';
  const diagnostics = new Diagnostics();
  try {
    const converted = await convertProject(flags, diagnostics);
    const { loaded, objects, report, namespaceLabels } = converted;
    if (flags.command === 'up' || flags.command === 'apply' || (flags.command === 'watch' && flags.build)) await checkImageUsersBeforeDeploy(converted, flags, diagnostics);
    // --report and --report-file are lowering flags of every deploy command too (they were accepted and ignored).
    if (flags.reportFile) writeOutput(JSON.stringify(report, null, 2) + '\n', flags.reportFile);
    if (flags.report) writeStderr(await formatReport(converted));
    printWarnings(diagnostics, loaded.locations);
    // The namespace a deploy creates itself (no -n, no x-kubernetes.namespace) gets the pod security labels too.
    return { objects, projectName: loaded.project.name, namespace: flags.namespace, namespaceLabels, project: loaded.project, workingDir: loaded.source.workingDir, loaded, placements: converted.placements };
  } catch (e) {
    if (e instanceof DiagnosticError) printWarnings(diagnostics);
    throw e;
  }
}
