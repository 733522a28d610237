/**
 * DNS message framing (RFC 1035 §4.1): the header, and where the question and each resource record
 * begin and end.
 *
 * Records are framed by their RDLENGTH, as every stub resolver frames them. dns-packet decodes a
 * record's contents (packet-codec.ts) but reads A, AAAA, CNAME and most other types without looking
 * at RDLENGTH, so on a crafted message it can disagree with the client about where records are; a
 * filter that sees different records than the client is a bypass. Framing here, and checking that
 * dns-packet consumed exactly each frame, closes that gap.
 */
import { ipv4FromNumber, ipv6FromWords, isIpv4MappedWords } from '../policy/ip';
import type { IpAddress } from '../policy/values';

export const HEADER_BYTES = 12;
/** RFC 1035 §4.2.1: the UDP payload limit without EDNS. */
export const CLASSIC_UDP_BYTES = 512;
/** RFC 1035 §4.2.2 / RFC 7766 §8: the two-byte length prefix caps a TCP message. */
export const MAX_MESSAGE_BYTES = 65_535;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const TYPE_A = 1;
export const TYPE_CNAME = 5;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_IXFR = 251;
export const TYPE_AXFR = 252;
export const CLASS_IN = 1;

/** RFC 1035 §3.1: 255 octets on the wire. */
const MAX_NAME_BYTES = 255;
/** Shortest question: root name, type, class. */
const MIN_QUESTION_BYTES = 5;
/** Shortest record: root name, type, class, TTL, RDLENGTH. */
const MIN_RECORD_BYTES = 11;

export interface Header {
  readonly id: number;
  readonly flags: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
}

export type Section = 'answer' | 'authority' | 'additional';

export interface RecordFrame {
  readonly section: Section;
  readonly start: number;
  /** End of the owner name (start of TYPE). */
  readonly nameEnd: number;
  readonly type: number;
  readonly rrclass: number;
  readonly ttl: number;
  readonly rdataStart: number;
  readonly end: number;
}

export interface MessageFrame {
  readonly header: Header;
  /** End of the first question; HEADER_BYTES when there is none. */
  readonly questionEnd: number;
  readonly records: readonly RecordFrame[];
}

export function readHeader(buf: Buffer): Header | undefined {
  if (buf.length < HEADER_BYTES) return undefined;
  return {
    id: buf.readUInt16BE(0),
    flags: buf.readUInt16BE(2),
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

export function opcodeOf(flags: number): number {
  return (flags >>> 11) & 0xf;
}

export function rcodeOf(flags: number): number {
  return flags & 0xf;
}

/**
 * Offset just past the name at `offset`, or -1. A compression pointer (RFC 1035 §4.1.4) ends the
 * name in place; the label types 01 and 10 are unassigned since RFC 6891 retired extended labels.
 */
export function skipName(buf: Buffer, offset: number): number {
  let i = offset;
  while (i < buf.length && i - offset < MAX_NAME_BYTES) {
    const len = buf[i]!;
    if (len === 0) return i + 1;
    if ((len & 0xc0) === 0xc0) return i + 2 <= buf.length ? i + 2 : -1;
    if ((len & 0xc0) !== 0) return -1;
    i += 1 + len;
  }
  return -1;
}

/**
 * Frames a whole message, or returns undefined when it is not one: a section runs past the end,
 * bytes are left over, or an IN-class A/AAAA record has the wrong RDLENGTH.
 */
export function frameMessage(buf: Buffer): MessageFrame | undefined {
  const header = readHeader(buf);
  if (header === undefined) return undefined;
  const rrCount = header.ancount + header.nscount + header.arcount;
  // Checked before anything is allocated: a 12-byte packet may claim 65535 records per section.
  if (HEADER_BYTES + header.qdcount * MIN_QUESTION_BYTES + rrCount * MIN_RECORD_BYTES > buf.length) {
    return undefined;
  }
  let offset = HEADER_BYTES;
  let questionEnd = HEADER_BYTES;
  for (let q = 0; q < header.qdcount; q++) {
    const end = skipName(buf, offset);
    if (end < 0 || end + 4 > buf.length) return undefined;
    offset = end + 4;
    if (q === 0) questionEnd = offset;
  }
  const records: RecordFrame[] = [];
  const sections: readonly [Section, number][] = [
    ['answer', header.ancount],
    ['authority', header.nscount],
    ['additional', header.arcount],
  ];
  for (const [section, count] of sections) {
    for (let r = 0; r < count; r++) {
      const nameEnd = skipName(buf, offset);
      if (nameEnd < 0 || nameEnd + 10 > buf.length) return undefined;
      const type = buf.readUInt16BE(nameEnd);
      const rrclass = buf.readUInt16BE(nameEnd + 2);
      const rdataStart = nameEnd + 10;
      const end = rdataStart + buf.readUInt16BE(nameEnd + 8);
      if (end > buf.length) return undefined;
      if (rrclass === CLASS_IN && type !== TYPE_OPT) {
        if (type === TYPE_A && end - rdataStart !== 4) return undefined;
        if (type === TYPE_AAAA && end - rdataStart !== 16) return undefined;
      }
      records.push({
        section,
        start: offset,
        nameEnd,
        type,
        rrclass,
        ttl: buf.readUInt32BE(nameEnd + 4),
        rdataStart,
        end,
      });
      offset = end;
    }
  }
  return offset === buf.length ? { header, questionEnd, records } : undefined;
}

/** The address in an A or AAAA record's RDATA; IPv4-mapped IPv6 is unmapped (RFC 4291 §2.5.5.2). */
export function addressOf(buf: Buffer, record: RecordFrame): IpAddress {
  const at = record.rdataStart;
  if (record.type === TYPE_A) return ipv4FromNumber(buf.readUInt32BE(at));
  const words = [
    buf.readUInt32BE(at),
    buf.readUInt32BE(at + 4),
    buf.readUInt32BE(at + 8),
    buf.readUInt32BE(at + 12),
  ] as const;
  return isIpv4MappedWords(words) ? ipv4FromNumber(words[3]) : ipv6FromWords(words);
}

export function isAddressRecord(record: RecordFrame): boolean {
  return record.rrclass === CLASS_IN && (record.type === TYPE_A || record.type === TYPE_AAAA);
}

/**
 * True when two single-question sections ask the same thing: type and class exactly, the name
 * ASCII-case-insensitively (RFC 4343). Both are uncompressed, being first in their messages.
 */
export function sameQuestion(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length || a.length < 5) return false;
  const nameEnd = a.length - 4;
  if (a.readUInt32BE(nameEnd) !== b.readUInt32BE(nameEnd)) return false;
  for (let i = 0; i < nameEnd; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && !(isAsciiLetter(x) && (x | 0x20) === (y | 0x20))) return false;
  }
  return true;
}

function isAsciiLetter(c: number): boolean {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

const TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'A'],
  [2, 'NS'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [12, 'PTR'],
  [15, 'MX'],
  [16, 'TXT'],
  [28, 'AAAA'],
  [33, 'SRV'],
  [35, 'NAPTR'],
  [43, 'DS'],
  [48, 'DNSKEY'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [251, 'IXFR'],
  [252, 'AXFR'],
  [255, 'ANY'],
  [257, 'CAA'],
]);

/** Mnemonic for common types, RFC 3597 §5 `TYPEnn` for the rest. */
export function typeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}
