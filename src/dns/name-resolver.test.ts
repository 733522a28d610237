import {
  createNameResolver,
  type FamilyLookup,
  type NameResolverOptions,
  type ResolvedRecord,
} from './name-resolver';

type Answer = readonly ResolvedRecord[] | { code: string } | 'hang';

/** A scripted DNS: answers per `host/family`, counting calls. No network. */
function fakeDns(answers: Record<string, Answer>) {
  const calls: string[] = [];
  const lookup: FamilyLookup = (host, family) => {
    const key = `${host}/${family}`;
    calls.push(key);
    const answer = answers[key] ?? { code: 'ENODATA' };
    if (answer === 'hang') return new Promise(() => undefined);
    if ('code' in answer) return Promise.reject(Object.assign(new Error(answer.code), answer));
    return Promise.resolve(answer);
  };
  return { lookup, calls };
}

function setup(answers: Record<string, Answer>, options: Partial<NameResolverOptions> = {}) {
  const clock = { t: 1_000_000 };
  const dns = fakeDns(answers);
  const resolver = createNameResolver({
    lookup: dns.lookup,
    timeoutMs: 20,
    minTtlMs: 1_000,
    maxTtlMs: 60_000,
    negativeTtlMs: 500,
    now: () => clock.t,
    ...options,
  });
  const texts = async (host: string) => (await resolver.resolve(host)).addresses.map((ip) => ip.text);
  return { clock, calls: dns.calls, resolver, texts };
}

const A = (address: string, ttl = 30): ResolvedRecord => ({ address, ttl });

describe('createNameResolver', () => {
  it('asks A and AAAA in parallel and merges the addresses, without duplicates', async () => {
    const { calls, resolver, texts } = setup({
      'metadata.internal/4': [A('169.254.169.254'), A('169.254.169.254')],
      'metadata.internal/6': [A('fd00:ec2::254')],
    });
    const pending = resolver.resolve('metadata.internal');
    expect(calls).toEqual(['metadata.internal/4', 'metadata.internal/6']);
    expect((await pending).addresses.map((ip) => ip.text)).toEqual(['169.254.169.254', 'fd00:ec2::254']);
    expect(await texts('METADATA.internal.')).toEqual(['169.254.169.254', 'fd00:ec2::254']);
    expect(calls).toHaveLength(2);
  });

  it.each<[string, number, number]>([
    ['the smallest TTL of the answer', 30, 30_000],
    ['at least minTtlMs', 0, 1_000],
    ['at most maxTtlMs', 86_400, 60_000],
  ])('caches for %s', async (_name, ttl, lifetime) => {
    const { clock, calls, texts } = setup({
      'a.example/4': [A('93.184.216.34', ttl), A('93.184.216.35', ttl + 10)],
    });
    await texts('a.example');
    clock.t += lifetime - 1;
    await texts('a.example');
    expect(calls).toHaveLength(2);
    clock.t += 1;
    expect(await texts('a.example')).toEqual(['93.184.216.34', '93.184.216.35']);
    expect(calls).toHaveLength(4);
  });

  it('treats "no records" as an answer and keeps the other family for its TTL', async () => {
    const { clock, calls, texts } = setup({
      'v4only.example/4': [A('192.0.2.1', 30)],
      'v4only.example/6': { code: 'ENODATA' },
    });
    expect(await texts('v4only.example')).toEqual(['192.0.2.1']);
    clock.t += 29_000;
    await texts('v4only.example');
    expect(calls).toHaveLength(2);
  });

  it.each<[string, Answer]>([
    ['a server failure', { code: 'ESERVFAIL' }],
    ['a name that does not exist', { code: 'ENOTFOUND' }],
    ['a timeout', 'hang'],
  ])('resolves %s to nothing, cached briefly as negative', async (_name, answer) => {
    const { clock, calls, texts } = setup({ 'x.example/4': answer, 'x.example/6': answer });
    expect(await texts('x.example')).toEqual([]);
    clock.t += 499;
    expect(await texts('x.example')).toEqual([]);
    expect(calls).toHaveLength(2);
    clock.t += 1;
    await texts('x.example');
    expect(calls).toHaveLength(4);
  });

  it('uses the family that answered in time, and asks again soon', async () => {
    const { clock, calls, texts } = setup({
      'slow6.example/4': [A('192.0.2.7', 300)],
      'slow6.example/6': 'hang',
    });
    const started = Date.now();
    expect(await texts('slow6.example')).toEqual(['192.0.2.7']);
    expect(Date.now() - started).toBeLessThan(1_000);
    clock.t += 500;
    await texts('slow6.example');
    expect(calls).toHaveLength(4);
  });

  it('never rejects, even when the lookup throws', async () => {
    const resolver = createNameResolver({
      lookup: () => {
        throw new Error('boom');
      },
      now: () => 0,
    });
    await expect(resolver.resolve('a.example')).resolves.toEqual({
      host: 'a.example',
      addresses: [],
      failure: 'lookup error',
    });
    await expect(resolver.resolve('')).resolves.toMatchObject({ addresses: [], failure: 'empty name' });
  });

  it('shares one lookup between concurrent requests for a name', async () => {
    const { calls, resolver } = setup({ 'a.example/4': [A('192.0.2.1')] });
    const [one, two] = await Promise.all([resolver.resolve('a.example'), resolver.resolve('a.example')]);
    expect(one).toBe(two);
    expect(calls).toEqual(['a.example/4', 'a.example/6']);
  });

  it('evicts the least recently used name beyond maxEntries', async () => {
    const { calls, resolver, texts } = setup(
      { 'a.x/4': [A('192.0.2.1')], 'b.x/4': [A('192.0.2.2')], 'c.x/4': [A('192.0.2.3')] },
      { maxEntries: 2 },
    );
    await texts('a.x');
    await texts('b.x');
    await texts('a.x');
    await texts('c.x');
    expect(resolver.size).toBe(2);
    calls.length = 0;
    await texts('a.x');
    expect(calls).toEqual([]);
    await texts('b.x');
    expect(calls).toEqual(['b.x/4', 'b.x/6']);
  });

  it('rejects limits that cannot work', () => {
    expect(() => createNameResolver({ maxEntries: 0, lookup: fakeDns({}).lookup })).toThrow(RangeError);
    expect(() => createNameResolver({ minTtlMs: 10, maxTtlMs: 5, lookup: fakeDns({}).lookup })).toThrow(
      RangeError,
    );
  });
});
