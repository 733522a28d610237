/**
 * Messages we write ourselves: the query sent upstream, and the answers we make up (FORMERR,
 * REFUSED, NXDOMAIN, SERVFAIL, NOTIMP, and truncated answers). Built by hand from the client's own
 * question bytes, which keeps its exact name and case (RFC 1035 §4.1.1 header layout).
 */
import type { ClientQuery } from './query-parse';
import {
  FLAG_AD,
  FLAG_CD,
  FLAG_QR,
  FLAG_RA,
  FLAG_RD,
  FLAG_TC,
  HEADER_BYTES,
  TYPE_OPT,
  opcodeOf,
} from './wire';

/** What we advertise in OPT records we write: the DNS Flag Day 2020 size, safe from fragmentation. */
export const ADVERTISED_UDP_BYTES = 1232;

const OPT_BYTES = 11;

function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(flags, 2);
  buf.writeUInt16BE(qd, 4);
  buf.writeUInt16BE(an, 6);
  buf.writeUInt16BE(ns, 8);
  buf.writeUInt16BE(ar, 10);
  return buf;
}

/** RFC 6891 §6.1.2: root owner, our payload size as CLASS, DO echoed (RFC 3225 §3), no options. */
function optRecord(dnssecOk: boolean): Buffer {
  const buf = Buffer.alloc(OPT_BYTES);
  buf.writeUInt16BE(TYPE_OPT, 1);
  buf.writeUInt16BE(ADVERTISED_UDP_BYTES, 3);
  buf.writeUInt16BE(dnssecOk ? 0x8000 : 0, 7);
  return buf;
}

/** The query we send upstream: our ID, the client's RD/AD/CD bits, question and OPT as sent. */
export function upstreamQuery(query: ClientQuery): Buffer {
  const flags = query.flags & (FLAG_RD | FLAG_AD | FLAG_CD);
  const parts = [header(0, flags, 1, 0, 0, query.opt === undefined ? 0 : 1), query.question];
  if (query.opt !== undefined) parts.push(query.opt.bytes);
  return Buffer.concat(parts);
}

/** FORMERR echoes no question: the one we got could not be read, or there was not exactly one. */
export function formErr(id: number, queryFlags: number): Buffer {
  return header(id, responseFlags(queryFlags, 1), 0, 0, 0, 0);
}

/** An answer with no records: REFUSED, NXDOMAIN, SERVFAIL, NOTIMP. */
export function emptyAnswer(query: ClientQuery, rcode: number): Buffer {
  const hasOpt = query.opt !== undefined;
  const parts = [
    header(query.id, responseFlags(query.flags, rcode), 1, 0, 0, hasOpt ? 1 : 0),
    query.question,
  ];
  if (hasOpt) parts.push(optRecord(query.opt!.dnssecOk));
  return Buffer.concat(parts);
}

/**
 * RFC 2181 §9 / RFC 7766 §5: an answer too large for the client's UDP limit goes back empty with TC
 * set, and the client asks again over TCP. Upstream's flags and RCODE are kept.
 */
export function truncatedAnswer(query: ClientQuery, upstreamFlags: number): Buffer {
  const hasOpt = query.opt !== undefined;
  const parts = [
    header(query.id, (upstreamFlags | FLAG_QR | FLAG_TC) & 0xffff, 1, 0, 0, hasOpt ? 1 : 0),
    query.question,
  ];
  if (hasOpt) parts.push(optRecord(query.opt!.dnssecOk));
  return Buffer.concat(parts);
}

/** QR set, the query's opcode and RD bit, recursion available (we are a recursive service). */
function responseFlags(queryFlags: number, rcode: number): number {
  return FLAG_QR | (opcodeOf(queryFlags) << 11) | (queryFlags & FLAG_RD) | FLAG_RA | rcode;
}
