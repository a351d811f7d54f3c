// Issue #13: `convert` and `config` agree on every container's environment. For every project of the
// fixtures, the examples and the corpus, the environment a kubelet would give each container (envFrom in
// order, then env, with Kubernetes' $(VAR) expansion) equals the `environment` that `config --format json`
// prints for that service (unset variables left out, as compose leaves them out of the container), and,
// where the real docker compose is available, the one docker compose prints.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadProject } from '../../src/compose/loader.js';
import { composeConfigObject } from '../../src/emit/compose-config.js';
import { lowerProject, type KubeObject } from '../../src/lower/index.js';
import { toKubeName } from '../../src/lower/names.js';
import { Diagnostics } from '../../src/model/diagnostics.js';
import type { LoadedProject } from '../../src/model/project.js';
import { composeFilesUnder, corpusDir } from '../helpers/corpus.js';
import { diskOptions } from './fs-port.js';

const root = resolve(__dirname, '../..');
const oracle = process.env.COMPOSE2K8S_DOCKER_COMPOSE;
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home', C2K_ENV_TEST: 'from-os' };
const COMPOSE_FILE = /^(docker-)?compose[^/]*\.ya?ml$/;

function projectFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (COMPOSE_FILE.test(name) && !/override/.test(name)) out.push(p);
    }
  };
  walk(join(root, 'fixtures'));
  walk(join(root, 'examples'));
  if (corpusDir) out.push(...composeFilesUnder(corpusDir));
  return out;
}

/** Kubernetes' third_party/forked/golang/expansion: `$(NAME)` of a variable defined so far, `$$` is `$`. */
export function expandKube(value: string, defined: Map<string, string>): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c !== '$' || i + 1 >= value.length) {
      out += c;
      continue;
    }
    const next = value[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = value.indexOf(')', i + 2);
      if (close < 0) {
        out += value.slice(i);
        break;
      }
      const name = value.slice(i + 2, close);
      out += defined.has(name) ? defined.get(name)! : `$(${name})`;
      i = close;
    } else out += c;
  }
  return out;
}

/** What the kubelet puts in a container's environment, from the objects of the same output. */
export function kubeletEnvironment(container: any, objects: KubeObject[]): Record<string, string> {
  const env = new Map<string, string>();
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) for (const [k, v] of Object.entries(find('ConfigMap', from.configMapRef.name)?.data ?? {})) env.set(prefix + k, String(v));
    if (from.secretRef) {
      const s = find('Secret', from.secretRef.name);
      for (const [k, v] of Object.entries(s?.data ?? {})) env.set(prefix + k, Buffer.from(String(v), 'base64').toString('utf8'));
      for (const [k, v] of Object.entries(s?.stringData ?? {})) env.set(prefix + k, String(v));
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom) continue; // downward API and the like: not from compose's environment
    env.set(e.name, expandKube(e.value ?? '', env));
  }
  return Object.fromEntries(env);
}

function podContainers(o: KubeObject): any[] {
  const spec = o.spec as any;
  return (spec?.template ?? spec?.jobTemplate?.spec?.template)?.spec?.containers ?? [];
}

/** Per service: the environment its container gets from our output, or undefined when it has no container. */
function convertedEnvironments(loaded: LoadedProject): Record<string, Record<string, string>> {
  const d = new Diagnostics();
  const { objects } = lowerProject(loaded.project, diskOptions(loaded), d);
  const byKubeName = new Map(Object.keys(loaded.project.services).map((s) => [toKubeName(s), s]));
  const out: Record<string, Record<string, string>> = {};
  for (const o of objects) {
    for (const c of podContainers(o)) {
      const service = byKubeName.get(c.name);
      if (service && !(service in out)) out[service] = kubeletEnvironment(c, objects);
    }
  }
  return out;
}

/**
 * `environment` of config --format json per service, without the unset (null) ones. config prints every `$`
 * doubled (so that its output loads again); the container gets one.
 */
function configEnvironments(config: any): Record<string, Record<string, string>> {
  const single = (s: string) => s.replaceAll('$$', '$');
  return Object.fromEntries(
    Object.entries(config.services ?? {}).map(([name, svc]: [string, any]) => [
      name,
      Object.fromEntries(Object.entries(svc.environment ?? {}).filter(([, v]) => v !== null).map(([k, v]) => [single(k), single(String(v))])),
    ]),
  );
}

/** Names Kubernetes cannot set (the lowering warns `env.invalid-name` and leaves them out). */
const settable = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => k !== '' && !/[=]|[^\x20-\x7e]/.test(k)));

describe('effective container environment == config environment (issue #13)', () => {
  const files = projectFiles();
  const loaded: { file: string; project: LoadedProject }[] = [];
  for (const file of files) {
    try {
      loaded.push({ file, project: loadProject({ files: [file], cwd: dirname(file), env: ENV, diagnostics: new Diagnostics() }) });
    } catch {
      // rejected by the loader: a loader test
    }
  }

  test('every project: the kubelet-style environment of each container equals config --format json', () => {
    expect(loaded.length).toBeGreaterThan(corpusDir ? 100 : 10);
    let withEnvFiles = 0;
    for (const { file, project } of loaded) {
      const ours = convertedEnvironments(project);
      const config = configEnvironments(JSON.parse(JSON.stringify(composeConfigObject(project))));
      for (const [service, env] of Object.entries(ours)) {
        if (project.project.services[service]?.env_file?.some((f) => f.values)) withEnvFiles++;
        expect(env, `${file}: ${service}`).toEqual(settable(config[service] ?? {}));
      }
    }
    expect(withEnvFiles).toBeGreaterThan(0);
  });

  test.skipIf(!oracle)('every project docker compose loads: the same environment as docker compose config', () => {
    let compared = 0;
    for (const { file, project } of loaded) {
      const r = spawnSync(oracle!, ['-f', file, 'config', '--format', 'json'], { cwd: dirname(file), env: ENV, encoding: 'utf8', timeout: 60_000 });
      if (r.status !== 0) continue;
      const theirs = configEnvironments(JSON.parse(r.stdout));
      for (const [service, env] of Object.entries(convertedEnvironments(project))) {
        expect(env, `${file}: ${service}`).toEqual(settable(theirs[service] ?? {}));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
  }, 600_000);
});
