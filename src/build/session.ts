// The state one build run shares between its services, created on first use and then reused: the engine
// connection (and what it answered to the ping), one registry client per registry host, and whether the engine
// has a `bridge` network.
import type Dockerode from 'dockerode';
import type { RetryOptions, REGISTRY_RETRY } from '../model/async.js';
import type { CredentialStore } from './auth.js';
import { chooseBuilder } from './builder.js';
import { connect, pingEngine, resolveEngine, type EngineEndpoint, type EngineInfo } from './engine.js';
import type { BuildOptions } from './options.js';
import type { ServicePlan } from './plan.js';
import type { ProgressReporter } from './progress.js';
import { RegistryClient } from './registry.js';

/** Shared, lazily created state of one run: the engine connection and registry clients. */
export class BuildSession {
  private engineP: Promise<{ docker: Dockerode; info: EngineInfo; ep: EngineEndpoint }> | undefined;
  private readonly registries = new Map<string, RegistryClient>();
  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly credentials: CredentialStore,
    readonly o: BuildOptions,
    readonly reporter: ProgressReporter,
    readonly retry: typeof REGISTRY_RETRY & Partial<RetryOptions>,
    readonly timeouts: { registryMs: number; pushIdleMs: number },
  ) {}

  engine() {
    this.engineP ??= (async () => {
      const ep = resolveEngine(this.env);
      const docker = await connect(ep);
      const info = await pingEngine(docker, ep);
      return { docker, info, ep };
    })();
    return this.engineP;
  }

  registry(host: string): RegistryClient {
    let c = this.registries.get(host);
    if (!c) {
      c = new RegistryClient(host, {
        credentials: this.credentials,
        insecure: this.o.insecureRegistries,
        retry: this.retry,
        timeoutMs: this.timeouts.registryMs,
        signal: this.o.signal,
      });
      this.registries.set(host, c);
    }
    return c;
  }

  private bridgeP: Promise<boolean> | undefined;

  /** Whether the engine has the default `bridge` network (BuildKit RUN steps need it unless build.network is set). */
  hasBridge(docker: Dockerode): Promise<boolean> {
    this.bridgeP ??= docker
      .getNetwork('bridge')
      .inspect()
      .then(
        () => true,
        (e: { statusCode?: number }) => e.statusCode !== 404,
      );
    return this.bridgeP;
  }

  /** The builder for one service (builder.ts), with this run's --builder, DOCKER_BUILDKIT and engine. */
  builderVersion(docker: Dockerode, info: EngineInfo, p: ServicePlan, needsPullAuth: boolean): Promise<'1' | '2'> {
    return chooseBuilder({ builder: this.o.builder, dockerBuildkit: this.env.DOCKER_BUILDKIT }, info, p, needsPullAuth, () => this.hasBridge(docker));
  }
}
