// Go's net.ParseIP, which is what docker compose checks host IPs with: netip.ParseAddr's grammar (dotted IPv4
// without leading zeros, IPv6 with at most one `::` and an optional embedded IPv4 at the end), zones refused.
// Written out rather than taken from node:net, whose isIP differs on zones and whose module (with the streams it
// loads) costs a small `convert` about 5 ms at start-up.

export function isGoIp(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '.') return isIpv4(s);
    if (c === ':') return isIpv6(s);
    if (c === '%') return false;
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: number): number {
  if (isDigit(c)) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Four decimal fields of 0-255, each at least one digit, none with a leading zero. */
function isIpv4(s: string): boolean {
  let fields = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isDigit(c)) {
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 0x30);
      digits++;
      if (value > 255) return false;
    } else if (c === 0x2e) {
      if (digits === 0 || i === s.length - 1 || fields === 3) return false;
      fields++;
      value = 0;
      digits = 0;
    } else return false;
  }
  return fields === 3 && digits > 0;
}

/** Eight 16-bit hex fields, or fewer with exactly one `::` standing for at least one zero field; zones refused. */
function isIpv6(s: string): boolean {
  if (s.includes('%')) return false;
  let bytes = 0;
  let ellipsis = false;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = true;
    rest = rest.slice(2);
    if (rest === '') return true;
  }
  while (bytes < 16) {
    let digits = 0;
    while (digits < rest.length && hexValue(rest.charCodeAt(digits)) >= 0) {
      if (++digits > 4) return false;
    }
    if (digits === 0) return false;
    if (rest[digits] === '.') {
      // An embedded IPv4 takes the last four bytes.
      if ((!ellipsis && bytes !== 12) || bytes + 4 > 16) return false;
      if (!isIpv4(rest)) return false;
      rest = '';
      bytes += 4;
      break;
    }
    bytes += 2;
    rest = rest.slice(digits);
    if (rest === '') break;
    if (rest[0] !== ':' || rest.length === 1) return false;
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis) return false;
      ellipsis = true;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return false;
  return bytes < 16 ? ellipsis : !ellipsis;
}
