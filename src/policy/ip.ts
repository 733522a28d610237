/**
 * IP address parsing and canonical text.
 *
 * Two parsers on purpose. Policy files get the strict one: a rule is written once by a person, so a
 * spelling like `0177.0.0.1` there is a mistake worth reporting. Requests get the lenient one: a
 * client's resolver (inet_aton) turns `127.1`, `0x7f000001` or `0177.0.0.1` into 127.0.0.1, so we
 * must see the same address it connects to, or a deny rule on 127.0.0.0/8 is one spelling away from
 * a bypass. Both unmap IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) so a rule on 10.0.0.0/8 also catches
 * `::ffff:10.0.0.1`.
 *
 * Hand-written rather than ipaddr.js: these run once per request, and ipaddr.js accepts a different
 * set of spellings than the resolvers we need to agree with.
 */
import type { IpAddress, Ipv4Address, Ipv6Address } from './values';

export type Ipv6Words = readonly [number, number, number, number];

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DOT = 0x2e;
const CHAR_COLON = 0x3a;
const MAX_U32 = 0xffffffff;

/** Builds an IPv4 address from its 32-bit value. Throws on a value that is not an unsigned 32-bit integer. */
export function ipv4FromNumber(n: number): Ipv4Address {
  if (!Number.isInteger(n) || n < 0 || n > MAX_U32) {
    throw new RangeError(`not an IPv4 value: ${n}`);
  }
  return ipv4(n, `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`);
}

/** The one place an IPv4 address object is built, so every one has the same hidden class. */
function ipv4(value: number, text: string): Ipv4Address {
  return { family: 4, value, text };
}

/**
 * A canonical dotted quad between `start` and `end` (four decimal parts 0-255, no leading zeros), or
 * undefined for anything else, including the other inet_aton spellings. That text is already the
 * address's canonical text, so the address keeps it (or a slice of it) rather than rebuilding it
 * from the number: four number-to-string conversions per request address showed in profiles. For
 * short-lived request text; policy addresses keep a string of their own.
 */
export function parseCanonicalIpv4(text: string, start: number, end: number): Ipv4Address | undefined {
  const value = parseDottedQuad(text, start, end);
  if (value === undefined) return undefined;
  return ipv4(value, start === 0 && end === text.length ? text : text.slice(start, end));
}

/** Builds an IPv6 address from four 32-bit words. Throws on a word that is not an unsigned 32-bit integer. */
export function ipv6FromWords(words: Ipv6Words): Ipv6Address {
  for (const w of words) {
    if (!Number.isInteger(w) || w < 0 || w > MAX_U32) {
      throw new RangeError(`not an IPv6 word: ${w}`);
    }
  }
  return { family: 6, words: [words[0], words[1], words[2], words[3]], text: ipv6Text(words) };
}

/**
 * RFC 5952 §4: lower-case hex without leading zeros, the longest run of two or more zero groups
 * compressed to `::` (the first run on a tie), a single zero group never compressed.
 */
function ipv6Text(words: Ipv6Words): string {
  const groups = [
    words[0] >>> 16,
    words[0] & 0xffff,
    words[1] >>> 16,
    words[1] & 0xffff,
    words[2] >>> 16,
    words[2] & 0xffff,
    words[3] >>> 16,
    words[3] & 0xffff,
  ];
  let bestStart = -1;
  let bestEnd = -1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > 1 && j - i > bestEnd - bestStart) {
      bestStart = i;
      bestEnd = j;
    }
    i = j;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i = bestEnd - 1;
      continue;
    }
    if (text.length > 0 && i !== bestEnd) text += ':';
    text += groups[i].toString(16);
  }
  return text;
}

/**
 * Strict parser for policy files: a canonical dotted quad (four decimal parts 0-255, no leading
 * zeros) or RFC 4291 §2.2 IPv6 text without brackets or zone. IPv4-mapped IPv6 returns the IPv4.
 */
export function parseIpLiteral(text: string): IpAddress | undefined {
  if (text.indexOf(':') < 0) {
    const v4 = parseDottedQuad(text, 0, text.length);
    return v4 === undefined ? undefined : ipv4FromNumber(v4);
  }
  const words = parseIpv6Words(text);
  return words === undefined ? undefined : fromWords(words);
}

/**
 * Lenient parser for addresses that arrive in requests: every IPv4 spelling inet_aton accepts (one
 * to four parts, each decimal, `0x` hex or `0` octal, the last part filling the remaining bytes),
 * and IPv6 text with an optional `%zone` (RFC 4007 §11), which is dropped since policy never
 * depends on it. IPv4-mapped IPv6 returns the IPv4.
 *
 * A trailing dot (`127.0.0.1.`) is not an address: inet_aton rejects it and a resolver then looks it
 * up as a name. The host-name rules reject it in turn (a numeric last label is not a name), so such
 * a destination is refused rather than read either way.
 */
export function parseRequestIp(text: string): IpAddress | undefined {
  const percent = text.indexOf('%');
  if (percent < 0) {
    if (text.indexOf(':') < 0) {
      const canonical = parseCanonicalIpv4(text, 0, text.length);
      if (canonical !== undefined) return canonical;
      const v4 = parseInetAton(text);
      return v4 === undefined ? undefined : ipv4FromNumber(v4);
    }
    const words = parseIpv6Words(text);
    return words === undefined ? undefined : fromWords(words);
  }
  if (!isZone(text, percent + 1)) return undefined;
  const words = parseIpv6Words(text.slice(0, percent));
  return words === undefined ? undefined : fromWords(words);
}

/** RFC 6874 allows only unreserved characters in a zone id; anything else is a malformed address. */
function isZone(text: string, start: number): boolean {
  if (start >= text.length) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const unreserved =
      (c >= CHAR_0 && c <= CHAR_9) ||
      ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) ||
      c === 0x2d ||
      c === CHAR_DOT ||
      c === 0x5f ||
      c === 0x7e;
    if (!unreserved) return false;
  }
  return true;
}

function fromWords(words: Ipv6Words): IpAddress {
  return isIpv4MappedWords(words) ? ipv4FromNumber(words[3]) : ipv6FromWords(words);
}

/** `::ffff:0:0/96` (RFC 4291 §2.5.5.2). */
export function isIpv4MappedWords(words: Ipv6Words): boolean {
  return words[0] === 0 && words[1] === 0 && words[2] === 0xffff;
}

/**
 * The IPv4 address an IPv6 address carries, for the deny rules and the SSRF guard: a connection to
 * one of these may be translated or tunnelled to that IPv4 address.
 *
 * - NAT64 well-known prefix `64:ff9b::/96` (RFC 6052) and local-use `64:ff9b:1::/48` (RFC 8215,
 *   read with the IPv4 in the last 32 bits, as a /96 carved from it places it)
 * - 6to4 `2002::/16`, bits 16-47 (RFC 3056)
 * - Teredo `2001::/32`, client address = last 32 bits inverted (RFC 4380 §4)
 * - IPv4-compatible `::a.b.c.d` (deprecated by RFC 4291 §2.5.5.1, still routed by some stacks);
 *   `::` and `::1` excluded
 * - IPv4-mapped `::ffff:a.b.c.d`, which the parsers already unmap; kept for addresses built by hand
 */
export function embeddedIpv4(ip: Ipv6Address): Ipv4Address | undefined {
  const [w0, w1, w2, w3] = ip.words;
  if (w0 === 0x0064ff9b) {
    if (w1 === 0 && w2 === 0) return ipv4FromNumber(w3);
    if (w1 >>> 16 === 1) return ipv4FromNumber(w3);
    return undefined;
  }
  if (w0 >>> 16 === 0x2002) return ipv4FromNumber((((w0 & 0xffff) << 16) | (w1 >>> 16)) >>> 0);
  if (w0 === 0x20010000) return ipv4FromNumber((w3 ^ MAX_U32) >>> 0);
  if (w0 === 0 && w1 === 0) {
    if (w2 === 0 && w3 > 1) return ipv4FromNumber(w3);
    if (w2 === 0xffff) return ipv4FromNumber(w3);
  }
  return undefined;
}

/** Canonical dotted quad between `start` and `end`, or undefined. */
function parseDottedQuad(text: string, start: number, end: number): number | undefined {
  let value = 0;
  let parts = 0;
  let i = start;
  while (parts < 4) {
    const partStart = i;
    let part = 0;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c < CHAR_0 || c > CHAR_9) break;
      part = part * 10 + (c - CHAR_0);
      i++;
    }
    const digits = i - partStart;
    if (digits === 0 || digits > 3 || part > 255) return undefined;
    if (digits > 1 && text.charCodeAt(partStart) === CHAR_0) return undefined;
    value = value * 256 + part;
    parts++;
    if (parts < 4) {
      if (i >= end || text.charCodeAt(i) !== CHAR_DOT) return undefined;
      i++;
    }
  }
  return i === end ? value : undefined;
}

/** inet_aton(3): numbers-and-dots notation, each part decimal, `0x` hex or `0` octal. */
function parseInetAton(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  let count = 0;
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let last = 0;
  for (;;) {
    if (i >= n) return undefined;
    let base = 10;
    let digits = 0;
    let part = 0;
    if (text.charCodeAt(i) === CHAR_0) {
      i++;
      digits = 1;
      base = 8;
      if (i < n && (text.charCodeAt(i) | 0x20) === 0x78) {
        i++;
        digits = 0;
        base = 16;
      }
    }
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      let d: number;
      if (c >= CHAR_0 && c <= CHAR_9) d = c - CHAR_0;
      else if (base === 16 && (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x57;
      else break;
      if (d >= base) return undefined;
      part = part * base + d;
      if (part > MAX_U32) return undefined;
      digits++;
    }
    if (digits === 0) return undefined;
    if (count === 0) p0 = part;
    else if (count === 1) p1 = part;
    else if (count === 2) p2 = part;
    last = part;
    count++;
    if (i === n) break;
    if (count === 4 || text.charCodeAt(i) !== CHAR_DOT) return undefined;
    i++;
  }
  switch (count) {
    case 1:
      return last;
    case 2:
      return p0 > 0xff || last > 0xffffff ? undefined : p0 * 0x1000000 + last;
    case 3:
      return p0 > 0xff || p1 > 0xff || last > 0xffff ? undefined : p0 * 0x1000000 + p1 * 0x10000 + last;
    default:
      return p0 > 0xff || p1 > 0xff || p2 > 0xff || last > 0xff
        ? undefined
        : p0 * 0x1000000 + p1 * 0x10000 + p2 * 0x100 + last;
  }
}

/**
 * RFC 4291 §2.2 text: eight groups of one to four hex digits, at most one `::` standing for one or
 * more zero groups, optionally ending in a dotted quad for the low 32 bits. No brackets, no zone.
 */
export function parseIpv6Words(text: string): Ipv6Words | undefined {
  const n = text.length;
  if (n < 2) return undefined;
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let count = 0;
  let gap = -1;
  let i = 0;
  if (text.charCodeAt(0) === CHAR_COLON) {
    if (text.charCodeAt(1) !== CHAR_COLON) return undefined;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    if (count === 8) return undefined;
    const groupStart = i;
    let group = 0;
    for (; i < n && i - groupStart < 5; i++) {
      const c = text.charCodeAt(i);
      let d: number;
      if (c >= CHAR_0 && c <= CHAR_9) d = c - CHAR_0;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x57;
      else break;
      group = group * 16 + d;
    }
    const digits = i - groupStart;
    if (i < n && text.charCodeAt(i) === CHAR_DOT) {
      if (count > 6) return undefined;
      const v4 = parseDottedQuad(text, groupStart, n);
      if (v4 === undefined) return undefined;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    if (digits === 0 || digits > 4) return undefined;
    groups[count++] = group;
    if (i === n) break;
    if (text.charCodeAt(i) !== CHAR_COLON) return undefined;
    i++;
    if (i < n && text.charCodeAt(i) === CHAR_COLON) {
      if (gap >= 0) return undefined;
      gap = count;
      i++;
    } else if (i === n) {
      return undefined;
    }
  }
  if (gap < 0) {
    if (count !== 8) return undefined;
  } else {
    if (count > 7) return undefined;
    const zeros = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + zeros] = groups[k];
    for (let k = gap; k < gap + zeros; k++) groups[k] = 0;
  }
  return [
    groups[0] * 0x10000 + groups[1],
    groups[2] * 0x10000 + groups[3],
    groups[4] * 0x10000 + groups[5],
    groups[6] * 0x10000 + groups[7],
  ];
}
