import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../src/compose/consistency.js';
import { applyProfiles } from '../../src/compose/profiles.js';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';
import type { DependsOn, Project, Service } from '../../src/model/project.js';

const svc = (profiles?: string[], depends_on?: Record<string, DependsOn>): Service => ({
  image: 'alpine',
  ...(profiles ? { profiles } : {}),
  ...(depends_on ? { depends_on } : {}),
});
const dep = (required = true): DependsOn => ({ condition: 'service_started', required });
const project = (services: Record<string, Service>, rest: Partial<Project> = {}): Project => ({ name: 'p', services, ...rest });

function enabledNames(p: Project, active: string[], explicit?: string[]): string[] {
  return Object.keys(applyProfiles(p, active, explicit).project.services);
}

function failure(fn: () => unknown): Diagnostic[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected a DiagnosticError');
}

// The example of the profiles documentation: frontend and phpmyadmin behind profiles, backend always on.
const docs = project({
  frontend: svc(['frontend']),
  phpmyadmin: svc(['debug']),
  backend: svc(),
  db: svc(),
});

describe('applyProfiles (compose-go WithProfiles)', () => {
  it('always enables services without profiles and disables the others when no profile is active', () => {
    const r = applyProfiles(docs, []);
    expect(Object.keys(r.project.services)).toEqual(['backend', 'db']);
    expect(r.disabled).toEqual({ frontend: ['frontend'], phpmyadmin: ['debug'] });
  });

  it('enables a service when any of its profiles is active', () => {
    const p = project({ a: svc(['x', 'y']), b: svc(['z']) });
    expect(enabledNames(p, ['y'])).toEqual(['a']);
    expect(enabledNames(p, ['y', 'z'])).toEqual(['a', 'b']);
  });

  it('enables everything with "*"', () => {
    const r = applyProfiles(docs, ['*']);
    expect(Object.keys(r.project.services)).toEqual(['frontend', 'phpmyadmin', 'backend', 'db']);
    expect(r.disabled).toEqual({});
  });

  it('never filters top-level resources, even those only disabled services use', () => {
    const p = project(
      { web: svc(), tool: svc(['debug']) },
      {
        networks: { debugnet: {} },
        volumes: { debugdata: {} },
        secrets: { token: { file: './token' } },
        configs: { cfg: { content: 'x' } },
        models: { llm: { model: 'ai/smollm2' } },
      },
    );
    const r = applyProfiles(p, []).project;
    expect(Object.keys(r.services)).toEqual(['web']);
    expect([r.networks, r.volumes, r.secrets, r.configs, r.models]).toEqual([p.networks, p.volumes, p.secrets, p.configs, p.models]);
  });
});

describe('explicitly selected services (compose-go WithServicesEnabled)', () => {
  it('activate their own profiles, which enables every service of those profiles', () => {
    const p = project({ phpmyadmin: svc(['debug']), adminer: svc(['debug']), other: svc(['other']), web: svc() });
    const r = applyProfiles(p, [], ['phpmyadmin']);
    expect(Object.keys(r.project.services)).toEqual(['phpmyadmin', 'adminer', 'web']);
    expect(r.disabled).toEqual({ other: ['other'] });
  });

  it('add nothing when the service is already enabled', () => {
    const p = project({ a: svc(['x', 'y']), b: svc(['y']) });
    expect(enabledNames(p, ['x'], ['a'])).toEqual(['a']);
  });

  it('do not activate the profiles of their dependencies (docker/compose#8458)', () => {
    const p = project({ app: svc(['app'], { db: dep() }), db: svc(['db']) });
    expect(failure(() => applyProfiles(p, [], ['app']))).toMatchObject([{ code: 'profiles.disabled-dependency' }]);
    expect(enabledNames(p, ['db'], ['app'])).toEqual(['app', 'db']);
  });

  it('must exist', () => {
    expect(failure(() => applyProfiles(docs, [], ['nope', 'db']))).toEqual([
      { severity: 'error', code: 'profiles.no-such-service', message: 'no such service: nope' },
    ]);
  });
});

describe('dependencies on disabled services', () => {
  it('are an error when required, worded as docker compose prints it (docker/compose#12900)', () => {
    const p = project({ main: svc(['dev']), test: svc(undefined, { main: dep() }), other: svc(undefined, { main: dep() }) });
    expect(failure(() => applyProfiles(p, []))).toEqual([
      {
        severity: 'error',
        code: 'profiles.disabled-dependency',
        message: 'service "test" depends on undefined service "main": invalid compose project',
        path: 'services.test.depends_on.main',
      },
      {
        severity: 'error',
        code: 'profiles.disabled-dependency',
        message: 'service "other" depends on undefined service "main": invalid compose project',
        path: 'services.other.depends_on.main',
      },
    ]);
    expect(enabledNames(p, ['dev'])).toEqual(['main', 'test', 'other']);
  });

  it('are dropped when optional (required: false), without touching the input project', () => {
    const p = project({ web: svc(undefined, { debug: dep(false), db: dep() }), db: svc(), debug: svc(['debug']), solo: svc(undefined, { debug: dep(false) }) });
    const r = applyProfiles(p, []);
    expect(r.project.services.web!.depends_on).toEqual({ db: dep() });
    expect(r.project.services.solo).toEqual({ image: 'alpine' });
    expect(p.services.web!.depends_on).toEqual({ debug: dep(false), db: dep() });
    expect(() => checkConsistency(r.project)).not.toThrow();
  });

  it('leave dependencies on unknown services to checkConsistency', () => {
    const p = project({ web: svc(undefined, { ghost: dep() }) });
    expect(() => applyProfiles(p, [])).not.toThrow();
  });
});

describe('cycles and profiles (compose-depends-on-profile-no-cycle.yaml)', () => {
  // The fixture's cycle service1 -> service2 -> service3 -> service1, with service3 behind a profile and the
  // edge into it optional: the cycle check only sees enabled services.
  const p = project({
    service1: svc(undefined, { service2: dep() }),
    service2: svc(undefined, { service3: dep(false) }),
    service3: svc(['extra'], { service1: dep() }),
  });

  it('is no cycle while the profile is off', () => {
    const r = applyProfiles(p, []);
    expect(r.disabled).toEqual({ service3: ['extra'] });
    expect(() => checkConsistency(r.project)).not.toThrow();
  });

  it('is a cycle once the profile is on', () => {
    const r = applyProfiles(p, ['extra']);
    expect(failure(() => checkConsistency(r.project)).map((d) => d.message)).toEqual([
      'dependency cycle detected: service1 -> service2 -> service3 -> service1',
    ]);
  });
});
