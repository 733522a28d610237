/**
 * The admin API's one error type: a stable `error` code, an HTTP status taken from one table, a
 * `message`, and whatever fields the namespace API shows for that error (its `child_widens_parent`
 * carries `namespace`, `domain`, `ancestor`; `cascade_violations` carries `cascade_warnings`).
 * Fastify's own failures (schema validation, body size, JSON syntax, media type) are translated
 * here too, so every answer that is not 2xx has the same shape.
 */
export const API_ERRORS = {
  invalid_json: 400,
  wrong_type: 400,
  unknown_field: 400,
  missing_field: 400,
  invalid_value: 400,
  invalid_domain: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  defined_in_file: 409,
  child_widens_parent: 409,
  cascade_violations: 409,
  policy_in_use: 409,
  policy_files_invalid: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_policy: 422,
  internal_error: 500,
  not_ready: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.status = API_ERRORS[code];
  }

  body(): Record<string, unknown> {
    return { error: this.code, message: this.message, ...this.fields };
  }
}

interface AjvIssue {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
}

interface FastifyFailure {
  readonly code?: string;
  readonly statusCode?: number;
  readonly message: string;
  readonly validation?: readonly AjvIssue[];
  readonly validationContext?: string;
}

const FASTIFY_CODES: Readonly<Record<string, ApiErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_json',
};

/** Any error a route or Fastify raised, as an ApiError. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const failure = err as FastifyFailure;
  if (failure.validation !== undefined && failure.validation.length > 0) {
    return fromValidation(failure.validation[0]!, failure.validationContext ?? 'body');
  }
  const mapped = failure.code === undefined ? undefined : FASTIFY_CODES[failure.code];
  if (mapped !== undefined) {
    return new ApiError(
      mapped,
      mapped === 'invalid_json' ? `the body is not valid JSON: ${failure.message}` : failure.message,
    );
  }
  if (failure instanceof SyntaxError)
    return new ApiError('invalid_json', `the body is not valid JSON: ${failure.message}`);
  if (typeof failure.statusCode === 'number' && failure.statusCode >= 400 && failure.statusCode < 500) {
    return new ApiError('invalid_value', failure.message);
  }
  return new ApiError('internal_error', 'internal error; see the server log');
}

/** `body.allowed_domains[2]` style, from ajv's `/allowed_domains/2`. */
function fieldPath(context: string, instancePath: string, extra?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (extra !== undefined) parts.push(extra);
  let text = context === 'querystring' ? 'query' : context;
  for (const p of parts) text += /^\d+$/.test(p) ? `[${p}]` : `.${p.replace(/~1/g, '/').replace(/~0/g, '~')}`;
  return text;
}

function fromValidation(issue: AjvIssue, context: string): ApiError {
  const p = issue.params;
  switch (issue.keyword) {
    case 'additionalProperties': {
      const field = fieldPath(context, issue.instancePath, String(p['additionalProperty']));
      return new ApiError('unknown_field', `unknown field ${field}`, { field });
    }
    case 'required': {
      const field = fieldPath(context, issue.instancePath, String(p['missingProperty']));
      return new ApiError('missing_field', `${field} is required`, { field });
    }
    case 'type': {
      const field = fieldPath(context, issue.instancePath);
      return new ApiError('wrong_type', `${field} must be ${String(p['type'])}`, {
        field,
        expected: p['type'],
      });
    }
    default: {
      const field = fieldPath(context, issue.instancePath);
      return new ApiError('invalid_value', `${field} ${issue.message ?? 'is not valid'}`, { field });
    }
  }
}
