/**
 * One cache of upstream answers, shared by every client's queries and by the lookups decisions make
 * (`lookup`). It is what pins a name to its addresses: a Check for `CONNECT internal.example:443`
 * looks the name up here, the decision judges those addresses, and when Envoy's dynamic forward
 * proxy then asks Portcullis's DNS for the name, it receives the very same answer from this cache.
 * Without it, a slow or rebinding authoritative server could show the decision one address and
 * Envoy another.
 *
 * Entries live for the answer's smallest TTL clamped to [minTtlMs, maxTtlMs] (the same clamps as the
 * bindings): an answer with TTL 0 is still held for the floor, which is the pinning window. Relayed
 * answers carry TTLs no longer than what is left of the entry, so a client never caches an answer
 * beyond Portcullis. Only NOERROR and NXDOMAIN answers are kept; SERVFAIL, REFUSED and silence are
 * asked again next time. Concurrent queries for one question share one upstream exchange.
 *
 * The key is the question (name case-folded, type, class), the CD bit and the DO bit, since each
 * changes what upstream answers, and not whether the query carried EDNS at all: Envoy's resolver and
 * the decisions' lookups must share entries whatever their stubs send. Decisions ask with EDNS (an
 * OPT record, DO clear); a client that sent no OPT gets the answer without it, and one too large for
 * its UDP limit is truncated by the handler, so the client asks again over TCP.
 */
import type { NameLookup } from '../engine/name-evidence';
import type { IpAddress } from '../policy/values';
import type { ClientQuery } from './query-parse';
import { filterAnswer } from './response-filter';
import { allowAll } from './policy';
import type { Forwarder, UpstreamAnswer } from './upstream';
import { upstreamQuery } from './messages';
import {
  CLASS_IN,
  FLAG_CD,
  FLAG_RD,
  HEADER_BYTES,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_SERVFAIL,
  TYPE_A,
  TYPE_AAAA,
  TYPE_OPT,
  frameMessage,
  rcodeOf,
} from './wire';

export interface AnswerCacheOptions {
  readonly forwarder: Forwarder;
  readonly minTtlMs: number;
  readonly maxTtlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

export interface AnswerCache {
  /** The upstream answer to this query (a copy the caller may change), or undefined on failure. */
  fetch(query: ClientQuery): Promise<UpstreamAnswer | undefined>;
  /**
   * The addresses `host` resolves to (A and AAAA, following its CNAME chain), through the same
   * cache, within `timeoutMs`. Never rejects; no address is reported as a `failure`.
   */
  lookup(host: string, timeoutMs: number): Promise<NameLookup>;
  /** The answer `lookup` would give at once from live entries, without asking; else undefined. */
  peek(host: string): NameLookup | undefined;
  readonly size: number;
}

interface Entry {
  readonly message: Buffer;
  readonly expiresAt: number;
}

/** What a decision's lookup asks with: one OPT record, 1232 bytes, DO clear. */
const LOOKUP_OPT = Buffer.from([0x00, TYPE_OPT >> 8, TYPE_OPT & 0xff, 0x04, 0xd0, 0, 0, 0, 0, 0, 0]);

export function createAnswerCache(options: AnswerCacheOptions): AnswerCache {
  const { forwarder, minTtlMs, maxTtlMs, maxEntries, now } = options;
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<Buffer | undefined>>();
  /**
   * Lookups read from live entries, each living no longer than the entries it was read from, so a
   * decision's warm lookup is one map read. Cleared whenever an entry is evicted early.
   */
  const lookups = new Map<string, { readonly lookup: NameLookup; readonly expiresAt: number }>();

  function remember(key: string, entry: Entry): void {
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > maxEntries) {
      entries.delete(entries.keys().next().value as string);
      lookups.clear();
    }
  }

  function peek(host: string): NameLookup | undefined {
    const hit = lookups.get(host);
    if (hit === undefined) return undefined;
    if (hit.expiresAt > now()) return hit.lookup;
    lookups.delete(host);
    return undefined;
  }

  async function ask(key: string, query: ClientQuery): Promise<Buffer | undefined> {
    const answer = await forwarder.forward(upstreamQuery(query), query.question);
    if (answer === undefined) return undefined;
    const rcode = rcodeOf(answer.frame.header.flags);
    if (rcode === RCODE_NOERROR || rcode === RCODE_NXDOMAIN) {
      remember(key, { message: answer.message, expiresAt: now() + lifetimeOf(answer) });
    }
    return answer.message;
  }

  function lifetimeOf(answer: UpstreamAnswer): number {
    let ttl = Infinity;
    for (const r of answer.frame.records) if (r.type !== TYPE_OPT) ttl = Math.min(ttl, ttlSeconds(r.ttl));
    const ms = Number.isFinite(ttl) ? ttl * 1000 : minTtlMs;
    return Math.min(maxTtlMs, Math.max(minTtlMs, ms));
  }

  async function fetch(query: ClientQuery): Promise<UpstreamAnswer | undefined> {
    const key = keyOf(query);
    const hit = entries.get(key);
    let message: Buffer | undefined;
    let expiresAt: number | undefined;
    if (hit !== undefined && hit.expiresAt > now()) {
      message = hit.message;
      expiresAt = hit.expiresAt;
    } else {
      let inFlight = pending.get(key);
      if (inFlight === undefined) {
        inFlight = ask(key, query).finally(() => pending.delete(key));
        pending.set(key, inFlight);
      }
      message = await inFlight;
      expiresAt = entries.get(key)?.expiresAt;
    }
    if (message === undefined) return undefined;
    return relayCopy(message, query, expiresAt === undefined ? undefined : expiresAt - now());
  }

  return {
    fetch,
    peek,
    async lookup(host, timeoutMs) {
      const known = peek(host);
      if (known !== undefined) return known;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
        timer.unref();
      });
      try {
        const queries = [lookupQuery(host, TYPE_A), lookupQuery(host, TYPE_AAAA)];
        const [v4, v6] = await Promise.all(queries.map((q) => Promise.race([fetch(q), deadline])));
        const lookup = readLookup(host, v4!, v6!);
        // Remembered only while both answers are cached, and never longer than either.
        const a = entries.get(keyOf(queries[0]!));
        const aaaa = entries.get(keyOf(queries[1]!));
        if (a !== undefined && aaaa !== undefined) {
          lookups.set(host, { lookup, expiresAt: Math.min(a.expiresAt, aaaa.expiresAt) });
          if (lookups.size > maxEntries) lookups.delete(lookups.keys().next().value as string);
        }
        return lookup;
      } finally {
        clearTimeout(timer);
      }
    },
    get size() {
      return entries.size;
    },
  };
}

/** Upstream's answer as this client should see it: its own question bytes, TTLs capped. */
function relayCopy(
  message: Buffer,
  query: ClientQuery,
  remainingMs: number | undefined,
): UpstreamAnswer | undefined {
  let copy = Buffer.from(message);
  // The cached answer's question differs from this one at most in letter case: same length.
  if (HEADER_BYTES + query.question.length <= copy.length) query.question.copy(copy, HEADER_BYTES);
  let frame = frameMessage(copy);
  if (frame === undefined) return undefined;
  // RFC 6891 §7: no OPT record in the answer to a query without one. It is the last record of the
  // answers upstream servers send; anywhere else, the answer is not relayed from the cache.
  const opt = frame.records.findIndex((r) => r.type === TYPE_OPT);
  if (opt >= 0 && query.opt === undefined) {
    if (opt !== frame.records.length - 1) return undefined;
    copy = copy.subarray(0, frame.records[opt]!.start);
    copy.writeUInt16BE(frame.header.arcount - 1, 10);
    frame = frameMessage(copy);
    if (frame === undefined) return undefined;
  }
  if (remainingMs !== undefined) {
    const cap = Math.max(0, Math.ceil(remainingMs / 1000));
    for (const r of frame.records) {
      if (r.type !== TYPE_OPT && ttlSeconds(r.ttl) > cap) copy.writeUInt32BE(cap, r.nameEnd + 4);
    }
  }
  // Framed again so the records' TTLs are the capped ones: bindings are made from them.
  return { message: copy, frame: frameMessage(copy)! };
}

function keyOf(query: ClientQuery): string {
  const name = query.question.subarray(0, query.question.length - 4);
  let folded = '';
  for (const byte of name) folded += String.fromCharCode(byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte);
  const cd = (query.flags & FLAG_CD) !== 0 ? 1 : 0;
  const dnssecOk = query.opt?.dnssecOk === true ? 1 : 0;
  return `${folded}/${query.qtype}/${query.qclass}/${cd}${dnssecOk}`;
}

function lookupQuery(host: string, qtype: number): ClientQuery {
  const labels = host.split('.').filter((l) => l.length > 0);
  const question = Buffer.alloc(labels.reduce((n, l) => n + l.length + 1, 0) + 5);
  let at = 0;
  for (const label of labels) {
    question.writeUInt8(label.length, at);
    question.write(label, at + 1, 'ascii');
    at += label.length + 1;
  }
  question.writeUInt8(0, at);
  question.writeUInt16BE(qtype, at + 1);
  question.writeUInt16BE(CLASS_IN, at + 3);
  return {
    kind: 'query',
    id: 0,
    flags: FLAG_RD,
    question,
    name: host,
    qtype,
    qclass: CLASS_IN,
    opt: { bytes: LOOKUP_OPT, udpPayloadSize: 1232, dnssecOk: false },
  };
}

const LOOKUP_CLIENT = { address: '', port: 0, transport: 'udp' as const, agentKey: '' };

/** The addresses at the end of the name's CNAME chain in both answers, or why there are none. */
function readLookup(
  host: string,
  v4: UpstreamAnswer | undefined | 'timeout',
  v6: UpstreamAnswer | undefined | 'timeout',
): NameLookup {
  const addresses: IpAddress[] = [];
  const rcodes: (number | 'timeout' | 'failed')[] = [];
  for (const answer of [v4, v6]) {
    if (answer === 'timeout' || answer === undefined) {
      rcodes.push(answer ?? 'failed');
      continue;
    }
    rcodes.push(rcodeOf(answer.frame.header.flags));
    const read = filterAnswer(answer.message, answer.frame, host, LOOKUP_CLIENT, allowAll);
    for (const binding of read?.bindings ?? []) {
      if (!addresses.some((a) => a.text === binding.ip.text)) addresses.push(binding.ip);
    }
  }
  if (addresses.length > 0) return { host, addresses };
  let failure = 'no addresses';
  if (rcodes.includes('timeout')) failure = 'timed out';
  else if (rcodes.includes('failed') || rcodes.includes(RCODE_SERVFAIL)) failure = 'SERVFAIL';
  else if (rcodes.includes(RCODE_NXDOMAIN)) failure = 'no such name';
  return { host, addresses: [], failure };
}

/** RFC 2181 §8: a TTL with the top bit set is read as zero. */
function ttlSeconds(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}
