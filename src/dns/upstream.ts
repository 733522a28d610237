/**
 * Forwarding to the upstream resolvers: a per-try timeout, retries across upstreams, and the TCP
 * retry for truncated UDP answers (RFC 7766 §5; RFC 1035 §4.2.1).
 *
 * Tries start at the upstream that answered last, so a dead first resolver costs one timeout once,
 * not on every query. SERVFAIL and REFUSED from an upstream move on to the next try; if every try
 * ends that way, the last such answer is relayed. An answer is accepted only when it is a response
 * to our ID with our question, and frames cleanly (wire.ts).
 */
import { randomInt } from 'node:crypto';
import type { Upstream } from './resolv-conf';
import { exchangeTcp, exchangeUdp } from './upstream-exchange';
import type { Exchange } from './upstream-exchange';
import {
  FLAG_QR,
  FLAG_TC,
  HEADER_BYTES,
  RCODE_REFUSED,
  RCODE_SERVFAIL,
  frameMessage,
  rcodeOf,
  readHeader,
  sameQuestion,
  skipName,
} from './wire';
import type { MessageFrame } from './wire';

export interface ForwarderOptions {
  readonly upstreams: readonly Upstream[];
  /** Per try, and again for the TCP retry of a truncated answer. */
  readonly timeoutMs: number;
  /** Tries in all, rotating through the upstreams. */
  readonly attempts: number;
}

export interface UpstreamAnswer {
  readonly message: Buffer;
  readonly frame: MessageFrame;
}

export interface Forwarder {
  /**
   * `query` is a complete query message whose question section is `question`; its ID is
   * overwritten for each try.
   */
  forward(query: Buffer, question: Buffer): Promise<UpstreamAnswer | undefined>;
  /** Ends every exchange in flight; later calls resolve undefined at once. */
  close(): void;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { upstreams, timeoutMs, attempts } = options;
  if (upstreams.length === 0) throw new Error('DNS forwarder: no upstream resolvers');
  const live = new Set<Exchange>();
  let preferred = 0;
  let closed = false;

  async function run(exchange: Exchange): Promise<Buffer | undefined> {
    live.add(exchange);
    try {
      return await exchange.result;
    } finally {
      live.delete(exchange);
    }
  }

  async function tryOnce(
    upstream: Upstream,
    query: Buffer,
    question: Buffer,
  ): Promise<UpstreamAnswer | undefined> {
    const id = randomInt(0x10000);
    query.writeUInt16BE(id, 0);
    const isReply = (message: Buffer) => answers(message, id, question);
    let message = await run(exchangeUdp(upstream, query, isReply, timeoutMs));
    if (message !== undefined && (message.readUInt16BE(2) & FLAG_TC) !== 0 && !closed) {
      message = await run(exchangeTcp(upstream, query, isReply, timeoutMs));
    }
    if (message === undefined) return undefined;
    const frame = frameMessage(message);
    return frame === undefined ? undefined : { message, frame };
  }

  return {
    async forward(query, question) {
      let fallback: UpstreamAnswer | undefined;
      for (let attempt = 0; attempt < attempts && !closed; attempt++) {
        const index = (preferred + attempt) % upstreams.length;
        const answer = await tryOnce(upstreams[index]!, query, question);
        if (answer === undefined) continue;
        const rcode = rcodeOf(answer.frame.header.flags);
        if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) {
          fallback = answer;
          continue;
        }
        preferred = index;
        return answer;
      }
      return closed ? undefined : fallback;
    },
    close() {
      closed = true;
      for (const exchange of live) exchange.cancel();
      live.clear();
    },
  };
}

/** RFC 5452 §4: a reply is a response with our ID and our question, in exactly one question section. */
function answers(message: Buffer, id: number, question: Buffer): boolean {
  const header = readHeader(message);
  if (header === undefined || header.id !== id || (header.flags & FLAG_QR) === 0 || header.qdcount !== 1) {
    return false;
  }
  const end = skipName(message, HEADER_BYTES) + 4;
  return (
    end >= HEADER_BYTES + 5 &&
    end <= message.length &&
    sameQuestion(question, message.subarray(HEADER_BYTES, end))
  );
}
