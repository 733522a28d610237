/**
 * DNS-bound names as evidence (seed 001 "How hostnames get resolved").
 *
 * For a connection that carries no authority (L4), the names this agent resolved, through
 * Portcullis's resolver, to the destination IP are the best evidence of where it is going. An SNI
 * is the client's claim: when a binding exists and the SNI is not among its names, the SNI is
 * unproven; by default only the bound names are matched (`sni_mismatch` is recorded).
 */
import type { IpAddress } from '../policy/values';
import type { DecisionNote, Destination } from './types';
import { extend } from '../policy/extend';

/** Names this agent resolved to an address, newest first; empty when none are live. */
export type BindingLookup = (ip: IpAddress) => readonly string[];

export interface Evidence {
  readonly dest: Destination;
  readonly notes: readonly DecisionNote[];
}

export function applyBindings(dest: Destination, lookup: BindingLookup | undefined): Evidence {
  if (!lookup || dest.ip === undefined) return { dest, notes: [] };
  if (dest.hostEvidence === 'authority' || dest.hostEvidence === 'host-header') return { dest, notes: [] };
  const bound = lookup(dest.ip);
  if (bound.length === 0) return { dest, notes: [] };
  const base = extend(dest, { names: bound, host: bound[0]!, hostEvidence: 'dns-binding' as const });
  if (dest.hostEvidence === 'sni' && dest.host !== undefined) {
    if (bound.includes(dest.host)) return { dest: extend(base, { host: dest.host }), notes: [] };
    return { dest: base, notes: ['sni_mismatch'] };
  }
  return { dest: base, notes: [] };
}
