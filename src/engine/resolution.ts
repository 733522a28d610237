/**
 * Which destination name, if any, the caller must look up before `decide` (the engine never does
 * IO). Two reasons, never both for one request:
 *
 * - A claimed name to prove. Where the request carries the address Envoy dials (L4, transparent
 *   HTTP) and a name the agent's DNS bindings do not already prove, a gateway proving names by
 *   lookup (`nameProof: resolve`, the default) needs the name's addresses (name-evidence.ts).
 * - Addresses a policy judges. Where Envoy resolves the name itself (a CONNECT or absolute-form
 *   request by name), a firewall list mixing names with IP or CIDR entries re-checks the addresses
 *   the name resolves to, and a mirrord block rule on an address (`0.0.0.0/0` port 22) must catch a
 *   CONNECT by name too. The lookup goes through the resolver Envoy itself uses, so the addresses
 *   checked are the ones Envoy then dials; a lookup that fails is a deny (`resolution_failed`).
 */
import type { Snapshot } from '../compile/snapshot';
import { firewallNeedsResolution, selectFirewallPolicy } from '../compile/firewall-layer';
import { canonicalizeDestination } from './destination';
import { policiesSelecting } from '../compile/mirrord-layer';
import { nameProofFor } from './gateway-layer';
import type { BindingLookup } from './name-evidence';
import type { Agent, EgressRequest } from './types';

export function nameToResolve(
  snapshot: Snapshot,
  request: EgressRequest,
  agent: Agent,
  bindings?: BindingLookup,
): string | undefined {
  const raw = request.destination;
  // Cheap tests first, so requests that cannot need a lookup are not parsed twice.
  if (raw.address !== undefined || raw.sni !== undefined) {
    if (raw.sni === undefined && raw.authority === undefined && raw.url === undefined) return undefined;
    if (nameProofFor(snapshot, request) !== 'resolve') return undefined;
    const canonical = canonicalizeDestination(raw);
    if (!canonical.ok) return undefined;
    const { ip, names } = canonical.destination;
    if (ip === undefined || canonical.destination.hostEvidence === 'authority') return undefined;
    const bound = bindings === undefined || names.length === 0 ? [] : bindings(ip);
    return names.find((name) => !bound.includes(name));
  }
  const firewall =
    selectFirewallPolicy(snapshot.firewall, agent.firewallPolicy).policy?.hasAddressEntries === true;
  const mirrord = policiesSelecting(snapshot.mirrord, agent).some((p) => p.blocksByAddress);
  if (!firewall && !mirrord) return undefined;
  const canonical = canonicalizeDestination(raw);
  if (!canonical.ok || canonical.destination.ip !== undefined) return undefined;
  const host = canonical.destination.host;
  if (host === undefined) return undefined;
  return mirrord || firewallNeedsResolution(snapshot.firewall, agent.firewallPolicy, host) ? host : undefined;
}
