/**
 * `EgressAgent` resources → lookups by each kind of identity evidence (src/identity/resolve-agent.ts),
 * built once per snapshot so that identifying a caller is a few map reads and one trie walk.
 *
 * Validation rejects two agents claiming the same evidence; should a policy set reach the compiler
 * with such a clash anyway (agents in different Kubernetes namespaces), the first agent in load
 * order keeps the claim, so the answer never depends on anything but the policy set.
 */
import type { EgressAgent, Resource } from '../policy/types';
import type { IpAddress } from '../policy/values';
import type { CidrIndex } from './cidr-index';
import { createCidrIndex } from './cidr-index';

/** What identity resolution hands on about a known agent; the evidence that found it is added per request. */
export interface AgentProfile {
  /** `metadata.name`. */
  readonly name: string;
  /** EgressNamespace path; `` is the root. */
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly firewallPolicy: string | undefined;
  readonly resource: EgressAgent;
}

/** A key digest and its owner; the bytes are kept for the constant-time comparison at lookup. */
export interface KeyClaim {
  readonly digest: Uint8Array;
  readonly profile: AgentProfile;
}

export interface AgentIndex {
  readonly size: number;
  readonly byContextName: ReadonlyMap<string, AgentProfile>;
  readonly byPrincipal: ReadonlyMap<string, AgentProfile>;
  /** Keyed by the lower-case hex SHA-256 of the key. */
  readonly byKeySha256: ReadonlyMap<string, KeyClaim>;
  readonly bySourceCidr: CidrIndex<AgentProfile>;
}

export function compileAgentIndex(resources: readonly Resource[]): AgentIndex {
  const byContextName = new Map<string, AgentProfile>();
  const byPrincipal = new Map<string, AgentProfile>();
  const byKeySha256 = new Map<string, KeyClaim>();
  const cidrs = createCidrIndex<AgentProfile>();
  let size = 0;
  for (const resource of resources) {
    if (resource.kind !== 'EgressAgent') continue;
    size += 1;
    const profile = profileOf(resource);
    claim(byContextName, resource.contextName, profile);
    for (const principal of resource.principals) claim(byPrincipal, principal, profile);
    for (const digest of resource.keySha256) {
      const hex = digest.toLowerCase();
      claim(byKeySha256, hex, Object.freeze({ digest: Uint8Array.from(Buffer.from(hex, 'hex')), profile }));
    }
    for (const cidr of resource.sourceCIDRs) cidrs.add(cidr, profile);
  }
  return Object.freeze({ size, byContextName, byPrincipal, byKeySha256, bySourceCidr: cidrs.build() });
}

/** The agent whose source CIDR contains `ip`: the longest prefix, then the first in load order. */
export function agentForSourceIp(index: AgentIndex, ip: IpAddress): AgentProfile | undefined {
  let found: AgentProfile | undefined;
  let foundLength = -1;
  index.bySourceCidr.forEach(ip, (profile, prefixLength) => {
    if (prefixLength > foundLength) {
      found = profile;
      foundLength = prefixLength;
    }
  });
  return found;
}

function profileOf(agent: EgressAgent): AgentProfile {
  return Object.freeze({
    name: agent.meta.name,
    namespace: agent.namespacePath,
    labels: Object.freeze(Object.assign({}, agent.labels)),
    resource: agent,
    firewallPolicy: agent.firewallPolicy,
  });
}

function claim<T>(map: Map<string, T>, key: string, value: T): void {
  if (!map.has(key)) map.set(key, value);
}
