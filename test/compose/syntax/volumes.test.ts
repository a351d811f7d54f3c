import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  formatVolumeSpec,
  isFilePath,
  parseVolumeSpec,
} from '../../../src/compose/syntax/volumes.js';

const bind = (source: string, target: string, extra: object = {}) => ({
  type: 'bind',
  source,
  target,
  bind: { create_host_path: true },
  ...extra,
});

// One describe per test function of compose-go's format/volume_test.go.
describe('parseVolumeSpec (format/volume_test.go)', () => {
  it('AnonymousVolume', () => {
    for (const path of ['/path', '/path/foo']) {
      expect(parseVolumeSpec(path)).toEqual({ type: 'volume', target: path, volume: {} });
    }
  });

  it('AnonymousVolumeWindows', () => {
    for (const path of ['C:\\path', 'Z:\\path\\foo']) {
      expect(parseVolumeSpec(path)).toEqual({ type: 'volume', target: path, volume: {} });
    }
  });

  it('TooManyColons', () => {
    expect(() => parseVolumeSpec('/foo:/foo:ro:foo')).toThrow(
      new Error('invalid spec: /foo:/foo:ro:foo: too many colons'),
    );
  });

  it('ShortVolumes', () => {
    for (const path of ['.', '/a']) {
      expect(parseVolumeSpec(path)).toEqual({ type: 'volume', target: path });
    }
  });

  it('MissingSource', () => {
    for (const spec of [':foo', '/foo::ro']) {
      expect(() => parseVolumeSpec(spec)).toThrow('empty section between colons');
    }
  });

  it('BindMount', () => {
    for (const path of ['./foo', '~/thing', '../other', '/foo', '/home/user']) {
      expect(parseVolumeSpec(`${path}:/target`)).toEqual(bind(path, '/target'));
    }
  });

  it('RelativeBindMountWindows', () => {
    for (const path of ['./foo', '~/thing', '../other', 'D:\\path', '/home/user']) {
      expect(parseVolumeSpec(`${path}:d:\\target`)).toEqual(bind(path, 'd:\\target'));
    }
  });

  it('WithBindOptions', () => {
    expect(parseVolumeSpec('/source:/target:slave')).toEqual({
      type: 'bind',
      source: '/source',
      target: '/target',
      bind: { create_host_path: true, propagation: 'slave' },
    });
  });

  it('WithBindOptionsSELinuxShared', () => {
    expect(parseVolumeSpec('/source:/target:ro,z')).toEqual({
      type: 'bind',
      source: '/source',
      target: '/target',
      read_only: true,
      bind: { create_host_path: true, selinux: 'z' },
    });
  });

  it('WithBindOptionsSELinuxPrivate', () => {
    expect(parseVolumeSpec('/source:/target:ro,Z')).toEqual({
      type: 'bind',
      source: '/source',
      target: '/target',
      read_only: true,
      bind: { create_host_path: true, selinux: 'Z' },
    });
  });

  it('WithBindOptionsWindows', () => {
    expect(parseVolumeSpec('C:\\source\\foo:D:\\target:ro,rprivate')).toEqual({
      type: 'bind',
      source: 'C:\\source\\foo',
      target: 'D:\\target',
      read_only: true,
      bind: { create_host_path: true, propagation: 'rprivate' },
    });
  });

  it('WithInvalidVolumeOptions: unknown options are ignored', () => {
    expect(parseVolumeSpec('name:/target:bogus')).toEqual({
      type: 'volume',
      source: 'name',
      target: '/target',
      volume: {},
    });
  });

  it('WithVolumeOptions', () => {
    expect(parseVolumeSpec('name:/target:nocopy')).toEqual({
      type: 'volume',
      source: 'name',
      target: '/target',
      volume: { nocopy: true },
    });
  });

  it('WithReadOnly', () => {
    for (const path of ['./foo', '/home/user']) {
      expect(parseVolumeSpec(`${path}:/target:ro`)).toEqual(bind(path, '/target', { read_only: true }));
    }
  });

  it('WithRW', () => {
    for (const path of ['./foo', '/home/user']) {
      expect(parseVolumeSpec(`${path}:/target:rw`)).toEqual(bind(path, '/target'));
    }
  });

  it('WindowsNamedPipe', () => {
    expect(parseVolumeSpec('\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\inside')).toEqual(
      bind('\\\\.\\pipe\\docker_engine', '\\\\.\\pipe\\inside'),
    );
  });

  it('IsFilePath', () => {
    expect(isFilePath('a界')).toBe(false);
    expect(isFilePath('c:\\x')).toBe(true);
    expect(isFilePath('named')).toBe(false);
  });

  // The old VolumeSplitN table: only whether a source was found is asserted.
  it.each([
    ['C:\\foo:d:', true],
    [':C:\\foo:d:', false],
    ['/foo:/bar:ro', true],
    ['C:\\foo\\:/foo', true],
    ['d:\\', false],
    ['d:', false],
    ['d:\\path', false],
    ['d:\\path with space', false],
    ['d:\\pathandmode:rw', true],
    ['c:\\:d:\\', true],
    ['c:\\windows\\:d:', true],
    ['c:\\windows:d:\\s p a c e', true],
    ['c:\\windows:d:\\s p a c e:RW', true],
    ['c:\\program files:d:\\s p a c e i n h o s t d i r', true],
    ['0123456789name:d:', true],
    ['MiXeDcAsEnAmE:d:', true],
    ['name:D:', true],
    ['name:D::rW', true],
    ['name:D::RW', true],
    ['c:/:d:/forward/slashes/are/good/too', true],
    ['c:\\Windows', false],
    ['c:\\Program Files (x86)', false],
    ['.', false],
    ['..\\', false],
    ['c:\\:..\\', true],
    ['c:\\:d:\\:xyzzy', true],
    ['/tmp/x/y:/foo/x/y', true],
  ])('SplitCases %s has a source: %s', (spec, hasSource) => {
    let source: string | undefined;
    try {
      source = parseVolumeSpec(spec).source;
    } catch {
      source = undefined;
    }
    expect(source !== undefined && source !== '').toBe(hasSource);
  });

  it('InvalidEmptySpec', () => {
    expect(() => parseVolumeSpec('')).toThrow('invalid empty volume spec');
  });

  it('InvalidSections', () => {
    expect(() => parseVolumeSpec('/foo::rw')).toThrow('invalid spec');
  });

  it('VolumeStringer', () => {
    expect(
      formatVolumeSpec({
        type: 'bind',
        source: '/src',
        target: '/target',
        bind: { create_host_path: true, propagation: 'shared', selinux: 'z' },
      }),
    ).toBe('/src:/target:rw,z,shared');
  });

  it.each([
    ['/tmp:/tmp/${BUG_HERE:-DEFAULT}/path', bind('/tmp', '/tmp/${BUG_HERE:-DEFAULT}/path')],
    ['/tmp/${VAR:-default}:/target', bind('/tmp/${VAR:-default}', '/target')],
    ['/src/${SRC:-default}:/dst/${DST:-value}', bind('/src/${SRC:-default}', '/dst/${DST:-value}')],
    ['/tmp:/tmp/${VAR:-}/path', bind('/tmp', '/tmp/${VAR:-}/path')],
    ['/tmp:/tmp/${VAR:-default/path/value}/file', bind('/tmp', '/tmp/${VAR:-default/path/value}/file')],
    ['/tmp:/tmp/${VAR1:-val1}/${VAR2:-val2}/path', bind('/tmp', '/tmp/${VAR1:-val1}/${VAR2:-val2}/path')],
    ['/tmp:/tmp/${VAR:-default}/path:ro', bind('/tmp', '/tmp/${VAR:-default}/path', { read_only: true })],
    ['/tmp:/tmp/${WORKS_AS_EXPECTED}/path', bind('/tmp', '/tmp/${WORKS_AS_EXPECTED}/path')],
    ['/tmp:/tmp/${VAR1:-default}/${VAR2}/path', bind('/tmp', '/tmp/${VAR1:-default}/${VAR2}/path')],
    ['/tmp:/tmp/${TIME:-12:30:45}/path', bind('/tmp', '/tmp/${TIME:-12:30:45}/path')],
    [
      'myvolume:/data/${VAR:-default}/path',
      { type: 'volume', source: 'myvolume', target: '/data/${VAR:-default}/path', volume: {} },
    ],
    [
      '/src:/target/${VAR:-default}/path:slave,ro',
      {
        ...bind('/src', '/target/${VAR:-default}/path', { read_only: true }),
        bind: { create_host_path: true, propagation: 'slave' },
      },
    ],
  ])('WithVariableDefaultValue %s', (spec, expected) => {
    expect(parseVolumeSpec(spec)).toEqual(expected);
  });

  it.each([
    ['C:\\source:D:\\target\\${VAR:-default}\\path', bind('C:\\source', 'D:\\target\\${VAR:-default}\\path')],
    ['C:\\src\\${VAR:-default}:D:\\target', bind('C:\\src\\${VAR:-default}', 'D:\\target')],
    ['C:\\source:D:\\${VAR:-default}\\path:ro', bind('C:\\source', 'D:\\${VAR:-default}\\path', { read_only: true })],
  ])('WithVariableDefaultValueWindows %s', (spec, expected) => {
    expect(parseVolumeSpec(spec)).toEqual(expected);
  });

  it.each([
    ['/tmp:/tmp/${VAR:-{default}}/path', bind('/tmp', '/tmp/${VAR:-{default}}/path')],
    ['/tmp:/tmp/path/${VAR:-default}', bind('/tmp', '/tmp/path/${VAR:-default}')],
    ['/tmp:/${VAR:-default}/path', bind('/tmp', '/${VAR:-default}/path')],
  ])('WithNestedBraces %s', (spec, expected) => {
    expect(parseVolumeSpec(spec)).toEqual(expected);
  });
});

describe('parseVolumeSpec: compose2k8s additions', () => {
  it('cleans the target like path.Clean (transform/volume.go)', () => {
    expect(parseVolumeSpec('data:/var/lib//db/./x/../')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/var/lib/db',
      volume: {},
    });
  });

  it('keeps both bind options and a volume block when a named volume gets a bind option', () => {
    expect(parseVolumeSpec('data:/d:z,nocopy')).toEqual({
      type: 'volume',
      source: 'data',
      target: '/d',
      bind: { selinux: 'z' },
      volume: { nocopy: true },
    });
  });

  it('cleanPath follows Go path.Clean', () => {
    expect(cleanPath('a/../..')).toBe('..');
    expect(cleanPath('/../a')).toBe('/a');
    expect(cleanPath('./')).toBe('.');
    expect(cleanPath('//x//y/')).toBe('/x/y');
  });
});
