/**
 * `serve` configuration: flags over environment over config file over defaults, validated once and
 * frozen. Every problem is reported with where it came from and what would fix it.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseCidr } from '../policy/cidr';
import type { Cidr } from '../policy/values';

export interface ServeConfig {
  readonly policyPaths: readonly string[];
  readonly grpcAddress: string;
  readonly grpcPort: number;
  readonly adminAddress: string;
  /** 0 picks a free port; -1 disables the admin server. */
  readonly adminPort: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How often the policy paths are checked for changes, besides file-system events. */
  readonly reloadIntervalMs: number;
  /** A file change is loaded once the files have kept one fingerprint this long (default 1000). */
  readonly reloadSettleMs?: number;
  /** A change that empties the policy files is held this long as a probable partial write (default 10000). */
  readonly reloadEmptyGraceMs?: number;
  /** How long in-flight calls get to finish on SIGTERM/SIGINT before the server is forced down. */
  readonly shutdownGraceMs: number;
  /** Bound on the name lookup a decision may need (name proofs, address lists), in ms. */
  readonly lookupTimeoutMs: number;
  /**
   * Name servers for decisions' lookups when the DNS server is off (`--dns-upstream`); empty: the
   * system's. With the DNS server on, decisions look names up through it.
   */
  readonly lookupServers: readonly string[];
  /** The snooping resolver; undefined when `--dns-port` is not set (off). */
  readonly dns?: DnsConfig;
  /** Admin store directory (`portcullis.db`); undefined: an in-memory store that nothing persists. */
  readonly dataDir?: string;
  /** YAML list of admin API tokens `{name, role, sha256}`. */
  readonly tokensFile?: string;
  /** Decision events held in memory before the events log writes them; beyond it they are dropped and counted. */
  readonly eventsQueueSize?: number;
  /** Events older than this are pruned (hourly). */
  readonly eventsRetentionDays?: number;
  /** The events log keeps at most this many rows, the newest; 0: no row bound (default 1,000,000). */
  readonly eventsMaxRows?: number;
}

export interface DnsConfig {
  readonly address: string;
  readonly port: number;
  /** `HOST:PORT`; empty: the system's resolvers (/etc/resolv.conf). */
  readonly upstreams: readonly string[];
  readonly reject: 'refused' | 'nxdomain';
  readonly minTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /**
   * Trusted proxies (Envoy's own resolver): their queries speak for no single agent, so only what
   * no agent may reach is refused or stripped for them.
   */
  readonly proxySources: readonly Cidr[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Each setting: its flag, environment variable and config-file key. */
const SETTINGS = {
  policy: { env: 'PORTCULLIS_POLICY', key: 'policy' },
  'grpc-address': { env: 'PORTCULLIS_GRPC_ADDRESS', key: 'grpcAddress' },
  'grpc-port': { env: 'PORTCULLIS_GRPC_PORT', key: 'grpcPort' },
  'admin-address': { env: 'PORTCULLIS_ADMIN_ADDRESS', key: 'adminAddress' },
  'admin-port': { env: 'PORTCULLIS_ADMIN_PORT', key: 'adminPort' },
  'log-level': { env: 'PORTCULLIS_LOG_LEVEL', key: 'logLevel' },
  'reload-interval-ms': { env: 'PORTCULLIS_RELOAD_INTERVAL_MS', key: 'reloadIntervalMs' },
  'reload-settle-ms': { env: 'PORTCULLIS_RELOAD_SETTLE_MS', key: 'reloadSettleMs' },
  'reload-empty-grace-ms': { env: 'PORTCULLIS_RELOAD_EMPTY_GRACE_MS', key: 'reloadEmptyGraceMs' },
  'shutdown-grace-ms': { env: 'PORTCULLIS_SHUTDOWN_GRACE_MS', key: 'shutdownGraceMs' },
  'dns-port': { env: 'PORTCULLIS_DNS_PORT', key: 'dnsPort' },
  'dns-address': { env: 'PORTCULLIS_DNS_ADDRESS', key: 'dnsAddress' },
  'dns-upstream': { env: 'PORTCULLIS_DNS_UPSTREAM', key: 'dnsUpstream' },
  'dns-reject': { env: 'PORTCULLIS_DNS_REJECT', key: 'dnsReject' },
  'dns-min-ttl': { env: 'PORTCULLIS_DNS_MIN_TTL', key: 'dnsMinTtl' },
  'dns-max-ttl': { env: 'PORTCULLIS_DNS_MAX_TTL', key: 'dnsMaxTtl' },
  'dns-proxy-source': { env: 'PORTCULLIS_DNS_PROXY_SOURCE', key: 'dnsProxySource' },
  'lookup-timeout-ms': { env: 'PORTCULLIS_LOOKUP_TIMEOUT_MS', key: 'lookupTimeoutMs' },
  'data-dir': { env: 'PORTCULLIS_DATA_DIR', key: 'dataDir' },
  tokens: { env: 'PORTCULLIS_TOKENS', key: 'tokens' },
  'events-queue-size': { env: 'PORTCULLIS_EVENTS_QUEUE_SIZE', key: 'eventsQueueSize' },
  'events-retention-days': { env: 'PORTCULLIS_EVENTS_RETENTION_DAYS', key: 'eventsRetentionDays' },
  'events-max-rows': { env: 'PORTCULLIS_EVENTS_MAX_ROWS', key: 'eventsMaxRows' },
} as const;
type Setting = keyof typeof SETTINGS;

export const SERVE_OPTIONS = {
  config: { type: 'string' },
  policy: { type: 'string', multiple: true },
  'grpc-address': { type: 'string' },
  'grpc-port': { type: 'string' },
  'admin-address': { type: 'string' },
  'admin-port': { type: 'string' },
  'log-level': { type: 'string' },
  'reload-interval-ms': { type: 'string' },
  'reload-settle-ms': { type: 'string' },
  'reload-empty-grace-ms': { type: 'string' },
  'shutdown-grace-ms': { type: 'string' },
  'dns-port': { type: 'string' },
  'dns-address': { type: 'string' },
  'dns-upstream': { type: 'string', multiple: true },
  'dns-reject': { type: 'string' },
  'dns-min-ttl': { type: 'string' },
  'dns-max-ttl': { type: 'string' },
  'dns-proxy-source': { type: 'string', multiple: true },
  'lookup-timeout-ms': { type: 'string' },
  'data-dir': { type: 'string' },
  tokens: { type: 'string' },
  'events-queue-size': { type: 'string' },
  'events-retention-days': { type: 'string' },
  'events-max-rows': { type: 'string' },
} as const;

function readConfigFile(file: string, problems: string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`--config ${file}: ${err instanceof Error ? err.message : String(err)}`);
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`--config ${file}: expected a mapping of settings at the top level`);
    return {};
  }
  const known = new Set<string>(Object.values(SETTINGS).map((s) => s.key));
  for (const k of Object.keys(parsed)) {
    if (!known.has(k))
      problems.push(`--config ${file}: unknown setting "${k}" (known: ${[...known].join(', ')})`);
  }
  return parsed as Record<string, unknown>;
}

export function loadServeConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  let values: Record<string, string | string[] | undefined>;
  try {
    values = parseArgs({
      args: [...args],
      options: SERVE_OPTIONS,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new ConfigError([err instanceof Error ? err.message : String(err)]);
  }
  const problems: string[] = [];
  const file = typeof values.config === 'string' ? readConfigFile(values.config, problems) : {};

  /** The raw value of a setting and a label saying where it came from. */
  const raw = (s: Setting): { value: unknown; from: string } | undefined => {
    const flag = values[s];
    if (flag !== undefined) return { value: flag, from: `--${s}` };
    const fromEnv = env[SETTINGS[s].env];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: SETTINGS[s].env };
    const fromFile = file[SETTINGS[s].key];
    if (fromFile !== undefined) return { value: fromFile, from: `config ${SETTINGS[s].key}` };
    return undefined;
  };

  const int = (s: Setting, fallback: number, min: number, max: number): number => {
    const r = raw(s);
    if (!r) return fallback;
    const text = String(r.value);
    if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) {
      problems.push(`${r.from}: "${text}" is not a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(text);
  };
  const str = (s: Setting, fallback: string): string => {
    const r = raw(s);
    return r ? String(r.value) : fallback;
  };

  /** A list setting: repeated flags, a YAML list, or a comma-separated string. */
  const list = (s: Setting): string[] => {
    const r = raw(s);
    if (r === undefined) return [];
    const items = Array.isArray(r.value) ? r.value.map(String) : String(r.value).split(',');
    return items.map((p) => p.trim()).filter((p) => p !== '');
  };

  const policyPaths = list('policy');
  if (policyPaths.length === 0) {
    problems.push('no policy: pass --policy PATH (a file or directory; repeatable) or set PORTCULLIS_POLICY');
  }
  const logLevel = str('log-level', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`log level "${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const dnsReject = str('dns-reject', 'refused');
  if (dnsReject !== 'refused' && dnsReject !== 'nxdomain') {
    problems.push(`DNS reject "${dnsReject}" is not refused or nxdomain`);
  }
  const dnsUpstreams = list('dns-upstream');
  for (const u of dnsUpstreams) {
    if (!/^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\])(:\d{1,5})?$/.test(u)) {
      problems.push(`DNS upstream "${u}" is not IPv4[:PORT] or [IPv6][:PORT]`);
    }
  }
  const minTtl = int('dns-min-ttl', 60, 0, 86_400);
  const maxTtl = int('dns-max-ttl', 86_400, 1, 604_800);
  if (minTtl > maxTtl) problems.push(`DNS min TTL ${minTtl} is above max TTL ${maxTtl}`);
  const proxySources: Cidr[] = [];
  for (const text of list('dns-proxy-source')) {
    const parsed = parseCidr(text.includes('/') ? text : `${text}/${text.includes(':') ? 128 : 32}`);
    if (parsed.ok) proxySources.push(parsed.cidr);
    else problems.push(`DNS proxy source "${text}" is not an IP address or CIDR (${parsed.message})`);
  }
  const dnsPort = raw('dns-port') === undefined ? undefined : int('dns-port', 0, 0, 65535);
  const dns: DnsConfig | undefined =
    dnsPort === undefined
      ? undefined
      : Object.freeze({
          address: str('dns-address', '127.0.0.1'),
          port: dnsPort,
          upstreams: Object.freeze(dnsUpstreams),
          reject: dnsReject as DnsConfig['reject'],
          minTtlSeconds: minTtl,
          maxTtlSeconds: maxTtl,
          proxySources: Object.freeze(proxySources),
        });

  const config: ServeConfig = {
    policyPaths,
    grpcAddress: str('grpc-address', '127.0.0.1'),
    grpcPort: int('grpc-port', 9191, 0, 65535),
    adminAddress: str('admin-address', '127.0.0.1'),
    adminPort: int('admin-port', 8443, -1, 65535),
    logLevel: logLevel as ServeConfig['logLevel'],
    reloadIntervalMs: int('reload-interval-ms', 1000, 50, 3_600_000),
    reloadSettleMs: int('reload-settle-ms', DEFAULT_RELOAD_SETTLE_MS, 0, 600_000),
    reloadEmptyGraceMs: int('reload-empty-grace-ms', DEFAULT_RELOAD_EMPTY_GRACE_MS, 0, 86_400_000),
    shutdownGraceMs: int('shutdown-grace-ms', 10_000, 0, 600_000),
    lookupTimeoutMs: int('lookup-timeout-ms', DEFAULT_LOOKUP_TIMEOUT_MS, 1, 60_000),
    lookupServers: Object.freeze(dnsUpstreams),
    ...(dns ? { dns } : {}),
    dataDir: path.resolve(str('data-dir', DEFAULT_DATA_DIR)),
    ...(raw('tokens') === undefined ? {} : { tokensFile: str('tokens', '') }),
    eventsQueueSize: int('events-queue-size', 10_000, 1, 10_000_000),
    eventsRetentionDays: int('events-retention-days', 7, 1, 3650),
    eventsMaxRows: int('events-max-rows', DEFAULT_EVENTS_MAX_ROWS, 0, 1_000_000_000),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({ ...config, policyPaths: Object.freeze([...policyPaths]) });
}
