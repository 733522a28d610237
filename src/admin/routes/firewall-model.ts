/**
 * Firewall policies (the firewall model) as the admin API stores and shows them: the API's
 * snake_case fields (`default_verdict`, `shadow_mode`, `workspace_default`) over an
 * `EgressFirewallPolicy` document, whose rules are kept as written (`egress` lists or OrcaRouter's
 * `egress_json`).
 */
import {
  FIREWALL_POLICY_KIND,
  firewallPolicyDocument,
  firewallPolicySpecOf,
  type FirewallPolicySpec,
  type FirewallRuleSpec,
} from '../../policy/kind-documents';
import { FIREWALL_RULE } from '../../policy/kinds/firewall';
import { bodySchema } from '../../policy/kinds/json-schema';
import type { EgressFirewallPolicy, FirewallRule, Resource } from '../../policy/types';
import { documentKey, type DocumentDraft } from '../../sources/admin-policy';
import type { ResourceDocument } from '../../store/resource-store';
import { SCHEMA, definedInFile, notFound, sourceOf } from '../route-support';

export const FIREWALL_KIND = FIREWALL_POLICY_KIND;
export const POLICIES_PATH = '/api/workspace/firewall/policies';

/** A rule as the API takes it: the spec's own shape (kinds/firewall.ts FIREWALL_RULE). */
export type RuleInput = FirewallRuleSpec;

export interface PolicyInput {
  readonly name?: string;
  readonly default_verdict?: FirewallRule['verdict'];
  readonly shadow_mode?: boolean;
  readonly enabled?: boolean;
  readonly workspace_default?: boolean;
  readonly rules?: readonly RuleInput[];
}

export type PolicySpec = FirewallPolicySpec;

export const firewallKey = (name: string): string => documentKey(FIREWALL_KIND, name);

export function specOf(doc: ResourceDocument): PolicySpec {
  return firewallPolicySpecOf(doc.spec);
}

export function policyDocument(name: string, spec: PolicySpec): ResourceDocument {
  return firewallPolicyDocument(name, spec);
}

export function specFrom(input: PolicyInput, base: PolicySpec): PolicySpec {
  const pick = <T>(given: T | undefined, fallback: T | undefined) => given ?? fallback;
  const defaultVerdict = pick(input.default_verdict, base.defaultVerdict);
  const shadow = pick(input.shadow_mode, base.shadow);
  const enabled = pick(input.enabled, base.enabled);
  const workspaceDefault = pick(input.workspace_default, base.workspaceDefault);
  return {
    ...(defaultVerdict === undefined ? {} : { defaultVerdict }),
    ...(shadow === undefined ? {} : { shadow }),
    ...(enabled === undefined ? {} : { enabled }),
    ...(workspaceDefault === undefined ? {} : { workspaceDefault }),
    rules: input.rules ?? base.rules,
  };
}

function ruleView(rule: FirewallRule): Record<string, unknown> {
  return {
    label: rule.label,
    stage: rule.stage,
    verdict: rule.verdict,
    egress: { allow: rule.allow.map((e) => e.text), deny: rule.deny.map((e) => e.text) },
  };
}

export function policyView(p: EgressFirewallPolicy): Record<string, unknown> {
  return {
    name: p.meta.name,
    namespace: p.meta.namespace,
    default_verdict: p.defaultVerdict,
    shadow_mode: p.shadow,
    enabled: p.enabled,
    workspace_default: p.workspaceDefault,
    rules: p.rules.map(ruleView),
    ...sourceOf(p.meta),
  };
}

export function policiesOf(resources: readonly Resource[]): EgressFirewallPolicy[] {
  return resources.filter((r): r is EgressFirewallPolicy => r.kind === FIREWALL_KIND);
}

/** The stored policy, or the answer for one that is in a file or nowhere. */
export function storedPolicy(
  draft: DocumentDraft,
  resources: readonly Resource[],
  name: string,
): ResourceDocument {
  const doc = draft.get(firewallKey(name));
  if (doc !== undefined) return doc;
  const inFile = policiesOf(resources).find((p) => p.meta.name === name);
  throw inFile === undefined
    ? notFound(`firewall policy ${name}`)
    : definedInFile(`firewall policy ${name}`, inFile.meta.source.file);
}

/** A rule's fields, under the same names in the API as in the spec. */
export const RULE_FIELDS = {
  label: 'label',
  stage: 'stage',
  verdict: 'verdict',
  egress: 'egress',
  egress_json: 'egress_json',
} as const;
export const RULE_SCHEMA = bodySchema(FIREWALL_RULE, RULE_FIELDS);

export const nameParams = { type: 'object', required: ['name'], properties: { name: SCHEMA.resourceName } };

/** The loaded policy (files or store) as the API shows it. */
export function viewPolicy(resources: readonly Resource[], name: string): Record<string, unknown> {
  const p = policiesOf(resources).find((x) => x.meta.name === name);
  if (p === undefined) throw notFound(`firewall policy ${name}`);
  return policyView(p);
}
