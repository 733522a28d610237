import { BlockList } from 'node:net';

import { cidrContainsIp, parseCidr } from '../policy/cidr';
import { ipv4FromNumber, ipv6FromWords, parseIpLiteral } from '../policy/ip';
import type { Cidr, IpAddress } from '../policy/values';
import { createCidrIndex } from './cidr-index';
import { createRandom, testSeed, type Random } from '../../test/support/random';

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`bad test CIDR ${text}: ${parsed.message}`);
  return parsed.cidr;
}

function ip(text: string): IpAddress {
  const parsed = parseIpLiteral(text);
  if (parsed === undefined) throw new Error(`bad test address ${text}`);
  return parsed;
}

function indexOf(...texts: string[]) {
  const builder = createCidrIndex<string>();
  for (const t of texts) builder.add(cidr(t), t);
  return builder.build();
}

function matches(index: ReturnType<typeof indexOf>, address: IpAddress): [string, number][] {
  const out: [string, number][] = [];
  index.forEach(address, (value, prefixLength) => {
    out.push([value, prefixLength]);
  });
  return out;
}

describe('createCidrIndex: accept/reject tables', () => {
  const cases: [string, string[], string[]][] = [
    ['10.0.0.0/8', ['10.0.0.0', '10.255.255.255', '10.1.2.3'], ['9.255.255.255', '11.0.0.0', '::a00:1']],
    ['0.0.0.0/0', ['0.0.0.0', '255.255.255.255', '192.0.2.1'], ['::', '::1', '2001:db8::1']],
    ['192.168.1.1/32', ['192.168.1.1'], ['192.168.1.0', '192.168.1.2', '::ffff:c0a8:102']],
    ['128.0.0.0/1', ['128.0.0.0', '255.255.255.255'], ['127.255.255.255', '0.0.0.0']],
    ['0.0.0.0/1', ['0.0.0.0', '127.255.255.255'], ['128.0.0.0']],
    ['172.16.0.0/12', ['172.16.0.0', '172.31.255.255'], ['172.15.255.255', '172.32.0.0']],
    [
      '::/0',
      ['::', '::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8::1'],
      ['0.0.0.0', '10.1.2.3'],
    ],
    ['::1/128', ['::1'], ['::', '::2', '127.0.0.1', '1::1']],
    ['::/128', ['::'], ['::1', '0.0.0.0']],
    ['8000::/1', ['8000::', 'ffff::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['::', '7fff:ffff::']],
    ['::/1', ['::1', '7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['8000::', '1.2.3.4']],
    [
      '2001:db8::/32',
      ['2001:db8::', '2001:db8:ffff:ffff::1'],
      ['2001:db9::', '2001:db7:ffff::', '32.1.13.184'],
    ],
    ['fe80::/10', ['fe80::1', 'febf:ffff::1'], ['fec0::1', 'fe7f::1']],
    ['2001:db8::/33', ['2001:db8:7fff::1'], ['2001:db8:8000::']],
    ['2001:db8::/64', ['2001:db8::ffff:ffff:ffff:ffff'], ['2001:db8:0:1::']],
    ['2001:db8::/65', ['2001:db8::7fff:ffff:ffff:ffff'], ['2001:db8::8000:0:0:0']],
    ['64:ff9b::/96', ['64:ff9b::1.2.3.4', '64:ff9b::'], ['64:ff9b:0:0:0:1::', '1.2.3.4']],
    ['2001:db8::/97', ['2001:db8::7fff:ffff'], ['2001:db8::8000:0']],
    ['2001:db8::1:0/112', ['2001:db8::1:0', '2001:db8::1:ffff'], ['2001:db8::2:0', '2001:db8::ffff']],
    ['2001:db8::/127', ['2001:db8::', '2001:db8::1'], ['2001:db8::2']],
    ['2001:db8::1/128', ['2001:db8::1'], ['2001:db8::', '2001:db8::3']],
  ];
  it.each(cases)('%s', (text, accept, reject) => {
    const index = indexOf(text);
    for (const a of accept) {
      expect([a, index.has(ip(a))]).toEqual([a, true]);
      expect(matches(index, ip(a))).toEqual([[text, cidr(text).prefixLength]]);
    }
    for (const a of reject) {
      expect([a, index.has(ip(a))]).toEqual([a, false]);
      expect(matches(index, ip(a))).toEqual([]);
    }
  });

  it.each([
    [
      'v4 /0 never matches v6',
      '0.0.0.0/0',
      ['::', '::1', '2001:db8::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ],
    ['v6 /0 never matches v4', '::/0', ['0.0.0.0', '10.0.0.1', '255.255.255.255']],
    ['v6 ::/96 never matches v4', '::/96', ['0.0.0.0', '0.0.0.1']],
  ])('%s', (_name, text, reject) => {
    const index = indexOf(text);
    for (const a of reject) expect([a, index.has(ip(a))]).toEqual([a, false]);
  });
});

describe('createCidrIndex: behaviour', () => {
  const nested = () =>
    createCidrIndex<string>()
      .add(cidr('10.1.2.0/24'), 'c')
      .add(cidr('0.0.0.0/0'), 'all')
      .add(cidr('10.1.2.3/32'), 'd')
      .add(cidr('10.0.0.0/8'), 'a')
      .add(cidr('10.1.2.0/24'), 'c2')
      .add(cidr('10.1.0.0/16'), 'b')
      .add(cidr('2001:db8::/32'), 'v6')
      .build();

  it('visits nested CIDRs shortest first, duplicates in insertion order', () => {
    const index = nested();
    expect(matches(index, ip('10.1.2.3'))).toEqual([
      ['all', 0],
      ['a', 8],
      ['b', 16],
      ['c', 24],
      ['c2', 24],
      ['d', 32],
    ]);
    expect(matches(index, ip('10.2.0.0'))).toEqual([
      ['all', 0],
      ['a', 8],
    ]);
    expect(matches(index, ip('2001:db8::5'))).toEqual([['v6', 32]]);
    expect(matches(index, ip('2001:db9::5'))).toEqual([]);
  });

  it.each([0, 1, 30, 31])('splits IPv4 siblings that first differ at bit %i', (bit) => {
    const base = 0x0a000000 >>> bit;
    const left = v4Cidr(base & ~(1 << (31 - bit)), bit + 1);
    const right = v4Cidr(base | (1 << (31 - bit)), bit + 1);
    const index = createCidrIndex<string>().add(left, 'l').add(right, 'r').build();
    expect(matches(index, left.address)).toEqual([['l', bit + 1]]);
    expect(matches(index, right.address)).toEqual([['r', bit + 1]]);
  });

  it.each([0, 31, 32, 63, 64, 95, 96, 127])('splits IPv6 siblings that first differ at bit %i', (bit) => {
    const words = [0x20010db8, 0x12345678, 0x9abcdef0, 0x0fedcba9];
    const flip = (w: number[]) =>
      w.map((x, i) => (i === bit >>> 5 ? (x ^ (1 << (31 - (bit & 31)))) >>> 0 : x));
    const left = v6Cidr(words, bit + 1);
    const right = v6Cidr(flip(words), bit + 1);
    const index = createCidrIndex<string>().add(left, 'l').add(right, 'r').build();
    expect(matches(index, left.address)).toEqual([['l', bit + 1]]);
    expect(matches(index, right.address)).toEqual([['r', bit + 1]]);
  });

  it('stops when the visitor returns true', () => {
    const seen: string[] = [];
    nested().forEach(ip('10.1.2.3'), (v) => {
      seen.push(v);
      return v === 'b';
    });
    expect(seen).toEqual(['all', 'a', 'b']);
  });

  it('counts every pair in size', () => {
    expect(nested().size).toBe(7);
    expect(createCidrIndex().build().size).toBe(0);
  });

  it('answers nothing when empty', () => {
    const index = createCidrIndex<string>().build();
    expect(index.has(ip('10.0.0.1'))).toBe(false);
    expect(index.has(ip('::1'))).toBe(false);
    expect(matches(index, ip('::'))).toEqual([]);
  });

  it('is a snapshot: adding after build changes nothing built', () => {
    const builder = createCidrIndex<string>().add(cidr('10.0.0.0/8'), 'a');
    const first = builder.build();
    builder.add(cidr('11.0.0.0/8'), 'b');
    expect(first.has(ip('11.0.0.1'))).toBe(false);
    expect(builder.build().has(ip('11.0.0.1'))).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('ignores host bits a hand-built CIDR should not have', () => {
    const loose: Cidr = { address: ip('10.1.2.3'), prefixLength: 8, text: '10.1.2.3/8' };
    const index = createCidrIndex<string>().add(loose, 'x').add(cidr('10.0.0.0/8'), 'y').build();
    expect(matches(index, ip('10.200.0.1'))).toEqual([
      ['x', 8],
      ['y', 8],
    ]);
  });

  it.each([
    ['v4 /33', { address: ip('10.0.0.0'), prefixLength: 33, text: '10.0.0.0/33' }],
    ['v4 /-1', { address: ip('10.0.0.0'), prefixLength: -1, text: '10.0.0.0/-1' }],
    ['v6 /129', { address: ip('::'), prefixLength: 129, text: '::/129' }],
    ['v6 /1.5', { address: ip('::'), prefixLength: 1.5, text: '::/1.5' }],
  ])('rejects an impossible prefix length: %s', (_name, bad) => {
    expect(() => createCidrIndex().add(bad, 1)).toThrow(RangeError);
  });
});

// --- randomised differential test against node:net BlockList and a linear scan ---

function mask(len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return 0xffffffff;
  return (0xffffffff << (32 - len)) >>> 0;
}

function v4Cidr(value: number, prefixLength: number): Cidr {
  const address = ipv4FromNumber((value & mask(prefixLength)) >>> 0);
  return { address, prefixLength, text: `${address.text}/${prefixLength}` };
}

function v6Cidr(words: readonly number[], prefixLength: number): Cidr {
  const w = words.map((x, i) => (x & mask(prefixLength - 32 * i)) >>> 0);
  const address = ipv6FromWords([w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0]);
  return { address, prefixLength, text: `${address.text}/${prefixLength}` };
}

/** An address inside `c`, host bits random. */
function inside(c: Cidr, random: Random): IpAddress {
  const len = c.prefixLength;
  if (c.address.family === 4) return ipv4FromNumber((c.address.value | (random.u32() & ~mask(len))) >>> 0);
  const w = c.address.words.map((x, i) => (x | (random.u32() & ~mask(len - 32 * i))) >>> 0);
  return ipv6FromWords([w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0]);
}

/** Random words, often close to one of a few bases so that prefixes nest and share long paths. */
function randomWords(words: number, bases: readonly number[][], random: Random): number[] {
  if (random.int(2) === 0) return Array.from({ length: words }, () => random.u32());
  const base = random.pick(bases);
  const flip = random.int(words * 32);
  return base.map((x, i) => (i === flip >>> 5 ? (x ^ (random.u32() >>> (flip & 31))) >>> 0 : x));
}

/** Mostly mid-length prefixes, some very short or full-length ones. */
function randomPrefix(bits: number, random: Random): number {
  const roll = random.int(400);
  if (roll === 0) return 1 + random.int(12);
  if (roll < 20) return bits;
  return bits === 32 ? 8 + random.int(25) : 16 + random.int(113);
}

describe('createCidrIndex: differential against BlockList and a linear scan', () => {
  const seed = testSeed();
  const random = createRandom(seed);
  const replay = `seed ${seed} (replay: TEST_SEED=${seed} npx jest src/compile/cidr-index)`;

  const bases4 = Array.from({ length: 16 }, () => [random.u32()]);
  const bases6 = Array.from({ length: 16 }, () => [random.u32(), random.u32(), random.u32(), random.u32()]);
  const entries: { cidr: Cidr; value: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const c =
      random.int(2) === 0
        ? v4Cidr(randomWords(1, bases4, random)[0] ?? 0, randomPrefix(32, random))
        : v6Cidr(randomWords(4, bases6, random), randomPrefix(128, random));
    entries.push({ cidr: c, value: i });
    if (random.int(50) === 0) entries.push({ cidr: c, value: -i });
  }
  // BlockList lets IPv4 rules match IPv4-mapped IPv6 and `::/0` match IPv4, so one list per family.
  const oracle4 = new BlockList();
  const oracle6 = new BlockList();
  const builder = createCidrIndex<number>();
  for (const { cidr: c, value } of entries) {
    builder.add(c, value);
    if (c.address.family === 4) oracle4.addSubnet(c.address.text, c.prefixLength, 'ipv4');
    else oracle6.addSubnet(c.address.text, c.prefixLength, 'ipv6');
  }
  const index = builder.build();

  const queries: IpAddress[] = [];
  for (let i = 0; i < 20_000; i++) {
    const roll = random.int(4);
    if (roll < 2) queries.push(inside(random.pick(entries).cidr, random));
    else if (roll === 2) queries.push(ipv4FromNumber(randomWords(1, bases4, random)[0] ?? 0));
    else {
      const w = randomWords(4, bases6, random);
      queries.push(ipv6FromWords([w[0] ?? 0, w[1] ?? 0, w[2] ?? 0, w[3] ?? 0]));
    }
  }

  it('has() agrees with BlockList on 20,000 addresses', () => {
    let hits = 0;
    for (const q of queries) {
      const want = q.family === 4 ? oracle4.check(q.text, 'ipv4') : oracle6.check(q.text, 'ipv6');
      const got = index.has(q);
      if (got !== want) throw new Error(`${replay}: has(${q.text}) = ${got}, BlockList says ${want}`);
      if (want) hits++;
    }
    // Both outcomes must be well represented or the comparison proves little.
    expect([replay, hits > 4000 && hits < 18_000]).toEqual([replay, true]);
  });

  it('forEach() and first() agree with a linear scan using cidrContainsIp', () => {
    for (let i = 0; i < 4000; i++) {
      const q = queries[i] as IpAddress;
      const got: string[] = [];
      let lastLength = -1;
      index.forEach(q, (value, prefixLength) => {
        if (prefixLength < lastLength) throw new Error(`${replay}: ${q.text}: prefixes out of order`);
        lastLength = prefixLength;
        got.push(`${value}@${prefixLength}`);
      });
      let firstVisited: unknown;
      index.forEach(q, (value) => {
        firstVisited = value;
        return true;
      });
      if (index.first(q) !== firstVisited) {
        throw new Error(
          `${replay}: ${q.text}: first() = ${String(index.first(q))}, forEach visited ${String(firstVisited)} first`,
        );
      }
      const want = entries
        .filter((e) => cidrContainsIp(e.cidr, q))
        .map((e) => `${e.value}@${e.cidr.prefixLength}`);
      expect([replay, q.text, got.sort()]).toEqual([replay, q.text, want.sort()]);
    }
  });
});
