/**
 * Jest globalTeardown: removes the run's temporary directory, then fails the run if any test
 * created or modified the repository's `.portcullis-data` (see test/support/data-dir-guard.js).
 */
'use strict';

const fs = require('node:fs');
const { compareDataDir, describeDataDir } = require('./data-dir-guard');

module.exports = async function globalTeardown() {
  const root = process.env.PORTCULLIS_TEST_TMP;
  if (root !== undefined && root !== '') fs.rmSync(root, { recursive: true, force: true });
  const before = globalThis.portcullisDataDirBefore;
  if (before === undefined) return;
  const problem = compareDataDir(before, describeDataDir());
  if (problem !== undefined) throw new Error(problem);
};
