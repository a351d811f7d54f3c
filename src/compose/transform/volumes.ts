// A service's `volumes`: short syntax through syntax/volumes.ts, then the defaults and casts of the long form
// (compose-go transform/volume.go and defaults.go). Relative sources are resolved later, with the other paths.

import { cleanPath, parseVolumeSpec } from '../syntax/volumes.js';
import { fail, goType, guard, isDict, mapping, withCasts, type Dict, type RunContext } from './casts.js';

export function canonicalMounts(v: unknown, path: string, ctx: RunContext): Dict[] {
  if (!Array.isArray(v)) fail('canonical.volumes', `${path}: invalid type ${goType(v)} for service volumes`, path);
  return v.map((entry, i) => canonicalMount(entry, `${path}[${i}]`, ctx));
}

function canonicalMount(v: unknown, path: string, ctx: RunContext): Dict {
  let mount: Dict;
  if (typeof v === 'string') mount = guard('canonical.volumes', path, () => parseVolumeSpec(v)) as unknown as Dict;
  else if (isDict(v)) mount = withCasts(v, path, ctx, { read_only: 'bool' });
  else fail('canonical.volumes', `${path}: invalid type ${goType(v)} for service volume mount`, path);

  if (isDict(mount.bind)) {
    // transform/defaults.go defaultVolumeBind: only applies when a `bind` block is present.
    const bind = withCasts(mount.bind, `${path}.bind`, ctx, { create_host_path: 'bool' });
    if (bind.create_host_path === undefined) bind.create_host_path = true;
    mount.bind = bind;
  }
  if (isDict(mount.volume)) {
    const volume = withCasts(mount.volume, `${path}.volume`, ctx, { nocopy: 'bool' });
    if (volume.labels != null) volume.labels = mapping(volume.labels, `${path}.volume.labels`);
    mount.volume = volume;
  }
  if (isDict(mount.tmpfs)) {
    const tmpfs = withCasts(mount.tmpfs, `${path}.tmpfs`, ctx, { size: 'bytes' });
    // Mode is a uint32 in compose-go, which does not convert strings (unlike secret and config modes).
    if (typeof tmpfs.mode === 'string') {
      fail('canonical.mode', "expected type 'uint32', got unconvertible type 'string'", `${path}.tmpfs.mode`);
    }
    mount.tmpfs = tmpfs;
  }
  if (typeof mount.target === 'string') mount.target = cleanPath(mount.target);
  if (mount.type === 'bind') {
    if (mount.source === undefined || mount.source === null) {
      fail('canonical.volumes', 'invalid mount config for type "bind": field Source must not be empty', path);
    }
    mount.source = String(mount.source);
  }
  return mount;
}
