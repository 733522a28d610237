/**
 * Every `serve` setting, one row each: its flag (the key), environment variable, config-file key,
 * parser with its bounds, default, help text and group. The parseArgs options, the lookup through
 * flag, environment and file, the ServeConfig each row fills, `serve --help` and the settings table
 * in docs/cli.md are all derived from this table (src/config/serve-config.ts,
 * src/cli/serve-command.ts, src/config/serve-settings-doc.ts), so a setting is added in one place.
 */
import {
  anyText,
  directory,
  listOf,
  oneOf,
  port,
  portOrOff,
  proxySource,
  text,
  upstreamAddress,
  wholeNumber,
  type Parser,
} from './setting-parsers';
import type { DnsConfig, ServeConfig } from './serve-config';

/** Under the working directory, as `npm start` runs it (and listed in .gitignore). */
export const DEFAULT_DATA_DIR = '.portcullis-data';
/**
 * Bound on a decision's name lookup: well inside the 250 ms ext_authz timeout the shipped Envoy
 * configurations set, so a slow resolver yields our deny, not Envoy's failure mode.
 */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 150;
export const DEFAULT_RELOAD_SETTLE_MS = 1000;
export const DEFAULT_RELOAD_EMPTY_GRACE_MS = 10_000;
export const DEFAULT_EVENTS_MAX_ROWS = 1_000_000;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Groups, in the order help and documentation list them. */
export const SETTING_GROUPS = {
  policy: 'Policy and reload',
  listeners: 'Listeners',
  dns: "DNS resolver (runs only with --dns-port) and decisions' lookups",
  store: 'Admin store and events log',
  process: 'Logging and shutdown',
} as const;
export type SettingGroup = keyof typeof SETTING_GROUPS;

/** Where a row's value goes: a field of ServeConfig, or of its DnsConfig (`dns.port`). */
export type SettingField = Exclude<keyof ServeConfig, 'dns'> | `dns.${keyof DnsConfig}`;

/** The type a row's parser must produce: exactly what its field holds. */
export type FieldValue<F extends SettingField> = F extends `dns.${infer D extends keyof DnsConfig}`
  ? DnsConfig[D]
  : F extends keyof ServeConfig
    ? NonNullable<ServeConfig[F]>
    : never;

export interface SettingRow<F extends SettingField = SettingField> {
  readonly field: F;
  readonly env: `PORTCULLIS_${string}`;
  /** The key in the `--config` file: the flag in camelCase. */
  readonly key: string;
  /** The value's placeholder in help: `PORT`, `MS`. */
  readonly value: string;
  readonly parse: Parser<FieldValue<F>>;
  /** The default as one would type it; it goes through `parse` like any other value. */
  readonly default?: string;
  /** What happens when the setting is not given and there is no default value (`off`). */
  readonly unset?: string;
  readonly required?: true;
  readonly repeatable?: true;
  readonly group: SettingGroup;
  /** One line. */
  readonly help: string;
  /** Old spellings still accepted, said in help so they can be replaced. */
  readonly deprecated?: string;
}

/** Builds a row, checking at compile time that its parser produces what its field holds. */
function row<F extends SettingField>(setting: SettingRow<F>): SettingRow<F> {
  return setting;
}

const ms = (min: number, max: number) => wholeNumber(min, max);

export const SERVE_SETTINGS = {
  policy: row({
    field: 'policyPaths',
    env: 'PORTCULLIS_POLICY',
    key: 'policy',
    value: 'PATH',
    parse: listOf('paths', anyText),
    required: true,
    repeatable: true,
    group: 'policy',
    help: 'policy file or directory, watched and reloaded on change',
  }),
  'reload-interval-ms': row({
    field: 'reloadIntervalMs',
    env: 'PORTCULLIS_RELOAD_INTERVAL_MS',
    key: 'reloadIntervalMs',
    value: 'MS',
    parse: ms(50, 3_600_000),
    default: '1000',
    group: 'policy',
    help: 'how often the policy paths are checked for changes, besides file-system events',
  }),
  'reload-settle-ms': row({
    field: 'reloadSettleMs',
    env: 'PORTCULLIS_RELOAD_SETTLE_MS',
    key: 'reloadSettleMs',
    value: 'MS',
    parse: ms(0, 600_000),
    default: String(DEFAULT_RELOAD_SETTLE_MS),
    group: 'policy',
    help: 'a change loads once the files have stayed unchanged this long',
  }),
  'reload-empty-grace-ms': row({
    field: 'reloadEmptyGraceMs',
    env: 'PORTCULLIS_RELOAD_EMPTY_GRACE_MS',
    key: 'reloadEmptyGraceMs',
    value: 'MS',
    parse: ms(0, 86_400_000),
    default: String(DEFAULT_RELOAD_EMPTY_GRACE_MS),
    group: 'policy',
    help: 'a change that empties the policy files is held this long, as a probable partial write',
  }),
  'grpc-address': row({
    field: 'grpcAddress',
    env: 'PORTCULLIS_GRPC_ADDRESS',
    key: 'grpcAddress',
    value: 'ADDR',
    parse: text('an address'),
    default: '127.0.0.1',
    group: 'listeners',
    help: 'address of the ext_authz and health gRPC server',
  }),
  'grpc-port': row({
    field: 'grpcPort',
    env: 'PORTCULLIS_GRPC_PORT',
    key: 'grpcPort',
    value: 'PORT',
    parse: port(),
    default: '9191',
    group: 'listeners',
    help: 'port of the gRPC server; 0 picks a free one',
  }),
  'admin-address': row({
    field: 'adminAddress',
    env: 'PORTCULLIS_ADMIN_ADDRESS',
    key: 'adminAddress',
    value: 'ADDR',
    parse: text('an address'),
    default: '127.0.0.1',
    group: 'listeners',
    help: 'address of the admin HTTP API',
  }),
  'admin-port': row({
    field: 'adminPort',
    env: 'PORTCULLIS_ADMIN_PORT',
    key: 'adminPort',
    value: 'PORT|off',
    parse: portOrOff(),
    default: '8443',
    group: 'listeners',
    help: 'port of the admin HTTP API; 0 picks a free one, off runs no admin API',
    deprecated: '-1 means off',
  }),
  'dns-port': row({
    field: 'dns.port',
    env: 'PORTCULLIS_DNS_PORT',
    key: 'dnsPort',
    value: 'PORT',
    parse: port(),
    unset: 'off',
    group: 'dns',
    help: 'run the snooping DNS resolver (UDP and TCP) on this port',
  }),
  'dns-address': row({
    field: 'dns.address',
    env: 'PORTCULLIS_DNS_ADDRESS',
    key: 'dnsAddress',
    value: 'ADDR',
    parse: text('an address'),
    default: '127.0.0.1',
    group: 'dns',
    help: 'address of the DNS resolver',
  }),
  'dns-upstream': row({
    field: 'lookupServers',
    env: 'PORTCULLIS_DNS_UPSTREAM',
    key: 'dnsUpstream',
    value: 'HOST:PORT',
    parse: listOf('IPv4[:PORT], [IPv6][:PORT]', upstreamAddress),
    default: '',
    unset: '/etc/resolv.conf',
    repeatable: true,
    group: 'dns',
    help: "upstream resolver of the DNS resolver, and of decisions' lookups",
  }),
  'dns-reject': row({
    field: 'dns.reject',
    env: 'PORTCULLIS_DNS_REJECT',
    key: 'dnsReject',
    value: 'refused|nxdomain',
    parse: oneOf('DNS reject', ['refused', 'nxdomain']),
    default: 'refused',
    group: 'dns',
    help: 'answer to a query for a name no rule lets through',
  }),
  'dns-min-ttl': row({
    field: 'dns.minTtlSeconds',
    env: 'PORTCULLIS_DNS_MIN_TTL',
    key: 'dnsMinTtl',
    value: 'SECONDS',
    parse: wholeNumber(0, 86_400),
    default: '60',
    group: 'dns',
    help: 'shortest TTL given to answers and name bindings',
  }),
  'dns-max-ttl': row({
    field: 'dns.maxTtlSeconds',
    env: 'PORTCULLIS_DNS_MAX_TTL',
    key: 'dnsMaxTtl',
    value: 'SECONDS',
    parse: wholeNumber(1, 604_800),
    default: '86400',
    group: 'dns',
    help: 'longest TTL given to answers and name bindings',
  }),
  'dns-proxy-source': row({
    field: 'dns.proxySources',
    env: 'PORTCULLIS_DNS_PROXY_SOURCE',
    key: 'dnsProxySource',
    value: 'IP|CIDR',
    parse: listOf('IP addresses, CIDRs', proxySource),
    default: '',
    unset: 'none',
    repeatable: true,
    group: 'dns',
    help: "Envoy's own resolver: its queries speak for no single agent",
  }),
  'lookup-timeout-ms': row({
    field: 'lookupTimeoutMs',
    env: 'PORTCULLIS_LOOKUP_TIMEOUT_MS',
    key: 'lookupTimeoutMs',
    value: 'MS',
    parse: ms(1, 60_000),
    default: String(DEFAULT_LOOKUP_TIMEOUT_MS),
    group: 'dns',
    help: "bound on a decision's name lookup (name proofs, address lists)",
  }),
  'data-dir': row({
    field: 'dataDir',
    env: 'PORTCULLIS_DATA_DIR',
    key: 'dataDir',
    value: 'DIR',
    parse: directory(),
    default: DEFAULT_DATA_DIR,
    group: 'store',
    help: 'where the admin store (portcullis.db) lives',
  }),
  tokens: row({
    field: 'tokensFile',
    env: 'PORTCULLIS_TOKENS',
    key: 'tokens',
    value: 'FILE',
    parse: text('a file'),
    unset: 'none',
    group: 'store',
    help: 'YAML list of admin API tokens {name, role, sha256}',
  }),
  'events-queue-size': row({
    field: 'eventsQueueSize',
    env: 'PORTCULLIS_EVENTS_QUEUE_SIZE',
    key: 'eventsQueueSize',
    value: 'N',
    parse: wholeNumber(1, 10_000_000),
    default: '10000',
    group: 'store',
    help: 'decision events held before the events log writes them; beyond it they are dropped and counted',
  }),
  'events-retention-days': row({
    field: 'eventsRetentionDays',
    env: 'PORTCULLIS_EVENTS_RETENTION_DAYS',
    key: 'eventsRetentionDays',
    value: 'DAYS',
    parse: wholeNumber(1, 3650),
    default: '7',
    group: 'store',
    help: 'events older than this are pruned (hourly)',
  }),
  'events-max-rows': row({
    field: 'eventsMaxRows',
    env: 'PORTCULLIS_EVENTS_MAX_ROWS',
    key: 'eventsMaxRows',
    value: 'N',
    parse: wholeNumber(0, 1_000_000_000),
    default: String(DEFAULT_EVENTS_MAX_ROWS),
    group: 'store',
    help: 'the events log keeps at most this many rows, the newest; 0: no bound',
  }),
  'log-level': row({
    field: 'logLevel',
    env: 'PORTCULLIS_LOG_LEVEL',
    key: 'logLevel',
    value: 'LEVEL',
    parse: oneOf('log level', LOG_LEVELS),
    default: 'info',
    group: 'process',
    help: 'how much the JSON log on stdout says',
  }),
  'shutdown-grace-ms': row({
    field: 'shutdownGraceMs',
    env: 'PORTCULLIS_SHUTDOWN_GRACE_MS',
    key: 'shutdownGraceMs',
    value: 'MS',
    parse: ms(0, 600_000),
    default: '10000',
    group: 'process',
    help: 'time in-flight calls get to finish on SIGTERM/SIGINT before the server is forced down',
  }),
} as const;

export type ServeSettingName = keyof typeof SERVE_SETTINGS;

/** `--config FILE` is a flag only: it says where the other settings' file is. */
export const CONFIG_FLAG = {
  value: 'FILE',
  help: 'YAML or JSON file of settings, keyed by the camelCase names (policy, grpcPort, …)',
} as const;

/**
 * Every ServeConfig and DnsConfig field is filled by a row, except `dns.upstreams`, which holds the
 * same list as `lookupServers` (one `--dns-upstream` serves both). A field with no row fails here
 * at compile time, naming the field.
 */
type Unfed = Exclude<SettingField, (typeof SERVE_SETTINGS)[ServeSettingName]['field'] | 'dns.upstreams'>;
const _everyFieldHasARow: [Unfed] extends [never] ? true : { missingRowFor: Unfed } = true;

/** The settings in help and documentation order: by group, then as listed. */
export function settingsInOrder(): readonly (readonly [ServeSettingName, SettingRow])[] {
  const entries = Object.entries(SERVE_SETTINGS) as [ServeSettingName, SettingRow][];
  return (Object.keys(SETTING_GROUPS) as SettingGroup[]).flatMap((group) =>
    entries.filter(([, setting]) => setting.group === group),
  );
}
