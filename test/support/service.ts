/** The `serve` configuration tests start the real service with: loopback, free ports, quiet. */
import type { ServeConfig } from '../../src/config/serve-config';

export function testConfig(
  policyPaths: readonly string[],
  overrides: Partial<ServeConfig> = {},
): ServeConfig {
  return {
    policyPaths,
    grpcAddress: '127.0.0.1',
    grpcPort: 0,
    adminAddress: '127.0.0.1',
    adminPort: -1,
    logLevel: 'silent',
    reloadIntervalMs: 60_000,
    lookupTimeoutMs: 150,
    // Lookups go to a loopback port nothing answers: tests never reach a real resolver.
    lookupServers: ['127.0.0.1:9'],
    shutdownGraceMs: 1000,
    ...overrides,
  };
}
