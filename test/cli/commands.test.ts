import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { invokedCommand, registerCommands } from '../../src/cli/commands.js';

const names = (only?: string) => {
  const program = new Command('compose2k8s');
  registerCommands(program, only);
  return program.commands.map((c) => c.name()).sort();
};

describe('only the invoked command is registered', () => {
  it('finds the command after the global options', () => {
    expect(invokedCommand(['convert', '-f', 'x.yaml'])).toBe('convert');
    expect(invokedCommand(['--debug', 'apply'])).toBe('apply');
    expect(invokedCommand(['images', 'prune'])).toBe('images');
  });

  it('finds the command after the project flags, in each of their spellings', () => {
    expect(invokedCommand(['-f', 'x.yaml', 'convert'])).toBe('convert');
    expect(invokedCommand(['--file=x.yaml', '-fy.yaml', '-pname', '--project-name', 'n', 'config'])).toBe('config');
    expect(invokedCommand(['--debug', '--profile', 'debug', '--env-file', 'a.env', '--project-directory', 'd', '--restrict-paths', 'up'])).toBe('up');
    expect(invokedCommand(['-f', 'x.yaml', 'images', 'prune'])).toBe('images');
    // A flag's value is not the command, and an unknown flag stops the search.
    expect(invokedCommand(['--env-file', 'convert'])).toBeUndefined();
    expect(invokedCommand(['--bogus', 'convert'])).toBeUndefined();
  });

  it('registers everything for help, unknown commands and no command', () => {
    expect(invokedCommand([])).toBeUndefined();
    expect(invokedCommand(['--help'])).toBeUndefined();
    expect(invokedCommand(['help', 'convert'])).toBeUndefined();
    expect(invokedCommand(['bogus'])).toBeUndefined();
    expect(invokedCommand(['-f', 'convert'])).toBeUndefined();
    expect(names()).toEqual(['apply', 'build', 'check', 'config', 'convert', 'diff', 'down', 'images', 'report', 'rollback', 'status', 'up', 'update', 'watch']);
  });

  it('registers one command, or its group, when one is named', () => {
    expect(names('convert')).toEqual(['convert']);
    expect(names('config')).toEqual(['config']);
    expect(names('report')).toEqual(['report']);
    expect(names('check')).toEqual(['check']);
    expect(names('build')).toEqual(['build', 'images']);
    expect(names('diff')).toEqual(['apply', 'diff', 'down', 'rollback', 'status', 'up', 'update', 'watch']);
  });

  it('registers every command that invokedCommand can name', () => {
    for (const name of names()) expect(names(invokedCommand([name]))).toContain(name);
  });
});

describe('--volume-size', () => {
  const parse = async (size: string) => {
    const program = new Command('compose2k8s').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    registerCommands(program, 'convert');
    const convert = program.commands[0]!;
    convert.action(() => {}); // parse only: the options, not a conversion
    await program.parseAsync(['convert', '--volume-size', size], { from: 'user' });
    return convert.opts().volumeSize as string;
  };
  it('takes a Kubernetes quantity and refuses anything else as a usage error', async () => {
    expect(await parse('10Gi')).toBe('10Gi');
    expect(await parse('1e9')).toBe('1e9');
    await expect(parse('huge')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(parse('10 Gi')).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });
});
