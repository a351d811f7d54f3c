// Kubeconfig resolution as kubectl does it: --kubeconfig, else every file in KUBECONFIG (first file to define a
// name or the current context wins; missing files are skipped), else ~/.kube/config, else the in-cluster service
// account. --context picks another context.
//
// Parsing (config_types) and authentication (exec plugins, token files, azure/gcp/oidc providers) are
// @kubernetes/client-node's own modules, imported one by one: its package entry point (and its KubeConfig class)
// load the generated API client, which costs ~2-3 s of startup on every command and which we never use.
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { Cluster as KcCluster, Context as KcContext, User as KcUser } from '@kubernetes/client-node/dist/config_types.js';
import { error } from '../model/diagnostics.js';

export type { KcCluster, KcContext, KcUser };

export interface KubeconfigOptions {
  /** --kubeconfig: one file, used alone. */
  kubeconfig?: string;
  /** --context */
  context?: string;
}

interface Authenticator {
  isAuthProvider(user: KcUser): unknown;
  applyAuthentication(user: KcUser, opts: RequestOptions): Promise<void>;
}

const SA_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The parts of a kubeconfig the deploy stage needs, with client-node's authenticators behind it. */
export class KubeConfigLite {
  clusters: KcCluster[] = [];
  users: KcUser[] = [];
  contexts: KcContext[] = [];
  currentContext = '';
  private authenticators?: Authenticator[];

  getContextObject(name: string): KcContext | undefined {
    return this.contexts.find((c) => c.name === name);
  }
  getCurrentContext(): string {
    return this.currentContext;
  }
  getCurrentCluster(): KcCluster | null {
    const ctx = this.getContextObject(this.currentContext);
    return (ctx && this.clusters.find((c) => c.name === ctx.cluster)) || null;
  }
  getCurrentUser(): KcUser | null {
    const ctx = this.getContextObject(this.currentContext);
    return (ctx && this.users.find((u) => u.name === ctx.user)) || null;
  }

  private async loadAuthenticators(user: KcUser): Promise<Authenticator[]> {
    if (!this.authenticators) {
      const { ExecAuth } = await import('@kubernetes/client-node/dist/exec_auth.js');
      const { FileAuth } = await import('@kubernetes/client-node/dist/file_auth.js');
      this.authenticators = [new ExecAuth() as unknown as Authenticator, new FileAuth() as unknown as Authenticator];
      // The auth-provider plugins pull in more dependencies; load them only for users that name them.
      const provider = (user.authProvider as { name?: string } | undefined)?.name;
      if (provider === 'azure') this.authenticators.unshift(new (await import('@kubernetes/client-node/dist/azure_auth.js')).AzureAuth() as unknown as Authenticator);
      if (provider === 'gcp') this.authenticators.unshift(new (await import('@kubernetes/client-node/dist/gcp_auth.js')).GoogleCloudPlatformAuth() as unknown as Authenticator);
      if (provider === 'oidc') this.authenticators.push(new (await import('@kubernetes/client-node/dist/oidc_auth.js')).OpenIDConnectAuth() as unknown as Authenticator);
    }
    return this.authenticators;
  }

  /** TLS material and authentication headers for the current context, as client-node's KubeConfig computes them. */
  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    if (cluster?.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster?.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = cluster ? fileOrData(cluster.caFile, cluster.caData) : undefined;
    if (ca) opts.ca = ca;
    if (!user) return;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
    const auth = (await this.loadAuthenticators(user)).find((a) => a.isAuthProvider(user));
    if (auth) await auth.applyAuthentication(user, opts);
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    if (user.username) headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
  }
}

function fileOrData(file?: string, data?: string): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (file) return readFileSync(file);
  return undefined;
}

export interface LoadedKubeconfig {
  kc: KubeConfigLite;
  contextName: string;
  /** The namespace of the chosen context, if it names one. */
  contextNamespace?: string;
  server: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

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

const absolute = (root: string, file: string | undefined) => (file && !isAbsolute(file) ? join(root, file) : file);

/** One kubeconfig file through client-node's parsers; relative certificate paths resolve against its directory. */
async function readKubeconfigFile(file: string): Promise<{ clusters: KcCluster[]; users: KcUser[]; contexts: KcContext[]; current: string }> {
  const { newClusters, newUsers, newContexts } = await import('@kubernetes/client-node/dist/config_types.js');
  let doc: Record<string, unknown>;
  try {
    doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw error('deploy.kubeconfig', `cannot read kubeconfig ${file}: ${(e as Error).message}`);
  }
  try {
    const root = dirname(file);
    const clusters = newClusters(doc.clusters ?? []).map((c) => ({ ...c, caFile: absolute(root, c.caFile) }));
    const users = newUsers(doc.users ?? []).map((u) => ({ ...u, certFile: absolute(root, u.certFile), keyFile: absolute(root, u.keyFile) }));
    return { clusters, users, contexts: newContexts(doc.contexts ?? []), current: String(doc['current-context'] ?? '') };
  } catch (e) {
    throw error('deploy.kubeconfig', `invalid kubeconfig ${file}: ${(e as Error).message}`);
  }
}

function inCluster(env: NodeJS.ProcessEnv): KubeConfigLite {
  const kc = new KubeConfigLite();
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT!;
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  kc.clusters = [{ name: 'inCluster', caFile: `${SA_ROOT}/ca.crt`, server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`, skipTLSVerify: false }];
  kc.users = [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile: `${SA_ROOT}/token` } } }];
  const nsFile = `${SA_ROOT}/namespace`;
  const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
  kc.contexts = [{ name: 'inClusterContext', cluster: 'inCluster', user: 'inClusterUser', namespace }];
  kc.currentContext = 'inClusterContext';
  return kc;
}

export async function loadKubeconfig(opts: KubeconfigOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<LoadedKubeconfig> {
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) {
    throw error('deploy.kubeconfig', `kubeconfig file ${opts.kubeconfig} does not exist`);
  }
  const { files, source } = kubeconfigFiles(opts, env);
  let kc = new KubeConfigLite();
  let from = source;
  if (files.length > 0) {
    const parts = await Promise.all(files.map(readKubeconfigFile));
    kc.clusters = mergeFirstWins(parts.map((p) => p.clusters));
    kc.users = mergeFirstWins(parts.map((p) => p.users));
    kc.contexts = mergeFirstWins(parts.map((p) => p.contexts));
    kc.currentContext = parts.map((p) => p.current).find((c) => c) ?? '';
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${SA_ROOT}/token`)) {
    kc = inCluster(env);
    from = 'in-cluster service account';
  } else {
    throw error(
      'deploy.kubeconfig',
      `no Kubernetes configuration found (looked at ${source}); pass --kubeconfig, set KUBECONFIG or run inside a cluster`,
    );
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw error('deploy.kubeconfig', `context "${opts.context}" does not exist in ${from}`);
    kc.currentContext = opts.context;
  }
  const contextName = kc.currentContext;
  const ctx = contextName ? kc.getContextObject(contextName) : undefined;
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
  if (ctx.user && !kc.getCurrentUser()) {
    throw error('deploy.kubeconfig', `context "${contextName}" names user "${ctx.user}", which does not exist in ${from}`);
  }
  if (cluster.server.startsWith('http:') && !cluster.skipTLSVerify) {
    // client-node refuses this too: credentials would travel in clear text.
    throw error('deploy.kubeconfig', `cluster "${cluster.name}" uses plain HTTP (${cluster.server}); set insecure-skip-tls-verify to allow it`);
  }
  return { kc, contextName, contextNamespace: ctx.namespace || undefined, server: cluster.server, source: from };
}
