/**
 * The UDP and TCP front ends: move bytes between sockets and the query handler, and hold the
 * per-connection limits of RFC 7766 §6.2 (idle timeout, connections per client, a client that does
 * not read its answers). Neither ever throws into the event loop.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { parseRequestIp } from '../policy/ip';
import type { QueryHandler } from './query-handler';
import { createFrameDecoder, lengthPrefixed } from './tcp-framing';

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

export interface TcpLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerClient: number;
  /** RFC 7766 §6.2.3: closed when no query arrives for this long and none is in flight. */
  readonly idleTimeoutMs: number;
  readonly maxQueryBytes: number;
  /** Answers written but not yet read by the client, before we give up on it. */
  readonly maxUnreadBytes: number;
}

/** One spelling per client, so limits and agent keys agree: `::ffff:10.0.0.1` is 10.0.0.1. */
export function canonicalAddress(address: string): string {
  return parseRequestIp(address)?.text ?? address;
}

export function listenUdp(address: string, port: number, handle: QueryHandler): Promise<Listener> {
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  let closed = false;
  socket.on('message', (message, remote) => {
    const peer = { address: canonicalAddress(remote.address), port: remote.port, transport: 'udp' as const };
    handle(message, peer)
      .then((response) => {
        if (response === undefined || closed) return;
        socket.send(response, remote.port, remote.address, () => {
          // A send error (the client is gone, EMSGSIZE) concerns this answer only.
        });
      })
      .catch(ignore);
  });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      // After bind, socket errors are per datagram (ICMP unreachable and the like), never fatal.
      socket.on('error', () => {});
      resolve({
        port: socket.address().port,
        close: () =>
          new Promise<void>((done) => {
            closed = true;
            socket.close(() => done());
          }),
      });
    });
  });
}

export function listenTcp(
  address: string,
  port: number,
  handle: QueryHandler,
  limits: TcpLimits,
): Promise<Listener> {
  const connections = new Set<net.Socket>();
  const perClient = new Map<string, number>();
  const server = net.createServer({ noDelay: true }, (conn) => {
    const clientAddress = canonicalAddress(conn.remoteAddress ?? '');
    const count = perClient.get(clientAddress) ?? 0;
    if (conn.remoteAddress === undefined || count >= limits.maxConnectionsPerClient) {
      conn.destroy();
      return;
    }
    perClient.set(clientAddress, count + 1);
    connections.add(conn);
    const peer = { address: clientAddress, port: conn.remotePort ?? 0, transport: 'tcp' as const };
    const decoder = createFrameDecoder(limits.maxQueryBytes);
    let inFlight = 0;
    const idle = setTimeout(function onIdle() {
      if (inFlight > 0) idle.refresh();
      else conn.destroy();
    }, limits.idleTimeoutMs);

    conn.on('data', (chunk: Buffer) => {
      const messages = decoder.push(chunk);
      if (messages === 'invalid') {
        conn.destroy();
        return;
      }
      for (const message of messages) {
        idle.refresh();
        inFlight++;
        handle(message, peer)
          .then((response) => {
            if (conn.destroyed) return;
            // Unreadable bytes on a stream mean the framing can no longer be trusted.
            if (response === undefined) {
              conn.destroy();
              return;
            }
            conn.write(lengthPrefixed(response));
            if (conn.writableLength > limits.maxUnreadBytes) conn.destroy();
          })
          .catch(ignore)
          .finally(() => inFlight--);
      }
    });
    conn.on('error', () => conn.destroy());
    conn.on('close', () => {
      clearTimeout(idle);
      connections.delete(conn);
      const left = (perClient.get(clientAddress) ?? 1) - 1;
      if (left <= 0) perClient.delete(clientAddress);
      else perClient.set(clientAddress, left);
    });
  });
  server.maxConnections = limits.maxConnections;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => {});
      const bound = server.address();
      resolve({
        port: typeof bound === 'object' && bound !== null ? bound.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const conn of connections) conn.destroy();
          }),
      });
    });
  });
}

function ignore(): void {}
