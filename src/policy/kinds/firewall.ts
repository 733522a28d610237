/** `EgressFirewallPolicy` (validate-firewall.ts, validate-firewall-egress.ts). */
import type { FirewallRule } from '../types';
import { alias, boolean, enumString, list, object, string } from './schema-node';

const VERDICTS: readonly FirewallRule['verdict'][] = ['allow', 'deny', 'audit'];

const ENTRY = string('A host pattern, IP address or CIDR', {
  minLength: 1,
  maxLength: 260,
  handChecked: true,
  example: '169.254.169.254',
});

export const EGRESS_LISTS = object(
  "A rule's lists; together they hold at least one entry",
  {
    allow: list(ENTRY, 'The scope of allow and audit rules; exceptions of deny rules', { maxItems: 10_000 }),
    deny: list(ENTRY, 'The scope of deny rules; exceptions of allow and audit rules', { maxItems: 10_000 }),
  },
  { example: { deny: ['169.254.169.254'] } },
);

export const FIREWALL_RULE = object(
  'A rule; the first rule whose scope holds the destination decides. Give `egress` or `egress_json`',
  {
    label: string('Names the rule in decisions; unique in the policy', {
      minLength: 1,
      maxLength: 200,
      example: 'deny metadata',
    }),
    stage: string('The surface: `egress` (default) or `` (all); other OrcaRouter stages never apply here', {
      maxLength: 32,
      example: 'egress',
    }),
    verdict: enumString(VERDICTS, 'What the rule does to the destinations in its scope'),
    egress: EGRESS_LISTS,
    egress_json: string('OrcaRouter\'s form: `egress` as JSON text, `{"deny": [...], "allow": [...]}`', {
      maxLength: 1_000_000,
      example: '{"deny": ["169.254.169.254"]}',
    }),
  },
  {
    required: ['label', 'verdict'],
    alternatives: [['egress'], ['egress_json']],
    example: { label: 'deny metadata', verdict: 'deny', egress: { deny: ['169.254.169.254'] } },
  },
);

export const FIREWALL_SPEC = object('Ordered rules, a default verdict, and how the policy is attached', {
  rules: list(FIREWALL_RULE, 'Tried in order; the first in scope decides', { maxItems: 1000 }),
  defaultVerdict: enumString(VERDICTS, 'The verdict when no rule is in scope (default audit)'),
  default_verdict: alias('defaultVerdict', "OrcaRouter's"),
  shadow: boolean('Record denies without enforcing them (default false)'),
  shadow_mode: alias('shadow', "OrcaRouter's"),
  workspaceDefault: boolean('The policy of agents with none attached; at most one enabled policy sets it'),
  enabled: boolean('A disabled policy applies to nobody (default true)'),
});
