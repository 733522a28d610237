import RE2 from 're2';

import { mirrordFromYaml } from '../../test/support/mirrord';
import { createRandom, testSeed } from '../../test/support/random';
import { parseRequestIp } from '../policy/ip';
import type { MirrordRule } from '../policy/types';
import { HOSTNAME_REGEX_FLAGS } from '../policy/validate-mirrord-rule';
import {
  anchoredLiteral,
  compileGlob,
  compileMirrordLayer,
  encodeNames,
  policiesSelecting,
  selectsAgent,
} from './mirrord-layer';

describe('compileGlob (targetPath)', () => {
  it.each([
    ['boats', 'boats', true],
    ['boats', 'boats-1', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['boats-*', 'boats-', true],
    ['boats-*', 'boats-1', true],
    ['boats-*', 'boats', false],
    ['boats-?', 'boats-1', true],
    ['boats-?', 'boats-12', false],
    ['boats-?', 'boats-', false],
    ['*-worker-*', 'eu-worker-7', true],
    ['*-worker-*', 'eu-worker', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['a*a*a*a*b', `${'a'.repeat(200)}`, false],
    ['?*?', 'ab', true],
    ['?*?', 'a', false],
    ['b.ats', 'boats', false],
  ])('%s against %s: %s', (glob, name, expected) => {
    expect(compileGlob(glob)(name)).toBe(expected);
  });
});

describe('compileMirrordLayer', () => {
  const [doc] = mirrordFromYaml(`apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordPolicy
metadata: { name: p, namespace: team-a }
spec:
  targetPath: "boats-*"
  network:
    outgoing:
      allow:
        - hostname: "^metalbear\\\\.(co|com)$"
          ports: [{ protocol: TCP, port: 443 }, { protocol: UDP, port: 53 }, { protocol: TCP, port: 80 }]
      block:
        - ipBlock: { cidr: 0.0.0.0/0 }
`);
  const layer = compileMirrordLayer(doc === undefined ? [] : [doc]);
  const [policy] = layer.policies;

  it('compiles each policy once, frozen, in load order', () => {
    expect(layer.policies).toHaveLength(1);
    expect(Object.isFrozen(layer)).toBe(true);
    expect(Object.isFrozen(policy)).toBe(true);
    expect(policy?.ref).toEqual({ kind: 'MirrordPolicy', namespace: 'team-a', name: 'p' });
    expect(policy?.namespacePrefix).toBe('team-a/');
    expect(policy?.targets?.('boats-1')).toBe(true);
    expect(policy?.targets?.('cars-1')).toBe(false);
  });

  it('indexes rules and splits ports by protocol', () => {
    const [allow] = policy?.allow ?? [];
    expect(allow?.index).toBe('network.outgoing.allow[0]');
    expect(allow?.ports?.tcp?.ranges).toEqual([
      { start: 80, end: 80 },
      { start: 443, end: 443 },
    ]);
    expect(allow?.ports?.udp?.has(53)).toBe(true);
    expect(allow?.ports?.udp?.has(443)).toBe(false);
    expect(policy?.block[0]?.index).toBe('network.outgoing.block[0]');
    expect(policy?.block[0]?.ports).toBeUndefined();
  });

  it.each([
    ['metalbear.co', true],
    ['metalbear.com', true],
    ['metalbear.io', false],
    ['www.metalbear.co', false],
  ])('tests the hostname regex on encoded names: %s → %s', (name, expected) => {
    const [bytes] = encodeNames([name]);
    expect(bytes !== undefined && policy?.allow[0]?.hostname?.test(bytes)).toBe(expected);
  });

  it('ignores other kinds', () => {
    expect(compileMirrordLayer([]).policies).toEqual([]);
  });
});

describe('policiesSelecting', () => {
  const policies = mirrordFromYaml(`apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordClusterPolicy
metadata: { name: gpu }
spec:
  selector: { matchLabels: { tier: gpu } }
  network: { outgoing: { block: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }
---
apiVersion: policies.mirrord.metalbear.co/v1alpha
kind: MirrordPolicy
metadata: { name: boats, namespace: team-a }
spec:
  targetPath: "boats-*"
  network: { outgoing: { block: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }
`);
  const gpuLabels = Object.freeze({ tier: 'gpu' });
  const agents = [
    { name: 'boats-1', namespace: 'team-a', labels: gpuLabels },
    { name: 'cars-1', namespace: 'team-a', labels: Object.freeze({}) },
  ];
  const layer = compileMirrordLayer(policies, agents);
  const names = (agent: (typeof agents)[number]) => policiesSelecting(layer, agent).map((p) => p.ref.name);

  it('works out each declared agent once at load, the same as selecting afresh', () => {
    expect(layer.byAgent.size).toBe(2);
    expect(policiesSelecting(layer, agents[0]!)).toBe(layer.byAgent.get('boats-1')?.policies);
    expect(names(agents[0]!)).toEqual(['gpu', 'boats']);
    expect(names(agents[1]!)).toEqual([]);
    for (const agent of agents) {
      expect(names(agent)).toEqual(
        layer.policies.filter((p) => selectsAgent(p, agent)).map((p) => p.ref.name),
      );
    }
  });

  it('selects afresh when the agent differs from the declared one (what-if labels, another namespace)', () => {
    expect(names({ name: 'cars-1', namespace: 'team-a', labels: { tier: 'gpu' } })).toEqual(['gpu']);
    expect(names({ name: 'boats-1', namespace: 'team-b', labels: gpuLabels })).toEqual(['gpu']);
    expect(names({ name: 'unknown', namespace: 'team-a/x', labels: {} })).toEqual([]);
    expect(names({ name: 'boats-9', namespace: 'team-a/x', labels: {} })).toEqual(['boats']);
  });
});

describe('anchoredLiteral (hostname rules matched by lookup)', () => {
  it.each([
    ['^api\\.github\\.com$', 'api.github.com'],
    ['^host3-7\\.mirror\\.example$', 'host3-7.mirror.example'],
    ['^API\\.GitHub\\.COM$', 'api.github.com'],
    ['^_dns\\.x-1$', '_dns.x-1'],
    ['^localhost$', 'localhost'],
  ])('%s is the literal %s', (source, literal) => {
    expect(anchoredLiteral(source)).toBe(literal);
  });

  it.each([
    ['an unescaped dot', '^api.github\\.com$'],
    ['no ^', 'api\\.github\\.com$'],
    ['no $', '^api\\.github\\.com'],
    ['an escaped $', '^api\\.github\\.com\\$'],
    ['an escaped backslash', '^api\\\\.github$'],
    ['\\A and \\z', '\\Aapi\\.github\\.com\\z'],
    ['alternatives', '^a\\.com$|^b\\.com$'],
    ['a group', '^(api)\\.github\\.com$'],
    ['a class', '^[a]pi\\.com$'],
    ['a quantifier', '^api\\.?com$'],
    ['an escape class', '^api\\d\\.com$'],
    ['an escaped hyphen', '^a\\-b\\.com$'],
    ['a flag group', '^(?-i)API\\.com$'],
    ['a non-ASCII letter', '^é\\.com$'],
    ['a space', '^a b$'],
  ])('%s is left to re2', (_name, source) => {
    expect(anchoredLiteral(source)).toBeUndefined();
  });
});

describe('RuleIndex.candidates: differential against re2 alone', () => {
  const seed = testSeed();
  const random = createRandom(seed);
  const replay = `seed ${seed} (replay: TEST_SEED=${seed} npx jest src/compile/mirrord-layer)`;

  // Few labels, so patterns and names collide often; `k` and `s` are there for the characters re2
  // folds onto them under `i` (U+212A KELVIN SIGN, U+017F LATIN SMALL LETTER LONG S).
  const labels = ['a', 'k', 's', 'ks', 'api', 'x-1', '_d', 'n0', 'n1', 'n2'];
  const randomName = (): string =>
    Array.from({ length: 1 + random.int(3) }, () => random.pick(labels)).join('.');
  const escape = (name: string): string => name.replace(/\./g, '\\.');
  const someUpper = (text: string): string =>
    text.replace(/[a-z]/g, (c) => (random.int(3) === 0 ? c.toUpperCase() : c));

  /** An anchored literal, or one edit away from one (each edit makes it something else to re2). */
  const randomPattern = (): string => {
    const name = randomName();
    const literal = `^${escape(name)}$`;
    switch (random.int(12)) {
      case 0:
        return `^${name}$`; // unescaped dots match any character
      case 1:
        return `^${escape(name)}`;
      case 2:
        return `${escape(name)}$`;
      case 3:
        return `^${escape(name)}\\.?$`;
      case 4:
        return `^(${escape(name)}|${escape(randomName())})$`;
      case 5:
        return `^(?-i)${escape(someUpper(name))}$`; // case-sensitive again
      case 6:
        return `^[${name[0]}]${escape(name.slice(1))}$`;
      case 7:
        return `\\A${escape(name)}\\z`;
      case 8:
      case 9:
        return someUpper(literal);
      default:
        return literal;
    }
  };

  /** A name some pattern was made from, or a fresh one; sometimes in other case or other letters. */
  const randomRequestName = (sources: readonly string[]): string => {
    const source = random.pick(sources);
    const base =
      random.int(3) === 0 ? randomName() : source.replace(/\\\./g, '.').replace(/[^a-z0-9._-]/gi, '');
    switch (random.int(10)) {
      case 0:
        return someUpper(base);
      case 1:
        return base.replace(/k/g, '\u212a');
      case 2:
        return base.replace(/s/g, '\u017f');
      case 3:
        return `${base}.`;
      case 4:
        return `é${base}`;
      case 5:
        return base.replace('.', '-');
      case 6:
        return random.int(2) === 0 ? `z${base}` : `${base}z`;
      default:
        return base;
    }
  };

  const source = { file: 'inline:', line: 1 };
  const meta = {
    apiVersion: 'policies.mirrord.metalbear.co/v1alpha',
    group: 'policies.mirrord.metalbear.co',
    name: 'random',
    namespace: '',
    labels: {},
    source,
  };
  const ipBlock = {
    cidr: { address: parseRequestIp('10.0.0.0')!, prefixLength: 8, text: '10.0.0.0/8' },
    except: [],
  };

  it('offers exactly the rules without a hostname and those whose regex matches a name', () => {
    let hits = 0;
    for (let round = 0; round < 40; round++) {
      const rules: MirrordRule[] = Array.from({ length: 1 + random.int(30) }, () => {
        // Every tenth list has no hostname rule at all.
        const kind = round % 10 === 0 ? 0 : random.int(8);
        if (kind === 0) return { ipBlock, ports: [] };
        if (kind === 1) return { ipBlock, hostname: randomPattern(), ports: [] };
        return { hostname: randomPattern(), ports: [] };
      });
      const [policy] = compileMirrordLayer([
        { kind: 'MirrordClusterPolicy', meta, allow: [], block: rules },
      ]).policies;
      const regexes = rules.map((r) =>
        r.hostname === undefined ? undefined : new RE2(r.hostname, HOSTNAME_REGEX_FLAGS),
      );
      const sources = rules.flatMap((r) => (r.hostname === undefined ? [] : [r.hostname]));
      for (let i = 0; i < 50; i++) {
        const names = Array.from({ length: 1 + random.int(3) }, () =>
          sources.length === 0 ? randomName() : randomRequestName(sources),
        );
        const bytes = encodeNames(names);
        const want = regexes.flatMap((regex, position) =>
          regex === undefined || bytes.some((b) => regex.test(b)) ? [position] : [],
        );
        const got = policy!.blockIndex.candidates(names, { bytes: () => bytes });
        expect([replay, rules, names, [...got]]).toEqual([replay, rules, names, want]);
        hits += want.length - rules.filter((r) => r.hostname === undefined).length;
      }
    }
    expect([replay, hits > 200]).toEqual([replay, true]);
  });

  it('encodes nothing for ASCII names when every hostname of the list is a literal', () => {
    const rules = ['^a\\.example$', '^B\\.example$', '^a\\.example$'].map((hostname) => ({
      hostname,
      ports: [],
    }));
    const [policy] = compileMirrordLayer([
      { kind: 'MirrordClusterPolicy', meta, allow: [], block: rules },
    ]).policies;
    const unencoded = {
      bytes: (): Buffer[] => {
        throw new Error('encoded');
      },
    };
    const candidates = (names: string[]) => [...policy!.blockIndex.candidates(names, unencoded)];
    expect(candidates(['a.example'])).toEqual([0, 2]);
    expect(candidates(['b.example'])).toEqual([1]);
    expect(candidates(['A.EXAMPLE', 'b.example'])).toEqual([0, 1, 2]);
    expect(candidates(['c.example'])).toEqual([]);
    expect(policy!.block.map((r) => r.hostname?.literal)).toEqual(['a.example', 'b.example', 'a.example']);
    // Beyond ASCII the literals go to re2, which folds K (Kelvin) to k under `i`.
    const kelvin = compileMirrordLayer([
      { kind: 'MirrordClusterPolicy', meta, allow: [], block: [{ hostname: '^ok$', ports: [] }] },
    ]).policies[0]!;
    expect([...kelvin.blockIndex.candidates(['o\u212a'], { bytes: () => encodeNames(['o\u212a']) })]).toEqual(
      [0],
    );
  });
});
