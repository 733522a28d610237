/**
 * Per-agent IP → name bindings learned from DNS answers (docs/dns.md).
 *
 * Keyed by (agent, IP), never by IP alone: Cilium shares its name→IP data node-wide, so one agent's
 * allowed name opens every other name on the same CDN address for everyone (cilium/cilium#31803).
 * Here a binding is evidence only for the agent whose query produced it.
 *
 * Memory is bounded by three caps, each evicting the oldest entry (by insertion; re-recording a
 * binding refreshes it): addresses per name (Cilium keeps 50 per endpoint, NPEP-133 asks for at
 * least 100), bindings per agent, and agents. Worst case is maxAgents × maxBindingsPerAgent
 * (IP, name) pairs. Expired pairs are skipped on read and removed by `prune()`.
 */
import type { IpAddress } from '../policy/values';

export interface BindingLimits {
  /** Floor for a binding's lifetime: a TTL-0 answer must still cover the connect that follows it. */
  readonly minTtlSeconds: number;
  /** Ceiling, so a pathological TTL cannot pin an address to a name for weeks. */
  readonly maxTtlSeconds: number;
  readonly maxAddressesPerName: number;
  readonly maxBindingsPerAgent: number;
  readonly maxAgents: number;
}

export interface BindingCacheOptions extends BindingLimits {
  /** Milliseconds since the epoch; injected so tests control expiry. */
  readonly now: () => number;
}

export const DEFAULT_BINDING_LIMITS: BindingLimits = Object.freeze({
  minTtlSeconds: 60,
  maxTtlSeconds: 86_400,
  maxAddressesPerName: 100,
  maxBindingsPerAgent: 4096,
  maxAgents: 1024,
});

/** What the engine reads: name evidence for a connection from `agentKey` to `ip`. */
export interface BindingLookup {
  /** Unexpired names bound to `ip` for this agent, newest binding first; empty when none. */
  namesFor(agentKey: string, ip: IpAddress): readonly string[];
  stats(): { readonly agents: number; readonly bindings: number };
}

export interface BindingCache extends BindingLookup {
  /**
   * Binds every name in `names` to `ip` for this agent and returns the clamped TTL in seconds.
   * `names` is a CNAME chain in order (query name first); `namesFor` returns them in that order.
   */
  record(agentKey: string, ip: IpAddress, names: readonly string[], ttlSeconds: number): number;
  /** Removes expired bindings; the server calls it on a timer. */
  prune(): void;
}

interface Pair {
  readonly key: string;
  readonly ip: string;
  readonly name: string;
  readonly expiresAt: number;
}

interface Agent {
  /** Every pair, oldest first. */
  readonly pairs: Map<string, Pair>;
  readonly byIp: Map<string, Map<string, Pair>>;
  readonly byName: Map<string, Map<string, Pair>>;
}

export function createBindingCache(options: BindingCacheOptions): BindingCache {
  const limits = checkLimits(options);
  const now = options.now;
  const agents = new Map<string, Agent>();
  let total = 0;

  function remove(agent: Agent, pair: Pair): void {
    agent.pairs.delete(pair.key);
    const names = agent.byIp.get(pair.ip);
    names?.delete(pair.name);
    if (names?.size === 0) agent.byIp.delete(pair.ip);
    const ips = agent.byName.get(pair.name);
    ips?.delete(pair.ip);
    if (ips?.size === 0) agent.byName.delete(pair.name);
    total--;
  }

  function agentFor(agentKey: string): Agent {
    let agent = agents.get(agentKey);
    if (agent !== undefined) {
      agents.delete(agentKey);
      agents.set(agentKey, agent);
      return agent;
    }
    agent = { pairs: new Map(), byIp: new Map(), byName: new Map() };
    agents.set(agentKey, agent);
    if (agents.size > limits.maxAgents) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, Agent];
      agents.delete(oldestKey);
      total -= oldest.pairs.size;
    }
    return agent;
  }

  function add(agent: Agent, ip: string, name: string, expiresAt: number): void {
    const key = `${ip} ${name}`;
    const existing = agent.pairs.get(key);
    if (existing !== undefined) remove(agent, existing);
    const pair: Pair = { key, ip, name, expiresAt };
    agent.pairs.set(key, pair);
    let names = agent.byIp.get(ip);
    if (names === undefined) agent.byIp.set(ip, (names = new Map()));
    names.set(name, pair);
    let ips = agent.byName.get(name);
    if (ips === undefined) agent.byName.set(name, (ips = new Map()));
    ips.set(ip, pair);
    total++;
    if (ips.size > limits.maxAddressesPerName) {
      remove(agent, ips.values().next().value as Pair);
    }
    if (agent.pairs.size > limits.maxBindingsPerAgent) {
      remove(agent, agent.pairs.values().next().value as Pair);
    }
  }

  return {
    record(agentKey, ip, names, ttlSeconds) {
      const ttl = clampTtl(ttlSeconds, limits);
      if (names.length === 0) return ttl;
      const agent = agentFor(agentKey);
      const expiresAt = now() + ttl * 1000;
      // Added last-name-first so that reading newest-first yields the chain in order.
      for (let i = names.length - 1; i >= 0; i--) add(agent, ip.text, names[i]!, expiresAt);
      return ttl;
    },

    namesFor(agentKey, ip) {
      const agent = agents.get(agentKey);
      const pairs = agent?.byIp.get(ip.text);
      if (agent === undefined || pairs === undefined) return [];
      const t = now();
      const out: string[] = [];
      for (const pair of pairs.values()) {
        if (pair.expiresAt > t) out.push(pair.name);
        else remove(agent, pair);
      }
      return out.reverse();
    },

    stats() {
      return { agents: agents.size, bindings: total };
    },

    prune() {
      const t = now();
      for (const [agentKey, agent] of agents) {
        for (const pair of agent.pairs.values()) {
          if (pair.expiresAt <= t) remove(agent, pair);
        }
        if (agent.pairs.size === 0) agents.delete(agentKey);
      }
    },
  };
}

function clampTtl(ttlSeconds: number, limits: BindingLimits): number {
  const ttl = Number.isFinite(ttlSeconds) ? Math.max(0, Math.floor(ttlSeconds)) : 0;
  return Math.min(Math.max(ttl, limits.minTtlSeconds), limits.maxTtlSeconds);
}

function checkLimits(limits: BindingLimits): BindingLimits {
  const counts = ['maxAddressesPerName', 'maxBindingsPerAgent', 'maxAgents'] as const;
  for (const key of counts) {
    if (!Number.isInteger(limits[key]) || limits[key] < 1) {
      throw new RangeError(`binding cache: ${key} must be a positive integer, got ${limits[key]}`);
    }
  }
  const { minTtlSeconds: min, maxTtlSeconds: max } = limits;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
    throw new RangeError(`binding cache: need 0 ≤ minTtlSeconds ≤ maxTtlSeconds, got ${min} and ${max}`);
  }
  return limits;
}
