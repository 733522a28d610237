/**
 * The flat, path-compressed binary trie behind `cidr-index.ts`, and how it is built.
 *
 * Keys are addresses as `words` unsigned 32-bit words (1 for IPv4, 4 for IPv6), most significant
 * first. Everything lives in typed arrays: no per-node objects for the garbage collector to trace,
 * and a build of 100k prefixes is a sort plus one linear pass.
 */

/** Prefixes as added, in parallel arrays; `keys` holds `words` entries per prefix. */
export interface PrefixList<T> {
  readonly keys: number[];
  readonly lengths: number[];
  readonly values: T[];
}

/**
 * Nodes are interleaved in one `Int32Array`, `stride` ints each, so that a step down the trie
 * touches one cache line rather than one per field: at 100k prefixes the walk is bound by cache
 * misses, not instructions.
 *
 * Node layout at offset `o`: the prefix in `words` ints (uint32 bit patterns, host bits zero), then
 * `meta` (`prefixLength | (group + 1) << 8`, group 0 meaning no values), then the offsets of the
 * children for the next bit being 0 and 1 (-1 for none). The root is at offset 0. A node without
 * values always has both children, and every node's prefix extends its parent's, so there are fewer
 * than twice as many nodes as distinct prefixes.
 */
export interface CidrTrie<T> {
  readonly nodeCount: number;
  readonly nodes: Int32Array;
  /** Group `g`'s values are `values[groupStart[g]] … values[groupStart[g + 1] - 1]`. */
  readonly groupStart: Int32Array;
  readonly values: readonly T[];
}

/** Ints per node: IPv4 packs into 16 bytes, IPv6 into 32 (one spare) to stay cache-line aligned. */
const STRIDE = { 1: 4, 4: 8 } as const;
/** Offsets of the fields after the prefix words. */
export const META = 0;
export const CHILD0 = 1;
const CHILD1 = 2;
/** `meta` keeps 23 bits for the group, and the prefix length in the low 8. */
const MAX_GROUPS = (1 << 23) - 2;

/** The network mask for the first `len` bits of a 32-bit word; `len` may be ≤ 0 or ≥ 32. */
export function mask(len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return 0xffffffff;
  return (0xffffffff << (32 - len)) >>> 0;
}

/**
 * Sorts the prefixes by (address, length, insertion order), merges equal prefixes into groups and
 * builds the trie over the groups.
 *
 * In a sorted range of distinct prefixes whose addresses share `c` leading bits, a prefix of length
 * `c` or less can only be the first one: its host bits are zero, so its address is the smallest in
 * the range. The range's node therefore has length `min(c, first length)` and holds the first
 * group's values exactly when that group has that length; the rest split on the next bit, and
 * because the range is sorted that split is a single boundary found by binary search.
 */
export function buildCidrTrie<T>(list: PrefixList<T>, words: 1 | 4): CidrTrie<T> {
  const n = list.lengths.length;
  const keys = Uint32Array.from(list.keys);
  const lens = Uint8Array.from(list.lengths);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => compareKeys(keys, a, keys, b, words) || lens[a] - lens[b] || a - b);

  const groupKeys = new Uint32Array(n * words);
  const groupLens = new Uint8Array(n);
  /** One past the last value of each group in `values`. */
  const groupEnd = new Int32Array(n);
  const values: T[] = [];
  let groups = 0;
  for (const i of order) {
    const last = groups - 1;
    if (groups === 0 || groupLens[last] !== lens[i] || compareKeys(groupKeys, last, keys, i, words) !== 0) {
      groupKeys.set(keys.subarray(i * words, i * words + words), groups * words);
      groupLens[groups] = lens[i];
      groups++;
    }
    values.push(list.values[i]);
    groupEnd[groups - 1] = values.length;
  }

  if (groups > MAX_GROUPS) {
    throw new RangeError(`too many distinct CIDRs in one family: ${groups} (at most ${MAX_GROUPS})`);
  }
  const groupStart = new Int32Array(groups + 1);
  groupStart.set(groupEnd.subarray(0, groups), 1);

  const stride = STRIDE[words];
  const nodes = new Int32Array(Math.max(1, 2 * groups - 1) * stride);
  let nodeCount = 0;
  const buildRange = (lo: number, hi: number): number => {
    const o = nodeCount++ * stride;
    const shared = commonBits(groupKeys, lo, hi - 1, words);
    const len = Math.min(shared, groupLens[lo]);
    for (let w = 0; w < words; w++) nodes[o + w] = groupKeys[lo * words + w] & mask(len - 32 * w);
    let rest = lo;
    let meta = len;
    if (groupLens[lo] === len) {
      meta |= (lo + 1) << 8;
      rest = lo + 1;
    }
    nodes[o + words + META] = meta;
    nodes[o + words + CHILD0] = -1;
    nodes[o + words + CHILD1] = -1;
    if (rest < hi) {
      const word = len >>> 5;
      const shift = 31 - (len & 31);
      let a = rest;
      let b = hi;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if (((groupKeys[mid * words + word] >>> shift) & 1) === 0) a = mid + 1;
        else b = mid;
      }
      if (rest < a) nodes[o + words + CHILD0] = buildRange(rest, a);
      if (a < hi) nodes[o + words + CHILD1] = buildRange(a, hi);
    }
    return o;
  };
  if (groups > 0) buildRange(0, groups);
  return { nodeCount, nodes, groupStart, values };
}

function compareKeys(x: Uint32Array, i: number, y: Uint32Array, j: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const d = x[i * words + w] - y[j * words + w];
    if (d !== 0) return d;
  }
  return 0;
}

/** Number of leading bits keys `i` and `j` share. */
function commonBits(keys: Uint32Array, i: number, j: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const x = (keys[i * words + w] ^ keys[j * words + w]) >>> 0;
    if (x !== 0) return w * 32 + Math.clz32(x);
  }
  return words * 32;
}
