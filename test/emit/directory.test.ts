import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addPackageOptions, checkPackageFlags } from '../../src/cli/package-options.js';
import { MANIFEST_FILE, objectFileNames, writeDirectory, writeTreeAtomic } from '../../src/emit/directory.js';
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

describe('writeTreeAtomic with files the user keeps', () => {
  const keep = (rel: string) => rel.startsWith('drop/');
  it('carries the kept files over (symlinks as symlinks), never lists them as ours, and refuses other files', () => {
    const out = join(tempDir(), 'o');
    writeTreeAtomic(out, new Map([['a.yaml', 'a'], ['drop/README.md', 'r']]), keep);
    writeFileSync(join(out, 'drop', 'mine.txt'), 'mine', { mode: 0o600 });
    mkdirSync(join(out, 'drop', 'sub'));
    writeFileSync(join(out, 'drop', 'sub', 'deep.txt'), 'deep');
    symlinkSync('../elsewhere', join(out, 'drop', 'link'));
    writeTreeAtomic(out, new Map([['b.yaml', 'b'], ['drop/README.md', 'r2']]), keep);
    expect(readFileSync(join(out, 'drop', 'mine.txt'), 'utf8')).toBe('mine');
    expect(lstatSync(join(out, 'drop', 'mine.txt')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'drop', 'sub', 'deep.txt'), 'utf8')).toBe('deep');
    expect(readlinkSync(join(out, 'drop', 'link'))).toBe('../elsewhere');
    expect(readFileSync(join(out, 'drop', 'README.md'), 'utf8')).toBe('r2');
    expect(readFileSync(join(out, MANIFEST_FILE), 'utf8')).toBe('b.yaml\ndrop/README.md\n');
    // Without the rule they are foreign; a kept path the new tree would overwrite is foreign too.
    expect(() => writeTreeAtomic(out, new Map([['b.yaml', 'b']]))).toThrow(/drop\/link, drop\/mine.txt, drop\/sub\/deep.txt/);
    expect(() => writeTreeAtomic(out, new Map([['drop/mine.txt', 'ours']]), keep)).toThrow(/drop\/mine.txt/);
    expect(readFileSync(join(out, 'drop', 'mine.txt'), 'utf8')).toBe('mine');
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
