// Service keys no pass maps, each with the reason, so the report says why instead of "not implemented".
// Keys handled before lowering (by the loader) are recorded as mapped there; `build` by built-images.ts.

import type { Service } from '../model/project.js';
import { workloadRef } from './context.js';
import type { Pass } from './pass.js';

type Key = keyof Service & string;

/** Consumed before lowering: where they went. */
const HANDLED_ELSEWHERE: Record<string, string> = {
  profiles: 'loader (service selection)',
  extends: 'loader (merged into the service)',
  label_file: 'loader (merged into labels)',
};

/** Keys with no Kubernetes equivalent, and why. */
const NO_EQUIVALENT: Record<string, string> = {
  attach: 'log attachment is a client concern (use kubectl logs)',
  blkio_config: 'Kubernetes has no block-IO throttling per container',
  cgroup: 'cgroup namespace mode is not configurable per pod',
  cgroup_parent: 'the kubelet manages cgroup parents',
  container_name: 'pod and container names are generated; the container is named after the service',
  cpu_count: 'Windows-only CPU setting',
  cpu_percent: 'Windows-only CPU setting',
  cpu_period: 'CFS period is a node-level setting; use cpus',
  cpu_quota: 'use cpus (deploy.resources.limits.cpus)',
  cpu_rt_period: 'real-time scheduling is not available to pods',
  cpu_rt_runtime: 'real-time scheduling is not available to pods',
  cpu_shares: 'relative CPU weight has no direct equivalent; use deploy.resources.reservations.cpus',
  cpuset: 'CPU pinning needs the kubelet static CPU manager policy',
  credential_spec: 'Windows gMSA credential specs need securityContext.windowsOptions (set it through x-kubernetes patches)',
  develop: 'development watch rules are not part of a deployment; `compose2k8s watch` carries them out',
  device_cgroup_rules: 'device cgroup rules are not configurable per pod',
  devices: 'host devices need a device plugin (or a privileged container with a hostPath)',
  init: 'Kubernetes runs no init process in the container; bake one (e.g. tini) into the image',
  isolation: 'Windows isolation mode is chosen by the RuntimeClass',
  logging: 'logs go to the node\'s container runtime; configure collection in the cluster',
  mac_address: 'pod MAC addresses are assigned by the network plugin',
  mem_swappiness: 'swap behaviour is a kubelet setting',
  memswap_limit: 'swap limits are a kubelet setting',
  models: 'AI model runner integration has no Kubernetes equivalent',
  oom_kill_disable: 'the OOM killer cannot be disabled for a pod',
  oom_score_adj: 'the kubelet sets OOM scores from the QoS class',
  pids_limit: 'PID limits are a kubelet (node-level) setting',
  provider: 'provider services are run by a Compose plugin',
  pull_refresh_after: 'image refresh intervals have no Kubernetes equivalent',
  runtime: 'runtimes are selected by a RuntimeClass (set runtimeClassName through x-kubernetes patches)',
  stop_signal: 'Kubernetes always sends SIGTERM (use a preStop hook to send another signal)',
  storage_opt: 'storage driver options are node-level',
  ulimits: 'ulimits are inherited from the container runtime on the node',
  use_api_socket: 'there is no Docker API socket in a Kubernetes pod',
  userns_mode: 'user namespaces are enabled with hostUsers: false (x-kubernetes patches)',
  uts: 'UTS namespace sharing is not available to pods',
};

export const unsupportedPass: Pass = {
  name: 'unsupported',
  run(ctx) {
    for (const unit of ctx.units.values()) {
      for (const [key, where] of Object.entries(HANDLED_ELSEWHERE)) {
        if (unit.compose[key as Key] !== undefined) ctx.report.mapped(`${unit.path}.${key}`, where);
      }
      for (const [key, why] of Object.entries(NO_EQUIVALENT)) {
        const value = unit.compose[key as Key];
        if (value === undefined) continue;
        if (key === 'develop' && ctx.options.watch) {
          ctx.report.mapped(`${unit.path}.${key}`, 'compose2k8s watch (files synced through pods/exec, images rebuilt and rolled)');
          continue;
        }
        // A key set to its Compose default loses nothing; say so without a warning.
        if (key === 'attach' || key === 'container_name') ctx.report.approximated(`${unit.path}.${key}`, workloadRef(unit), why);
        else ctx.report.ignored(`${unit.path}.${key}`, why);
      }
    }
  },
};
