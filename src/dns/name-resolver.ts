/**
 * Looks destination names up for decisions: the addresses a policy judges for a name Envoy resolves
 * itself (firewall lists mixing names with IPs and CIDRs, mirrord block rules on addresses), and the
 * proof of a claimed name for the address an L4 or transparent connection is dialled to
 * (engine/name-evidence.ts). The engine stays pure: the decider asks `nameToResolve`, awaits
 * `resolve`, and hands the result in as `DecideContext.lookup`.
 *
 * It sits on the request path, so it is bounded three ways: A and AAAA are asked in parallel and
 * given `timeoutMs` together (what has arrived by then is used, a family still out counts as
 * failed); answers are cached for their TTL, clamped, in an LRU map of `maxEntries`; a failure or an
 * empty answer is cached briefly, so a dead name costs one timeout per `negativeTtlMs`, not one per
 * request. Concurrent requests for one name share one lookup.
 *
 * A lookup that gives no address says why (`failure`), and a decision that needs the addresses
 * denies on it: an empty list would let a slow or lying authoritative server turn a CIDR deny into
 * an allow. When Portcullis's own DNS server runs, `serve` uses its cache instead of this one
 * (dns/answer-cache.ts), so that the answers Envoy receives are the ones decisions checked; this
 * resolver serves `check`, the dry run and a `serve` without DNS.
 */
import { Resolver } from 'node:dns/promises';

import type { NameLookup } from '../engine/name-evidence';
import { parseIpLiteral } from '../policy/ip';
import type { IpAddress } from '../policy/values';

export interface ResolvedRecord {
  readonly address: string;
  /** Seconds, as the answer gave it. */
  readonly ttl: number;
}

/** One family's lookup; rejects with a `code` as `node:dns` does. */
export type FamilyLookup = (host: string, family: 4 | 6) => Promise<readonly ResolvedRecord[]>;

export interface NameResolverOptions {
  /** Replaces the `node:dns` Resolver (tests inject one; no network). */
  readonly lookup?: FamilyLookup;
  /** Name servers for the default lookup (`ip` or `ip:port`); the system's when omitted. */
  readonly servers?: readonly string[];
  readonly timeoutMs?: number;
  readonly maxEntries?: number;
  /** Floor for a positive answer's lifetime, so a TTL-0 answer still serves a burst of requests. */
  readonly minTtlMs?: number;
  /** Ceiling, so an address that moved is noticed within this long. */
  readonly maxTtlMs?: number;
  /** Lifetime of a failed, timed-out or empty answer. */
  readonly negativeTtlMs?: number;
  /** Milliseconds since the epoch; injected so tests control expiry. */
  readonly now?: () => number;
}

export interface NameResolver {
  /** The name's IPv4 and IPv6 addresses, or why there are none. Never rejects. */
  resolve(host: string): Promise<NameLookup>;
  /** Names cached now, expired ones included until they are evicted or asked for. */
  readonly size: number;
}

interface CacheEntry {
  readonly lookup: NameLookup;
  readonly expiresAt: number;
}

/**
 * What one family produced: records, an authoritative "no such name", or nothing usable: an error
 * (its code) or still out at the deadline.
 */
type FamilyResult = readonly ResolvedRecord[] | 'nxdomain' | { readonly failed: string };

const TIMED_OUT = Object.freeze({ failed: 'timed out' });

export function createNameResolver(options: NameResolverOptions = {}): NameResolver {
  const timeoutMs = options.timeoutMs ?? 250;
  const maxEntries = options.maxEntries ?? 10_000;
  const minTtlMs = options.minTtlMs ?? 5_000;
  const maxTtlMs = options.maxTtlMs ?? 300_000;
  const negativeTtlMs = options.negativeTtlMs ?? 2_000;
  const now = options.now ?? Date.now;
  const lookup = options.lookup ?? systemLookup(timeoutMs, options.servers);
  if (!(maxEntries >= 1) || !(timeoutMs > 0) || !(minTtlMs <= maxTtlMs)) {
    throw new RangeError('name resolver: need maxEntries ≥ 1, timeoutMs > 0 and minTtlMs ≤ maxTtlMs');
  }

  const cache = new Map<string, CacheEntry>();
  const pending = new Map<string, Promise<NameLookup>>();

  function remember(key: string, entry: CacheEntry): void {
    cache.delete(key);
    cache.set(key, entry);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  }

  async function lookupAndCache(key: string): Promise<NameLookup> {
    const [v4, v6] = await withDeadline(timeoutMs, [ask(lookup, key, 4), ask(lookup, key, 6)]);
    const records = [...(Array.isArray(v4) ? v4 : []), ...(Array.isArray(v6) ? v6 : [])];
    const addresses = uniqueAddresses(records);
    let lifetime = negativeTtlMs;
    let failure: string | undefined;
    if (addresses.length > 0) {
      const ttlMs = Math.min(...records.map((r) => r.ttl)) * 1000;
      lifetime = Math.min(maxTtlMs, Math.max(minTtlMs, Number.isFinite(ttlMs) ? ttlMs : 0));
      // Half an answer (one family failed) is used, but asked again soon.
      if (!Array.isArray(v4) || !Array.isArray(v6)) lifetime = Math.min(lifetime, negativeTtlMs);
    } else {
      failure = failureOf(v4!, v6!);
    }
    const result: NameLookup = Object.freeze({ host: key, addresses, failure });
    remember(key, { lookup: result, expiresAt: now() + lifetime });
    return result;
  }

  return {
    resolve(host: string): Promise<NameLookup> {
      const key = host.toLowerCase().replace(/\.$/, '');
      if (key === '') return Promise.resolve({ host, addresses: [], failure: 'empty name' });
      const hit = cache.get(key);
      if (hit !== undefined && hit.expiresAt > now()) {
        remember(key, hit);
        return Promise.resolve(hit.lookup);
      }
      const inFlight = pending.get(key);
      if (inFlight !== undefined) return inFlight;
      const started = lookupAndCache(key).finally(() => pending.delete(key));
      pending.set(key, started);
      return started;
    },
    get size() {
      return cache.size;
    },
  };
}

function systemLookup(timeoutMs: number, servers: readonly string[] | undefined): FamilyLookup {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers !== undefined) resolver.setServers([...servers]);
  return (host, family) =>
    family === 4 ? resolver.resolve4(host, { ttl: true }) : resolver.resolve6(host, { ttl: true });
}

/** One family, never rejecting: "no records" is an empty answer, anything else a failure. */
async function ask(lookup: FamilyLookup, host: string, family: 4 | 6): Promise<FamilyResult> {
  try {
    return await lookup(host, family);
  } catch (error: unknown) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ENOTFOUND') return 'nxdomain';
    if (code === 'ENODATA') return [];
    return { failed: typeof code === 'string' ? code : 'lookup error' };
  }
}

/** Why neither family gave an address, in the words a reason shows. */
function failureOf(v4: FamilyResult, v6: FamilyResult): string {
  const failed = [v4, v6].find(
    (r): r is { readonly failed: string } => typeof r === 'object' && 'failed' in r,
  );
  if (failed !== undefined) return failed.failed === 'ESERVFAIL' ? 'SERVFAIL' : failed.failed;
  if (v4 === 'nxdomain' || v6 === 'nxdomain') return 'no such name';
  return 'no addresses';
}

/** Each promise's result, or a time-out for those still out when `timeoutMs` has passed. */
async function withDeadline(
  timeoutMs: number,
  work: readonly Promise<FamilyResult>[],
): Promise<FamilyResult[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<FamilyResult>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.all(work.map((p) => Promise.race([p, deadline])));
  } finally {
    clearTimeout(timer);
  }
}

function uniqueAddresses(records: readonly ResolvedRecord[]): readonly IpAddress[] {
  const seen = new Map<string, IpAddress>();
  for (const record of records) {
    const ip = parseIpLiteral(record.address);
    if (ip !== undefined && !seen.has(ip.text)) seen.set(ip.text, ip);
  }
  return Object.freeze([...seen.values()]);
}
