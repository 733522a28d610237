import { hostMatchesPattern, parseHostPattern } from '../policy/hostname';
import type { HostPattern } from '../policy/values';
import { createHostIndex } from './host-index';
import { createRandom, testSeed } from '../../test/support/random';

function pattern(text: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (!parsed.ok) throw new Error(`bad test pattern ${text}: ${parsed.message}`);
  return parsed.pattern;
}

function indexOf(...texts: string[]) {
  const builder = createHostIndex<string>();
  for (const t of texts) builder.add(pattern(t), t);
  return builder.build();
}

function matches(index: ReturnType<typeof indexOf>, host: string): string[] {
  const out: string[] = [];
  index.forEach(host, (value, p) => {
    out.push(`${value}:${p.text}`);
  });
  return out;
}

describe('createHostIndex: accept/reject tables', () => {
  const cases: [string, string[], string[]][] = [
    [
      'example.com',
      ['example.com'],
      ['api.example.com', 'example.co', 'xexample.com', 'example.com.au', 'com'],
    ],
    ['localhost', ['localhost'], ['localhost.localdomain', 'a.localhost']],
    [
      '*.example.com',
      ['api.example.com', 'a.example.com', 'x-y.example.com', '_srv.example.com'],
      [
        'example.com',
        'eu.api.example.com',
        'badexample.com',
        'api.example.co',
        'api.example.com.evil',
        '.example.com',
      ],
    ],
    [
      '**.example.com',
      ['api.example.com', 'eu.api.example.com', 'a.b.c.d.example.com'],
      ['example.com', 'badexample.com', 'api.badexample.com', 'example.com.evil', 'com', '.example.com'],
    ],
    ['*.com', ['example.com'], ['com', 'api.example.com']],
    ['**.com', ['example.com', 'api.example.com'], ['com', 'comx', 'example.org']],
    ['*.a.b.c', ['x.a.b.c'], ['a.b.c', 'y.x.a.b.c', 'x.b.c', 'x.a.b', 'xa.b.c']],
    ['**.a.b.c', ['x.a.b.c', 'y.x.a.b.c'], ['a.b.c', 'x.b.c', 'xa.b.c', 'b.c']],
  ];
  it.each(cases)('%s', (text, accept, reject) => {
    const index = indexOf(text);
    const canonical = pattern(text).text;
    for (const host of accept) {
      expect([host, index.has(host)]).toEqual([host, true]);
      expect(matches(index, host)).toEqual([`${text}:${canonical}`]);
    }
    for (const host of reject) {
      expect([host, index.has(host)]).toEqual([host, false]);
      expect(matches(index, host)).toEqual([]);
    }
  });
});

describe('createHostIndex: behaviour', () => {
  const mixed = () =>
    createHostIndex<string>()
      .add(pattern('api.example.com'), 'exact')
      .add(pattern('*.example.com'), 'single')
      .add(pattern('**.com'), 'multi-com')
      .add(pattern('**.example.com'), 'multi')
      .add(pattern('api.example.com'), 'exact2')
      .add(pattern('*.api.example.com'), 'single-api')
      .build();

  it('visits ** from the shortest suffix, then *, then exact, duplicates in insertion order', () => {
    expect(matches(mixed(), 'api.example.com')).toEqual([
      'multi-com:**.com',
      'multi:**.example.com',
      'single:*.example.com',
      'exact:api.example.com',
      'exact2:api.example.com',
    ]);
    expect(matches(mixed(), 'eu.api.example.com')).toEqual([
      'multi-com:**.com',
      'multi:**.example.com',
      'single-api:*.api.example.com',
    ]);
    expect(matches(mixed(), 'example.com')).toEqual(['multi-com:**.com']);
    expect(matches(mixed(), 'example.org')).toEqual([]);
  });

  it('stops when the visitor returns true', () => {
    const seen: string[] = [];
    mixed().forEach('api.example.com', (v) => {
      seen.push(v);
      return v === 'single';
    });
    expect(seen).toEqual(['multi-com', 'multi', 'single']);
  });

  it('counts every pair in size and answers nothing when empty', () => {
    expect(mixed().size).toBe(6);
    const empty = createHostIndex<string>().build();
    expect(empty.size).toBe(0);
    expect(empty.has('example.com')).toBe(false);
    expect(empty.has('')).toBe(false);
  });

  it('is a snapshot: adding after build changes nothing built', () => {
    const builder = createHostIndex<string>().add(pattern('a.com'), 'a');
    const first = builder.build();
    builder.add(pattern('b.com'), 'b');
    expect(first.has('b.com')).toBe(false);
    expect(builder.build().has('b.com')).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it.each([
    ['a wildcard with an empty suffix', { kind: 'single', suffix: '', text: '*.' }],
    ['a ** with an empty suffix', { kind: 'multi', suffix: '', text: '**.' }],
  ] as const)('rejects %s', (_name, bad) => {
    expect(() => createHostIndex().add(bad, 1)).toThrow(RangeError);
  });

  it('survives hash collisions by comparing text', () => {
    // Many keys in a small table: every probe chain is long, and each hit must still be exact.
    const builder = createHostIndex<number>();
    for (let i = 0; i < 5000; i++) builder.add(pattern(`h${i}.example`), i);
    const index = builder.build();
    for (let i = 0; i < 5000; i++) {
      expect(index.has(`h${i}.example`)).toBe(true);
      expect(index.has(`h${i}.exampl`)).toBe(false);
    }
  });
});

describe('createHostIndex: differential against hostMatchesPattern', () => {
  const seed = testSeed();
  const random = createRandom(seed);
  const replay = `seed ${seed} (replay: TEST_SEED=${seed} npx jest src/compile/host-index)`;

  // An alphabet small enough that patterns and hosts share suffixes often, large enough that
  // random hosts still miss.
  const labels = [
    'a',
    'api',
    'eu',
    'x-1',
    'com',
    'example',
    '_dns',
    ...Array.from({ length: 33 }, (_, i) => `n${i}`),
  ];
  const randomName = (min: number, max: number): string =>
    Array.from({ length: min + random.int(max - min + 1) }, () => labels[random.int(labels.length)]).join(
      '.',
    );

  const patterns: { pattern: HostPattern; value: number }[] = [];
  for (let i = 0; i < 2000; i++) {
    const kind = random.int(3);
    // Few one-label suffixes: a handful of `**.com` would match nearly every random host.
    const name = random.int(40) === 0 ? randomName(1, 1) : randomName(2, 4);
    const text = kind === 0 ? name : kind === 1 ? `*.${name}` : `**.${name}`;
    const parsed = parseHostPattern(text);
    if (!parsed.ok) throw new Error(`${replay}: test generated an invalid pattern ${text}`);
    patterns.push({ pattern: parsed.pattern, value: i });
  }
  const builder = createHostIndex<number>();
  for (const { pattern: p, value } of patterns) builder.add(p, value);
  const index = builder.build();

  it('has(), forEach() and first() agree with a linear scan on 10,000 hosts', () => {
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const host =
        random.int(2) === 0
          ? randomName(1, 7)
          : `${randomName(1, 2)}.${random.pick(patterns).pattern.suffix}`;
      const want = patterns.filter((e) => hostMatchesPattern(host, e.pattern)).map((e) => e.value);
      const got: number[] = [];
      index.forEach(host, (value) => {
        got.push(value);
      });
      if (index.first(host) !== got[0]) {
        throw new Error(`${replay}: first(${host}) = ${index.first(host)}, forEach visited ${got[0]} first`);
      }
      if (index.has(host) !== want.length > 0) {
        throw new Error(`${replay}: has(${host}) = ${index.has(host)}, linear scan found ${want.length}`);
      }
      expect([replay, host, got.sort((a, b) => a - b)]).toEqual([replay, host, want.sort((a, b) => a - b)]);
      if (want.length > 0) hits++;
    }
    expect([replay, hits > 2000 && hits < 9000]).toEqual([replay, true]);
  });
});
