/**
 * CIDR blocks from policy files, and the containment checks validation and the reference matchers
 * use.
 *
 * Address families never mix: an IPv4 CIDR contains only IPv4 addresses and an IPv6 CIDR only IPv6
 * ones. Requests unmap IPv4-mapped IPv6 before matching (`ip.ts`), so the rule side does the same
 * here, and only for prefixes that lie entirely inside `::ffff:0:0/96`. A shorter IPv6 prefix such
 * as `::/0` stays IPv6 and does not match IPv4 destinations: Smokescreen PR #289 shows how
 * collapsing the families turns `::ffff:0:0/96` into a silent `0.0.0.0/0`, and we would rather have
 * every rule cover exactly the family it is written in.
 */
import { ipv4FromNumber, ipv6FromWords, isIpv4MappedWords, parseIpLiteral, parseIpv6Words } from './ip';
import type { Cidr, IpAddress } from './values';

export type ParseCidrResult = { ok: true; cidr: Cidr } | { ok: false; message: string; fix?: string };

const MAPPED_PREFIX = 96;

/** `a.b.c.d/n` or `v6/n`; a bare address is a /32 or /128. Host bits must be zero. */
export function parseCidr(text: string): ParseCidrResult {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const isV6 = addressText.indexOf(':') >= 0;
  const maxPrefix = isV6 ? 128 : 32;

  let prefixLength = maxPrefix;
  if (slash >= 0) {
    const parsed = parsePrefix(text.slice(slash + 1), maxPrefix);
    if (typeof parsed === 'string') return { ok: false, message: `${show(text)}: ${parsed}` };
    prefixLength = parsed;
  }

  let address: IpAddress;
  if (isV6) {
    const words = parseIpv6Words(addressText);
    if (words === undefined) {
      return { ok: false, message: `${show(text)}: ${show(addressText)} is not an IPv6 address` };
    }
    if (isIpv4MappedWords(words) && prefixLength >= MAPPED_PREFIX) {
      address = ipv4FromNumber(words[3]);
      prefixLength -= MAPPED_PREFIX;
    } else {
      address = ipv6FromWords(words);
    }
  } else {
    const parsed = parseIpLiteral(addressText);
    if (parsed === undefined) {
      return {
        ok: false,
        message: `${show(text)}: ${show(addressText)} is not an IPv4 address in dotted-quad form (a.b.c.d, each 0-255, no leading zeros)`,
      };
    }
    address = parsed;
  }

  const network = networkOf(address, prefixLength);
  const cidr = { address: network, prefixLength, text: `${network.text}/${prefixLength}` };
  if (!sameAddress(network, address)) {
    return {
      ok: false,
      message: `${show(text)} has host bits set after the /${prefixLength} prefix`,
      fix: `use ${cidr.text}`,
    };
  }
  return { ok: true, cidr };
}

function parsePrefix(text: string, max: number): number | string {
  if (text.length === 0) return 'the prefix length after `/` is missing';
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) {
    return `prefix length ${show(text)} must be a decimal number without leading zeros`;
  }
  const value = Number(text);
  return value > max ? `prefix length /${value} is out of range (0-${max})` : value;
}

/** The address with every bit after `prefixLength` cleared; always carries canonical text. */
function networkOf(address: IpAddress, prefixLength: number): IpAddress {
  if (address.family === 4) return ipv4FromNumber((address.value & mask32(prefixLength)) >>> 0);
  const w = address.words;
  return ipv6FromWords([
    (w[0] & mask32(prefixLength)) >>> 0,
    (w[1] & mask32(prefixLength - 32)) >>> 0,
    (w[2] & mask32(prefixLength - 64)) >>> 0,
    (w[3] & mask32(prefixLength - 96)) >>> 0,
  ]);
}

/** Mask of the top `bits` bits of a 32-bit word; `bits` below 0 or above 32 clamps. */
function mask32(bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffff;
  return (0xffffffff << (32 - bits)) >>> 0;
}

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  if (a.family === 4) return b.family === 4 && a.value === b.value;
  if (b.family === 4) return false;
  return (
    a.words[0] === b.words[0] &&
    a.words[1] === b.words[1] &&
    a.words[2] === b.words[2] &&
    a.words[3] === b.words[3]
  );
}

/** True when `ip` is inside `cidr`; an address of the other family never is. */
export function cidrContainsIp(cidr: Cidr, ip: IpAddress): boolean {
  const base = cidr.address;
  const bits = cidr.prefixLength;
  if (base.family === 4) {
    return ip.family === 4 && (ip.value & mask32(bits)) >>> 0 === base.value;
  }
  if (ip.family !== 6) return false;
  const w = ip.words;
  const b = base.words;
  return (
    (w[0] & mask32(bits)) >>> 0 === b[0] &&
    (w[1] & mask32(bits - 32)) >>> 0 === b[1] &&
    (w[2] & mask32(bits - 64)) >>> 0 === b[2] &&
    (w[3] & mask32(bits - 96)) >>> 0 === b[3]
  );
}

/** True when every address of `inner` is in `outer` (same family, `outer` no longer than `inner`). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.prefixLength <= inner.prefixLength && cidrContainsIp(outer, inner.address);
}

/** True when the two blocks share an address; CIDR blocks either nest or are disjoint. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

function show(text: string): string {
  const clipped = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(clipped);
}
