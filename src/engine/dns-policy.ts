/**
 * Policy at the DNS layer: which queries the resolver refuses, and which answer addresses it strips
 * before a client ever sees them.
 *
 * For an agent:
 * - A query is refused only when the name is denied whatever address it resolves to and whatever
 *   port it is used on: a name-based deny of the global or namespace layers, or no gateway that
 *   could ever allow it (every allow route names hosts, none of them this one, and no default
 *   allow). Anything an address-based rule might still allow is forwarded; its answers are checked.
 * - Every name of an answer's CNAME chain is judged like the queried name by the name-based denies:
 *   `allowed.example CNAME blocked.example` is refused, so a blocked name is never resolved for the
 *   agent through an allowed alias.
 * - An answer address is stripped when it lies in the SSRF-guarded ranges (directly or embedded in
 *   NAT64/6to4/Teredo) and no route could target it explicitly (the gateway layer's own test: a
 *   CIDR inside the guarded ranges holding it, or the answer's guarded name listed exactly, as with
 *   `localhost`), when a deny policy denies it on
 *   every port, or when the agent's firewall policy denies the name resolved to that address (its
 *   CIDR denies included; firewall rules have no ports). This closes DNS rebinding: an allowed name
 *   whose answer points at 169.254.169.254 or into a denied range never reaches the agent.
 *
 * For a trusted proxy (Envoy's dynamic forward proxy, `--dns-proxy-source`): its queries speak for
 * no single agent, so only what no agent could ever reach is refused or stripped: names on the global
 * block list or reachable through no gateway, addresses guarded with no route targeting them for
 * any agent, or denied on every port by a deny policy that selects every agent. Per-agent address
 * rules rest on the pinning of answers instead (dns/answer-cache.ts): the Check for the agent's
 * CONNECT looked the name up through the same cache and judged those addresses for that agent.
 *
 * Each question is asked of the part of the policy that owns it, never by reading another part's
 * internals or by faking a request: route tables answer "could a route allow this name" and "does
 * a deny policy hold this address on every port" (compile/route-table.ts, with the audience of
 * compile/audience.ts), the guard exemption is the one the gateway layer applies, and the global
 * block list and namespace walk judge a name directly (engine/namespace-layer.ts). This file only
 * combines their answers across gateways. engine/dns-policy.differential.test.ts holds the result
 * to `decide`: nothing refused or stripped here is allowed there.
 */
import type { Snapshot, CompiledGateway } from '../compile/snapshot';
import type { Audience } from '../compile/audience';
import { isGuardedIp } from '../compile/guarded-ranges';
import { deniesAddressOnAllPorts, mayAllowName, routeTargetsGuarded } from '../compile/route-table';
import { embeddedIpv4 } from '../policy/ip';
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import { evaluateFirewall } from './firewall-layer';
import { blockedForEveryAgent, blocksName } from './namespace-layer';
import type { Agent, Destination, EgressRequest } from './types';

/** Who asked: one agent, or a trusted proxy asking on behalf of any of them. */
export type DnsAudience = { readonly agent: Agent } | 'any-agent';

/** The audience as route selectors see it (compile/audience.ts): the agent's labels, or any agent. */
function selectorAudience(audience: DnsAudience): Audience {
  return audience === 'any-agent' ? audience : audience.agent;
}

function gateways(snapshot: Snapshot): CompiledGateway[] {
  return [...new Set(snapshot.gateways.values())];
}

/** Could this gateway (its routes, its default or its shadow mode) ever let the audience reach `host`? */
function gatewayMayReach(g: CompiledGateway, host: string, audience: Audience): boolean {
  if (g.resource.defaultPolicy === 'allow-all' || g.resource.mode === 'shadow') return true;
  return mayAllowName(g.allow, host, audience);
}

/** Denied by name whatever the address and port: the global block list, or the agent's namespaces. */
function blockedByName(snapshot: Snapshot, audience: DnsAudience, host: string): boolean {
  return audience === 'any-agent'
    ? blockedForEveryAgent(snapshot.namespaces, host)
    : blocksName(snapshot.namespaces, audience.agent, host);
}

export function dnsQueryVerdict(
  snapshot: Snapshot | undefined,
  audience: DnsAudience,
  name: string,
): 'allow' | 'refuse' {
  if (!snapshot) return 'refuse';
  const normalized = normalizeHostname(name);
  if (!normalized.ok) return 'allow'; // not a host name (SRV labels and the like): nothing to match
  const host = normalized.host;
  if (blockedByName(snapshot, audience, host)) return 'refuse';
  const selectors = selectorAudience(audience);
  if (snapshot.gatewayCount > 0 && !gateways(snapshot).some((g) => gatewayMayReach(g, host, selectors)))
    return 'refuse';
  return 'allow';
}

/** A name an answer's CNAME chain passes through: refused when a name-based deny blocks it. */
export function dnsChainVerdict(
  snapshot: Snapshot | undefined,
  audience: DnsAudience,
  name: string,
): 'allow' | 'refuse' {
  if (!snapshot) return 'refuse';
  const normalized = normalizeHostname(name);
  if (!normalized.ok) return 'allow';
  return blockedByName(snapshot, audience, normalized.host) ? 'refuse' : 'allow';
}

/**
 * Is `ip` guarded for the audience: in a guarded range, with no route that could target it
 * explicitly (for one of `names`, the answer's names, or by its CIDR)?
 */
function guardedFor(
  all: readonly CompiledGateway[],
  audience: Audience,
  names: readonly string[],
  ip: IpAddress,
): boolean {
  const guarding = all.length === 0 || all.some((g) => g.resource.ssrfGuard);
  if (!guarding || !isGuardedIp(ip)) return false;
  return !all.some((g) => routeTargetsGuarded(g.allow, ip, audience, names));
}

/** Does a deny policy deny `ip` to every agent of the audience on every port? */
function deniedEverywhere(all: readonly CompiledGateway[], audience: Audience, ip: IpAddress): boolean {
  return all.some((g) => g.resource.mode !== 'shadow' && deniesAddressOnAllPorts(g.deny, ip, audience));
}

/** The CONNECT by name that firewall rules (which have no ports) are judged on. */
function dnsRequest(host: string): EgressRequest {
  return {
    surface: 'dns',
    source: {},
    destination: { authority: `${host}:443`, authoritySource: 'connect', protocol: 'tcp' },
    context: {},
  };
}

/**
 * Does the agent's firewall policy deny the name when it resolves to `ip`? Judged as Envoy's CONNECT
 * by that name would be (the address as a resolved one), so a carve-out by name that lets a name
 * through "even if it resolved into" a denied range keeps its answer too.
 */
function firewallDenies(snapshot: Snapshot, agent: Agent, names: readonly string[], ip: IpAddress): boolean {
  if (snapshot.firewall.size === 0 || names.length === 0) return false;
  const host = names[0]!;
  const dest: Destination = { names, host, hostEvidence: 'authority', port: 443, protocol: 'tcp' };
  const result = evaluateFirewall(snapshot.firewall, {
    request: dnsRequest(host),
    dest,
    agent,
    resolved: [ip],
  });
  return result.outcome === 'deny';
}

export function dnsAnswerVerdict(
  snapshot: Snapshot | undefined,
  audience: DnsAudience,
  names: readonly string[],
  ip: IpAddress,
): 'keep' | 'strip' {
  if (!snapshot) return 'strip';
  const all = gateways(snapshot);
  const selectors = selectorAudience(audience);
  const inner = ip.family === 6 ? embeddedIpv4(ip) : undefined;
  for (const address of inner ? [ip, inner] : [ip]) {
    if (guardedFor(all, selectors, names, address) || deniedEverywhere(all, selectors, address))
      return 'strip';
  }
  if (audience !== 'any-agent' && firewallDenies(snapshot, audience.agent, names, ip)) return 'strip';
  return 'keep';
}
