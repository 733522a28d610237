import { cidrContains, cidrContainsIp, cidrsOverlap, parseCidr } from './cidr';
import { ipv4FromNumber, ipv6FromWords, parseIpLiteral } from './ip';
import type { Cidr, IpAddress } from './values';
import { prng } from '../../test/support/random';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`test setup: ${text}: ${parsed.message}`);
  return parsed.cidr;
}

function ip(text: string): IpAddress {
  const parsed = parseIpLiteral(text);
  if (parsed === undefined) throw new Error(`test setup: ${text} is not an address`);
  return parsed;
}

describe('parseCidr', () => {
  it.each([
    ['IPv4 /8', '10.0.0.0/8', '10.0.0.0/8', 4],
    ['IPv4 /0', '0.0.0.0/0', '0.0.0.0/0', 4],
    ['IPv4 /32', '10.1.2.3/32', '10.1.2.3/32', 4],
    ['bare IPv4 is /32', '192.168.1.1', '192.168.1.1/32', 4],
    ['IPv6 /32', '2001:db8::/32', '2001:db8::/32', 6],
    ['IPv6 non-canonical text', '2001:0DB8:0:0::/32', '2001:db8::/32', 6],
    ['IPv6 /0', '::/0', '::/0', 6],
    ['IPv6 /128', '::1/128', '::1/128', 6],
    ['bare IPv6 is /128', 'fe80::1', 'fe80::1/128', 6],
    ['IPv6 /127 odd boundary', '2001:db8::2/127', '2001:db8::2/127', 6],
    ['mapped /96 is all of IPv4', '::ffff:0:0/96', '0.0.0.0/0', 4],
    ['mapped /104', '::ffff:10.0.0.0/104', '10.0.0.0/8', 4],
    ['mapped /128', '::ffff:127.0.0.1/128', '127.0.0.1/32', 4],
    ['bare mapped address', '::ffff:169.254.169.254', '169.254.169.254/32', 4],
    ['shorter prefix covering mapped space stays IPv6', '::fffe:0:0/95', '::fffe:0:0/95', 6],
    ['::/80 stays IPv6', '::/80', '::/80', 6],
  ])('accepts %s: %s → %s', (_name, text, expected, family) => {
    const parsed = parseCidr(text);
    expect(parsed.ok && [parsed.cidr.text, parsed.cidr.address.family]).toEqual([expected, family]);
  });

  it.each([
    ['host bits, IPv4', '10.0.0.1/8', 'has host bits set', 'use 10.0.0.0/8'],
    ['host bits, IPv4 /31', '192.168.1.3/31', 'has host bits set', 'use 192.168.1.2/31'],
    ['host bits, IPv6', '2001:db8::1/32', 'has host bits set', 'use 2001:db8::/32'],
    ['host bits, mapped', '::ffff:10.0.0.1/104', 'has host bits set', 'use 10.0.0.0/8'],
    ['host bits, ::ffff:0:0/95', '::ffff:0:0/95', 'has host bits set', 'use ::fffe:0:0/95'],
    ['prefix over 32', '10.0.0.0/33', 'out of range (0-32)', undefined],
    ['prefix over 128', '::/129', 'out of range (0-128)', undefined],
    ['mapped prefix over 128', '::ffff:0:0/129', 'out of range (0-128)', undefined],
    ['missing prefix', '10.0.0.0/', 'missing', undefined],
    ['leading zero prefix', '10.0.0.0/08', 'without leading zeros', undefined],
    ['negative prefix', '10.0.0.0/-1', 'decimal number', undefined],
    ['hex prefix', '10.0.0.0/0x8', 'decimal number', undefined],
    ['plus sign', '10.0.0.0/+8', 'decimal number', undefined],
    ['space in prefix', '10.0.0.0/ 8', 'decimal number', undefined],
    ['two slashes', '10.0.0.0/8/8', 'decimal number', undefined],
    ['huge prefix', '10.0.0.0/1000', 'decimal number', undefined],
    ['short IPv4', '10/8', 'not an IPv4 address', undefined],
    ['IPv4 leading zeros', '010.0.0.0/8', 'not an IPv4 address', undefined],
    ['inet_aton spelling', '0x0a.0.0.0/8', 'not an IPv4 address', undefined],
    ['empty address', '/8', 'not an IPv4 address', undefined],
    ['empty', '', 'not an IPv4 address', undefined],
    ['bad IPv6', '2001:db8:::/32', 'not an IPv6 address', undefined],
    ['zone', 'fe80::%eth0/64', 'not an IPv6 address', undefined],
    ['brackets', '[::1]/128', 'not an IPv6 address', undefined],
    ['host name', 'example.com/24', 'not an IPv4 address', undefined],
  ])('rejects %s: %j', (_name, text, message, fix) => {
    const parsed = parseCidr(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain(message);
    expect(parsed.fix).toBe(fix);
  });
});

describe('cidrContainsIp', () => {
  it.each([
    ['inside /8', '10.0.0.0/8', '10.255.1.2', true],
    ['outside /8', '10.0.0.0/8', '11.0.0.0', false],
    ['/0 holds every IPv4', '0.0.0.0/0', '255.255.255.255', true],
    ['/32 exact', '10.1.2.3/32', '10.1.2.3', true],
    ['/32 neighbour', '10.1.2.3/32', '10.1.2.4', false],
    ['high bit set', '128.0.0.0/1', '200.0.0.1', true],
    ['IPv6 inside', '2001:db8::/32', '2001:db8:ffff::1', true],
    ['IPv6 outside', '2001:db8::/32', '2001:db9::1', false],
    ['IPv6 /0', '::/0', '2606:4700::1111', true],
    ['IPv6 /127', '2001:db8::2/127', '2001:db8::3', true],
    ['IPv6 /127 outside', '2001:db8::2/127', '2001:db8::4', false],
    ['IPv6 boundary in second word', 'fe80::/10', 'febf::1', true],
    ['IPv6 /96 boundary', '64:ff9b::/96', '64:ff9b::1.2.3.4', true],
    ['IPv4 never in IPv6 /0', '::/0', '10.0.0.1', false],
    ['IPv6 never in IPv4 /0', '0.0.0.0/0', '::1', false],
    ['mapped rule matches unmapped address', '::ffff:10.0.0.0/104', '10.1.1.1', true],
    ['mapped address is IPv4 at parse time', '10.0.0.0/8', '::ffff:10.9.9.9', true],
  ])('%s: %s ∋ %s is %s', (_name, block, address, expected) => {
    expect(cidrContainsIp(cidr(block), ip(address))).toBe(expected);
  });
});

describe('cidrContains and cidrsOverlap', () => {
  it.each([
    ['same block', '10.0.0.0/8', '10.0.0.0/8', true, true],
    ['narrower inside', '10.0.0.0/8', '10.1.0.0/16', true, true],
    ['wider is not inside', '10.1.0.0/16', '10.0.0.0/8', false, true],
    ['disjoint', '10.0.0.0/8', '192.168.0.0/16', false, false],
    ['adjacent', '10.0.0.0/9', '10.128.0.0/9', false, false],
    ['/0 holds everything', '0.0.0.0/0', '203.0.113.7/32', true, true],
    ['IPv6 nested', '2001:db8::/32', '2001:db8:1::/48', true, true],
    ['IPv6 disjoint', '2001:db8::/32', '2001:db9::/32', false, false],
    ['families never mix', '::/0', '0.0.0.0/0', false, false],
    ['families never mix, reversed', '0.0.0.0/0', '::/0', false, false],
  ])('%s: %s ⊇ %s is %s, overlap %s', (_name, outer, inner, contains, overlap) => {
    expect(cidrContains(cidr(outer), cidr(inner))).toBe(contains);
    expect(cidrsOverlap(cidr(outer), cidr(inner))).toBe(overlap);
    expect(cidrsOverlap(cidr(inner), cidr(outer))).toBe(overlap);
  });
});

describe('randomised against a BigInt oracle', () => {
  const bitsOf = (address: IpAddress): bigint =>
    address.family === 4
      ? BigInt(address.value)
      : address.words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
  const width = (address: IpAddress): bigint => (address.family === 4 ? 32n : 128n);
  const oracleContains = (block: Cidr, address: IpAddress): boolean => {
    if (block.address.family !== address.family) return false;
    const shift = width(address) - BigInt(block.prefixLength);
    return bitsOf(block.address) >> shift === bitsOf(address) >> shift;
  };

  it('cidrContainsIp, cidrContains and cidrsOverlap agree with shifting 32- and 128-bit integers', () => {
    const random = prng(7);
    const u32 = (): number => Math.floor(random() * 0x100000000);
    // Addresses near each other so that containment is common, not only the /0 case.
    const base4 = u32();
    const base6 = [u32(), u32(), u32(), u32()];
    const address = (): IpAddress => {
      if (random() < 0.5) return ipv4FromNumber((base4 ^ (random() < 0.5 ? u32() >>> 20 : u32())) >>> 0);
      const words = base6.map((w, i) => (i < 2 && random() < 0.8 ? w : (w ^ u32()) >>> 0));
      return ipv6FromWords(words as [number, number, number, number]);
    };
    const block = (): Cidr => {
      const a = address();
      const max = a.family === 4 ? 32 : 128;
      const prefix = Math.floor(random() * (max + 1));
      const parsed = parseCidr(`${a.text}/${prefix}`);
      if (parsed.ok) return parsed.cidr;
      if (parsed.fix === undefined) throw new Error(parsed.message);
      return cidr(parsed.fix.slice('use '.length));
    };
    for (let n = 0; n < 5000; n++) {
      const a = block();
      const b = block();
      const x = address();
      expect([a.text, x.text, cidrContainsIp(a, x)]).toEqual([a.text, x.text, oracleContains(a, x)]);
      const contains = a.prefixLength <= b.prefixLength && oracleContains(a, b.address);
      expect([a.text, b.text, cidrContains(a, b)]).toEqual([a.text, b.text, contains]);
      const overlap = contains || (b.prefixLength <= a.prefixLength && oracleContains(b, a.address));
      expect([a.text, b.text, cidrsOverlap(a, b)]).toEqual([a.text, b.text, overlap]);
    }
  });
});
