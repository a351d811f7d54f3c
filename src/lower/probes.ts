// healthcheck -> probes (B2). Compose "healthy" gates depends_on, which is what readiness means in Kubernetes:
// the healthcheck becomes a readinessProbe; start_period becomes a startupProbe; liveness only on request
// (x-kubernetes.probes.liveness or kompose liveness labels), because a failing liveness probe kills the
// container, which Compose never does.

import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Healthcheck } from '../model/project.js';
import { workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import type { ProbeSetting } from './settings-types.js';
import { durationSeconds, inRange } from './units.js';
import { merged } from './objects.js';

/** Compose defaults: interval 30s, timeout 30s, retries 3, start_interval 5s. */
const DEFAULT_INTERVAL = '30s';
const DEFAULT_TIMEOUT = '30s';
const DEFAULT_RETRIES = 3;
const DEFAULT_START_INTERVAL = '5s';

type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'>;

/** The probe handler of a healthcheck test; undefined when there is no runnable test. */
export function healthcheckHandler(hc: Healthcheck | undefined): Handler | undefined {
  const test = hc?.test;
  if (!test?.length || hc?.disable) return undefined;
  const [kind, ...rest] = test;
  if (kind === 'NONE') return undefined;
  if (kind === 'CMD-SHELL') return { exec: { command: ['/bin/sh', '-c', rest.join(' ')] } };
  if (kind === 'CMD') return { exec: { command: rest } };
  return { exec: { command: test } };
}

function timings(hc: Healthcheck | undefined): Pick<Probe, 'periodSeconds' | 'timeoutSeconds' | 'failureThreshold'> {
  return {
    periodSeconds: durationSeconds(hc?.interval ?? DEFAULT_INTERVAL, 1) ?? 30,
    timeoutSeconds: durationSeconds(hc?.timeout ?? DEFAULT_TIMEOUT, 1) ?? 30,
    failureThreshold: Math.max(1, hc?.retries ?? DEFAULT_RETRIES),
  };
}

/** Startup probe covering start_period: probed every start_interval, then `retries` more failures allowed. */
function startupFrom(hc: Healthcheck | undefined, handler: Handler): Probe {
  const base = timings(hc);
  const period = durationSeconds(hc?.start_interval ?? DEFAULT_START_INTERVAL, 1) ?? 5;
  const window = durationSeconds(hc?.start_period ?? '0s') ?? 0;
  return merged<Probe>(handler, { periodSeconds: period, timeoutSeconds: base.timeoutSeconds, failureThreshold: Math.ceil(window / period) + base.failureThreshold! });
}

function hasHandler(p: Probe): boolean {
  return Boolean(p.exec || p.httpGet || p.tcpSocket || p.grpc);
}

/** Applies one probe setting over what the healthcheck gives; undefined means no probe. */
function resolveProbe(setting: ProbeSetting | undefined, derived: Probe | undefined, byDefault: boolean, base: Probe): Probe | undefined {
  if (setting === undefined) return byDefault ? derived : undefined;
  if (setting === false) return undefined;
  if (setting === true) return derived;
  if (!setting.inheritTimings) return setting.probe;
  // A handler-only or timings-only setting: fill the rest from the healthcheck (without mixing two handlers).
  const from = derived ?? base;
  const { exec, httpGet, tcpSocket, grpc, ...rest } = from;
  return hasHandler(setting.probe) ? merged(rest, setting.probe) : { exec, httpGet, tcpSocket, grpc, ...rest, ...setting.probe };
}

function clean(p: Probe | undefined): Probe | undefined {
  if (!p) return undefined;
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Probe;
}

/** Every number a probe gets from the healthcheck must fit the API's int32 fields; errors at the key otherwise. */
function timingsInRange(ctx: LowerContext, hc: Healthcheck, path: string): boolean {
  let ok = true;
  const check = (value: number | undefined, key: string, what: string) => {
    if (value !== undefined && !inRange(ctx, value, `${path}.${key}`, what)) ok = false;
  };
  for (const key of ['interval', 'timeout', 'start_period', 'start_interval'] as const) check(durationSeconds(hc[key]), key, `healthcheck ${key} in seconds`);
  check(hc.retries, 'retries', 'healthcheck retries (failureThreshold)');
  if (ok && hc.start_period !== undefined) {
    const period = durationSeconds(hc.start_interval ?? DEFAULT_START_INTERVAL, 1) ?? 5;
    const threshold = Math.ceil((durationSeconds(hc.start_period) ?? 0) / period) + Math.max(1, hc.retries ?? DEFAULT_RETRIES);
    check(threshold, 'start_period', 'startup probe failureThreshold (start_period / start_interval + retries)');
  }
  return ok;
}

export function lowerProbes(ctx: LowerContext, unit: ServiceUnit): void {
  const hc = unit.compose.healthcheck;
  const path = `${unit.path}.healthcheck`;
  if (hc && !timingsInRange(ctx, hc, path)) {
    ctx.report.ignored(path, 'a value is out of range for a probe', true);
    return;
  }
  const settings = unit.settings.probes;
  const handler = healthcheckHandler(hc);
  const disabled = hc?.disable === true || hc?.test?.[0] === 'NONE';
  const base: Probe = timings(hc);
  const readiness = handler ? merged<Probe>(handler, base) : undefined;
  const startup = handler && hc?.start_period ? startupFrom(hc, handler) : undefined;

  const c = unit.container;
  const r = clean(resolveProbe(settings.readiness, readiness, true, base));
  const l = clean(resolveProbe(settings.liveness, readiness, false, base));
  // `startup: true` asks for a startup probe even without start_period (it then allows `retries` failures).
  const startupDerived = settings.startup === true && handler ? startupFrom(hc, handler) : startup;
  const s = clean(resolveProbe(settings.startup, startupDerived, true, base));
  for (const [field, probe] of [['readinessProbe', r], ['livenessProbe', l], ['startupProbe', s]] as const) {
    if (probe && !hasHandler(probe)) {
      ctx.diagnostics.warn('probe.no-handler', `${unit.service}: the ${field} has no test to run (no healthcheck test); it is left out`, { path });
      continue;
    }
    if (probe) c[field] = probe;
  }

  if (!hc) return;
  const to = workloadRef(unit);
  if (disabled) {
    ctx.report.mapped(path, `${to} (no probes: healthcheck disabled)`);
  } else if (!handler) {
    // Timings without a test override the image's HEALTHCHECK, whose test the converter cannot see (B2: no crash).
    ctx.diagnostics.warn('probe.no-test', `${unit.service}: the healthcheck has no test (it adjusts the image's HEALTHCHECK, which is not known here); no probe is generated`, { path });
    if (!c.readinessProbe && !c.livenessProbe) ctx.report.ignored(path, 'no test: the image HEALTHCHECK is not known to the converter');
    else ctx.report.approximated(path, `${to} probes from x-kubernetes`, 'no test in the healthcheck');
  } else {
    const made = [c.readinessProbe && 'readinessProbe', c.startupProbe && 'startupProbe', c.livenessProbe && 'livenessProbe'].filter(Boolean).join(' + ');
    if (hc.start_period && c.startupProbe) {
      ctx.report.approximated(path, `${to} ${made}`, 'start_period becomes a startupProbe, which restarts the container if it never succeeds');
    } else ctx.report.mapped(path, `${to} ${made || '(probes disabled by x-kubernetes)'}`);
  }
}

export const probesPass: Pass = {
  name: 'probes',
  run(ctx) {
    for (const unit of ctx.units.values()) lowerProbes(ctx, unit);
  },
};
