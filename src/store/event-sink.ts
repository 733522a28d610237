/**
 * Where the events recorder sends its batches. For a database on disk the batches go to a worker
 * thread with its own SQLite connection, so the inserts (and the WAL checkpoints they trigger) never
 * run on the event loop that answers Check calls: measured on this project's CI disk, a 500-event
 * batch costs the event loop about 1 ms to hand over, against 7-20 ms (p99 40-80 ms) to insert.
 * An in-memory database cannot be shared with a thread, so there the batch is written in place.
 *
 * The worker is a short inline script (it only prepares two statements), so it runs the same from
 * `dist/` and under Jest's TypeScript transform.
 */
import { Worker } from 'node:worker_threads';
import { INSERT_EVENT_SQL, TRIM_SQL, type EventRow, type EventStore } from './event-store';

export interface EventSink {
  write(rows: readonly EventRow[]): Promise<void>;
  /** Deletes up to `max` events older than `beforeMs`; resolves to how many went. */
  prune(beforeMs: number, max: number): Promise<number>;
  /** Deletes up to `max` of the oldest events beyond the newest `keep`; resolves to how many went. */
  trim(keep: number, max: number): Promise<number>;
  close(): Promise<void>;
}

export function createInlineEventSink(store: EventStore): EventSink {
  return {
    write: async (rows) => store.insertRows(rows),
    prune: async (beforeMs, max) => store.prune(beforeMs, max),
    trim: async (keep, max) => store.trim(keep, max),
    close: async () => undefined,
  };
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
const insert = db.prepare(workerData.insertSql);
const prune = db.prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time_ms < ? ORDER BY id LIMIT ?)');
const trim = db.prepare(workerData.trimSql);
const write = db.transaction((rows) => {
  for (const r of rows) insert.run(...r);
});
parentPort.on('message', (m) => {
  try {
    let n = 0;
    if (m.op === 'write') { write(m.rows); n = m.rows.length; }
    else if (m.op === 'prune') n = prune.run(m.before, m.max).changes;
    else if (m.op === 'trim') n = trim.run(m.keep, m.max).changes;
    else if (m.op === 'close') db.close();
    parentPort.postMessage({ id: m.id, ok: true, n });
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((err && err.message) || err) });
  }
});
`;

type Reply = { id: number; ok: true; n: number } | { id: number; ok: false; error: string };

export function createWorkerEventSink(file: string): EventSink {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      driver: require.resolve('better-sqlite3'),
      trimSql: TRIM_SQL,
      insertSql: INSERT_EVENT_SQL,
    },
  });
  worker.unref();
  let next = 0;
  const pending = new Map<number, { resolve: (n: number) => void; reject: (e: Error) => void }>();
  const fail = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (p === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.n);
    else p.reject(new Error(reply.error));
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the events writer thread exited (${code})`)));

  const send = (message: Record<string, unknown>): Promise<number> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  let closed: Promise<void> | undefined;

  return {
    async write(rows) {
      await send({ op: 'write', rows });
    },
    prune: (before, max) => send({ op: 'prune', before, max }),
    trim: (keep, max) => send({ op: 'trim', keep, max }),
    close() {
      closed ??= send({ op: 'close' })
        .catch(() => 0)
        .then(() => worker.terminate())
        .then(() => undefined);
      return closed;
    },
  };
}
