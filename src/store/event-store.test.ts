import { openAdminDatabase } from './database';
import { createEventStore, type EventRecord } from './event-store';

const rec = (i: number, over: Partial<EventRecord> = {}): EventRecord => ({
  type: i % 2 === 0 ? 'proxy_domain_allowed' : 'proxy_domain_denied',
  timeMs: 1_000 * i,
  verdict: i % 2 === 0 ? 'allow' : 'deny',
  agent: `agent-${i % 3}`,
  host: `h${i % 4}.example`,
  data: { n: i },
  ...over,
});

function storeWith(count: number) {
  const db = openAdminDatabase(undefined);
  const store = createEventStore(db.events);
  store.insert(Array.from({ length: count }, (_, i) => rec(i)));
  return { store, close: () => db.close() };
}

describe('createEventStore()', () => {
  const { store, close } = storeWith(20);
  afterAll(close);
  const ns = (q: Parameters<typeof store.query>[0]) => store.query(q).map((e) => e['n']);

  it.each([
    ['newest first', { limit: 3 }, [19, 18, 17]],
    ['time range [from, to)', { fromMs: 5_000, toMs: 8_000, limit: 10 }, [7, 6, 5]],
    ['verdict', { verdict: 'deny', limit: 3 }, [19, 17, 15]],
    ['type', { type: 'proxy_domain_allowed', limit: 2 }, [18, 16]],
    ['agent', { agent: 'agent-1', limit: 3 }, [19, 16, 13]],
    ['host', { host: 'h2.example', limit: 10 }, [18, 14, 10, 6, 2]],
    ['cursor', { beforeId: 3, limit: 10 }, [1, 0]],
    ['all at once', { verdict: 'allow', agent: 'agent-0', fromMs: 1, limit: 10 }, [18, 12, 6]],
  ] as const)('filters by %s', (_name, q, expected) => {
    expect(ns(q)).toEqual(expected);
  });

  it('returns the record as written, with id, ISO time and type', () => {
    expect(store.query({ limit: 1 })).toEqual([
      { id: 20, time: '1970-01-01T00:00:19.000Z', type: 'proxy_domain_denied', n: 19 },
    ]);
  });
});

describe('prune', () => {
  it('deletes at most `max` events older than the cut-off, oldest first', () => {
    const { store, close } = storeWith(10);
    expect(store.prune(6_000, 4)).toBe(4);
    expect(store.prune(6_000, 4)).toBe(2);
    expect(store.count()).toBe(4);
    close();
  });
});
