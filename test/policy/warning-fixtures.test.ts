/**
 * Rules that load but can never fire: through the real loader, each is a warning with its code,
 * path, line and a fix, and every resource still loads (warnings never block).
 */
import { join } from 'node:path';

import { formatIssue } from '../../src/policy/validate';
import { loadPolicies } from '../../src/sources/read-policy-files';

const FILE = join(__dirname, '..', 'fixtures', 'policies', 'warnings', 'rules-that-never-fire.yaml');

describe('rules-that-never-fire.yaml', () => {
  it('warns about each rule that can never fire, with where and how to fix it', async () => {
    const { issues } = await loadPolicies([FILE]);
    expect(issues.map((i) => [i.code, i.severity, i.path, i.line])).toEqual([
      ['POLICY_LISTENER_PROTOCOL_MISMATCH', 'warning', 'spec.rules[0].matches[0].protocol', 28],
      ['POLICY_LISTENER_PROTOCOL_MISMATCH', 'warning', 'spec.rules[0].matches[0]', 41],
      ['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[0].egress.allow', 54],
      ['POLICY_RULE_SCOPE_EMPTY', 'warning', 'spec.rules[1].egress_json.deny', 59],
      ['POLICY_RULE_UNREACHABLE', 'warning', 'spec.rules[3]', 65],
    ]);
    for (const issue of issues) expect(issue.fix).toEqual(expect.any(String));
    expect(formatIssue(issues[4]!)).toBe(
      `${FILE}:65: warning: spec.rules[3]: rule \`allow the model\` is never reached: rules[2] \`deny everything\` (deny) covers every address with no carve-out, and the first rule in scope decides (fix: move this rule above rules[2], or carve the destinations it is for out of rules[2] (its \`allow\` list))`,
    );
  });

  it('still loads every resource', async () => {
    const { resources } = await loadPolicies([FILE]);
    expect(resources.map((r) => `${r.kind}/${r.meta.name}`)).toEqual([
      'EgressGateway/agents',
      'EgressL4Route/resolvers',
      'EgressL4Route/quic',
      'EgressFirewallPolicy/never-fire',
    ]);
  });
});
