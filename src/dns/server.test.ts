/**
 * The resolver end to end over real UDP and TCP sockets on 127.0.0.1, against a test upstream.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';
import { parseIpLiteral } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import type { DnsEvent } from './events';
import type { DnsPolicy } from './policy';
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
import type { TestUpstream } from '../../test/support/dns-upstream';
import { lengthPrefixed } from './tcp-framing';

const ip = (text: string): IpAddress => parseIpLiteral(text)!;

const ZONE: Record<string, Answer[]> = {
  'www.example.com': [
    { type: 'CNAME', name: 'www.example.com', ttl: 300, data: 'www.example.com.edge.example.net' },
    { type: 'CNAME', name: 'www.example.com.edge.example.net', ttl: 300, data: 'e7.edge.example.net' },
    { type: 'A', name: 'e7.edge.example.net', ttl: 120, data: '192.0.2.7' },
    { type: 'A', name: 'e7.edge.example.net', ttl: 120, data: '192.0.2.8' },
  ],
  'api.example.com': [{ type: 'A', name: 'api.example.com', ttl: 30, data: '192.0.2.20' }],
  'rebind.example.com': [{ type: 'A', name: 'rebind.example.com', ttl: 30, data: '169.254.169.254' }],
  'mixed.example.com': [
    { type: 'A', name: 'mixed.example.com', ttl: 30, data: '127.0.0.1' },
    { type: 'A', name: 'mixed.example.com', ttl: 30, data: '192.0.2.30' },
  ],
  'dns.google': [{ type: 'A', name: 'dns.google', ttl: 30, data: '192.0.2.53' }],
  'big.example.com': Array.from({ length: 60 }, (_, i) => ({
    type: 'A' as const,
    name: 'big.example.com',
    ttl: 30,
    data: `198.51.100.${i + 1}`,
  })),
};

function zoneScript(q: DecodedPacket): Packet {
  const name = q.questions?.[0]?.name.toLowerCase() ?? '';
  const answers = ZONE[name];
  const opt = q.additionals?.find((r) => r.type === 'OPT');
  const additionals: Answer[] = opt === undefined ? [] : [ednsOpt(1232)];
  if (answers === undefined) return { flags: dnsPacket.RECURSION_AVAILABLE | 3, additionals };
  return { answers, additionals };
}

/** Strips guarded and listed addresses; refuses listed names. */
const guardPolicy = (refusedNames: string[] = []): DnsPolicy => ({
  checkChain: () => 'allow',
  checkQuery: (_client, name) => (refusedNames.includes(name) ? 'refuse' : 'allow'),
  checkAnswer: (_client, _names, addr) =>
    addr.text.startsWith('169.254.') || addr.text.startsWith('127.') ? 'strip' : 'keep',
});

let upstream: TestUpstream;
const servers: DnsServer[] = [];

beforeAll(async () => {
  upstream = await createTestUpstream(zoneScript);
});

afterEach(async () => {
  upstream.setScript(zoneScript);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await upstream.close();
});

async function start(options: DnsServerOptions = {}) {
  const events: DnsEvent[] = [];
  const server = createDnsServer({
    upstreams: [upstream.address],
    onEvent: (e) => events.push(e),
    ...options,
  });
  servers.push(server);
  const { udpPort, tcpPort } = await server.listen(LOOPBACK, 0);
  expect(tcpPort).toBe(udpPort);
  return { server, port: udpPort, events };
}

async function ask(port: number, message: Buffer): Promise<DecodedPacket> {
  const reply = await udpQuery(port, message);
  if (reply === undefined) throw new Error('no answer');
  return dnsPacket.decode(reply);
}

const rcode = (p: DecodedPacket) => (p as DecodedPacket & { rcode: string }).rcode;
const addresses = (p: DecodedPacket) =>
  (p.answers ?? []).filter((r) => r.type === 'A').map((r) => (r as { data: string }).data);

describe('DNS server: bindings', () => {
  it('answers through the upstream and binds every name of the CNAME chain', async () => {
    const { server, port, events } = await start();
    const answer = await ask(port, query('WWW.Example.com'));
    expect(answer.id).toBe(0x4242);
    expect(answer.questions?.[0]?.name).toBe('WWW.Example.com');
    expect(addresses(answer)).toEqual(['192.0.2.7', '192.0.2.8']);
    const chain = ['www.example.com', 'www.example.com.edge.example.net', 'e7.edge.example.net'];
    expect(server.bindings.namesFor(LOOPBACK, ip('192.0.2.7'))).toEqual(chain);
    expect(server.bindings.namesFor(LOOPBACK, ip('192.0.2.8'))).toEqual(chain);
    expect(events.filter((e) => e.type === 'binding')).toHaveLength(2);
    expect(events.find((e) => e.type === 'query')).toMatchObject({
      name: 'www.example.com',
      qtype: 'A',
      outcome: 'answered',
      flags: [],
      client: { address: LOOPBACK, transport: 'udp', agentKey: LOOPBACK },
    });
  });

  it('expires bindings on the injected clock, clamped to the minimum', async () => {
    let now = 5_000_000;
    const { server, port } = await start({
      now: () => now,
      bindingLimits: { minTtlSeconds: 60, maxTtlSeconds: 3600 },
    });
    await ask(port, query('api.example.com'));
    now += 59_000;
    expect(server.bindings.namesFor(LOOPBACK, ip('192.0.2.20'))).toEqual(['api.example.com']);
    now += 1_000;
    expect(server.bindings.namesFor(LOOPBACK, ip('192.0.2.20'))).toEqual([]);
  });

  it('keeps one agent’s bindings from answering for another', async () => {
    let agent = 'agent-a';
    const { server, port } = await start({ identify: () => agent });
    await ask(port, query('api.example.com'));
    agent = 'agent-b';
    await ask(port, query('www.example.com'));
    expect(server.bindings.namesFor('agent-a', ip('192.0.2.20'))).toEqual(['api.example.com']);
    expect(server.bindings.namesFor('agent-b', ip('192.0.2.20'))).toEqual([]);
    expect(server.bindings.namesFor('agent-a', ip('192.0.2.7'))).toEqual([]);
    expect(server.bindings.stats()).toEqual({ agents: 2, bindings: 7 });
  });

  it('applies the per-name address cap to real answers', async () => {
    const { server, port } = await start({ bindingLimits: { maxAddressesPerName: 10 } });
    const reply = await tcpExchange(port, lengthPrefixed(query('big.example.com')), 1);
    expect(dnsPacket.decode(reply.replies[0]!).answers).toHaveLength(60);
    expect(server.bindings.namesFor(LOOPBACK, ip('198.51.100.50'))).toEqual([]);
    expect(server.bindings.namesFor(LOOPBACK, ip('198.51.100.51'))).toEqual(['big.example.com']);
    expect(server.bindings.stats().bindings).toBe(10);
  });
});

describe('DNS server: policy', () => {
  it.each([
    ['REFUSED by default', undefined, 'REFUSED'],
    ['NXDOMAIN when configured', 'nxdomain' as const, 'NXDOMAIN'],
  ])('answers a refused name %s, without asking upstream', async (_name, reject, expected) => {
    const { port, events } = await start({
      policy: guardPolicy(['api.example.com']),
      ...(reject ? { reject } : {}),
    });
    const before = upstream.received.length;
    const answer = await ask(port, query('api.example.com'));
    expect(rcode(answer)).toBe(expected);
    expect(answer.questions?.[0]?.name).toBe('api.example.com');
    expect(upstream.received.length).toBe(before);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'query', outcome: 'refused', name: 'api.example.com' }),
    );
  });

  it('refuses a rebinding answer and reports it', async () => {
    const { server, port, events } = await start({ policy: guardPolicy() });
    const answer = await ask(port, query('rebind.example.com'));
    expect(rcode(answer)).toBe('REFUSED');
    expect(answer.answers).toEqual([]);
    expect(server.bindings.namesFor(LOOPBACK, ip('169.254.169.254'))).toEqual([]);
    const blocked = events.filter((e) => e.type === 'dns_rebinding_blocked');
    expect(blocked).toHaveLength(1);
    expect(blocked[0]).toMatchObject({ names: ['rebind.example.com'], ip: { text: '169.254.169.254' } });
  });

  it('keeps only the good address of a mixed answer', async () => {
    const { server, port, events } = await start({ policy: guardPolicy() });
    const answer = await ask(port, query('mixed.example.com'));
    expect(rcode(answer)).toBe('NOERROR');
    expect(addresses(answer)).toEqual(['192.0.2.30']);
    expect(server.bindings.namesFor(LOOPBACK, ip('192.0.2.30'))).toEqual(['mixed.example.com']);
    expect(server.bindings.namesFor(LOOPBACK, ip('127.0.0.1'))).toEqual([]);
    expect(events.filter((e) => e.type === 'dns_rebinding_blocked')).toHaveLength(1);
  });

  it('flags encrypted-DNS names, and refuses them when asked to', async () => {
    const flagging = await start();
    expect(addresses(await ask(flagging.port, query('dns.google')))).toEqual(['192.0.2.53']);
    expect(flagging.events.find((e) => e.type === 'query')).toMatchObject({
      flags: ['encrypted_dns'],
      outcome: 'answered',
    });

    const refusing = await start({ encryptedDns: 'refuse' });
    expect(rcode(await ask(refusing.port, query('dns.google')))).toBe('REFUSED');
    expect(refusing.events.find((e) => e.type === 'query')).toMatchObject({
      flags: ['encrypted_dns'],
      outcome: 'refused',
    });
  });

  it('refuses names that are not host names, and zone transfers', async () => {
    const { port } = await start();
    expect(rcode(await ask(port, query('.', 'NS')))).toBe('REFUSED');
    expect(rcode(await ask(port, query('bad_label!.example.com')))).toBe('REFUSED');
    const axfr = await tcpExchange(port, lengthPrefixed(query('example.com', 'AXFR')), 1);
    expect(rcode(dnsPacket.decode(axfr.replies[0]!))).toBe('REFUSED');
  });

  it('answers SERVFAIL when the policy throws, and keeps serving', async () => {
    const { port } = await start({
      policy: {
        checkChain: () => 'allow',
        checkQuery: () => {
          throw new Error('engine bug');
        },
        checkAnswer: () => 'keep',
      },
    });
    expect(rcode(await ask(port, query('api.example.com')))).toBe('SERVFAIL');
    expect(rcode(await ask(port, query('api.example.com')))).toBe('SERVFAIL');
  });

  it('keeps answering when the event sink throws', async () => {
    const { port } = await start({
      onEvent: () => {
        throw new Error('sink bug');
      },
    });
    expect(addresses(await ask(port, query('api.example.com')))).toEqual(['192.0.2.20']);
  });
});

describe('DNS server: EDNS and truncation', () => {
  it('passes the client’s OPT record upstream unchanged', async () => {
    const { port } = await start();
    const message = query('api.example.com', 'A', {
      additionals: [ednsOpt(1400, { dnssecOk: true, paddingBytes: 16 })],
    });
    const answer = await ask(port, message);
    expect(answer.additionals?.[0]).toMatchObject({ type: 'OPT' });
    const seen = upstream.received[upstream.received.length - 1]!;
    expect(seen.packet.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1400, flag_do: true });
    expect(seen.raw.subarray(seen.raw.length - 31)).toEqual(message.subarray(message.length - 31));
  });

  it('sends no OPT upstream when the client sent none', async () => {
    const { port } = await start();
    await ask(port, query('api.example.com'));
    expect(upstream.received[upstream.received.length - 1]!.packet.additionals).toEqual([]);
  });

  it('truncates a UDP answer over 512 bytes for a client without EDNS; TCP gets it whole', async () => {
    const { server, port } = await start();
    const udp = await ask(port, query('big.example.com'));
    expect(udp.flag_tc).toBe(true);
    expect(udp.answers).toEqual([]);
    expect(udp.questions?.[0]?.name).toBe('big.example.com');
    expect(server.bindings.namesFor(LOOPBACK, ip('198.51.100.1'))).toEqual([]);
    const tcp = await tcpExchange(port, lengthPrefixed(query('big.example.com')), 1);
    const whole = dnsPacket.decode(tcp.replies[0]!);
    expect(whole.flag_tc).toBe(false);
    expect(whole.answers).toHaveLength(60);
    expect(server.bindings.namesFor(LOOPBACK, ip('198.51.100.1'))).toEqual(['big.example.com']);
  });

  it('honours the client’s advertised EDNS size', async () => {
    const { port } = await start();
    const edns = (size: number) => query('big.example.com', 'A', { additionals: [ednsOpt(size)] });
    const small = await ask(port, edns(600));
    expect(small.flag_tc).toBe(true);
    expect(small.additionals?.[0]).toMatchObject({ type: 'OPT' });
    const large = await ask(port, edns(4096));
    expect(large.flag_tc).toBe(false);
    expect(large.answers).toHaveLength(60);
  });

  it('retries a truncated upstream answer over TCP', async () => {
    upstream.setScript((q, transport) =>
      transport === 'udp'
        ? { flags: dnsPacket.TRUNCATED_RESPONSE | dnsPacket.RECURSION_AVAILABLE }
        : zoneScript(q),
    );
    const { port } = await start();
    const before = upstream.received.length;
    const answer = await ask(port, query('api.example.com'));
    expect(addresses(answer)).toEqual(['192.0.2.20']);
    expect(upstream.received.slice(before).map((r) => r.transport)).toEqual(['udp', 'tcp']);
  });
});
