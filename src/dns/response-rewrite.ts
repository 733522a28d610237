/**
 * Removing records from an upstream answer. Rare (only when something was stripped), so it goes
 * through dns-packet: every kept record is decoded, checked against its frame, and re-encoded
 * uncompressed, since a removed record may hold a name that later records point to (RFC 1035
 * §4.1.4). The question is copied byte for byte.
 *
 * Known loss, acceptable on this path: dns-packet writes an unknown CLASS as 0 and re-splits labels
 * on `.`; neither occurs in IN answers from a sane recursive resolver.
 */
import type { Answer } from 'dns-packet';
import { decodeRecord, encodePacket } from './packet-codec';
import { HEADER_BYTES } from './wire';
import type { MessageFrame } from './wire';

/** The answer without the records at `remove`, with `id`; undefined when a kept record is unreadable. */
export function rewriteAnswer(
  buf: Buffer,
  frame: MessageFrame,
  remove: ReadonlySet<number>,
  id: number,
): Buffer | undefined {
  const answers: Answer[] = [];
  const authorities: Answer[] = [];
  const additionals: Answer[] = [];
  for (let i = 0; i < frame.records.length; i++) {
    if (remove.has(i)) continue;
    const record = frame.records[i]!;
    const decoded = decodeRecord(buf, record);
    if (decoded === undefined) return undefined;
    if (record.section === 'answer') answers.push(decoded);
    else if (record.section === 'authority') authorities.push(decoded);
    else additionals.push(decoded);
  }
  let encoded: Buffer;
  try {
    encoded = encodePacket({
      id,
      type: 'response',
      flags: frame.header.flags & 0x7fff,
      questions: [],
      answers,
      authorities,
      additionals,
    });
  } catch {
    return undefined;
  }
  const question = buf.subarray(HEADER_BYTES, frame.questionEnd);
  const out = Buffer.concat([encoded.subarray(0, HEADER_BYTES), question, encoded.subarray(HEADER_BYTES)]);
  out.writeUInt16BE(frame.header.qdcount === 0 ? 0 : 1, 4);
  return out;
}
