/**
 * Names as evidence, and which of them are proven for the address the connection is dialled to.
 *
 * Where Envoy connects to an address the client chose (the network filter, transparent HTTP behind
 * `original_dst`), a Host or SNI is the client's claim: anyone can send `SNI api.openai.com` to
 * 6.6.6.6. A claimed name counts towards an allow only when it is proven for that address:
 *   - this agent's DNS bindings map the address to the name (it resolved the name through
 *     Portcullis's resolver and got this address), or
 *   - with the gateway's `nameProof: resolve` (the default), a bounded lookup of the name through
 *     Portcullis's own resolver returns the address.
 * A route match that also lists CIDRs holding the address needs no proof: the operator pinned the
 * address, and the route table already demands that the address fit (compile/route-table.ts).
 *
 * Unproven names still count towards a deny: a deny by name applies on the claim. So `decide` judges
 * the request twice when a claim is unproven: with every name (any deny wins), then with the proven
 * names only (an allow must not rest on the claim). `nameProof: none` believes every claim.
 *
 * The names this agent's bindings give for the address are evidence of their own (`dns-binding`):
 * for raw TCP with no SNI they are the only names there are.
 */
import type { IpAddress } from '../policy/values';
import { extend } from '../policy/extend';
import type { DecisionNote, Destination, HostEvidence } from './types';

/** Names this agent resolved to an address, newest first; empty when none are live. */
export type BindingLookup = (ip: IpAddress) => readonly string[];

/** How a gateway proves a claimed name for the dialled address (EgressGateway `nameProof`). */
export type NameProofMode = 'binding' | 'resolve' | 'none';

/** A lookup of a destination name through Portcullis's resolver, made by the caller before `decide`. */
export interface NameLookup {
  readonly host: string;
  /** The addresses the name resolved to (empty when the lookup failed). */
  readonly addresses: readonly IpAddress[];
  /** Why there are no usable addresses: `timed out`, `SERVFAIL`, `no such name`, `no addresses`. */
  readonly failure?: string | undefined;
}

export interface Evidence {
  /** Every name: proven ones first, then unproven claims (a deny by name applies to all of them). */
  readonly dest: Destination;
  /** The destination with its proven names only, when some claim is unproven; else undefined. */
  readonly proven: Destination | undefined;
  /** Why the claims are unproven, for the `name_unverified` reason. */
  readonly unproven: string | undefined;
  readonly notes: readonly DecisionNote[];
}

const NO_NOTES: readonly DecisionNote[] = Object.freeze([]);

export function weighEvidence(
  dest: Destination,
  bindings: BindingLookup | undefined,
  mode: NameProofMode,
  lookup: NameLookup | undefined,
): Evidence {
  const ip = dest.ip;
  if (ip === undefined) return settled(dest, NO_NOTES);
  const bound = bindings === undefined ? [] : bindings(ip);
  // A CONNECT or absolute-form authority with an IP literal carries no name to prove.
  if (dest.hostEvidence === 'authority' || (dest.names.length === 0 && bound.length === 0)) {
    return settled(dest, NO_NOTES);
  }
  if (dest.names.length === 0) return settled(withNames(dest, bound, bound[0]!, 'dns-binding'), NO_NOTES);

  const claims = dest.names;
  const sniMismatch =
    dest.hostEvidence === 'sni' && bound.length > 0 && !bound.includes(dest.host!)
      ? 'sni_mismatch'
      : undefined;
  const proven: string[] = [];
  const unproven: string[] = [];
  for (const name of claims) {
    const looked = mode === 'resolve' && resolvesTo(lookup, name, ip);
    if (mode === 'none' || looked || bound.includes(name)) proven.push(name);
    else unproven.push(name);
  }
  // An SNI's bound names are evidence of their own. A Host is not replaced by them: it names the
  // virtual host the request is for, so an address shared by many names (a CDN) must not let a
  // Host through because some other name of that address is allowed.
  if (dest.hostEvidence !== 'host-header')
    for (const name of bound) if (!proven.includes(name)) proven.push(name);
  const evidence: HostEvidence =
    bound.length > 0 && dest.hostEvidence === 'sni' ? 'dns-binding' : dest.hostEvidence!;

  if (unproven.length === 0) {
    const notes: readonly DecisionNote[] = sniMismatch ? ['sni_mismatch'] : NO_NOTES;
    return settled(withNames(dest, proven, dest.host!, evidence), notes);
  }
  const notes: DecisionNote[] = sniMismatch ? ['sni_mismatch', 'name_unverified'] : ['name_unverified'];
  const all = withNames(dest, [...proven, ...unproven], dest.host!, dest.hostEvidence!);
  // The unproven names stay on as `claims`: a route match that pins CIDRs holding the address
  // may still match by them (the operator pinned the address; route-table.ts).
  const provenDest = extend(
    proven.length > 0 ? withNames(dest, proven, proven[0]!, evidence) : withoutNames(dest, ip),
    { claims: unproven },
  );
  return { dest: all, proven: provenDest, unproven: why(unproven, dest, ip, bound, mode, lookup), notes };
}

function settled(dest: Destination, notes: readonly DecisionNote[]): Evidence {
  return { dest, proven: undefined, unproven: undefined, notes };
}

function resolvesTo(lookup: NameLookup | undefined, name: string, ip: IpAddress): boolean {
  if (lookup === undefined || lookup.host !== name) return false;
  for (const a of lookup.addresses) if (a.text === ip.text) return true;
  return false;
}

function withNames(
  dest: Destination,
  names: readonly string[],
  host: string,
  evidence: HostEvidence,
): Destination {
  return extend(dest, { names, host, hostEvidence: evidence });
}

/** Only the address is known for sure: the destination as raw TCP with no name would be. */
function withoutNames(dest: Destination, ip: IpAddress): Destination {
  const { embeddedIpv4, port, protocol } = dest;
  if (embeddedIpv4 === undefined) return { names: [], port, protocol, ip };
  return { names: [], port, protocol, ip, embeddedIpv4 };
}

const SHOWN_ADDRESSES = 4;

function why(
  unproven: readonly string[],
  dest: Destination,
  ip: IpAddress,
  bound: readonly string[],
  mode: NameProofMode,
  lookup: NameLookup | undefined,
): string {
  const name = unproven[0]!;
  const claim = `${unproven.join(', ')} (${dest.hostEvidence === 'sni' ? 'SNI' : 'Host'})`;
  const bindings =
    bound.length === 0
      ? `no DNS binding of this agent maps ${ip.text} to it`
      : `this agent's DNS bindings map ${ip.text} to ${bound.slice(0, SHOWN_ADDRESSES).join(', ')} only`;
  let lookedUp: string;
  if (mode === 'binding') lookedUp = 'the gateway proves names by DNS binding only';
  else if (lookup === undefined || lookup.host !== name) lookedUp = `${name} was not looked up`;
  else if (lookup.failure !== undefined)
    lookedUp = `looking ${name} up through Portcullis's resolver failed (${lookup.failure})`;
  else {
    const shown = lookup.addresses.slice(0, SHOWN_ADDRESSES).map((a) => a.text);
    const more = lookup.addresses.length > SHOWN_ADDRESSES ? ', …' : '';
    lookedUp = `${name} resolves to ${shown.join(', ')}${more}, not ${ip.text}`;
  }
  return `${claim} is not proven for ${ip.text}: ${bindings}, and ${lookedUp}`;
}
