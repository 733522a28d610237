/**
 * The events log (seed 003 "What gets recorded", seed 002 events feed): one row per decision and
 * per policy change. The columns filtered on are kept beside the record; the record itself is the
 * JSON object the API returns.
 */
import type Database from 'better-sqlite3';

export interface EventRecord {
  readonly type: string;
  readonly timeMs: number;
  readonly verdict?: string;
  readonly agent?: string;
  readonly host?: string;
  /** Every field of the event as the API shows it (besides id, time and type). */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface EventQuery {
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly verdict?: string;
  readonly type?: string;
  readonly agent?: string;
  readonly host?: string;
  /** Only events older than this id (the previous page's last). */
  readonly beforeId?: number;
  readonly limit: number;
}

export interface StoredEvent {
  readonly id: number;
  readonly time: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface EventStore {
  /** Writes a batch in one transaction. */
  insert(records: readonly EventRecord[]): void;
  /** Newest first. */
  query(q: EventQuery): StoredEvent[];
  /** Deletes up to `max` events older than `beforeMs`; returns how many went. */
  prune(beforeMs: number, max: number): number;
  count(): number;
}

export function insertEventStatement(db: Database.Database): (e: EventRecord) => void {
  const insert = db.prepare<[number, string, string | null, string | null, string | null, string]>(
    'INSERT INTO events (time_ms, type, verdict, agent, host, record) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return (e) => {
    insert.run(e.timeMs, e.type, e.verdict ?? null, e.agent ?? null, e.host ?? null, JSON.stringify(e.data));
  };
}

export function createEventStore(db: Database.Database): EventStore {
  const insertOne = insertEventStatement(db);
  const insertMany = db.transaction((records: readonly EventRecord[]) => {
    for (const r of records) insertOne(r);
  });
  const prune = db.prepare<[number, number]>(
    'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? ORDER BY id LIMIT ?)',
  );
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events');
  return {
    insert: (records) => {
      if (records.length > 0) insertMany(records);
    },
    query(q) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (sql: string, value: string | number | undefined): void => {
        if (value === undefined) return;
        where.push(sql);
        args.push(value);
      };
      add('time_ms >= ?', q.fromMs);
      add('time_ms < ?', q.toMs);
      add('verdict = ?', q.verdict);
      add('type = ?', q.type);
      add('agent = ?', q.agent);
      add('host = ?', q.host);
      add('id < ?', q.beforeId);
      const sql = `SELECT id, time_ms, type, record FROM events${
        where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''
      } ORDER BY id DESC LIMIT ?`;
      const rows = db
        .prepare<(string | number)[], { id: number; time_ms: number; type: string; record: string }>(sql)
        .all(...args, q.limit);
      return rows.map((row) => ({
        id: row.id,
        time: new Date(row.time_ms).toISOString(),
        type: row.type,
        ...(JSON.parse(row.record) as Record<string, unknown>),
      }));
    },
    prune: (beforeMs, max) => prune.run(beforeMs, max).changes,
    count: () => count.get()?.n ?? 0,
  };
}
