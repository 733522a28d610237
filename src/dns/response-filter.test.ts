import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import type { IpAddress } from '../policy/values';
import type { DnsClient, DnsPolicy } from './policy';
import { allowAll } from './policy';
import { filterAnswer } from './response-filter';
import { rewriteAnswer } from './response-rewrite';
import { frameMessage } from './wire';

const client: DnsClient = { address: '10.1.0.5', port: 5353, transport: 'udp', agentKey: 'agent-a' };

function respond(answers: Answer[], additionals: Answer[] = []) {
  const message = dnsPacket.encode({
    id: 1,
    type: 'response',
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: 'www.example.com' }],
    answers,
    additionals,
  });
  const frame = frameMessage(message);
  if (frame === undefined) throw new Error('test message does not frame');
  return { message, frame };
}

/** Strips addresses whose text is listed, and records what it was asked. */
function stripping(...denied: string[]): DnsPolicy & { asked: [readonly string[], string][] } {
  const asked: [readonly string[], string][] = [];
  return {
    asked,
    checkChain: () => 'allow',
    checkQuery: () => 'allow',
    checkAnswer: (_client, names, ip: IpAddress) => {
      asked.push([names, ip.text]);
      return denied.includes(ip.text) ? 'strip' : 'keep';
    },
  };
}

const cname = (name: string, data: string, ttl = 300): Answer => ({ type: 'CNAME', name, ttl, data });
const a = (name: string, data: string, ttl = 300): Answer => ({ type: 'A', name, ttl, data });
const aaaa = (name: string, data: string, ttl = 300): Answer => ({ type: 'AAAA', name, ttl, data });

describe('filterAnswer', () => {
  it('binds the whole CNAME chain to the final addresses, with the weakest TTL', () => {
    const { message, frame } = respond([
      cname('www.example.com', 'www.example.com.cdn.example.net', 120),
      cname('WWW.example.com.cdn.example.net.', 'e1.cdn.example.net', 30),
      a('e1.cdn.example.net', '192.0.2.10', 60),
      aaaa('e1.cdn.example.net', '2001:db8::10', 20),
    ]);
    const result = filterAnswer(message, frame, 'www.example.com', client, allowAll);
    const chain = ['www.example.com', 'www.example.com.cdn.example.net', 'e1.cdn.example.net'];
    expect(result?.refuse).toBe(false);
    expect(result?.remove.size).toBe(0);
    expect(result?.bindings.map((b) => [b.names, b.ip.text, b.ttl])).toEqual([
      [chain, '192.0.2.10', 30],
      [chain, '2001:db8::10', 20],
    ]);
  });

  it('binds an address owned midway along the chain to the names up to it', () => {
    const { message, frame } = respond([
      cname('www.example.com', 'b.example.net'),
      a('www.example.com', '192.0.2.1'),
    ]);
    expect(filterAnswer(message, frame, 'www.example.com', client, allowAll)?.bindings[0]?.names).toEqual([
      'www.example.com',
    ]);
  });

  it('removes addresses outside the chain without binding or reporting them', () => {
    const { message, frame } = respond([
      a('www.example.com', '192.0.2.1'),
      a('unrelated.example.org', '192.0.2.66'),
    ]);
    const result = filterAnswer(message, frame, 'www.example.com', client, allowAll);
    expect([...result!.remove]).toEqual([1]);
    expect(result!.bindings.map((b) => b.ip.text)).toEqual(['192.0.2.1']);
    expect(result!.stripped).toEqual([]);
  });

  it('survives a CNAME loop', () => {
    const { message, frame } = respond([
      cname('www.example.com', 'loop.example.net'),
      cname('loop.example.net', 'www.example.com'),
      a('loop.example.net', '192.0.2.1'),
    ]);
    const result = filterAnswer(message, frame, 'www.example.com', client, allowAll);
    expect(result?.bindings.map((b) => b.names)).toEqual([['www.example.com', 'loop.example.net']]);
  });

  it('refuses when every answer address is stripped', () => {
    const policy = stripping('169.254.169.254');
    const { message, frame } = respond([
      cname('www.example.com', 'metadata.example.net'),
      a('metadata.example.net', '169.254.169.254'),
    ]);
    const result = filterAnswer(message, frame, 'www.example.com', client, policy);
    expect(result?.refuse).toBe(true);
    expect(result?.stripped.map((s) => [s.names, s.ip.text])).toEqual([
      [['www.example.com', 'metadata.example.net'], '169.254.169.254'],
    ]);
    expect(result?.bindings).toEqual([]);
  });

  it('judges IPv4-mapped AAAA answers as the IPv4 address they carry', () => {
    const policy = stripping('169.254.169.254');
    const { message, frame } = respond([aaaa('www.example.com', '::ffff:169.254.169.254')]);
    expect(filterAnswer(message, frame, 'www.example.com', client, policy)?.refuse).toBe(true);
  });

  it('keeps the good address of a mixed answer, and the rewrite keeps the chain', () => {
    const policy = stripping('127.0.0.1');
    const { message, frame } = respond([
      cname('www.example.com', 'edge.example.net'),
      a('edge.example.net', '127.0.0.1'),
      a('edge.example.net', '192.0.2.7'),
    ]);
    const result = filterAnswer(message, frame, 'www.example.com', client, policy)!;
    expect(result.refuse).toBe(false);
    expect(result.bindings.map((b) => b.ip.text)).toEqual(['192.0.2.7']);
    const rewritten = rewriteAnswer(message, frame, result.remove, 0xbeef)!;
    const decoded = dnsPacket.decode(rewritten);
    expect(decoded.id).toBe(0xbeef);
    expect(decoded.questions).toEqual([{ name: 'www.example.com', type: 'A', class: 'IN' }]);
    expect(decoded.answers?.map((r) => [r.type, 'data' in r ? r.data : undefined])).toEqual([
      ['CNAME', 'edge.example.net'],
      ['A', '192.0.2.7'],
    ]);
  });

  it('judges additional-section addresses without binding them', () => {
    const policy = stripping('10.0.0.1');
    const { message, frame } = respond(
      [a('www.example.com', '192.0.2.1')],
      [a('ns.example.com', '10.0.0.1')],
    );
    const result = filterAnswer(message, frame, 'www.example.com', client, policy)!;
    expect(result.refuse).toBe(false);
    expect([...result.remove]).toEqual([1]);
    expect(result.stripped.map((s) => [s.names, s.ip.text])).toEqual([[['ns.example.com'], '10.0.0.1']]);
    expect(result.bindings.map((b) => b.ip.text)).toEqual(['192.0.2.1']);
  });

  it('passes answers with no addresses untouched', () => {
    const { message, frame } = respond([cname('www.example.com', 'elsewhere.example.net')]);
    expect(filterAnswer(message, frame, 'www.example.com', client, stripping())).toEqual({
      refuse: false,
      remove: new Set(),
      bindings: [],
      stripped: [],
    });
  });
});
