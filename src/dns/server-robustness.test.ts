/**
 * What clients and upstreams can throw at the resolver: malformed packets, abusive TCP, dead and
 * lying upstreams, floods. Real sockets on 127.0.0.1 only; every wait is bounded.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import type { DnsEvent } from './events';
import { createDnsServer } from './server';
import type { DnsServer, DnsServerOptions } from './server';
import {
  LOOPBACK,
  createTestUpstream,
  ednsOpt,
  query,
  tcpExchange,
  udpQuery,
} from '../../test/support/dns-upstream';
import type { TestUpstream, UpstreamScript } from '../../test/support/dns-upstream';
import { lengthPrefixed } from './tcp-framing';
import { prng } from '../../test/support/random';

const answering: UpstreamScript = (q) => ({
  answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 60, data: '192.0.2.1' }],
});
const silent: UpstreamScript = () => 'drop';

let first: TestUpstream;
let second: TestUpstream;
const servers: DnsServer[] = [];

beforeAll(async () => {
  first = await createTestUpstream(answering);
  second = await createTestUpstream(answering);
});

afterEach(async () => {
  first.setScript(answering);
  second.setScript(answering);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await Promise.all([first.close(), second.close()]);
});

async function start(options: DnsServerOptions = {}) {
  const events: DnsEvent[] = [];
  const server = createDnsServer({ upstreams: [first.address], onEvent: (e) => events.push(e), ...options });
  servers.push(server);
  const { udpPort } = await server.listen(LOOPBACK, 0);
  return { server, port: udpPort, events };
}

const rcode = (p: DecodedPacket) => (p as DecodedPacket & { rcode: string }).rcode;
const outcomes = (events: DnsEvent[]) => events.flatMap((e) => (e.type === 'query' ? [e.outcome] : []));

function withQdcount(message: Buffer, count: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(count, 4);
  return copy;
}

async function healthy(port: number): Promise<void> {
  const reply = await udpQuery(port, query('still.example.com'));
  expect(reply).toBeDefined();
  expect(rcode(dnsPacket.decode(reply!))).toBe('NOERROR');
}

describe('DNS server: malformed queries', () => {
  it.each([
    ['no question', withQdcount(query('a.example.com'), 0)],
    [
      'two questions',
      dnsPacket.encode({
        id: 0x4242,
        questions: [
          { type: 'A', name: 'a.example.com' },
          { type: 'A', name: 'b.example.com' },
        ],
      }),
    ],
    ['a cut-off question', query('a.example.com').subarray(0, 18)],
  ])('answers FORMERR to %s', async (_name, message) => {
    const { port, events } = await start();
    const reply = await udpQuery(port, message);
    const decoded = dnsPacket.decode(reply!);
    expect(decoded.id).toBe(0x4242);
    expect(rcode(decoded)).toBe('FORMERR');
    expect(decoded.questions).toEqual([]);
    expect(outcomes(events)).toEqual(['formerr']);
  });

  it.each([
    ['a short packet', Buffer.from([1, 2, 3, 4, 5])],
    ['an empty packet', Buffer.alloc(0)],
    [
      'a response',
      dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'a.example.com' }] }),
    ],
  ])('drops %s', async (_name, message) => {
    const { port, events } = await start();
    expect(await udpQuery(port, message, 300)).toBeUndefined();
    expect(outcomes(events)).toEqual(['dropped']);
    await healthy(port);
  });

  it('answers NOTIMP to opcodes other than QUERY', async () => {
    const { port } = await start();
    const update = Buffer.from(query('a.example.com'));
    update.writeUInt16BE(update.readUInt16BE(2) | (5 << 11), 2);
    expect(rcode(dnsPacket.decode((await udpQuery(port, update))!))).toBe('NOTIMP');
  });

  it('survives random and mutated packets', async () => {
    // Mutated queries the test upstream cannot read go unanswered and hold in-flight slots until
    // their upstream timeout; a short one lets the slots drain before the health check.
    const { port } = await start({ upstreamTimeoutMs: 100, upstreamAttempts: 1 });
    const rand = prng(20240601);
    const valid = query('fuzz.example.com', 'A', { additionals: [ednsOpt(1232)] });
    const socket = dgram.createSocket('udp4');
    try {
      for (let i = 0; i < 1500; i++) {
        let packet: Buffer;
        if (i % 2 === 0) {
          packet = Buffer.from(
            Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)),
          );
        } else {
          packet = Buffer.from(valid);
          for (let flips = 1 + Math.floor(rand() * 4); flips > 0; flips--) {
            packet[Math.floor(rand() * packet.length)] = Math.floor(rand() * 256);
          }
        }
        socket.send(packet, port, LOOPBACK);
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
    } finally {
      socket.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    await healthy(port);
  });
});

describe('DNS server: TCP abuse', () => {
  it.each([
    ['the largest length prefix', Buffer.from([0xff, 0xff, 1, 2, 3])],
    ['a length just over the query limit', Buffer.from([0x10, 0x01])],
    ['a zero length', Buffer.from([0, 0])],
    ['HTTP instead of DNS', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['a message too short for a header', lengthPrefixed(Buffer.from([1, 2, 3]))],
  ])('disconnects a client that sends %s', async (_name, bytes) => {
    const { port } = await start();
    const started = Date.now();
    const result = await tcpExchange(port, bytes, 1, 2000);
    expect(result.closedByServer).toBe(true);
    expect(result.replies).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers pipelined queries on one connection', async () => {
    const { port } = await start();
    const a = Buffer.from(query('one.example.com'));
    const b = Buffer.from(query('two.example.com'));
    b.writeUInt16BE(7, 0);
    const result = await tcpExchange(port, Buffer.concat([lengthPrefixed(a), lengthPrefixed(b)]), 2);
    expect(result.replies.map((r) => dnsPacket.decode(r).id).sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual([
      7, 0x4242,
    ]);
  });

  it.each([
    ['sends nothing', Buffer.alloc(0)],
    ['never finishes its message', Buffer.from([0, 40, 1, 2, 3])],
  ])('closes an idle connection that %s', async (_name, bytes) => {
    const { port } = await start({ tcpIdleTimeoutMs: 150 });
    const started = Date.now();
    const result = await tcpExchange(port, bytes, 1, 3000);
    expect(result.closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('limits connections per client', async () => {
    const { port } = await start({ maxTcpConnectionsPerClient: 2 });
    const open = await Promise.all([0, 1].map(() => connect(port)));
    try {
      const third = await tcpExchange(port, Buffer.alloc(0), 1, 1000);
      expect(third.closedByServer).toBe(true);
    } finally {
      for (const s of open) s.destroy();
    }
  });
});

describe('DNS server: upstream failures', () => {
  it('answers SERVFAIL within the retry bound when every upstream is silent', async () => {
    first.setScript(silent);
    second.setScript(silent);
    const { port, events } = await start({
      upstreams: [first.address, second.address],
      upstreamTimeoutMs: 200,
      upstreamAttempts: 2,
    });
    const started = Date.now();
    const reply = await udpQuery(port, query('slow.example.com'), 3000);
    const elapsed = Date.now() - started;
    expect(rcode(dnsPacket.decode(reply!))).toBe('SERVFAIL');
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(1200);
    expect(outcomes(events)).toEqual(['servfail']);
  });

  it('retries on the second upstream when the first times out, and prefers it afterwards', async () => {
    first.setScript(silent);
    const firstBefore = first.received.length;
    const secondBefore = second.received.length;
    const { port } = await start({ upstreams: [first.address, second.address], upstreamTimeoutMs: 200 });
    const reply = await udpQuery(port, query('retry.example.com'), 3000);
    expect(rcode(dnsPacket.decode(reply!))).toBe('NOERROR');
    expect(first.received.length - firstBefore).toBe(1);
    expect(second.received.length - secondBefore).toBe(1);
    await udpQuery(port, query('again.example.com'), 3000);
    // Still one query at the silent upstream: the second one went straight to the one that answered.
    expect(first.received.length - firstBefore).toBe(1);
  });

  it('moves on from an upstream that answers SERVFAIL', async () => {
    first.setScript(() => ({ flags: dnsPacket.RECURSION_AVAILABLE | 2 }));
    const { port } = await start({ upstreams: [first.address, second.address] });
    const reply = dnsPacket.decode((await udpQuery(port, query('flaky.example.com')))!);
    expect(rcode(reply)).toBe('NOERROR');
  });

  it.each([
    ['the wrong ID', (q: DecodedPacket): Packet => ({ id: ((q.id ?? 0) + 1) & 0xffff, answers: [] })],
    ['another question', (): Packet => ({ questions: [{ type: 'A', name: 'other.example.com' }] })],
  ])('ignores an upstream answer with %s', async (_name, forge) => {
    first.setScript((q) =>
      dnsPacket.encode({ id: q.id ?? 0, type: 'response', questions: q.questions ?? [], ...forge(q) }),
    );
    const { port } = await start({ upstreamTimeoutMs: 150, upstreamAttempts: 1 });
    const reply = dnsPacket.decode((await udpQuery(port, query('forged.example.com'), 2000))!);
    expect(rcode(reply)).toBe('SERVFAIL');
  });

  it('survives mangled upstream answers', async () => {
    const rand = prng(7);
    first.setScript((q) => {
      const good = dnsPacket.encode({
        id: q.id ?? 0,
        type: 'response',
        questions: q.questions ?? [],
        answers: [
          { type: 'CNAME', name: q.questions?.[0]?.name ?? '', ttl: 60, data: 'target.example.net' },
          { type: 'A', name: 'target.example.net', ttl: 60, data: '192.0.2.9' },
        ],
      });
      for (let flips = 1 + Math.floor(rand() * 3); flips > 0; flips--) {
        good[2 + Math.floor(rand() * (good.length - 2))] = Math.floor(rand() * 256);
      }
      return good;
    });
    const { port } = await start({ upstreamTimeoutMs: 100, upstreamAttempts: 1 });
    for (let i = 0; i < 150; i++) {
      const reply = await udpQuery(port, query(`m${i}.example.com`), 1000);
      expect(reply).toBeDefined();
    }
    first.setScript(answering);
    await healthy(port);
  });
});

describe('DNS server: limits', () => {
  it('drops UDP queries over the per-client in-flight cap, and answers TCP ones SERVFAIL', async () => {
    const release: (() => void)[] = [];
    first.setScript(
      (q) => new Promise<Packet>((resolve) => release.push(() => resolve(answering(q, 'udp') as Packet))),
    );
    const { port, events } = await start({ maxInFlightPerClient: 2, upstreamTimeoutMs: 2000 });
    const pending = [0, 1, 2, 3].map((i) => udpQuery(port, query(`q${i}.example.com`), 600));
    await waitFor(() => release.length === 2);
    const tcp = await tcpExchange(port, lengthPrefixed(query('tcp.example.com')), 1);
    expect(rcode(dnsPacket.decode(tcp.replies[0]!))).toBe('SERVFAIL');
    for (const r of release) r();
    const replies = await Promise.all(pending);
    expect(replies.filter((r) => r !== undefined)).toHaveLength(2);
    expect(outcomes(events).sort()).toEqual(['answered', 'answered', 'dropped', 'dropped', 'servfail']);
  });
});

describe('DNS server: lifecycle', () => {
  it('refuses to forward to itself', async () => {
    const port = await freePort();
    const server = createDnsServer({ upstreams: [`${LOOPBACK}:${port}`] });
    servers.push(server);
    await expect(server.listen(LOOPBACK, port)).rejects.toThrow(/is this server/);
  });

  it('rejects bad options and a second listen', async () => {
    expect(() => createDnsServer({ upstreams: ['dns.google:53'] })).toThrow(/not an IP address/);
    expect(() => createDnsServer({ upstreams: [first.address], upstreamTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => createDnsServer({ resolvConfPath: '/nonexistent/resolv.conf' })).toThrow(/--dns-upstream/);
    const { server } = await start();
    await expect(server.listen(LOOPBACK, 0)).rejects.toThrow(/once/);
  });

  it('closes with queries in flight', async () => {
    first.setScript(silent);
    const { server, port } = await start({ upstreamTimeoutMs: 5000 });
    const pending = udpQuery(port, query('hang.example.com'), 400);
    await waitFor(() => first.received.length > 0);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(500);
    expect(await pending).toBeUndefined();
  });
});

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, LOOPBACK, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
