/**
 * Validates inline YAML through the real loader (`validateDocuments`), for tests of particular
 * kinds. `kinds` documents which validators a test exercises; they must be registered.
 */
import { parseDocuments } from '../../src/policy/documents';
import type { EgressFirewallPolicy, Issue, Resource } from '../../src/policy/types';
import { validateDocuments } from '../../src/policy/validate';
import { firewallPolicyKind } from '../../src/policy/validate-firewall';
import type { KindValidator } from '../../src/policy/validate-kind';
import { KINDS } from '../../src/policy/validate-registry';

export interface Validated {
  readonly resources: Resource[];
  readonly issues: Issue[];
}

export function validateWith(kinds: readonly KindValidator[], text: string, file = 'inline.yaml'): Validated {
  for (const k of kinds) if (KINDS.get(k.kind) !== k) throw new Error(`kind ${k.kind} is not registered`);
  const parsed = parseDocuments(file, text);
  const validated = validateDocuments(parsed.docs);
  return { resources: validated.resources, issues: [...parsed.issues, ...validated.issues] };
}

export function errorsOf(validated: Validated): [string, string][] {
  return validated.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.path]);
}

/** The EgressFirewallPolicy resources of inline YAML, through the real loader; throws on any error. */
export function firewallPoliciesFromYaml(text: string): EgressFirewallPolicy[] {
  const validated = validateWith([firewallPolicyKind], text);
  const errors = errorsOf(validated);
  if (errors.length > 0) throw new Error(JSON.stringify(errors));
  return validated.resources.filter((r): r is EgressFirewallPolicy => r.kind === 'EgressFirewallPolicy');
}
