import { describe, expect, it } from 'vitest';
import { parsePortSpec, portDefaults } from '../../../src/compose/syntax/ports.js';

const tcp = (target: number, published?: string, extra: Record<string, string> = {}) => ({
  target,
  protocol: 'tcp',
  mode: 'ingress',
  ...(published === undefined ? {} : { published }),
  ...extra,
});

describe('parsePortSpec: compose-go TestParsePortConfig', () => {
  const ok: [string, object[]][] = [
    ['80', [tcp(80)]],
    ['80:8080', [tcp(8080, '80')]],
    ['80-90:8080', [tcp(8080, '80-90')]],
    ['8080:80/tcp', [tcp(80, '8080')]],
    ['80:8080/udp', [{ ...tcp(8080, '80'), protocol: 'udp' }]],
    ['80-81:8080-8081/tcp', [tcp(8080, '80'), tcp(8081, '81')]],
    [
      '80-82:8080-8082/udp',
      [8080, 8081, 8082].map((t, i) => ({ ...tcp(t, String(80 + i)), protocol: 'udp' })),
    ],
    ['80-82:8080/udp', [{ ...tcp(8080, '80-82'), protocol: 'udp' }]],
    ['80-80:8080/tcp', [tcp(8080, '80')]],
    ['1.1.1.1:80:80', [tcp(80, '80', { host_ip: '1.1.1.1' })]],
  ];
  it.each(ok)('%s', (spec, expected) => {
    expect(parsePortSpec(spec)).toEqual(expected);
  });

  const errors: [string, string][] = [
    ['9999999', 'Invalid containerPort: 9999999'],
    ['80/xyz', 'Invalid proto: xyz'],
    ['tcp', 'Invalid containerPort: tcp'],
    ['udp', 'Invalid containerPort: udp'],
    ['', 'No port specified: <empty>'],
  ];
  it.each(errors)('%s fails with %s', (spec, message) => {
    expect(() => parsePortSpec(spec)).toThrow(new Error(message));
  });
});

describe('parsePortSpec: ranges (TestPortsRange of compose-go, and more)', () => {
  it('expands equal host and container ranges one entry per port', () => {
    expect(parsePortSpec('80-82:8080-8082')).toEqual([tcp(8080, '80'), tcp(8081, '81'), tcp(8082, '82')]);
  });

  it('keeps the host IP on every expanded entry', () => {
    expect(parsePortSpec('127.0.0.1:8080-8081:80-81')).toEqual([
      tcp(80, '8080', { host_ip: '127.0.0.1' }),
      tcp(81, '8081', { host_ip: '127.0.0.1' }),
    ]);
  });

  it('expands a container-only range without published ports', () => {
    expect(parsePortSpec('3000-3005').map((p) => p.target)).toEqual([3000, 3001, 3002, 3003, 3004, 3005]);
    expect(parsePortSpec('3000-3005').every((p) => p.published === undefined)).toBe(true);
  });

  it('orders expanded entries by the "port/proto" string, as Go sorts map keys', () => {
    expect(parsePortSpec('98-101').map((p) => p.target)).toEqual([100, 101, 98, 99]);
  });

  it('rejects host and container ranges of different lengths', () => {
    expect(() => parsePortSpec('80-81:8080-8082')).toThrow(
      'Invalid ranges specified for container and host Ports: 8080-8082 and 80-81',
    );
  });

  it('rejects a descending or out-of-range host port', () => {
    expect(() => parsePortSpec('90-80:8080')).toThrow('Invalid hostPort: 90-80');
    expect(() => parsePortSpec('65536:80')).toThrow('Invalid hostPort: 65536');
  });

  it('parses the protocol case-insensitively but reports it as written', () => {
    expect(parsePortSpec('53:53/UDP')).toEqual([{ ...tcp(53, '53'), protocol: 'udp' }]);
    expect(() => parsePortSpec('53/Foo')).toThrow('Invalid proto: Foo');
  });

  it('splits the protocol at the first / and a range at the first -', () => {
    expect(() => parsePortSpec('80/tcp/x')).toThrow('Invalid proto: tcp/x');
    expect(() => parsePortSpec('1-2-3')).toThrow('Invalid containerPort: 1-2-3');
    expect(parsePortSpec('80-080')).toEqual([tcp(80)]);
  });

  it('reads port numbers like strconv.ParseInt, 0 to 65535', () => {
    expect(parsePortSpec('+80')).toEqual([tcp(80)]);
    expect(parsePortSpec('0:80')).toEqual([tcp(80, '0')]);
    expect(() => parsePortSpec('65535-65536:80')).toThrow('Invalid hostPort: 65535-65536');
  });

  it('validates the protocol before the ports', () => {
    expect(() => parsePortSpec('99999/xyz')).toThrow('Invalid proto: xyz');
  });

  it('accepts sctp', () => {
    expect(parsePortSpec('9000/sctp')).toEqual([{ ...tcp(9000), protocol: 'sctp' }]);
  });
});

describe('parsePortSpec: host IP', () => {
  it('validates the IP (transform/ports_test.go)', () => {
    expect(() => parsePortSpec('127.0.1:8080:80')).toThrow('Invalid ip address: 127.0.1');
  });

  it('strips brackets from an IPv6 address', () => {
    expect(parsePortSpec('[::1]:8080:80')).toEqual([tcp(80, '8080', { host_ip: '::1' })]);
  });

  it('accepts a bare multi-colon IPv6 address, as docker compose does (go-connections >= v0.6)', () => {
    expect(parsePortSpec('::1:6000:6000')).toEqual([tcp(6000, '6000', { host_ip: '::1' })]);
    expect(parsePortSpec('::ffff:1.2.3.4:80:80')).toEqual([tcp(80, '80', { host_ip: '::ffff:1.2.3.4' })]);
  });

  it('reports what net.SplitHostPort rejects in a bracketed IP', () => {
    expect(() => parsePortSpec('[::1]x:80:80')).toThrow(
      'Invalid ip address [::1]x: address [::1]x:: missing port in address',
    );
    expect(() => parsePortSpec('[::1:80:80')).toThrow("missing ']' in address");
  });

  it('keeps an empty IP before a host port empty', () => {
    expect(parsePortSpec(':8080:80')).toEqual([tcp(80, '8080')]);
  });

  it('rejects IPv4 addresses with leading zeros, as Go net.ParseIP does', () => {
    expect(() => parsePortSpec('127.000.0.1:80:80')).toThrow('Invalid ip address: 127.000.0.1');
  });
});

describe('parsePortSpec: numbers and long-form defaults', () => {
  it('parses a YAML integer as its decimal text', () => {
    expect(parsePortSpec(8600)).toEqual([tcp(8600)]);
    expect(() => parsePortSpec(99999)).toThrow('Invalid containerPort: 99999');
  });

  it('fills protocol and mode and stringifies published (transform portDefaults)', () => {
    expect(portDefaults({ target: 80, published: 8080 })).toEqual(tcp(80, '8080'));
    expect(portDefaults({ target: 80, protocol: 'udp', mode: 'host', name: 'web' })).toEqual({
      target: 80,
      protocol: 'udp',
      mode: 'host',
      name: 'web',
    });
  });
});
