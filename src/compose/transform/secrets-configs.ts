// `secrets` and `configs` of a service or a build (compose-go transform/secrets.go, defaults.go).

import { fail, goType, isDict, toMode, type Dict } from './casts.js';

/** `secrets` and `configs` of a service (or of a build): a name becomes `{source}`. */
export function fileReferences(v: unknown, path: string, secretTarget: boolean): Dict[] {
  if (!Array.isArray(v)) fail('canonical.type', `${path}: invalid type ${goType(v)}`, path);
  return v.map((entry, i) => {
    const at = `${path}[${i}]`;
    let ref: Dict;
    if (typeof entry === 'string') ref = { source: entry };
    else if (isDict(entry)) ref = { ...entry };
    else fail('canonical.type', `${at}: unsupported type ${goType(entry)}`, at);
    if (ref.mode !== undefined && ref.mode !== null) ref.mode = toMode(ref.mode, `${at}.mode`);
    for (const id of ['uid', 'gid']) if (typeof ref[id] === 'number') ref[id] = String(ref[id]);
    // transform/defaults.go sets a default target for service secrets only, not for configs.
    if (secretTarget && ref.target === undefined) ref.target = `/run/secrets/${String(ref.source)}`;
    return ref;
  });
}
