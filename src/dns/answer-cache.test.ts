import * as dnsPacket from 'dns-packet';
import type { Packet } from 'dns-packet';
import { createAnswerCache } from './answer-cache';
import type { Forwarder } from './upstream';
import { parseQuery, type ClientQuery } from './query-parse';
import { ednsOpt, query } from '../../test/support/dns-upstream';
import { frameMessage } from './wire';

/** A forwarder that answers from a script and counts what it was asked. */
function scripted(reply: (name: string, type: string) => Packet | undefined) {
  const asked: string[] = [];
  const forwarder: Forwarder = {
    async forward(message) {
      const q = dnsPacket.decode(message);
      const question = q.questions![0]!;
      asked.push(`${question.name}/${question.type}`);
      const packet = reply(question.name.toLowerCase(), question.type);
      if (packet === undefined) return undefined;
      const bytes = dnsPacket.encode({ id: q.id ?? 0, type: 'response', questions: q.questions, ...packet });
      return { message: bytes, frame: frameMessage(bytes)! };
    },
    close() {},
  };
  return { forwarder, asked };
}

function clientQuery(bytes: Buffer): ClientQuery {
  const parsed = parseQuery(bytes, 4096);
  if (parsed.kind !== 'query') throw new Error('not a query');
  return parsed;
}

const A = (name: string, data: string, ttl = 0) => ({ type: 'A' as const, name, ttl, data });

function setup(reply: (name: string, type: string) => Packet | undefined) {
  const clock = { t: 1_000_000 };
  const { forwarder, asked } = scripted(reply);
  const cache = createAnswerCache({
    forwarder,
    minTtlMs: 5000,
    maxTtlMs: 300_000,
    maxEntries: 100,
    now: () => clock.t,
  });
  return { cache, asked, clock };
}

describe('createAnswerCache', () => {
  it('gives a decision and a later client query the same answer, even with TTL 0 (the pin)', async () => {
    let n = 0;
    const { cache, asked } = setup((name, type) =>
      type === 'A' ? { answers: [A(name, n++ === 0 ? '93.184.216.99' : '10.9.9.9')] } : { answers: [] },
    );
    const lookup = await cache.lookup('rebind.example', 1000);
    expect(lookup.addresses.map((a) => a.text)).toEqual(['93.184.216.99']);
    // A client with no EDNS at all shares the entry the EDNS lookup made.
    const answer = await cache.fetch(clientQuery(query('REBIND.example')));
    const decoded = dnsPacket.decode(answer!.message);
    expect(decoded.answers?.map((a) => (a as { data: string }).data)).toEqual(['93.184.216.99']);
    expect(decoded.additionals ?? []).toEqual([]); // no OPT for a query without one
    expect(decoded.questions?.[0]?.name).toBe('REBIND.example'); // the client's own question bytes
    expect(asked.filter((q) => q.endsWith('/A'))).toHaveLength(1);
  });

  it('asks again once the entry has lived its clamped TTL, and caps relayed TTLs to what is left', async () => {
    const { cache, asked, clock } = setup((name) => ({ answers: [A(name, '93.184.216.34', 3600)] }));
    await cache.fetch(clientQuery(query('a.example')));
    clock.t += 290_000; // the 3600 s TTL is held for at most 300 s
    const later = dnsPacket.decode((await cache.fetch(clientQuery(query('a.example'))))!.message);
    expect((later.answers?.[0] as { ttl?: number }).ttl).toBe(10);
    clock.t += 11_000;
    await cache.fetch(clientQuery(query('a.example')));
    expect(asked).toEqual(['a.example/A', 'a.example/A']);
  });

  it('keeps DNSSEC-OK queries apart, since their answers carry more', async () => {
    const { cache, asked } = setup((name) => ({ answers: [A(name, '93.184.216.34', 60)] }));
    await cache.fetch(clientQuery(query('a.example')));
    await cache.fetch(
      clientQuery(query('a.example', 'A', { additionals: [ednsOpt(1232, { dnssecOk: true })] })),
    );
    expect(asked).toHaveLength(2);
  });

  it('does not keep SERVFAIL, and shares one exchange between concurrent queries', async () => {
    let fail = true;
    const { cache, asked } = setup((name) => (fail ? { flags: 2 } : { answers: [A(name, '192.0.2.1', 60)] }));
    await Promise.all([
      cache.fetch(clientQuery(query('a.example'))),
      cache.fetch(clientQuery(query('a.example'))),
    ]);
    expect(asked).toHaveLength(1);
    fail = false;
    await cache.fetch(clientQuery(query('a.example')));
    expect(asked).toHaveLength(2);
  });

  it.each<[string, (name: string, type: string) => Packet | undefined, string]>([
    ['NXDOMAIN', () => ({ flags: 3 }), 'no such name'],
    ['SERVFAIL', () => ({ flags: 2 }), 'SERVFAIL'],
    ['no address records', () => ({ answers: [] }), 'no addresses'],
    ['no answer at all', () => undefined, 'SERVFAIL'],
  ])('reports a lookup with %s as a failure: %s', async (_n, reply, failure) => {
    const { cache } = setup(reply);
    expect(await cache.lookup('gone.example', 1000)).toEqual({
      host: 'gone.example',
      addresses: [],
      failure,
    });
  });

  it('reports a lookup still out at its bound as timed out', async () => {
    const forwarder: Forwarder = { forward: () => new Promise(() => {}), close() {} };
    const cache = createAnswerCache({
      forwarder,
      minTtlMs: 0,
      maxTtlMs: 1000,
      maxEntries: 10,
      now: Date.now,
    });
    expect(await cache.lookup('slow.example', 20)).toMatchObject({ addresses: [], failure: 'timed out' });
  });

  it('follows the CNAME chain to the addresses', async () => {
    const { cache } = setup((name, type) =>
      type === 'A'
        ? {
            answers: [
              { type: 'CNAME', name, ttl: 60, data: 'edge.cdn.example' },
              A('edge.cdn.example', '198.51.100.7', 60),
              A('unrelated.example', '203.0.113.9', 60),
            ],
          }
        : { answers: [] },
    );
    const lookup = await cache.lookup('www.example', 1000);
    expect(lookup.addresses.map((a) => a.text)).toEqual(['198.51.100.7']);
  });
});
