import fc from 'fast-check';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isGoIp } from '../../../src/compose/syntax/ip.js';

// Cases from Go's net/netip ParseAddr tests, as net.ParseIP (which refuses zones) answers them.
const valid = [
  '0.0.0.0', '127.0.0.1', '192.168.1.1', '255.255.255.255', '::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::',
  '::2:3:4:5:6:7:8', 'fd7a:115c:a1e0:ab12:4843:cd96:626b:430b', 'FD9E:1A04:F01D::1', '::ffff:192.168.1.1',
  '::ffff:c000:0280', '1:2:3:4:5:6:1.2.3.4', '1::1.2.3.4', '::1.2.3.4', '2001:db8::', '0:0:0:0:0:0:0:0',
];
const invalid = [
  '', 'localhost', '1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.02.3.4', '256.1.1.1', '1.2.3.4.', '.1.2.3.4', '1..2.3',
  '1.2.3.4:80', '1.2.3.-4', ' 1.2.3.4', 'fe80::1%eth0', 'fe80::1%', '%eth0', ':', ':::', ':1', '1:', '1::2::3',
  '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', '1:2:3:4:5:6:7', 'g::', '1:2:3:4:5:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4', '::ffff:01.2.3.4', '::ffff:1.2.3', '[::1]', '1.2.3.4%eth0',
];

describe('isGoIp (net.ParseIP)', () => {
  it.each(valid)('accepts %s', (s) => expect(isGoIp(s)).toBe(true));
  it.each(invalid)('refuses %j', (s) => expect(isGoIp(s)).toBe(false));

  it('agrees with node:net isIP on strings without a zone (which Go refuses and node accepts)', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEFg:.'.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join('')), (s) => {
        expect(isGoIp(s)).toBe(isIP(s) !== 0);
      }),
      { numRuns: 20_000 },
    );
    // Address-shaped strings, so that many are valid.
    const token = fc.constantFrom('0', '1', 'ff', 'FFFF', 'abcd', '12345', '::', ':', '.', '1.2.3.4', '255', '256', '01');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }).map((a) => a.join('')), (s) => {
        expect(isGoIp(s)).toBe(isIP(s) !== 0);
      }),
      { numRuns: 20_000 },
    );
  });
});
