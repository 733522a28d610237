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

/** At most this many lines, and this many route candidates and namespaces read to find them. */
const MAX_MISSES = 3;
const MAX_CANDIDATES = 32;
const MAX_NAMESPACES = 10_000;

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
  const candidates = new Set<CompiledMatch>();
  const add = (m: CompiledMatch): boolean => {
    if (!m.deny) candidates.add(m);
    return candidates.size >= MAX_CANDIDATES;
  };
  for (const name of [...dest.names, ...(dest.claims ?? [])]) gateway.allow.byHost.forEach(name, add);
  if (dest.ip !== undefined) gateway.allow.byCidr.forEach(dest.ip, ({ match }) => add(match));
  for (const m of gateway.allow.anyDestination) if (add(m)) break;

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

function namespaceMisses(snapshot: Snapshot, agent: Agent, dest: Destination): readonly string[] {
  const host = dest.host;
  if (host === undefined) return NONE;
  const out: string[] = [];
  let read = 0;
  for (const [path, ns] of snapshot.namespaces.namespaces) {
    if (++read > MAX_NAMESPACES || out.length >= MAX_MISSES) break;
    if (path === agent.namespace || ns.allowed === undefined) continue;
    if (ns.allowed.first(host) !== undefined) {
      out.push(`namespace ${path === '' ? '(root)' : path} allows ${host} for its agents`);
    }
  }
  return out;
}
