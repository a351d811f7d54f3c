// Plain-JS representation of the `!reset` and `!override` YAML tags. The YAML reader turns tagged nodes
// into these markers; merge and extends consume them; nothing after merging ever sees one.

export class ResetTag {
  readonly kind = 'reset';
}

export class OverrideTag {
  readonly kind = 'override';
  constructor(readonly value: unknown) {}
}

export function isReset(v: unknown): v is ResetTag {
  return v instanceof ResetTag;
}

export function isOverride(v: unknown): v is OverrideTag {
  return v instanceof OverrideTag;
}

/** True when a `!reset` or `!override` marker occurs anywhere in the tree. */
export function hasTags(v: unknown): boolean {
  if (isReset(v) || isOverride(v)) return true;
  if (Array.isArray(v)) return v.some(hasTags);
  if (v !== null && typeof v === 'object') {
    for (const k in v) if (hasTags((v as Record<string, unknown>)[k])) return true;
  }
  return false;
}

/** Removes markers left in a tree that had no base to apply to: `!reset` disappears, `!override` unwraps. */
export function stripTags(v: unknown): unknown {
  if (isReset(v)) return undefined;
  if (isOverride(v)) return stripTags(v.value);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) if (!isReset(x)) out.push(stripTags(x));
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (isReset(x)) continue;
      out[k] = stripTags(x);
    }
    return out;
  }
  return v;
}
