/**
 * The largest CheckRequest Portcullis decodes, and the marker that stands in for a larger one.
 *
 * grpc-js answers a message over its receive limit with RESOURCE_EXHAUSTED, which Envoy resolves
 * through its failure mode (an allow under `failure_mode_allow`), not as a denial. So the server
 * lifts grpc-js's limit (server.ts) and the deserializer enforces this bound itself: a larger
 * CheckRequest is not decoded but becomes a marker that the handler answers with a normal
 * `invalid_request` deny (service.ts).
 */
import type { CheckRequest } from '../protos';
import type { CheckSurface } from './check-request';

const MiB = 1024 * 1024;

/**
 * 64 MiB: what Envoy can put in a CheckRequest, within a bound that keeps memory sane.
 *
 * - Headers: `max_request_headers_kb` is at most 8192 KiB, so up to 8 MiB of header names and
 *   values (plus a few bytes of protobuf framing per header).
 * - Body: `with_request_body.max_request_bytes` is a uint32, so Envoy itself allows up to 4 GiB.
 *   This bound leaves 64 − 8 = 56 MiB for it; with framing and the other attributes (addresses,
 *   TLS session, metadata: a few KiB), a body of up to 48 MiB always fits.
 *
 * Anything larger is denied as `invalid_request` (fail closed), never a gRPC error.
 */
export const MAX_CHECK_REQUEST_BYTES = 64 * MiB;

export interface OversizedCheck {
  /** The encoded size of the CheckRequest as received. */
  readonly bytes: number;
  /** From the encoded attributes, without decoding them; `check-http` when that cannot be told. */
  readonly surface: CheckSurface;
}

const OVERSIZED: unique symbol = Symbol('oversized CheckRequest');

type Marked = CheckRequest & { readonly [OVERSIZED]?: OversizedCheck };

/**
 * An empty CheckRequest carrying the size: a handler that ignored the marker would still deny it
 * (attributes missing), so the marker can only make the answer more precise.
 */
export function oversizedCheckRequest(bytes: Buffer): CheckRequest {
  const marked: Marked = { [OVERSIZED]: { bytes: bytes.length, surface: surfaceOfEncoded(bytes) } };
  return marked;
}

export function oversizeOf(check: CheckRequest): OversizedCheck | undefined {
  return (check as Marked)[OVERSIZED];
}

export function oversizeMessage(oversized: OversizedCheck): string {
  return `CheckRequest of ${oversized.bytes} bytes exceeds the ${MAX_CHECK_REQUEST_BYTES / MiB} MiB bound`;
}

/** CheckRequest.attributes and AttributeContext.request (external_auth.proto, attribute_context.proto). */
const ATTRIBUTES_FIELD = 1;
const REQUEST_FIELD = 4;
/** Fields looked at per message level: Envoy sends a handful; a crafted message gets no long scan. */
const MAX_FIELDS_SCANNED = 64;

/**
 * Only the HTTP filter sends `attributes.request` (check-request.ts `checkSurface`). Reads the
 * protobuf wire format's tags and lengths only, so nothing is decoded or copied. When the bytes do
 * not tell, `check-http`: its answer carries the 403 the HTTP filter sends, which the network
 * filter ignores.
 */
export function surfaceOfEncoded(bytes: Uint8Array): CheckSurface {
  const attributes = findField(bytes, 0, bytes.length, ATTRIBUTES_FIELD);
  if (typeof attributes === 'string') return attributes === 'absent' ? 'check-l4' : 'check-http';
  const request = findField(bytes, attributes.start, attributes.end, REQUEST_FIELD);
  return request === 'absent' ? 'check-l4' : 'check-http';
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/**
 * The payload of the first length-delimited `field` in one message level, `absent` when the level
 * was read to its end without it, `unknown` when the scan stopped first (malformed bytes, or more
 * than MAX_FIELDS_SCANNED fields).
 */
function findField(
  bytes: Uint8Array,
  from: number,
  to: number,
  wanted: number,
): { readonly start: number; readonly end: number } | 'absent' | 'unknown' {
  let pos = from;
  for (let n = 0; n < MAX_FIELDS_SCANNED; n++) {
    if (pos === to) return 'absent';
    const tag = readVarint(bytes, pos, to);
    if (tag === undefined) return 'unknown';
    const wireType = tag.value % 8;
    pos = tag.next;
    let start = pos;
    let end: number;
    if (wireType === VARINT) {
      const value = readVarint(bytes, pos, to);
      if (value === undefined) return 'unknown';
      end = value.next;
    } else if (wireType === I64) {
      end = pos + 8;
    } else if (wireType === I32) {
      end = pos + 4;
    } else if (wireType === LEN) {
      const length = readVarint(bytes, pos, to);
      if (length === undefined) return 'unknown';
      start = length.next;
      end = start + length.value;
    } else {
      return 'unknown'; // groups (deprecated) or garbage
    }
    if (end > to) return 'unknown';
    if (wireType === LEN && Math.floor(tag.value / 8) === wanted) return { start, end };
    pos = end;
  }
  return 'unknown';
}

/** Varints up to 2^53: lengths and tags here never come close. */
function readVarint(
  bytes: Uint8Array,
  pos: number,
  to: number,
): { readonly value: number; readonly next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 8 && pos + i < to; i++) {
    const byte = bytes[pos + i];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: pos + i + 1 };
    scale *= 128;
  }
  return undefined;
}
