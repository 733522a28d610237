/**
 * Layer 5 (docs/architecture.md): the agent's `EgressFirewallPolicy`, or the workspace default
 * (the firewall model). Rules are tried in order and the first one in scope decides; no rule in scope leaves
 * the policy's `defaultVerdict`.
 *
 * Scope and carve-outs, as the firewall model defines them. A deny rule's deny list is its scope
 * and its allow list carves exceptions out; an allow rule flips that. An audit rule reads like an
 * allow rule (its allow list is the scope, its deny list carves out), since audit, like allow, lets
 * the call through and only logs it.
 *
 * What an entry is matched against, strongest evidence first:
 *   address   the address the connection goes to (`dest.ip`) and, for deny lists only, the IPv4
 *             embedded in it (NAT64, 6to4, Teredo: checked against deny rules only)
 *   name      every name the request's evidence supports (`dest.names`)
 *   resolved  the addresses the name resolved to, best effort (`input.resolved`)
 * A deny rule's carve-out must match on evidence at least as strong as what put the destination in
 * scope. So a carve-out by name lets api.openai.com through "even if it ever resolved into" a
 * denied range (the firewall model's own words), but a name (an SNI anyone can send) never lets a
 * connection to a denied address through, and an address that DNS produced never undoes a deny by
 * name. An allow rule's carve-outs are denials, so any match at all applies them.
 *
 * A rule whose stored list was unreadable (`brokenList`, legacy rows only): "an enforcing deny rule
 * still gates … but an allow rule with a broken list will not fire", as the firewall model has it.
 */
import type {
  CompiledEntryList,
  CompiledFirewallPolicy,
  CompiledFirewallRule,
  FirewallLayer,
} from '../compile/firewall-layer';
import { selectFirewallPolicy, type FirewallSelection } from '../compile/firewall-layer';
import type { FirewallEntry } from '../policy/types';
import type { IpAddress } from '../policy/values';
import { describeTarget } from './describe';
import { layerResult, shadowOf, type LayerInput } from './layer';
import type { Destination, LayerResult, ReasonCode } from './types';

type Strength = 1 | 2 | 3;
const RESOLVED: Strength = 1;
const NAME: Strength = 2;
const ADDRESS: Strength = 3;

interface ListHit {
  readonly entry: FirewallEntry;
  readonly strength: Strength;
  /** How the destination met the entry, for the reason: ` (resolved to 10.0.0.5)`. */
  readonly via: string;
}

type Scope = { readonly hit: ListHit } | { readonly broken: string };

/** Shared, so a snapshot without firewall policies costs nothing per request. */
const NONE_LOADED: LayerResult = Object.freeze(
  layerResult('firewall', 'abstain', undefined, 'no firewall policy is loaded'),
);

export function evaluateFirewall(layer: FirewallLayer, input: LayerInput): LayerResult {
  if (layer.size === 0) return NONE_LOADED;
  const requested = input.agent.firewallPolicy;
  const selection = selectFirewallPolicy(layer, requested);
  const gap = attachmentGap(layer, requested, input.agent.name);
  if (selection.policy === undefined) {
    return layerResult(
      'firewall',
      'abstain',
      undefined,
      `no firewall policy applies: ${gap ?? `agent ${input.agent.name} names none`} and there is no workspace default`,
    );
  }
  const policy = selection.policy;
  const target = input.target ?? describeTarget(input.dest);
  const via = attachment(selection, gap);
  const from = via === '' ? policy.title : `${policy.title}${via}`;
  if (input.resolutionFailure !== undefined && policy.hasAddressEntries && input.dest.ip === undefined) {
    // The policy judges addresses, and the addresses this name leads to are unknown: fail closed.
    const result = layerResult(
      'firewall',
      'deny',
      'resolution_failed',
      `${from} lists IP or CIDR entries, so ${target} is judged by its addresses too, and looking it up through Portcullis's resolver failed (${input.resolutionFailure})`,
      policy.ref,
    );
    return policy.resource.shadow ? shadowOf(result) : result;
  }
  const positions = candidates(policy, input.dest, input.resolved);
  for (let i = 0; i < positions.length; i++) {
    if (i > 0 && positions[i] === positions[i - 1]) continue;
    const rule = policy.rules[positions[i]!]!;
    const scope = inScope(rule, input.dest, input.resolved);
    if (scope !== undefined) return ruleResult(policy, rule, scope, target, from);
  }
  return defaultResult(policy, target, from);
}

/**
 * Positions of the rules whose scope list has an entry the destination could meet, ascending: only
 * these can be in scope, and trying them in order keeps "first in-scope rule wins". A plain array
 * sorted in place (duplicates are skipped by the caller): a policy yields a handful at most.
 */
function candidates(
  policy: CompiledFirewallPolicy,
  dest: Destination,
  resolved: readonly IpAddress[] | undefined,
): number[] {
  const found: number[] = policy.alwaysInScope.length === 0 ? [] : policy.alwaysInScope.slice();
  const add = (position: number): void => void found.push(position);
  for (let i = 0; i < dest.names.length; i++) policy.scopeHosts.forEach(dest.names[i]!, add);
  if (dest.ip !== undefined) policy.scopeAddresses.forEach(dest.ip, add);
  if (dest.embeddedIpv4 !== undefined) policy.scopeAddresses.forEach(dest.embeddedIpv4, add);
  if (resolved !== undefined) for (const ip of resolved) policy.scopeAddresses.forEach(ip, add);
  if (found.length > 1) found.sort((x, y) => x - y);
  return found;
}

function inScope(
  rule: CompiledFirewallRule,
  dest: Destination,
  resolved: readonly IpAddress[] | undefined,
): Scope | undefined {
  if (rule.brokenList !== undefined) return rule.verdict === 'deny' ? { broken: rule.brokenList } : undefined;
  const denies = rule.verdict === 'deny';
  const hit = matchList(denies ? rule.deny : rule.allow, dest, resolved, denies);
  if (hit === undefined) return undefined;
  const carve = matchList(denies ? rule.allow : rule.deny, dest, resolved, !denies);
  if (carve !== undefined && (!denies || carve.strength >= hit.strength)) return undefined;
  return { hit };
}

/** The strongest way the destination meets an entry of `list`, if it does. */
function matchList(
  list: CompiledEntryList,
  dest: Destination,
  resolved: readonly IpAddress[] | undefined,
  withEmbedded: boolean,
): ListHit | undefined {
  if (list.size === 0) return undefined;
  if (dest.ip !== undefined) {
    const entry = list.addresses.first(dest.ip);
    if (entry !== undefined) {
      return { entry, strength: ADDRESS, via: dest.host === undefined ? '' : ` (address ${dest.ip.text})` };
    }
    if (withEmbedded && dest.embeddedIpv4 !== undefined) {
      const embedded = list.addresses.first(dest.embeddedIpv4);
      if (embedded !== undefined) {
        return { entry: embedded, strength: ADDRESS, via: ` (embedded IPv4 ${dest.embeddedIpv4.text})` };
      }
    }
  }
  for (const name of dest.names) {
    const entry = list.hosts.first(name);
    if (entry !== undefined) return { entry, strength: NAME, via: name === dest.host ? '' : ` (as ${name})` };
  }
  for (const ip of resolved ?? []) {
    const entry = list.addresses.first(ip);
    if (entry !== undefined) return { entry, strength: RESOLVED, via: ` (resolved to ${ip.text})` };
  }
  return undefined;
}

function ruleResult(
  policy: CompiledFirewallPolicy,
  rule: CompiledFirewallRule,
  scope: Scope,
  target: string,
  from: string,
): LayerResult {
  const named = `rule "${rule.ref.label}" (${rule.ref.index}) of ${from}`;
  if ('broken' in scope) {
    return denied(
      policy,
      rule,
      `${named} has an unreadable egress list (${scope.broken}); a deny rule with a broken list gates every destination, including ${target}`,
    );
  }
  const matched = `${target} matches ${rule.verdict === 'deny' ? 'deny' : 'allow'} entry ${scope.hit.entry.text}${scope.hit.via}`;
  switch (rule.verdict) {
    case 'deny':
      return denied(policy, rule, `${matched} of deny ${named}`);
    case 'allow':
      return layerResult(
        'firewall',
        'allow',
        'firewall_rule_allowed',
        `${matched} of allow ${named}`,
        policy.ref,
        rule.ref,
      );
    case 'audit':
      return layerResult(
        'firewall',
        'audit',
        'firewall_audit',
        `${matched} of audit ${named}; let through and logged`,
        policy.ref,
        rule.ref,
      );
  }
}

/** A deny rule's result; shadow mode downgrades it to an audit record ("[shadow] would deny — …"). */
function denied(policy: CompiledFirewallPolicy, rule: CompiledFirewallRule, reason: string): LayerResult {
  const result = layerResult('firewall', 'deny', 'firewall_rule_denied', reason, policy.ref, rule.ref);
  return policy.resource.shadow ? shadowOf(result) : result;
}

const DEFAULT_CODES: Readonly<Record<CompiledFirewallPolicy['resource']['defaultVerdict'], ReasonCode>> = {
  allow: 'firewall_default_allowed',
  deny: 'firewall_default_denied',
  audit: 'firewall_audit',
};

function defaultResult(policy: CompiledFirewallPolicy, target: string, from: string): LayerResult {
  const verdict = policy.resource.defaultVerdict;
  const reason = `no rule of ${from} covers ${target}; its default verdict is ${verdict}`;
  const result = layerResult('firewall', verdict, DEFAULT_CODES[verdict], reason, policy.ref);
  return policy.resource.shadow && verdict === 'deny' ? shadowOf(result) : result;
}

/** Why the agent's own policy was passed over, when it names one that is not used. */
function attachmentGap(
  layer: FirewallLayer,
  requested: string | undefined,
  agent: string,
): string | undefined {
  if (requested === undefined) return undefined;
  const named = layer.policies.get(requested);
  if (named === undefined) return `agent ${agent} names policy "${requested}", which is not loaded`;
  if (!named.resource.enabled) return `agent ${agent} names policy "${requested}", which is disabled`;
  return undefined;
}

function attachment(selection: FirewallSelection, gap: string | undefined): string {
  if (selection.via !== 'workspace-default') return '';
  return gap === undefined ? ' (workspace default)' : ` (workspace default: ${gap})`;
}
