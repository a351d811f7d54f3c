// Secret material never leaks. What counts as secret: the content of every compose `secrets:` source — a
// secret file and a secret taken from the project environment (`environment:`; the Compose schema has no
// inline `content:` for secrets) — each planted with a unique marker. The markers (plain and base64) are searched in every output stream and every
// artifact of every offline command:
//   - never in stderr, the report (HTML/Markdown/JSON/--report), error messages, ConfigMaps or annotations;
//   - `--secrets reference` (the default): nowhere at all; only references (secretName) are emitted;
//   - `--secrets inline`: only base64 inside the `data` of Secret objects, in files created with mode 0600;
//   - Kustomize never copies a secret file (its secretGenerator reads a copy the user puts into DIR/secrets/);
//   - `config` prints the model: secret FILE PATHS and the NAME of the environment variable, never the file's
//     content or the variable's value (docker compose config does the same).
// Plain environment variables (`DB_PASSWORD: x` in `environment:`) are not secrets in Compose: they are part of
// the service definition and become container env values, exactly as docker compose passes them.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cli, ensureBuilt, STACK_LINE, tempDir, type Run } from './cli-helpers.js';

const MARK = {
  file: 'MARK-FILE-7c1e0f9a',
  env: 'MARK-ENV-2b8d44e1',
  // The values the deploy test changes the secrets to (so diff has something to show), and a value another field
  // manager writes into the live Secret.
  file2: 'MARK-FILE2-5d03a6c8',
  env2: 'MARK-ENV2-e91f0b27',
  other: 'MARK-OTHER-33a7c2d5',
};
/** What each secret holds exactly (so its base64 is known). */
const CONTENT = { file: `${MARK.file}\n`, env: MARK.env, file2: `${MARK.file2}\n`, env2: MARK.env2, other: MARK.other };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const needles = (which: (keyof typeof MARK)[]) => which.flatMap((k) => [MARK[k], b64(CONTENT[k])]);
const ALL = ['file', 'env'] as const;

const COMPOSE = `services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_file
    secrets: [db_file, db_env]
    labels:
      note: uses three secrets
  web:
    image: nginx
    ports: ["8080:80"]
    depends_on: [db]
    secrets:
      - source: db_file
        target: web_copy
secrets:
  db_file:
    file: ./secret.txt
  db_env:
    environment: SECRET_VAR
`;

let proj: string;
const dirs: string[] = [];
beforeAll(() => {
  ensureBuilt();
  proj = tempDir('c2k-secrets-');
  dirs.push(proj);
  writeFileSync(join(proj, 'compose.yaml'), COMPOSE);
  writeFileSync(join(proj, 'secret.txt'), CONTENT.file);
  writeFileSync(join(proj, '.env'), `SECRET_VAR=${MARK.env}\n`);
  writeFileSync(join(proj, 'override.yaml'), 'services:\n  web:\n    image: nginx:2\n');
}, 120_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function expectAbsent(text: string, which: readonly (keyof typeof MARK)[], where: string): void {
  for (const n of needles([...which])) expect(text.includes(n), `${where} contains ${n}`).toBe(false);
}

function ok(r: Run): Run {
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(STACK_LINE);
  return r;
}

/** Every file under a directory: [relative path, content, mode]. */
function filesUnder(dir: string): [string, string, number][] {
  const out: [string, string, number][] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push([relative(dir, p), readFileSync(p, 'utf8'), st.mode & 0o777]);
    }
  };
  walk(dir);
  return out;
}

/** In inline mode the base64 may appear only as Secret data; returns the texts of everything else. */
function withoutSecretData(text: string): string {
  if (text.trimStart().startsWith('{')) {
    const list = JSON.parse(text) as { kind?: string; items?: { kind?: string }[] };
    const items: { kind?: string }[] = list.items ?? [list];
    return JSON.stringify(items.map((o) => (o.kind === 'Secret' ? { ...o, data: undefined } : o)));
  }
  return parseAllDocuments(text)
    .map((d) => {
      const o = d.toJS() as { kind?: string; data?: unknown } | null;
      return JSON.stringify(o && o.kind === 'Secret' ? { ...o, data: undefined } : o);
    })
    .join('\n');
}

describe('secret markers never leak from offline commands', () => {
  test('config prints paths and variable names, never the file content or the variable value', () => {
    for (const args of [['config'], ['config', '--format', 'json'], ['config', '--no-interpolate'], ['config', '--services'], ['config', '--images']]) {
      const r = ok(cli(args, proj));
      expectAbsent(r.stdout + r.stderr, ['file', 'env'], args.join(' '));
      expectAbsent(r.stderr, ALL, `${args.join(' ')} stderr`);
    }
    const r = ok(cli(['config'], proj));
    expect(r.stdout).toContain('secret.txt');
    expect(r.stdout).toContain('environment: SECRET_VAR');
  });

  test('convert --secrets reference (default): only references, no secret material in any format', () => {
    for (const args of [['convert'], ['convert', '--format', 'json'], ['convert', '--secrets', 'reference', '--report', '--validate', '--network-policies', '--expose', 'ingress']]) {
      const r = ok(cli(args, proj));
      expectAbsent(r.stdout + r.stderr, ALL, args.join(' '));
      expect(r.stdout).toMatch(/secretName"?: "?db-file/);
      expect(r.stdout).not.toMatch(/^kind: Secret$|"kind": "Secret"/m);
    }
  });

  test('convert --secrets inline: base64 only inside Secret data; stderr and every other object clean; -o FILE is 0600', () => {
    for (const format of ['yaml', 'json']) {
      const r = ok(cli(['convert', '--secrets', 'inline', '--format', format, '--report'], proj));
      expect(r.stdout).toContain(b64(CONTENT.file));
      expect(r.stdout).toContain(b64(CONTENT.env));
      expectAbsent(withoutSecretData(r.stdout), ALL, `inline ${format}: outside Secret data`);
      for (const k of ALL) expect(r.stdout.includes(MARK[k]), `plain ${k} marker in stdout`).toBe(false);
      expectAbsent(r.stderr, ALL, `inline ${format} stderr`);
      const out = join(proj, `out.${format}`);
      ok(cli(['convert', '--secrets', 'inline', '--format', format, '-o', out], proj));
      expect(statSync(out).mode & 0o777).toBe(0o600);
      rmSync(out);
    }
    // Without secret data the file keeps the default mode.
    const plain = join(proj, 'plain.yaml');
    ok(cli(['convert', '-o', plain], proj));
    expect(statSync(plain).mode & 0o077).not.toBe(0);
    rmSync(plain);
  });

  test('directory, Kustomize and Helm outputs: no copies of secret files; files holding Secret data are 0600', () => {
    const cases: { args: string[]; inline: boolean }[] = [
      { args: ['--format', 'yaml', '-o', 'DIR/'], inline: false },
      { args: ['--format', 'yaml', '-o', 'DIR/', '--secrets', 'inline'], inline: true },
      { args: ['--format', 'kustomize', '-o', 'DIR'], inline: false },
      { args: ['--format', 'kustomize', '-o', 'DIR', '--secrets', 'inline', '--overlay', 'prod=override.yaml'], inline: true },
      { args: ['--format', 'helm', '-o', 'DIR'], inline: false },
      { args: ['--format', 'helm', '-o', 'DIR', '--secrets', 'inline'], inline: true },
    ];
    cases.forEach((c, i) => {
      const dir = join(proj, `out-${i}`);
      const r = ok(cli(['convert', ...c.args.map((a) => a.replace('DIR', dir))], proj));
      let holding = 0;
      expectAbsent(r.stdout + r.stderr, ALL, c.args.join(' '));
      for (const [rel, text, mode] of filesUnder(dir)) {
        const where = `${c.args.join(' ')}: ${rel}`;
        // Kustomize's secretGenerator reads secrets/secret.txt, which the user puts there: never copied.
        expect(text.includes(MARK.file), `${where}: copy of the secret file`).toBe(false);
        if (!c.inline) expectAbsent(text, ALL, where);
        else {
          for (const k of ALL) expect(text.includes(MARK[k]), `${where}: plain ${k}`).toBe(false);
          const holds = needles([...ALL]).some((n) => text.includes(n));
          if (holds) {
            holding++;
            expect(text, where).toMatch(/kind: Secret/);
            expect(mode, `${where} mode`).toBe(0o600);
          }
        }
      }
      // The environment-sourced secret is not a file: inline, some file must hold it (and be 0600).
      if (c.inline) expect(holding, c.args.join(' ')).toBeGreaterThan(0);
      if (c.args.includes('kustomize') && c.inline) {
        const k = readFileSync(join(dir, 'secrets', 'kustomization.yaml'), 'utf8');
        expect(k).toMatch(/secretGenerator/);
        expect(k).toContain('secret.txt');
        expect(existsSync(join(dir, 'secrets', 'secret.txt'))).toBe(false);
        expect(r.stderr).toContain(`copy secret.txt to ${join(dir, 'secrets', 'secret.txt')}`);
      }
      rmSync(dir, { recursive: true, force: true });
    });
  });

  test('the report (HTML, Markdown, --report-file JSON) holds no secret material, even with --secrets inline', () => {
    for (const args of [
      ['report', '-o', 'R.html'],
      ['report', '-o', 'R.md', '--format', 'md', '--secrets', 'inline'],
      ['report', '-o', 'R.html', '--secrets', 'inline'],
    ]) {
      const out = join(proj, args[2]!);
      const r = ok(cli(args.map((a) => (a === args[2] ? out : a)), proj));
      expectAbsent(r.stdout + r.stderr + readFileSync(out, 'utf8'), ALL, args.join(' '));
      rmSync(out);
    }
    const rf = join(proj, 'report.json');
    const r = ok(cli(['convert', '--secrets', 'inline', '--report-file', rf, '-o', join(proj, 'x.yaml')], proj));
    expectAbsent(readFileSync(rf, 'utf8') + r.stderr, ALL, '--report-file');
  });

  test('error messages about secrets name the secret and the path, never the content', () => {
    const bad = tempDir('c2k-secrets-bad-');
    dirs.push(bad);
    // Too large for a Secret (1 MiB): the error must not quote the content.
    writeFileSync(join(bad, 'big.txt'), `${MARK.file}\n`.repeat(80_000));
    writeFileSync(join(bad, '.env'), `SECRET_VAR=${MARK.env}\n`);
    writeFileSync(
      join(bad, 'compose.yaml'),
      'services:\n  a:\n    image: x\n    secrets: [big, envsecret]\n    command: ["${SECRET_VAR:?must be set}", "${MISSING:?is missing}"]\nsecrets:\n  big:\n    file: ./big.txt\n  envsecret:\n    environment: SECRET_VAR\n',
    );
    const r1 = cli(['convert', '--secrets', 'inline'], bad);
    expect(r1.status).toBe(1);
    expect(r1.stdout).toBe('');
    expectAbsent(r1.stderr, ALL, 'interpolation error');
    writeFileSync(join(bad, 'compose.yaml'), 'services:\n  a:\n    image: x\n    secrets: [big, envsecret]\nsecrets:\n  big:\n    file: ./big.txt\n  envsecret:\n    environment: SECRET_VAR\n');
    const r2 = cli(['convert', '--secrets', 'inline'], bad);
    expect(r2.status).toBe(1);
    expect(r2.stdout).toBe('');
    expect(r2.stderr).toMatch(/secret big is \d+ bytes/);
    expectAbsent(r2.stderr, ALL, 'too-large error');
    // A secret file that is not text, or a directory: path only.
    mkdirSync(join(bad, 'dir'));
    writeFileSync(join(bad, 'compose.yaml'), 'services:\n  a:\n    image: x\n    secrets: [d]\nsecrets:\n  d:\n    file: ./dir\n');
    const r3 = cli(['convert', '--secrets', 'inline'], bad);
    expect(r3.status).toBe(1);
    expectAbsent(r3.stderr, ALL, 'directory error');
    expect(existsSync(join(bad, 'dir'))).toBe(true);
  });

});

test('diff masks Secret data and the applied-hash annotation (offline: objectDiff on live and merged versions)', async () => {
  const { objectDiff } = await import('../../src/deploy/diff.js');
  const { withAppliedHash } = await import('../../src/deploy/fieldset.js');
  const secret = (file: string, env: string) =>
    withAppliedHash({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, data: { f: b64(file), e: b64(env) }, stringData: { x: env } });
  const ref = { group: '', kind: 'Secret', namespace: 'n', name: 's' };
  const changed = objectDiff(ref, secret(CONTENT.file, CONTENT.env), secret(CONTENT.file2, CONTENT.env));
  expect(changed.change).toBe('update');
  expect(changed.diff).toContain('-  f: "*** (before)"\n+  f: "*** (after)"');
  expect(changed.diff).toContain('   e: "***"');
  expect(changed.diff).toMatch(/^-    compose2k8s\.io\/applied-hash: "\*\*\* \(before\)"$/m);
  for (const d of [changed, objectDiff(ref, undefined, secret(CONTENT.file, CONTENT.env)), objectDiff(ref, secret(CONTENT.file, CONTENT.env), undefined)]) {
    expectAbsent(d.diff, ['file', 'env', 'file2'], `diff ${d.change}`);
    for (const o of [secret(CONTENT.file, CONTENT.env), secret(CONTENT.file2, CONTENT.env)]) expect(d.diff).not.toContain(o.metadata.annotations!['compose2k8s.io/applied-hash']);
  }
  // An unchanged Secret has no diff at all.
  expect(objectDiff(ref, secret(CONTENT.file, CONTENT.env), secret(CONTENT.file, CONTENT.env)).diff).toBe('');
});

// The deploy commands against a real API server (scripts/e2e/cluster.sh). They send the Secret objects
// (`--secrets inline`), so the cluster holds the content — and nothing else may: not stdout, stderr, --debug or
// COMPOSE2K8S_VERBOSE output, the --report/--report-file report, server error messages relayed to the user, or any
// file written under the project, HOME or TMPDIR. `diff` masks Secret data like `kubectl diff` (keys only), and
// the applied-hash annotation of a Secret (a hash of its data) as well.
const KUBECONFIG = process.env.COMPOSE2K8S_KUBECONFIG;
const DOCKER = process.env.COMPOSE2K8S_E2E_DOCKER === '1' && !!process.env.REGISTRY && !!process.env.DOCKER_HOST;
if (!KUBECONFIG) {
  console.warn('[secrets] deploy commands skipped: set COMPOSE2K8S_KUBECONFIG (bash scripts/e2e/cluster.sh up) to run apply/diff/up/status/down against a real API server');
} else if (!DOCKER) console.warn('[secrets] up with a build skipped: needs COMPOSE2K8S_E2E_DOCKER=1, DOCKER_HOST and REGISTRY (scripts/e2e/docker.sh up)');

/** The markers the deploy test plants at one point or another: none may ever be printed or written. */
const EVERY = ['file', 'env', 'file2', 'env2', 'other'] as const;
/** Files that hold a marker by design: the secret sources themselves. */
const SOURCES = new Set(['secret.txt', '.env']);

describe.skipIf(!KUBECONFIG)('secret markers never leak from the deploy commands (real API server)', () => {
  let dir: string;
  let home: string;
  let tmp: string;
  let ns: string;
  let cluster: import('../../src/deploy/client.js').Cluster;
  let filesScanned = 0;

  beforeAll(async () => {
    ensureBuilt();
    dir = tempDir('c2k-secrets-deploy-');
    home = tempDir('c2k-secrets-home-');
    tmp = tempDir('c2k-secrets-tmp-');
    dirs.push(dir, home, tmp);
    writeFileSync(join(dir, 'compose.yaml'), COMPOSE);
    writeFileSync(join(dir, 'secret.txt'), CONTENT.file);
    writeFileSync(join(dir, '.env'), `SECRET_VAR=${MARK.env}\n`);
    ns = `c2k-secrets-${randomBytes(3).toString('hex')}`;
    const { connect } = await import('../../src/deploy/client.js');
    cluster = await connect({ kubeconfig: KUBECONFIG });
  }, 120_000);
  afterAll(async () => {
    if (!cluster) return;
    cli(['down', '--kubeconfig', KUBECONFIG!, '-n', ns], dir, { env: { HOME: home, TMPDIR: tmp } });
    await cluster.client.delete(`/api/v1/namespaces/${ns}`).catch(() => {});
    cluster.close();
  }, 120_000);

  /** Every file under the project (except the secret sources), HOME and TMPDIR holds no marker. */
  function scanFiles(where: string): void {
    for (const base of [dir, home, tmp]) {
      for (const [rel, text] of filesUnder(base)) {
        if (base === dir && SOURCES.has(rel)) continue;
        filesScanned++;
        expectAbsent(text, EVERY, `${where}: file ${join(base, rel)}`);
      }
    }
  }

  /**
   * Runs one deploy command three ways — plain, with --debug, with COMPOSE2K8S_VERBOSE=1 — (or once), checks the exit
   * status, stdout, stderr and every file, and returns the runs.
   */
  function deploy(args: string[], status: number, opts: { once?: boolean; env?: Record<string, string>; timeout?: number } = {}): Run[] {
    const variants: { pre: string[]; env: Record<string, string> }[] = [{ pre: [], env: {} }];
    if (!opts.once) variants.push({ pre: ['--debug'], env: {} }, { pre: [], env: { COMPOSE2K8S_VERBOSE: '1' } });
    return variants.map((v) => {
      // The images (nginx, postgres) are on Docker Hub, which cannot be reached here: deploy them by tag.
      const offline = ['apply', 'diff', 'up'].includes(args[0]!) ? ['--no-resolve-digests'] : [];
      const argv = [...v.pre, ...args, ...offline, '--kubeconfig', KUBECONFIG!, '-n', ns];
      const r = cli(argv, dir, { env: { HOME: home, TMPDIR: tmp, ...opts.env, ...v.env }, timeout: opts.timeout ?? 120_000 });
      const where = `${argv.join(' ')}${v.env.COMPOSE2K8S_VERBOSE ? ' (COMPOSE2K8S_VERBOSE=1)' : ''}`;
      expect(r.status, `${where}\n${r.stdout}\n${r.stderr}`).toBe(status);
      expect(r.stderr, where).not.toMatch(STACK_LINE);
      expectAbsent(r.stdout, EVERY, `${where} stdout`);
      expectAbsent(r.stderr, EVERY, `${where} stderr`);
      scanFiles(where);
      return r;
    });
  }

  /** The live Secret's decoded data: proves the content did reach the cluster (the test would be vacuous otherwise). */
  async function liveSecret(name: string): Promise<Record<string, string> | undefined> {
    const o = await cluster.client.getOptional<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${name}`);
    return o && Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  /** In diff output, every value of a Secret's data and its applied-hash annotation are masked. */
  function expectMasked(diff: string, where: string): number {
    let secrets = 0;
    for (const section of diff.split(/^(?=--- )/m)) {
      if (!/^--- \S*\/Secret\/|^\+\+\+ \S*\/Secret\//m.test(section) || /compose2k8s-/.test(section.split('\n')[0]!)) continue;
      secrets++;
      const lines = section.split('\n');
      const data = lines.findIndex((l) => /^[-+ ]data:$/.test(l));
      expect(data, `${where}: Secret section without data:\n${section}`).toBeGreaterThan(0);
      for (let i = data + 1; i < lines.length && /^[-+ ] {2}/.test(lines[i]!); i++) {
        expect(lines[i], `${where}: unmasked Secret data`).toMatch(/^[-+ ] {2}[\w.-]+: "\*\*\*(?: \((?:before|after)\))?"$/);
      }
      for (const l of lines.filter((x) => x.includes('compose2k8s.io/applied-hash'))) {
        expect(l, `${where}: a Secret's applied-hash is a hash of its data`).toMatch(/applied-hash: "\*\*\*(?: \((?:before|after)\))?"$/);
      }
    }
    return secrets;
  }

  test('apply, diff, up, status, down (plain, --debug, COMPOSE2K8S_VERBOSE): the content reaches the cluster and nowhere else', async () => {
    // Offline first: a client dry run sends nothing.
    deploy(['apply', '--secrets', 'inline', '--dry-run=client'], 0);
    expect(await liveSecret('db-file')).toBeUndefined();

    const [first] = deploy(['apply', '--secrets', 'inline', '--report', '--report-file', 'report.json'], 0);
    expect(first!.stdout).toMatch(/^secret\/db-file created$/m);
    expect(first!.stderr).toMatch(/service|secret/i); // the --report table went to stderr
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
    expect(await liveSecret('db-file')).toEqual({ db_file: CONTENT.file });
    expect(await liveSecret('db-env')).toEqual({ db_env: CONTENT.env });
    deploy(['apply', '--secrets', 'inline', '--dry-run=server'], 0);

    // Nothing changed: diff is empty.
    for (const r of deploy(['diff', '--secrets', 'inline'], 0)) expect(r.stdout).toBe('');

    // Both secrets change: diff shows which keys change, masked.
    writeFileSync(join(dir, 'secret.txt'), CONTENT.file2);
    writeFileSync(join(dir, '.env'), `SECRET_VAR=${MARK.env2}\n`);
    for (const r of deploy(['diff', '--secrets', 'inline'], 1)) {
      expect(r.stdout).toContain('db_file: "*** (before)"');
      expect(r.stdout).toContain('db_env: "*** (after)"');
      expect(expectMasked(r.stdout, 'diff after a change')).toBe(2);
    }
    // Reference mode with --prune: the Secrets would be deleted; their removal is shown masked too.
    for (const r of deploy(['diff', '--prune'], 1)) expect(expectMasked(r.stdout, 'diff --prune')).toBe(2);

    // Another field manager takes db_file's data (with a value of its own): apply and diff report the conflict by
    // field and manager, never by value.
    const other = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-file', namespace: ns }, data: { db_file: b64(CONTENT.other) } };
    await cluster.client.applyPatch(`/api/v1/namespaces/${ns}/secrets/db-file`, other, { fieldManager: 'intruder', force: true });
    for (const r of deploy(['apply', '--secrets', 'inline'], 1)) expect(r.stderr).toMatch(/secret\/db-file failed: .*\.data\.db_file.*intruder/);
    for (const r of deploy(['diff', '--secrets', 'inline'], 2)) expect(r.stdout).toMatch(/^# Secret\/db-file \(namespace \S+\): error: conflict: \.data\.db_file is owned by "intruder"/m);
    deploy(['apply', '--secrets', 'inline', '--force-conflicts'], 0, { once: true });
    expect(await liveSecret('db-file')).toEqual({ db_file: CONTENT.file2 });
    expect(await liveSecret('db-env')).toEqual({ db_env: CONTENT.env2 });

    // up = apply + prune + wait (no service has build:, so no Docker is needed); then status and down.
    for (const r of deploy(['up', '--secrets', 'inline', '--timeout', '90s'], 0)) expect(r.stdout).toMatch(/object\(s\) ready/);
    const [st] = deploy(['status'], 0);
    expect(st!.stdout).toMatch(/^Secret\s+db-file\s/m);
    deploy(['down', '--dry-run'], 0, { once: true });
    const [down] = deploy(['down', '--wait', '--timeout', '60s'], 0, { once: true });
    expect(down!.stdout).toMatch(/^secret\/db-file -n \S+ deleted$/m);
    expect(await liveSecret('db-file')).toBeUndefined();
    expect(filesScanned).toBeGreaterThan(0);
  }, 600_000);

  test.skipIf(!DOCKER)('up with a build (private dockerd and registry): the build output holds no secret material either', async () => {
    const app = join(dir, 'app');
    mkdirSync(app, { recursive: true });
    copyFileSync('/bin/busybox', join(app, 'busybox'));
    writeFileSync(
      join(dir, 'compose.yaml'),
      `${COMPOSE.replace('secrets:\n  db_file:', `  app:\n    build:\n      context: ./app\n      dockerfile_inline: |\n        FROM scratch\n        COPY busybox /bin/busybox\n        ENTRYPOINT ["/bin/busybox", "sleep", "3600"]\n    secrets: [db_file, db_env]\nsecrets:\n  db_file:`)}`,
    );
    writeFileSync(join(dir, 'secret.txt'), CONTENT.file);
    writeFileSync(join(dir, '.env'), `SECRET_VAR=${MARK.env}\n`);
    const env = { DOCKER_HOST: process.env.DOCKER_HOST!, REGISTRY: process.env.REGISTRY! };
    const [up] = deploy(['up', '--secrets', 'inline', '--registry', process.env.REGISTRY!, '--timeout', '120s'], 0, { once: true, env, timeout: 300_000 });
    expect(up!.stdout).toMatch(/^deployment\.apps\/app (created|configured)$/m);
    expect(await liveSecret('db-env')).toEqual({ db_env: CONTENT.env });
    deploy(['down', '--wait', '--timeout', '60s'], 0, { once: true, env });
  }, 600_000);
});
