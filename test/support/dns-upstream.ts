/**
 * A scriptable upstream DNS server and small clients, for the tests and the benchmark. Loopback
 * only: tests must never reach a real resolver. Every wait is bounded by a timeout.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import { createFrameDecoder, lengthPrefixed } from '../../src/dns/tcp-framing';
import { FLAG_RA, FLAG_RD, MAX_MESSAGE_BYTES } from '../../src/dns/wire';

export const LOOPBACK = '127.0.0.1';

/** What the upstream does with one query: answer (header fields filled in), stay silent, or send raw bytes. */
export type UpstreamReply = Packet | 'drop' | Buffer;
export type UpstreamScript = (
  query: DecodedPacket,
  transport: 'udp' | 'tcp',
) => UpstreamReply | Promise<UpstreamReply>;

export interface ReceivedQuery {
  readonly transport: 'udp' | 'tcp';
  readonly packet: DecodedPacket;
  readonly raw: Buffer;
}

export interface TestUpstream {
  readonly port: number;
  /** `127.0.0.1:PORT`, ready for `upstreams`. */
  readonly address: string;
  /** The last 1000 queries received, oldest first. */
  readonly received: ReceivedQuery[];
  setScript(script: UpstreamScript): void;
  close(): Promise<void>;
}

const RECEIVED_KEPT = 1000;

/** Binds UDP and TCP on one loopback port, as a real resolver does. */
export async function createTestUpstream(script: UpstreamScript): Promise<TestUpstream> {
  let current = script;
  const received: ReceivedQuery[] = [];
  const sockets = new Set<net.Socket>();

  async function reply(raw: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(raw);
    } catch {
      return undefined;
    }
    received.push({ transport, packet, raw: Buffer.from(raw) });
    if (received.length > RECEIVED_KEPT) received.shift();
    const answer = await current(packet, transport);
    if (answer === 'drop') return undefined;
    if (Buffer.isBuffer(answer)) return answer;
    return dnsPacket.encode({
      id: packet.id ?? 0,
      type: 'response',
      flags: FLAG_RD | FLAG_RA,
      questions: packet.questions ?? [],
      ...answer,
    });
  }

  for (let attempt = 0; attempt < 10; attempt++) {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, LOOPBACK, () => resolve());
    });
    const port = udp.address().port;
    const tcp = net.createServer((conn) => {
      sockets.add(conn);
      const decoder = createFrameDecoder(MAX_MESSAGE_BYTES);
      conn.on('error', () => conn.destroy());
      conn.on('close', () => sockets.delete(conn));
      conn.on('data', (chunk: Buffer) => {
        const messages = decoder.push(chunk);
        if (messages === 'invalid') return void conn.destroy();
        for (const m of messages) {
          void reply(m, 'tcp').then((out) => {
            if (out !== undefined && !conn.destroyed) conn.write(lengthPrefixed(out));
          });
        }
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, LOOPBACK, () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    udp.on('error', () => {});
    udp.on('message', (raw, remote) => {
      void reply(raw, 'udp').then((out) => {
        if (out !== undefined) udp.send(out, remote.port, remote.address, () => {});
      });
    });
    return {
      port,
      address: `${LOOPBACK}:${port}`,
      received,
      setScript(next) {
        current = next;
      },
      close: async () => {
        for (const s of sockets) s.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      },
    };
  }
  throw new Error('test upstream: no free port for UDP and TCP together');
}

/** One query over UDP from a fresh socket; undefined when nothing arrives in time. */
export function udpQuery(port: number, message: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => done(undefined), timeoutMs);
    function done(value: Buffer | undefined): void {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    }
    socket.on('error', () => done(undefined));
    socket.once('message', (reply) => done(reply));
    socket.send(message, port, LOOPBACK);
  });
}

export interface TcpResult {
  readonly replies: Buffer[];
  /** The server closed the connection before the wait ended. */
  readonly closedByServer: boolean;
}

/**
 * Writes `bytes` on a new TCP connection and collects framed replies until `expect` have arrived,
 * the server closes, or `timeoutMs` passes.
 */
export function tcpExchange(
  port: number,
  bytes: Buffer,
  expect: number,
  timeoutMs = 2000,
): Promise<TcpResult> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    const decoder = createFrameDecoder(MAX_MESSAGE_BYTES);
    const socket = net.connect({ host: LOOPBACK, port });
    let finished = false;
    const timer = setTimeout(() => done(false), timeoutMs);
    function done(closedByServer: boolean): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ replies, closedByServer });
    }
    socket.on('error', () => done(true));
    socket.on('close', () => done(true));
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      const messages = decoder.push(chunk);
      if (messages !== 'invalid') replies.push(...messages);
      if (replies.length >= expect) done(false);
    });
  });
}

/** A query message, as dns-packet encodes it. */
export function query(name: string, type: dnsPacket.RecordType = 'A', extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({
    id: 0x4242,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    ...extra,
  });
}

/** An OPT record (RFC 6891) with every field @types/dns-packet requires. */
export function ednsOpt(
  udpPayloadSize: number,
  extra: { dnssecOk?: boolean; paddingBytes?: number } = {},
): OptAnswer {
  const dnssecOk = extra.dnssecOk === true;
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    flag_do: dnssecOk,
    options: extra.paddingBytes === undefined ? [] : [{ code: 12, length: extra.paddingBytes }],
  };
}
