/**
 * The DNS layer's policy hooks. The resolver only asks; what the answers are is the engine's
 * business (adapters translate and nothing more: docs/architecture.md), so the engine side
 * implements this interface and the server receives it by injection.
 */
import type { IpAddress } from '../policy/values';

/** Who sent a query. `agentKey` scopes bindings: one agent's answers never speak for another. */
export interface DnsClient {
  /** Canonical source address (IPv4-mapped IPv6 unmapped). */
  readonly address: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
  /** The source address unless an `identify` function maps it to something else. */
  readonly agentKey: string;
}

export interface DnsPolicy {
  /** 'refuse' when this agent may never reach `name` on any port; 'allow' otherwise. */
  checkQuery(client: DnsClient, name: string): 'allow' | 'refuse';
  /**
   * 'refuse' when a name an answer's CNAME chain passes through (after the queried one) is blocked
   * by name for this client: the whole answer is refused, so a blocked name is never resolved
   * through an allowed alias.
   */
  checkChain(client: DnsClient, name: string): 'allow' | 'refuse';
  /**
   * 'strip' when an answer address must not be handed to this agent (guarded range or denied CIDR).
   * `names` is the CNAME chain that leads to the address, query name first. IPv4-mapped IPv6 arrives
   * unmapped; IPv4 inside NAT64, 6to4 or Teredo addresses does not, so the implementation checks
   * `embeddedIpv4` as the engine does for connections.
   */
  checkAnswer(client: DnsClient, names: readonly string[], ip: IpAddress): 'keep' | 'strip';
}

/** Forwards every query and keeps every answer: for tests, benchmarks and a resolver with no policy yet. */
export const allowAll: DnsPolicy = Object.freeze({
  checkQuery: () => 'allow' as const,
  checkChain: () => 'allow' as const,
  checkAnswer: () => 'keep' as const,
});
