/**
 * `EgressFirewallPolicy` resources compiled for layer 5 (docs/architecture.md): policies by name,
 * the workspace default, and each rule's allow and deny lists indexed (host names in a host index,
 * CIDRs and IP literals in a CIDR index) so that testing a rule looks entries up rather than
 * scanning them.
 *
 * Rules whose stage is not `egress` or `` (all stages) are dropped here: the firewall model's other
 * surfaces (inbound, response, mcp) never see a network destination, so they can never be in scope.
 */
import type { EgressFirewallPolicy, FirewallEntry, FirewallRule, Resource } from '../policy/types';
import type { Cidr } from '../policy/values';
import { createCidrIndex, type CidrIndex } from './cidr-index';
import { createHostIndex, type HostIndex } from './host-index';
import { extend } from '../policy/extend';

export interface CompiledEntryList {
  readonly size: number;
  readonly hosts: HostIndex<FirewallEntry>;
  /** CIDR entries, and IP literals as /32 or /128. */
  readonly addresses: CidrIndex<FirewallEntry>;
}

export interface CompiledFirewallRule {
  /** `rules[2]` (position in the policy as written) and the rule's label. */
  readonly ref: { readonly index: string; readonly label: string };
  readonly verdict: FirewallRule['verdict'];
  readonly allow: CompiledEntryList;
  readonly deny: CompiledEntryList;
  /** Set only on legacy stored rows whose list could not be read (see `FirewallRule.brokenList`). */
  readonly brokenList?: string;
}

export interface CompiledFirewallPolicy {
  readonly ref: { readonly kind: 'EgressFirewallPolicy'; readonly namespace: string; readonly name: string };
  /** `firewall policy default/strict`, as reasons name it. */
  readonly title: string;
  readonly resource: EgressFirewallPolicy;
  /** The rules that apply to egress, in order. */
  readonly rules: readonly CompiledFirewallRule[];
  /** Some egress rule lists an IP or CIDR, so a destination known only by name must be resolved. */
  readonly hasAddressEntries: boolean;
  /**
   * Every entry of every rule's scope list (deny list of deny rules, allow list of the others),
   * pointing at the rule's position in `rules`: the evaluator looks up which rules could be in scope
   * instead of trying each rule in turn, so a policy of many rules costs a few lookups.
   */
  readonly scopeHosts: HostIndex<number>;
  readonly scopeAddresses: CidrIndex<number>;
  /** Positions of deny rules whose stored list is broken: an enforcing deny rule still gates. */
  readonly alwaysInScope: readonly number[];
}

export interface FirewallLayer {
  /** By `namespace/name`, and by bare `name` (the first in load order when namespaces share one). */
  readonly policies: ReadonlyMap<string, CompiledFirewallPolicy>;
  /** The first enabled policy marked `workspaceDefault` (validation allows only one). */
  readonly workspaceDefault: CompiledFirewallPolicy | undefined;
  readonly size: number;
}

/** Which policy applies to an agent, and why: the key's attached policy, else the workspace default. */
export type FirewallSelection =
  | { readonly policy: CompiledFirewallPolicy; readonly via: 'key' | 'workspace-default' }
  | { readonly policy: undefined; readonly via: 'none' };

export function compileFirewallLayer(resources: readonly Resource[]): FirewallLayer {
  const policies = new Map<string, CompiledFirewallPolicy>();
  let workspaceDefault: CompiledFirewallPolicy | undefined;
  let size = 0;
  for (const resource of resources) {
    if (resource.kind !== 'EgressFirewallPolicy') continue;
    const compiled = compilePolicy(resource);
    size += 1;
    policies.set(`${resource.meta.namespace}/${resource.meta.name}`, compiled);
    if (!policies.has(resource.meta.name)) policies.set(resource.meta.name, compiled);
    if (resource.enabled && resource.workspaceDefault) workspaceDefault ??= compiled;
  }
  return Object.freeze({ policies, workspaceDefault, size });
}

/**
 * "The key's attached policy (when it exists and is enabled), else the workspace default", as the
 * firewall model resolves it. A named policy that is missing or disabled falls back rather than
 * denying; the evaluator's reason names the fallback so the gap is visible.
 */
export function selectFirewallPolicy(layer: FirewallLayer, name: string | undefined): FirewallSelection {
  const named = name === undefined ? undefined : layer.policies.get(name);
  if (named !== undefined && named.resource.enabled) return { policy: named, via: 'key' };
  if (layer.workspaceDefault !== undefined)
    return { policy: layer.workspaceDefault, via: 'workspace-default' };
  return { policy: undefined, via: 'none' };
}

/**
 * True when the caller should resolve `host` before deciding: the applicable policy has an IP or
 * CIDR entry in an egress rule and the destination is a name, so "metadata.internal still matches a
 * 169.254.0.0/16 deny even though it isn't listed by name" (the firewall model's example,
 * test/fixtures/seeds/002/firewall.yaml).
 */
export function firewallNeedsResolution(
  layer: FirewallLayer,
  agentFirewallPolicy: string | undefined,
  host: string | undefined,
): boolean {
  if (host === undefined || host === '') return false;
  const { policy } = selectFirewallPolicy(layer, agentFirewallPolicy);
  return policy !== undefined && policy.hasAddressEntries;
}

function compilePolicy(resource: EgressFirewallPolicy): CompiledFirewallPolicy {
  const rules: CompiledFirewallRule[] = [];
  const scopeHosts = createHostIndex<number>();
  const scopeAddresses = createCidrIndex<number>();
  const alwaysInScope: number[] = [];
  let hasAddressEntries = false;
  resource.rules.forEach((rule, index) => {
    if (rule.stage !== 'egress' && rule.stage !== '') return;
    const position = rules.length;
    if (rule.brokenList !== undefined && rule.verdict === 'deny') alwaysInScope.push(position);
    for (const entry of rule.verdict === 'deny' ? rule.deny : rule.allow) {
      if (entry.kind === 'host') scopeHosts.add(entry.pattern, position);
      else scopeAddresses.add(entry.kind === 'cidr' ? entry.cidr : hostCidr(entry.ip), position);
    }
    const allow = compileList(rule.allow);
    const deny = compileList(rule.deny);
    hasAddressEntries ||= allow.addresses.size > 0 || deny.addresses.size > 0;
    const compiled: CompiledFirewallRule = {
      ref: Object.freeze({ index: `rules[${index}]`, label: rule.label }),
      verdict: rule.verdict,
      allow,
      deny,
    };
    rules.push(
      Object.freeze(
        rule.brokenList === undefined ? compiled : extend(compiled, { brokenList: rule.brokenList }),
      ),
    );
  });
  return Object.freeze({
    ref: Object.freeze({
      kind: 'EgressFirewallPolicy' as const,
      namespace: resource.meta.namespace,
      name: resource.meta.name,
    }),
    title: `firewall policy ${resource.meta.namespace}/${resource.meta.name}`,
    resource,
    rules: Object.freeze(rules),
    hasAddressEntries,
    scopeHosts: scopeHosts.build(),
    scopeAddresses: scopeAddresses.build(),
    alwaysInScope: Object.freeze(alwaysInScope),
  });
}

function compileList(entries: readonly FirewallEntry[]): CompiledEntryList {
  const hosts = createHostIndex<FirewallEntry>();
  const addresses = createCidrIndex<FirewallEntry>();
  for (const entry of entries) {
    if (entry.kind === 'host') hosts.add(entry.pattern, entry);
    else addresses.add(entry.kind === 'cidr' ? entry.cidr : hostCidr(entry.ip), entry);
  }
  return Object.freeze({ size: entries.length, hosts: hosts.build(), addresses: addresses.build() });
}

function hostCidr(ip: Cidr['address']): Cidr {
  const prefixLength = ip.family === 4 ? 32 : 128;
  return { address: ip, prefixLength, text: `${ip.text}/${prefixLength}` };
}
