// Nothing in a compose file is ever executed on the user's machine by us: no shell, no eval, no template
// injection through service names, labels or values into Handlebars (user templates) or Helm templates (Go
// template delimiters in values are escaped in the chart), no argument injection into credential helpers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CredentialStore } from '../../src/build/auth.js';
import { root } from './harness.js';
import { cli, ensureBuilt, tempDir } from './cli-helpers.js';

const helm = process.env.COMPOSE2K8S_HELM || (existsSync(join(process.env.HOME ?? '', '.cache/compose2k8s/bin/helm')) ? join(process.env.HOME ?? '', '.cache/compose2k8s/bin/helm') : undefined);
if (!helm) console.warn('helm not found (COMPOSE2K8S_HELM): rendering the hostile chart with the real helm is SKIPPED');

/** Payloads for Go templates, Handlebars, shells and HTML; a canary file proves nothing ran. */
const CANARY = join(tempDir('c2k-canary-'), 'pwned');
const PAYLOADS = [
  `{{ .Release.Name }}`,
  `{{ fail "injected" }}`,
  `{{- /* x */ -}}`,
  `{{constructor.constructor "return process"}}`,
  `{{#with this}}{{lookup . "constructor"}}{{/with}}`,
  `$(touch ${CANARY})`,
  `\`touch ${CANARY}\``,
  `; touch ${CANARY}`,
  `<script>alert(1)</script>`,
];

let proj: string;
const dirs: string[] = [];
beforeAll(() => {
  ensureBuilt();
  proj = tempDir('c2k-inject-');
  dirs.push(proj);
  const labels = PAYLOADS.map((p, i) => `      l${i}: ${JSON.stringify(p)}`).join('\n');
  const command = JSON.stringify(PAYLOADS);
  writeFileSync(
    join(proj, 'compose.yaml'),
    `services:\n  web:\n    image: nginx\n    command: ${command}\n    environment:\n      P: ${JSON.stringify(PAYLOADS.join(' '))}\n    labels:\n${labels}\n    ports: ["8080:80"]\n`,
  );
  mkdirSync(join(proj, 'tpl'));
  // A user template that echoes every label and the command: data must come out as data.
  writeFileSync(
    join(proj, 'tpl', 'service.echo.hbs'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{kubeName}}-echo\ndata:\n{{#each service.labels}}  {{@key}}: {{quote this}}\n{{/each}}  command: {{quote (toJson service.command)}}\n',
  );
}, 120_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('template injection', () => {
  test('user Handlebars templates print compose values verbatim, never evaluate them', () => {
    const r = cli(['convert', '--templates', 'tpl'], proj);
    expect(r.status, r.stderr).toBe(0);
    for (const p of PAYLOADS) expect(r.stdout).toContain(JSON.stringify(p).slice(1, -1).replace(/\\"/g, '\\"'));
    expect(existsSync(CANARY)).toBe(false);
  });

  test('Helm chart: every {{ in a value is escaped, and helm template renders the payloads literally', () => {
    const out = join(proj, 'chart');
    const r = cli(['convert', '--format', 'helm', '-o', out], proj);
    expect(r.status, r.stderr).toBe(0);
    const templates = readdirSync(join(out, 'templates')).filter((f) => f.endsWith('.yaml'));
    for (const f of templates) {
      const text = readFileSync(join(out, 'templates', f), 'utf8');
      // Payload text only appears with its delimiters escaped.
      expect(text).not.toContain('{{ .Release.Name }}');
      expect(text).not.toContain('{{ fail "injected" }}');
    }
    if (helm) {
      const h = spawnSync(helm, ['template', 'rel', out], { encoding: 'utf8', timeout: 60_000 });
      expect(h.status, h.stderr).toBe(0);
      expect(h.stdout).toContain('{{ fail \\"injected\\" }}');
      expect(h.stdout).toContain('{{ .Release.Name }}');
      expect(h.stdout).not.toMatch(/\brel\b.*echo/);
    }
    expect(existsSync(CANARY)).toBe(false);
  });

  test('the HTML report escapes everything', () => {
    const out = join(proj, 'r.html');
    const r = cli(['report', '-o', out], proj);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toContain('<script>alert(1)</script>');
  });

  test('no command of the pipeline ran a payload', () => {
    for (const args of [['config'], ['convert'], ['convert', '--format', 'json'], ['convert', '--format', 'kustomize', '-o', join(proj, 'k')]]) {
      expect(cli(args, proj).status).toBe(0);
    }
    expect(existsSync(CANARY)).toBe(false);
  });
});

describe('credential helpers: no argument or shell injection', () => {
  const calls: { program: string; server: string }[] = [];
  const runner = async (program: string, server: string) => {
    calls.push({ program, server });
    return { code: 0, stdout: JSON.stringify({ Username: 'u', Secret: 's' }), stderr: '' };
  };

  test('a helper name that is not a plain word is refused before anything runs', async () => {
    for (const name of ['x; touch /tmp/pwned', '--help', '../../bin/sh', 'a b', '$(id)', '']) {
      calls.length = 0;
      const store = new CredentialStore({ credHelpers: { 'reg.example.com': name } }, runner, '/x/config.json');
      if (name === '') {
        // An empty helper means "no helper": inline auths apply (none here).
        await expect(store.get('reg.example.com')).resolves.toBeUndefined();
      } else await expect(store.get('reg.example.com')).rejects.toThrow(/invalid credential helper name/);
      expect(calls).toEqual([]);
    }
  });

  test('the server address goes to stdin, the argv is always [get]', async () => {
    calls.length = 0;
    const store = new CredentialStore({ credsStore: 'desktop', auths: { '--config=/etc/passwd': {} } }, runner, '/x/config.json');
    await store.get('--config=/etc/passwd');
    expect(calls.length).toBeGreaterThan(0);
    for (const c of calls) expect(c.program).toBe('docker-credential-desktop');
  });
});

describe('no shell, eval or dynamic code anywhere in src/', () => {
  test('only src/build/auth.ts spawns a process, with shell: false; nothing evaluates strings', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) {
          if (name !== 'generated') walk(p);
          continue;
        }
        if (!p.endsWith('.ts')) continue;
        const text = readFileSync(p, 'utf8');
        const rel = p.slice(root.length + 1);
        if (/(?<![.\w])eval\s*\(|new Function\s*\(|\bexecSync\b|(?<![.\w])exec\s*\(|shell:\s*true|vm\.run/.test(text)) offenders.push(`${rel}: eval/exec/shell`);
        if (/from 'node:child_process'/.test(text) && rel !== 'src/build/auth.ts') offenders.push(`${rel}: child_process`);
      }
    };
    walk(join(root, 'src'));
    expect(offenders).toEqual([]);
  });
});
