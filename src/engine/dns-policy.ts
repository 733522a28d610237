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
 *   NAT64/6to4/Teredo) and no route targets that range explicitly, when a deny policy denies it on
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
 */
import type { Snapshot, CompiledGateway } from '../compile/snapshot';
import { guardCoversCidr, isGuardedIp } from '../compile/guarded-ranges';
import { cidrContainsIp } from '../policy/cidr';
import { embeddedIpv4 } from '../policy/ip';
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import { decide } from './decide';
import { evaluateFirewall } from './firewall-layer';
import { evaluateGlobalBlock } from './namespace-layer';
import type { Agent, Destination, EgressRequest } from './types';

/** Who asked: one agent, or a trusted proxy asking on behalf of any of them. */
export type DnsAudience = { readonly agent: Agent } | 'any-agent';

const NAME_LAYERS = new Set(['global', 'namespace']);

type Selector = ((labels: Readonly<Record<string, string>>) => boolean) | undefined;

/** Could the audience include an agent this selector selects? */
const mayInclude = (selector: Selector, audience: DnsAudience): boolean =>
  selector === undefined || audience === 'any-agent' || selector(audience.agent.labels);

/** Does the selector select every agent of the audience? */
const coversAll = (selector: Selector, audience: DnsAudience): boolean =>
  selector === undefined || (audience !== 'any-agent' && selector(audience.agent.labels));

function gateways(snapshot: Snapshot): CompiledGateway[] {
  return [...new Set(snapshot.gateways.values())];
}

/** Could some allow route of this gateway (or its default) ever let the audience reach `host`? */
function gatewayMayReach(g: CompiledGateway, host: string, audience: DnsAudience): boolean {
  if (g.resource.defaultPolicy === 'allow-all' || g.resource.mode === 'shadow') return true;
  if (g.allow.byCidr.size > 0) return true; // the answer's address may be allowed
  if (g.allow.anyDestination.some((m) => mayInclude(m.selects, audience))) return true;
  let found = false;
  g.allow.byHost.forEach(host, (m) => (found = mayInclude(m.selects, audience)));
  return found;
}

function dnsRequest(host: string): EgressRequest {
  return {
    surface: 'dns',
    source: {},
    destination: { authority: `${host}:443`, authoritySource: 'connect', protocol: 'tcp' },
    context: {},
  };
}

/** Denied by name whatever the address and port: the global block list, or the agent's namespaces. */
function blockedByName(snapshot: Snapshot, audience: DnsAudience, host: string): boolean {
  if (audience === 'any-agent') {
    const dest: Destination = { names: [host], host, hostEvidence: 'authority', port: 443, protocol: 'tcp' };
    const input = { request: dnsRequest(host), dest, agent: ANY };
    return evaluateGlobalBlock(snapshot.namespaces, input).outcome === 'deny';
  }
  const decision = decide(snapshot, dnsRequest(host), audience.agent, { id: 'dns-query' });
  return decision.trace.some((r) => r.outcome === 'deny' && NAME_LAYERS.has(r.layer));
}

/** Stands for "some agent" where only agent-independent layers are evaluated. */
const ANY: Agent = Object.freeze({
  name: 'any-agent',
  namespace: '',
  labels: Object.freeze({}),
  identifiedBy: 'anonymous' as const,
  authenticated: false,
  firewallPolicy: undefined,
});

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
  if (snapshot.gatewayCount > 0 && !gateways(snapshot).some((g) => gatewayMayReach(g, host, audience)))
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

/** Is `ip` guarded for the audience: in a guarded range and targeted explicitly by no route? */
function guardedFor(snapshot: Snapshot, audience: DnsAudience, ip: IpAddress): boolean {
  const all = gateways(snapshot);
  const guarding = all.length === 0 || all.some((g) => g.resource.ssrfGuard);
  if (!guarding || !isGuardedIp(ip)) return false;
  return !all.some((g) => {
    let exempt = false;
    g.allow.byCidr.forEach(ip, ({ match, block }) => {
      exempt = guardCoversCidr(block.cidr) && mayInclude(match.selects, audience);
      return exempt;
    });
    return exempt;
  });
}

/** Does a deny policy deny `ip` to every agent of the audience on every port? */
function deniedEverywhere(snapshot: Snapshot, audience: DnsAudience, ip: IpAddress): boolean {
  return gateways(snapshot).some((g) => {
    if (g.resource.mode === 'shadow') return false;
    let denied = false;
    g.deny.byCidr.forEach(ip, ({ match, block }) => {
      denied =
        match.ports.any &&
        match.hostnames.length === 0 &&
        coversAll(match.selects, audience) &&
        !block.except.some((e) => cidrContainsIp(e, ip));
      return denied;
    });
    return denied;
  });
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
  const inner = ip.family === 6 ? embeddedIpv4(ip) : undefined;
  for (const address of inner ? [ip, inner] : [ip]) {
    if (guardedFor(snapshot, audience, address) || deniedEverywhere(snapshot, audience, address))
      return 'strip';
  }
  if (audience !== 'any-agent' && firewallDenies(snapshot, audience.agent, names, ip)) return 'strip';
  return 'keep';
}
