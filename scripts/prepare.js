#!/usr/bin/env node
// Makes a fresh clone runnable: checks that this Node is one package.json `engines` supports,
// installs exactly the locked npm packages (`npm ci`) when node_modules is missing or older than
// package-lock.json, then compiles TypeScript to dist/. Used by `npm start`,
// `npm test` and `npm run bench`. `npm ci` never writes package-lock.json, so a clone stays as cloned.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const say = (line) => console.error(`[prepare] ${line}`);

/**
 * True when `version` (x.y.z) satisfies `range`, a `||` list of `^x.y.z` and `>=x.y.z` alternatives:
 * the only forms package.json's `engines.node` uses, so no semver package is needed before install.
 */
function satisfies(version, range) {
  const have = version.split('.').map(Number);
  return range.split('||').some((alternative) => {
    const m = /^\s*(\^|>=)\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$/.exec(alternative);
    if (m === null) throw new Error(`scripts/prepare.js cannot read engines.node part "${alternative}"`);
    const min = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
    const index = have.findIndex((part, i) => part !== min[i]);
    const atLeast = index < 0 || have[index] > min[index];
    return atLeast && (m[1] === '>=' || have[0] === min[0]);
  });
}

const supported = require(path.join(root, 'package.json')).engines.node;
if (!satisfies(process.versions.node, supported)) {
  say(`Node ${process.versions.node} is not supported: use Node ${supported} (package.json engines)`);
  process.exit(1);
}

const lock = path.join(root, 'package-lock.json');
const stamp = path.join(root, 'node_modules', '.package-lock.json');
const stale = !fs.existsSync(stamp) || fs.statSync(stamp).mtimeMs < fs.statSync(lock).mtimeMs;
if (stale) {
  // Measured on 2 cores: about 4 minutes in all, of which re2 takes 2m20s and better-sqlite3 1m20s.
  // Both try to download a prebuilt binary from outside the npm registry first; where that is
  // unreachable they compile from source, which is the slow part. The rest takes seconds.
  // ssh2 and cpu-features (pulled in by testcontainers, for the Docker e2e tests only) would also
  // compile optional bindings (about 10 s); package.json `allowScripts` denies their install
  // scripts, and both load and work without them.
  say('installing npm packages and compiling native addons (re2, better-sqlite3):');
  say('about 3-5 minutes on 2 cores, once; later runs skip this step until package-lock.json changes');
  const started = Date.now();
  run(npm, ['ci', '--no-audit', '--no-fund']);
  say(`npm packages installed in ${Math.round((Date.now() - started) / 1000)} s`);
}
run(process.execPath, [
  path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  'tsconfig.build.json',
]);
