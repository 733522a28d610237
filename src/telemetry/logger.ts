/**
 * The process logger: JSON lines (pino), level from `--log-level` / PORTCULLIS_LOG_LEVEL.
 * Credentials never reach a log: the decision line picks its fields one by one (decision-log.ts),
 * and the redaction paths cover every place a proxy credential, token or key can travel in our own
 * objects (a request, its headers), should one be logged whole.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'proxyAuthorization',
  'proxy_authorization',
  'authorization',
  'token',
  'key',
  'apiKey',
  'api_key',
  'password',
  'secret',
];
const SECRET_HEADERS = ['proxy-authorization', 'authorization', 'cookie', 'x-api-key'];
/** Where a request or its headers travel when logged whole: `{ request }`, `{ req }`, `{ headers }`. */
const CONTAINERS = ['', 'request.', 'req.'];

/**
 * Explicit paths only: pino's wildcard paths (`*.key`) cost tens of microseconds on every line,
 * more than the decision itself, while explicit ones compile to property reads.
 */
export const REDACT_PATHS: readonly string[] = [
  ...CONTAINERS.flatMap((c) => SECRET_KEYS.map((k) => `${c}${k}`)),
  ...CONTAINERS.flatMap((c) => SECRET_HEADERS.map((h) => `${c}headers["${h}"]`)),
];

export const REDACTED = '[redacted]';

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'portcullis' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
