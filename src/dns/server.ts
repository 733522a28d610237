/**
 * Portcullis's DNS resolver (docs/dns.md): a forwarding server whose answers become per-agent IP →
 * name bindings, the only name evidence raw TCP has.
 *
 *   agent ──UDP/TCP──▶ listeners.ts ─────────────▶ query-handler.ts
 *                      (RFC 7766 limits,            │ parseQuery: drop unreadable, FORMERR malformed
 *                       TCP framing)                │ admission: in flight, in all and per client
 *                                                   │ encrypted-dns: flag DoH/DoT names
 *                                                   │ policy.checkQuery(client, name) ── refuse ──▶ REFUSED | NXDOMAIN
 *                                                   ▼
 *                                     upstream.ts: forward ──UDP──▶ upstream resolver
 *                                                   │  timeout → next upstream; TC → same one over TCP
 *                                                   ▼
 *                                     response-filter.ts: CNAME chain from the query name,
 *                                                   │ policy.checkAnswer(client, chain, ip) ── strip ──▶ dns_rebinding_blocked
 *                                                   │ (nothing left ──▶ REFUSED)
 *                                                   ▼
 *                                     response-rewrite.ts (only if something was removed)
 *                                                   │ too big for the client's UDP size ──▶ empty answer, TC set
 *                                                   ▼
 *                                     binding-cache.ts: record (agentKey, ip) → chain, TTL clamped
 *                                                   │
 *   agent ◀── answer ───────────────────────────────┘        engine ──▶ bindings.namesFor(agentKey, ip)
 *
 * Every step reports through the injected `onEvent` sink; nothing here imports telemetry.
 */
import net from 'node:net';
import type { NameLookup } from '../engine/name-evidence';
import { createAdmission } from './admission';
import { createAnswerCache } from './answer-cache';
import { DEFAULT_BINDING_LIMITS, createBindingCache } from './binding-cache';
import type { BindingLimits, BindingLookup } from './binding-cache';
import { safeSink } from './events';
import type { DnsEventSink } from './events';
import { canonicalAddress, listenTcp, listenUdp } from './listeners';
import type { Listener } from './listeners';
import { allowAll } from './policy';
import type { DnsPolicy } from './policy';
import { createQueryHandler } from './query-handler';
import { parseUpstream, systemUpstreams } from './resolv-conf';
import type { Upstream } from './resolv-conf';
import { createForwarder } from './upstream';
import { CLASSIC_UDP_BYTES, MAX_MESSAGE_BYTES, RCODE_NXDOMAIN, RCODE_REFUSED } from './wire';

export interface DnsServerOptions {
  /** `HOST:PORT` (port 53 when omitted). Default: the nameservers of `resolvConfPath`. */
  readonly upstreams?: readonly string[];
  /** Default `/etc/resolv.conf`; read once, when the server is created. */
  readonly resolvConfPath?: string;
  /** Default `allowAll`. */
  readonly policy?: DnsPolicy;
  /** Maps a client's canonical source address to its agent key. Default: the address itself. */
  readonly identify?: (address: string) => string;
  readonly onEvent?: DnsEventSink;
  /**
   * How refused names are answered. Default 'refused'; 'nxdomain' as Cilium's
   * `--tofqdns-dns-reject-response-code=nameError`, for resolvers (musl) that stop walking the
   * search list on REFUSED.
   */
  readonly reject?: 'refused' | 'nxdomain';
  /** Known DoH/DoT resolver names: 'flag' in events (default) or 'refuse' as well. */
  readonly encryptedDns?: 'flag' | 'refuse';
  /** TTL clamps and eviction caps; see binding-cache.ts for the defaults and why. */
  readonly bindingLimits?: Partial<BindingLimits>;
  /** Clock for binding expiry, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
  /** Per try, and again for a TCP retry after truncation. Default 1500. */
  readonly upstreamTimeoutMs?: number;
  /** Tries per query, rotating through the upstreams. Default 2. */
  readonly upstreamAttempts?: number;
  /**
   * The answer cache shared by queries and decisions' lookups (answer-cache.ts): lifetime floor and
   * ceiling in seconds, and entries. Defaults 5, 300 and 10000.
   */
  readonly answerCache?: {
    readonly minTtlSeconds?: number;
    readonly maxTtlSeconds?: number;
    readonly maxEntries?: number;
  };
  /** Default 1024. */
  readonly maxInFlight?: number;
  /** Per client address. Default 128. */
  readonly maxInFlightPerClient?: number;
  /** Default 256. */
  readonly maxTcpConnections?: number;
  /** Default 32. */
  readonly maxTcpConnectionsPerClient?: number;
  /** Default 10000. */
  readonly tcpIdleTimeoutMs?: number;
  /**
   * Largest query accepted, UDP or TCP; a longer TCP length prefix disconnects. Default 4096: a
   * query is one question and an OPT record, a few hundred bytes even with EDNS padding (RFC 8467).
   */
  readonly maxQueryBytes?: number;
  /** Cap on the EDNS UDP size a client advertises (RFC 6891 §6.2.5). Default 4096. */
  readonly maxUdpPayload?: number;
}

export interface DnsServer {
  /** Binds UDP and TCP on the same port (port 0: a free one). Rejects if an upstream is this server. */
  listen(address: string, port: number): Promise<{ udpPort: number; tcpPort: number }>;
  /** Stops listening, ends upstream exchanges in flight, and disconnects TCP clients. */
  close(): Promise<void>;
  readonly bindings: BindingLookup;
  /**
   * A name's addresses through the same upstreams and answer cache as the queries this server
   * answers, within `timeoutMs`: what decisions judge is what Envoy then receives.
   */
  lookup(host: string, timeoutMs: number): Promise<NameLookup>;
  /** What `lookup` would answer at once from the cache, or undefined. */
  peekLookup(host: string): NameLookup | undefined;
}

type NumericOption = {
  [K in keyof DnsServerOptions]-?: DnsServerOptions[K] extends number | undefined ? K : never;
}[keyof DnsServerOptions];

const PRUNE_INTERVAL_MS = 60_000;
const MAX_UNREAD_BYTES = 256 * 1024;
const BIND_TRIES = 5;

export function createDnsServer(options: DnsServerOptions = {}): DnsServer {
  const upstreams = resolveUpstreams(options);
  const int = (key: NumericOption, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = options[key] ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`DNS server: ${key} must be an integer from ${min} to ${max}, got ${value}`);
    }
    return value;
  };
  const maxQueryBytes = int('maxQueryBytes', 4096, 12 + 5, MAX_MESSAGE_BYTES);
  const tcpLimits = {
    maxConnections: int('maxTcpConnections', 256, 1),
    maxConnectionsPerClient: int('maxTcpConnectionsPerClient', 32, 1),
    idleTimeoutMs: int('tcpIdleTimeoutMs', 10_000, 1),
    maxQueryBytes,
    maxUnreadBytes: MAX_UNREAD_BYTES,
  };
  const now = options.now ?? Date.now;
  const bindings = createBindingCache({ ...DEFAULT_BINDING_LIMITS, ...options.bindingLimits, now });
  const forwarder = createForwarder({
    upstreams,
    timeoutMs: int('upstreamTimeoutMs', 1500, 1),
    attempts: int('upstreamAttempts', 2, 1, 16),
  });
  const cacheOptions = options.answerCache ?? {};
  const cacheFloor = cacheOptions.minTtlSeconds ?? 5;
  const cacheCeiling = cacheOptions.maxTtlSeconds ?? 300;
  if (!(cacheFloor >= 0 && cacheCeiling >= cacheFloor)) {
    throw new RangeError('DNS server: answerCache needs 0 ≤ minTtlSeconds ≤ maxTtlSeconds');
  }
  const answers = createAnswerCache({
    forwarder,
    minTtlMs: cacheFloor * 1000,
    maxTtlMs: cacheCeiling * 1000,
    maxEntries: cacheOptions.maxEntries ?? 10_000,
    now,
  });
  const handle = createQueryHandler({
    policy: options.policy ?? allowAll,
    identify: options.identify ?? ((address) => address),
    answers,
    bindings,
    admission: createAdmission(int('maxInFlight', 1024, 1), int('maxInFlightPerClient', 128, 1)),
    emit: safeSink(options.onEvent),
    rejectRcode: options.reject === 'nxdomain' ? RCODE_NXDOMAIN : RCODE_REFUSED,
    refuseEncryptedDns: options.encryptedDns === 'refuse',
    maxQueryBytes,
    maxUdpPayload: int('maxUdpPayload', 4096, CLASSIC_UDP_BYTES, MAX_MESSAGE_BYTES),
  });

  let listeners: Listener[] | undefined;
  let pruner: NodeJS.Timeout | undefined;
  let closed = false;

  async function bindBoth(address: string, port: number): Promise<[Listener, Listener]> {
    for (let attempt = 1; ; attempt++) {
      const udp = await listenUdp(address, port, handle);
      try {
        return [udp, await listenTcp(address, udp.port, handle, tcpLimits)];
      } catch (err) {
        await udp.close();
        // With port 0 the kernel picked a UDP port whose TCP twin may be taken; pick again.
        const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (port !== 0 || !taken || attempt >= BIND_TRIES) throw err;
      }
    }
  }

  return {
    bindings,
    lookup: (host, timeoutMs) => answers.lookup(host, timeoutMs),
    peekLookup: (host) => answers.peek(host),

    async listen(address, port) {
      if (closed || listeners !== undefined) throw new Error('DNS server: listen() may be called once');
      if (net.isIP(address) === 0)
        throw new Error(`DNS server: listen address ${JSON.stringify(address)} is not an IP address`);
      const [udp, tcp] = await bindBoth(address, port);
      const loop = upstreams.find((u) => pointsAtSelf(u, address, udp.port));
      if (loop !== undefined) {
        await Promise.all([udp.close(), tcp.close()]);
        throw new Error(
          `DNS server: upstream ${loop.host}:${loop.port} is this server; set --dns-upstream to the real resolver`,
        );
      }
      listeners = [udp, tcp];
      pruner = setInterval(() => bindings.prune(), PRUNE_INTERVAL_MS);
      pruner.unref();
      return { udpPort: udp.port, tcpPort: tcp.port };
    },

    async close() {
      closed = true;
      if (pruner !== undefined) clearInterval(pruner);
      forwarder.close();
      await Promise.all((listeners ?? []).map((l) => l.close()));
      listeners = [];
    },
  };
}

function resolveUpstreams(options: DnsServerOptions): Upstream[] {
  if (options.upstreams !== undefined && options.upstreams.length > 0) {
    return options.upstreams.map((text) => {
      const parsed = parseUpstream(text);
      if (!parsed.ok) throw new Error(`DNS server: ${parsed.message}`);
      return parsed.upstream;
    });
  }
  const path = options.resolvConfPath ?? '/etc/resolv.conf';
  const found = systemUpstreams(path);
  if (found.length === 0) {
    throw new Error(`DNS server: ${path} lists no usable nameserver; pass --dns-upstream HOST:PORT`);
  }
  return found;
}

/** Forwarding to ourselves would loop until every in-flight slot is spent. */
function pointsAtSelf(upstream: Upstream, address: string, port: number): boolean {
  if (upstream.port !== port) return false;
  const listen = canonicalAddress(address);
  if (upstream.host === listen) return true;
  const wildcard = listen === '0.0.0.0' || listen === '::';
  return wildcard && (upstream.host.startsWith('127.') || upstream.host === '::1');
}
