import { loadServeConfig, type SERVE_OPTIONS } from '../config/serve-config';
import { CONFIG_FLAG, settingsInOrder, type SettingRow } from '../config/serve-settings';
import { usageFromFlags, type CommandHelp, type FlagHelp } from './command-help';
import { createLogger } from '../telemetry/logger';
import { startService } from './serve';
import type { CommandIo } from './io';
import { ListenError } from './listen-error';
import { routeGrpcLogs } from '../grpc/grpc-log';
import { PortcullisError } from '../errors/portcullis-error';

/** A row's line of help: what it does, its default, and any old spelling still read. */
function flagHelp(setting: SettingRow): FlagHelp {
  const shown = setting.unset ?? (setting.default === '' ? undefined : setting.default);
  let help = setting.help;
  if (shown !== undefined) help += ` (default ${shown})`;
  if (setting.deprecated !== undefined) help += `; deprecated: ${setting.deprecated}`;
  return { value: setting.value, help, ...(setting.repeatable === true ? { repeatable: true } : {}) };
}

/**
 * One line of help per `serve` flag, from the settings table (src/config/serve-settings.ts) that
 * also parses them, so help cannot drift from what is accepted. `--config` follows `--policy`.
 */
export const SERVE_FLAGS: Readonly<Record<keyof typeof SERVE_OPTIONS, FlagHelp>> = (() => {
  const flags: Record<string, FlagHelp> = {};
  for (const [flag, setting] of settingsInOrder()) {
    flags[flag] = flagHelp(setting);
    if (flag === 'policy') flags['config'] = CONFIG_FLAG;
  }
  return Object.freeze(flags as Record<keyof typeof SERVE_OPTIONS, FlagHelp>);
})();

export const SERVE_HELP: CommandHelp = {
  usage: usageFromFlags('serve', SERVE_FLAGS, ['policy']),
  summary: [
    'Serve ext_authz Check and health over gRPC, the admin API and (with --dns-port) the DNS resolver,',
    'deciding with the policy files until SIGTERM or SIGINT.',
  ],
  flags: SERVE_FLAGS,
  notes: [
    'Each flag can also come from PORTCULLIS_<FLAG> (PORTCULLIS_GRPC_PORT, PORTCULLIS_POLICY comma-separated, …)',
    'or the --config file (grpcPort, …); a flag wins over the environment, which wins over the file.',
    'Every setting, its variable, key and bounds: docs/cli.md, "Settings".',
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
  // A bad setting throws a PortcullisError (usage, config_invalid): main prints it with the usage.
  const config = loadServeConfig(args);
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
    // The first policy load failed (invalid_policy) or the admin store did not open (startup_failed).
    if (err instanceof PortcullisError) {
      io.err(err.message);
      return err.exitCode;
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
