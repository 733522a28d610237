import { loadServeConfig, ConfigError } from '../config/serve-config';
import { createLogger } from '../telemetry/logger';
import { startService, StartupError } from './serve';
import { UsageError } from './usage-error';
import type { CommandIo } from './io';

export const SERVE_USAGE =
  'portcullis serve --policy PATH… [--config FILE] [--grpc-address ADDR] [--grpc-port 9191] [--admin-address ADDR] [--admin-port 8443] [--log-level info] [--reload-interval-ms 1000] [--reload-settle-ms 1000] [--reload-empty-grace-ms 10000] [--shutdown-grace-ms 10000] [--data-dir .portcullis-data] [--tokens FILE] [--events-queue-size 10000] [--events-retention-days 7] [--events-max-rows 1000000] [--dns-port N] [--dns-address ADDR] [--dns-upstream HOST:PORT]… [--dns-reject refused|nxdomain] [--dns-min-ttl 60] [--dns-max-ttl 86400]';

/**
 * `portcullis serve`: runs until SIGTERM or SIGINT, then drains (health NOT_SERVING, in-flight
 * calls finish) and exits 0. A first policy load that fails exits 1 with every problem listed.
 */
export async function serveCommand(args: readonly string[], io: CommandIo): Promise<number> {
  let config;
  try {
    config = loadServeConfig(args);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.problems.join('\n  '));
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let service;
  try {
    service = await startService(config, logger);
  } catch (err) {
    if (err instanceof StartupError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
  const running = service;
  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
