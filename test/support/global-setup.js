/**
 * Jest globalSetup: the container-engine probe for the end-to-end suites, one temporary directory
 * for the whole run (`PORTCULLIS_TEST_TMP`; workers inherit it, test/support/temp-dirs.ts makes
 * every test directory inside it), and a record of the repository's `.portcullis-data`, which the
 * global teardown compares afterwards: tests must never touch the user's demo store.
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const dockerProbe = require('../e2e/docker-probe');
const { describeDataDir } = require('./data-dir-guard');

module.exports = async function globalSetup() {
  globalThis.portcullisDataDirBefore = describeDataDir();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-tests-'));
  process.env.PORTCULLIS_TEST_TMP = root;
  await dockerProbe();
};
