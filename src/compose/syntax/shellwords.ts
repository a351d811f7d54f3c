// Splits a string `command`/`entrypoint` like mattn/go-shellwords with ParseEnv, ParseBacktick and
// ParseComment off. compose-go's go.mod asks for v1.0.12, but `docker compose` v5 links v1.0.15
// (Go's minimal version selection), and that is the behaviour users get; this is a port of v1.0.15:
//   - quotes group words; a backslash escapes the next character except inside single quotes, and
//     `\t` / `\n` become a tab / a newline;
//   - `$` is never expanded (the container's shell does it), and `$(...)` or backquoted text is kept
//     verbatim as part of a word, spaces and escapes included;
//   - parsing stops at an unquoted `;`, `&`, `|`, `<` or `>`, dropping the rest of the line
//     (`echo hi && ls` gives ["echo", "hi"]); a digits-only word before `>` is dropped too (`2>x`);
//   - an unterminated quote, escape, backquote or `$(`, a bare `(` or `)` is `invalid command line string`.

const INVALID = 'invalid command line string';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

type Arg = 'none' | 'single' | 'quoted';

export function splitShellWords(line: string): string[] {
  const args: string[] = [];
  let buf = '';
  let got: Arg = 'none';
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;

  const flush = () => {
    // An empty quoted string is a word; an empty unquoted one is not.
    if (got === 'quoted' || (got !== 'none' && buf.length > 0)) args.push(buf);
    buf = '';
    got = 'none';
  };

  loop: for (const r of line) {
    if (escaped) {
      escaped = false;
      if (backQuote || dollarQuote) buf += `\\${r}`;
      else buf += r === 't' ? '\t' : r === 'n' ? '\n' : r;
      got = 'single';
      continue;
    }
    if (r === '\\') {
      if (singleQuoted) buf += r;
      else escaped = true;
      continue;
    }
    if (isSpace(r)) {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) buf += r;
      else flush();
      continue;
    }
    const quoted = singleQuoted || doubleQuoted;
    switch (r) {
      case '`':
        if (!quoted && !dollarQuote) backQuote = !backQuote;
        break;
      case ')':
        if (!quoted && !backQuote) {
          if (!dollarQuote) throw new Error(INVALID);
          buf += r;
          dollarQuote = false;
          got = 'single';
          continue;
        }
        break;
      case '(':
        if (!quoted && !backQuote) {
          const n = buf.length;
          if (!dollarQuote && n > 0 && buf[n - 1] === '$' && !(n > 1 && buf[n - 2] === '\\')) {
            dollarQuote = true;
            buf += r;
            continue;
          }
          throw new Error(INVALID);
        }
        break;
      case '"':
        if (!singleQuoted && !dollarQuote && !backQuote) {
          if (doubleQuoted) got = 'quoted';
          doubleQuoted = !doubleQuoted;
          continue;
        }
        break;
      case "'":
        if (!doubleQuoted && !dollarQuote && !backQuote) {
          if (singleQuoted) got = 'quoted';
          singleQuoted = !singleQuoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!(quoted || backQuote || dollarQuote)) {
          // `2>file`: the file-descriptor number is not an argument.
          if (r === '>' && /^[0-9]+$/.test(buf)) got = 'none';
          break loop;
        }
        break;
    }
    got = 'single';
    buf += r;
  }

  flush();
  if (escaped || singleQuoted || doubleQuoted || backQuote || dollarQuote) throw new Error(INVALID);
  return args;
}
