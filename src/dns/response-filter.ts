/**
 * What an upstream answer may hand to this agent, and what it proves.
 *
 * The answer section is read as one CNAME chain from the query name (NPEP-133: every name of a chain
 * in one response is bound; Cilium ignoring CNAMEs is cilium/cilium#30588). Each address owned by a
 * name on the chain is bound to the chain up to that name and judged by `checkAnswer` with those
 * names: 'strip' removes it (the rebinding defence: a name we allow must not lead the agent to
 * 169.254.169.254). Addresses outside the chain are removed without a word, as stub resolvers ignore
 * them anyway, and are never bound. Addresses in the additional section are judged too, since some
 * clients use them, but never bound: they answer no question the agent asked.
 *
 * A binding lives as long as its weakest link: the address record's TTL or any CNAME's on the way.
 */
import { normalizeHostname } from '../policy/hostname';
import type { IpAddress } from '../policy/values';
import { decodeName, decodeRecord } from './packet-codec';
import type { DnsClient, DnsPolicy } from './policy';
import { CLASS_IN, TYPE_CNAME, addressOf, isAddressRecord } from './wire';
import type { MessageFrame } from './wire';

export interface AnswerBinding {
  readonly names: readonly string[];
  readonly ip: IpAddress;
  readonly ttl: number;
}

export interface StrippedAnswer {
  readonly names: readonly string[];
  readonly ip: IpAddress;
}

export interface FilterResult {
  /**
   * The whole answer becomes REFUSED: its CNAME chain reaches a blocked name (`blockedName`), or
   * answer addresses were stripped and none is left.
   */
  readonly refuse: boolean;
  readonly blockedName?: string;
  /** Indexes into `frame.records` to remove before the answer goes out. */
  readonly remove: ReadonlySet<number>;
  readonly bindings: readonly AnswerBinding[];
  readonly stripped: readonly StrippedAnswer[];
}

interface ChainLink {
  readonly owner: string;
  readonly target: string;
  readonly ttl: number;
}

/** Undefined when a record we must read cannot be read (the caller answers SERVFAIL). */
export function filterAnswer(
  buf: Buffer,
  frame: MessageFrame,
  queryName: string,
  client: DnsClient,
  policy: DnsPolicy,
): FilterResult | undefined {
  const links: ChainLink[] = [];
  const owners: (string | undefined)[] = [];
  for (const record of frame.records) {
    let owner: string | undefined;
    if (isAddressRecord(record) || (record.type === TYPE_CNAME && record.rrclass === CLASS_IN)) {
      const text = decodeName(buf, record.start);
      if (text === undefined) return undefined;
      owner = normalizedOrUndefined(text);
    }
    owners.push(owner);
    if (record.section === 'answer' && record.type === TYPE_CNAME && record.rrclass === CLASS_IN) {
      const decoded = decodeRecord(buf, record);
      if (decoded === undefined || decoded.type !== 'CNAME') return undefined;
      const target = normalizedOrUndefined(decoded.data);
      if (owner !== undefined && target !== undefined) links.push({ owner, target, ttl: ttlOf(record.ttl) });
    }
  }

  const chain = [queryName];
  const chainTtl = [Infinity];
  for (let step = 0; step < links.length; step++) {
    const last = chain[chain.length - 1]!;
    const link = links.find((l) => l.owner === last);
    if (link === undefined || chain.includes(link.target)) break;
    chain.push(link.target);
    chainTtl.push(Math.min(chainTtl[chainTtl.length - 1]!, link.ttl));
  }

  for (let i = 1; i < chain.length; i++) {
    if (policy.checkChain(client, chain[i]!) === 'refuse') {
      return { refuse: true, blockedName: chain[i]!, remove: new Set(), bindings: [], stripped: [] };
    }
  }

  const remove = new Set<number>();
  const bindings: AnswerBinding[] = [];
  const stripped: StrippedAnswer[] = [];
  let strippedAnswers = 0;
  frame.records.forEach((record, index) => {
    if (!isAddressRecord(record) || record.section === 'authority') return;
    const owner = owners[index];
    const ip = addressOf(buf, record);
    if (record.section === 'additional') {
      const names = owner === undefined ? [] : [owner];
      if (policy.checkAnswer(client, names, ip) === 'strip') {
        remove.add(index);
        stripped.push({ names, ip });
      }
      return;
    }
    const at = owner === undefined ? -1 : chain.indexOf(owner);
    if (at < 0) {
      remove.add(index);
      return;
    }
    const names = chain.slice(0, at + 1);
    if (policy.checkAnswer(client, names, ip) === 'strip') {
      remove.add(index);
      stripped.push({ names, ip });
      strippedAnswers++;
      return;
    }
    bindings.push({ names, ip, ttl: Math.min(ttlOf(record.ttl), chainTtl[at]!) });
  });

  return { refuse: strippedAnswers > 0 && bindings.length === 0, remove, bindings, stripped };
}

/**
 * Only plain ASCII names take part: a stub compares names on the wire, so a UTF-8 owner that IDNA
 * would map onto the query name's punycode is, to the client, a different name.
 */
function normalizedOrUndefined(text: string): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(text)) return undefined;
  const result = normalizeHostname(text);
  return result.ok ? result.host : undefined;
}

/** RFC 2181 §8: a TTL with the top bit set is read as zero. */
function ttlOf(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}
