/**
 * The admin store: one SQLite file (`portcullis.db` under the data directory) holding the resources
 * the admin API manages, the events log and API tokens.
 *
 * Policy and token writes use a connection with WAL and `synchronous=FULL`: a transaction that has
 * returned is on disk, so a change answered 2xx survives kill -9 (and power loss) right after.
 * Decision events use a second connection with `synchronous=NORMAL`: in WAL mode a committed batch
 * still survives the process being killed, and the flush does no fsync on the event loop (an OS
 * crash may lose the last batches, which the events log can afford and policy cannot).
 * better-sqlite3 is synchronous, so two transactions of this process never interleave.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const DATABASE_FILE = 'portcullis.db';

export interface AdminDatabase {
  /** Resources and tokens (synchronous=FULL). */
  readonly policy: Database.Database;
  /** Decision events (synchronous=NORMAL); the same connection as `policy` in memory. */
  readonly events: Database.Database;
  /** The database file, or `:memory:`. */
  readonly file: string;
  readonly open: boolean;
  close(): void;
}

/** Each entry moves the schema from version i to i + 1; applied in order, never edited. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE resources (
     kind TEXT NOT NULL,
     name TEXT NOT NULL,
     document TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (kind, name)
   ) WITHOUT ROWID;
   CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     time_ms INTEGER NOT NULL,
     type TEXT NOT NULL,
     verdict TEXT,
     agent TEXT,
     host TEXT,
     record TEXT NOT NULL
   );
   CREATE INDEX events_time ON events (time_ms);
   CREATE INDEX events_type ON events (type, id);
   CREATE INDEX events_agent ON events (agent, id);
   CREATE INDEX events_host ON events (host, id);
   CREATE TABLE tokens (
     name TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     sha256 TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL
   );`,
  // The decision id of a decision event, so the id in a 403's header finds its event at once.
  `ALTER TABLE events ADD COLUMN decision_id TEXT;
   CREATE INDEX events_decision ON events (decision_id) WHERE decision_id IS NOT NULL;`,
];

/** Opens (creating if missing) the database in `dataDir`, or an in-memory one when undefined. */
export function openAdminDatabase(dataDir: string | undefined): AdminDatabase {
  const file = dataDir === undefined ? ':memory:' : path.join(dataDir, DATABASE_FILE);
  if (dataDir !== undefined) {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new Error(
        `cannot create the data directory ${dataDir} (${reason}); point --data-dir (PORTCULLIS_DATA_DIR) at a writable directory`,
      );
    }
  }
  const policy = new Database(file);
  configure(policy, 'FULL');
  migrate(policy);
  const events = dataDir === undefined ? policy : new Database(file);
  if (events !== policy) configure(events, 'NORMAL');
  let open = true;
  return {
    policy,
    events,
    file,
    get open() {
      return open;
    },
    close() {
      if (!open) return;
      open = false;
      if (events !== policy) events.close();
      policy.close();
    },
  };
}

function configure(db: Database.Database, synchronous: 'FULL' | 'NORMAL'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `the admin database is at schema version ${version}, newer than this Portcullis (${MIGRATIONS.length}); use a newer release or another --data-dir`,
    );
  }
  db.transaction(() => {
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}
