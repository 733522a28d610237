/**
 * `serve` configuration: flags over environment over config file over defaults, validated once and
 * frozen. Every setting is one row of SERVE_SETTINGS (src/config/serve-settings.ts); this module
 * only looks each row up where it may come from, parses it with the row's parser and puts it in the
 * row's field. Every problem is reported at once, naming where the value came from.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Cidr } from '../policy/values';
import { didYouMean } from '../policy/suggest';
import { PortcullisError, problemsError } from '../errors/portcullis-error';
import { SERVE_SETTINGS, type LOG_LEVELS, type ServeSettingName } from './serve-settings';

export {
  DEFAULT_DATA_DIR,
  DEFAULT_EVENTS_MAX_ROWS,
  DEFAULT_LOOKUP_TIMEOUT_MS,
  DEFAULT_RELOAD_EMPTY_GRACE_MS,
  DEFAULT_RELOAD_SETTLE_MS,
} from './serve-settings';

export interface ServeConfig {
  readonly policyPaths: readonly string[];
  readonly grpcAddress: string;
  readonly grpcPort: number;
  readonly adminAddress: string;
  /** 0 picks a free port; `off`: no admin server. */
  readonly adminPort: number | 'off';
  readonly logLevel: (typeof LOG_LEVELS)[number];
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
  /** `HOST:PORT`; empty: the system's resolvers (/etc/resolv.conf). The same list as `lookupServers`. */
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

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** node:util parseArgs options, one per row (all text: each row's parser reads it), plus --config. */
export const SERVE_OPTIONS = Object.freeze({
  config: { type: 'string' as const },
  ...Object.fromEntries(
    Object.entries(SERVE_SETTINGS).map(([flag, setting]) => [
      flag,
      { type: 'string' as const, multiple: 'repeatable' in setting },
    ]),
  ),
}) as Readonly<Record<'config' | ServeSettingName, { readonly type: 'string'; readonly multiple?: boolean }>>;

function parseFlags(args: readonly string[]): FlagValues {
  try {
    return parseArgs({ args: [...args], options: SERVE_OPTIONS, strict: true, allowPositionals: false })
      .values as FlagValues;
  } catch (err) {
    throw new PortcullisError('usage', err instanceof Error ? err.message : String(err));
  }
}

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
  const known = Object.values(SERVE_SETTINGS).map((s) => s.key);
  for (const key of Object.keys(parsed)) {
    if (known.includes(key)) continue;
    const hint = didYouMean(key, known);
    problems.push(
      `--config ${file}: unknown setting "${key}"${hint === undefined ? '' : ` (${hint})`} (known: ${known.join(', ')})`,
    );
  }
  return parsed as Record<string, unknown>;
}

interface Found {
  readonly raw: unknown;
  /** Where it came from, as the problem names it: `--grpc-port`, `PORTCULLIS_GRPC_PORT`, `c.yaml: grpcPort`. */
  readonly from: string;
}

export function loadServeConfig(args: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const flags = parseFlags(args);
  const problems: string[] = [];
  const configPath = typeof flags['config'] === 'string' ? flags['config'] : undefined;
  const file = configPath === undefined ? {} : readConfigFile(configPath, problems);

  const find = (flag: ServeSettingName): Found | undefined => {
    const setting = SERVE_SETTINGS[flag];
    const fromFlag = flags[flag];
    if (fromFlag !== undefined) return { raw: fromFlag, from: `--${flag}` };
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, from: setting.env };
    const fromFile = file[setting.key];
    if (fromFile !== undefined) return { raw: fromFile, from: `${configPath}: ${setting.key}` };
    return undefined;
  };

  const top: Record<string, unknown> = {};
  const dns: Record<string, unknown> = {};
  const sources: Partial<Record<ServeSettingName, string>> = {};
  for (const flag of Object.keys(SERVE_SETTINGS) as ServeSettingName[]) {
    const setting = SERVE_SETTINGS[flag];
    const found = find(flag);
    const raw = found?.raw ?? ('default' in setting ? setting.default : undefined);
    const parsed = raw === undefined ? undefined : setting.parse.parse(raw);
    if (parsed !== undefined && !parsed.ok) {
      // A default that does not parse is a bug in the table; the table's unit test rules it out.
      problems.push(...parsed.problems.map((p) => `${found?.from ?? `default of --${flag}`}: ${p}`));
      continue;
    }
    const value = parsed?.value;
    if ('required' in setting && (value === undefined || (Array.isArray(value) && value.length === 0))) {
      problems.push(
        `no ${flag}: pass --${flag} ${setting.value}, set ${setting.env}, or give ${setting.key} in the --config file`,
      );
      continue;
    }
    if (value === undefined) continue;
    if (found !== undefined) sources[flag] = found.from;
    if (setting.field.startsWith('dns.')) dns[setting.field.slice('dns.'.length)] = value;
    else top[setting.field] = value;
  }

  // Checks across settings.
  const minTtl = dns['minTtlSeconds'];
  const maxTtl = dns['maxTtlSeconds'];
  if (typeof minTtl === 'number' && typeof maxTtl === 'number' && minTtl > maxTtl) {
    problems.push(
      `${sources['dns-min-ttl'] ?? 'default of --dns-min-ttl'}: DNS min TTL ${minTtl} is above max TTL ${maxTtl} (${sources['dns-max-ttl'] ?? 'the default'})`,
    );
  }
  if (problems.length > 0) throw problemsError('config_invalid', problems);

  // The resolver runs only with a port; its other settings are validated either way, so a typo is
  // caught before the day the resolver is turned on.
  if (dns['port'] !== undefined) {
    top['dns'] = Object.freeze({ ...dns, upstreams: top['lookupServers'] });
  }
  return Object.freeze(top) as unknown as ServeConfig;
}
