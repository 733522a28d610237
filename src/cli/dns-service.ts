/**
 * The snooping resolver wired to the engine's DNS policy: queries an agent may never use are
 * refused, answers into guarded or denied ranges are stripped, and every answer becomes a binding
 * that L4 decisions use as name evidence.
 */
import type { DnsConfig } from '../config/serve-config';
import { createDnsServer, type DnsServer } from '../dns/server';
import type { DnsEvent } from '../dns/events';
import { dnsAnswerVerdict, dnsChainVerdict, dnsQueryVerdict, type DnsAudience } from '../engine/dns-policy';
import type { AddressResolver } from '../decide/decider';
import { cidrContainsIp } from '../policy/cidr';
import type { BindingLookup as EngineBindings } from '../engine/name-evidence';
import type { Agent } from '../engine/types';
import type { Snapshot } from '../compile/snapshot';
import { parseRequestIp } from '../policy/ip';
import type { Logger } from '../telemetry/logger';
import type { Metrics } from '../telemetry/metrics';

export interface DnsService {
  readonly server: DnsServer;
  /** Lookups for decisions, through the answer cache the DNS clients share (dns/answer-cache.ts). */
  readonly resolver: AddressResolver;
  readonly udpPort: number;
  readonly tcpPort: number;
  /** The bindings of the agent at `sourceAddress`, for the engine; undefined without an address. */
  bindingsFor(sourceAddress: string | undefined): EngineBindings | undefined;
  close(): Promise<void>;
}

/**
 * How long the answer cache holds an answer at least, even one with TTL 0: the window in which the
 * addresses a decision judged are the ones Envoy receives for the name (dns/answer-cache.ts).
 */
const ANSWER_CACHE_FLOOR_SECONDS = 5;

/** Bindings are keyed by the client's canonical address, as the resolver sees its queries. */
function agentKey(address: string): string {
  return parseRequestIp(address)?.text ?? address;
}

export async function startDnsService(
  config: DnsConfig,
  deps: {
    snapshot(): Snapshot | undefined;
    agentAt(address: string): Agent;
    /** Bound on a decision's lookup (`--lookup-timeout-ms`). */
    lookupTimeoutMs: number;
    logger: Logger;
    /** DNS queries, stripped answers and the bindings held (telemetry/metrics.ts). */
    metrics?: Pick<Metrics, 'recordDnsEvent' | 'trackDnsBindings'>;
    onEvent?: (event: DnsEvent) => void;
  },
): Promise<DnsService> {
  const proxies = config.proxySources;
  /** A trusted proxy asks for every agent; anyone else is the agent at its address. */
  const audienceAt = (address: string): DnsAudience => {
    const ip = proxies.length === 0 ? undefined : parseRequestIp(address);
    if (ip !== undefined && proxies.some((cidr) => cidrContainsIp(cidr, ip))) return 'any-agent';
    return { agent: deps.agentAt(address) };
  };
  const server = createDnsServer({
    ...(config.upstreams.length > 0 ? { upstreams: config.upstreams } : {}),
    reject: config.reject,
    bindingLimits: { minTtlSeconds: config.minTtlSeconds, maxTtlSeconds: config.maxTtlSeconds },
    answerCache: { minTtlSeconds: ANSWER_CACHE_FLOOR_SECONDS, maxTtlSeconds: config.maxTtlSeconds },
    policy: {
      checkQuery: (client, name) => dnsQueryVerdict(deps.snapshot(), audienceAt(client.address), name),
      checkChain: (client, name) => dnsChainVerdict(deps.snapshot(), audienceAt(client.address), name),
      checkAnswer: (client, names, ip) =>
        dnsAnswerVerdict(deps.snapshot(), audienceAt(client.address), names, ip),
    },
    onEvent(event) {
      if (event.type === 'dns_rebinding_blocked') {
        deps.logger.warn(
          { event: event.type, client: event.client.address, names: event.names, ip: event.ip.text },
          'DNS answer stripped',
        );
      } else if (event.type === 'query' && event.flags.includes('encrypted_dns')) {
        deps.logger.warn(
          { event: 'encrypted_dns', client: event.client.address, name: event.name },
          'query for an encrypted DNS resolver: later lookups through it bypass name bindings',
        );
      } else if (event.type === 'query' && event.outcome === 'refused') {
        deps.logger.info(
          { event: 'dns_query_refused', client: event.client.address, name: event.name },
          'DNS query refused',
        );
      }
      deps.metrics?.recordDnsEvent(event);
      deps.onEvent?.(event);
    },
  });
  deps.metrics?.trackDnsBindings(() => server.bindings.stats());
  const { udpPort, tcpPort } = await server.listen(config.address, config.port);
  return {
    server,
    resolver: {
      resolve: (host) => server.lookup(host, deps.lookupTimeoutMs),
      peek: (host) => server.peekLookup(host),
    },
    udpPort,
    tcpPort,
    bindingsFor(sourceAddress) {
      if (sourceAddress === undefined) return undefined;
      const key = agentKey(sourceAddress);
      return (ip) => server.bindings.namesFor(key, ip);
    },
    close: () => server.close(),
  };
}
