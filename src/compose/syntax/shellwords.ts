// Splits a string `command`/`entrypoint` like mattn/go-shellwords v1.0.12 (the version compose-go pins),
// with ParseEnv and ParseBacktick off: quotes and backslashes are processed, `$` is never expanded.
// Quirks kept on purpose because `docker compose` has them:
//   - parsing stops at an unquoted `;`, `&`, `|`, `<` or `>`; the rest of the line is dropped
//     (`echo hi && ls` gives ["echo", "hi"]); a digits-only word before `>` is dropped too (`2>x`);
//   - `$(...)` and backquoted text are kept verbatim as part of a word, spaces included;
//   - a backslash escapes the next character everywhere except inside single quotes (no `\n` decoding);
//   - an unterminated quote, escape, backquote or `$(` is the error `invalid command line string`.

const INVALID = 'invalid command line string';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

export function splitShellWords(line: string): string[] {
  const args: string[] = [];
  let buf = '';
  let escaped = false;
  let doubleQuoted = false;
  let singleQuoted = false;
  let backQuote = false;
  let dollarQuote = false;
  // Whether the current word has started (an empty quoted string still counts as a word).
  let got = false;

  loop: for (const r of line) {
    if (escaped) {
      buf += r;
      escaped = false;
      got = true;
      continue;
    }
    if (r === '\\') {
      if (singleQuoted) buf += r;
      else escaped = true;
      continue;
    }
    if (isSpace(r)) {
      if (singleQuoted || doubleQuoted || backQuote || dollarQuote) {
        buf += r;
      } else if (got) {
        args.push(buf);
        buf = '';
        got = false;
      }
      continue;
    }
    switch (r) {
      case '`':
        if (!singleQuoted && !doubleQuoted && !dollarQuote) backQuote = !backQuote;
        break;
      case ')':
        if (!singleQuoted && !doubleQuoted && !backQuote) dollarQuote = !dollarQuote;
        break;
      case '(':
        if (!singleQuoted && !doubleQuoted && !backQuote) {
          if (!dollarQuote && buf.endsWith('$')) {
            dollarQuote = true;
            buf += '(';
            continue;
          }
          throw new Error(INVALID);
        }
        break;
      case '"':
        if (!singleQuoted && !dollarQuote) {
          if (doubleQuoted) got = true;
          doubleQuoted = !doubleQuoted;
          continue;
        }
        break;
      case "'":
        if (!doubleQuoted && !dollarQuote) {
          if (singleQuoted) got = true;
          singleQuoted = !singleQuoted;
          continue;
        }
        break;
      case ';':
      case '&':
      case '|':
      case '<':
      case '>':
        if (!(singleQuoted || doubleQuoted || backQuote || dollarQuote)) {
          // `2>file`: the file-descriptor number is not an argument.
          if (r === '>' && buf.length > 0 && /^[0-9]+$/.test(buf)) got = false;
          break loop;
        }
        break;
    }
    got = true;
    buf += r;
  }

  if (got) args.push(buf);
  if (escaped || singleQuoted || doubleQuoted || backQuote || dollarQuote) throw new Error(INVALID);
  return args;
}
