/**
 * Which destination name, if any, the caller must resolve before `decide` (the engine never does
 * IO). Seeds 002/004: when the destination is a name and the applicable firewall list carries IP or
 * CIDR entries, "the name is best-effort resolved and its addresses re-checked".
 */
import type { Snapshot } from '../compile/snapshot';
import { firewallNeedsResolution, selectFirewallPolicy } from '../compile/firewall-layer';
import { canonicalizeDestination } from './destination';
import type { Agent, EgressRequest } from './types';

export function nameToResolve(snapshot: Snapshot, request: EgressRequest, agent: Agent): string | undefined {
  // Cheap test first, so requests that cannot need a lookup are not parsed twice.
  if (selectFirewallPolicy(snapshot.firewall, agent.firewallPolicy).policy?.hasAddressEntries !== true) {
    return undefined;
  }
  const canonical = canonicalizeDestination(request.destination);
  if (!canonical.ok || canonical.destination.ip !== undefined) return undefined;
  const host = canonical.destination.host;
  return firewallNeedsResolution(snapshot.firewall, agent.firewallPolicy, host) ? host : undefined;
}
