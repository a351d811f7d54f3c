// Chooses each service's workload kind (B10, B18): long-running services become Deployments (or the
// requested controller), one-shot services (`restart: no`, `on-failure[:N]`, restart_policy none/on-failure)
// become Jobs, `deploy.mode: global` a DaemonSet, a cron schedule a CronJob. Never a bare Pod, never a
// Deployment with restartPolicy Never.

import type { Service } from '../model/project.js';
import { workloadRef, type LowerContext, type ServiceUnit, type JobSpecParts } from './context.js';
import type { Pass } from './pass.js';
import type { CronSettings, WorkloadKind } from './settings-types.js';
import { inRange, INT64_SAFE_MAX } from './units.js';
import { merged } from './objects.js';

export interface RestartIntent {
  oneShot: boolean;
  policy: 'Always' | 'Never' | 'OnFailure';
  /** Retries allowed after the first failure, when Compose bounds them. */
  retries?: number;
  /** Compose path the retries were read from. */
  retriesPath?: string;
  /** Compose path the intent was read from. */
  path?: string;
}

/** Compose restart semantics; `deploy.restart_policy.condition` overrides `restart`. */
export function restartIntent(service: Service, base: string): RestartIntent {
  const rp = service.deploy?.restart_policy;
  const retries = rp?.max_attempts;
  const withRetries = (i: RestartIntent): RestartIntent =>
    retries !== undefined && i.policy === 'OnFailure' ? merged(i, { retries, retriesPath: `${base}.deploy.restart_policy.max_attempts` }) : i;
  if (rp?.condition) {
    const path = `${base}.deploy.restart_policy`;
    if (rp.condition === 'none') return { oneShot: true, policy: 'Never', path };
    if (rp.condition === 'on-failure') return withRetries({ oneShot: true, policy: 'OnFailure', path });
    return { oneShot: false, policy: 'Always', path };
  }
  const restart = service.restart;
  if (restart === undefined) return { oneShot: false, policy: 'Always' };
  const path = `${base}.restart`;
  if (restart === 'no') return { oneShot: true, policy: 'Never', path };
  const onFailure = /^on-failure(?::(\d+))?$/.exec(restart);
  if (onFailure) {
    const intent = withRetries({ oneShot: true, policy: 'OnFailure', path });
    return onFailure[1] !== undefined ? merged(intent, { retries: Number(onFailure[1]), retriesPath: path }) : intent;
  }
  return { oneShot: false, policy: 'Always', path };
}

const LONG_RUNNING: WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];
/** CronJob names are limited to 52 characters (the controller appends a timestamp). */
const MAX_CRONJOB_NAME = 52;

export function decideWorkload(ctx: LowerContext, unit: ServiceUnit): void {
  const { settings, compose } = unit;
  const d = ctx.diagnostics;
  const intent = restartIntent(compose, unit.path);
  const explicit = settings.controller && settings.origin.controller && !settings.origin.controller.startsWith('option:')
    ? settings.controller
    : undefined;
  const cliController = explicit ? undefined : settings.controller;
  const mode = compose.deploy?.mode;
  const modePath = `${unit.path}.deploy.mode`;
  let kind: WorkloadKind;
  let why: string;

  let cron = settings.cron;
  if (cron && settings.cronFromLabels && !intent.oneShot && !cron.concurrencyPolicy) {
    // Kompose only honours the cronjob labels for one-shot services; say so instead of ignoring silently.
    d.warn('workload.cron-ignored', `${unit.service}: kompose.cronjob.schedule is ignored because the service restarts always; set restart: "no" or on-failure`, {
      path: settings.origin.cron,
    });
    ctx.report.ignored(settings.origin.cron!, 'cron schedule on a service that restarts always');
    cron = undefined;
  }

  if (explicit) {
    kind = explicit;
    why = 'requested';
    if (kind === 'CronJob' && !cron) {
      d.error('workload.cron-schedule-missing', `${unit.service}: controller CronJob needs x-kubernetes.cron.schedule`, { path: settings.origin.controller });
      kind = 'Job';
    }
  } else if (cron) {
    kind = 'CronJob';
    why = 'cron schedule';
  } else if (mode === 'global') {
    kind = 'DaemonSet';
    why = 'deploy.mode global';
  } else if (mode === 'replicated-job' || mode === 'global-job') {
    kind = 'Job';
    why = `deploy.mode ${mode}`;
  } else if (intent.oneShot) {
    kind = 'Job';
    why = 'one-shot restart policy';
  } else {
    kind = cliController ?? 'Deployment';
    why = cliController ? 'controller option' : 'default';
  }
  // The controller option is a default for long-running services; one-shot services stay Jobs (B10) silently.
  if (cliController && kind !== cliController && LONG_RUNNING.includes(kind)) {
    d.warn('workload.controller-ignored', `${unit.service}: ${why} makes it a ${kind}; the controller option (${cliController}) does not apply`, { path: modePath });
  }
  unit.kind = kind;

  if (kind === 'Job' || kind === 'CronJob') {
    unit.job = jobParts(ctx, unit, intent);
    if (cron) unit.cron = checkedCron(ctx, cron, unit.settings.origin.cron);
  } else if (intent.oneShot) {
    d.warn('workload.restart-overridden', `${unit.service}: a ${kind} always restarts its pods; restart policy "${compose.restart ?? compose.deploy?.restart_policy?.condition}" cannot be kept`, {
      path: intent.path,
    });
  }
  if (kind === 'StatefulSet') {
    // One governing Service per StatefulSet: a group's members share theirs.
    const owner = unit.group ? `headless:group:${unit.workload}` : `headless:${unit.service}`;
    unit.headlessServiceName = ctx.names.claim('service', owner, `${unit.workload}-headless`, { startWithLetter: true });
  }
  if (kind === 'CronJob' && unit.workload.length > MAX_CRONJOB_NAME) {
    const fix = unit.group ? 'choose a shorter group name' : 'set x-kubernetes.name';
    d.error('workload.name-too-long', `${unit.service}: CronJob names are limited to ${MAX_CRONJOB_NAME} characters; ${fix}`, { path: unit.group?.origins[unit.service] ?? unit.path });
  }
  reportRestart(ctx, unit);
  if (mode !== undefined) {
    const exact = mode === 'replicated' || mode === 'global' || mode === 'replicated-job';
    if (exact) ctx.report.mapped(modePath, workloadRef(unit));
    else ctx.report.approximated(modePath, workloadRef(unit), 'a global job runs once, not once per node');
  }
}

/** `x-kubernetes.job.backoffLimit` when the origin is the block (`....job`), else the origin itself (a label). */
function fieldPath(origin: string | undefined, block: string, field: string): string | undefined {
  return origin?.endsWith(`.${block}`) ? `${origin}.${field}` : origin;
}

function jobParts(ctx: LowerContext, unit: ServiceUnit, intent: RestartIntent): JobSpecParts {
  const d = ctx.diagnostics;
  const origin = unit.settings.origin.job;
  // Integers beyond the API's ranges are errors at their Compose path, never objects the API server refuses.
  const s = { ...unit.settings.job };
  if (s.backoffLimit !== undefined && !inRange(ctx, s.backoffLimit, fieldPath(origin, 'job', 'backoffLimit'), 'backoffLimit')) delete s.backoffLimit;
  if (s.ttlSecondsAfterFinished !== undefined && !inRange(ctx, s.ttlSecondsAfterFinished, fieldPath(origin, 'job', 'ttlSecondsAfterFinished'), 'ttlSecondsAfterFinished')) delete s.ttlSecondsAfterFinished;
  if (s.activeDeadlineSeconds !== undefined && !inRange(ctx, s.activeDeadlineSeconds, fieldPath(origin, 'job', 'activeDeadlineSeconds'), 'activeDeadlineSeconds', 1, INT64_SAFE_MAX)) delete s.activeDeadlineSeconds;
  const retries = intent.retries !== undefined && inRange(ctx, intent.retries, intent.retriesPath, 'retry count (backoffLimit)') ? intent.retries : undefined;
  const restartPolicy = intent.policy === 'Never' ? 'Never' : 'OnFailure';
  // `no` means exactly one attempt; on-failure:N allows N retries; unbounded on-failure keeps the Kubernetes default (6).
  const backoffLimit = s.backoffLimit ?? (intent.policy === 'Never' ? 0 : retries);
  return {
    restartPolicy,
    ...(backoffLimit !== undefined ? { backoffLimit } : {}),
    ...(s.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: s.activeDeadlineSeconds } : {}),
    ...(s.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: s.ttlSecondsAfterFinished } : {}),
  };
}

function checkedCron(ctx: LowerContext, cron: CronSettings, origin: string | undefined): CronSettings {
  const out = { ...cron };
  const d = ctx.diagnostics;
  for (const field of ['successfulJobsHistoryLimit', 'failedJobsHistoryLimit'] as const) {
    if (out[field] !== undefined && !inRange(ctx, out[field], fieldPath(origin, 'cron', field), field)) delete out[field];
  }
  if (out.startingDeadlineSeconds !== undefined && !inRange(ctx, out.startingDeadlineSeconds, fieldPath(origin, 'cron', 'startingDeadlineSeconds'), 'startingDeadlineSeconds', 0, INT64_SAFE_MAX)) {
    delete out.startingDeadlineSeconds;
  }
  return out;
}

function reportRestart(ctx: LowerContext, unit: ServiceUnit): void {
  const { compose } = unit;
  const to = workloadRef(unit);
  const rp = compose.deploy?.restart_policy;
  const unboundedRetries = unit.job?.restartPolicy === 'OnFailure' && unit.job.backoffLimit === undefined;
  const restartNote = unboundedRetries ? 'unlimited retries become the Kubernetes default backoffLimit (6)' : undefined;
  if (compose.restart !== undefined) {
    const overridden = rp?.condition !== undefined;
    if (overridden) ctx.report.approximated(`${unit.path}.restart`, to, 'overridden by deploy.restart_policy');
    else if (compose.restart === 'unless-stopped') ctx.report.approximated(`${unit.path}.restart`, to, 'Kubernetes has no manual stop; same as always');
    else if (restartNote) ctx.report.approximated(`${unit.path}.restart`, to, restartNote);
    else ctx.report.mapped(`${unit.path}.restart`, to);
  }
  if (rp) {
    const path = `${unit.path}.deploy.restart_policy`;
    const lost = [rp.delay !== undefined && 'delay', rp.window !== undefined && 'window'].filter(Boolean);
    if (lost.length) ctx.report.approximated(path, to, `${lost.join(' and ')} have no Kubernetes equivalent (kubelet uses exponential back-off)`);
    else if (restartNote) ctx.report.approximated(path, to, restartNote);
    else ctx.report.mapped(path, to);
  }
}

export const workloadsPass: Pass = {
  name: 'workloads',
  run(ctx) {
    for (const unit of ctx.units.values()) decideWorkload(ctx, unit);
  },
};
