import { validateWith } from '../../test/support/validate-kinds';
import type { EgressFirewallPolicy, FirewallEntry, Issue } from './types';
import { parseCidr } from './cidr';
import { coversEveryAddress } from './validate-firewall-reach';
import { firewallPolicyKind } from './validate-firewall';

const HEAD =
  'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: p }\nspec:\n  rules:\n';

/** `[label, verdict, egress]` per rule; egress is a YAML flow map or, quoted, OrcaRouter's JSON. */
function load(rules: readonly (readonly [string, string, string])[]) {
  const text =
    HEAD +
    rules
      .map(([label, verdict, egress]) =>
        egress.startsWith("'")
          ? `    - { label: ${label}, verdict: ${verdict}, egress_json: ${egress} }\n`
          : `    - { label: ${label}, verdict: ${verdict}, egress: ${egress} }\n`,
      )
      .join('');
  const { resources, issues } = validateWith([firewallPolicyKind], text);
  return { policies: resources as EgressFirewallPolicy[], issues };
}

const summary = (issues: readonly Issue[]) => issues.map((i) => [i.code, i.severity, i.path]);

describe('firewall rules that never fire', () => {
  it.each([
    [
      'an allow rule with only a deny list',
      [['r', 'allow', '{ deny: [pastebin.com] }']],
      [['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[0].egress.allow']],
    ],
    [
      'an audit rule with only a deny list',
      [['r', 'audit', '{ deny: [10.0.0.0/8] }']],
      [['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[0].egress.allow']],
    ],
    [
      'a deny rule with only an allow list',
      [['r', 'deny', '{ allow: [api.openai.com] }']],
      [['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[0].egress.deny']],
    ],
    [
      "a deny rule with only an allow list, in OrcaRouter's egress_json",
      [['r', 'deny', `'{"allow":["api.openai.com"]}'`]],
      [['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[0].egress_json.deny']],
    ],
    [
      'every rule after a deny of 0.0.0.0/0 and ::/0 with no carve-out',
      [
        ['first', 'deny', '{ deny: [169.254.169.254] }'],
        ['everything', 'deny', '{ deny: [0.0.0.0/0, "::/0"] }'],
        ['after', 'allow', '{ allow: [api.openai.com] }'],
        ['later', 'deny', '{ deny: [10.0.0.0/8] }'],
      ],
      [
        ['POLICY_RULE_UNREACHABLE', 'warning', 'spec.rules[2]'],
        ['POLICY_RULE_UNREACHABLE', 'warning', 'spec.rules[3]'],
      ],
    ],
    [
      'a rule after an allow catch-all made of halves and an IPv6 /0',
      [
        ['open', 'allow', '{ allow: [0.0.0.0/1, 128.0.0.0/1, "::/0"] }'],
        ['after', 'deny', '{ deny: [10.0.0.0/8] }'],
      ],
      [['POLICY_RULE_UNREACHABLE', 'warning', 'spec.rules[1]']],
    ],
  ] as const)('warns about %s', (_case, rules, expected) => {
    const { policies, issues } = load(rules);
    expect(summary(issues)).toEqual(expected);
    // Warnings do not block: the policy loads with every rule.
    expect(policies.map((p) => p.rules.length)).toEqual([rules.length]);
  });

  it.each([
    [
      'a deny rule with a deny list and carve-outs',
      [['r', 'deny', '{ deny: [10.0.0.0/8], allow: [10.1.0.0/16] }']],
    ],
    [
      'an allow rule with an allow list and carve-outs',
      [['r', 'allow', '{ allow: [api.openai.com], deny: [x.openai.com] }']],
    ],
    [
      'a catch-all with a carve-out: carved destinations go on to the next rule',
      [
        ['everything', 'deny', '{ deny: [0.0.0.0/0, "::/0"], allow: [api.openai.com] }'],
        ['after', 'allow', '{ allow: [api.openai.com] }'],
      ],
    ],
    [
      'an IPv4-only catch-all: IPv6 destinations go on',
      [
        ['v4', 'deny', '{ deny: [0.0.0.0/0] }'],
        ['after', 'allow', '{ allow: [api.openai.com] }'],
      ],
    ],
    [
      'the catch-all as the last rule',
      [
        ['first', 'allow', '{ allow: [api.openai.com] }'],
        ['everything', 'deny', '{ deny: [0.0.0.0/0, "::/0"] }'],
      ],
    ],
  ] as const)('is quiet for %s', (_case, rules) => {
    expect(load(rules).issues).toEqual([]);
  });

  it('does not count a catch-all on another stage, which never applies', () => {
    const text = `${HEAD}    - { label: other, stage: inbound, verdict: deny, egress: { deny: [0.0.0.0/0, "::/0"] } }\n    - { label: after, verdict: deny, egress: { deny: [10.0.0.0/8] } }\n`;
    const { issues } = validateWith([firewallPolicyKind], text);
    expect(summary(issues)).toEqual([['POLICY_STAGE_NOT_EGRESS', 'warning', 'spec.rules[0].stage']]);
  });

  it('names the shadowing rule and how to fix it', () => {
    const { issues } = load([
      ['everything', 'deny', '{ deny: [0.0.0.0/0, "::/0"] }'],
      ['after', 'allow', '{ allow: [api.openai.com] }'],
    ]);
    expect(issues[0]?.message).toBe(
      'rule `after` is never reached: rules[0] `everything` (deny) covers every address with no carve-out, and the first rule in scope decides',
    );
    expect(issues[0]?.fix).toBe(
      'move this rule above rules[0], or carve the destinations it is for out of rules[0] (its `allow` list)',
    );
    const empty = load([['r', 'allow', '{ deny: [pastebin.com] }']]).issues[0];
    expect(empty?.fix).toBe(
      'to deny the destinations listed in `deny`, write `verdict: deny`; to let through some, list them in `allow`',
    );
  });
});

describe('coversEveryAddress', () => {
  const cidrs = (...texts: string[]): FirewallEntry[] =>
    texts.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return { kind: 'cidr', cidr: parsed.cidr, text };
    });

  it.each([
    [['0.0.0.0/0', '::/0'], true],
    [['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1'], true],
    [['0.0.0.0/0'], false],
    [['::/0'], false],
    [['0.0.0.0/1', '::/0'], false],
    [['0.0.0.0/1', '192.0.0.0/2', '::/0'], false],
    [['0.0.0.0/2', '0.0.0.0/1', '128.0.0.0/1', '::/0'], true],
  ])('%j → %s', (texts, expected) => {
    expect(coversEveryAddress(cidrs(...texts))).toBe(expected);
  });
});
