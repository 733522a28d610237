/**
 * The admin API's errors are PortcullisErrors (src/errors/portcullis-error.ts): a stable `error`
 * code, an HTTP status from the one table of error codes (src/errors/error-codes.ts), a `message`,
 * and whatever fields the namespace API shows for that error (its `child_widens_parent` carries
 * `namespace`, `domain`, `ancestor`; `cascade_violations` carries `cascade_warnings`). Fastify's
 * own failures (schema validation, body size, JSON syntax, media type) are translated here too, so
 * every answer that is not 2xx has the same shape.
 */
import type { ErrorCode } from '../errors/error-codes';
import { PortcullisError } from '../errors/portcullis-error';
import { schemaError, type AjvIssue } from './schema-problems';

/** The JSON body of an error answer: `{error, message, ...details}`. */
export function errorBody(err: PortcullisError): Record<string, unknown> {
  return { error: err.code, message: err.message, ...err.details };
}

interface FastifyFailure {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
  readonly validation?: readonly AjvIssue[];
  readonly validationContext?: string;
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_json',
};

/** Any error a route or Fastify raised, as a PortcullisError; anything unexpected is internal_error. */
export function toApiError(err: unknown): PortcullisError {
  if (err instanceof PortcullisError) return err;
  const failure = err as FastifyFailure;
  if (failure.validation !== undefined && failure.validation.length > 0) {
    return schemaError(failure.validation, failure.validationContext ?? 'body');
  }
  const mapped = failure.code === undefined ? undefined : FASTIFY_CODES[failure.code];
  if (mapped !== undefined) {
    return new PortcullisError(
      mapped,
      mapped === 'invalid_json' ? `the body is not valid JSON: ${failure.message}` : failure.message,
    );
  }
  if (failure instanceof SyntaxError)
    return new PortcullisError('invalid_json', `the body is not valid JSON: ${failure.message}`);
  if (typeof failure.statusCode === 'number' && failure.statusCode >= 400 && failure.statusCode < 500) {
    return new PortcullisError('invalid_value', failure.message);
  }
  return new PortcullisError('internal_error', 'internal error; see the server log');
}
