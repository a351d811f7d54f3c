import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addPackageOptions, checkPackageFlags } from '../../src/cli/package-options.js';
import { MANIFEST_FILE, objectFileNames, writeDirectory } from '../../src/emit/directory.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { lowerFixture, parseStream, tempDir } from './helpers.js';

describe('writeDirectory', () => {
  it('writes one file per object, named by kind and name, that together are the stream', () => {
    const { objects } = lowerFixture('shop');
    const dir = join(tempDir(), 'out');
    writeDirectory(objects, dir);
    const files = readdirSync(dir).filter((f) => f !== MANIFEST_FILE);
    expect(files.length).toBe(objects.length);
    expect(files).toContain('deployment-web.yaml');
    const all = files.flatMap((f) => parseStream(readFileSync(join(dir, f), 'utf8')));
    expect(all.length).toBe(objects.length);
    expect(readFileSync(join(dir, MANIFEST_FILE), 'utf8').split('\n').filter(Boolean).sort()).toEqual(files.sort());
  });

  it('names objects that would share a file apart', () => {
    const o = (ns: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: ns } });
    expect(objectFileNames([o('x'), o('y')])).toEqual(['x-configmap-a.yaml', 'y-configmap-a.yaml']);
  });

  it('refuses an existing file and foreign files; replaces its own output', () => {
    const { objects } = lowerFixture('shop');
    const parent = tempDir();
    writeFileSync(join(parent, 'file'), 'x');
    expect(() => writeDirectory(objects, join(parent, 'file'))).toThrow(/not a directory/);
    mkdirSync(join(parent, 'theirs'));
    writeFileSync(join(parent, 'theirs', 'notes.md'), 'mine');
    try {
      writeDirectory(objects, join(parent, 'theirs'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics[0]!.code).toBe('output.foreign-files');
    }
    const dir = join(parent, 'ours');
    writeDirectory(objects, dir);
    writeDirectory(objects.slice(0, 2), dir);
    expect(readdirSync(dir).filter((f) => f !== MANIFEST_FILE).length).toBe(2);
  });
});

describe('addPackageOptions', () => {
  const parse = (argv: string[]) => {
    const cmd = addPackageOptions(new Command('convert').exitOverride().configureOutput({ writeErr: () => {} }));
    cmd.parse(argv, { from: 'user' });
    return cmd.opts();
  };
  it('parses formats, repeatable overlays and the chart version', () => {
    expect(parse([])).toMatchObject({ format: 'yaml', chartVersion: '0.1.0' });
    const o = parse(['--format', 'kustomize', '-o', 'k8s', '--overlay', 'prod=compose.prod.yaml', '--overlay', 'dev=compose.dev.yaml']);
    expect(o.overlay).toEqual([
      { name: 'prod', file: 'compose.prod.yaml' },
      { name: 'dev', file: 'compose.dev.yaml' },
    ]);
    expect(checkPackageFlags(o as any)).toBeUndefined();
    expect(parse(['--format', 'helm', '--chart-version', '1.2.3-rc.1']).chartVersion).toBe('1.2.3-rc.1');
  });
  it('rejects bad values', () => {
    expect(() => parse(['--format', 'xml'])).toThrow();
    expect(() => parse(['--overlay', 'prod'])).toThrow(/NAME=FILE/);
    expect(() => parse(['--overlay', '../x=a.yaml'])).toThrow(/overlay name/);
    expect(() => parse(['--overlay', 'a=1.yaml', '--overlay', 'a=2.yaml'])).toThrow(/twice/);
    expect(() => parse(['--chart-version', 'v1'])).toThrow(/SemVer/);
    expect(checkPackageFlags({ format: 'helm' })).toMatch(/-o <dir>/);
    expect(checkPackageFlags({ format: 'yaml', overlay: [{ name: 'a', file: 'b' }] })).toMatch(/kustomize/);
  });
});

describe('startup cost', () => {
  it('no emitter imports handlebars statically (it is loaded only for helm, templates and report)', () => {
    const dir = join(__dirname, '../../src/emit');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      expect(readFileSync(join(dir, f), 'utf8'), f).not.toMatch(/^import[^;]*from 'handlebars'/m);
    }
  });
});
