/**
 * Minted certificates by name, so a name seen again costs a map lookup instead of a signature.
 *
 * - Bounded: at most `maxEntries` names (default 10,000); the least recently used goes first. An
 *   agent that walks through many names cannot grow the process.
 * - Fresh: an entry with a third or less of its lifetime left is minted again, so whatever is handed
 *   out (to a new SDS subscription, or as a rotation) always has at least a third of its lifetime
 *   ahead. The SDS service asks again at two thirds of the lifetime, which is exactly when an entry
 *   turns stale, so a rotation always gets a new leaf.
 * - One mint per name at a time: concurrent requests for a name share the mint in flight.
 */
import { InvalidCertificateNameError } from './certificate-name';
import type { CertificateMinter, MintedCertificate } from './minter';

export interface CertificateCacheStats {
  readonly size: number;
  /** Certificates minted (a fresh name, or a stale entry renewed). */
  readonly minted: number;
  /** Requests answered from the cache or from a mint already in flight. */
  readonly hits: number;
  /** Entries dropped to make room. */
  readonly evicted: number;
  /** Names the minter refused (not a host name or an IP). */
  readonly refused: number;
}

export interface CertificateCache {
  get(name: string): Promise<MintedCertificate>;
  stats(): CertificateCacheStats;
  readonly maxEntries: number;
}

export interface CertificateCacheOptions {
  readonly minter: Pick<CertificateMinter, 'mint'>;
  /** Default 10,000. */
  readonly maxEntries?: number;
  /** Milliseconds since the epoch; default Date.now. Must be the minter's clock. */
  readonly clock?: () => number;
}

export const DEFAULT_CACHE_ENTRIES = 10_000;

/** True when a third or less of the certificate's lifetime (counted from its mint) is left. */
export function isStale(certificate: MintedCertificate, now: number): boolean {
  const lifetime = certificate.notAfter - certificate.issuedAt;
  return (certificate.notAfter - now) * 3 <= lifetime;
}

export function createCertificateCache(options: CertificateCacheOptions): CertificateCache {
  const { minter } = options;
  const maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`the certificate cache needs room for at least one name (got ${maxEntries})`);
  }
  const clock = options.clock ?? Date.now;
  // A Map iterates in insertion order: deleting and re-setting on use keeps the least recently used
  // first, so eviction takes the first key.
  const entries = new Map<string, MintedCertificate>();
  const inFlight = new Map<string, Promise<MintedCertificate>>();
  let minted = 0;
  let hits = 0;
  let evicted = 0;
  let refused = 0;

  function store(key: string, certificate: MintedCertificate): void {
    entries.delete(key);
    entries.set(key, certificate);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
      evicted += 1;
    }
  }

  function mint(key: string): Promise<MintedCertificate> {
    const pending = minter.mint(key).then(
      (certificate) => {
        inFlight.delete(key);
        minted += 1;
        store(key, certificate);
        return certificate;
      },
      (err: unknown) => {
        inFlight.delete(key);
        if (err instanceof InvalidCertificateNameError) refused += 1;
        throw err;
      },
    );
    inFlight.set(key, pending);
    return pending;
  }

  return {
    maxEntries,
    get(name: string): Promise<MintedCertificate> {
      // Names differ only in case for DNS: one certificate serves both spellings.
      const key = name.toLowerCase();
      const cached = entries.get(key);
      if (cached !== undefined && !isStale(cached, clock())) {
        hits += 1;
        entries.delete(key);
        entries.set(key, cached);
        return Promise.resolve(cached);
      }
      const pending = inFlight.get(key);
      if (pending !== undefined) {
        hits += 1;
        return pending;
      }
      return mint(key);
    },
    stats: () => ({ size: entries.size, minted, hits, evicted, refused }),
  };
}
