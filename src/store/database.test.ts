import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DATABASE_FILE, openAdminDatabase } from './database';
import { createResourceStore } from './resource-store';

const dir = () => mkdtempSync(path.join(tmpdir(), 'portcullis-db-'));

describe('openAdminDatabase()', () => {
  it('creates the directory and the schema, in WAL mode with synchronous=FULL for policy', () => {
    const dataDir = path.join(dir(), 'nested', 'data');
    const db = openAdminDatabase(dataDir);
    try {
      expect(db.file).toBe(path.join(dataDir, DATABASE_FILE));
      expect(db.policy.pragma('journal_mode', { simple: true })).toBe('wal');
      // 2 = FULL, 1 = NORMAL
      expect(db.policy.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.events.pragma('synchronous', { simple: true })).toBe(1);
    } finally {
      db.close();
    }
    expect(db.open).toBe(false);
  });

  it('keeps what was committed across a reopen', async () => {
    const dataDir = dir();
    const first = openAdminDatabase(dataDir);
    const doc = {
      apiVersion: 'v',
      kind: 'EgressNamespace',
      metadata: { name: 'prod' },
      spec: { path: 'prod' },
    };
    await createResourceStore(first.policy).commit({ put: [doc], remove: [], events: [] });
    first.close();
    const second = openAdminDatabase(dataDir);
    try {
      expect((await createResourceStore(second.policy).list()).map((r) => r.document)).toEqual([doc]);
    } finally {
      second.close();
    }
  });

  it('refuses a database written by a newer schema', () => {
    const dataDir = dir();
    const raw = new Database(path.join(dataDir, DATABASE_FILE));
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openAdminDatabase(dataDir)).toThrow(/schema version 99, newer than this Portcullis/);
  });

  it('says how to fix a data directory it cannot create', () => {
    const file = path.join(dir(), 'a-file');
    writeFileSync(file, '');
    expect(() => openAdminDatabase(path.join(file, 'data'))).toThrow(
      /cannot create the data directory .*ENOTDIR.*--data-dir \(PORTCULLIS_DATA_DIR\)/,
    );
  });
});
