/**
 * The guard the Jest global teardown runs over the repository's `.portcullis-data`, on a directory
 * of its own: it must see a store created, written to, or merely opened (SQLite's -wal file).
 */
import { utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { testTempDir } from './temp-dirs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const guard = require('./data-dir-guard') as {
  REPOSITORY_DATA_DIR: string;
  describeDataDir(dir?: string): unknown;
  compareDataDir(before: unknown, after: unknown): string | undefined;
};

describe('the .portcullis-data guard', () => {
  it('watches the repository’s own data directory', () => {
    expect(guard.REPOSITORY_DATA_DIR).toBe(path.resolve(__dirname, '..', '..', '.portcullis-data'));
  });

  it('says nothing when the directory did not change, present or absent', () => {
    const dir = path.join(testTempDir('guard'), '.portcullis-data');
    expect(guard.compareDataDir(guard.describeDataDir(dir), guard.describeDataDir(dir))).toBeUndefined();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'portcullis.db'), 'rows');
    expect(guard.compareDataDir(guard.describeDataDir(dir), guard.describeDataDir(dir))).toBeUndefined();
  });

  it('reports a store created where there was none', () => {
    const dir = path.join(testTempDir('guard'), '.portcullis-data');
    const before = guard.describeDataDir(dir);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'portcullis.db'), 'rows');
    const problem = guard.compareDataDir(before, guard.describeDataDir(dir));
    expect(problem).toContain(`a test created or modified ${dir}`);
    expect(problem).toContain('before the run: (absent)');
    expect(problem).toContain('after the run:  portcullis.db 4 bytes');
  });

  it('reports a store written to (same size, newer mtime) or opened (a -wal file appears)', () => {
    const dir = testTempDir('guard');
    const db = path.join(dir, 'portcullis.db');
    writeFileSync(db, 'rows');
    utimesSync(db, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    const before = guard.describeDataDir(dir);
    utimesSync(db, new Date('2026-01-02T00:00:00Z'), new Date('2026-01-02T00:00:00Z'));
    expect(guard.compareDataDir(before, guard.describeDataDir(dir))).toContain(
      'portcullis.db 4 bytes, modified 2026-01-02T00:00:00.000Z',
    );
    utimesSync(db, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'));
    writeFileSync(path.join(dir, 'portcullis.db-wal'), '');
    expect(guard.compareDataDir(before, guard.describeDataDir(dir))).toContain('portcullis.db-wal 0 bytes');
  });
});
