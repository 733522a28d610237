/**
 * grpc-js writes its own diagnostics straight to stderr (`E No address added out of total 1
 * resolved` when a bind fails). Routed into the service's JSON log instead, so stderr carries only
 * what the command itself says. grpc-js has one logger per process: the `serve` command sets it.
 */
import { format } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../telemetry/logger';

export function routeGrpcLogs(logger: Logger): void {
  const log = logger.child({ component: 'grpc-js' });
  grpc.setLogger({
    error: (...args: unknown[]) => log.error(format(...args)),
    info: (...args: unknown[]) => log.info(format(...args)),
    debug: (...args: unknown[]) => log.debug(format(...args)),
  });
}
