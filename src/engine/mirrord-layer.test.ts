import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { compileMirrordLayer, type MirrordLayer } from '../compile/mirrord-layer';
import { mirrordFromYaml } from '../../test/support/mirrord';
import { request, type RequestSpec } from '../../test/support/policy';
import { canonicalizeDestination } from './destination';
import type { LayerInput } from './layer';
import { evaluateMirrord } from './mirrord-layer';
import { parseRequestIp } from '../policy/ip';
import type { Agent, Destination } from './types';

const SEED = join(__dirname, '..', '..', 'test', 'fixtures', 'seeds', '000', 'mirrord-policy.yaml');

const layerOf = (yaml: string): MirrordLayer => compileMirrordLayer(mirrordFromYaml(yaml));

const AGENT: Agent = {
  name: 'boats-1',
  namespace: 'default',
  labels: { team: 'boats' },
  identifiedBy: 'context',
  authenticated: false,
};

function input(spec: RequestSpec, agent: Partial<Agent> = {}): LayerInput {
  const req = request(spec);
  const canonical = canonicalizeDestination(req.destination);
  if (!canonical.ok) throw new Error(canonical.message);
  return { request: req, dest: canonical.destination, agent: { ...AGENT, ...agent } };
}

function policy(kind: string, name: string, namespace: string | undefined, spec: string): string {
  const ns = namespace === undefined ? '' : `, namespace: ${namespace}`;
  return `apiVersion: policies.mirrord.metalbear.co/v1alpha\nkind: ${kind}\nmetadata: { name: ${name}${ns} }\nspec:\n${spec}---\n`;
}

const outcome = (layer: MirrordLayer, spec: RequestSpec, agent: Partial<Agent> = {}) => {
  const r = evaluateMirrord(layer, input(spec, agent));
  return [r.outcome, r.reasonCode];
};

describe("mirrord's example policy (test/fixtures/seeds/000)", () => {
  const seed = compileMirrordLayer(mirrordFromYaml(readFileSync(SEED, 'utf8')));

  it.each([
    ['inside 10.0.0.0/16 on TCP 443', { l4: '10.0.1.5:443' }, 'allow', 'mirrord_allowed'],
    ['inside 10.0.0.0/16 on TCP 80', { l4: '10.0.1.5:80' }, 'allow', 'mirrord_allowed'],
    [
      'in the excepted 10.0.5.0/24: no allow rule matches',
      { l4: '10.0.5.7:443' },
      'deny',
      'mirrord_not_allowed',
    ],
    ['outside 10.0.0.0/16', { l4: '10.1.0.1:443' }, 'deny', 'mirrord_not_allowed'],
    ['SSH: in no allow rule (and blocked anyway)', { l4: '10.0.1.5:22' }, 'deny', 'mirrord_not_allowed'],
    ['DNS over UDP 53', { l4: '10.0.1.5:53', protocol: 'udp' as const }, 'allow', 'mirrord_allowed'],
    ['TCP 53 is not UDP 53', { l4: '10.0.1.5:53' }, 'deny', 'mirrord_not_allowed'],
    [
      'UDP 443 is not TCP 443',
      { l4: '10.0.1.5:443', protocol: 'udp' as const },
      'deny',
      'mirrord_not_allowed',
    ],
    ['metalbear.co:443', { connect: 'metalbear.co:443' }, 'allow', 'mirrord_allowed'],
    ['metalbear.com:443', { connect: 'metalbear.com:443' }, 'allow', 'mirrord_allowed'],
    [
      'metalbear.co by SNI at an outside address',
      { l4: '203.0.113.9:443', sni: 'metalbear.co' },
      'allow',
      'mirrord_allowed',
    ],
    ['metalbear.io:443', { connect: 'metalbear.io:443' }, 'deny', 'mirrord_not_allowed'],
    ['www.metalbear.co:443 (anchored)', { connect: 'www.metalbear.co:443' }, 'deny', 'mirrord_not_allowed'],
    ['metalbear.co on port 80', { connect: 'metalbear.co:80' }, 'deny', 'mirrord_not_allowed'],
    ['an outside address with no name', { l4: '203.0.113.9:443' }, 'deny', 'mirrord_not_allowed'],
  ])('%s', (_name, spec, verdict, code) => {
    expect(outcome(seed, spec)).toEqual([verdict, code]);
  });

  it('names the policy and the rule that decided', () => {
    const allowed = evaluateMirrord(seed, input({ l4: '10.0.1.5:443' }));
    expect(allowed.policy).toEqual({
      kind: 'MirrordPolicy',
      namespace: 'default',
      name: 'block-mirroring-from-boats-deployment',
    });
    expect(allowed.rule).toEqual({ index: 'network.outgoing.allow[0]', label: 'network.outgoing.allow[0]' });
    expect(allowed.reason).toBe(
      '10.0.1.5:443 permitted by MirrordPolicy default/block-mirroring-from-boats-deployment: allow rule network.outgoing.allow[0], no block rule matches',
    );
    const denied = evaluateMirrord(seed, input({ l4: '10.0.5.7:443' }));
    expect(denied.rule?.index).toBe('network.outgoing.allow');
    expect(denied.reason).toContain('10.0.5.7:443 matches no allow rule of MirrordPolicy default/');
  });

  it('says which rules lacked evidence', () => {
    // By name only: the ipBlock rule cannot be judged (no address), the hostname rule decides.
    expect(evaluateMirrord(seed, input({ connect: 'metalbear.co:443' })).reason).toContain(
      'permitted by MirrordPolicy default/block-mirroring-from-boats-deployment: allow rule network.outgoing.allow[1]',
    );
    expect(evaluateMirrord(seed, input({ connect: 'metalbear.io:443' })).reason).toContain(
      'not evaluated: network.outgoing.allow[0] (no address evidence)',
    );
  });
});

describe('mirrord evaluation steps', () => {
  const blockWins = layerOf(
    policy(
      'MirrordPolicy',
      'ssh',
      'default',
      [
        '  network:',
        '    outgoing:',
        '      allow: [{ ipBlock: { cidr: 10.0.0.0/16 }, ports: [{ protocol: TCP, port: 22 }, { protocol: TCP, port: 443 }] }]',
        '      block: [{ ipBlock: { cidr: 0.0.0.0/0 }, ports: [{ protocol: TCP, port: 22 }] }]',
        '',
      ].join('\n'),
    ),
  );
  const blockOnly = layerOf(
    policy(
      'MirrordPolicy',
      'paste',
      'default',
      '  network: { outgoing: { block: [{ hostname: "^pastebin\\\\.com$" }] } }\n',
    ),
  );
  const empty = layerOf(policy('MirrordPolicy', 'empty', 'default', '  block: []\n'));

  it.each([
    ['block wins over a matching allow rule', blockWins, { l4: '10.0.1.5:22' }, 'deny', 'mirrord_blocked'],
    ['allowed and not blocked', blockWins, { l4: '10.0.1.5:443' }, 'allow', 'mirrord_allowed'],
    [
      'block-only policy: a blocked name',
      blockOnly,
      { connect: 'pastebin.com:443' },
      'deny',
      'mirrord_blocked',
    ],
    [
      'block-only policy: a name it does not block',
      blockOnly,
      { connect: 'example.com:443' },
      'allow',
      'mirrord_allowed',
    ],
    ['an empty policy permits', empty, { l4: '198.51.100.1:25' }, 'allow', 'mirrord_allowed'],
  ])('%s', (_name, layer, spec, verdict, code) => {
    expect(outcome(layer, spec)).toEqual([verdict, code]);
  });

  it('reports the block rule that forbade', () => {
    const r = evaluateMirrord(blockWins, input({ l4: '10.0.1.5:22' }));
    expect(r.rule?.index).toBe('network.outgoing.block[0]');
    expect(r.reason).toBe(
      '10.0.1.5:22 matches block rule network.outgoing.block[0] of MirrordPolicy default/ssh',
    );
  });

  it('an empty policy says it has no rules', () => {
    const r = evaluateMirrord(empty, input({ l4: '198.51.100.1:25' }));
    expect(r.rule?.index).toBe('network.outgoing');
    expect(r.reason).toContain('it has no outgoing rules');
  });

  it('a block hostname rule without name evidence does not match, and the reason says so', () => {
    const r = evaluateMirrord(blockOnly, input({ l4: '198.51.100.7:443' }));
    expect([r.outcome, r.reasonCode]).toEqual(['allow', 'mirrord_allowed']);
    expect(r.reason).toContain('network.outgoing.block[0] (no name evidence)');
    expect(outcome(blockOnly, { l4: '198.51.100.7:443', sni: 'pastebin.com' })).toEqual([
      'deny',
      'mirrord_blocked',
    ]);
  });

  it('matches any of the names the evidence supports', () => {
    const dest: Destination = {
      host: 'cdn.example.net',
      names: ['cdn.example.net', 'pastebin.com'],
      port: 443,
      protocol: 'tcp',
    };
    const r = evaluateMirrord(blockOnly, { ...input({ connect: 'cdn.example.net:443' }), dest });
    expect([r.outcome, r.reasonCode]).toEqual(['deny', 'mirrord_blocked']);
  });

  it('compares names case-insensitively, as DNS does', () => {
    const upper = layerOf(
      policy(
        'MirrordPolicy',
        'u',
        'default',
        '  network: { outgoing: { block: [{ hostname: "^PasteBin\\\\.com$" }] } }\n',
      ),
    );
    expect(outcome(upper, { connect: 'pastebin.com:443' })).toEqual(['deny', 'mirrord_blocked']);
  });

  it('checks IPv4 embedded in NAT64 addresses against block rules only', () => {
    const block = layerOf(
      policy(
        'MirrordPolicy',
        'b',
        'default',
        '  network: { outgoing: { block: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }\n',
      ),
    );
    const allow = layerOf(
      policy(
        'MirrordPolicy',
        'a',
        'default',
        '  network: { outgoing: { allow: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }\n',
      ),
    );
    expect(outcome(block, { l4: '[64:ff9b::a00:105]:443' })).toEqual(['deny', 'mirrord_blocked']);
    expect(outcome(allow, { l4: '[64:ff9b::a00:105]:443' })).toEqual(['deny', 'mirrord_not_allowed']);
    expect(outcome(allow, { l4: '10.0.1.5:443' })).toEqual(['allow', 'mirrord_allowed']);
  });
});

describe('which agents a mirrord policy applies to', () => {
  const sshBlock = '  network: { outgoing: { block: [{ ports: [{ protocol: TCP, port: 22 }] }] } }\n';
  const ssh = { l4: '10.0.1.5:22' };

  it.each([
    ['root namespace', ''],
    ['another namespace', 'prod'],
    ['a nested namespace', 'prod/payments/eu-west'],
  ])('a cluster policy applies in the %s', (_name, namespace) => {
    const layer = layerOf(policy('MirrordClusterPolicy', 'no-ssh', undefined, sshBlock));
    const r = evaluateMirrord(layer, input(ssh, { namespace }));
    expect([r.outcome, r.reasonCode]).toEqual(['deny', 'mirrord_blocked']);
    expect(r.policy).toEqual({ kind: 'MirrordClusterPolicy', namespace: '', name: 'no-ssh' });
    expect(r.reason).toContain('of MirrordClusterPolicy no-ssh');
  });

  const namespaced = layerOf(policy('MirrordPolicy', 'no-ssh', 'team-a', sshBlock));
  it.each([
    ['its namespace', 'team-a', 'deny'],
    ['a descendant namespace', 'team-a/eu', 'deny'],
    ['a deeper descendant', 'team-a/eu/west', 'deny'],
    ['a namespace sharing its prefix', 'team-ab', 'abstain'],
    ['another namespace', 'team-b', 'abstain'],
    ['the root namespace', '', 'abstain'],
  ])('a namespaced policy: %s', (_name, namespace, verdict) => {
    expect(evaluateMirrord(namespaced, input(ssh, { namespace })).outcome).toBe(verdict);
  });

  const narrowed = layerOf(
    policy(
      'MirrordClusterPolicy',
      'boats',
      undefined,
      `  selector: { matchLabels: { team: boats } }\n  targetPath: deploy/boats-*\n${sshBlock}`,
    ),
  );
  it.each([
    ['label and name match', 'boats-1', { team: 'boats' }, 'deny'],
    ['another label', 'boats-1', { team: 'cars' }, 'abstain'],
    ['no labels', 'boats-1', {}, 'abstain'],
    ['another name', 'cars-1', { team: 'boats' }, 'abstain'],
    ['name glob needs the dash', 'boats', { team: 'boats' }, 'abstain'],
  ])('selector and targetPath narrow: %s', (_name, name, labels, verdict) => {
    expect(evaluateMirrord(narrowed, input(ssh, { name, labels })).outcome).toBe(verdict);
  });

  it('abstains with no policies, and says so', () => {
    expect(evaluateMirrord(compileMirrordLayer([]), input(ssh))).toEqual({
      layer: 'mirrord',
      outcome: 'abstain',
      reason: 'no mirrord policy is loaded',
    });
    expect(evaluateMirrord(namespaced, input(ssh, { namespace: 'x' })).reason).toBe(
      'no mirrord policy selects agent boats-1',
    );
  });
});

describe('several mirrord policies', () => {
  const layer = layerOf(
    policy(
      'MirrordClusterPolicy',
      'internal-only',
      undefined,
      '  network: { outgoing: { allow: [{ ipBlock: { cidr: 10.0.0.0/8 } }] } }\n',
    ) +
      policy(
        'MirrordPolicy',
        'no-tls',
        'default',
        '  network: { outgoing: { block: [{ ports: [{ port: 443 }] }] } }\n',
      ),
  );

  it.each([
    ['both permit', { l4: '10.0.1.5:80' }, 'allow', 'mirrord_allowed', 'internal-only'],
    ['the second forbids', { l4: '10.0.1.5:443' }, 'deny', 'mirrord_blocked', 'no-tls'],
    ['the first forbids', { l4: '192.0.2.1:80' }, 'deny', 'mirrord_not_allowed', 'internal-only'],
    [
      'both forbid: the first is reported',
      { l4: '192.0.2.1:443' },
      'deny',
      'mirrord_not_allowed',
      'internal-only',
    ],
  ])('%s', (_name, spec, verdict, code, name) => {
    const r = evaluateMirrord(layer, input(spec));
    expect([r.outcome, r.reasonCode, r.policy?.name]).toEqual([verdict, code, name]);
  });

  it('says how many others also permitted', () => {
    expect(evaluateMirrord(layer, input({ l4: '10.0.1.5:80' })).reason).toBe(
      '10.0.1.5:80 permitted by MirrordClusterPolicy internal-only: allow rule network.outgoing.allow[0], no block rule matches; 1 other mirrord policy also permits',
    );
  });

  it('only the policies that select the agent count', () => {
    expect(outcome(layer, { l4: '10.0.1.5:443' }, { namespace: 'other' })).toEqual([
      'allow',
      'mirrord_allowed',
    ]);
  });
});

describe('block rules and a CONNECT by name', () => {
  const layer = layerOf(
    policy(
      'MirrordPolicy',
      'no-ssh',
      'default',
      [
        '  network:',
        '    outgoing:',
        '      allow: [{ hostname: "^bastion\\\\.example$", ports: [{ protocol: TCP, port: 22 }] }]',
        '      block: [{ ipBlock: { cidr: 10.0.0.0/8 }, ports: [{ protocol: TCP, port: 22 }] }]',
        '',
      ].join('\n'),
    ),
  );
  const ip = (text: string) => {
    const parsed = parseRequestIp(text);
    if (!parsed) throw new Error(text);
    return parsed;
  };
  const byName = (resolved?: string[]) => {
    const base = input({ connect: 'bastion.example:22' });
    const r = evaluateMirrord(layer, resolved ? { ...base, resolved: resolved.map(ip) } : base);
    return [r.outcome, r.reasonCode];
  };

  it('cannot judge an address block without the address: the allow rule decides', () => {
    expect(byName()).toEqual(['allow', 'mirrord_allowed']);
  });

  it('blocks when the name resolves into the blocked range', () => {
    expect(byName(['10.1.2.3'])).toEqual(['deny', 'mirrord_blocked']);
  });

  it('does not block when every address is outside it', () => {
    expect(byName(['203.0.113.7'])).toEqual(['allow', 'mirrord_allowed']);
  });
});

describe('many hostname rules in one list', () => {
  const rules = Array.from(
    { length: 60 },
    (_, i) => `        - { hostname: "^h${i}\\\\.example$", ports: [{ protocol: TCP, port: 443 }] }`,
  );
  const layer = layerOf(
    policy(
      'MirrordPolicy',
      'many',
      'default',
      ['  network:', '    outgoing:', '      block:', ...rules, ''].join('\n'),
    ),
  );

  it.each([
    ['reports the one rule whose regex matches', 'h37.example:443', 'deny', 'network.outgoing.block[37]'],
    ['still checks the ports of a matching rule', 'h37.example:80', 'allow', 'network.outgoing.block'],
    ['lets a name no regex matches through', 'h99.example:443', 'allow', 'network.outgoing.block'],
  ] as const)('%s', (_n, dest, verdict, rule) => {
    const r = evaluateMirrord(layer, input({ connect: dest }));
    expect([r.outcome, r.rule?.index]).toEqual([verdict, rule]);
  });
});

describe('literal and regex hostname rules in one list', () => {
  const layer = layerOf(
    policy(
      'MirrordPolicy',
      'mixed',
      'default',
      [
        '  network:',
        '    outgoing:',
        '      block:',
        '        - { hostname: "^h1\\\\.example$", ports: [{ protocol: TCP, port: 80 }] }',
        '        - { hostname: "^h[0-9]\\\\.example$", ports: [{ protocol: TCP, port: 22 }] }',
        '        - { hostname: "^H1\\\\.EXAMPLE$" }',
        '        - { hostname: "^ok\\\\.example$" }',
        '        - { ports: [{ protocol: UDP, port: 53 }] }',
        '',
      ].join('\n'),
    ),
  );
  const judge = (names: string[], port: number, protocol: 'tcp' | 'udp' = 'tcp') => {
    const dest: Destination = { host: names[0], names, port, protocol };
    const r = evaluateMirrord(layer, { ...input({ connect: 'h1.example:443' }), dest });
    return [r.outcome, r.rule?.index];
  };

  it.each([
    ['the first literal whose ports hold', ['h1.example'], 80, 'network.outgoing.block[0]'],
    ['a regex before a later literal', ['h1.example'], 22, 'network.outgoing.block[1]'],
    ['a literal written in capitals', ['h1.example'], 443, 'network.outgoing.block[2]'],
    ['a name in capitals', ['H1.Example'], 443, 'network.outgoing.block[2]'],
    ['the earliest rule over several names', ['ok.example', 'h1.example'], 443, 'network.outgoing.block[2]'],
    ['a regex only', ['h7.example'], 22, 'network.outgoing.block[1]'],
    ['K (Kelvin sign), which re2 folds to k', ['o\u212a.example'], 443, 'network.outgoing.block[3]'],
  ])('%s', (_name, names, port, rule) => {
    expect(judge(names, port)).toEqual(['deny', rule]);
  });

  it('lets a name no rule matches through, and still tries rules without a hostname', () => {
    expect(judge(['h7.example'], 443)).toEqual(['allow', 'network.outgoing.block']);
    expect(judge(['h1.example.'], 443)).toEqual(['allow', 'network.outgoing.block']);
    expect(judge(['nope.example'], 53, 'udp')).toEqual(['deny', 'network.outgoing.block[4]']);
  });

  it('counts every hostname rule it could not judge without a name', () => {
    const r = evaluateMirrord(layer, input({ l4: '198.51.100.7:443' }));
    expect(r.reason).toBe(
      '198.51.100.7:443 permitted by MirrordPolicy default/mixed: no allow rules and no block rule matches; not evaluated: network.outgoing.block[0] (no name evidence), network.outgoing.block[1] (no name evidence), network.outgoing.block[2] (no name evidence), and 1 more',
    );
  });
});
