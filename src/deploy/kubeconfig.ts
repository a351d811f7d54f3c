// Kubeconfig resolution as kubectl does it: --kubeconfig, else every file in KUBECONFIG (first file to define a
// name or the current context wins; missing files are skipped), else ~/.kube/config, else the in-cluster service
// account. --context picks another context; exec, token, token-file and client-certificate users come from
// @kubernetes/client-node's KubeConfig, which is loaded lazily here.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { error } from '../model/diagnostics.js';

export interface KubeconfigOptions {
  /** --kubeconfig: one file, used alone. */
  kubeconfig?: string;
  /** --context */
  context?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  contextName: string;
  /** The namespace of the chosen context, if it names one. */
  contextNamespace?: string;
  server: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The files kubectl would read, in precedence order, and a description of the source. */
export function kubeconfigFiles(
  opts: KubeconfigOptions,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): { files: string[]; source: string } {
  if (opts.kubeconfig) return { files: [opts.kubeconfig], source: `--kubeconfig ${opts.kubeconfig}` };
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
    return { files: [...new Set(files)], source: `KUBECONFIG=${env.KUBECONFIG}` };
  }
  const def = join(home, '.kube', 'config');
  return { files: existsSync(def) ? [def] : [], source: def };
}

interface Named {
  name: string;
}

/** kubectl's merge: the first occurrence of a cluster, user or context name wins; so does the first current-context. */
export function mergeFirstWins<T extends Named>(lists: T[][]): T[] {
  const seen = new Map<string, T>();
  for (const list of lists) for (const item of list ?? []) if (!seen.has(item.name)) seen.set(item.name, item);
  return [...seen.values()];
}

export async function loadKubeconfig(opts: KubeconfigOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<LoadedKubeconfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) {
    throw error('deploy.kubeconfig', `kubeconfig file ${opts.kubeconfig} does not exist`);
  }
  const { files, source } = kubeconfigFiles(opts, env);
  const kc = new KubeConfig();
  let from = source;
  if (files.length > 0) {
    const parts = files.map((f) => {
      const one = new KubeConfig();
      try {
        one.loadFromFile(f);
      } catch (e) {
        throw error('deploy.kubeconfig', `cannot read kubeconfig ${f}: ${(e as Error).message}`);
      }
      return one;
    });
    kc.loadFromOptions({
      clusters: mergeFirstWins(parts.map((p) => p.clusters)),
      users: mergeFirstWins(parts.map((p) => p.users)),
      contexts: mergeFirstWins(parts.map((p) => p.contexts)),
      currentContext: parts.map((p) => p.currentContext).find((c) => c) ?? '',
    });
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(IN_CLUSTER_TOKEN)) {
    kc.loadFromCluster();
    from = 'in-cluster service account';
  } else {
    throw error(
      'deploy.kubeconfig',
      `no Kubernetes configuration found (looked at ${source}); pass --kubeconfig, set KUBECONFIG or run inside a cluster`,
    );
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw error('deploy.kubeconfig', `context "${opts.context}" does not exist in ${from}`);
    }
    kc.setCurrentContext(opts.context);
  }
  const contextName = kc.getCurrentContext();
  const ctx = contextName ? kc.getContextObject(contextName) : null;
  if (!ctx) {
    throw error(
      'deploy.kubeconfig',
      contextName
        ? `current context "${contextName}" does not exist in ${from}`
        : `no current context in ${from}; pass --context or run \`kubectl config use-context\``,
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw error('deploy.kubeconfig', `context "${contextName}" names cluster "${ctx.cluster}", which does not exist in ${from}`);
  if (!kc.getCurrentUser() && ctx.user) {
    throw error('deploy.kubeconfig', `context "${contextName}" names user "${ctx.user}", which does not exist in ${from}`);
  }
  return { kc, contextName, contextNamespace: ctx.namespace || undefined, server: cluster.server, source: from };
}
