/**
 * DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by its length as
 * two bytes. The decoder keeps at most one partial message, so a client cannot make it buffer more
 * than `maxMessageBytes` + 1, however it splits or pipelines its writes.
 */

export interface FrameDecoder {
  /**
   * Feeds bytes; returns the complete messages they finish, or 'invalid' when a length prefix is 0
   * or above the limit, after which the stream cannot be trusted and the caller disconnects.
   */
  push(chunk: Buffer): Buffer[] | 'invalid';
  /** Bytes of an unfinished message held. */
  readonly pending: number;
}

export function createFrameDecoder(maxMessageBytes: number): FrameDecoder {
  let buffered: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      let data = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const out: Buffer[] = [];
      while (data.length >= 2) {
        const length = data.readUInt16BE(0);
        if (length === 0 || length > maxMessageBytes) {
          buffered = Buffer.alloc(0);
          return 'invalid';
        }
        if (data.length < 2 + length) break;
        out.push(data.subarray(2, 2 + length));
        data = data.subarray(2 + length);
      }
      // Copied so a small remainder does not pin the whole chunk it came in.
      buffered = data.length === 0 ? Buffer.alloc(0) : Buffer.from(data);
      return out;
    },
    get pending() {
      return buffered.length;
    },
  };
}

export function lengthPrefixed(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}
