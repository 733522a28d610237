#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm packages when node_modules is missing or older than
// package-lock.json, then compiles TypeScript to dist/. Used by `npm start` and `npm test`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const lock = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.package-lock.json');
const stale = !fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  // `npm install` installs the locked versions; `npm ci` would also demand lock entries for other
  // platforms' optional binaries, which not every registry mirror serves.
  console.error('[prepare] installing npm packages…');
  run(npm, ['install', '--no-audit', '--no-fund']);
}
run(process.execPath, [
  path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  'tsconfig.build.json',
]);
