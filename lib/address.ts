// IP literals <-> the 32-byte scratch layout the addon reads and writes:
// [0] family 4|6, [2..3] port (LE), [4..7] scope id (LE), [8..23] address bytes.
// Only literals: this library never resolves names.
import net from 'node:net';

export interface Address { address: string; family: 'IPv4' | 'IPv6'; port: number }

export function familyOf(host: string): 0 | 4 | 6 {
  return net.isIP(host) as 0 | 4 | 6;
}

function parseV4(s: string, out: Uint8Array, at: number): void {
  const parts = s.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

function parseV6(s: string, out: Uint8Array, at: number): void {
  let tail = s;
  const words: number[] = [];
  const v4 = tail.includes('.') ? tail.slice(tail.lastIndexOf(':') + 1) : '';
  if (v4) tail = tail.slice(0, tail.length - v4.length) + '0:0';
  const [head, rest] = tail.includes('::') ? tail.split('::') : [tail, undefined];
  const a = head ? head.split(':') : [];
  const b = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? 0 : 8 - a.length - b.length;
  for (const w of a) words.push(parseInt(w, 16));
  for (let i = 0; i < fill; i++) words.push(0);
  for (const w of b) words.push(parseInt(w, 16));
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = words[i] >> 8;
    out[at + 2 * i + 1] = words[i] & 0xff;
  }
  if (v4) parseV4(v4, out, at + 12);
}

export function writeAddress(scratch: Uint8Array, host: string, port: number): 4 | 6 {
  let literal = host;
  let scope = 0;
  const pct = host.indexOf('%');
  if (pct >= 0) {
    literal = host.slice(0, pct);
    scope = Number(host.slice(pct + 1)) >>> 0;
  }
  const family = familyOf(literal) as 4 | 6;
  scratch.fill(0);
  scratch[0] = family;
  scratch[2] = port & 0xff;
  scratch[3] = port >> 8;
  scratch[4] = scope & 0xff;
  scratch[5] = (scope >> 8) & 0xff;
  scratch[6] = (scope >> 16) & 0xff;
  scratch[7] = scope >>> 24;
  if (family === 4) parseV4(literal, scratch, 8);
  else parseV6(literal, scratch, 8);
  return family;
}

function formatV6(b: Uint8Array, at: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[at + 2 * i] << 8) | b[at + 2 * i + 1]);
  // IPv4-mapped: ::ffff:a.b.c.d, as Node prints it
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff)
    return `::ffff:${b[at + 12]}.${b[at + 13]}.${b[at + 14]}.${b[at + 15]}`;
  // RFC 5952: compress the longest run (>= 2) of zero words, the first on a tie
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = w.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function readAddress(scratch: Uint8Array): Address {
  const port = scratch[2] | (scratch[3] << 8);
  if (scratch[0] === 6) return { address: formatV6(scratch, 8), family: 'IPv6', port };
  return { address: `${scratch[8]}.${scratch[9]}.${scratch[10]}.${scratch[11]}`, family: 'IPv4', port };
}
