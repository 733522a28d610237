/**
 * The events log (the namespace model's recorded events, the firewall model's events feed): one row
 * per decision and per policy change. The columns filtered on are kept beside the record; the
 * record itself is the JSON object the API returns.
 */
import type Database from 'better-sqlite3';

export interface EventRecord {
  readonly type: string;
  readonly timeMs: number;
  readonly verdict?: string;
  readonly agent?: string;
  readonly host?: string;
  /** The decision's id, for decision events. */
  readonly decisionId?: string;
  /** Every field of the event as the API shows it (besides id, time and type). */
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * A record as the table stores it: the filtered columns, then the record serialized. The recorder
 * makes rows as decisions arrive, so what waits for the next batch is one string and a few scalars,
 * not the decision and request it came from.
 */
export type EventRow = readonly [
  timeMs: number,
  type: string,
  verdict: string | null,
  agent: string | null,
  host: string | null,
  record: string,
  decisionId: string | null,
];

/** The one INSERT of an event row, in `EventRow` order (also run by the writer thread). */
export const INSERT_EVENT_SQL =
  'INSERT INTO events (time_ms, type, verdict, agent, host, record, decision_id) VALUES (?, ?, ?, ?, ?, ?, ?)';

export function eventRow(e: EventRecord): EventRow {
  return [
    e.timeMs,
    e.type,
    e.verdict ?? null,
    e.agent ?? null,
    e.host ?? null,
    JSON.stringify(e.data),
    e.decisionId ?? null,
  ];
}

export interface EventQuery {
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly verdict?: string;
  readonly type?: string;
  readonly agent?: string;
  readonly host?: string;
  readonly decisionId?: string;
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
  /** Writes a batch of rows made by `eventRow` in one transaction. */
  insertRows(rows: readonly EventRow[]): void;
  /** Newest first. */
  query(q: EventQuery): StoredEvent[];
  /** Deletes up to `max` events older than `beforeMs`; returns how many went. */
  prune(beforeMs: number, max: number): number;
  /** Deletes up to `max` of the oldest events beyond the newest `keep`; returns how many went. */
  trim(keep: number, max: number): number;
  count(): number;
}

/**
 * The row bound: keeps the rows with the `keep` highest ids, the newest. Ids only grow
 * (AUTOINCREMENT) and rows go only from the old end, so this finds the cut from `MAX(id)` (an
 * index lookup) instead of counting the table, and deletes at most `max` rows per statement.
 * A gap left by the age bound among the newest ids only makes it keep fewer.
 */
export const TRIM_SQL =
  'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id <= (SELECT MAX(id) FROM events) - ? ORDER BY id LIMIT ?)';

export function insertEventStatement(db: Database.Database): (e: EventRecord) => void {
  const insert = db.prepare<[...EventRow]>(INSERT_EVENT_SQL);
  return (e) => void insert.run(...eventRow(e));
}

export function createEventStore(db: Database.Database): EventStore {
  const insertRow = db.prepare<[...EventRow]>(INSERT_EVENT_SQL);
  const insertMany = db.transaction((rows: readonly EventRow[]) => {
    for (const r of rows) insertRow.run(...r);
  });
  const prune = db.prepare<[number, number]>(
    'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? ORDER BY id LIMIT ?)',
  );
  const trim = db.prepare<[number, number]>(TRIM_SQL);
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM events');
  return {
    insert: (records) => {
      if (records.length > 0) insertMany(records.map(eventRow));
    },
    insertRows: (rows) => {
      if (rows.length > 0) insertMany(rows);
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
      add('decision_id = ?', q.decisionId);
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
    trim: (keep, max) => trim.run(keep, max).changes,
    count: () => count.get()?.n ?? 0,
  };
}
