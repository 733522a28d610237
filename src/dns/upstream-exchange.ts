/**
 * One query to one upstream over UDP or TCP, bounded by a timeout. Each UDP exchange gets its own
 * connected socket: a fresh source port per query (RFC 5452, against off-path spoofing) and the
 * kernel discards datagrams from any other address. A datagram that is not the reply (wrong ID or
 * question) is ignored, not fatal, so a spoofer cannot cut an exchange short.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Upstream } from './resolv-conf';
import { createFrameDecoder, lengthPrefixed } from './tcp-framing';
import { MAX_MESSAGE_BYTES } from './wire';

export interface Exchange {
  readonly result: Promise<Buffer | undefined>;
  /** Settles `result` with undefined now; for shutdown. */
  cancel(): void;
}

/** Decides whether a message is the reply we wait for; anything else is ignored, not fatal. */
export type ReplyFilter = (message: Buffer) => boolean;

export function exchangeUdp(
  upstream: Upstream,
  query: Buffer,
  isReply: ReplyFilter,
  timeoutMs: number,
): Exchange {
  const socket = dgram.createSocket(upstream.family === 6 ? 'udp6' : 'udp4');
  let settle: (value: Buffer | undefined) => void = () => {};
  const result = new Promise<Buffer | undefined>((resolve) => {
    let done = false;
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    function finish(value: Buffer | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // Already closed by an error.
      }
      resolve(value);
    }
    settle = finish;
    socket.on('error', () => finish(undefined));
    socket.on('message', (message) => {
      if (isReply(message)) finish(message);
    });
    socket.connect(upstream.port, upstream.host, () => {
      socket.send(query, (err) => {
        if (err) finish(undefined);
      });
    });
  });
  return { result, cancel: () => settle(undefined) };
}

/** RFC 7766: one query per connection here; the upstream may close after answering. */
export function exchangeTcp(
  upstream: Upstream,
  query: Buffer,
  isReply: ReplyFilter,
  timeoutMs: number,
): Exchange {
  const socket = net.connect({ host: upstream.host, port: upstream.port, noDelay: true });
  let settle: (value: Buffer | undefined) => void = () => {};
  const result = new Promise<Buffer | undefined>((resolve) => {
    let done = false;
    const decoder = createFrameDecoder(MAX_MESSAGE_BYTES);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    function finish(value: Buffer | undefined): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    }
    settle = finish;
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('connect', () => socket.write(lengthPrefixed(query)));
    socket.on('data', (chunk: Buffer) => {
      const messages = decoder.push(chunk);
      if (messages === 'invalid') return finish(undefined);
      const reply = messages.find(isReply);
      if (reply !== undefined) finish(reply);
    });
  });
  return { result, cancel: () => settle(undefined) };
}
