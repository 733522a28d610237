/**
 * Jest globalSetup: can the end-to-end suites reach a container engine?
 *
 * Sets PORTCULLIS_E2E_DOCKER to `1` when they can, otherwise to a one-line reason, which the suites
 * put in the title of a skipped `describe` (so a run without Docker reports them as skipped, never
 * as passed). Workers inherit the variable. Set it yourself beforehand to skip the probe (any value
 * other than `1` skips the suites with that value as the reason).
 *
 * The probe uses testcontainers' own runtime detection (DOCKER_HOST, ~/.testcontainers.properties,
 * the Docker socket, rootless and Podman sockets), bounded by a short timeout.
 */
'use strict';

const { setTimeout, clearTimeout } = require('node:timers');

const PROBE_TIMEOUT_MS = 5000;

function firstLine(value) {
  const text = value instanceof Error ? value.message : String(value);
  return (text.split('\n').find((line) => line.trim() !== '') ?? 'unknown error').trim();
}

/** testcontainers itself may not load on this Node version (12.1+ needs Node 22). */
function loadTestcontainers() {
  try {
    return { module: require('testcontainers') };
  } catch (error) {
    try {
      const pkg = require('testcontainers/package.json');
      if (pkg.engines && pkg.engines.node) {
        return {
          reason: `testcontainers ${pkg.version} needs Node ${pkg.engines.node}, this is Node ${process.versions.node}`,
        };
      }
    } catch {
      // no package metadata to quote
    }
    return { reason: `testcontainers cannot load on Node ${process.versions.node}: ${firstLine(error)}` };
  }
}

async function probe() {
  const loaded = loadTestcontainers();
  if (!loaded.module) return loaded.reason;
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve(`no container engine answered within ${PROBE_TIMEOUT_MS} ms`),
      PROBE_TIMEOUT_MS,
    );
  });
  const detect = loaded.module.getContainerRuntimeClient().then(
    () => '1',
    (error) => `no container engine: ${firstLine(error)}`,
  );
  try {
    return await Promise.race([detect, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

module.exports = async function dockerProbe() {
  if (process.env.PORTCULLIS_E2E_DOCKER !== undefined && process.env.PORTCULLIS_E2E_DOCKER !== '') return;
  process.env.PORTCULLIS_E2E_DOCKER = await probe();
};
