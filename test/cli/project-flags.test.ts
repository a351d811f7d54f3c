// The project flags (-f, -p, --project-directory, --profile, --env-file, --restrict-paths) before the command, as
// `docker compose -f a.yaml config` and `kompose -f a.yaml convert` take them, and after it: the built CLI is spawned
// both ways and must give the same result. Repeatable flags accumulate across the two positions (before ones first);
// a single-valued flag in both positions is a usage error. With COMPOSE2K8S_DOCKER_COMPOSE set, `config` with the
// flags before the command is compared with docker compose given the same command line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENV, ensureBuilt, runCli, runOracle, type Run } from '../helpers/build.js';

const oracle = process.env.COMPOSE2K8S_DOCKER_COMPOSE;
if (!oracle) console.warn('COMPOSE2K8S_DOCKER_COMPOSE is not set: the project-flag comparisons with docker compose are SKIPPED');

beforeAll(ensureBuilt, 120_000);

const ENV = CLI_ENV;
const ours = runCli;
const theirs = (args: string[], cwd: string) => runOracle(oracle!, args, cwd);

// <top>/outside.env is outside the project directory <top>/proj (for --restrict-paths); proj/sub/.env is the
// .env of --project-directory sub.
let top = '';
let dir = '';
beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'c2k-flags-'));
  dir = join(top, 'proj');
  const files: Record<string, string> = {
    'outside.env': 'OUT=1\n',
    'proj/compose.yaml':
      'services:\n  a:\n    image: app:${TAG:-none}\n    environment:\n      FROM: ${FROM:-unset}\n' +
      '  b:\n    image: dbg\n    profiles: [debug]\n  c:\n    image: extra\n    profiles: [extra]\n',
    'proj/o.yaml': 'services:\n  a:\n    environment:\n      OVERRIDE: "yes"\n',
    'proj/one.env': 'TAG=1\nFROM=one\n',
    'proj/two.env': 'TAG=2\n',
    'proj/sub/.env': 'TAG=sub\n',
    'proj/outside.yaml': 'services:\n  a:\n    image: a\n    env_file: ../outside.env\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(top, name)), { recursive: true });
    writeFileSync(join(top, name), text);
  }
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

/** Each project flag in each of its spellings, with what it must change. */
const FLAG_SETS: { name: string; flags: string[] }[] = [
  { name: '-f twice (an override file)', flags: ['-f', 'compose.yaml', '-f', 'o.yaml'] },
  { name: '--file=', flags: ['--file=compose.yaml', '--file=o.yaml'] },
  { name: '-p', flags: ['-p', 'demo'] },
  { name: '-pNAME', flags: ['-pdemo'] },
  { name: '--project-name', flags: ['--project-name', 'demo'] },
  { name: '-p twice in one position (the last wins)', flags: ['-p', 'first', '-p', 'demo'] },
  { name: '--project-directory', flags: ['--project-directory', 'sub'] },
  { name: '--profile', flags: ['--profile', 'debug'] },
  { name: '--profile twice', flags: ['--profile', 'debug', '--profile', 'extra'] },
  { name: '--env-file twice (the later wins)', flags: ['--env-file', 'one.env', '--env-file', 'two.env'] },
  { name: '--env-file twice, the other order', flags: ['--env-file', 'two.env', '--env-file', 'one.env'] },
];

describe('each project flag before the command means what it means after it', () => {
  for (const command of [['config', '--format', 'json'], ['convert']]) {
    describe(command[0]!, () => {
      let plain: Run;
      beforeAll(() => {
        plain = ours(command, dir);
        expect(plain.status).toBe(0);
      });
      for (const { name, flags } of FLAG_SETS) {
        it(name, () => {
          const before = ours([...flags, ...command], dir);
          const after = ours([...command, ...flags], dir);
          expect(after.stderr).toBe('');
          expect(after.status).toBe(0);
          expect(before).toEqual(after);
          // The flag did something: the same output without it would also pass a test of flags being ignored.
          expect(before.stdout).not.toBe(plain.stdout);
        });
      }

      it('--restrict-paths', () => {
        const without = ours([...command, '-f', 'outside.yaml'], dir);
        expect(without.status).toBe(0);
        expect(without.stderr).toContain('outside the project directory');
        const before = ours(['--restrict-paths', ...command, '-f', 'outside.yaml'], dir);
        const after = ours([...command, '-f', 'outside.yaml', '--restrict-paths'], dir);
        expect(after.status).toBe(1);
        expect(after.stderr).toContain('(--restrict-paths)');
        expect(before).toEqual(after);
        // A flag without a value in both positions says the same thing twice: accepted.
        expect(ours(['--restrict-paths', ...command, '-f', 'outside.yaml', '--restrict-paths'], dir)).toEqual(after);
      });
    });
  }
});

describe('repeatable flags accumulate across the two positions, before ones first', () => {
  const same = (split: string[], together: string[]) => {
    const a = ours(split, dir);
    const b = ours(together, dir);
    expect(b.status).toBe(0);
    expect(a).toEqual(b);
  };
  it('-f', () => same(['-f', 'compose.yaml', 'config', '-f', 'o.yaml'], ['config', '-f', 'compose.yaml', '-f', 'o.yaml']));
  it('-f in the other order', () => same(['-f', 'o.yaml', 'config', '-f', 'compose.yaml'], ['config', '-f', 'o.yaml', '-f', 'compose.yaml']));
  it('--profile', () => same(['--profile', 'debug', 'config', '--profile', 'extra', '--services'], ['config', '--services', '--profile', 'debug', '--profile', 'extra']));
  it('--env-file: the one after the command is the later one', () => {
    const r = ours(['--env-file', 'one.env', 'convert', '--env-file', 'two.env'], dir);
    expect(r.stdout).toContain('image: app:2');
    expect(ours(['--env-file', 'two.env', 'convert', '--env-file', 'one.env'], dir).stdout).toContain('image: app:1');
    same(['--env-file', 'one.env', 'convert', '--env-file', 'two.env'], ['convert', '--env-file', 'one.env', '--env-file', 'two.env']);
  });
});

describe('a single-valued flag before and after the command is a usage error', () => {
  const cases = [
    { flags: ['-p', 'x'], again: ['-p', 'y'], named: '-p/--project-name' },
    { flags: ['--project-name', 'x'], again: ['-p', 'x'], named: '-p/--project-name' },
    { flags: ['--project-directory', 'sub'], again: ['--project-directory', '.'], named: '--project-directory' },
  ];
  for (const command of ['config', 'convert', 'apply', 'status']) {
    for (const { flags, again, named } of cases) {
      it(`${command}: ${flags[0]} and ${again[0]}`, () => {
        const r = ours([...flags, command, ...again], dir);
        expect(r.status).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr).toContain(`error: ${named} is given both before and after the command`);
      });
    }
  }
});

describe('every command takes the project flags before it', () => {
  // A compose file that does not exist: the command fails on it only if -f reached it (ignored, or refused as an
  // unknown option, the error would be another). The commands that need a cluster or an engine load the project first.
  for (const command of [['config'], ['convert'], ['report'], ['build'], ['images', 'prune'], ['apply'], ['diff'], ['up'], ['down'], ['status']]) {
    it(command.join(' '), () => {
      const r = ours(['-f', 'nope.yaml', ...command], dir);
      expect(r.status === 1 || r.status === 2).toBe(true);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`open ${join(dir, 'nope.yaml')}: no such file or directory`);
    });
  }

  it('apply and up --dry-run=client convert what the flags before them select', () => {
    for (const command of ['apply', 'up']) {
      const before = ours(['-f', 'compose.yaml', '--profile', 'debug', command, '--dry-run=client'], dir);
      expect(before.status).toBe(0);
      expect(before.stdout).toContain('deployment.apps/b applied (client dry run)');
      expect(before).toEqual(ours([command, '--dry-run=client', '-f', 'compose.yaml', '--profile', 'debug'], dir));
    }
  });

  it('down and status with -p before them need no compose file', () => {
    const empty = join(top, 'empty');
    mkdirSync(empty);
    for (const command of ['down', 'status']) {
      const r = ours(['-p', 'demo', command, '--kubeconfig', '/nonexistent/kubeconfig'], empty);
      expect(r.status).toBe(1);
      // Past the project, at the cluster: without -p it would have stopped at the missing compose file.
      expect(r.stderr).toContain('kubeconfig file /nonexistent/kubeconfig does not exist');
      expect(ours([command, '--kubeconfig', '/nonexistent/kubeconfig'], empty).stderr).toContain('no configuration file provided');
    }
  });

  it('--debug is still accepted after the command', () => {
    expect(ours(['convert', '--debug'], dir)).toEqual(ours(['--debug', 'convert'], dir));
  });
});

describe('--help', () => {
  it('lists the project flags in the top-level help, under their own heading', () => {
    const r = ours(['--help'], dir);
    expect(r.status).toBe(0);
    const heading = r.stdout.indexOf('Project options (before or after the command):');
    expect(heading).toBeGreaterThan(0);
    const section = r.stdout.slice(heading, r.stdout.indexOf('Commands:'));
    for (const flag of ['-f, --file <file>', '-p, --project-name <name>', '--project-directory <dir>', '--profile <profile>', '--env-file <file>', '--restrict-paths']) {
      expect(section).toContain(flag);
    }
  });

  it("and in each command's help", () => {
    for (const command of ['config', 'convert', 'up', 'apply', 'diff']) {
      const r = ours(['-f', 'compose.yaml', command, '--help'], dir);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`Usage: compose2k8s ${command} [options]`);
      expect(r.stdout.slice(r.stdout.indexOf('Project options (before or after the command):'))).toContain('-f, --file <file>');
    }
  });
});

describe.skipIf(!oracle)('config with the flags before the command is the same as docker compose', () => {
  for (const { name, flags } of FLAG_SETS) {
    it(name, () => {
      const a = ours([...flags, 'config', '--format', 'json'], dir);
      const b = theirs([...flags, 'config', '--format', 'json'], dir);
      expect(b.status).toBe(0);
      expect(a.status).toBe(0);
      expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
    });
  }

  it('--profile twice, --services', () => {
    const args = ['--profile', 'debug', '--profile', 'extra', 'config', '--services'];
    const lines = (s: string) => s.split('\n').filter(Boolean).sort();
    expect(lines(ours(args, dir).stdout)).toEqual(lines(theirs(args, dir).stdout));
  });

  it('docker compose refuses project flags after its own commands (which is why both positions together are ours only)', () => {
    const r = theirs(['config', '-f', 'compose.yaml'], dir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("unknown shorthand flag: 'f' in -f");
  });
});
