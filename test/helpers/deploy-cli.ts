// The deploy commands through commander in this process, with stdout/stderr captured and the exit code read back.
import { Command } from 'commander';
import { vi } from 'vitest';
import { registerDeployCommands, type ConvertResult } from '../../src/cli/deploy-commands.js';
import { addProjectOptions } from '../../src/cli/project-options.js';

export async function runDeployCommand(
  args: string[],
  convert: (flags: Record<string, unknown>) => Promise<ConvertResult>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  process.exitCode = undefined;
  try {
    const program = new Command('compose2k8s').exitOverride();
    registerDeployCommands(program, { addProjectOptions, convert });
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    stderr += `thrown: ${(err as Error).message}\n`;
    process.exitCode = process.exitCode || 1;
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}
