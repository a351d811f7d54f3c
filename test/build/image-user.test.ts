import { describe, expect, it } from 'vitest';
import { classifyUser } from '../../src/build/index.js';

describe('classifyUser: what the kubelet makes of an image USER under runAsNonRoot', () => {
  it('no USER, root and uid 0 are root; numeric uids are fine; names cannot be checked', () => {
    expect(['', 'root', '0', '0:0', 'root:staff'].map(classifyUser)).toEqual(['root', 'root', 'root', 'root', 'root']);
    expect(['65534', '1000:1000', '1'].map(classifyUser)).toEqual(['ok', 'ok', 'ok']);
    expect(['nginx', 'app:app'].map(classifyUser)).toEqual(['name', 'name']);
  });
});
