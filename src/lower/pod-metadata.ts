// Compose labels, annotations and deploy.labels, plus x-kubernetes pod labels and annotations.
// Compose `labels` (minus kompose.* and com.docker.compose.* control labels, B20) and `annotations` become
// pod-template annotations: label values are too restricted to carry arbitrary Compose values.
// `deploy.labels` (Swarm service labels) become workload labels when legal, workload annotations otherwise.

import { workloadRef, type LowerContext, type ServiceUnit } from './context.js';
import { isControlLabel, isLabelKey, isLabelValue } from './metadata.js';
import type { Pass } from './pass.js';

export function lowerPodMetadata(ctx: LowerContext, unit: ServiceUnit): void {
  const s = unit.compose;
  const to = workloadRef(unit);
  const labels = Object.entries(s.labels ?? {}).filter(([k]) => !isControlLabel(k));
  for (const [k, v] of labels) unit.podAnnotations[k] = v;
  if (s.labels) {
    // Each kompose.* label was recorded by the settings resolver; the remaining ones are mapped here.
    if (labels.length) ctx.report.mapped(`${unit.path}.labels`, `${to} pod annotations`);
    else if (!Object.keys(s.labels).some((k) => k.startsWith('kompose.'))) ctx.report.mapped(`${unit.path}.labels`, '(control labels only)');
  }
  if (s.annotations) {
    for (const [k, v] of Object.entries(s.annotations)) unit.podAnnotations[k] = v;
    ctx.report.mapped(`${unit.path}.annotations`, `${to} pod annotations`);
  }
  const deployLabels = Object.entries(s.deploy?.labels ?? {}).filter(([k]) => !isControlLabel(k));
  if (s.deploy?.labels) {
    let demoted = false;
    for (const [k, v] of deployLabels) {
      if (isLabelKey(k) && isLabelValue(v) && !(k in unit.selector)) unit.workloadLabels[k] = v;
      else {
        unit.workloadAnnotations[k] = v;
        demoted = true;
      }
    }
    const path = `${unit.path}.deploy.labels`;
    if (demoted) ctx.report.approximated(path, `${to} labels`, 'labels that are not legal Kubernetes labels became annotations');
    else ctx.report.mapped(path, `${to} labels`);
  }
  for (const [k, v] of Object.entries(unit.settings.podLabels)) {
    if (k in unit.selector) {
      ctx.diagnostics.warn('metadata.selector-label', `${unit.service}: pod label ${k} is part of the selector and cannot be overridden`, { path: unit.settings.origin.podLabels });
      continue;
    }
    unit.podLabels[k] = v;
  }
  Object.assign(unit.podAnnotations, unit.settings.podAnnotations);
}

export const podMetadataPass: Pass = {
  name: 'pod-metadata',
  run(ctx) {
    for (const unit of ctx.units.values()) lowerPodMetadata(ctx, unit);
  },
};
