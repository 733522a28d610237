/**
 * The `serve` configuration tests start the real service with: loopback, free ports, quiet, and a
 * fresh data directory of its own (removed after the run), never the repository's
 * `.portcullis-data`, which belongs to `npm start`.
 */
import type { ServeConfig } from '../../src/config/serve-config';
import { testDataDir } from './temp-dirs';

export function testConfig(
  policyPaths: readonly string[],
  overrides: Partial<ServeConfig> = {},
): ServeConfig {
  return {
    policyPaths,
    grpcAddress: '127.0.0.1',
    grpcPort: 0,
    adminAddress: '127.0.0.1',
    adminPort: 'off',
    logLevel: 'silent',
    reloadIntervalMs: 60_000,
    lookupTimeoutMs: 150,
    // Lookups go to a loopback port nothing answers: tests never reach a real resolver.
    lookupServers: ['127.0.0.1:9'],
    shutdownGraceMs: 1000,
    dataDir: overrides.dataDir ?? testDataDir(),
    ...overrides,
  };
}
