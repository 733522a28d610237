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

const LABEL_EDGE = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const LABEL_INNER = [...LABEL_EDGE, ...LABEL_EDGE, '-', '_'];

/**
 * A host-name label of `length` characters: letters and digits at the edges, `-` and `_` too inside.
 * `odd`, when given, may return a character to put in a position instead (for near-misses).
 */
export function randomLabel(random: Random, length: number, odd?: () => string | undefined): string {
  let label = '';
  for (let i = 0; i < length; i++) {
    label += odd?.() ?? random.pick(i === 0 || i === length - 1 ? LABEL_EDGE : LABEL_INNER);
  }
  return label;
}

/** A name of 252-255 characters (around the 253 limit) made of the 63-character `labels`. */
export function randomLongName(random: Random, labels: readonly string[]): string {
  let remaining = 252 + random.int(4);
  const parts: string[] = [];
  while (remaining > 64) {
    parts.push(random.pick(labels));
    remaining -= 64;
  }
  parts.push(random.pick(labels).slice(63 - remaining));
  return parts.join('.');
}
