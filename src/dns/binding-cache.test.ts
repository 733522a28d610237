import { parseIpLiteral } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import { DEFAULT_BINDING_LIMITS, createBindingCache } from './binding-cache';
import type { BindingLimits } from './binding-cache';

const ip = (text: string): IpAddress => {
  const parsed = parseIpLiteral(text);
  if (parsed === undefined) throw new Error(text);
  return parsed;
};

function setup(limits: Partial<BindingLimits> = {}) {
  let t = 1_000_000;
  const cache = createBindingCache({ ...DEFAULT_BINDING_LIMITS, minTtlSeconds: 0, ...limits, now: () => t });
  return { cache, advance: (seconds: number) => (t += seconds * 1000) };
}

describe('createBindingCache', () => {
  it('binds every name of a chain to the address, query name first', () => {
    const { cache } = setup();
    cache.record(
      'agent-a',
      ip('192.0.2.1'),
      ['www.example.com', 'edge.cdn.example.net', 'a1.cdn.example.net'],
      60,
    );
    expect(cache.namesFor('agent-a', ip('192.0.2.1'))).toEqual([
      'www.example.com',
      'edge.cdn.example.net',
      'a1.cdn.example.net',
    ]);
    expect(cache.stats()).toEqual({ agents: 1, bindings: 3 });
  });

  it('returns newer bindings first and refreshes a re-recorded one', () => {
    const { cache } = setup();
    cache.record('a', ip('192.0.2.1'), ['old.example.com'], 60);
    cache.record('a', ip('192.0.2.1'), ['new.example.com'], 60);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual(['new.example.com', 'old.example.com']);
    cache.record('a', ip('192.0.2.1'), ['old.example.com'], 60);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual(['old.example.com', 'new.example.com']);
    expect(cache.stats().bindings).toBe(2);
  });

  it('never answers for another agent', () => {
    const { cache } = setup();
    cache.record('agent-a', ip('192.0.2.1'), ['allowed.example.com'], 60);
    expect(cache.namesFor('agent-b', ip('192.0.2.1'))).toEqual([]);
    expect(cache.namesFor('agent-a', ip('192.0.2.2'))).toEqual([]);
  });

  it('keys IPv6 and IPv4-mapped addresses canonically', () => {
    const { cache } = setup();
    cache.record('a', ip('2001:db8:0:0::1'), ['v6.example.com'], 60);
    cache.record('a', ip('::ffff:192.0.2.9'), ['mapped.example.com'], 60);
    expect(cache.namesFor('a', ip('2001:db8::1'))).toEqual(['v6.example.com']);
    expect(cache.namesFor('a', ip('192.0.2.9'))).toEqual(['mapped.example.com']);
  });

  it.each([
    ['TTL as given', { minTtlSeconds: 0, maxTtlSeconds: 3600 }, 30, 30],
    ['raised to the minimum', { minTtlSeconds: 60, maxTtlSeconds: 3600 }, 0, 60],
    ['lowered to the maximum', { minTtlSeconds: 0, maxTtlSeconds: 300 }, 86_400, 300],
  ])('expires after the %s', (_name, limits, ttl, expected) => {
    const { cache, advance } = setup(limits);
    expect(cache.record('a', ip('192.0.2.1'), ['x.example.com'], ttl)).toBe(expected);
    advance(expected - 1);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual(['x.example.com']);
    advance(1);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual([]);
    expect(cache.stats().bindings).toBe(0);
  });

  it('keeps an unexpired name when an older one on the same address expires', () => {
    const { cache, advance } = setup();
    cache.record('a', ip('192.0.2.1'), ['short.example.com'], 10);
    cache.record('a', ip('192.0.2.1'), ['long.example.com'], 100);
    advance(50);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual(['long.example.com']);
  });

  it('caps addresses per name, evicting the oldest', () => {
    const { cache } = setup({ maxAddressesPerName: 2 });
    for (const last of [1, 2, 3]) cache.record('a', ip(`192.0.2.${last}`), ['cdn.example.com'], 60);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual([]);
    expect(cache.namesFor('a', ip('192.0.2.2'))).toEqual(['cdn.example.com']);
    expect(cache.namesFor('a', ip('192.0.2.3'))).toEqual(['cdn.example.com']);
  });

  it('caps bindings per agent, evicting the oldest', () => {
    const { cache } = setup({ maxBindingsPerAgent: 3 });
    for (const last of [1, 2, 3, 4]) cache.record('a', ip(`192.0.2.${last}`), [`n${last}.example.com`], 60);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual([]);
    expect(cache.namesFor('a', ip('192.0.2.4'))).toEqual(['n4.example.com']);
    expect(cache.stats()).toEqual({ agents: 1, bindings: 3 });
  });

  it('caps agents, dropping the one recorded least recently', () => {
    const { cache } = setup({ maxAgents: 2 });
    cache.record('a', ip('192.0.2.1'), ['a.example.com'], 60);
    cache.record('b', ip('192.0.2.1'), ['b.example.com'], 60);
    cache.record('a', ip('192.0.2.2'), ['a2.example.com'], 60);
    cache.record('c', ip('192.0.2.1'), ['c.example.com'], 60);
    expect(cache.namesFor('b', ip('192.0.2.1'))).toEqual([]);
    expect(cache.namesFor('a', ip('192.0.2.1'))).toEqual(['a.example.com']);
    expect(cache.namesFor('c', ip('192.0.2.1'))).toEqual(['c.example.com']);
    expect(cache.stats()).toEqual({ agents: 2, bindings: 3 });
  });

  it('prunes expired bindings and empty agents', () => {
    const { cache, advance } = setup();
    cache.record('a', ip('192.0.2.1'), ['x.example.com', 'y.example.com'], 10);
    cache.record('b', ip('192.0.2.1'), ['z.example.com'], 100);
    advance(10);
    cache.prune();
    expect(cache.stats()).toEqual({ agents: 1, bindings: 1 });
  });

  it('stays within its caps under many records', () => {
    const { cache } = setup({ maxAgents: 4, maxBindingsPerAgent: 16, maxAddressesPerName: 3 });
    for (let i = 0; i < 5000; i++) {
      cache.record(`agent-${i % 7}`, ip(`10.0.${(i >> 8) & 255}.${i & 255}`), [`n${i % 11}.example.com`], 60);
    }
    const { agents, bindings } = cache.stats();
    expect(agents).toBeLessThanOrEqual(4);
    expect(bindings).toBeLessThanOrEqual(4 * 11 * 3);
    expect(bindings).toBeLessThanOrEqual(4 * 16);
  });

  it.each([
    [{ maxAgents: 0 }],
    [{ maxBindingsPerAgent: 1.5 }],
    [{ maxAddressesPerName: -1 }],
    [{ minTtlSeconds: 10, maxTtlSeconds: 5 }],
    [{ minTtlSeconds: -1 }],
  ])('rejects limits %j', (limits) => {
    expect(() => createBindingCache({ ...DEFAULT_BINDING_LIMITS, ...limits, now: Date.now })).toThrow(
      RangeError,
    );
  });
});
