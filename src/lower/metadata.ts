// Recommended labels and the selector. Choices (documented in docs/lowering.md):
// - every object: app.kubernetes.io/{name,instance,part-of,managed-by}, plus component for a service's objects;
// - selector: app.kubernetes.io/instance (project) + app.kubernetes.io/component (service): minimal, and stable
//   because neither changes when the image, version or settings change (selectors are immutable);
// - Compose `labels` and `annotations` become pod-template annotations (label values are too restricted
//   to carry arbitrary Compose values); `deploy.labels` become workload labels where legal, annotations otherwise.

import { shortHash } from './names.js';

export const MANAGED_BY = 'compose2k8s';
export { LABEL, CONFIG_CHECKSUM_ANNOTATION } from '../model/kube.js';
import { LABEL } from '../model/kube.js';


const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isLabelValue(v: string): boolean {
  return v.length <= 63 && LABEL_VALUE.test(v);
}

/** A legal label (or annotation) key: optional DNS-subdomain prefix, `/`, name of at most 63 characters. */
export function isLabelKey(k: string): boolean {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}

/** A value made legal for a label: invalid characters become `-`, trimmed, truncated with a hash. */
export function toLabelValue(raw: string): string {
  if (isLabelValue(raw)) return raw;
  let v = raw.replace(/[^-A-Za-z0-9_.]/g, '-').replace(/^[-_.]+/, '').replace(/[-_.]+$/, '');
  if (v.length > 63) v = `${v.slice(0, 56).replace(/[-_.]+$/, '')}-${shortHash(raw)}`;
  return v;
}

/** Labels of project-wide objects (Namespace, shared volumes, configs, secrets). */
export function projectLabels(project: string): Record<string, string> {
  const p = toLabelValue(project);
  return { [LABEL.name]: p, [LABEL.instance]: p, [LABEL.partOf]: p, [LABEL.managedBy]: MANAGED_BY };
}

/** The immutable selector of a service's pods. */
export function selectorLabels(project: string, serviceName: string): Record<string, string> {
  return { [LABEL.instance]: toLabelValue(project), [LABEL.component]: serviceName };
}

/** Labels of every object belonging to one service (`serviceName` is its Kubernetes name). */
export function serviceLabels(project: string, serviceName: string): Record<string, string> {
  const p = toLabelValue(project);
  return {
    [LABEL.name]: serviceName,
    [LABEL.instance]: p,
    [LABEL.component]: serviceName,
    [LABEL.partOf]: p,
    [LABEL.managedBy]: MANAGED_BY,
  };
}

/** Keys of Compose labels that are control input for other tools, not metadata (B20). */
export function isControlLabel(key: string): boolean {
  return key.startsWith('kompose.') || key.startsWith('com.docker.compose.');
}
