// x-kubernetes (and kompose label) pod settings that have no Compose source, applied after the passes that
// derive the same fields from Compose, so the explicit settings win.

import { type LowerContext, type ServiceUnit } from './context.js';
import type { Pass } from './pass.js';
import { merged } from './objects.js';

export function applyPodSettings(ctx: LowerContext, unit: ServiceUnit): void {
  const st = unit.settings;
  if (Object.keys(st.nodeSelector).length) unit.pod.nodeSelector = merged(unit.pod.nodeSelector, st.nodeSelector);
  if (st.tolerations) unit.pod.tolerations = st.tolerations;
  // Each affinity kind given explicitly replaces the derived one (e.g. placement constraints).
  if (st.affinity) unit.pod.affinity = merged(unit.pod.affinity, st.affinity);
  if (st.serviceAccountName) unit.pod.serviceAccountName = st.serviceAccountName;
  if (st.imagePullSecrets.length) unit.pod.imagePullSecrets = st.imagePullSecrets.map((name) => ({ name }));
  if (Object.keys(st.securityContext).length) unit.pod.securityContext = merged(unit.pod.securityContext, st.securityContext);
  if (Object.keys(st.containerSecurityContext).length) {
    unit.container.securityContext = merged(unit.container.securityContext, st.containerSecurityContext);
  }
  if (st.initContainer) {
    const { name, image, command } = st.initContainer;
    unit.initContainers.push({ name: ctx.names.claim(`initContainer:${unit.service}`, 'kompose', name), image, ...(command ? { command } : {}) });
  }
}

export const podSettingsPass: Pass = {
  name: 'pod-settings',
  run(ctx) {
    for (const unit of ctx.units.values()) applyPodSettings(ctx, unit);
  },
};
