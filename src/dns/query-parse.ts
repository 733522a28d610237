/**
 * Reading a client's query: what to drop, what earns FORMERR, and the parts we forward.
 *
 * Only the first question is honoured, and a query must have exactly one (RFC 9619 made QDCOUNT=1
 * the rule; RFC 1035 never said what several would mean). The question is forwarded byte for byte,
 * so the name the policy judged is the name upstream resolves, and 0x20 case randomisation
 * survives. EDNS (RFC 6891) is passed through: the client's OPT record goes upstream unchanged.
 */
import { CLASSIC_UDP_BYTES, FLAG_QR, HEADER_BYTES, TYPE_OPT, frameMessage, readHeader } from './wire';
import { extend } from '../policy/extend';

export interface ClientOpt {
  /** The OPT record as the client sent it. */
  readonly bytes: Buffer;
  /** RFC 6891 §6.2.5: values below 512 are treated as 512. */
  readonly udpPayloadSize: number;
  /** RFC 3225: the DO bit, echoed in answers we make up. */
  readonly dnssecOk: boolean;
}

export interface ClientQuery {
  readonly kind: 'query';
  readonly id: number;
  readonly flags: number;
  /** The question section, header excluded. */
  readonly question: Buffer;
  /**
   * The name as dotted text, or undefined when it is not plain ASCII host-name text (a byte outside
   * printable ASCII, a `.` inside a label, a compression pointer): such a name cannot be judged by
   * the host-name rules, so it is refused like a denied one.
   */
  readonly name: string | undefined;
  readonly qtype: number;
  readonly qclass: number;
  readonly opt?: ClientOpt;
}

export type ParsedQuery =
  | { readonly kind: 'drop' }
  | { readonly kind: 'formerr'; readonly id: number; readonly flags: number }
  | ClientQuery;

const DROP = Object.freeze({ kind: 'drop' as const });

/**
 * Unreadable headers and responses are dropped: there is nothing to answer, and answering a response
 * could start a loop between two servers. Everything else that is malformed gets FORMERR.
 */
export function parseQuery(buf: Buffer, maxQueryBytes: number): ParsedQuery {
  const header = readHeader(buf);
  if (header === undefined || (header.flags & FLAG_QR) !== 0) return DROP;
  const formerr = { kind: 'formerr' as const, id: header.id, flags: header.flags };
  if (buf.length > maxQueryBytes || header.qdcount !== 1) return formerr;
  const frame = frameMessage(buf);
  if (frame === undefined) return formerr;

  let opt: ClientOpt | undefined;
  for (const record of frame.records) {
    if (record.type !== TYPE_OPT) continue;
    // RFC 6891 §6.1.1: at most one OPT, in the additional section, owned by the root.
    if (opt !== undefined || record.section !== 'additional' || record.nameEnd !== record.start + 1) {
      return formerr;
    }
    opt = {
      bytes: buf.subarray(record.start, record.end),
      udpPayloadSize: Math.max(CLASSIC_UDP_BYTES, record.rrclass),
      dnssecOk: (record.ttl & 0x8000) !== 0,
    };
  }

  const question = buf.subarray(HEADER_BYTES, frame.questionEnd);
  const query: ClientQuery = {
    kind: 'query',
    id: header.id,
    flags: header.flags,
    question,
    name: plainName(question),
    qtype: question.readUInt16BE(question.length - 4),
    qclass: question.readUInt16BE(question.length - 2),
  };
  return opt === undefined ? query : extend(query, { opt });
}

/** Dotted text of an uncompressed name whose labels are printable ASCII without `.`. */
function plainName(question: Buffer): string | undefined {
  const labels: string[] = [];
  let i = 0;
  for (;;) {
    const len = question[i]!;
    if (len === 0) return labels.join('.');
    if (len > 63) return undefined;
    for (let j = i + 1; j <= i + len; j++) {
      const c = question[j]!;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e) return undefined;
    }
    labels.push(question.toString('latin1', i + 1, i + 1 + len));
    i += 1 + len;
  }
}
