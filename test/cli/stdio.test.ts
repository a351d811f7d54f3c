// The compile commands write stdout and stderr with fs.writeSync (src/cli/stdio.ts). Whatever the reader on the other
// end does, the output must arrive whole and in order: a pipe read slowly, a pipe another process made non-blocking
// (EAGAIN, handed to the stream), and a reader that goes away early (EPIPE: no stack trace).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProject } from '../../bench/generate.mjs';
import { cliPath, ensureBuilt } from '../helpers/build.js';

const dir = mkdtempSync(join(tmpdir(), 'c2k-stdio-'));
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent-home' };
let expected = '';

beforeAll(() => {
  ensureBuilt();
  // 60 services: about 300 KB of manifests, several times a pipe's buffer.
  generateProject(60, dir);
  const r = spawnSync(process.execPath, [cliPath, 'convert', '-o', join(dir, 'out.yaml')], { cwd: dir, env: ENV, encoding: 'utf8' });
  expect(r.status).toBe(0);
  expected = readFileSync(join(dir, 'out.yaml'), 'utf8');
  expect(expected.length).toBeGreaterThan(200_000);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI with stdout on a pipe set up by Python: optionally non-blocking, read after a pause. */
function throughPipe(nonBlocking: boolean): { stdout: string; status: number | null; stderr: string } {
  const script = `
import os, subprocess, sys, time
r, w = os.pipe()
os.set_blocking(w, ${nonBlocking ? 'False' : 'True'})
p = subprocess.Popen(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
os.close(w)
time.sleep(0.5)
out = b''
while True:
    chunk = os.read(r, 65536)
    if not chunk: break
    out += chunk
err = p.stderr.read()
sys.stdout.buffer.write(out)
sys.stderr.buffer.write(err)
sys.exit(p.wait())
`;
  const r = spawnSync('python3', ['-c', script, process.execPath, cliPath, 'convert'], { cwd: dir, env: ENV, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { stdout: r.stdout, status: r.status, stderr: r.stderr };
}

describe('standard output', () => {
  it('arrives whole through a pipe that is read late', () => {
    const r = throughPipe(false);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('arrives whole and in order through a non-blocking pipe (EAGAIN)', () => {
    const r = throughPipe(true);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('stops quietly when the reader goes away (EPIPE)', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" convert | head -c 100 >/dev/null; echo "exit=\${PIPESTATUS[0]}" >&2`], { cwd: dir, env: ENV, encoding: 'utf8' });
    expect(r.stderr).toMatch(/exit=0/);
    expect(r.stderr).not.toMatch(/^\s+at |EPIPE|internal error/m);
  });
});

describe('COMPOSE2K8S_TIMING', () => {
  it('prints the phases on stderr and leaves stdout as it was', () => {
    const r = spawnSync(process.execPath, [cliPath, 'convert'], { cwd: dir, env: { ...ENV, COMPOSE2K8S_TIMING: '1' }, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
    const phases = [...r.stderr.matchAll(/^timing: (\S+) +([\d.]+) ms$/gm)].map((m) => m[1]);
    expect(phases).toEqual(['start-up', 'options', 'load', 'lower', 'output', 'total']);
  });
});
