/**
 * A gateway's routes compiled into indexes, so finding the matches that hold for a destination
 * costs the same at 10 routes and at 100,000.
 *
 *   L4Match ──primary key──► host index   (when it names hosts)
 *                        └─► CIDR index   (else when it names CIDRs)
 *                        └─► any list     (else: ports/protocol/agents only)
 *
 * A candidate found through its primary key is then checked on every other field it gives ("a match
 * holds when all its given fields hold"): a match naming both hosts and CIDRs needs the name *and*
 * the address to fit whenever the request carries the address, which is how CLRK's guide says to
 * harden a name rule against a client that presents one name and dials another address.
 */
import type { HostPattern, CidrBlock, IpAddress, Protocol } from '../policy/values';
import type { DenyResponse, L4Match } from '../policy/types';
import { cidrContainsIp } from '../policy/cidr';
import { createCidrIndex, type CidrIndex } from './cidr-index';
import { createHostIndex, type HostIndex } from './host-index';
import { compilePortSet, type PortSet } from './port-set';
import { compileSelector, describeSelector } from './label-selector';
import { guardCoversCidr, isGuardedName } from './guarded-ranges';
import { coversAll, mayInclude, type Audience } from './audience';
import { extend } from '../policy/extend';

export interface MatchRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** `rules[0].matches[1]` */
  readonly index: string;
}

/** One `rules[].matches[]` entry of a route, ready to test. */
export interface CompiledMatch {
  readonly ref: MatchRef;
  /** The route, and the match as a rule, as decisions name them (made once here, not per request). */
  readonly route: { readonly kind: string; readonly namespace: string; readonly name: string };
  readonly rule: { readonly index: string; readonly label: string };
  /** Listener the route is attached to (`sectionName`); undefined: the whole gateway. */
  readonly listener: string | undefined;
  readonly hostnames: readonly HostPattern[];
  readonly cidrs: readonly CidrBlock[];
  readonly ports: PortSet;
  readonly protocol: Protocol;
  readonly selects: ((labels: Readonly<Record<string, string>>) => boolean) | undefined;
  /** `sourceAgents` as Kubernetes prints it, for explanations (engine/near-miss.ts). */
  readonly selectorText: string | undefined;
  /** Set on matches of a route a deny policy targets. */
  readonly deny?: { readonly policy: MatchRef; readonly response: DenyResponse };
}

export interface RouteTable {
  readonly byHost: HostIndex<CompiledMatch>;
  readonly byCidr: CidrIndex<{ readonly match: CompiledMatch; readonly block: CidrBlock }>;
  readonly anyDestination: readonly CompiledMatch[];
  /** Matches that name hosts: consulted to report `no_name_binding` when a request has no name. */
  readonly byName: readonly CompiledMatch[];
  readonly size: number;
}

/** What the table is asked about; the engine builds it once per request. */
export interface MatchQuery {
  readonly names: readonly string[];
  /**
   * Unproven names for the address `ip`: they find only matches that also list CIDRs, which must
   * then hold the address (the operator pinned it, so the name needs no further proof).
   */
  readonly claims: readonly string[];
  readonly ip: IpAddress | undefined;
  readonly port: number;
  readonly protocol: Protocol;
  /** Listener the request came through; undefined matches only whole-gateway routes. */
  readonly listener: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
}

export interface MatchHit {
  readonly match: CompiledMatch;
}

export function compileMatch(
  match: L4Match,
  ref: MatchRef,
  listener: string | undefined,
  deny?: CompiledMatch['deny'],
): CompiledMatch {
  const compiled = {
    ref,
    route: Object.freeze({ kind: ref.kind, namespace: ref.namespace, name: ref.name }),
    rule: Object.freeze({ index: ref.index, label: ref.index }),
    listener,
    hostnames: match.destinationHostnames,
    cidrs: match.destinationCIDRs,
    ports: compilePortSet(match.ports),
    protocol: match.protocol,
    selects: match.sourceAgents ? compileSelector(match.sourceAgents) : undefined,
    selectorText: match.sourceAgents ? describeSelector(match.sourceAgents) : undefined,
  };
  return Object.freeze(deny ? extend(compiled, { deny }) : compiled);
}

export function buildRouteTable(matches: readonly CompiledMatch[]): RouteTable {
  const hosts = createHostIndex<CompiledMatch>();
  const cidrs = createCidrIndex<{ readonly match: CompiledMatch; readonly block: CidrBlock }>();
  const any: CompiledMatch[] = [];
  const byName: CompiledMatch[] = [];
  for (const m of matches) {
    if (m.hostnames.length > 0) {
      for (const p of m.hostnames) hosts.add(p, m);
      byName.push(m);
    } else if (m.cidrs.length > 0) {
      for (const block of m.cidrs) cidrs.add(block.cidr, { match: m, block });
    } else {
      any.push(m);
    }
  }
  return Object.freeze({
    byHost: hosts.build(),
    byCidr: cidrs.build(),
    anyDestination: Object.freeze(any),
    byName: Object.freeze(byName),
    size: matches.length,
  });
}

/** The non-destination fields: listener scope, protocol, port, agent labels. */
function scopeHolds(m: CompiledMatch, q: MatchQuery): boolean {
  return (
    (m.listener === undefined || m.listener === q.listener) &&
    m.protocol === q.protocol &&
    m.ports.has(q.port) &&
    (m.selects === undefined || m.selects(q.labels))
  );
}

/** Which of the match's CIDR blocks holds the address (respecting `except`), if any. */
function blockFor(m: CompiledMatch, ip: IpAddress): CidrBlock | undefined {
  for (const block of m.cidrs) {
    if (!cidrContainsIp(block.cidr, ip)) continue;
    if (block.except.some((e) => cidrContainsIp(e, ip))) continue;
    return block;
  }
  return undefined;
}

function hit(m: CompiledMatch, q: MatchQuery): MatchHit | undefined {
  if (!scopeHolds(m, q)) return undefined;
  if (m.cidrs.length === 0) return { match: m };
  // No address in the request (a CONNECT by name: Envoy resolves the name itself, the client
  // does not choose the address): the name found this match and decides. Where the client does
  // choose the address (L4, transparent HTTP), the CIDRs must hold too (the "hard boundary").
  if (q.ip === undefined) return m.hostnames.length > 0 ? { match: m } : undefined;
  return blockFor(m, q.ip) ? { match: m } : undefined;
}

/**
 * First match that holds, in the order: by name, by address, destination-free. Which one is
 * reported when several hold is stable for a given snapshot (index order), which is all `explain`
 * needs; the verdict does not depend on it.
 */
export function findMatch(table: RouteTable, q: MatchQuery): MatchHit | undefined {
  let found: MatchHit | undefined;
  for (const name of q.names) {
    table.byHost.forEach(name, (m) => {
      found = hit(m, q);
      return found !== undefined;
    });
    if (found) return found;
  }
  if (q.ip !== undefined) {
    for (const name of q.claims) {
      table.byHost.forEach(name, (m) => {
        found = m.cidrs.length > 0 ? hit(m, q) : undefined;
        return found !== undefined;
      });
      if (found) return found;
    }
    table.byCidr.forEach(q.ip, ({ match }) => {
      found = hit(match, q);
      return found !== undefined;
    });
    if (found) return found;
  }
  for (const m of table.anyDestination) {
    found = hit(m, q);
    if (found) return found;
  }
  return undefined;
}

/**
 * True when a name-bearing match would have held for this request had it carried a name: the
 * `no_name_binding` gap (a deny by name that could not apply for lack of a name). Only asked when
 * the request has no name evidence.
 */
export function nameRuleWouldApply(table: RouteTable, q: MatchQuery): boolean {
  return table.byName.some((m) => scopeHolds(m, q));
}

/**
 * The SSRF guard's exemption, the one definition the gateway layer (for the match that holds) and
 * the DNS layer (for the matches that could) share: a match targets the guarded destination
 * explicitly when its CIDR block holding `ip` lies entirely inside the guarded ranges
 * (`127.0.0.1/32`, not `0.0.0.0/0`), or when it names `guardedName` exactly (`localhost`, not
 * `*.localhost`).
 */
export function matchTargetsGuarded(
  m: CompiledMatch,
  ip: IpAddress | undefined,
  guardedName: string | undefined,
): boolean {
  if (ip !== undefined && m.cidrs.length > 0) {
    const block = blockFor(m, ip);
    if (block !== undefined && guardCoversCidr(block.cidr)) return true;
  }
  return guardedName !== undefined && m.hostnames.some((p) => p.kind === 'exact' && p.suffix === guardedName);
}

// The questions the DNS layer asks (engine/dns-policy.ts). It answers before any connection exists,
// so listener, protocol and port are unknown: "could" questions ask whether some port, address or
// agent of the audience might get an allow; "on all" questions only what holds for every one.

/**
 * Could an allow match of this table let the audience reach `host`, on some port and address? True
 * when the table has a CIDR match (the name's address may fall in it; selectors are not asked, as
 * the resolver never has), a destination-free match that may include the audience, or a match
 * naming hosts that covers `host` and may include the audience.
 */
export function mayAllowName(table: RouteTable, host: string, audience: Audience): boolean {
  if (table.byCidr.size > 0) return true;
  for (const m of table.anyDestination) if (mayInclude(m.selects, audience)) return true;
  let found = false;
  table.byHost.forEach(host, (m) => (found = mayInclude(m.selects, audience)));
  return found;
}

/**
 * Does a match of this (deny) table hold `ip` for every agent of the audience on every port: one
 * naming no hosts and no ports, whose selector covers the audience and whose CIDR block holds `ip`
 * outside its `except` ranges?
 */
export function deniesAddressOnAllPorts(table: RouteTable, ip: IpAddress, audience: Audience): boolean {
  let denied = false;
  table.byCidr.forEach(ip, ({ match, block }) => {
    denied =
      match.ports.any &&
      match.hostnames.length === 0 &&
      coversAll(match.selects, audience) &&
      !block.except.some((e) => cidrContainsIp(e, ip));
    return denied;
  });
  return denied;
}

/**
 * Could an allow match of this table exempt the guarded address `ip` from the SSRF guard for the
 * audience, on some port? Every match that could hold for `ip` (by its CIDRs, or by one of `names`,
 * the names an answer gives for it) and may include the audience is tried with
 * `matchTargetsGuarded`, the test the gateway layer applies to the match that does hold.
 */
export function routeTargetsGuarded(
  table: RouteTable,
  ip: IpAddress,
  audience: Audience,
  names: readonly string[] = [],
): boolean {
  let exempt = false;
  const targets = (m: CompiledMatch, guardedName: string | undefined): boolean =>
    (exempt = mayInclude(m.selects, audience) && matchTargetsGuarded(m, ip, guardedName));
  table.byCidr.forEach(ip, ({ match }) => targets(match, undefined));
  for (const name of names) {
    if (exempt) break;
    const guardedName = isGuardedName(name) ? name : undefined;
    table.byHost.forEach(name, (m) => targets(m, guardedName));
  }
  return exempt;
}
