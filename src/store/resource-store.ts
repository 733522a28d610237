/**
 * Admin-managed resources, stored as whole policy documents (apiVersion, kind, metadata, spec) so
 * that they pass through exactly the validators and compiler that policy files do.
 *
 * A change is a set of documents to put and to remove plus the events that describe it, committed
 * in one transaction: the events log never records a change that did not happen, nor misses one.
 *
 * The interface is asynchronous so that a networked store (PostgreSQL) can stand behind it; the
 * SQLite one answers at once.
 */
import type Database from 'better-sqlite3';
import type { EventRecord } from './event-store';
import { insertEventStatement } from './event-store';

export interface ResourceDocument {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface StoredResource {
  readonly document: ResourceDocument;
  readonly updatedAt: string;
}

export interface ResourceChange {
  readonly put: readonly ResourceDocument[];
  readonly remove: readonly { readonly kind: string; readonly name: string }[];
  readonly events: readonly EventRecord[];
}

export interface ResourceStore {
  /** Every stored document, ordered by kind then name (a stable load order). */
  list(): Promise<StoredResource[]>;
  commit(change: ResourceChange): Promise<void>;
}

export function createResourceStore(
  db: Database.Database,
  now: () => Date = () => new Date(),
): ResourceStore {
  const select = db.prepare<[], { document: string; updated_at: string }>(
    'SELECT document, updated_at FROM resources ORDER BY kind, name',
  );
  const upsert = db.prepare<[string, string, string, string]>(
    `INSERT INTO resources (kind, name, document, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (kind, name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare<[string, string]>('DELETE FROM resources WHERE kind = ? AND name = ?');
  const insertEvent = insertEventStatement(db);
  const commit = db.transaction((change: ResourceChange) => {
    const at = now().toISOString();
    for (const r of change.remove) remove.run(r.kind, r.name);
    for (const d of change.put) upsert.run(d.kind, d.metadata.name, JSON.stringify(d), at);
    for (const e of change.events) insertEvent(e);
  });
  return {
    list: async () =>
      select.all().map((row) => ({
        document: JSON.parse(row.document) as ResourceDocument,
        updatedAt: row.updated_at,
      })),
    commit: async (change) => {
      commit(change);
    },
  };
}
