// Which builder builds a service: BuildKit (version 2) or the classic builder (version 1).
import { error } from '../model/diagnostics.js';
import type { EngineInfo } from './engine.js';
import type { BuilderKind } from './options.js';
import { needsClassicBuilder, type ServicePlan } from './plan.js';

/**
 * Which builder: --builder, else DOCKER_BUILDKIT, else the engine's default if it announces BuildKit, else
 * BuildKit when the engine has it (API >= 1.39, Linux) unless the classic builder is needed: for
 * base images that need registry credentials (BuildKit would ask for them over a session we do not open;
 * the classic builder takes them in X-Registry-Config) or when RUN steps would need a `bridge` network the
 * engine does not have.
 */
export async function chooseBuilder(
  choice: { builder?: BuilderKind; dockerBuildkit?: string },
  info: EngineInfo,
  p: ServicePlan,
  needsPullAuth: boolean,
  hasBridge: () => Promise<boolean>,
): Promise<'1' | '2'> {
  const kind = choice.builder ?? 'auto';
  const env = choice.dockerBuildkit;
  const chosen = kind !== 'auto' ? kind : env !== undefined && env !== '' ? (env === '0' || env.toLowerCase() === 'false' ? 'classic' : 'buildkit') : undefined;
  if (needsClassicBuilder(p)) {
    if (chosen === 'buildkit') {
      const why = kind === 'buildkit' ? '--builder buildkit' : `DOCKER_BUILDKIT=${env}`;
      throw error('build.remote-context', `${p.service}: the git context ${p.remote} is fetched over SSH, which BuildKit does only with your SSH agent forwarded over a client session, which compose2k8s does not open; the classic builder clones it with the SSH keys of the engine's host: drop ${why}, or clone the repository and point build.context at the directory`);
    }
    return '1';
  }
  if (chosen === 'classic') return '1';
  if (chosen === 'buildkit') return '2';
  if (info.builderVersion === '2' && !needsPullAuth) return '2';
  if (info.builderVersion === '1') return '1';
  const [major, minor] = info.apiVersion.split('.').map(Number) as [number, number];
  if (major < 1 || (major === 1 && minor < 39) || (info.osType && info.osType !== 'linux')) return '1';
  if (needsPullAuth) return '1';
  if (!p.build.network && !(await hasBridge())) return '1';
  return '2';
}
