/**
 * Seeded randomness for property, differential and fuzz tests and for benchmark inputs, so a
 * failing case or a measured run can be reproduced exactly (mulberry32: tiny, good enough to
 * drive inputs; not for anything security-related).
 */

/** Floats in [0, 1), the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  };
}

export interface Random {
  /** An unsigned 32-bit integer. */
  u32(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createRandom(seed: number): Random {
  const next = prng(seed);
  const u32 = (): number => Math.floor(next() * 0x100000000) >>> 0;
  const int = (n: number): number => Math.floor(next() * n);
  return { u32, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** `TEST_SEED` when set, else a fresh seed that failure messages print so the run can be replayed. */
export function testSeed(): number {
  const fromEnv = Number(process.env['TEST_SEED']);
  return Number.isInteger(fromEnv) && fromEnv > 0
    ? fromEnv >>> 0
    : (Date.now() ^ (Math.random() * 2 ** 32)) >>> 0;
}
