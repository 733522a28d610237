/**
 * What would have allowed a denied request: its nearest misses. Computed only for denies, bounded
 * in the candidates it reads and the lines it returns, and phrased as a fix:
 *
 *   route web rules[0].matches[0] holds on listener tcp-out only: attach it to http-out too
 *     (parentRefs sectionName), or send the request through tcp-out (--listener tcp-out)
 *   route db rules[0].matches[0] allows ports 5432, not 5433
 *   route builds rules[0].matches[0] is only for agents with labels team=ci
 *   namespace prod/payments allows api.bank.eu for its agents
 *
 * A route match is a near miss when its destination fits (a name or the address) and only its scope
 * (listener, protocol, port, agent labels, pinned CIDRs) does not; the fewer fields miss, the nearer.
 */
import type { CompiledGateway, Snapshot } from '../compile/snapshot';
import type { CompiledMatch } from '../compile/route-table';
import { cidrContainsIp } from '../policy/cidr';
import type { Agent, Decision, Destination, EgressRequest } from './types';

/** At most this many lines, and this many route candidates read to find them. */
const MAX_MISSES = 3;
const MAX_CANDIDATES = 32;

const NONE: readonly string[] = Object.freeze([]);

/** The decisions a near miss can explain: a route or namespace that did not allow. */
const EXPLAINED = new Set(['gateway_default_deny', 'name_unverified', 'namespace_not_allowed']);

export function nearMisses(
  snapshot: Snapshot,
  request: EgressRequest,
  agent: Agent,
  d: Decision,
): readonly string[] {
  if (d.verdict !== 'deny' || !EXPLAINED.has(d.reasonCode) || d.destination === undefined) return NONE;
  const dest = d.destination;
  if (d.layer === 'namespace') return namespaceMisses(snapshot, agent, dest);
  const wanted = request.context.gateway;
  const gateway = wanted === undefined ? snapshot.soleGateway : snapshot.gateways.get(wanted);
  return gateway === undefined ? NONE : routeMisses(gateway, request, agent, dest);
}

function routeMisses(
  gateway: CompiledGateway,
  request: EgressRequest,
  agent: Agent,
  dest: Destination,
): readonly string[] {
  // Allocated only once something comes near: most denies find no candidate at all.
  let candidates: Set<CompiledMatch> | undefined;
  const add = (m: CompiledMatch): boolean => {
    if (!m.deny) (candidates ??= new Set()).add(m);
    return candidates !== undefined && candidates.size >= MAX_CANDIDATES;
  };
  for (const name of dest.names) gateway.allow.byHost.forEach(name, add);
  for (const name of dest.claims ?? NONE) gateway.allow.byHost.forEach(name, add);
  if (dest.ip !== undefined) gateway.allow.byCidr.forEach(dest.ip, ({ match }) => add(match));
  const any = gateway.allow.anyDestination;
  for (let i = 0; i < any.length && i < MAX_CANDIDATES; i++) if (add(any[i]!)) break;
  if (candidates === undefined) return NONE;

  const ranked: { misses: string[]; match: CompiledMatch }[] = [];
  for (const m of candidates) {
    const misses = scopeMisses(m, request, agent, dest);
    if (misses.length > 0) ranked.push({ misses, match: m });
  }
  ranked.sort((a, b) => a.misses.length - b.misses.length);
  return ranked
    .slice(0, MAX_MISSES)
    .map(({ match, misses }) => `route ${match.ref.name} ${match.ref.index} ${misses.join(', and ')}`);
}

/** Each field of the match's scope the request does not meet, phrased as what to change. */
function scopeMisses(m: CompiledMatch, request: EgressRequest, agent: Agent, dest: Destination): string[] {
  const out: string[] = [];
  const listener = request.context.listener;
  if (m.listener !== undefined && m.listener !== listener) {
    out.push(
      `holds on listener ${m.listener} only: attach it to ${listener === undefined ? 'the whole gateway' : listener} too (parentRefs sectionName), or send the request through ${m.listener} (--listener ${m.listener})`,
    );
  }
  if (m.protocol !== dest.protocol) out.push(`matches ${m.protocol.toUpperCase()} only`);
  if (!m.ports.has(dest.port)) {
    const ports = m.ports.ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`));
    out.push(
      `allows port${ports.length === 1 && !ports[0]!.includes('-') ? '' : 's'} ${ports.join(', ')}, not ${dest.port}`,
    );
  }
  if (m.selects !== undefined && !m.selects(agent.labels)) {
    out.push(
      `is only for agents with labels ${m.selectorText ?? 'it selects'} (agent ${agent.name} has ${labelsText(agent.labels)})`,
    );
  }
  const ip = dest.ip;
  if (ip !== undefined && m.cidrs.length > 0 && m.hostnames.length > 0) {
    const pinned = m.cidrs.some(
      (b) => cidrContainsIp(b.cidr, ip) && !b.except.some((e) => cidrContainsIp(e, ip)),
    );
    if (!pinned) out.push(`pins the name to ${m.cidrs.map((b) => b.cidr.text).join(', ')}, not ${ip.text}`);
  }
  return out;
}

function labelsText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length === 0 ? 'none' : pairs.join(',');
}

/** Namespaces other than the agent's that allow the host: one lookup in the compiled index. */
function namespaceMisses(snapshot: Snapshot, agent: Agent, dest: Destination): readonly string[] {
  const host = dest.host;
  if (host === undefined) return NONE;
  let out: string[] | undefined;
  snapshot.namespaces.allowedAnywhere.forEach(host, (path) => {
    if (path === agent.namespace) return false;
    (out ??= []).push(`namespace ${path} allows ${host} for its agents`);
    return out.length >= MAX_MISSES;
  });
  return out ?? NONE;
}
