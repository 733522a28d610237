import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadMirrord } from '../../test/support/mirrord';

const ROOT = join(__dirname, '..', '..', 'test', 'fixtures');
const SEED = join(ROOT, 'seeds', '000', 'mirrord-policy.yaml');
const INVALID = join(ROOT, 'policies', 'invalid');

const head = (kind = 'MirrordPolicy', apiVersion = 'policies.mirrord.metalbear.co/v1alpha'): string =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: p, namespace: team-a }\n`;

function load(spec: string, kind?: string, apiVersion?: string) {
  return loadMirrord(`${head(kind, apiVersion)}spec:\n${spec}`);
}

const errorsOf = (issues: ReturnType<typeof load>['issues']) =>
  issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.path]);
const warningsOf = (issues: ReturnType<typeof load>['issues']) =>
  issues.filter((i) => i.severity === 'warning').map((i) => [i.code, i.path]);

describe('MirrordPolicy validation', () => {
  it("loads mirrord's example (test/fixtures/seeds/000) unchanged, warning only that `block` is ignored", () => {
    const { resources, issues } = loadMirrord(readFileSync(SEED, 'utf8'), SEED);
    expect(errorsOf(issues)).toEqual([]);
    expect(warningsOf(issues)).toEqual([['POLICY_IGNORED_FIELD', 'spec.block']]);
    expect(issues[0]?.message).toContain('ignored by Portcullis');
    const [policy] = resources;
    expect(policy?.kind).toBe('MirrordPolicy');
    expect(policy?.meta).toMatchObject({
      name: 'block-mirroring-from-boats-deployment',
      namespace: 'default',
    });
    expect(policy?.allow).toHaveLength(2);
    expect(policy?.allow[0]?.ipBlock?.cidr.text).toBe('10.0.0.0/16');
    expect(policy?.allow[0]?.ipBlock?.except.map((c) => c.text)).toEqual(['10.0.5.0/24']);
    expect(policy?.allow[0]?.ports).toEqual([
      { protocol: 'tcp', port: 80 },
      { protocol: 'tcp', port: 443 },
      { protocol: 'udp', port: 53 },
    ]);
    expect(policy?.allow[1]).toEqual({
      hostname: '^metalbear\\.(co|com)$',
      ports: [{ protocol: 'tcp', port: 443 }],
    });
    expect(policy?.block[0]?.ipBlock?.cidr.text).toBe('0.0.0.0/0');
    expect(policy?.selector).toBeUndefined();
    expect(policy?.targetPath).toBeUndefined();
  });

  it('is accepted under our own API group too', () => {
    const { resources, issues } = load(
      '  network: { outgoing: { block: [{ hostname: "^pastebin\\\\.com$" }] } }\n',
      'MirrordPolicy',
      'egress.portcullis.dev/v1alpha1',
    );
    expect(issues).toEqual([]);
    expect(resources[0]?.block[0]).toEqual({ hostname: '^pastebin\\.com$', ports: [] });
  });

  it('gives a cluster policy no namespace, and says metadata.namespace is ignored', () => {
    const { resources, issues } = load(
      '  network: { outgoing: { block: [{ ports: [{ port: 22 }] }] } }\n',
      'MirrordClusterPolicy',
    );
    expect(resources[0]?.meta.namespace).toBe('');
    expect(warningsOf(issues)).toEqual([['POLICY_IGNORED_FIELD', 'metadata.namespace']]);
  });

  it('accepts the other upstream features with an "ignored" warning each', () => {
    const { resources, issues } = load(
      [
        '  block: [steal, mirror]',
        '  env: { exclude: ["DATABASE_*"] }',
        '  fs: { readOnly: ["^/etc"] }',
        '  requireProfile: true',
        '  profileAllowlist: [safe]',
        '  network:',
        '    incoming: { httpFilter: { headerFilter: "^x-user: .*$" } }',
        '    outgoing: { block: [{ ports: [{ port: 22 }] }] }',
        '',
      ].join('\n'),
    );
    expect(resources).toHaveLength(1);
    expect(warningsOf(issues)).toEqual([
      ['POLICY_IGNORED_FIELD', 'spec.block'],
      ['POLICY_IGNORED_FIELD', 'spec.env'],
      ['POLICY_IGNORED_FIELD', 'spec.fs'],
      ['POLICY_IGNORED_FIELD', 'spec.requireProfile'],
      ['POLICY_IGNORED_FIELD', 'spec.profileAllowlist'],
      ['POLICY_IGNORED_FIELD', 'spec.network.incoming'],
    ]);
  });

  it('warns that a policy without rules permits everything', () => {
    const { resources, issues } = load('  block: []\n');
    expect(resources[0]).toMatchObject({ allow: [], block: [] });
    expect(warningsOf(issues)).toContainEqual(['POLICY_PERMITS_EVERYTHING', 'spec.network']);
  });

  it('reads protocol case-insensitively and defaults it to TCP', () => {
    const { resources, issues } = load(
      '  network: { outgoing: { block: [{ ports: [{ port: 22 }, { protocol: udp, port: 53 }] }] } }\n',
    );
    expect(issues).toEqual([]);
    expect(resources[0]?.block[0]?.ports).toEqual([
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
    ]);
  });

  it.each([
    [
      'a selector',
      '  selector: { matchLabels: { team: boats } }\n',
      { selector: { matchLabels: { team: 'boats' }, matchExpressions: [] } },
    ],
    ['a name glob', '  targetPath: "boats-?*"\n', { targetPath: 'boats-?*' }],
    ['mirrord notation, kind dropped', '  targetPath: deploy/boats*\n', { targetPath: 'boats*' }],
    [
      'mirrord notation with a container',
      '  targetPath: pod/boats-1/container/main\n',
      { targetPath: 'boats-1' },
    ],
  ])('targets agents by %s', (_name, spec, expected) => {
    const { resources, issues } = load(
      `${spec}  network: { outgoing: { block: [{ ports: [{ port: 22 }] }] } }\n`,
    );
    expect(errorsOf(issues)).toEqual([]);
    expect(resources[0]).toMatchObject(expected);
  });

  it('says when a target kind is dropped from targetPath', () => {
    const { issues } = load(
      '  targetPath: deploy/boats*\n  network: { outgoing: { block: [{ ports: [{ port: 22 }] }] } }\n',
    );
    expect(warningsOf(issues)).toEqual([['POLICY_IGNORED_FIELD', 'spec.targetPath']]);
  });

  it.each([
    ['unanchored', '"metalbear\\\\.co"', true],
    ['anchored at one end', '"^metalbear\\\\.co"', true],
    ['one alternative unanchored', '"^a\\\\.com|b\\\\.com$"', true],
    ['anchored', '"^metalbear\\\\.co$"', false],
    ['anchored alternatives', '"^a\\\\.com$|^b\\\\.com$"', false],
    ['escaped dollar is not an anchor', '"^a\\\\$"', true],
  ])('allow hostname %s: warns %s', (_name, pattern, warns) => {
    const { resources, issues } = load(`  network: { outgoing: { allow: [{ hostname: ${pattern} }] } }\n`);
    expect(resources).toHaveLength(1);
    expect(warningsOf(issues)).toEqual(
      warns ? [['POLICY_REGEX_UNANCHORED', 'spec.network.outgoing.allow[0].hostname']] : [],
    );
  });

  it('does not warn about an unanchored block pattern (it only blocks more)', () => {
    expect(load('  network: { outgoing: { block: [{ hostname: "pastebin" }] } }\n').issues).toEqual([]);
  });

  const rule = (yaml: string) => `  network: { outgoing: { allow: [${yaml}] } }\n`;
  const at = 'spec.network.outgoing.allow[0]';

  it.each([
    [
      'backreference',
      rule('{ hostname: "^(a)\\\\1$" }'),
      'POLICY_INVALID_REGEX',
      `${at}.hostname`,
      'backreferences',
    ],
    [
      'lookbehind',
      rule('{ hostname: "(?<!x)y" }'),
      'POLICY_INVALID_REGEX',
      `${at}.hostname`,
      'lookahead or lookbehind',
    ],
    ['unbalanced', rule('{ hostname: "[a-z" }'), 'POLICY_INVALID_REGEX', `${at}.hostname`, 'RE2 syntax'],
    ['empty pattern', rule('{ hostname: "" }'), 'POLICY_INVALID_REGEX', `${at}.hostname`, 'remove'],
    [
      'hostname map',
      rule('{ hostname: { exact: [a.com] } }'),
      'POLICY_WRONG_TYPE',
      `${at}.hostname`,
      'as a string',
    ],
    [
      'ipBlock string',
      rule('{ ipBlock: 10.0.0.0/8 }'),
      'POLICY_WRONG_TYPE',
      `${at}.ipBlock`,
      '{cidr: "10.0.0.0/8"}',
    ],
    [
      'host bits',
      rule('{ ipBlock: { cidr: 10.0.0.1/8 } }'),
      'POLICY_INVALID_CIDR',
      `${at}.ipBlock.cidr`,
      '10.0.0.0/8',
    ],
    [
      'except of the other family',
      rule('{ ipBlock: { cidr: 10.0.0.0/8, except: ["fd00::/8"] } }'),
      'POLICY_EXCEPT_OUTSIDE',
      `${at}.ipBlock.except[0]`,
      'family',
    ],
    [
      'missing cidr',
      rule('{ ipBlock: { except: [10.0.0.0/24] } }'),
      'POLICY_MISSING_FIELD',
      `${at}.ipBlock.cidr`,
      undefined,
    ],
    ['port zero', rule('{ ports: [{ port: 0 }] }'), 'POLICY_INVALID_PORT', `${at}.ports[0].port`, undefined],
    [
      'quoted port',
      rule('{ ports: [{ port: "443" }] }'),
      'POLICY_WRONG_TYPE',
      `${at}.ports[0].port`,
      'without quotes',
    ],
    [
      'bare port',
      rule('{ ports: [443] }'),
      'POLICY_WRONG_TYPE',
      `${at}.ports[0]`,
      '{protocol: TCP, port: 443}',
    ],
    [
      'port range',
      rule('{ ports: [{ port: 80, endPort: 90 }] }'),
      'POLICY_UNKNOWN_FIELD',
      `${at}.ports[0].endPort`,
      undefined,
    ],
    ['only empty ports', rule('{ ports: [] }'), 'POLICY_MISSING_FIELD', at, 'remove the rule'],
    [
      'selector',
      '  selector: { matchLabels: { team: [a] } }\n',
      'POLICY_INVALID_SELECTOR',
      'spec.selector.matchLabels.team',
      undefined,
    ],
    ['target kind', '  targetPath: ingress/boats\n', 'POLICY_INVALID_VALUE', 'spec.targetPath', 'deploy'],
    ['targetPath depth', '  targetPath: a/b/c\n', 'POLICY_INVALID_VALUE', 'spec.targetPath', 'glob'],
    ['empty targetPath', '  targetPath: ""\n', 'POLICY_INVALID_VALUE', 'spec.targetPath', 'glob'],
    [
      'outgoingTraffic',
      '  outgoingTraffic: { default: block }\n',
      'POLICY_UNKNOWN_FIELD',
      'spec.outgoingTraffic',
      'network: {outgoing',
    ],
    [
      'typo in network',
      '  network: { outgoin: {} }\n',
      'POLICY_UNKNOWN_FIELD',
      'spec.network.outgoin',
      'did you mean `outgoing`?',
    ],
    [
      'typo in lists',
      '  network: { outgoing: { alow: [] } }\n',
      'POLICY_UNKNOWN_FIELD',
      'spec.network.outgoing.alow',
      'did you mean `allow`?',
    ],
  ])('rejects %s', (_name, spec, code, path, fix) => {
    const { resources, issues } = load(spec);
    expect(resources).toEqual([]);
    expect(errorsOf(issues)).toEqual([[code, path]]);
    if (fix !== undefined) expect(issues.find((i) => i.severity === 'error')?.fix).toContain(fix);
  });
});

describe('invalid mirrord fixtures', () => {
  const base = 'spec.network.outgoing';
  it.each([
    ['mirrord-bad-regex', 'POLICY_INVALID_REGEX', `${base}.allow[0].hostname`, 11, 'lookahead'],
    [
      'mirrord-except-outside',
      'POLICY_EXCEPT_OUTSIDE',
      `${base}.allow[0].ipBlock.except[0]`,
      14,
      'widen cidr',
    ],
    [
      'mirrord-empty-rule',
      'POLICY_MISSING_FIELD',
      `${base}.block[0]`,
      10,
      '`ipBlock`, `hostname` or `ports`',
    ],
    ['mirrord-bad-protocol', 'POLICY_INVALID_VALUE', `${base}.allow[0].ports[0].protocol`, 12, undefined],
    ['mirrord-bad-target-path', 'POLICY_INVALID_VALUE', 'spec.targetPath', 8, 'not a regex'],
    [
      'mirrord-unknown-field',
      'POLICY_UNKNOWN_FIELD',
      `${base}.allow[0].hostnames`,
      11,
      'did you mean `hostname`?',
    ],
  ])('%s', (name, code, path, line, fix) => {
    const file = join(INVALID, `${name}.yaml`);
    const { resources, issues } = loadMirrord(readFileSync(file, 'utf8'), file);
    const errors = issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.code, i.path])).toEqual([[code, path]]);
    expect(errors[0]?.line).toBe(line);
    if (fix !== undefined) expect(errors[0]?.fix).toContain(fix);
    expect(resources).toEqual([]);
  });
});
