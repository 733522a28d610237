/**
 * Admin API tokens created through the API (`POST /api/tokens`). Only the SHA-256 digest of a token
 * is stored; the token itself is shown once, to whoever created it.
 *
 * Asynchronous, like the resource store, so that a networked store can stand behind it.
 */
import type Database from 'better-sqlite3';
import type { EventRecord } from './event-store';
import { insertEventStatement } from './event-store';

export const ROLES = ['member', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface StoredToken {
  readonly name: string;
  readonly role: Role;
  /** Lower-case hex SHA-256 of the token. */
  readonly sha256: string;
  readonly createdAt: string;
}

export interface TokenStore {
  list(): Promise<StoredToken[]>;
  /** False when the name or the digest is taken. */
  add(token: StoredToken, event: EventRecord): Promise<boolean>;
  /** False when there was no such token. */
  remove(name: string, event: EventRecord): Promise<boolean>;
}

export function createTokenStore(db: Database.Database): TokenStore {
  const select = db.prepare<[], { name: string; role: Role; sha256: string; created_at: string }>(
    'SELECT name, role, sha256, created_at FROM tokens ORDER BY name',
  );
  const insert = db.prepare<[string, string, string, string]>(
    'INSERT OR IGNORE INTO tokens (name, role, sha256, created_at) VALUES (?, ?, ?, ?)',
  );
  const del = db.prepare<[string]>('DELETE FROM tokens WHERE name = ?');
  const insertEvent = insertEventStatement(db);
  const add = db.transaction((t: StoredToken, event: EventRecord) => {
    const added = insert.run(t.name, t.role, t.sha256, t.createdAt).changes === 1;
    if (added) insertEvent(event);
    return added;
  });
  const remove = db.transaction((name: string, event: EventRecord) => {
    const removed = del.run(name).changes === 1;
    if (removed) insertEvent(event);
    return removed;
  });
  return {
    list: async () =>
      select.all().map((r) => ({ name: r.name, role: r.role, sha256: r.sha256, createdAt: r.created_at })),
    add: async (t, e) => add(t, e),
    remove: async (n, e) => remove(n, e),
  };
}
