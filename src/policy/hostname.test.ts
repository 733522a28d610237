import {
  hostMatchesPattern,
  isNormalHostname,
  normalizeHostname,
  normalizeHostnameFully,
  parseHostPattern,
  patternCovers,
} from './hostname';
import type { HostPattern } from './values';
import { createRandom, prng, randomLabel, randomLongName, testSeed } from '../../test/support/random';

function pattern(text: string): HostPattern {
  const parsed = parseHostPattern(text);
  if (!parsed.ok) throw new Error(`test setup: ${text}: ${parsed.message}`);
  return parsed.pattern;
}

const label63 = 'a'.repeat(63);
const name253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;

describe('normalizeHostname', () => {
  it.each([
    ['already normal', 'api.example.com', 'api.example.com'],
    ['upper case', 'Example.COM', 'example.com'],
    ['trailing dot', 'example.com.', 'example.com'],
    ['upper case and trailing dot', 'Example.COM.', 'example.com'],
    ['single label', 'localhost', 'localhost'],
    ['underscore', '_dmarc.example.com', '_dmarc.example.com'],
    ['hyphen inside', 'my-host.example.com', 'my-host.example.com'],
    ['digits in labels', '1password.com', '1password.com'],
    ['digit-leading last label with letters', 'host.1a', 'host.1a'],
    ['IDN', 'bücher.example', 'xn--bcher-kva.example'],
    ['IDN upper case and trailing dot', 'Bücher.Example.', 'xn--bcher-kva.example'],
    ['IDN ideographic full stop as separator (UTS #46 mapping)', 'bücher。example', 'xn--bcher-kva.example'],
    ['IDN trailing ideographic full stop', 'bücher.example。', 'xn--bcher-kva.example'],
    ['full-width letters map to ASCII', 'ｅｘａｍｐｌｅ.com', 'example.com'],
    ['valid A-label', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['upper-case A-label', 'XN--BCHER-KVA.example', 'xn--bcher-kva.example'],
    ['63-character label', `${label63}.com`, `${label63}.com`],
    ['253 characters', name253, name253],
    ['253 characters plus trailing dot', `${name253}.`, name253],
  ])('accepts %s: %s → %s', (_name, text, expected) => {
    expect(normalizeHostname(text)).toEqual({ ok: true, host: expected });
  });

  it.each([
    ['empty', '', 'empty'],
    ['only a dot', '.', 'has no labels'],
    ['two trailing dots', 'example.com..', 'empty label'],
    ['leading dot', '.example.com', 'empty label'],
    ['empty label inside', 'a..example.com', 'empty label'],
    ['64-character label', `${label63}a.com`, 'longer than 63'],
    ['254 characters', `${name253}b`, 'longer than 253'],
    ['huge input', 'a.'.repeat(5000), 'longer than 253'],
    ['leading hyphen', '-api.example.com', 'starts or ends with `-`'],
    ['trailing hyphen', 'api-.example.com', 'starts or ends with `-`'],
    ['IDN label with leading hyphen', '-bücher.example', 'starts or ends with `-`'],
    ['all-digit last label (an address)', '127.1', 'numeric label'],
    ['dotted quad', '127.0.0.1', 'numeric label'],
    ['dotted quad with trailing dot', '127.0.0.1.', 'numeric label'],
    ['single number', '2130706433', 'numeric label'],
    ['hex last label', 'foo.0x7f', 'numeric label'],
    ['full-width digits', '１２７.0.0.1', 'numeric label'],
    ['space', 'exa mple.com', 'whitespace'],
    ['tab', 'example.com\t', 'control character'],
    ['newline', 'example.com\nx', 'control character'],
    ['NUL', 'example.com\0.evil', 'control character'],
    ['DEL', 'exa\x7fmple.com', 'control character'],
    ['at sign', 'user@example.com', '"@"'],
    ['percent', 'exa%6dple.com', '"%"'],
    ['colon', 'example.com:443', '":"'],
    ['slash', 'example.com/x', '"/"'],
    ['backslash', 'evil.com\\.example.com', '"\\\\"'],
    ['asterisk', '*.example.com', '"*"'],
    ['brackets', '[::1]', '"["'],
    ['no-break space', 'example.com\u00a0', 'invisible or control'],
    ['soft hyphen (UTS #46 would drop it)', 'exa\u00admple.com', 'invisible or control'],
    ['zero-width space', 'exa\u200bmple.com', 'invisible or control'],
    ['variation selector (UTS #46 would drop it)', 'exa\ufe00mple.com', 'invisible or control'],
    ['right-to-left override', 'exa\u202emple.com', 'invisible or control'],
    ['ideographic space', 'example\u3000.com', 'invisible or control'],
    ['invalid punycode', 'xn--abc.com', 'invalid punycode'],
    ['IDNA-disallowed character', 'ex\u2488.com', 'not a valid internationalised name'],
  ])('rejects %s: %j', (_name, text, message) => {
    const result = normalizeHostname(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});

describe('isNormalHostname', () => {
  it.each([
    ['plain name', 'api.example.com'],
    ['single label', 'localhost'],
    ['underscore label', '_dmarc.example.com'],
    ['hyphen inside', 'my-host.example.com'],
    ['digit-leading labels', '1password.3com'],
    ['digit-leading last label with letters', 'host.1a'],
    ['hex-looking last label that is not a number', 'host.0x7g'],
    ['63-character label', `${label63}.com`],
    ['253 characters', name253],
    ['double hyphen that is not an A-label prefix', 'a--b.example'],
  ])('accepts %s: %s', (_name, text) => {
    expect(isNormalHostname(text, 0, text.length)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['upper case', 'Example.com'],
    ['trailing dot', 'example.com.'],
    ['leading dot', '.example.com'],
    ['empty label', 'a..example.com'],
    ['leading hyphen', '-a.example.com'],
    ['trailing hyphen', 'a-.example.com'],
    ['hyphen before a dot', 'example.a-'],
    ['64-character label', `${label63}a.com`],
    ['254 characters', `${name253}b`],
    ['A-label (needs a punycode check)', 'xn--bcher-kva.example'],
    ['A-label prefix inside a label', 'fooxn--bar.example'],
    ['dotted quad', '127.0.0.1'],
    ['numeric last label', 'host.123'],
    ['hex last label', 'host.0x7f'],
    ['bare 0x last label', 'host.0x'],
    ['non-ASCII', 'bücher.example'],
    ['colon', 'example.com:443'],
    ['percent', 'exa%6dple.com'],
  ])('leaves %s to the general path: %j', (_name, text) => {
    expect(isNormalHostname(text, 0, text.length)).toBe(false);
  });

  it('reads only between start and end', () => {
    const text = '[api.example.com:443';
    expect(isNormalHostname(text, 1, 16)).toBe(true);
    expect(isNormalHostname(text, 0, 16)).toBe(false);
    expect(isNormalHostname(text, 1, 20)).toBe(false);
    expect(isNormalHostname('api.example.com.', 0, 15)).toBe(true);
    expect(isNormalHostname('host.1a', 0, 6)).toBe(false);
  });

  describe('is exactly the names normalizeHostnameFully returns unchanged, less A-labels', () => {
    const seed = testSeed();
    const random = createRandom(seed);
    const replay = `seed ${seed} (replay: TEST_SEED=${seed} npx jest src/policy/hostname)`;
    const odd = ['-', '_', '.', 'A', 'Z', 'x', 'n', '0', ':', '%', '@', 'ü', ' ', '\t', '*'];
    const labelOf = (length: number): string =>
      randomLabel(random, length, () => (random.int(40) === 0 ? random.pick(odd) : undefined));
    // Labels are drawn once and then combined: the generator's calls, not the checks, dominate here.
    const short = Array.from({ length: 400 }, () => labelOf(1 + random.int(12)));
    const full = Array.from({ length: 20 }, () => labelOf(63));
    const special = ['xn--bcher-kva', 'xn--zz', 'abxn--cd', '0x7f', '0x', '0x7g', '1', '255', '08', '1a'];
    const randomName = (): string => {
      const labels: string[] = [];
      const count = 1 + random.int(5);
      for (let i = 0; i < count; i++) {
        const roll = random.int(20);
        if (roll === 0) labels.push(random.pick(special));
        else if (roll === 1)
          labels.push(`${random.pick(full)}${random.pick(['', 'a', '-'])}`.slice(random.int(2)));
        else labels.push(random.pick(short));
      }
      const name = labels.join('.');
      return random.int(20) === 0 ? `${name}.` : name;
    };
    const longName = (): string => randomLongName(random, full);

    it('on 20,000 random names', () => {
      let normal = 0;
      const disagreements: string[] = [];
      for (let n = 0; n < 20_000; n++) {
        const text = random.int(10) === 0 ? longName() : randomName();
        const full = normalizeHostnameFully(text);
        const unchanged = full.ok && full.host === text && !text.includes('xn--');
        if (isNormalHostname(text, 0, text.length) !== unchanged) disagreements.push(text);
        if (JSON.stringify(normalizeHostname(text)) !== JSON.stringify(full)) disagreements.push(text);
        if (unchanged) normal++;
      }
      expect([replay, disagreements]).toEqual([replay, []]);
      expect([replay, normal]).toEqual([
        replay,
        normal > 5000 && normal < 19_000 ? normal : 'between 5,000 and 19,000',
      ]);
    });
  });
});

describe('parseHostPattern', () => {
  it.each([
    ['exact', 'api.example.com', 'exact', 'api.example.com', 'api.example.com'],
    ['exact, normalised', 'API.Example.com.', 'exact', 'api.example.com', 'api.example.com'],
    ['single', '*.example.com', 'single', 'example.com', '*.example.com'],
    ['single on a TLD', '*.com', 'single', 'com', '*.com'],
    ['single, normalised', '*.Example.COM.', 'single', 'example.com', '*.example.com'],
    ['multi', '**.example.com', 'multi', 'example.com', '**.example.com'],
    ['multi IDN', '**.Bücher.example', 'multi', 'xn--bcher-kva.example', '**.xn--bcher-kva.example'],
    ['exact IDN', 'bücher.example', 'exact', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('accepts %s: %s', (_name, text, kind, suffix, canonical) => {
    expect(parseHostPattern(text)).toEqual({ ok: true, pattern: { kind, suffix, text: canonical } });
  });

  it.each([
    [
      'bare *',
      '*',
      'bare wildcard',
      'list each host name, or use `*.example.com` (one label) or `**.example.com` (any depth)',
    ],
    [
      'bare **',
      '**',
      'bare wildcard',
      'list each host name, or use `*.example.com` (one label) or `**.example.com` (any depth)',
    ],
    [
      '*. alone',
      '*.',
      'nothing after the wildcard',
      'name the domain: `*.example.com` for one level of subdomain, `**.example.com` for any depth',
    ],
    [
      '**. alone',
      '**.',
      'nothing after the wildcard',
      'name the domain: `*.example.com` for one level of subdomain, `**.example.com` for any depth',
    ],
    [
      '*.. (only a trailing dot)',
      '*..',
      'nothing after the wildcard',
      'name the domain: `*.example.com` for one level of subdomain, `**.example.com` for any depth',
    ],
    [
      'glued to the name',
      '*example.com',
      'not a whole label',
      'use *.example.com for its subdomains, or example.com for the name itself',
    ],
    [
      'wildcard in the middle',
      'api.*.example.com',
      'after the first label',
      'list each host name, or use **.example.com (any depth)',
    ],
    [
      'two wildcard labels',
      '*.*.example.com',
      'after the first label',
      'list each host name, or use **.example.com (any depth)',
    ],
    ['wildcard TLD', 'example.*', 'after the first label', 'list each host name'],
    [
      'glob inside a label',
      'a*b.com',
      'inside a label',
      'list each host name, or use *.com (one label) or **.com (any depth)',
    ],
    [
      'glob at the end of the first label',
      'api*.example.com',
      'inside a label',
      'list each host name, or use *.example.com (one label) or **.example.com (any depth)',
    ],
    ['three stars', '***.x', 'more than two', 'use **.x'],
    [
      'wildcard in a later label of a multi',
      '**.a*.example.com',
      'after the first label',
      'list each host name, or use **.example.com (any depth)',
    ],
  ])('rejects %s: %s', (_name, text, message, fix) => {
    const parsed = parseHostPattern(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.message).toContain(message);
    expect(parsed.fix).toBe(fix);
  });

  it.each([
    ['invalid exact name', 'exa mple.com', 'whitespace'],
    ['invalid suffix', '*.exa_mple-.com', 'starts or ends with `-`'],
    ['numeric suffix', '*.127.0.0.1', 'numeric label'],
    ['empty label after wildcard', '*..com', 'empty label'],
  ])('rejects %s: %j with the name problem', (_name, text, message) => {
    const parsed = parseHostPattern(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(message);
  });
});

describe('hostMatchesPattern', () => {
  it.each([
    ['exact match', 'api.example.com', 'api.example.com', true],
    ['exact, other name', 'api.example.com', 'www.example.com', false],
    ['exact, subdomain', 'example.com', 'api.example.com', false],
    ['single, one label', '*.example.com', 'api.example.com', true],
    ['single, two labels', '*.example.com', 'eu.api.example.com', false],
    ['single, apex', '*.example.com', 'example.com', false],
    ['single, lookalike suffix', '*.example.com', 'api.badexample.com', false],
    ['single, suffix glued', '*.example.com', 'apiexample.com', false],
    ['single on TLD', '*.com', 'example.com', true],
    ['single on TLD, deeper', '*.com', 'api.example.com', false],
    ['multi, one label', '**.example.com', 'api.example.com', true],
    ['multi, two labels', '**.example.com', 'eu.api.example.com', true],
    ['multi, apex', '**.example.com', 'example.com', false],
    ['multi, lookalike suffix', '**.example.com', 'api.badexample.com', false],
    ['multi, suffix as a label elsewhere', '**.example.com', 'example.com.evil.net', false],
  ])('%s: %s vs %s is %s', (_name, text, host, expected) => {
    expect(hostMatchesPattern(host, pattern(text))).toBe(expected);
  });
});

describe('patternCovers', () => {
  it.each([
    ['exact ⊆ same exact', 'a.example.com', 'a.example.com', true],
    ['exact ⊄ other exact', 'a.example.com', 'b.example.com', false],
    ['exact ⊆ single', '*.example.com', 'a.example.com', true],
    ['deeper exact ⊄ single', '*.example.com', 'a.b.example.com', false],
    ['apex exact ⊄ single', '*.example.com', 'example.com', false],
    ['deeper exact ⊆ multi', '**.example.com', 'a.b.example.com', true],
    ['apex exact ⊄ multi', '**.example.com', 'example.com', false],
    ['single ⊄ exact', 'a.example.com', '*.example.com', false],
    ['multi ⊄ exact', 'example.com', '**.example.com', false],
    ['single ⊆ same single', '*.example.com', '*.example.com', true],
    ['deeper single ⊄ single', '*.example.com', '*.api.example.com', false],
    ['shallower single ⊄ single', '*.api.example.com', '*.example.com', false],
    ['single ⊆ same multi', '**.example.com', '*.example.com', true],
    ['deeper single ⊆ multi', '**.example.com', '*.api.example.com', true],
    ['shallower single ⊄ multi', '**.api.example.com', '*.example.com', false],
    ['lookalike single ⊄ multi', '**.example.com', '*.badexample.com', false],
    ['multi ⊆ same multi', '**.example.com', '**.example.com', true],
    ['deeper multi ⊆ multi', '**.example.com', '**.api.example.com', true],
    ['shallower multi ⊄ multi', '**.api.example.com', '**.example.com', false],
    ['multi ⊄ single', '*.example.com', '**.example.com', false],
    ['deeper multi ⊄ single', '*.example.com', '**.api.example.com', false],
  ])('%s: %s ⊇ %s is %s', (_name, outer, inner, expected) => {
    expect(patternCovers(pattern(outer), pattern(inner))).toBe(expected);
  });

  /**
   * Over a small alphabet every name up to the depth below is generated, so a pattern pair either
   * has a counterexample among them or the covering really holds: soundness and completeness both.
   */
  it('agrees with hostMatchesPattern over every name in a small universe', () => {
    const labels = ['a', 'b', 'ab'];
    const names: string[] = [];
    const grow = (suffix: string, depth: number): void => {
      for (const label of labels) {
        const name = suffix === '' ? label : `${label}.${suffix}`;
        names.push(name);
        if (depth > 1) grow(name, depth - 1);
      }
    };
    grow('', 5);
    const suffixes = names.filter((name) => name.split('.').length <= 3);
    const patterns = suffixes.flatMap((s) => [pattern(s), pattern(`*.${s}`), pattern(`**.${s}`)]);
    for (const outer of patterns) {
      for (const inner of patterns) {
        const counterexample = names.find(
          (host) => hostMatchesPattern(host, inner) && !hostMatchesPattern(host, outer),
        );
        expect([outer.text, inner.text, patternCovers(outer, inner)]).toEqual([
          outer.text,
          inner.text,
          counterexample === undefined,
        ]);
      }
    }
  });

  it('never claims a cover that a random matching host refutes', () => {
    const random = prng(2024);
    const alphabet = ['a', 'b', 'api', 'eu', 'example', 'xn--bcher-kva', 'com', 'badexample', '_x'];
    const pick = (): string => alphabet[Math.floor(random() * alphabet.length)];
    const randomName = (min: number, max: number): string => {
      const depth = min + Math.floor(random() * (max - min + 1));
      return Array.from({ length: depth }, pick).join('.');
    };
    const randomPattern = (): HostPattern => {
      const roll = random();
      const prefix = roll < 0.33 ? '' : roll < 0.66 ? '*.' : '**.';
      return pattern(`${prefix}${randomName(1, 3)}`);
    };
    /** A host inner matches, built from its suffix so that matches are common. */
    const hostOf = (p: HostPattern): string => {
      if (p.kind === 'exact') return p.suffix;
      return `${randomName(1, p.kind === 'single' ? 1 : 3)}.${p.suffix}`;
    };
    let covers = 0;
    for (let n = 0; n < 20000; n++) {
      const inner = randomPattern();
      const outer =
        random() < 0.5
          ? randomPattern()
          : pattern(`**.${inner.suffix.split('.').slice(1).join('.') || 'com'}`);
      if (!patternCovers(outer, inner)) continue;
      covers++;
      for (let k = 0; k < 5; k++) {
        const host = hostOf(inner);
        expect([outer.text, host, hostMatchesPattern(host, outer)]).toEqual([outer.text, host, true]);
      }
    }
    expect(covers).toBeGreaterThan(1000);
  });
});
