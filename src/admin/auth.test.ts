import { createHash } from 'node:crypto';
import { openAdminDatabase } from '../store/database';
import { createEventStore } from '../store/event-store';
import { createTokenStore } from '../store/token-store';
import { createTokenRegistry, roleAllows } from './auth';
import { parseTokens, type FileToken } from './tokens-file';
import { PortcullisError } from '../errors/portcullis-error';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const FILE: FileToken[] = [
  { name: 'ops', role: 'admin', sha256: sha('ops-token') },
  { name: 'dev', role: 'developer', sha256: sha('dev-token') },
];

function registry(file: FileToken[] = FILE) {
  const db = openAdminDatabase(undefined);
  return {
    tokens: createTokenRegistry(file, createTokenStore(db.policy)),
    events: createEventStore(db.events),
    db,
  };
}

describe('createTokenRegistry()', () => {
  const { tokens, events, db } = registry();
  afterAll(() => db.close());

  it.each([
    [
      'a file token',
      'Bearer ops-token',
      { ok: true, principal: { name: 'ops', role: 'admin', source: 'file' } },
    ],
    [
      'a lower-case scheme',
      'bearer dev-token',
      { ok: true, principal: { name: 'dev', role: 'developer', source: 'file' } },
    ],
    ['no header', undefined, { ok: false, reason: 'missing' }],
    ['another scheme', 'Basic b3BzOm9wcy10b2tlbg==', { ok: false, reason: 'missing' }],
    ['an unknown token', 'Bearer nope', { ok: false, reason: 'invalid' }],
    ['a digest instead of the token', `Bearer ${sha('ops-token')}`, { ok: false, reason: 'invalid' }],
  ] as const)('authenticates %s', async (_name, header, expected) => {
    expect(await tokens.authenticate(header)).toEqual(expected);
  });

  it('creates store tokens that work at once, lists them without secrets, and removes them', async () => {
    const token = await tokens.create('ci', 'member', 'ops', new Date(0));
    expect(token).toMatch(/^pct_[A-Za-z0-9_-]{43}$/);
    expect(await tokens.authenticate(`Bearer ${token!}`)).toEqual({
      ok: true,
      principal: { name: 'ci', role: 'member', source: 'store' },
    });
    expect(await tokens.create('ci', 'admin', 'ops', new Date(0))).toBeUndefined();
    expect(await tokens.create('ops', 'admin', 'ops', new Date(0))).toBeUndefined();
    expect(JSON.stringify(await tokens.list())).not.toContain(token!.slice(4));
    expect(await tokens.remove('ops', 'ops', new Date(0))).toBe('file');
    expect(await tokens.remove('ci', 'ops', new Date(0))).toBe('removed');
    expect(await tokens.remove('ci', 'ops', new Date(0))).toBe('not_found');
    expect(await tokens.authenticate(`Bearer ${token!}`)).toEqual({ ok: false, reason: 'invalid' });
    const logged = JSON.stringify(events.query({ limit: 10 }));
    expect(logged).toContain('token_created');
    expect(logged).not.toContain(token!.slice(4));
  });

  it('says so when no token is configured at all', async () => {
    const empty = registry([]);
    expect(await empty.tokens.authenticate('Bearer anything')).toEqual({
      ok: false,
      reason: 'none_configured',
    });
    empty.db.close();
  });
});

describe('roleAllows()', () => {
  it.each([
    ['member', 'member', true],
    ['member', 'developer', false],
    ['developer', 'member', true],
    ['developer', 'admin', false],
    ['admin', 'developer', true],
  ] as const)('%s for a %s route: %s', (have, need, ok) => {
    expect(roleAllows(have, need)).toBe(ok);
  });
});

describe('parseTokens()', () => {
  const problems = (value: unknown): string[] => {
    try {
      parseTokens('t.yaml', value);
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(PortcullisError);
      expect((err as PortcullisError).code).toBe('config_invalid');
      return [...(err as PortcullisError).problems];
    }
  };
  it.each([
    ['not a list', { a: 1 }, /expected a list/],
    [
      'a token in clear',
      [{ name: 'a', role: 'admin', token: 'x', sha256: sha('x') }],
      /never written in clear/,
    ],
    [
      'an unknown role',
      [{ name: 'a', role: 'root', sha256: sha('x') }],
      /role: must be one of member, developer, admin/,
    ],
    ['a short digest', [{ name: 'a', role: 'admin', sha256: 'abc' }], /64-hex-digit SHA-256/],
    ['a bad name', [{ name: 'a b', role: 'admin', sha256: sha('x') }], /\.name: a name of letters/],
    [
      'a repeated token',
      [
        { name: 'a', role: 'admin', sha256: sha('x') },
        { name: 'b', role: 'member', sha256: sha('x').toUpperCase() },
      ],
      /the same token is listed twice/,
    ],
  ] as const)('rejects %s', (_name, value, pattern) => {
    expect(problems(value).join('\n')).toMatch(pattern);
  });

  it('reads a valid list, digests in lower case', () => {
    expect(parseTokens('t.yaml', [{ name: 'a', role: 'member', sha256: sha('x').toUpperCase() }])).toEqual([
      { name: 'a', role: 'member', sha256: sha('x') },
    ]);
  });
});
