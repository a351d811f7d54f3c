// Short volume syntax `[source:]target[:options]`, ported from compose-go's format/volume.go ParseVolume.
// A `:` inside `${...}` or right after a one-letter Windows drive does not split; unknown options are
// silently ignored. The target is cleaned like Go's path.Clean (transform/volume.go does that).

import type { ServiceVolume } from '../../model/project.js';

const END = '\u0000';
const SLASH = 0x2f;
const DOT = 0x2e;
const PROPAGATIONS = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const SELINUX = new Set(['z', 'Z']);

const isLetter = (c: string): boolean => /^\p{L}$/u.test(c);

export function parseVolumeSpec(spec: string): ServiceVolume {
  const bytes = Buffer.byteLength(spec, 'utf8');
  if (bytes === 0) throw new Error('invalid empty volume spec');
  if (bytes <= 2) return { type: 'volume', target: cleanPath(spec) };

  const parsed: Fields = { source: '', target: '', readOnly: false };
  let fieldStart = 0;
  let inVariable = 0; // nesting depth of ${...}
  // One step past the end, where the END sentinel closes the last field (a NUL inside the spec does too).
  for (let at = 0; at <= spec.length; at++) {
    const char = at < spec.length ? spec[at]! : END;
    if (char === '$' && spec[at + 1] === '{') {
      inVariable++;
    } else if (char === '}' && inVariable > 0) {
      inVariable--;
    } else if ((char === ':' || char === END) && inVariable === 0 && !isWindowsDrive(spec, fieldStart, at, char)) {
      const problem = populateField(char, spec.slice(fieldStart, at), parsed);
      if (problem) throw new Error(`invalid spec: ${spec}: ${problem}`);
      fieldStart = at + 1;
    }
  }
  return toVolume(parsed);
}

interface Fields {
  source: string;
  target: string;
  readOnly: boolean;
  bind?: NonNullable<ServiceVolume['bind']>;
  volume?: { nocopy?: boolean };
}

/** A `:` right after a field made of one letter (one code point) is a drive letter's. */
function isWindowsDrive(spec: string, fieldStart: number, at: number, char: string): boolean {
  return char === ':' && at - fieldStart <= 2 && at > fieldStart && isLetter(spec.slice(fieldStart, at));
}

/** Fills the next empty field; returns an error text for the spec, if any. */
function populateField(char: string, text: string, v: Fields): string | undefined {
  if (text.length === 0) return 'empty section between colons';
  if (v.source === '' && char === END) {
    v.target = text; // anonymous volume
    return undefined;
  }
  if (v.source === '') {
    v.source = text;
    return undefined;
  }
  if (v.target === '') {
    v.target = text;
    return undefined;
  }
  if (char === ':') return 'too many colons';
  for (const option of text.split(',')) {
    if (option === 'ro') v.readOnly = true;
    else if (option === 'rw') v.readOnly = false;
    else if (option === 'nocopy') v.volume = { nocopy: true };
    else if (PROPAGATIONS.has(option)) (v.bind ??= {}).propagation = option;
    else if (SELINUX.has(option)) (v.bind ??= {}).selinux = option;
    // Anything else is ignored, as compose-go does.
  }
  return undefined;
}

function toVolume(v: Fields): ServiceVolume {
  const out: ServiceVolume = { type: 'volume', target: cleanPath(v.target) };
  if (v.source !== '') out.source = v.source;
  if (v.readOnly) out.read_only = true;
  if (isFilePath(v.source)) {
    out.type = 'bind';
    // Short-syntax binds create a missing host path, for compatibility with docker-compose v1.
    const bind = v.bind ?? {};
    bind.create_host_path = true;
    out.bind = bind;
    if (v.volume) out.volume = v.volume;
  } else {
    if (v.bind) out.bind = v.bind;
    out.volume = v.volume ?? {};
  }
  return out;
}

/** A source is a host path when it starts with `.`, `/`, `~`, `\\` (named pipe) or a drive letter. */
export function isFilePath(source: string): boolean {
  if (source === '') return false;
  if (source[0] === '.' || source[0] === '/' || source[0] === '~') return true;
  if (source.startsWith('\\\\')) return true;
  // A drive letter is one code point (one or two UTF-16 units) before the first colon.
  const colon = source.indexOf(':');
  return (colon === 1 || colon === 2) && isLetter(source.slice(0, colon));
}

/** Go's path.Clean (forward slashes only); the empty string stays empty, as transform/volume.go keeps it. */
export function cleanPath(p: string): string {
  if (p === '' || isCleanPath(p)) return p;
  const rooted = p.startsWith('/');
  const stack: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (stack.length > 0 && stack[stack.length - 1] !== '..') stack.pop();
      else if (!rooted) stack.push('..');
      continue;
    }
    stack.push(seg);
  }
  const joined = (rooted ? '/' : '') + stack.join('/');
  return joined === '' ? '.' : joined;
}

/** True when path.Clean would return `p` as it is: no empty, `.` or `..` segment and no trailing slash. */
function isCleanPath(p: string): boolean {
  if (p === '/') return true;
  let segmentStart = p.charCodeAt(0) === SLASH ? 1 : 0;
  for (let i = segmentStart; i <= p.length; i++) {
    if (i < p.length && p.charCodeAt(i) !== SLASH) continue;
    const length = i - segmentStart;
    if (length === 0) return false;
    if (p.charCodeAt(segmentStart) === DOT && (length === 1 || (length === 2 && p.charCodeAt(segmentStart + 1) === DOT))) return false;
    segmentStart = i + 1;
  }
  return true;
}

/** Renders a mount back to the short syntax, like compose-go's ServiceVolumeConfig.String(). */
export function formatVolumeSpec(v: ServiceVolume): string {
  const options = [v.read_only ? 'ro' : 'rw'];
  if (v.bind?.selinux) options.push(v.bind.selinux);
  if (v.bind?.propagation) options.push(v.bind.propagation);
  if (v.volume?.nocopy) options.push('nocopy');
  return `${v.source ?? ''}:${v.target}:${options.join(',')}`;
}
