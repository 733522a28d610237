/**
 * What the repository's `.portcullis-data` (the store `npm start` uses) looks like, so the Jest
 * global teardown can tell whether a test touched it: every entry's name, size and mtime. SQLite
 * also creates `-wal`/`-shm` files on open, so a test that only opened the store shows too.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const REPOSITORY_DATA_DIR = path.resolve(__dirname, '..', '..', '.portcullis-data');
/** A store holds a handful of files; the bound only keeps a surprise from making this slow. */
const MAX_ENTRIES = 1000;

function describeDataDir(dir = REPOSITORY_DATA_DIR) {
  const entries = [];
  const visit = (at, depth) => {
    let names;
    try {
      names = fs.readdirSync(at).sort();
    } catch (error) {
      if (error && error.code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      if (entries.length >= MAX_ENTRIES) return;
      const full = path.join(at, name);
      const stat = fs.lstatSync(full);
      entries.push(`${path.relative(dir, full)} ${stat.size} bytes, modified ${stat.mtime.toISOString()}`);
      if (stat.isDirectory() && depth < 4) visit(full, depth + 1);
    }
  };
  const exists = fs.existsSync(dir);
  if (exists) visit(dir, 0);
  return { dir, exists, entries };
}

/** Undefined when unchanged, else one message saying what changed and how to find the test. */
function compareDataDir(before, after) {
  if (JSON.stringify(before) === JSON.stringify(after)) return undefined;
  const show = (state) =>
    state.exists ? (state.entries.length === 0 ? '(empty)' : state.entries.join('; ')) : '(absent)';
  return [
    `a test created or modified ${after.dir}, the store \`npm start\` uses (the user's admin changes and events).`,
    `  before the run: ${show(before)}`,
    `  after the run:  ${show(after)}`,
    'Some test started `serve` or opened the store without its own data directory: pass',
    '`--data-dir` (or PORTCULLIS_DATA_DIR) from testDataDir() in test/support/temp-dirs.ts, or start',
    'the service with testConfig()/startAdmin(), which make one. (If `npm start` was running during',
    'the test run, it may have written there itself: stop it and run the tests again.)',
  ].join('\n');
}

module.exports = { REPOSITORY_DATA_DIR, describeDataDir, compareDataDir };
