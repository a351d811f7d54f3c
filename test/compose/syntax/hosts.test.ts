import { describe, expect, it } from 'vitest';
import { parseExtraHosts } from '../../../src/compose/syntax/hosts.js';

// compose-go types/hostList_test.go runs the same table with both separators.
describe.each(['=', ':'])('parseExtraHosts list form with %j', (sep) => {
  it.each([
    ['IPv4', ['myhost' + sep + '192.168.0.1'], { myhost: ['192.168.0.1'] }],
    ['IPv4 with brackets', ['myhost' + sep + '[192.168.0.1]'], { myhost: ['192.168.0.1'] }],
    ['host and domain', ['host.invalid' + sep + '10.0.2.1'], { 'host.invalid': ['10.0.2.1'] }],
    ['IPv6', ['anipv6host' + sep + '2003:ab34:e::1'], { anipv6host: ['2003:ab34:e::1'] }],
    ['IPv6 with brackets', ['anipv6host' + sep + '[2003:ab34:e::1]'], { anipv6host: ['2003:ab34:e::1'] }],
    ['IPv6 localhost', ['ipv6local' + sep + '::1'], { ipv6local: ['::1'] }],
    ['IPv6 localhost with brackets', ['ipv6local' + sep + '[::1]'], { ipv6local: ['::1'] }],
    [
      'host-gateway',
      ['host.docker.internal' + sep + 'host-gateway'],
      { 'host.docker.internal': ['host-gateway'] },
    ],
    [
      'several entries',
      ['myhost' + sep + '192.168.0.1', 'anipv6host' + sep + '[2003:ab34:e::1]'],
      { myhost: ['192.168.0.1'], anipv6host: ['2003:ab34:e::1'] },
    ],
  ])('%s', (_doc, input, expected) => {
    expect(parseExtraHosts(input)).toEqual(expected);
  });
});

describe('parseExtraHosts', () => {
  it('appends IPs of a repeated host', () => {
    expect(parseExtraHosts(['foo:127.0.0.2', 'foo:ff02::1'])).toEqual({ foo: ['127.0.0.2', 'ff02::1'] });
  });

  it('splits a comma-separated IP list', () => {
    expect(parseExtraHosts(['foo=127.0.0.2,127.0.0.3'])).toEqual({ foo: ['127.0.0.2', '127.0.0.3'] });
  });

  it('tries = before :, each at its first occurrence', () => {
    expect(parseExtraHosts(['myhostv6:::1'])).toEqual({ myhostv6: ['::1'] });
    expect(() => parseExtraHosts(['a:b=::1'])).toThrow("bad host name 'a:b'");
  });

  it.each([['::::1'], ['=::1']])('rejects %j as a bad host name', (entry) => {
    expect(() => parseExtraHosts([entry])).toThrow("bad host name ''");
  });

  it('rejects an entry without an IP', () => {
    expect(() => parseExtraHosts(['lonely'])).toThrow('invalid additional host, missing IP: lonely');
  });

  it('reads the map form: a string, a list, or null', () => {
    expect(parseExtraHosts({ a: '10.0.0.1', b: ['10.0.0.2', '[::1]'], c: null })).toEqual({
      a: ['10.0.0.1'],
      b: ['10.0.0.2', '::1'],
      c: [''],
    });
  });

  it('does not split commas in the map form', () => {
    expect(parseExtraHosts({ a: '10.0.0.1,10.0.0.2' })).toEqual({ a: ['10.0.0.1,10.0.0.2'] });
  });

  it('rejects a bad host name in the map form', () => {
    expect(() => parseExtraHosts({ 'a=b': '1.2.3.4' })).toThrow("bad host name 'a=b'");
  });
});
