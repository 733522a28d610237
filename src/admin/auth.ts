/**
 * Who is calling the admin API (the firewall model's roles): a bearer token from the tokens file or
 * the store, each with a role. `member` reads policy; `developer` also changes it, runs the dry-run
 * Test and reads the events log; `admin` also manages tokens.
 *
 * Tokens are compared by SHA-256 digest, in constant time once a candidate is found, and neither a
 * token nor its digest is ever logged or returned (except the new token, once, to its creator).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role, StoredToken, TokenStore } from '../store/token-store';
import { ROLES } from '../store/token-store';
import type { EventRecord } from '../store/event-store';
import type { FileToken } from './tokens-file';

export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly source: 'file' | 'store';
}

export interface TokenView {
  readonly name: string;
  readonly role: Role;
  readonly source: 'file' | 'store';
  readonly created_at: string | null;
}

export type Authentication =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'none_configured' | 'missing' | 'invalid' };

export interface TokenRegistry {
  authenticate(authorization: string | undefined): Promise<Authentication>;
  list(): Promise<TokenView[]>;
  /** The new token in clear (shown once), or undefined when the name is taken. */
  create(name: string, role: Role, actor: string, now: Date): Promise<string | undefined>;
  /** 'file' when the token comes from the tokens file and cannot be removed here. */
  remove(name: string, actor: string, now: Date): Promise<'removed' | 'not_found' | 'file'>;
}

export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function createTokenRegistry(fileTokens: readonly FileToken[], store: TokenStore): TokenRegistry {
  type Index = Map<string, Principal & { digest: Buffer }>;
  /** Built once from the store and dropped on every change; a build that fails is not kept. */
  let cache: Promise<Index> | undefined;
  const build = async (): Promise<Index> => {
    const map: Index = new Map();
    const add = (t: { name: string; role: Role; sha256: string }, source: 'file' | 'store'): void => {
      if (!map.has(t.sha256)) {
        map.set(t.sha256, { name: t.name, role: t.role, source, digest: Buffer.from(t.sha256, 'hex') });
      }
    };
    for (const t of fileTokens) add(t, 'file');
    for (const t of await store.list()) add(t, 'store');
    return map;
  };
  const index = (): Promise<Index> => {
    const building = (cache ??= build());
    building.catch(() => {
      if (cache === building) cache = undefined;
    });
    return building;
  };
  const event = (type: string, name: string, role: Role, actor: string, now: Date): EventRecord => ({
    type,
    timeMs: now.getTime(),
    data: { token_name: name, role, actor },
  });

  return {
    async authenticate(authorization) {
      const tokens = await index();
      if (tokens.size === 0) return { ok: false, reason: 'none_configured' };
      const match = authorization === undefined ? null : /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization);
      if (match === null) return { ok: false, reason: 'missing' };
      const digest = createHash('sha256').update(match[1]!, 'utf8').digest();
      const found = tokens.get(digest.toString('hex'));
      if (found === undefined || !timingSafeEqual(found.digest, digest))
        return { ok: false, reason: 'invalid' };
      return { ok: true, principal: { name: found.name, role: found.role, source: found.source } };
    },
    async list() {
      const fromFile = fileTokens.map((t): TokenView => ({
        name: t.name,
        role: t.role,
        source: 'file',
        created_at: null,
      }));
      const fromStore = (await store.list()).map((t): TokenView => ({
        name: t.name,
        role: t.role,
        source: 'store',
        created_at: t.createdAt,
      }));
      return [...fromFile, ...fromStore];
    },
    async create(name, role, actor, now) {
      if (fileTokens.some((t) => t.name === name)) return undefined;
      const token = `pct_${randomBytes(32).toString('base64url')}`;
      const stored: StoredToken = { name, role, sha256: sha256Hex(token), createdAt: now.toISOString() };
      if (!(await store.add(stored, event('token_created', name, role, actor, now)))) return undefined;
      cache = undefined;
      return token;
    },
    async remove(name, actor, now) {
      if (fileTokens.some((t) => t.name === name)) return 'file';
      const existing = (await store.list()).find((t) => t.name === name);
      if (existing === undefined) return 'not_found';
      await store.remove(name, event('token_deleted', name, existing.role, actor, now));
      cache = undefined;
      return 'removed';
    },
  };
}
