// Ports the facts of compose-go template/template_test.go, template/variables_test.go and
// interpolation/interpolation_test.go (default and required cases), plus the scanner's quirks.
import { describe, expect, it } from 'vitest';
import { extractVariables, formatInterpolationError, InterpolationError, substitute, type Lookup } from '../../src/compose/interpolate.js';

// The mapping of template_test.go.
const defaults: Record<string, string> = { FOO: 'first', BAR: '', JSON: '{"json":2}' };
const mapping: Lookup = (name) => (Object.hasOwn(defaults, name) ? defaults[name] : undefined);

function sub(template: string, lookup: Lookup = mapping): string {
  return substitute(template, lookup);
}

/** Substitutes and collects warnings. */
function subWarn(template: string, lookup: Lookup = mapping): { result: string; warnings: string[] } {
  const warnings: string[] = [];
  const result = substitute(template, lookup, (m) => warnings.push(m));
  return { result, warnings };
}

function failure(template: string, lookup: Lookup = mapping): InterpolationError {
  try {
    substitute(template, lookup);
  } catch (e) {
    expect(e).toBeInstanceOf(InterpolationError);
    return e as InterpolationError;
  }
  throw new Error(`expected ${JSON.stringify(template)} to fail`);
}

const notSet = (name: string) => `The "${name}" variable is not set. Defaulting to a blank string.`;

describe('template_test.go', () => {
  it('TestEscaped: $$ is a literal $ and is not interpolated further', () => {
    expect(sub('$${foo}')).toBe('${foo}');
    expect(sub('$$FOO')).toBe('$FOO');
    expect(sub('$$$FOO')).toBe('$first');
  });

  it('TestSubstituteNoMatch', () => {
    expect(sub('foo')).toBe('foo');
  });

  it.each(['a $ string', '^REGEX$', '$}', '$', '$1', 'cost: 5$', "awk '{print $1}'"])('TestUnescaped: %j is kept as is', (t) => {
    expect(subWarn(t)).toEqual({ result: t, warnings: [] });
  });

  it.each(['${', '${}', '${ }', '${ foo}', '${foo }', '${foo!}', '${VAR/a/b}', '${#V}', '${V:0:2}', '${1A}', '${FOO:x}', 'ok ${FOO'])(
    'TestInvalid: %j is an invalid template',
    (t) => {
      const e = failure(t);
      expect(e.kind).toBe('invalid');
      expect(e.message).toContain('Invalid template');
      expect(e.message).toBe(`Invalid template: ${JSON.stringify(t)}`);
    },
  );

  it('TestNonBraced: $VAR takes the longest name (docker/compose#8601)', () => {
    expect(sub('$FOO-bar')).toBe('first-bar');
  });

  it('TestNoValueNoDefault: unset and empty both give "", only unset warns', () => {
    expect(subWarn('This ${missing} var')).toEqual({ result: 'This  var', warnings: [notSet('missing')] });
    expect(subWarn('This ${BAR} var')).toEqual({ result: 'This  var', warnings: [] });
    expect(subWarn('This $missing var')).toEqual({ result: 'This  var', warnings: [notSet('missing')] });
  });

  it('TestValueNoDefault', () => {
    expect(sub('This $FOO var')).toBe('This first var');
    expect(sub('This ${FOO} var')).toBe('This first var');
  });

  it('TestNoValueWithDefault', () => {
    expect(subWarn('ok ${missing:-def}')).toEqual({ result: 'ok def', warnings: [] });
    expect(subWarn('ok ${missing-def}')).toEqual({ result: 'ok def', warnings: [] });
  });

  it('TestEmptyValueWithSoftDefault', () => {
    expect(sub('ok ${BAR:-def}')).toBe('ok def');
  });

  it('TestValueWithSoftDefault', () => {
    expect(sub('ok ${FOO:-def}')).toBe('ok first');
  });

  it('TestEmptyValueWithHardDefault', () => {
    expect(sub('ok ${BAR-def}')).toBe('ok ');
  });

  it('TestPresentValue*: :+ needs a non-empty value, + only a set one', () => {
    expect(sub('ok ${UNSET_VAR:+presence_value}')).toBe('ok ');
    expect(sub('ok ${UNSET_VAR+presence_value}')).toBe('ok ');
    expect(sub('ok ${FOO:+presence_value}')).toBe('ok presence_value');
    expect(sub('ok ${FOO+presence_value}')).toBe('ok presence_value');
    expect(sub('ok ${BAR+presence_value}')).toBe('ok presence_value');
    expect(sub('ok ${BAR:+presence_value}')).toBe('ok ');
  });

  it('TestNonAlphanumericDefault', () => {
    expect(sub('ok ${BAR:-/non:-alphanumeric}')).toBe('ok /non:-alphanumeric');
  });

  it.each([
    ['-ok ${BAR:-defaultValue}', '-ok defaultValue'],
    ['+ok ${UNSET:-${BAR-defaultValue}}', '+ok '],
    ['-ok ${FOO:-defaultValue}', '-ok first'],
    [':-ok ${UNSET-defaultValue}', ':-ok defaultValue'],
    [':-ok ${BAR-defaultValue}', ':-ok '],
    [':?ok ${BAR-defaultValue}', ':?ok '],
    [':?ok ${BAR:-defaultValue}', ':?ok defaultValue'],
    [':+ok ${BAR:-defaultValue}', ':+ok defaultValue'],
    ['+ok ${BAR-defaultValue}', '+ok '],
    ['?ok ${BAR:-defaultValue}', '?ok defaultValue'],
  ])('TestInterpolationExternalInterference: %j', (t, want) => {
    expect(sub(t)).toBe(want);
  });

  it.each([
    ['ok ${UNSET_VAR-$FOO}', 'ok first'],
    ['ok ${UNSET_VAR-${FOO}}', 'ok first'],
    ['ok ${UNSET_VAR-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR:-$FOO}', 'ok first'],
    ['ok ${BAR:-${FOO}}', 'ok first'],
    ['ok ${BAR:-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR+$FOO}', 'ok first'],
    ['ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
  ])('TestDefaultsWithNestedExpansion: %j', (t, want) => {
    expect(sub(t)).toBe(want);
  });

  it.each([
    ['not ok ${UNSET_VAR:?Mandatory Variable Unset}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${BAR:?Mandatory Variable Empty}', 'BAR', 'required variable BAR is missing a value: Mandatory Variable Empty'],
    ['not ok ${UNSET_VAR:?}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value'],
    ['not ok ${UNSET_VAR?Mandatory Variable Unset}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value: Mandatory Variable Unset'],
    ['not ok ${UNSET_VAR?}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value'],
    // TestMandatoryVariableErrorsWithNestedExpansion: the error text is interpolated.
    ['not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
    ['not ok ${UNSET_VAR?Mandatory Variable ${FOO}}', 'UNSET_VAR', 'required variable UNSET_VAR is missing a value: Mandatory Variable first'],
  ])('TestMandatoryVariableErrors: %j', (t, variable, message) => {
    const e = failure(t);
    expect(e.kind).toBe('required');
    expect(e.variable).toBe(variable);
    expect(e.message).toBe(message);
  });

  it.each([
    ['ok ${FOO:?err}', 'ok first'],
    ['ok ${FOO?err}', 'ok first'],
    ['ok ${BAR?err}', 'ok '],
  ])('TestDefaultsForMandatoryVariables: %j', (t, want) => {
    expect(sub(t)).toBe(want);
  });

  it('TestSubstituteWithCustomFunc: the lookup tells empty from unset', () => {
    const asked: string[] = [];
    const lookup: Lookup = (n) => {
      asked.push(n);
      return mapping(n);
    };
    expect(subWarn('ok ${FOO}', lookup)).toEqual({ result: 'ok first', warnings: [] });
    expect(subWarn('ok ${BAR}', lookup)).toEqual({ result: 'ok ', warnings: [] });
    expect(subWarn('ok ${NOTHERE}', lookup)).toEqual({ result: 'ok ', warnings: [notSet('NOTHERE')] });
    expect(asked).toEqual(['FOO', 'BAR', 'NOTHERE']);
  });

  it('TestPrecedence: the operator that comes first wins', () => {
    const e = failure('${UNSET_VAR?bar-baz}');
    expect(e.kind).toBe('required');
    expect(e.variable).toBe('UNSET_VAR');
    expect(e.reason).toBe('bar-baz');
    expect(e.message).toBe('required variable UNSET_VAR is missing a value: bar-baz');
    expect(sub('${UNSET_VAR-myerror?msg}')).toBe('myerror?msg');
    expect(sub('${FOO?bar-baz}')).toBe('first');
    expect(sub('${BAR:-default_value_for_empty_var}')).toBe('default_value_for_empty_var');
    expect(sub('${UNSET_VAR-default_value_for_unset_var}')).toBe('default_value_for_unset_var');
  });

  // TestSubstitutionFunctionChoice asserts the operator compose picks for `VARNAME<rest>`. Each operator
  // is recognised here by what it does with VARNAME unset, empty and set to "x".
  describe('TestSubstitutionFunctionChoice', () => {
    const behaviour = (expr: string): string[] =>
      [undefined, '', 'x'].map((value) => {
        try {
          return `=${substitute(`\${${expr}}`, (n) => (n === 'VARNAME' ? value : undefined))}`;
        } catch (e) {
          return `!${(e as InterpolationError).reason}`;
        }
      });
    const expected = (symbol: string, text: string): string[] => {
      switch (symbol) {
        case ':?':
          return [`!${text}`, `!${text}`, '=x'];
        case '?':
          return [`!${text}`, '=', '=x'];
        case ':-':
          return [`=${text}`, `=${text}`, '=x'];
        case '-':
          return [`=${text}`, '=', '=x'];
        case ':+':
          return ['=', '=', `=${text}`];
        default:
          return ['=', `=${text}`, `=${text}`];
      }
    };
    it.each([
      ['VARNAME:?val?ue', ':?'],
      ['VARNAME?val:?ue', '?'],
      ['VARNAME?va-lu+e:?e', '?'],
      ['VARNAME?va+lu-e:?e', '?'],
      ['VARNAME:-value', ':-'],
      ['VARNAME-va:-lu:?e', '-'],
      ['VARNAME-va+lu?e', '-'],
      ['VARNAME-va?lu+e', '-'],
      ['VARNAME:+va:?lu:-e', ':+'],
      ['VARNAME+va:+lue', '+'],
      ['VARNAME+va?lu-e', '+'],
      ['VARNAME+va-lu?e', '+'],
    ])('%j uses %s', (expr, symbol) => {
      expect(behaviour(expr)).toEqual(expected(symbol, expr.slice('VARNAME'.length + symbol.length)));
    });
  });

  it('TestNoValueWithCurlyBracesDefault: the closing brace is found by counting braces', () => {
    expect(sub('ok ${missing:-{"json":1}}')).toBe('ok {"json":1}');
    expect(sub('ok ${missing-{"json":1}}')).toBe('ok {"json":1}');
  });

  it('TestValueWithCurlyBracesDefault: an unused default with braces is skipped whole', () => {
    expect(sub('ok ${JSON:-{"json":1}}')).toBe('ok {"json":2}');
    expect(sub('ok ${JSON-{"json":1}}')).toBe('ok {"json":2}');
  });

  it('TestLazyDefaultDoesNotWarn: only the branch used is evaluated', () => {
    expect(subWarn('${FOO:-${UNSET_A}}')).toEqual({ result: 'first', warnings: [] });
    expect(subWarn('${A:+${A},}B')).toEqual({ result: 'B', warnings: [] });
    expect(subWarn('${UNSET_A:-${UNSET_B}}')).toEqual({ result: '', warnings: [notSet('UNSET_B')] });
    expect(subWarn('${FOO?${UNSET_A}}')).toEqual({ result: 'first', warnings: [] });
    // An unused branch may even be invalid or failing.
    expect(sub('${FOO:-${UNSET:?boom}}')).toBe('first');
    expect(sub('${FOO:-${}}')).toBe('first');
    expect(failure('${UNSET:-${UNSET_A:?boom}}').message).toBe('required variable UNSET_A is missing a value: boom');
  });
});

describe('template/variables_test.go TestExtractVariables', () => {
  it.each([
    ['', []],
    ['bar', []],
    ['$bar', [{ name: 'bar', required: false }]],
    ['${bar}', [{ name: 'bar', required: false }]],
    ['${bar?:foo}', [{ name: 'bar', required: true }]],
    ['${bar?foo}', [{ name: 'bar', required: true }]],
    ['${bar:-foo}', [{ name: 'bar', defaultValue: 'foo', required: false }]],
    ['${bar-foo}', [{ name: 'bar', defaultValue: 'foo', required: false }]],
    ['${bar:+foo}', [{ name: 'bar', presenceValue: 'foo', required: false }]],
    ['${bar+foo}', [{ name: 'bar', presenceValue: 'foo', required: false }]],
    ['$$bar $${baz}', []],
  ])('%j', (t, want) => {
    expect(extractVariables(t)).toEqual(want);
  });

  it('multiple-values', () => {
    const all = ['${bar:-foo}', '${fruit:-banana}', 'vegetable', 'foo', '$docker:${project:-cli}', '$toto'].flatMap(extractVariables);
    const byName = Object.fromEntries(all.map((v) => [v.name, v]));
    expect(byName).toEqual({
      bar: { name: 'bar', defaultValue: 'foo', required: false },
      fruit: { name: 'fruit', defaultValue: 'banana', required: false },
      docker: { name: 'docker', required: false },
      project: { name: 'project', defaultValue: 'cli', required: false },
      toto: { name: 'toto', required: false },
    });
  });

  it('concat', () => {
    expect(extractVariables('${SUBDOMAIN:-redis}.${ROOTDOMAIN:?}')).toEqual(
      expect.arrayContaining([
        { name: 'ROOTDOMAIN', required: true },
        { name: 'SUBDOMAIN', defaultValue: 'redis', required: false },
      ]),
    );
    expect(extractVariables('${SUBDOMAIN:-redis}.${ROOTDOMAIN:?}')).toHaveLength(2);
  });

  it('nested: variables inside defaults and error texts count', () => {
    expect(extractVariables('${SUBDOMAIN:-$ROOTDOMAIN}')).toEqual(
      expect.arrayContaining([
        { name: 'ROOTDOMAIN', required: false },
        { name: 'SUBDOMAIN', defaultValue: '$ROOTDOMAIN', required: false },
      ]),
    );
    expect(extractVariables('${A:?missing ${MSG}}').map((v) => v.name).sort()).toEqual(['A', 'MSG']);
  });

  it('a variable is required as soon as one occurrence is, and keeps its first default', () => {
    expect(extractVariables('${X} ${X:-d} ${X:?}')).toEqual([{ name: 'X', defaultValue: 'd', required: true }]);
  });

  it('skips invalid parts', () => {
    expect(extractVariables('${ } $A')).toEqual([{ name: 'A', required: false }]);
  });
});

describe('interpolation/interpolation_test.go', () => {
  const path = 'myservice.environment.TESTVAR';
  const none: Lookup = () => undefined;
  const required = (msg: string) => `error while interpolating ${path}: required variable FOO is missing a value: ${msg}`;

  function interpolateAt(value: string, lookup: Lookup): string {
    try {
      return substitute(value, lookup);
    } catch (e) {
      if (e instanceof InterpolationError) throw new Error(formatInterpolationError(path, value, e));
      throw e;
    }
  }

  it('TestInvalidInterpolation: the user-facing text', () => {
    const e = failure('${');
    expect(formatInterpolationError('servicea.image', '${', e)).toBe(
      'invalid interpolation format for servicea.image.\nYou may need to escape any $ with another $.\n${',
    );
  });

  it('TestInterpolateReportsAllErrors: a required error without text', () => {
    const e = failure('${TIMEZONE:?}', none);
    expect(formatInterpolationError('service.environment.TIMEZONE', '${TIMEZONE:?}', e)).toBe(
      'error while interpolating service.environment.TIMEZONE: required variable TIMEZONE is missing a value',
    );
  });

  it.each([
    ['{{{ ${FOO:-foo_} }}}', '{{{ foo_ }}}'],
    ['{{{ ${FOO:-foo-bar-value} }}}', '{{{ foo-bar-value }}}'],
    ['{{{ ${FOO:-foo?bar?value} }}}', '{{{ foo?bar?value }}}'],
    ['{{{ ${FOO:-foo:?bar:?value} }}}', '{{{ foo:?bar:?value }}}'],
    ['{{{ ${FOO:-foo} ${BAR:-DEFAULT_VALUE} }}}', '{{{ foo DEFAULT_VALUE }}}'],
    ['{{{ ${BAR} }}}', '{{{  }}}'],
    ['${FOO:-baz} }}}', 'baz }}}'],
    ['${FOO-baz} }}}', 'baz }}}'],
    ['${FOO:-${BAR:-${ZOT:-qix}}}', 'qix'],
    ['${FOO:-${BAR:-x}_test_${BAR:-y}}', 'x_test_y'],
    ['${FOO:-${BAR:-x}_test}', 'x_test'],
    ['${FOO:-${BAR:-${ZOT:-x}}_test}', 'x_test'],
  ])('TestValidUnexistentInterpolation: %j', (t, want) => {
    expect(interpolateAt(t, none)).toBe(want);
  });

  it.each([
    ['{{{ ${FOO:?foo_} }}}', 'foo_'],
    ['{{{ ${FOO:?foo-bar-value} }}}', 'foo-bar-value'],
    ['{{{ ${FOO:?foo} ${BAR:-DEFAULT_VALUE} }}}', 'foo'],
    ['${FOO:?foo} ${BAR:?bar}', 'foo'],
    ['${FOO:?baz} }}}', 'baz'],
    ['${FOO?baz} }}}', 'baz'],
  ])('TestValidUnexistentInterpolation (error): %j', (t, msg) => {
    expect(() => interpolateAt(t, none)).toThrow(new Error(required(msg)));
  });

  const existent: Record<string, string> = { USER: 'jenny', FOO: 'bar', count: '5', REQUIRED: 'true' };
  it.each([
    ['{{{ ${FOO:-foo_} }}}', '{{{ bar }}}'],
    ['{{{ ${FOO:-foo-bar-value} }}}', '{{{ bar }}}'],
    ['{{{ ${FOO:-foo} ${BAR:-DEFAULT_VALUE} }}}', '{{{ bar DEFAULT_VALUE }}}'],
    ['{{{ ${BAR} }}}', '{{{  }}}'],
    ['${FOO:-baz} }}}', 'bar }}}'],
    ['${FOO-baz} }}}', 'bar }}}'],
    ['{{{ ${FOO:-foo} ${USER:-bar} }}}', '{{{ bar jenny }}}'],
    ['{{{ ${USER} }}}', '{{{ jenny }}}'],
    ['example:${USER}', 'example:jenny'],
    ['$FOO:/target', 'bar:/target'],
  ])('TestValidExistentInterpolation: %j', (t, want) => {
    expect(interpolateAt(t, (n) => existent[n])).toBe(want);
  });
});

describe('scanner details compose-go exhibits', () => {
  it('variable names are case-insensitive ASCII identifiers', () => {
    const env: Record<string, string> = { foo: 'lower', Foo_1: 'mixed', _x: 'under' };
    expect(sub('$foo ${Foo_1} $_x', (n) => env[n])).toBe('lower mixed under');
    // Go's case folding makes U+212A (Kelvin sign) a letter like k.
    expect(sub('$\u212A', (n) => (n === '\u212A' ? 'kelvin' : undefined))).toBe('kelvin');
  });

  it('a default cannot span lines: Go’s `.` does not match a newline', () => {
    expect(failure('${UNSET:-a\nb}').kind).toBe('invalid');
    expect(sub('${UNSET:-a}\n}')).toBe('a\n}');
  });

  it('counts every `{` and skips the character after it, as getFirstBraceClosingIndex does', () => {
    // `{}` does not close, so the expression runs to the final `}`.
    expect(sub('${FOO:-{}} x}')).toBe('first');
    expect(sub('${UNSET:-{}} x}')).toBe('{}} x');
    // Without a balancing `}`, the last `}` of the line ends the expression.
    expect(sub('${UNSET:-{}')).toBe('{');
    expect(sub('${JSON:-{}')).toBe('{"json":2}');
    expect(sub('${UNSET:-$${x}}')).toBe('${x}');
    expect(sub('${UNSET:-{"a":{"b":"${FOO}"}}} and ${FOO}')).toBe('{"a":{"b":"first"}} and first');
    expect(sub('${JSON:+x{y}z}')).toBe('x{y}z');
  });

  it('an unbalanced nested expression fails only when its branch is used', () => {
    expect(failure('a ${UNSET:-${FOO}').kind).toBe('invalid');
    expect(sub('a ${FOO:-${FOO}')).toBe('a first');
  });

  it('quotes the fragment compose was scanning when an invalid `${` is found', () => {
    const inRest = failure('${FOO:-x} ${ }');
    expect(inRest.template).toBe(' ${ }');
    expect(formatInterpolationError('p', '${FOO:-x} ${ }', inRest)).toBe(
      'invalid interpolation format for p.\nYou may need to escape any $ with another $.\n ${ }',
    );
    expect(failure('${UNSET:-${}}').template).toBe('${}');
    expect(failure('x ${').template).toBe('x ${');
    expect(failure('${FOO:-x}\n${').template).toBe('${FOO:-x}\n${');
    expect(failure('tab\t${').message).toBe('Invalid template: "tab\\t${"');
  });

  it('a required error with an empty interpolated text has no colon', () => {
    expect(failure('${UNSET:?$BAR}').message).toBe('required variable UNSET is missing a value');
  });

  it('the text after an expression keeps being substituted', () => {
    expect(subWarn('${FOO:-x}-$FOO-${NOPE}-$$')).toEqual({ result: 'first-first--$', warnings: [notSet('NOPE')] });
    expect(sub('${SUBDOMAIN:-redis}.${FOO:?}')).toBe('redis.first');
  });

  it('is linear on long lines', () => {
    const line = '${UNSET:-a}'.repeat(20000);
    const started = Date.now();
    expect(sub(line)).toBe('a'.repeat(20000));
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
