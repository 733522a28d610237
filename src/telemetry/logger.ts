/**
 * The process logger: JSON lines (pino). Credentials never reach a log: the redaction paths cover
 * every place a proxy credential, token or key can travel in our own objects.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'proxyAuthorization',
  '*.proxyAuthorization',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'headers.authorization',
  '*.headers.authorization',
  'token',
  '*.token',
  'key',
  '*.key',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'portcullis' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
