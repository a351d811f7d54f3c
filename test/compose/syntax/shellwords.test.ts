import { describe, expect, it } from 'vitest';
import { splitShellWords } from '../../../src/compose/syntax/shellwords.js';

describe('splitShellWords (go-shellwords v1.0.15 as linked by docker compose v5, ParseEnv off)', () => {
  it.each([
    ['', []],
    ['   ', []],
    ['""', ['']],
    ["''", ['']],
    ['bundle exec thin -p 3000', ['bundle', 'exec', 'thin', '-p', '3000']],
    ["a b 'c d'", ['a', 'b', 'c d']],
    ['var --bar=baz', ['var', '--bar=baz']],
    ['var --bar="baz"', ['var', '--bar=baz']],
    ['var "--bar=baz"', ['var', '--bar=baz']],
    [`var "--bar='baz'"`, ['var', "--bar='baz'"]],
    ['var "--bar=\\"baz\'"', ['var', `--bar="baz'`]],
    [`var "--bar=\\'baz\\'"`, ['var', "--bar='baz'"]],
    [`var --bar='\\'`, ['var', '--bar=\\']],
    ['var --"bar baz"', ['var', '--bar baz']],
    ['a "   "', ['a', '   ']],
    ["a ' b '", ['a', ' b ']],
    ['foo bar\\  ', ['foo', 'bar ']],
    [`foo "" bar ''`, ['foo', '', 'bar', '']],
    ['foo \\\\', ['foo', '\\']],
    ['foo \\& bar', ['foo', '&', 'bar']],
    ['a\tb\nc', ['a', 'b', 'c']],
    ['echo \\n', ['echo', '\n']],
    ['a\\tb "x\\ny" q\\z', ['a\tb', 'x\ny', 'qz']],
  ])('%j', (line, words) => {
    expect(splitShellWords(line)).toEqual(words);
  });

  it('does no $ expansion: the shell in the container does it', () => {
    expect(splitShellWords("sh -c 'echo $HOME'")).toEqual(['sh', '-c', 'echo $HOME']);
    expect(splitShellWords('echo $HOME ${X}')).toEqual(['echo', '$HOME', '${X}']);
  });

  it('keeps $(...) and backquotes verbatim inside one word, quotes and escapes included', () => {
    expect(splitShellWords('echo $(date +%s) done')).toEqual(['echo', '$(date +%s)', 'done']);
    expect(splitShellWords('echo `date +%s` done')).toEqual(['echo', '`date +%s`', 'done']);
    expect(splitShellWords('echo `a "b c"`')).toEqual(['echo', '`a "b c"`']);
    expect(splitShellWords('echo $(a \\t)')).toEqual(['echo', '$(a \\t)']);
  });

  it('stops at an unquoted ; & | < >, dropping the rest', () => {
    expect(splitShellWords('echo hi && ls')).toEqual(['echo', 'hi']);
    expect(splitShellWords('a|b')).toEqual(['a']);
    expect(splitShellWords('a; b')).toEqual(['a']);
    expect(splitShellWords('cat < in')).toEqual(['cat']);
    expect(splitShellWords('echo "a && b"')).toEqual(['echo', 'a && b']);
  });

  it('drops a file-descriptor number before >', () => {
    expect(splitShellWords('cmd 2>/dev/null')).toEqual(['cmd']);
    expect(splitShellWords('cmd x2>/dev/null')).toEqual(['cmd', 'x2']);
  });

  it.each(['"unterminated', "'unterminated", 'trailing\\', 'echo `x', 'echo $(x', 'a (b)', 'echo )'])(
    '%j is invalid',
    (line) => {
      expect(() => splitShellWords(line)).toThrow(new Error('invalid command line string'));
    },
  );
});
