/**
 * Policy at the DNS layer: which queries the resolver refuses, and which
 * answer addresses it strips before an agent ever sees them.
 *
 * - A query is refused only when the name is denied whatever address it resolves to and whatever
 *   port it is used on: a name-based deny of the global or namespace layers, or no gateway that
 *   could ever allow it (every allow route names hosts, none of them this one, and no default
 *   allow). Anything an address-based rule might still allow is forwarded; its answers are checked.
 * - An answer address is stripped when it lies in the SSRF-guarded ranges (directly or embedded in
 *   NAT64/6to4/Teredo) and no route targets that range explicitly, or inside a CIDR that a deny
 *   policy denies on every port. This closes DNS rebinding: an allowed name whose answer points at
 *   169.254.169.254 never reaches the agent.
 */
import type { Snapshot, CompiledGateway } from '../compile/snapshot';
import { guardCoversCidr, isGuardedIp } from '../compile/guarded-ranges';
import { cidrContainsIp } from '../policy/cidr';
import { embeddedIpv4 } from '../policy/ip';
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import { decide } from './decide';
import type { Agent } from './types';

const NAME_LAYERS = new Set(['global', 'namespace']);

const selects = (
  selector: ((labels: Readonly<Record<string, string>>) => boolean) | undefined,
  agent: Agent,
) => selector === undefined || selector(agent.labels);

function gateways(snapshot: Snapshot): CompiledGateway[] {
  return [...new Set(snapshot.gateways.values())];
}

/** Could some allow route of this gateway (or its default) ever let this agent reach `host`? */
function gatewayMayReach(g: CompiledGateway, host: string, agent: Agent): boolean {
  if (g.resource.defaultPolicy === 'allow-all' || g.resource.mode === 'shadow') return true;
  if (g.allow.byCidr.size > 0) return true; // the answer's address may be allowed
  if (g.allow.anyDestination.some((m) => selects(m.selects, agent))) return true;
  let found = false;
  g.allow.byHost.forEach(host, (m) => (found = selects(m.selects, agent)));
  return found;
}

export function dnsQueryVerdict(
  snapshot: Snapshot | undefined,
  agent: Agent,
  name: string,
): 'allow' | 'refuse' {
  if (!snapshot) return 'refuse';
  const normalized = normalizeHostname(name);
  if (!normalized.ok) return 'allow'; // not a host name (SRV labels and the like): nothing to match
  const host = normalized.host;
  const decision = decide(
    snapshot,
    {
      surface: 'dns',
      source: {},
      destination: { authority: `${host}:443`, authoritySource: 'connect', protocol: 'tcp' },
      context: {},
    },
    agent,
    { id: 'dns-query' },
  );
  if (decision.trace.some((r) => r.outcome === 'deny' && NAME_LAYERS.has(r.layer))) return 'refuse';
  if (snapshot.gatewayCount > 0 && !gateways(snapshot).some((g) => gatewayMayReach(g, host, agent)))
    return 'refuse';
  return 'allow';
}

/** Is `ip` guarded for this agent: in a guarded range and not targeted explicitly by any route? */
function guardedFor(snapshot: Snapshot, agent: Agent, ip: IpAddress): boolean {
  const all = gateways(snapshot);
  const guarding = all.length === 0 || all.some((g) => g.resource.ssrfGuard);
  if (!guarding || !isGuardedIp(ip)) return false;
  return !all.some((g) => {
    let exempt = false;
    g.allow.byCidr.forEach(ip, ({ match, block }) => {
      exempt = guardCoversCidr(block.cidr) && selects(match.selects, agent);
      return exempt;
    });
    return exempt;
  });
}

/** Does a deny policy deny `ip` to this agent on every port? */
function deniedEverywhere(snapshot: Snapshot, agent: Agent, ip: IpAddress): boolean {
  return gateways(snapshot).some((g) => {
    if (g.resource.mode === 'shadow') return false;
    let denied = false;
    g.deny.byCidr.forEach(ip, ({ match, block }) => {
      denied =
        match.ports.any &&
        match.hostnames.length === 0 &&
        selects(match.selects, agent) &&
        !block.except.some((e) => cidrContainsIp(e, ip));
      return denied;
    });
    return denied;
  });
}

export function dnsAnswerVerdict(
  snapshot: Snapshot | undefined,
  agent: Agent,
  _names: readonly string[],
  ip: IpAddress,
): 'keep' | 'strip' {
  if (!snapshot) return 'strip';
  const inner = ip.family === 6 ? embeddedIpv4(ip) : undefined;
  for (const address of inner ? [ip, inner] : [ip]) {
    if (guardedFor(snapshot, agent, address) || deniedEverywhere(snapshot, agent, address)) return 'strip';
  }
  return 'keep';
}
