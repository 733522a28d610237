import {
  embeddedIpv4,
  ipv4FromNumber,
  ipv6FromWords,
  parseCanonicalIpv4,
  parseIpLiteral,
  parseIpv6Words,
  parseRequestIp,
} from './ip';
import type { IpAddress, Ipv6Address } from './values';
import { prng } from '../../test/support/random';

function describeIp(ip: IpAddress | undefined): string | undefined {
  return ip === undefined ? undefined : `v${ip.family} ${ip.text}`;
}

function v6(text: string): Ipv6Address {
  const ip = parseIpLiteral(text);
  if (ip === undefined || ip.family !== 6) throw new Error(`test setup: ${text} is not IPv6`);
  return ip;
}

describe('parseIpLiteral (policy files)', () => {
  it.each([
    ['dotted quad', '10.1.2.3', 'v4 10.1.2.3'],
    ['zero', '0.0.0.0', 'v4 0.0.0.0'],
    ['broadcast', '255.255.255.255', 'v4 255.255.255.255'],
    ['IPv6 compressed', '2001:db8::1', 'v6 2001:db8::1'],
    ['IPv6 full, upper case', '2001:0DB8:0000:0000:0000:0000:0000:0001', 'v6 2001:db8::1'],
    ['IPv6 unspecified', '::', 'v6 ::'],
    ['IPv6 loopback', '::1', 'v6 ::1'],
    ['IPv6 trailing ::', 'fe80::', 'v6 fe80::'],
    ['IPv6 :: for a single group', '1:2:3:4:5:6:7::', 'v6 1:2:3:4:5:6:7:0'],
    ['IPv6 with dotted tail', '64:ff9b::192.0.2.33', 'v6 64:ff9b::c000:221'],
    ['IPv6 eight groups with dotted tail', '1:2:3:4:5:6:1.2.3.4', 'v6 1:2:3:4:5:6:102:304'],
    ['IPv4-mapped, dotted', '::ffff:1.2.3.4', 'v4 1.2.3.4'],
    ['IPv4-mapped, hex', '::ffff:102:304', 'v4 1.2.3.4'],
    ['IPv4-mapped, full form', '0:0:0:0:0:FFFF:7F00:1', 'v4 127.0.0.1'],
    ['IPv4-compatible stays IPv6', '::1.2.3.4', 'v6 ::102:304'],
  ])('accepts %s: %s', (_name, text, expected) => {
    expect(describeIp(parseIpLiteral(text))).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['leading zero', '010.0.0.1'],
    ['octet over 255', '256.0.0.1'],
    ['three parts', '127.0.1'],
    ['one part', '2130706433'],
    ['hex part', '0x7f.0.0.1'],
    ['five parts', '1.2.3.4.5'],
    ['trailing dot', '1.2.3.4.'],
    ['empty part', '1..3.4'],
    ['sign', '+1.2.3.4'],
    ['space', ' 1.2.3.4'],
    ['four-digit octet', '1.2.3.0004'],
    ['bracketed', '[::1]'],
    ['zone', 'fe80::1%eth0'],
    ['two ::', '1::2::3'],
    [':::', ':::'],
    ['leading single colon', ':1::2'],
    ['trailing single colon', '1::2:'],
    ['five hex digits', '12345::1'],
    ['nine groups', '1:2:3:4:5:6:7:8:9'],
    ['seven groups without ::', '1:2:3:4:5:6:7'],
    [':: with eight groups', '1:2:3:4::5:6:7:8'],
    ['dotted tail too late', '1:2:3:4:5:6:7:1.2.3.4'],
    ['dotted tail not last', '::1.2.3.4:5'],
    ['dotted tail with leading zero', '::ffff:1.2.3.04'],
    ['dotted tail short', '::ffff:1.2.3'],
    ['non-hex', '::g'],
    ['single colon', ':'],
    ['host name', 'example.com'],
  ])('rejects %s: %j', (_name, text) => {
    expect(parseIpLiteral(text)).toBeUndefined();
  });
});

describe('parseRequestIp (requests)', () => {
  it.each([
    ['dotted quad', '127.0.0.1', 'v4 127.0.0.1'],
    ['two parts', '127.1', 'v4 127.0.0.1'],
    ['three parts', '127.0.1', 'v4 127.0.0.1'],
    ['three parts, last fills 16 bits', '10.1.65535', 'v4 10.1.255.255'],
    ['two parts, last fills 24 bits', '10.16777215', 'v4 10.255.255.255'],
    ['hex first part', '0x7f.1', 'v4 127.0.0.1'],
    ['upper-case hex', '0X7F.0XA.0xB.0Xc', 'v4 127.10.11.12'],
    ['one hex part', '0x7f000001', 'v4 127.0.0.1'],
    ['one hex part, leading zeros', '0x000000007f000001', 'v4 127.0.0.1'],
    ['one decimal part', '2130706433', 'v4 127.0.0.1'],
    ['octal first part', '0177.0.0.1', 'v4 127.0.0.1'],
    ['octal everywhere', '0177.00.00.01', 'v4 127.0.0.1'],
    ['one octal part', '017700000001', 'v4 127.0.0.1'],
    ['mixed bases', '0xa9.0376.43518', 'v4 169.254.169.254'],
    ['decimal metadata', '2852039166', 'v4 169.254.169.254'],
    ['zero', '0', 'v4 0.0.0.0'],
    ['max', '4294967295', 'v4 255.255.255.255'],
    ['IPv6', '2001:db8::1', 'v6 2001:db8::1'],
    ['IPv6 with zone', 'fe80::1%eth0', 'v6 fe80::1'],
    ['IPv6 with numeric zone', 'fe80::1%2', 'v6 fe80::1'],
    ['IPv4-mapped', '::ffff:127.0.0.1', 'v4 127.0.0.1'],
    ['IPv4-mapped hex', '::ffff:7f00:1', 'v4 127.0.0.1'],
    ['IPv4-mapped with zone', '::ffff:7f00:1%lo', 'v4 127.0.0.1'],
  ])('accepts %s: %s', (_name, text, expected) => {
    expect(describeIp(parseRequestIp(text))).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['trailing dot (a resolver reads it as a name)', '127.0.0.1.'],
    ['trailing dot on short form', '127.1.'],
    ['leading dot', '.127.0.0.1'],
    ['empty part', '127..1'],
    ['five parts', '1.2.3.4.5'],
    ['octet overflow in a leading part', '256.1'],
    ['last part overflow, four parts', '1.2.3.256'],
    ['last part overflow, three parts', '1.2.65536'],
    ['last part overflow, two parts', '1.16777216'],
    ['one part overflow', '4294967296'],
    ['huge decimal', '99999999999999999999999'],
    ['huge hex', '0x1ffffffff'],
    ['octal digit 8', '08.0.0.1'],
    ['octal digit 9 in last part', '1.2.3.09'],
    ['0x without digits', '0x'],
    ['0x without digits before dot', '0x.1'],
    ['hex letter without 0x', '7f.1'],
    ['sign', '+127.1'],
    ['minus', '-1'],
    ['leading space', ' 127.0.0.1'],
    ['trailing space (inet_aton would stop there)', '127.0.0.1 x'],
    ['trailing newline', '127.0.0.1\n'],
    ['letters after a number', '127.0.0.1abc'],
    ['full-width digits', '１２７.0.0.1'],
    ['empty zone', 'fe80::1%'],
    ['zone with space', 'fe80::1%eth 0'],
    ['zone with slash', 'fe80::1%a/b'],
    ['zone on IPv4', '127.0.0.1%eth0'],
    ['bracketed IPv6', '[::1]'],
    ['bad IPv6', '1::2::3'],
    ['host name', 'localhost'],
  ])('rejects %s: %j', (_name, text) => {
    expect(parseRequestIp(text)).toBeUndefined();
  });

  it('agrees with the WHATWG URL IPv4 parser on random numeric spellings', () => {
    const random = prng(0x1f2e3d4c);
    const alphabet = '0123456789xXaAfF..';
    let compared = 0;
    for (let n = 0; n < 20000; n++) {
      const length = 1 + Math.floor(random() * 14);
      let text = '';
      for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
      // WHATWG differs from inet_aton in exactly these: it drops a trailing dot and reads a bare `0x` as 0.
      if (text.endsWith('.') || text.split('.').some((part) => /^0x$/i.test(part))) continue;
      let whatwg: string | undefined;
      try {
        const host = new URL(`http://${text}/`).hostname;
        whatwg = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : undefined;
      } catch {
        whatwg = undefined;
      }
      const ours = parseRequestIp(text);
      expect([text, ours?.text]).toEqual([text, whatwg]);
      compared++;
    }
    expect(compared).toBeGreaterThan(10000);
  });
});

describe('parseCanonicalIpv4', () => {
  it.each([
    ['dotted quad', '10.1.2.9', 'v4 10.1.2.9'],
    ['zero', '0.0.0.0', 'v4 0.0.0.0'],
    ['broadcast', '255.255.255.255', 'v4 255.255.255.255'],
    ['leading zero', '10.01.2.9', undefined],
    ['octal part', '0177.0.0.1', undefined],
    ['hex part', '0x7f.0.0.1', undefined],
    ['three parts', '127.0.1', undefined],
    ['one number', '2130706433', undefined],
    ['part over 255', '256.0.0.1', undefined],
    ['five parts', '1.2.3.4.5', undefined],
    ['trailing dot', '1.2.3.4.', undefined],
    ['empty part', '1..3.4', undefined],
    ['name', 'a.b.c.d', undefined],
  ])('%s: %s', (_name, text, expected) => {
    expect(describeIp(parseCanonicalIpv4(text, 0, text.length))).toBe(expected);
  });

  it('reads only between start and end, keeping that text', () => {
    const ip = parseCanonicalIpv4('[10.1.2.9]:8050', 1, 9);
    expect(ip).toStrictEqual(ipv4FromNumber(0x0a010209));
    expect(parseCanonicalIpv4('10.1.2.9:8050', 0, 13)).toBeUndefined();
  });

  it('is exactly the request spellings that are already canonical, with the same address', () => {
    const random = prng(0x5eed1234);
    const parts = ['0', '1', '9', '10', '99', '100', '199', '255', '256', '00', '01', '010', '0x1', '1000'];
    const pick = (): string => parts[Math.floor(random() * parts.length)];
    const wrong: string[] = [];
    let canonical = 0;
    for (let n = 0; n < 5000; n++) {
      const count = random() < 0.6 ? 4 : 1 + Math.floor(random() * 5);
      const text = Array.from({ length: count }, pick).join('.');
      const lenient = parseRequestIp(text);
      const expected =
        lenient?.family === 4 && lenient.text === text
          ? describeIp(ipv4FromNumber(lenient.value))
          : undefined;
      const ours = parseCanonicalIpv4(text, 0, text.length);
      if (describeIp(ours) !== expected || describeIp(parseIpLiteral(text)) !== expected) wrong.push(text);
      if (ours !== undefined) {
        canonical++;
        expect(ours).toStrictEqual(ipv4FromNumber(ours.value));
      }
    }
    expect(wrong).toEqual([]);
    expect(canonical).toBeGreaterThan(200);
  });
});

describe('parseIpv6Words', () => {
  it('keeps IPv4-mapped addresses as IPv6 words (CIDR parsing needs the family)', () => {
    expect(parseIpv6Words('::ffff:0:0')).toEqual([0, 0, 0xffff, 0]);
  });
});

describe('ipv4FromNumber', () => {
  it.each([
    [0, '0.0.0.0'],
    [0x7f000001, '127.0.0.1'],
    [0xffffffff, '255.255.255.255'],
    [0xa9fea9fe, '169.254.169.254'],
  ])('%d is %s', (n, text) => {
    expect(ipv4FromNumber(n)).toEqual({ family: 4, value: n, text });
  });

  it.each([[-1], [2 ** 32], [1.5], [Number.NaN]])('throws on %d', (n) => {
    expect(() => ipv4FromNumber(n)).toThrow(RangeError);
  });
});

describe('ipv6FromWords (RFC 5952 text)', () => {
  it.each([
    ['all zero', [0, 0, 0, 0], '::'],
    ['loopback', [0, 0, 0, 1], '::1'],
    ['documentation', [0x20010db8, 0, 0, 1], '2001:db8::1'],
    ['leading zeros dropped', [0x20010db8, 0x000a0000, 0, 0x00000001], '2001:db8:a::1'],
    ['longest run wins', [0x20010000, 0x00010000, 0, 0x00000001], '2001:0:1::1'],
    ['first run on a tie', [0x20010db8, 0, 0x00010000, 1], '2001:db8::1:0:0:1'],
    [
      'single zero group not compressed',
      [0x20010db8, 0x00000001, 0x00010001, 0x00010001],
      '2001:db8:0:1:1:1:1:1',
    ],
    ['trailing run', [0xfe800000, 0, 0, 0], 'fe80::'],
    ['no zeros', [0x00010002, 0x00030004, 0x00050006, 0x00070008], '1:2:3:4:5:6:7:8'],
    ['lower case', [0xabcdef00, 0, 0, 0xffff], 'abcd:ef00::ffff'],
    ['mapped words keep hex form', [0, 0, 0xffff, 0x01020304], '::ffff:102:304'],
  ] as const)('%s', (_name, words, text) => {
    expect(ipv6FromWords(words).text).toBe(text);
  });

  it('matches the WHATWG IPv6 serialiser (also RFC 5952) on random words', () => {
    const random = prng(42);
    const group = (): number => (random() < 0.5 ? 0 : Math.floor(random() * 0x10000));
    for (let n = 0; n < 5000; n++) {
      const words = [0, 0, 0, 0].map(() => group() * 0x10000 + group()) as [number, number, number, number];
      const text = ipv6FromWords(words).text;
      expect(new URL(`http://[${text}]/`).hostname).toBe(`[${text}]`);
      expect(parseIpv6Words(text)).toEqual(words);
    }
  });

  it.each([[[0, 0, 0, -1]], [[0, 0, 2 ** 32, 0]]] as const)('throws on %j', (words) => {
    expect(() => ipv6FromWords(words)).toThrow(RangeError);
  });
});

describe('embeddedIpv4', () => {
  it.each([
    ['NAT64 well-known prefix', '64:ff9b::a9fe:a9fe', '169.254.169.254'],
    ['NAT64 with dotted tail', '64:ff9b::127.0.0.1', '127.0.0.1'],
    ['NAT64 local-use /48', '64:ff9b:1:abcd::a00:1', '10.0.0.1'],
    ['6to4', '2002:7f00:1::1', '127.0.0.1'],
    ['6to4 metadata', '2002:a9fe:a9fe:1234::', '169.254.169.254'],
    ['Teredo client (inverted)', '2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.1'],
    ['Teredo RFC 4380 example', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '192.0.2.45'],
    ['IPv4-compatible', '::10.0.0.1', '10.0.0.1'],
    ['IPv4-compatible ::2', '::2', '0.0.0.2'],
  ])('%s: %s → %s', (_name, text, expected) => {
    expect(embeddedIpv4(v6(text))?.text).toBe(expected);
  });

  it.each([
    ['unspecified', '::'],
    ['loopback', '::1'],
    ['NAT64 outside /96', '64:ff9b:0:0:1::1'],
    ['NAT64 sibling outside local-use /48', '64:ff9b:2::1'],
    ['global unicast', '2606:4700::1111'],
    ['2001:db8 is not Teredo', '2001:db8::1'],
    ['link-local', 'fe80::1'],
    ['ULA', 'fd00::1'],
  ])('%s: %s has none', (_name, text) => {
    expect(embeddedIpv4(v6(text))).toBeUndefined();
  });

  it('reads an IPv4-mapped address built by hand', () => {
    expect(embeddedIpv4(ipv6FromWords([0, 0, 0xffff, 0x7f000001]))?.text).toBe('127.0.0.1');
  });
});
