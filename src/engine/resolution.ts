/**
 * Which destination name, if any, the caller must resolve before `decide` (the engine never does
 * IO). Seeds 002/004: when the destination is a name and the applicable firewall list carries IP or
 * CIDR entries, "the name is best-effort resolved and its addresses re-checked". Seed 000: a mirrord
 * block rule on an address (`0.0.0.0/0` port 22) must also catch a CONNECT by name.
 */
import type { Snapshot } from '../compile/snapshot';
import { firewallNeedsResolution, selectFirewallPolicy } from '../compile/firewall-layer';
import { canonicalizeDestination } from './destination';
import { policiesSelecting } from '../compile/mirrord-layer';
import type { Agent, EgressRequest } from './types';

export function nameToResolve(snapshot: Snapshot, request: EgressRequest, agent: Agent): string | undefined {
  // Cheap tests first, so requests that cannot need a lookup are not parsed twice.
  const firewall =
    selectFirewallPolicy(snapshot.firewall, agent.firewallPolicy).policy?.hasAddressEntries === true;
  const mirrord = policiesSelecting(snapshot.mirrord, agent).some((p) => p.blocksByAddress);
  if (!firewall && !mirrord) return undefined;
  const canonical = canonicalizeDestination(request.destination);
  if (!canonical.ok || canonical.destination.ip !== undefined) return undefined;
  const host = canonical.destination.host;
  if (host === undefined) return undefined;
  return mirrord || firewallNeedsResolution(snapshot.firewall, agent.firewallPolicy, host) ? host : undefined;
}
