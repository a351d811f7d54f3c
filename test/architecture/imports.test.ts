// The import rules of docs/architecture.md (.dependency-cruiser.cjs): no import circles, no stage importing a later
// one, emit/, build/, deploy/ and compile/ reaching other stages only through their entry modules, and the CLI
// using deploy/ only through its entry. Also checks
// that the rules catch what they claim to, on a module written for the purpose.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');

function cruise(...paths: string[]) {
  const r = spawnSync(depcruise, [...paths, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('import rules', () => {
  it('src/ keeps them', () => {
    const r = cruise('src');
    expect(r.out).toContain('no dependency violations found');
    expect(r.status).toBe(0);
  }, 120_000);

  it('a lowering module importing emit/, emit/ or watch/ importing another stage\'s internal, or deploy/ importing watch/, is refused', () => {
    const dir = mkdtempSync(join(root, 'src', 'lower', 'zz-probe-'));
    const probe = join(dir, 'probe.ts');
    try {
      writeFileSync(probe, "import { toYamlStream } from '../../emit/index.js';\nexport const x = toYamlStream;\n");
      const r = cruise(probe);
      expect(r.status).not.toBe(0);
      expect(r.out).toContain('lower-imports-only-earlier-stages');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const watchDir = mkdtempSync(join(root, 'src', 'watch', 'zz-probe-'));
    try {
      writeFileSync(join(watchDir, 'probe.ts'), "import { clientNodeExec } from '../../deploy/exec.js';\nexport const x = clientNodeExec;\n");
      const r = cruise(join(watchDir, 'probe.ts'));
      expect(r.out).toContain('watch-imports-entry-modules');
    } finally {
      rmSync(watchDir, { recursive: true, force: true });
    }
    const deployDir = mkdtempSync(join(root, 'src', 'deploy', 'zz-probe-'));
    try {
      writeFileSync(join(deployDir, 'probe.ts'), "import { runWatch } from '../../watch/index.js';\nexport const x = runWatch;\n");
      const r = cruise(join(deployDir, 'probe.ts'));
      expect(r.out).toContain('deploy-imports-only-earlier-stages');
    } finally {
      rmSync(deployDir, { recursive: true, force: true });
    }
    const emitDir = mkdtempSync(join(root, 'src', 'emit', 'zz-probe-'));
    try {
      writeFileSync(join(emitDir, 'probe.ts'), "import { assemble } from '../../lower/assemble.js';\nexport const x = assemble;\n");
      const r = cruise(join(emitDir, 'probe.ts'));
      expect(r.out).toContain('emit-imports-entry-modules');
    } finally {
      rmSync(emitDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the CLI reaching past deploy/index.ts is refused', () => {
    const dir = mkdtempSync(join(root, 'src', 'cli', 'zz-probe-'));
    try {
      writeFileSync(join(dir, 'probe.ts'), "import { applyObjects } from '../../deploy/apply.js';\nexport const x = applyObjects;\n");
      const r = cruise(join(dir, 'probe.ts'));
      expect(r.status).not.toBe(0);
      expect(r.out).toContain('cli-imports-deploy-entry');
      writeFileSync(join(dir, 'probe.ts'), "import { applyObjects } from '../../deploy/index.js';\nexport const x = applyObjects;\n");
      expect(cruise(join(dir, 'probe.ts')).out).not.toContain('cli-imports-deploy-entry');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
