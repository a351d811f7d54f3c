// Ports the facts of compose-go dotenv/godotenv_test.go, godotenv_var_expansion_test.go and
// parser_test.go, plus docker/cli pkg/kvfile (the `format: raw` docker compose registers).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError, type Diagnostic } from '../../src/model/diagnostics.js';
import { parseDotenv, parseEnvFiles } from '../../src/compose/dotenv.js';

const corpus = process.env.COMPOSE2K8S_CORPUS;
if (!corpus) console.warn('COMPOSE2K8S_CORPUS is not set: skipping the compose-go dotenv fixture tests');

function parse(text: string, lookup?: (k: string) => string | undefined): Record<string, string> {
  return parseDotenv(text, { file: 'test.env', ...(lookup ? { lookup } : {}) });
}

function env(vars: Record<string, string>) {
  return (k: string) => (Object.hasOwn(vars, k) ? vars[k] : undefined);
}

/** The single diagnostic a failing parse throws. */
function diagnostic(run: () => unknown): Diagnostic {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticError);
    const list = (e as DiagnosticError).diagnostics;
    expect(list).toHaveLength(1);
    return list[0]!;
  }
  throw new Error('expected a DiagnosticError');
}

describe.skipIf(!corpus)('compose-go dotenv fixtures', () => {
  const dir = join(corpus ?? '', 'compose-go', 'dotenv', 'fixtures');
  const fixture = (name: string) => {
    const path = join(dir, name);
    expect(existsSync(path), `missing fixture ${path}`).toBe(true);
    return readFileSync(path, 'utf8');
  };
  const read = (name: string, lookup?: (k: string) => string | undefined) =>
    parseDotenv(fixture(name), { file: name, ...(lookup ? { lookup } : {}) });

  it('TestReadPlainEnv: plain.env (compose keeps the digit-led key that godotenv.Read drops)', () => {
    expect(read('plain.env')).toEqual({
      OPTION_A: '1',
      OPTION_B: '2',
      OPTION_C: '3',
      OPTION_D: '4',
      OPTION_E: '5',
      '456': 'ABC',
      OPTION_F: '',
      OPTION_G: '',
      OPTION_H: 'my string',
    });
  });

  it('TestLoadExportedEnv: exported.env', () => {
    expect(read('exported.env')).toEqual({ OPTION_A: '2', OPTION_B: '\\n' });
  });

  it('TestLoadEqualsEnv: equals.env', () => {
    expect(read('equals.env')).toEqual({ OPTION_A: 'postgres://localhost:5432/database?sslmode=disable' });
  });

  it('TestLoadQuotedEnv: quoted.env', () => {
    expect(read('quoted.env')).toEqual({
      OPTION_A: '1',
      OPTION_B: '2',
      OPTION_C: '',
      OPTION_D: '\\n',
      OPTION_E: '1',
      OPTION_F: '2',
      OPTION_G: '',
      OPTION_H: '\n',
      OPTION_I: "echo 'asd'",
      OPTION_J: 'first line\nsecond line\nthird line\nand so on',
      OPTION_K: "Let's go!",
      OPTION_Z: 'last value',
    });
  });

  it('TestLoadUnquotedEnv: unquoted.env', () => {
    expect(read('unquoted.env')).toEqual({
      OPTION_A: 'some quoted phrase',
      OPTION_B: 'first one with an unquoted phrase',
      OPTION_C: 'then another one with an unquoted phrase',
      OPTION_D: 'then another one with an unquoted phrase special è char',
      OPTION_E: 'then another one quoted phrase',
    });
  });

  it('TestSubstitutions: substitutions.env uses earlier lines', () => {
    expect(read('substitutions.env')).toEqual({ OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
  });

  it('TestSubstitutionsWithEnvFilePrecedence: the outside environment wins in ${...}, not over the file’s own value', () => {
    expect(read('substitutions.env', env({ OPTION_A: '5' }))).toEqual({
      OPTION_A: '1',
      OPTION_B: '5',
      OPTION_C: '5',
      OPTION_D: '5_5',
      OPTION_E: '',
    });
  });

  it('TestSubstitutionsWithEnvFileDefaultValuePrecedence', () => {
    expect(read('substitutions-default.env', env({ OPTION_A: '5' }))).toEqual({
      OPTION_A: '5',
      OPTION_B: '5',
      OPTION_C: '5',
      OPTION_D: '5_5',
      OPTION_E: '',
    });
  });

  it('TestSubstitutionsWithUnsetVarEnvFileDefaultValuePrecedence', () => {
    expect(read('substitutions-default.env', env({}))).toEqual({ OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
  });

  it('warns about the undefined variable of substitutions.env', () => {
    const warnings: string[] = [];
    parseDotenv(fixture('substitutions.env'), { file: 'substitutions.env', warn: (m) => warnings.push(m) });
    expect(warnings).toEqual(['The "OPTION_NOT_DEFINED" variable is not set. Defaulting to a blank string.']);
  });

  it('TestUTF8BOM: utf8-bom.env', () => {
    const text = fixture('utf8-bom.env');
    expect(text.startsWith('\uFEFF'), 'the fixture lost its BOM').toBe(true);
    expect(read('utf8-bom.env')).toMatchObject({ OPTION_A: '1', OPTION_B: '2', OPTION_C: '3', OPTION_D: '4', OPTION_E: '5' });
    expect(Object.keys(read('utf8-bom.env'))).not.toContain('\uFEFFOPTION_A');
  });

  it('TestDash: special.env', () => {
    expect(read('special.env')).toEqual({ 'VAR-WITH-DASHES': 'dashes', 'VAR.WITH.DOTS': 'dots', VAR_WITH_UNDERSCORES: 'underscores' });
  });

  it('TestErrorParsing: invalid1.env fails on line 7', () => {
    const d = diagnostic(() => read('invalid1.env'));
    expect(d).toMatchObject({ code: 'dotenv.syntax', file: 'invalid1.env', line: 7, message: 'key cannot contain a space' });
  });

  it('TestInheritedEnvVariableSameSize: inherited-multi-var.env', () => {
    const lookup = env({ VAR_TO_BE_LOADED_FROM_OS_ENV: 'SOME_RANDOM_VALUE' });
    expect(read('inherited-multi-var.env', lookup)).toEqual({ foo: 'bar', VAR_TO_BE_LOADED_FROM_OS_ENV: 'SOME_RANDOM_VALUE', bar: 'baz' });
  });

  it('TestInheritedEnvVariableSingleVar: inherited-single-var.env', () => {
    const lookup = env({ VAR_TO_BE_LOADED_FROM_OS_ENV: 'SOME_RANDOM_VALUE' });
    expect(read('inherited-single-var.env', lookup)).toEqual({ VAR_TO_BE_LOADED_FROM_OS_ENV: 'SOME_RANDOM_VALUE' });
  });

  it('TestInheritedEnvVariableNotFound(WithLookup): the key stays unset, the lookup was asked', () => {
    expect(read('inherited-not-found.env')).toEqual({});
    const asked: string[] = [];
    expect(read('inherited-not-found.env', (k) => void asked.push(k))).toEqual({});
    expect(asked).toEqual(['VARIABLE_NOT_FOUND']);
  });

  it('custom.format: `:` separates like `=`', () => {
    expect(read('custom.format')).toEqual({ FOO: 'BAR', ZOT: 'QIX' });
  });
});

describe('godotenv_test.go', () => {
  it('TestParse', () => {
    expect(parse('ONE=1\nTWO=\'2\'\nTHREE = "3"')).toEqual({ ONE: '1', TWO: '2', THREE: '3' });
  });

  it.each([
    ['expands variables found in values', 'FOO=test\nBAR=$FOO', { FOO: 'test', BAR: 'test' }],
    ['parses variables wrapped in brackets', 'FOO=test\nBAR=${FOO}bar', { FOO: 'test', BAR: 'testbar' }],
    ['expands undefined variables to an empty string', 'BAR=$FOO', { BAR: '' }],
    ['expands variables in double quoted strings', 'FOO=test\nBAR="quote $FOO"', { FOO: 'test', BAR: 'quote test' }],
    ['does not expand variables in single quoted strings', "BAR='quote $FOO'", { BAR: 'quote $FOO' }],
    ['does not expand escaped variables 1', 'FOO="foo\\$BAR"', { FOO: 'foo$BAR' }],
    ['does not expand escaped variables 2', 'FOO="foo\\${BAR}"', { FOO: 'foo${BAR}' }],
    ['does not expand escaped variables 3', 'FOO=test\nBAR="foo\\${FOO} ${FOO}"', { FOO: 'test', BAR: 'foo${FOO} test' }],
  ])('TestExpanding: %s', (_name, input, want) => {
    expect(parse(input)).toEqual(want);
  });

  it('TestVariableStringValueSeparator: a double-quoted value spans lines', () => {
    const input = 'TEST_URLS="stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443"';
    expect(parse(input)).toEqual({ TEST_URLS: 'stratum+tcp://stratum.antpool.com:3333\nstratum+tcp://stratum.antpool.com:443' });
  });

  it.each([
    ['FOO=bar', 'FOO', 'bar'],
    ['FOO =bar', 'FOO', 'bar'],
    ['FOO= bar', 'FOO', 'bar'],
    ['FOO="bar"', 'FOO', 'bar'],
    ["FOO='bar'", 'FOO', 'bar'],
    ['FOO="escaped\\"bar"', 'FOO', 'escaped"bar'],
    ['FOO="\\"quoted\\""', 'FOO', '"quoted"'],
    ['FOO="\'d\'"', 'FOO', "'d'"],
    ['OPTION_A: 1', 'OPTION_A', '1'],
    ['OPTION_A: Foo=bar', 'OPTION_A', 'Foo=bar'],
    ['OPTION_A=1:B', 'OPTION_A', '1:B'],
    ['export OPTION_A=2', 'OPTION_A', '2'],
    ["export OPTION_B='\\n'", 'OPTION_B', '\\n'],
    ['export exportFoo=2', 'exportFoo', '2'],
    ['exportFOO=2', 'exportFOO', '2'],
    ['export_FOO =2', 'export_FOO', '2'],
    ['export.FOO= 2', 'export.FOO', '2'],
    ['export\tOPTION_A=2', 'OPTION_A', '2'],
    ['  export OPTION_A=2', 'OPTION_A', '2'],
    ['\texport OPTION_A=2', 'OPTION_A', '2'],
    ['export OPTION_A="export A"', 'OPTION_A', 'export A'],
    ['FOO="bar\\nbaz"', 'FOO', 'bar\nbaz'],
    ['FOO=a\\tb', 'FOO', 'a\\tb'],
    ['FOO="a\\tb"', 'FOO', 'a\tb'],
    ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'KEY', 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ'],
    ['FOO.BAR=foobar', 'FOO.BAR', 'foobar'],
    ['FOO=foobar=', 'FOO', 'foobar='],
    ['FOO=bar ', 'FOO', 'bar'],
    ['FOO=bar # this is foo', 'FOO', 'bar'],
    ['FOO=bar #this is foo', 'FOO', 'bar'],
    ['FOO=bar #', 'FOO', 'bar'],
    ['FOO=123#not-an-inline-comment', 'FOO', '123#not-an-inline-comment'],
    ['FOO="bar#baz"', 'FOO', 'bar#baz'],
    ['FOO="bar#baz"#', 'FOO', 'bar#baz'],
    ['FOO="bar#baz" # comment', 'FOO', 'bar#baz'],
    ["FOO='bar#baz' # comment", 'FOO', 'bar#baz'],
    ['FOO="bar#baz#bang" # comment', 'FOO', 'bar#baz#bang'],
    ['FOO="ba#r"', 'FOO', 'ba#r'],
    ["FOO='ba#r'", 'FOO', 'ba#r'],
    ['FOO="bar\\n\\ b\\az"', 'FOO', 'bar\n\\ b\x07z'],
    ['FOO="bar\\\\\\n\\ b\\az"', 'FOO', 'bar\\\n\\ b\x07z'],
    ['FOO="bar\\\\r\\ b\\az"', 'FOO', 'bar\\r\\ b\x07z'],
    ['FOO="bar\\nbaz\\\\"', 'FOO', 'bar\nbaz\\'],
    ['="value"', '', 'value'],
    [' KEY =value', 'KEY', 'value'],
    ['   KEY=value', 'KEY', 'value'],
    ['\tKEY=value', 'KEY', 'value'],
    ['KEY="\\0123"', 'KEY', 'S'],
    ['KEY="\\x07"', 'KEY', '\\x07'],
    ['KEY="\\u12e4"', 'KEY', '\\u12e4'],
    ['KEY="\\U00101234"', 'KEY', '\\U00101234'],
  ])('TestParsing: %j', (line, key, value) => {
    const got = parse(line);
    expect(Object.hasOwn(got, key), `key ${JSON.stringify(key)} in ${JSON.stringify(got)}`).toBe(true);
    expect(got[key]).toBe(value);
  });

  it('TestParsing: a line that is not KEY=VALUE is an error', () => {
    expect(diagnostic(() => parse('lol$wut'))).toMatchObject({ code: 'dotenv.syntax', line: 1, message: 'unexpected character "$" in variable name "lol$wut"' });
  });

  it.each(['KEY="', 'KEY="value', 'KEY="value\\"', "KEY=\"value'", "KEY='", "KEY='value", "KEY='value\\'", 'KEY=\'value"'])(
    'TestUnterminatedQuotes: %j',
    (input) => {
      const d = diagnostic(() => parse(input));
      expect(d.code).toBe('dotenv.syntax');
      expect(d.message).toMatch(/^unterminated quoted value /);
    },
  );

  it.each(['\n', '\r\n', '\t\t ', '# Comment', '\t # comment', '', '\n\n# a\n   # b\n'])('TestLinesToIgnore: %j holds no statement', (input) => {
    expect(parse(input)).toEqual({});
  });

  it("TestLinesToIgnore: `export OPTION_B='\\n'` is a statement", () => {
    expect(parse("export OPTION_B='\\n'")).toEqual({ OPTION_B: '\\n' });
  });

  it('TestExpandingEnvironmentWithLookup', () => {
    expect(parse('TEST=$ME', env({ ME: 'YES' }))).toEqual({ TEST: 'YES' });
  });
});

describe('godotenv_var_expansion_test.go (earlier lines EMPTY_VAR="" and TEST_VAR="Test Value")', () => {
  const head = 'EMPTY_VAR=\nTEST_VAR=Test Value\n';
  const result = (expr: string) => parse(`${head}RESULT=${expr}`).RESULT;

  it('TestExpandIfEmptyOrUnset', () => {
    expect(result('${UNSET_VAR:-Default Value}')).toBe('Default Value');
    expect(result('${EMPTY_VAR:-Default Value}')).toBe('Default Value');
    expect(result('${TEST_VAR:-Default Value}')).toBe('Test Value');
  });

  it('TestExpandIfUnset', () => {
    expect(result('${UNSET_VAR-Default Value}')).toBe('Default Value');
    expect(result('${EMPTY_VAR-Default Value}')).toBe('');
    expect(result('${TEST_VAR-Default Value}')).toBe('Test Value');
  });

  it('TestErrorIfEmptyOrUnset', () => {
    expect(diagnostic(() => result('${UNSET_VAR:?Test error}'))).toMatchObject({
      code: 'interpolate.required',
      file: 'test.env',
      line: 3,
      message: 'required variable UNSET_VAR is missing a value: Test error',
    });
    expect(diagnostic(() => result('${EMPTY_VAR:?Test error}')).message).toBe('required variable EMPTY_VAR is missing a value: Test error');
    expect(result('${TEST_VAR:?Default Value}')).toBe('Test Value');
  });

  it('TestErrorIfUnset', () => {
    expect(diagnostic(() => result('${UNSET_VAR?Test error}')).message).toBe('required variable UNSET_VAR is missing a value: Test error');
    expect(result('${EMPTY_VAR?Test error}')).toBe('');
    expect(result('${TEST_VAR?Default Value}')).toBe('Test Value');
  });
});

describe('parser_test.go', () => {
  it('TestParseBytes: keys with brackets, dots, dashes and non-ASCII letters', () => {
    const input = '\na=b\na[1]=c\na.propertyKey=d\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\n';
    expect(parse(input)).toEqual({ a: 'b', 'a[1]': 'c', 'a.propertyKey': 'd', 'árvíztűrő-TÜKÖRFÚRÓGÉP': 'ÁRVÍZTŰRŐ-tükörfúrógép' });
  });

  it('TestParseVariable: the error names the character and the line', () => {
    expect(diagnostic(() => parse('%!(EXTRA string)=foo'))).toMatchObject({
      code: 'dotenv.syntax',
      line: 1,
      message: 'unexpected character "%" in variable name "%!(EXTRA string)=foo"',
    });
  });

  it('TestMemoryExplosion: every line is read once', () => {
    const input = (size: number) => Array.from({ length: size }, (_, i) => `KEY${i}=VALUE${i}`).join('\n');
    expect(Object.keys(parse(input(1000)))).toHaveLength(1000);
    // 100k lines (1.5 MB) take well under a second when each statement is read once; re-reading or
    // copying the rest of the input per statement would take minutes. The budget allows a busy machine.
    const started = performance.now();
    expect(Object.keys(parse(input(100_000)))).toHaveLength(100_000);
    expect(performance.now() - started).toBeLessThan(8000);
  });
});

describe('grammar details', () => {
  it('KEY= is empty, a bare KEY inherits only from the lookup', () => {
    expect(parse('A=\nB\nC\n', env({ B: 'from-os' }))).toEqual({ A: '', B: 'from-os' });
    // A bare KEY never unsets: an unknown one leaves an earlier value in place.
    expect(parse('A=1\nA\n')).toEqual({ A: '1' });
  });

  it('interpolation tries the lookup first, then earlier lines; later lines are not visible', () => {
    expect(parse('X=file\nY=${X}\nZ=${W}\nW=late', env({ X: 'os' }))).toEqual({ X: 'file', Y: 'os', Z: '', W: 'late' });
  });

  it('single quotes are literal except for an escaped single quote', () => {
    expect(parse("A='$FOO \\n \\\\ \\'x\\''")).toEqual({ A: "$FOO \\n \\\\ 'x'" });
  });

  it('double quotes: `\\$` stays a literal dollar, `$$` too', () => {
    expect(parse('A="\\$HOME $$HOME ${X}"', env({ X: 'x', HOME: '/root' }))).toEqual({ A: '$HOME $HOME x' });
  });

  it('octal escapes need three octal digits and fit a byte', () => {
    const one = (v: string) => parse(`K="${v}"`).K;
    expect(one('\\0101')).toBe('A');
    expect(one('\\0377')).toBe('\u00ff');
    expect(one('\\0000')).toBe('\0');
    for (const same of ['\\0', '\\01', '\\012', '\\0128', '\\0400', '\\c', '\\ ']) expect(one(same)).toBe(same);
  });

  it('unquoted values are interpolated, and only ` #` starts a comment', () => {
    expect(parse('A=${X:-d}#x # y\nB=a\t#b', env({}))).toEqual({ A: 'd#x', B: 'a\t#b' });
  });

  it('CRLF line ends are trimmed from unquoted values', () => {
    expect(parse('A=1\r\nB = two words \r\n')).toEqual({ A: '1', B: 'two words' });
  });

  it('a key may not contain a space; the line of the entry is reported', () => {
    expect(diagnostic(() => parse('A=1\n\nB C=2\n'))).toMatchObject({ code: 'dotenv.syntax', line: 3, message: 'key cannot contain a space' });
  });

  it('an unterminated quote reports the line where the value starts', () => {
    const d = diagnostic(() => parse('A=1\nB=\'open\nmore\n'));
    expect(d).toMatchObject({ code: 'dotenv.syntax', file: 'test.env', line: 2, message: "unterminated quoted value 'open" });
  });

  it('lines are counted across multi-line quoted values', () => {
    expect(diagnostic(() => parse('A="x\ny\nz"\nB=1\nC=${U:?needed}\n')).line).toBe(5);
  });

  it('an invalid ${ in a value is reported with its line', () => {
    expect(diagnostic(() => parse('A=1\nB=${ }\n'))).toMatchObject({ code: 'interpolate.invalid', line: 2, message: 'Invalid template: "${ }"' });
  });

  it('text after a closing quote starts the next statement (compose-go does the same)', () => {
    expect(parse('A="x" B=2\n')).toEqual({ A: 'x', B: '2' });
  });

  it('a last line without separator becomes the value of the empty key, as in compose-go', () => {
    expect(parse('A=1\nLONELY')).toEqual({ A: '1', '': 'LONELY' });
  });

  it('`export` alone at the end is an error', () => {
    expect(diagnostic(() => parse('export '))).toMatchObject({ code: 'dotenv.syntax', message: 'zero length string' });
  });

  it('keeps a key named __proto__ as data', () => {
    const got = parse('__proto__=x');
    expect(Object.keys(got)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });
});

describe('format: raw (docker/cli kvfile)', () => {
  const raw = (text: string, lookup?: (k: string) => string | undefined) => parseDotenv(text, { file: 'raw.env', raw: true, ...(lookup ? { lookup } : {}) });

  it('takes values verbatim: no unquoting, no interpolation, no comment stripping', () => {
    expect(raw('\uFEFFA="q" \nB=$X ${Y}\nC=a # b\n  D=\'s\'\n# c=d\n\nE=\r\n', env({ X: 'x' }))).toEqual({
      A: '"q" ',
      B: '$X ${Y}',
      C: 'a # b',
      D: "'s'",
      E: '',
    });
  });

  it('a bare key comes from the lookup or is left out', () => {
    expect(raw('VAR=VAR_VALUE\nEMPTY_VAR=\nUNDEFINED_VAR\nDEFINED_VAR\n', env({ DEFINED_VAR: 'defined-value' }))).toEqual({
      VAR: 'VAR_VALUE',
      EMPTY_VAR: '',
      DEFINED_VAR: 'defined-value',
    });
  });

  it('rejects white space in a key and an empty key, with the line', () => {
    expect(diagnostic(() => raw('foo=bar\n    f   =quux\n'))).toMatchObject({ code: 'dotenv.syntax', line: 2, message: "variable 'f   ' contains whitespaces" });
    expect(diagnostic(() => raw('# comment=\n=blank\n'))).toMatchObject({ line: 2, message: "no variable name on line '=blank'" });
    expect(diagnostic(() => raw('first line\nanother'))).toMatchObject({ line: 1, message: "variable 'first line' contains whitespaces" });
  });
});

describe('parseEnvFiles', () => {
  it('later files override earlier ones', () => {
    const got = parseEnvFiles(
      [
        { path: 'a.env', text: 'A=1\nB=1\n' },
        { path: 'b.env', text: 'B=2\nC=2\n' },
      ],
      {},
    );
    expect(got).toEqual({ A: '1', B: '2', C: '2' });
  });

  it('file N sees the OS environment first, then earlier files, then its own earlier lines', () => {
    const got = parseEnvFiles(
      [
        { path: 'a.env', text: 'FOO=bar\nBAR=${FOO}\nFROM_A=a\nSHADOW=a\n' },
        { path: 'b.env', text: 'X=${FROM_A}-${FOO}\nSHADOW=b\nY=${SHADOW}\nFROM_A\n' },
      ],
      { FOO: 'zot' },
    );
    // TestEnvVariablePrecedence: shell FOO=zot, .env FOO=bar and BAR=${FOO} give BAR=zot; the caller puts the OS env on top.
    expect(got).toEqual({ FOO: 'bar', BAR: 'zot', FROM_A: 'a', SHADOW: 'b', X: 'a-zot', Y: 'a' });
  });

  it('mixes raw and default formats and reports the failing file', () => {
    expect(
      parseEnvFiles(
        [
          { path: 'a.env', text: 'A=${B:-x}\n' },
          { path: 'b.env', text: 'C=${A}\nD="q"\n', raw: true },
        ],
        {},
      ),
    ).toEqual({ A: 'x', C: '${A}', D: '"q"' });
    const d = diagnostic(() => parseEnvFiles([{ path: 'ok.env', text: 'A=1\n' }, { path: 'bad.env', text: 'A=1\nB C=1\n' }], {}));
    expect(d).toMatchObject({ file: 'bad.env', line: 2 });
  });

  it('passes warnings on', () => {
    const warnings: string[] = [];
    parseEnvFiles([{ path: 'a.env', text: 'A=$NOPE\n' }], {}, (m) => warnings.push(m));
    expect(warnings).toEqual(['The "NOPE" variable is not set. Defaulting to a blank string.']);
  });
});
