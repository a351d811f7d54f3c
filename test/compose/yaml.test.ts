import { describe, expect, it } from 'vitest';
import { parseComposeYaml } from '../../src/compose/yaml.js';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { OverrideTag, ResetTag } from '../../src/compose/tags.js';

function fails(text: string): DiagnosticError {
  try {
    parseComposeYaml(text, 'compose.yaml');
  } catch (e) {
    if (e instanceof DiagnosticError) return e;
    throw e;
  }
  throw new Error('expected a diagnostic');
}

describe('parseComposeYaml', () => {
  it('keeps source positions of every path', () => {
    const p = parseComposeYaml('services:\n  web:\n    image: nginx\n    ports:\n      - "80:80"\n', 'c.yaml');
    expect(p.documents).toEqual([{ services: { web: { image: 'nginx', ports: ['80:80'] } } }]);
    expect(p.locations.get('services.web.image')).toEqual({ file: 'c.yaml', line: 3, column: 5 });
    expect(p.locations.get('services.web.ports[0]')).toMatchObject({ line: 5, column: 9 });
  });

  it('rejects duplicate keys with their line (compose-go: mapping key already defined)', () => {
    const e = fails('services:\n  web:\n    image: a\n    image: b\n');
    expect(e.diagnostics[0]).toMatchObject({ code: 'yaml.duplicate-key', file: 'compose.yaml', line: 4 });
  });

  it('rejects non-string keys like compose-go (TestNonStringKeys)', () => {
    expect(fails('123: x\n').diagnostics[0]!.message).toBe('non-string key at top level: 123');
    const e = fails('services:\n  dict-env:\n    environment:\n      1: a\n');
    expect(e.diagnostics[0]!.message).toBe('non-string key in services.dict-env.environment: 1');
    expect(e.diagnostics[0]!.line).toBe(4);
  });

  it('reads unquoted 0440 as octal like go-yaml, quoted "0440" as a string', () => {
    const p = parseComposeYaml('a: 0440\nb: "0440"\nc: 0o440\nd: 440\n', 'f');
    expect(p.documents[0]).toEqual({ a: 0o440, b: '0440', c: 0o440, d: 440 });
  });

  it('resolves anchors and merge keys; explicit keys and earlier sources win', () => {
    const p = parseComposeYaml(
      'x-a: &a {image: a, user: ua}\nx-b: &b {image: b, tty: true}\nservices:\n  s:\n    <<: [*a, *b]\n    user: mine\n',
      'f',
    );
    expect((p.documents[0] as any).services.s).toEqual({ image: 'a', user: 'mine', tty: true });
  });

  it('turns !reset and !override into markers', () => {
    const p = parseComposeYaml('services:\n  s:\n    build: !reset null\n    ports: !override ["1:1"]\n', 'f');
    const s = (p.documents[0] as any).services.s;
    expect(s.build).toBeInstanceOf(ResetTag);
    expect(s.ports).toBeInstanceOf(OverrideTag);
    expect(s.ports.value).toEqual(['1:1']);
  });

  it('returns one value per document of a multi-document file and skips empty ones', () => {
    const p = parseComposeYaml('services: {a: {image: x}}\n---\nservices: {a: {image: y}}\n---\n', 'f');
    expect(p.documents).toHaveLength(2);
  });

  it('fails fast on a billion-laughs alias bomb', () => {
    let text = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i <= 9; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
    const start = Date.now();
    const e = fails(text);
    expect(e.diagnostics[0]!.code).toBe('yaml.alias-bomb');
    expect(Date.now() - start).toBeLessThan(20_000);
  });

  it('reports syntax errors with a line', () => {
    const e = fails('services:\n  web:\n    image: [a\n');
    expect(e.diagnostics[0]).toMatchObject({ code: 'yaml.syntax', file: 'compose.yaml' });
    expect(e.diagnostics[0]!.line).toBeGreaterThan(0);
  });

  it('refuses binary junk', () => {
    expect(fails('services:\u0000\u0001').diagnostics[0]!.code).toBe('yaml.binary');
  });
});
