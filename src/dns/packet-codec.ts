/**
 * The parts of dns-packet we use beyond its message-level API. Its index.js exports the record and
 * name codecs (`exports.answer`, `exports.name`), which @types/dns-packet does not declare; they are
 * typed here once, and checked at load so an incompatible dns-packet fails loudly rather than late.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import type { RecordFrame } from './wire';

interface Decoder<T> {
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
}

const parts = dnsPacket as unknown as { answer?: Decoder<Answer>; name?: Decoder<string> };
if (typeof parts.answer?.decode !== 'function' || typeof parts.name?.decode !== 'function') {
  throw new Error('dns-packet no longer exports its answer and name codecs; pin dns-packet@5.6.1');
}
const answerCodec = parts.answer;
const nameCodec = parts.name;

/**
 * dns-packet's reading of one framed record, or undefined when it throws or reads a different
 * number of bytes than the record's RDLENGTH says it holds (see wire.ts).
 */
export function decodeRecord(buf: Buffer, frame: RecordFrame): Answer | undefined {
  try {
    const record = answerCodec.decode(buf, frame.start);
    return answerCodec.decode.bytes === frame.end - frame.start ? record : undefined;
  } catch {
    return undefined;
  }
}

/** A possibly compressed name (RFC 1035 §4.1.4), as dotted text; pointers may only point backwards. */
export function decodeName(buf: Buffer, offset: number): string | undefined {
  try {
    return nameCodec.decode(buf, offset);
  } catch {
    return undefined;
  }
}

/** dns-packet writes every name uncompressed, so any slice of its output can be moved freely. */
export function encodePacket(packet: Packet): Buffer {
  return dnsPacket.encode(packet);
}
