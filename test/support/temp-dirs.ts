/**
 * Temporary directories for tests, all under one directory per Jest run
 * (`PORTCULLIS_TEST_TMP`, made by test/support/global-setup.js and removed by
 * test/support/global-teardown.js), so a run leaves nothing behind even when a test fails or
 * forgets to clean up. Outside Jest they fall back to the system temporary directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function testTempDir(prefix: string): string {
  const root = process.env['PORTCULLIS_TEST_TMP'];
  return mkdtempSync(path.join(root !== undefined && root !== '' ? root : tmpdir(), `portcullis-${prefix}-`));
}

/**
 * A fresh data directory for one `serve`: never the repository's `.portcullis-data`, which belongs
 * to `npm start` (its admin changes and events).
 */
export function testDataDir(): string {
  return testTempDir('data');
}
