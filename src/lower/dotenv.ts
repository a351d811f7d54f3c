// Fallback env_file parser (Compose's dotenv syntax without interpolation). The CLI should pass the loader's
// parser through LowerOptions.parseEnvFile so values are interpolated exactly as `docker compose` does.

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$', a: '\x07', b: '\b', f: '\f', v: '\v' };

export function parseDotenv(content: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const text = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let i = 0;
  while (i < text.length) {
    const lineEnd = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    const line = text.slice(i, lineEnd);
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      i = lineEnd + 1;
      continue;
    }
    const m = /^\s*(?:export\s+)?([A-Za-z0-9_.\-[\]]+)\s*(?:([=:])\s*)?/.exec(line);
    if (!m) throw new Error(`invalid env_file line: ${line}`);
    const key = m[1]!;
    if (!m[2]) {
      out[key] = null;
      i = lineEnd + 1;
      continue;
    }
    const start = i + m[0].length;
    const quote = text[start];
    if (quote === '"' || quote === "'") {
      let j = start + 1;
      let value = '';
      while (j < text.length && text[j] !== quote) {
        if (quote === '"' && text[j] === '\\' && j + 1 < text.length) {
          value += ESCAPES[text[j + 1]!] ?? `\\${text[j + 1]}`;
          j += 2;
        } else if (quote === "'" && text[j] === '\\' && text[j + 1] === "'") {
          value += "'";
          j += 2;
        } else value += text[j++];
      }
      if (j >= text.length) throw new Error(`unterminated quote in env_file value of ${key}`);
      out[key] = value;
      const next = text.indexOf('\n', j);
      i = next < 0 ? text.length : next + 1;
    } else {
      const raw = text.slice(start, lineEnd);
      const hash = raw.search(/\s#/);
      out[key] = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
      i = lineEnd + 1;
    }
  }
  return out;
}
