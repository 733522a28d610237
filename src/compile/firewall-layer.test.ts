import { firewallPoliciesFromYaml } from '../../test/support/validate-kinds';
import { compileFirewallLayer, firewallNeedsResolution, selectFirewallPolicy } from './firewall-layer';

const policies = firewallPoliciesFromYaml;

const doc = (name: string, namespace: string, spec: string) =>
  `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n${spec}---\n`;

const layer = compileFirewallLayer(
  policies(
    doc(
      'names-only',
      'team-a',
      '  rules: [{ label: r, verdict: allow, egress: { allow: [api.openai.com] } }]\n',
    ) +
      doc(
        'cidrs',
        'default',
        '  workspaceDefault: true\n  rules: [{ label: r, verdict: deny, egress: { deny: [10.0.0.0/8], allow: [a.b] } }]\n',
      ) +
      doc(
        'other-stage',
        'default',
        '  rules: [{ label: r, stage: mcp, verdict: deny, egress: { deny: [10.0.0.0/8] } }]\n',
      ) +
      doc(
        'ip-literal',
        'default',
        '  rules: [{ label: r, verdict: deny, egress: { deny: ["fd00::1"] } }]\n',
      ) +
      doc('names-only', 'team-b', '  enabled: false\n') +
      doc('second-default', 'default', '  workspaceDefault: true\n  enabled: false\n'),
  ),
);

describe('compileFirewallLayer', () => {
  it('finds policies by name (the first in load order) and by namespace/name', () => {
    expect(layer.size).toBe(6);
    expect(layer.policies.get('names-only')?.ref).toEqual({
      kind: 'EgressFirewallPolicy',
      namespace: 'team-a',
      name: 'names-only',
    });
    expect(layer.policies.get('team-b/names-only')?.resource.enabled).toBe(false);
    expect(layer.workspaceDefault?.ref.name).toBe('cidrs');
    expect(Object.isFrozen(layer)).toBe(true);
  });

  it('drops rules of other stages and indexes IP literals as host routes', () => {
    expect(layer.policies.get('other-stage')?.rules).toEqual([]);
    const [rule] = layer.policies.get('ip-literal')?.rules ?? [];
    expect(rule?.ref).toEqual({ index: 'rules[0]', label: 'r' });
    expect(rule?.deny.addresses.has({ family: 6, words: [0xfd000000, 0, 0, 1], text: 'fd00::1' })).toBe(true);
    expect(rule?.deny.addresses.has({ family: 6, words: [0xfd000000, 0, 0, 2], text: 'fd00::2' })).toBe(
      false,
    );
  });

  it.each<[string, string | undefined, string | undefined, boolean]>([
    ['the workspace default lists a CIDR', undefined, 'metadata.internal', true],
    ['no name to resolve', undefined, undefined, false],
    ['the key policy lists only names', 'names-only', 'metadata.internal', false],
    ['the key policy is disabled, so the default with CIDRs applies', 'team-b/names-only', 'x.example', true],
    ['the key policy lists an IP literal', 'ip-literal', 'x.example', true],
    ['the only CIDR is in a rule of another stage', 'other-stage', 'x.example', false],
  ])('firewallNeedsResolution: %s', (_name, policy, host, expected) => {
    expect(firewallNeedsResolution(layer, policy, host)).toBe(expected);
  });

  it('selects the key policy, else the workspace default, else nothing', () => {
    expect(selectFirewallPolicy(layer, 'names-only').via).toBe('key');
    expect(selectFirewallPolicy(layer, 'team-b/names-only').via).toBe('workspace-default');
    expect(selectFirewallPolicy(compileFirewallLayer([]), 'x')).toEqual({ policy: undefined, via: 'none' });
  });
});
