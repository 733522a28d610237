import { createCertificateCache, isStale } from './certificate-cache';
import { InvalidCertificateNameError, parseCertificateName } from './certificate-name';
import type { MintedCertificate } from './minter';

const LIFETIME = 15 * 60_000;

/** A stand-in minter: counts mints per name, optionally holds them until released. */
function fakeMinter(clock: () => number) {
  const calls: string[] = [];
  let serial = 0;
  const held: (() => void)[] = [];
  let hold = false;
  return {
    calls,
    hold(on: boolean) {
      hold = on;
    },
    release() {
      for (const r of held.splice(0)) r();
    },
    async mint(name: string): Promise<MintedCertificate> {
      calls.push(name);
      parseCertificateName(name);
      if (hold) await new Promise<void>((r) => held.push(r));
      const issuedAt = clock();
      serial += 1;
      return {
        name,
        certificateChainPem: `chain-${name}-${serial}`,
        privateKeyPem: 'key',
        serialNumber: String(serial),
        issuedAt,
        notBefore: issuedAt - 300_000,
        notAfter: issuedAt + LIFETIME,
      };
    },
  };
}

describe('createCertificateCache', () => {
  it('mints a name once and answers again from the cache, case-insensitively', async () => {
    let now = 1_000_000;
    const minter = fakeMinter(() => now);
    const cache = createCertificateCache({ minter, clock: () => now });
    const first = await cache.get('a.example');
    now += 60_000;
    expect(await cache.get('a.example')).toBe(first);
    expect(await cache.get('A.Example')).toBe(first);
    expect(minter.calls).toEqual(['a.example']);
    expect(cache.stats()).toEqual({ size: 1, minted: 1, hits: 2, evicted: 0, refused: 0 });
  });

  it('mints again once a third or less of the lifetime is left', async () => {
    let now = 1_000_000;
    const minter = fakeMinter(() => now);
    const cache = createCertificateCache({ minter, clock: () => now });
    const first = await cache.get('a.example');
    now = first.issuedAt + (LIFETIME * 2) / 3 - 1;
    expect(await cache.get('a.example')).toBe(first);
    now = first.issuedAt + (LIFETIME * 2) / 3;
    const second = await cache.get('a.example');
    expect(second).not.toBe(first);
    expect(second.issuedAt).toBe(now);
    expect(cache.stats()).toMatchObject({ size: 1, minted: 2 });
  });

  it('holds at most maxEntries names, dropping the least recently used', async () => {
    const minter = fakeMinter(() => 0);
    const cache = createCertificateCache({ minter, clock: () => 0, maxEntries: 3 });
    for (const n of ['a.x', 'b.x', 'c.x']) await cache.get(n);
    await cache.get('a.x'); // a is now the most recently used
    await cache.get('d.x');
    await cache.get('e.x');
    expect(cache.stats()).toEqual({ size: 3, minted: 5, hits: 1, evicted: 2, refused: 0 });
    minter.calls.length = 0;
    await cache.get('a.x');
    expect(minter.calls).toEqual([]);
    await cache.get('b.x');
    expect(minter.calls).toEqual(['b.x']);
  });

  it('shares one mint between concurrent requests for a name', async () => {
    const minter = fakeMinter(() => 0);
    minter.hold(true);
    const cache = createCertificateCache({ minter, clock: () => 0 });
    const pending = Array.from({ length: 20 }, () => cache.get('a.example'));
    // Let the mint start, then release it.
    await new Promise((r) => setImmediate(r));
    minter.release();
    const results = await Promise.all(pending);
    expect(new Set(results).size).toBe(1);
    expect(minter.calls).toEqual(['a.example']);
    expect(cache.stats()).toMatchObject({ minted: 1, hits: 19 });
  });

  it('counts refused names and caches nothing for them', async () => {
    const minter = fakeMinter(() => 0);
    const cache = createCertificateCache({ minter, clock: () => 0 });
    await expect(cache.get('*.example')).rejects.toBeInstanceOf(InvalidCertificateNameError);
    await expect(cache.get('*.example')).rejects.toBeInstanceOf(InvalidCertificateNameError);
    expect(cache.stats()).toEqual({ size: 0, minted: 0, hits: 0, evicted: 0, refused: 2 });
  });

  it('forgets a failed mint, so the next request tries again', async () => {
    let fail = true;
    const minter = fakeMinter(() => 0);
    const cache = createCertificateCache({
      minter: { mint: (n) => (fail ? Promise.reject(new Error('signer down')) : minter.mint(n)) },
      clock: () => 0,
    });
    await expect(cache.get('a.example')).rejects.toThrow('signer down');
    fail = false;
    await expect(cache.get('a.example')).resolves.toMatchObject({ name: 'a.example' });
  });

  it('refuses a cache with no room', () => {
    expect(() => createCertificateCache({ minter: fakeMinter(() => 0), maxEntries: 0 })).toThrow(RangeError);
  });

  it('isStale: exactly at two thirds of the lifetime', () => {
    const c = { issuedAt: 0, notAfter: 900 } as MintedCertificate;
    expect(isStale(c, 599)).toBe(false);
    expect(isStale(c, 600)).toBe(true);
  });
});
