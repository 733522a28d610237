/**
 * CIDR lookup for compiled policy: which values hold a CIDR that contains this address.
 *
 * Each family gets a path-compressed binary trie flattened into typed arrays. Path compression keeps
 * the node count below twice the number of distinct prefixes, so 100k IPv6 /128 host routes cost the
 * same memory as 100k IPv4 ones, and a lookup visits at most one node per distinct prefix length on
 * the address's path (≤ 33 for IPv4, ≤ 129 for IPv6) whatever the number of CIDRs.
 * `net.BlockList`, the obvious alternative, checks its rules one by one: linear in their number.
 */
import type { Cidr, IpAddress } from '../policy/values';
import type { CidrTrie, PrefixList } from './cidr-trie';
import { buildCidrTrie, CHILD0, mask, META } from './cidr-trie';

export interface CidrIndex<T> {
  /** Number of (CIDR, value) pairs added, duplicates included. */
  readonly size: number;
  /** Whether any CIDR of the address's family contains it. Allocates nothing. */
  has(ip: IpAddress): boolean;
  /**
   * Calls `fn` for each value whose CIDR contains `ip`, shortest prefix first, values of one CIDR in
   * insertion order. Returning `true` from `fn` stops the walk.
   */
  forEach(ip: IpAddress, fn: (value: T, prefixLength: number) => boolean | void): void;
  /** The first value `forEach` would visit, without a callback to allocate. */
  first(ip: IpAddress): T | undefined;
}

export interface CidrIndexBuilder<T> {
  add(cidr: Cidr, value: T): CidrIndexBuilder<T>;
  /** Snapshots what has been added so far; later `add` calls do not change a built index. */
  build(): CidrIndex<T>;
}

export function createCidrIndex<T>(): CidrIndexBuilder<T> {
  const v4: PrefixList<T> = { keys: [], lengths: [], values: [] };
  const v6: PrefixList<T> = { keys: [], lengths: [], values: [] };
  const builder: CidrIndexBuilder<T> = {
    add(cidr, value) {
      const { address, prefixLength } = cidr;
      if (address.family === 4) {
        checkPrefixLength(cidr, 32);
        v4.keys.push((address.value & mask(prefixLength)) >>> 0);
        v4.lengths.push(prefixLength);
        v4.values.push(value);
      } else {
        checkPrefixLength(cidr, 128);
        address.words.forEach((w, i) => v6.keys.push((w & mask(prefixLength - 32 * i)) >>> 0));
        v6.lengths.push(prefixLength);
        v6.values.push(value);
      }
      return builder;
    },
    build() {
      return createIndex(buildCidrTrie(v4, 1), buildCidrTrie(v6, 4), v4.values.length + v6.values.length);
    },
  };
  return builder;
}

function checkPrefixLength(cidr: Cidr, bits: number): void {
  const n = cidr.prefixLength;
  if (!Number.isInteger(n) || n < 0 || n > bits) {
    throw new RangeError(`CIDR ${cidr.text}: prefix length ${n} is not in 0…${bits}`);
  }
}

function createIndex<T>(t4: CidrTrie<T>, t6: CidrTrie<T>, size: number): CidrIndex<T> {
  return Object.freeze({
    size,
    has(ip: IpAddress): boolean {
      if (ip.family === 4) return findV4(t4, ip.value >>> 0, null);
      const w = ip.words;
      return findV6(t6, w[0], w[1], w[2], w[3], null);
    },
    forEach(ip: IpAddress, fn: (value: T, prefixLength: number) => boolean | void): void {
      if (ip.family === 4) {
        findV4(t4, ip.value >>> 0, fn);
      } else {
        const w = ip.words;
        findV6(t6, w[0], w[1], w[2], w[3], fn);
      }
    },
    first(ip: IpAddress): T | undefined {
      const found =
        ip.family === 4
          ? findV4(t4, ip.value >>> 0, FIRST)
          : findV6(t6, ip.words[0], ip.words[1], ip.words[2], ip.words[3], FIRST);
      if (!found) return undefined;
      const value = firstValue as T;
      firstValue = undefined;
      return value;
    },
  });
}

type Visitor<T> = ((value: T, prefixLength: number) => boolean | void) | null | typeof FIRST;

/** The visitor `first` passes: the walk stops at the first value and leaves it in `firstValue`. */
const FIRST = Symbol('first');
let firstValue: unknown;

/** Without `fn`, answers that the group has values; with it, whether `fn` stopped the walk. */
function visit<T>(t: CidrTrie<T>, group: number, len: number, fn: Visitor<T>): boolean {
  if (fn === null) return true;
  if (fn === FIRST) {
    firstValue = t.values[t.groupStart[group]!];
    return true;
  }
  const end = t.groupStart[group + 1];
  for (let v = t.groupStart[group]; v < end; v++) {
    if (fn(t.values[v], len) === true) return true;
  }
  return false;
}

/**
 * Walks the path of `a`. Without `fn` it answers "any value on the path"; with `fn` it visits them
 * all and answers whether `fn` stopped the walk.
 */
function findV4<T>(t: CidrTrie<T>, a: number, fn: Visitor<T>): boolean {
  if (t.nodeCount === 0) return false;
  const nodes = t.nodes;
  for (let o = 0; o >= 0;) {
    const meta = nodes[o + 1 + META];
    const len = meta & 0xff;
    if (len !== 0 && (a ^ nodes[o]) >>> (32 - len) !== 0) return false;
    if (meta >>> 8 !== 0 && visit(t, (meta >>> 8) - 1, len, fn)) return true;
    // A /32 node has no children, so the bit read past the end only picks between two -1s.
    o = nodes[o + 1 + CHILD0 + ((a >>> (31 - len)) & 1)];
  }
  return false;
}

function findV6<T>(t: CidrTrie<T>, w0: number, w1: number, w2: number, w3: number, fn: Visitor<T>): boolean {
  if (t.nodeCount === 0) return false;
  const nodes = t.nodes;
  for (let o = 0; o >= 0;) {
    const meta = nodes[o + 4 + META];
    const len = meta & 0xff;
    if (
      !wordMatches(w0, nodes[o], len) ||
      !wordMatches(w1, nodes[o + 1], len - 32) ||
      !wordMatches(w2, nodes[o + 2], len - 64) ||
      !wordMatches(w3, nodes[o + 3], len - 96)
    ) {
      return false;
    }
    if (meta >>> 8 !== 0 && visit(t, (meta >>> 8) - 1, len, fn)) return true;
    const word = len < 64 ? (len < 32 ? w0 : w1) : len < 96 ? w2 : w3;
    o = nodes[o + 4 + CHILD0 + ((word >>> (31 - (len & 31))) & 1)];
  }
  return false;
}

/** Whether the first `len` bits (clamped to 0…32) of two words agree. */
function wordMatches(a: number, b: number, len: number): boolean {
  if (len <= 0) return true;
  if (len >= 32) return (a ^ b) === 0;
  return (a ^ b) >>> (32 - len) === 0;
}
