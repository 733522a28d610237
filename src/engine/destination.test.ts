import {
  canonicalizeCommonDestination,
  canonicalizeDestination,
  canonicalizeDestinationFully,
} from './destination';
import type { Destination, RawDestination } from './types';
import { createRandom, randomLabel, randomLongName, testSeed } from '../../test/support/random';

type Raw = Omit<RawDestination, 'protocol'> & { protocol?: RawDestination['protocol'] };

/** The destination flattened to what the cases compare: IPs as text, absent keys left out. */
function summary(destination: Destination): Record<string, unknown> {
  const out: Record<string, unknown> = { names: destination.names, port: destination.port };
  if ('host' in destination) out.host = destination.host;
  if ('hostEvidence' in destination) out.hostEvidence = destination.hostEvidence;
  if ('ip' in destination) out.ip = destination.ip?.text;
  if ('embeddedIpv4' in destination) out.embeddedIpv4 = destination.embeddedIpv4?.text;
  if (destination.protocol !== 'tcp') out.protocol = destination.protocol;
  return out;
}

function run(raw: Raw): ReturnType<typeof canonicalizeDestination> {
  return canonicalizeDestination({ protocol: 'tcp', ...raw });
}

const named = (host: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  host,
  hostEvidence: 'authority',
  names: [host],
  port,
  ...extra,
});
const address = (ip: string, port: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  names: [],
  ip,
  port,
  ...extra,
});

describe('canonicalizeDestination accepts', () => {
  it.each<[string, Raw, Record<string, unknown>]>([
    // names
    ['name and port', { authority: 'api.example.com:443' }, named('api.example.com', 443)],
    ['upper case, trailing dot', { authority: 'Example.COM.:443' }, named('example.com', 443)],
    ['underscore label', { authority: '_svc.example.com:8080' }, named('_svc.example.com', 8080)],
    ['port with leading zeros', { authority: 'example.com:00443' }, named('example.com', 443)],
    ['highest port', { authority: 'example.com:65535' }, named('example.com', 65535)],
    [
      'Host header',
      { authority: 'example.com', authoritySource: 'host-header', scheme: 'http' },
      named('example.com', 80, { hostEvidence: 'host-header' }),
    ],
    ['CONNECT', { authority: 'example.com:443', authoritySource: 'connect' }, named('example.com', 443)],
    // ports
    [
      'raw port when the authority has none',
      { authority: 'example.com', port: 8443 },
      named('example.com', 8443),
    ],
    [
      'authority port wins over raw port',
      { authority: 'example.com:444', port: 8443 },
      named('example.com', 444),
    ],
    ['http default', { authority: 'example.com', scheme: 'http' }, named('example.com', 80)],
    ['https default', { authority: 'example.com', scheme: 'https' }, named('example.com', 443)],
    ['ws default', { authority: 'example.com', scheme: 'ws' }, named('example.com', 80)],
    ['wss default', { authority: 'example.com', scheme: 'wss' }, named('example.com', 443)],
    ['scheme case', { authority: 'example.com', scheme: 'HTTPS' }, named('example.com', 443)],
    // IPv4 spellings
    ['dotted quad', { authority: '127.0.0.1:80' }, address('127.0.0.1', 80)],
    ['two parts', { authority: '127.1:80' }, address('127.0.0.1', 80)],
    ['three parts', { authority: '127.0.1:80' }, address('127.0.0.1', 80)],
    ['hex part', { authority: '0x7f.1:80' }, address('127.0.0.1', 80)],
    ['one hex number', { authority: '0x7f000001:80' }, address('127.0.0.1', 80)],
    ['one decimal number', { authority: '2130706433:80' }, address('127.0.0.1', 80)],
    ['octal part', { authority: '0177.0.0.1:80' }, address('127.0.0.1', 80)],
    ['metadata in decimal', { authority: '2852039166', scheme: 'http' }, address('169.254.169.254', 80)],
    // IPv6
    ['IPv6', { authority: '[2001:db8::1]:443' }, address('2001:db8::1', 443)],
    ['IPv6 without port', { authority: '[2001:DB8:0:0::1]', scheme: 'https' }, address('2001:db8::1', 443)],
    ['IPv6 with zone', { authority: '[fe80::1%eth0]:80' }, address('fe80::1', 80)],
    ['IPv6 with RFC 6874 zone', { authority: '[fe80::1%25eth0]:80' }, address('fe80::1', 80)],
    ['IPv4-mapped', { authority: '[::ffff:127.0.0.1]:443' }, address('127.0.0.1', 443)],
    ['IPv4-mapped hex', { authority: '[::ffff:a9fe:a9fe]:80' }, address('169.254.169.254', 80)],
    [
      'NAT64',
      { authority: '[64:ff9b::a9fe:a9fe]:80' },
      address('64:ff9b::a9fe:a9fe', 80, { embeddedIpv4: '169.254.169.254' }),
    ],
    [
      'NAT64 local-use',
      { authority: '[64:ff9b:1::a00:1]:80' },
      address('64:ff9b:1::a00:1', 80, { embeddedIpv4: '10.0.0.1' }),
    ],
    [
      '6to4',
      { authority: '[2002:7f00:1::]:80' },
      address('2002:7f00:1::', 80, { embeddedIpv4: '127.0.0.1' }),
    ],
    [
      'Teredo',
      { authority: '[2001:0:4136:e378:8000:63bf:80ff:fffe]:80' },
      address('2001:0:4136:e378:8000:63bf:80ff:fffe', 80, { embeddedIpv4: '127.0.0.1' }),
    ],
    [
      'IPv4-compatible',
      { authority: '[::10.0.0.1]:80' },
      address('::a00:1', 80, { embeddedIpv4: '10.0.0.1' }),
    ],
    ['plain IPv6 has no embedding', { authority: '[2606:4700::1111]:443' }, address('2606:4700::1111', 443)],
    // URL
    ['absolute URL', { url: 'http://Example.com/path?q=1' }, named('example.com', 80)],
    ['absolute URL with port', { url: 'https://example.com:8443/' }, named('example.com', 8443)],
    ['absolute URL without path', { url: 'https://example.com' }, named('example.com', 443)],
    ['absolute URL with query only', { url: 'http://example.com?x=@evil.com' }, named('example.com', 80)],
    ['absolute URL with fragment', { url: 'http://example.com#@evil.com' }, named('example.com', 80)],
    ['absolute URL IPv6', { url: 'http://[::ffff:7f00:1]:8080/' }, address('127.0.0.1', 8080)],
    ['absolute URL IPv4 shorthand', { url: 'http://127.1/' }, address('127.0.0.1', 80)],
    [
      'URL scheme wins over raw scheme',
      { url: 'https://example.com/', scheme: 'http' },
      named('example.com', 443),
    ],
    [
      'authority wins over URL',
      { authority: 'a.example.com:81', url: 'http://b.example.com/' },
      named('a.example.com', 81),
    ],
    // address and SNI
    ['L4 address only', { address: '10.0.0.1', port: 5432 }, address('10.0.0.1', 5432)],
    ['L4 address in a resolver spelling', { address: '0x0a000001', port: 5432 }, address('10.0.0.1', 5432)],
    ['L4 IPv6 address with zone', { address: 'fe80::1%eth0', port: 22 }, address('fe80::1', 22)],
    ['L4 mapped address', { address: '::ffff:10.0.0.1', port: 22 }, address('10.0.0.1', 22)],
    [
      'L4 NAT64 address',
      { address: '64:ff9b::7f00:1', port: 22 },
      address('64:ff9b::7f00:1', 22, { embeddedIpv4: '127.0.0.1' }),
    ],
    [
      'address overrides an IP authority',
      { authority: '1.1.1.1:443', address: '10.0.0.1' },
      address('10.0.0.1', 443),
    ],
    [
      'address alongside a name',
      { authority: 'example.com:443', address: '93.184.215.14' },
      named('example.com', 443, { ip: '93.184.215.14' }),
    ],
    [
      'SNI only',
      { address: '93.184.215.14', port: 443, sni: 'Example.com.' },
      { host: 'example.com', hostEvidence: 'sni', names: ['example.com'], ip: '93.184.215.14', port: 443 },
    ],
    [
      'SNI equal to authority',
      { authority: 'example.com:443', sni: 'EXAMPLE.com' },
      named('example.com', 443),
    ],
    [
      'SNI different from authority',
      { authority: 'a.example.com:443', sni: 'b.example.com' },
      named('a.example.com', 443, { names: ['a.example.com', 'b.example.com'] }),
    ],
    [
      'SNI with IP authority',
      { authority: '10.0.0.1:443', sni: 'example.com' },
      { host: 'example.com', hostEvidence: 'sni', names: ['example.com'], ip: '10.0.0.1', port: 443 },
    ],
    [
      'SNI that is an IP is ignored',
      { authority: 'example.com:443', sni: '10.0.0.1' },
      named('example.com', 443),
    ],
    [
      'SNI in a resolver spelling is ignored',
      { address: '10.0.0.1', port: 443, sni: '127.1' },
      address('10.0.0.1', 443),
    ],
    ['invalid SNI is ignored', { address: '10.0.0.1', port: 443, sni: 'bad name' }, address('10.0.0.1', 443)],
    ['empty SNI is ignored', { address: '10.0.0.1', port: 443, sni: '' }, address('10.0.0.1', 443)],
    [
      'UDP',
      { address: '10.0.0.53', port: 53, protocol: 'udp' },
      address('10.0.0.53', 53, { protocol: 'udp' }),
    ],
  ])('%s', (_name, raw, expected) => {
    const result = run(raw);
    expect(result.ok && summary(result.destination)).toEqual(expected);
  });

  it.each<[string, Raw, string[]]>([
    ['a name', { authority: 'example.com:443' }, ['names', 'port', 'protocol', 'host', 'hostEvidence']],
    ['an address', { authority: '10.0.0.1:443' }, ['names', 'port', 'protocol', 'ip']],
    [
      'a name and an address',
      { authority: 'example.com:443', address: '10.0.0.1' },
      ['names', 'port', 'protocol', 'host', 'hostEvidence', 'ip'],
    ],
    [
      'an embedding address',
      { authority: '[64:ff9b::a00:1]:443', sni: 'example.com' },
      ['names', 'port', 'protocol', 'host', 'hostEvidence', 'ip', 'embeddedIpv4'],
    ],
  ])('keeps one key order for %s (serialised decisions show it)', (_name, raw, keys) => {
    const result = run(raw);
    expect(result.ok && Object.keys(result.destination)).toEqual(keys);
  });

  it('omits absent keys rather than setting them to undefined', () => {
    const result = run({ address: '10.0.0.1', port: 443 });
    expect(result.ok && Object.keys(result.destination).sort()).toEqual(['ip', 'names', 'port', 'protocol']);
  });
});

describe('canonicalizeDestination rejects', () => {
  it.each<[string, Raw, string]>([
    // userinfo
    ['userinfo', { authority: 'a@example.com:443' }, 'userinfo'],
    ['userinfo with password', { authority: 'user:pw@example.com:443' }, 'userinfo'],
    ['userinfo in a URL', { url: 'http://allowed.com@evil.com/' }, 'userinfo'],
    ['backslash trick in a URL', { url: 'http://evil.com\\@allowed.com/' }, 'userinfo'],
    // host
    ['empty authority', { authority: '', scheme: 'http' }, 'host is empty'],
    ['empty host with port', { authority: ':443' }, 'host is empty'],
    ['empty brackets', { authority: '[]:443' }, 'host is empty'],
    ['URL with empty host', { url: 'http:///path' }, 'host is empty'],
    [
      'name over 253 characters',
      { authority: `${'a'.repeat(60)}.`.repeat(5) + 'com:443' },
      'longer than 253',
    ],
    ['huge authority', { authority: 'a'.repeat(100000) }, 'longer than 1024'],
    ['empty label', { authority: 'a..example.com:443' }, 'empty label'],
    ['label with leading hyphen', { authority: '-a.example.com:443' }, 'starts or ends with `-`'],
    ['numeric name with trailing dot', { authority: '127.0.0.1.:80' }, 'numeric label'],
    ['overflowing IPv4 falls to the name rules', { authority: '256.0.0.1:80' }, 'numeric label'],
    ['invalid octal IPv4', { authority: '08.0.0.1:80' }, 'numeric label'],
    ['percent-encoding', { authority: 'exa%6dple.com:443' }, 'percent-encoding'],
    ['percent-encoded IP', { authority: '%31%32%37.0.0.1:80' }, 'percent-encoding'],
    ['wildcard', { authority: '*.example.com:443' }, '"*"'],
    ['slash', { authority: 'example.com/x:443' }, '"/"'],
    ['invisible character', { authority: 'exa\u00admple.com:443' }, 'is not ASCII'],
    [
      'IDN authority (Envoy would resolve the raw bytes)',
      { authority: 'bücher.example:443' },
      'IDNA A-label',
    ],
    [
      'IDN SNI',
      { address: '10.0.0.1', port: 443, sni: 'bücher.example' },
      'SNI "bücher.example" is not ASCII',
    ],
    // whitespace and controls
    ['leading space', { authority: ' example.com:443' }, 'whitespace'],
    ['space before port', { authority: 'example.com: 443' }, 'whitespace'],
    ['tab', { authority: 'example.com\t:443' }, 'whitespace'],
    ['NUL', { authority: 'example.com\0.evil.com:443' }, 'control character'],
    ['CRLF', { authority: 'example.com\r\nX: y' }, 'control character'],
    ['no-break space', { authority: 'example.com\u00a0:443' }, 'whitespace or a control character'],
    ['line separator', { authority: 'example.com\u2028' }, 'whitespace or a control character'],
    ['space in URL path', { url: 'http://example.com/a b' }, 'whitespace'],
    // ports
    ['port 0', { authority: 'example.com:0' }, 'port "0"'],
    ['port too large', { authority: 'example.com:65536' }, 'port "65536"'],
    ['port with six digits', { authority: 'example.com:000443' }, 'port "000443"'],
    ['port with sign', { authority: 'example.com:+80' }, 'port "+80"'],
    ['port with letters', { authority: 'example.com:80abc' }, 'port "80abc"'],
    ['hex port', { authority: 'example.com:0x50' }, 'port "0x50"'],
    ['empty port', { authority: 'example.com:' }, 'port ""'],
    ['empty port after IPv6', { authority: '[::1]:' }, 'port ""'],
    ['full-width port digits', { authority: 'example.com:８０' }, 'is not ASCII'],
    ['no port at all', { authority: 'example.com' }, 'no port given'],
    [
      'unknown scheme without port',
      { authority: 'example.com', scheme: 'ftp' },
      'scheme "ftp" has no default',
    ],
    ['prototype key as scheme', { authority: 'example.com', scheme: 'constructor' }, 'has no default'],
    ['raw port out of range', { authority: 'example.com', port: 70000 }, 'port 70000 is out of range'],
    ['raw port zero', { address: '10.0.0.1', port: 0 }, 'port 0 is out of range'],
    ['raw port not an integer', { address: '10.0.0.1', port: 80.5 }, 'port 80.5 is out of range'],
    // brackets and colons
    ['unclosed bracket', { authority: '[::1:443' }, 'unclosed'],
    ['closing bracket only', { authority: '::1]:443' }, 'unbalanced'],
    ['bracket in the middle', { authority: 'a[b]c:443' }, 'unbalanced'],
    ['second bracket pair', { authority: '[::1]:[443]' }, 'unbalanced'],
    ['nested bracket', { authority: '[[::1]]:443' }, 'unbalanced'],
    ['text after bracket', { authority: '[::1]x' }, 'not a port'],
    ['bracketed IPv4', { authority: '[127.0.0.1]:80' }, 'is not an IPv6 address'],
    ['bracketed name', { authority: '[example.com]:80' }, 'is not an IPv6 address'],
    ['bracketed bad IPv6', { authority: '[1::2::3]:80' }, 'is not an IPv6 address'],
    ['bracketed IPv6 with empty zone', { authority: '[fe80::1%]:80' }, 'is not an IPv6 address'],
    ['unbracketed IPv6', { authority: '::1' }, 'more than one `:`'],
    ['unbracketed IPv6 with port', { authority: '2001:db8::1:443' }, 'more than one `:`'],
    ['two ports', { authority: 'example.com:80:443' }, 'more than one `:`'],
    // URL and address
    ['relative URL', { url: '/path' }, 'not an absolute URL'],
    ['URL without //', { url: 'http:example.com' }, 'not an absolute URL'],
    ['URL scheme starting with a digit', { url: '1http://example.com/' }, 'not an absolute URL'],
    [
      'invalid address',
      { address: 'example.com', port: 443 },
      'connection address "example.com" is not an IP address',
    ],
    ['empty address', { address: '', port: 443 }, 'is not an IP address'],
    ['bracketed address', { address: '[::1]', port: 443 }, 'is not an IP address'],
    ['address with trailing dot', { address: '10.0.0.1.', port: 443 }, 'is not an IP address'],
  ])('%s', (_name, raw, message) => {
    const result = run(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('canonicalizeDestination: the one-pass reading of common authorities', () => {
  it.each<[string, string]>([
    ['name and port', 'db.svc3.team2.example:443'],
    ['name without port', 'api.example.com'],
    ['underscore and hyphen', '_svc.my-host.example:8080'],
    ['digit-leading name', '1password.com:443'],
    ['dotted quad and port', '10.1.2.9:8050'],
    ['dotted quad without port', '10.1.2.9'],
    ['port with leading zeros', 'example.com:00443'],
  ])('takes %s: %s', (_name, authority) => {
    const raw: RawDestination = { authority, port: 80, protocol: 'tcp' };
    const common = canonicalizeCommonDestination(raw);
    expect(common).toBeDefined();
    expect(common).toStrictEqual(canonicalizeDestinationFully(raw));
  });

  it.each<[string, string]>([
    ['upper case', 'Example.com:443'],
    ['trailing dot', 'example.com.:443'],
    ['A-label', 'xn--bcher-kva.example:443'],
    ['IDN', 'bücher.example:443'],
    ['inet_aton spelling', '0x7f.1:80'],
    ['three-part address', '127.0.1:80'],
    ['numeric last label', 'host.123:80'],
    ['port 0', 'example.com:0'],
    ['port 65536', 'example.com:65536'],
    ['six-digit port', 'example.com:000443'],
    ['empty port', 'example.com:'],
    ['empty host', ':443'],
    ['IPv6', '[::1]:443'],
    ['two colons', 'a:1:443'],
    ['userinfo', 'a@example.com:443'],
  ])('leaves %s to the full parser: %s', (_name, authority) => {
    expect(canonicalizeCommonDestination({ authority, protocol: 'tcp' })).toBeUndefined();
  });

  it('leaves requests without an authority to the full parser', () => {
    expect(
      canonicalizeCommonDestination({ address: '10.0.0.1', port: 443, protocol: 'tcp' }),
    ).toBeUndefined();
    expect(canonicalizeCommonDestination({ url: 'http://example.com/', protocol: 'tcp' })).toBeUndefined();
  });

  describe('agrees with the full parser on random authorities', () => {
    const seed = testSeed();
    const random = createRandom(seed);
    const replay = `seed ${seed} (replay: TEST_SEED=${seed} npx jest src/engine/destination)`;

    const odd = ['-', '_', '.', 'A', 'Z', ':', '%', '@', '[', ']', 'ü', ' ', '\t', '*', '/'];
    const labelOf = (length: number): string => randomLabel(random, length);
    /** A label with one character replaced, inserted or put at an edge. */
    const nearMiss = (label: string): string => {
      const at = random.int(label.length + 1);
      const c = random.pick(odd);
      return random.int(2) === 0
        ? `${label.slice(0, at)}${c}${label.slice(at)}`
        : `${label.slice(0, at)}${c}${label.slice(at + 1)}`;
    };
    // Labels are drawn once and then combined: the generator's calls, not the parsers, dominate here.
    const good = Array.from({ length: 300 }, () => labelOf(1 + random.int(12)));
    const bad = good.map(nearMiss);
    const full = Array.from({ length: 20 }, () => labelOf(63));
    const special = [
      'xn--bcher-kva',
      'xn--zz',
      'abxn--cd',
      'XN--BCHER-KVA',
      '0x7f',
      '0X7F',
      '0x',
      '0x7g',
      '1',
      '255',
      '256',
      '08',
      '0177',
      '1a',
      '_',
      '-',
      'a-',
      '-a',
      'a_',
      '_a',
      'Example',
      'bücher',
    ];
    const label = (): string => {
      const roll = random.int(30);
      if (roll === 0) return random.pick(special);
      if (roll === 1) return random.pick(bad);
      if (roll === 2) return `${random.pick(full)}${random.pick(['', 'a', '-'])}`.slice(random.int(2));
      return random.pick(good);
    };
    const name = (): string => {
      const labels: string[] = [];
      const count = 1 + random.int(5);
      for (let i = 0; i < count; i++) labels.push(random.int(40) === 0 ? '' : label());
      return labels.join('.');
    };
    const longName = (): string => randomLongName(random, full);
    const ipv4Parts = [
      '0',
      '1',
      '9',
      '10',
      '127',
      '255',
      '256',
      '00',
      '01',
      '0177',
      '08',
      '0x7f',
      '0xff',
      '0x',
      '4294967295',
      '4294967296',
      '',
    ];
    const ipv4 = (): string => {
      const count = random.int(3) === 0 ? 1 + random.int(5) : 4;
      return Array.from({ length: count }, () => random.pick(ipv4Parts)).join('.');
    };
    const host = (): string => {
      const roll = random.int(20);
      const text =
        roll < 9
          ? name()
          : roll < 16
            ? ipv4()
            : roll < 18
              ? longName()
              : random.pick(['[::1]', '[64:ff9b::a00:1]', '[fe80::1%eth0]', '', '::1', 'a@b']);
      return random.int(15) === 0 ? `${text}.` : text;
    };
    const ports = [
      ':443',
      ':8050',
      ':1',
      ':65535',
      ':65536',
      ':0',
      ':00443',
      ':000443',
      ':',
      ':99999',
      ':x',
      ':+1',
      '::443',
      ':80:81',
    ];
    const authority = (): string => (random.int(6) === 0 ? host() : `${host()}${random.pick(ports)}`);

    type Mutable = { -readonly [K in keyof RawDestination]: RawDestination[K] };
    const randomRaw = (): RawDestination => {
      const raw: Mutable = { authority: authority(), protocol: random.int(8) === 0 ? 'udp' : 'tcp' };
      if (random.int(3) === 0) raw.authoritySource = random.pick(['connect', 'host-header'] as const);
      if (random.int(4) === 0) raw.scheme = random.pick(['http', 'HTTPS', 'wss', 'ftp']);
      if (random.int(4) === 0) raw.port = random.pick([8443, 0, 70000, 80.5]);
      if (random.int(8) === 0) raw.url = 'https://other.example:444/';
      if (random.int(8) === 0)
        raw.address = random.pick(['10.0.0.1', '0x0a000001', '64:ff9b::1', '::ffff:1.2.3.4', 'nope']);
      if (random.int(8) === 0)
        raw.sni = random.pick([
          'api.example.com',
          'API.example.com.',
          '10.0.0.1',
          '',
          'bad name',
          'bücher.example',
        ]);
      return raw;
    };

    /** Every key, in order, including any set to undefined (the destination must omit those). */
    const exactly = (result: unknown): string =>
      JSON.stringify(result, (_key, value: unknown) => (value === undefined ? '(undefined)' : value));

    it('on 20,000 random requests', () => {
      const disagreements: { raw: RawDestination; got: unknown; want: unknown }[] = [];
      let common = 0;
      let commonOk = 0;
      for (let n = 0; n < 20_000; n++) {
        const raw = randomRaw();
        const want = canonicalizeDestinationFully(raw);
        const got = canonicalizeDestination(raw);
        const fast = canonicalizeCommonDestination(raw);
        const wantText = exactly(want);
        if (exactly(got) !== wantText) disagreements.push({ raw, got, want });
        if (fast !== undefined) {
          common++;
          if (fast.ok) commonOk++;
          if (exactly(fast) !== wantText) disagreements.push({ raw, got: fast, want });
        }
      }
      expect([replay, disagreements.slice(0, 5)]).toEqual([replay, []]);
      expect([replay, common, commonOk]).toEqual([
        replay,
        common > 2000 && common < 16_000 ? common : 'between 2,000 and 16,000',
        commonOk > 1000 ? commonOk : 'over 1,000',
      ]);
    });
  });
});

describe('canonicalizeDestination: a decrypted Host against the connection SNI', () => {
  const decrypted = (authority: string, sni: string | undefined): Raw =>
    sni === undefined
      ? { authority, authoritySource: 'host-header', scheme: 'https' }
      : { authority, authoritySource: 'host-header', scheme: 'https', sni };

  it.each<[string, Raw, { host: string; sni: string } | undefined]>([
    ['same name', decrypted('api.example.com', 'api.example.com'), undefined],
    ['same name, different case and port', decrypted('API.example.com:443', 'api.Example.com'), undefined],
    ['SNI with a trailing dot', decrypted('api.example.com', 'api.example.com.'), undefined],
    ['no SNI (plaintext)', decrypted('api.example.com', undefined), undefined],
    ['empty SNI', decrypted('api.example.com', ''), undefined],
    [
      'another name',
      decrypted('evil.example.net', 'api.example.com'),
      { host: 'evil.example.net', sni: 'api.example.com' },
    ],
    [
      'a subdomain is another host',
      decrypted('x.api.example.com', 'api.example.com'),
      { host: 'x.api.example.com', sni: 'api.example.com' },
    ],
    [
      'an IP Host under a named SNI',
      decrypted('10.1.2.3', 'api.example.com'),
      { host: '10.1.2.3', sni: 'api.example.com' },
    ],
    [
      'an address as SNI',
      decrypted('api.example.com', '10.1.2.3'),
      { host: 'api.example.com', sni: '10.1.2.3' },
    ],
  ])('%s', (_name, raw, expected) => {
    const result = run(raw);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.hostSniMismatch).toEqual(expected);
    // The general parser agrees with the one-pass reading.
    const full = canonicalizeDestinationFully({ protocol: 'tcp', ...raw });
    expect(full.ok && full.hostSniMismatch).toEqual(expected ?? undefined);
  });

  it('does not compare a CONNECT target with an SNI (the SNI belongs to the tunnelled connection)', () => {
    const result = run({
      authority: 'api.example.com:443',
      authoritySource: 'connect',
      sni: 'other.example',
    });
    expect(result.ok && result.hostSniMismatch).toBeUndefined();
  });
});
