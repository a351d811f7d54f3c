import { describe, expect, it } from 'vitest';
import { parseDeviceSpec } from '../../../src/compose/syntax/devices.js';

describe('parseDeviceSpec', () => {
  it('reads source:target:permissions (loader/tests/devices_test.go)', () => {
    expect(parseDeviceSpec('/dev/source:/dev/target:permissions')).toEqual({
      source: '/dev/source',
      target: '/dev/target',
      permissions: 'permissions',
    });
  });

  it('defaults target to source and permissions to rwm', () => {
    expect(parseDeviceSpec('/dev/single')).toEqual({ source: '/dev/single', target: '/dev/single', permissions: 'rwm' });
    expect(parseDeviceSpec('/dev/a:/dev/b')).toEqual({ source: '/dev/a', target: '/dev/b', permissions: 'rwm' });
  });

  it('takes an empty target as the source', () => {
    expect(parseDeviceSpec('/dev/a::r')).toEqual({ source: '/dev/a', target: '/dev/a', permissions: 'r' });
  });

  it('accepts CDI device names', () => {
    expect(parseDeviceSpec('vendor.com/device=gpu')).toEqual({
      source: 'vendor.com/device=gpu',
      target: 'vendor.com/device=gpu',
      permissions: 'rwm',
    });
  });

  it('rejects four or more parts', () => {
    expect(() => parseDeviceSpec('/a:/b:rwm:x')).toThrow(
      new Error('confusing device mapping, please use long syntax: /a:/b:rwm:x'),
    );
  });
});
