// Short device syntax `source[:target[:permissions]]` (compose-go transform/device.go). The target
// defaults to the source and the permissions to `rwm`. A CDI device name such as
// `vendor.com/device=gpu` has no `:` and so is simply a source.

import type { Device } from '../../model/project.js';

export function parseDeviceSpec(spec: string): Device {
  const parts = spec.split(':');
  if (parts.length > 3) throw new Error(`confusing device mapping, please use long syntax: ${spec}`);
  const [source, target, permissions] = parts as [string, string | undefined, string | undefined];
  return {
    source,
    target: target === undefined || target === '' ? source : target,
    permissions: permissions ?? 'rwm',
  };
}
