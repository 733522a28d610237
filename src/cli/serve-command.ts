import { loadServeConfig, ConfigError, SERVE_OPTIONS } from '../config/serve-config';
import { usageFromFlags, type CommandHelp, type FlagHelp } from './command-help';
import { createLogger } from '../telemetry/logger';
import { startService, StartupError } from './serve';
import { UsageError } from './usage-error';
import type { CommandIo } from './io';
import { ListenError } from './listen-error';
import { routeGrpcLogs } from '../grpc/grpc-log';

/**
 * One line of help per `serve` flag. The flags themselves are SERVE_OPTIONS in
 * src/config/serve-config.ts, which parses them; the unit test fails when one has no line here.
 */
export const SERVE_FLAGS: Partial<Record<keyof typeof SERVE_OPTIONS, FlagHelp>> = {
  policy: {
    value: 'PATH',
    repeatable: true,
    help: 'policy file or directory, watched and reloaded on change',
  },
  config: { value: 'FILE', help: 'YAML/JSON file of settings with camelCase keys (policy, grpcPort, …)' },
  'grpc-address': {
    value: 'ADDR',
    help: 'address of the ext_authz and health gRPC server (default 127.0.0.1)',
  },
  'grpc-port': { value: 'PORT', help: 'its port (default 9191; 0 picks a free one)' },
  'admin-address': { value: 'ADDR', help: 'address of the admin HTTP API (default 127.0.0.1)' },
  'admin-port': { value: 'PORT', help: 'its port (default 8443; 0 picks a free one; -1 turns it off)' },
  'log-level': { value: 'LEVEL', help: 'fatal, error, warn, info (default), debug, trace or silent' },
  'reload-interval-ms': {
    value: 'MS',
    help: 'how often the policy paths are checked for changes (default 1000)',
  },
  'reload-settle-ms': {
    value: 'MS',
    help: 'a change loads once the files stay unchanged this long (default 1000)',
  },
  'reload-empty-grace-ms': {
    value: 'MS',
    help: 'a change that empties the policy files is held this long first (default 10000)',
  },
  'shutdown-grace-ms': {
    value: 'MS',
    help: 'time in-flight calls get to finish on SIGTERM/SIGINT (default 10000)',
  },
  'dns-port': { value: 'PORT', help: 'run the snooping DNS resolver on this port (off without it)' },
  'dns-address': { value: 'ADDR', help: 'its address (default 127.0.0.1)' },
  'dns-upstream': {
    value: 'HOST:PORT',
    repeatable: true,
    help: "upstream resolver, also for decisions' lookups (default: /etc/resolv.conf)",
  },
  'dns-reject': {
    value: 'refused|nxdomain',
    help: 'answer to a query for a name no rule lets through (default refused)',
  },
  'dns-min-ttl': { value: 'SECONDS', help: 'shortest TTL given to answers and name bindings (default 60)' },
  'dns-max-ttl': { value: 'SECONDS', help: 'longest TTL (default 86400)' },
  'dns-proxy-source': {
    value: 'IP|CIDR',
    repeatable: true,
    help: "Envoy's own resolver: its queries speak for no single agent",
  },
  'lookup-timeout-ms': { value: 'MS', help: "bound on a decision's name lookup (default 150)" },
  'data-dir': {
    value: 'DIR',
    help: 'where the admin store (portcullis.db) lives (default .portcullis-data)',
  },
  tokens: { value: 'FILE', help: 'YAML list of admin API tokens {name, role, sha256}' },
  'events-queue-size': {
    value: 'N',
    help: 'decision events held before the events log writes them (default 10000)',
  },
  'events-retention-days': { value: 'DAYS', help: 'events older than this are pruned (default 7)' },
  'events-max-rows': {
    value: 'N',
    help: 'the events log keeps at most this many rows; 0: no bound (default 1000000)',
  },
};

function serveFlags(): Record<string, FlagHelp> {
  const flags: Record<string, FlagHelp> = {};
  for (const name of Object.keys(SERVE_OPTIONS) as (keyof typeof SERVE_OPTIONS)[]) {
    flags[name] = SERVE_FLAGS[name] ?? { value: 'VALUE', help: '(see docs/cli.md)' };
  }
  return flags;
}

export const SERVE_HELP: CommandHelp = {
  usage: usageFromFlags('serve', serveFlags(), ['policy']),
  summary: [
    'Serve ext_authz Check and health over gRPC, the admin API and (with --dns-port) the DNS resolver,',
    'deciding with the policy files until SIGTERM or SIGINT.',
  ],
  flags: serveFlags(),
  notes: [
    'Each flag can also come from PORTCULLIS_<FLAG> (PORTCULLIS_GRPC_PORT, PORTCULLIS_POLICY comma-separated, …)',
    'or the --config file; a flag wins over the environment, which wins over the file.',
    'exit codes: 0 stopped cleanly, 1 the first policy load failed, 2 a bad setting,',
    '3 a port in use or not permitted (docs/operations.md)',
  ],
};

export const SERVE_USAGE = SERVE_HELP.usage;

/**
 * `portcullis serve`: runs until SIGTERM or SIGINT, then drains (health NOT_SERVING, in-flight
 * calls finish) and exits 0. A first policy load that fails exits 1 with every problem listed; a
 * listener that cannot bind exits 3 with one line naming its address (docs/operations.md).
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
  routeGrpcLogs(logger);
  let service;
  try {
    service = await startService(config, logger);
  } catch (err) {
    if (err instanceof ListenError) {
      io.err(`portcullis: ${err.message}`);
      return err.exitCode;
    }
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
