import { PortcullisError } from '../errors/portcullis-error';
import { errorBody, toApiError } from './api-error';

const fastifyError = (code: string, statusCode: number, message = 'm') =>
  Object.assign(new Error(message), { code, statusCode });
const validation = (
  keyword: string,
  instancePath: string,
  params: Record<string, unknown>,
  context = 'body',
) =>
  Object.assign(new Error('invalid'), {
    statusCode: 400,
    validationContext: context,
    validation: [{ keyword, instancePath, params, message: 'must match' }],
  });

describe('toApiError()', () => {
  it.each([
    [
      'unknown field',
      validation('additionalProperties', '', { additionalProperty: 'reasn' }),
      'unknown_field',
      'body.reasn',
    ],
    [
      'nested unknown field',
      validation('additionalProperties', '/agent', { additionalProperty: 'x' }),
      'unknown_field',
      'body.agent.x',
    ],
    ['missing field', validation('required', '', { missingProperty: 'name' }), 'missing_field', 'body.name'],
    [
      'wrong type in a list',
      validation('type', '/allowed_domains/1', { type: 'string' }),
      'wrong_type',
      'body.allowed_domains[1]',
    ],
    [
      'pattern in a query',
      validation('pattern', '/limit', {}, 'querystring'),
      'invalid_value',
      'query.limit',
    ],
  ] as const)('maps schema failure: %s', (_name, err, code, field) => {
    const api = toApiError(err);
    expect([api.code, api.httpStatus, api.details['field']]).toEqual([code, 400, field]);
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'invalid_json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'invalid_json'],
  ] as const)('maps %s', (code, status, expected) => {
    const api = toApiError(fastifyError(code, status));
    expect([api.code, api.httpStatus]).toEqual([expected, status]);
  });

  it('keeps PortcullisErrors and hides the details of anything unexpected', () => {
    const own = new PortcullisError('child_widens_parent', 'm', { namespace: 'a' });
    expect(toApiError(own)).toBe(own);
    const internal = toApiError(new TypeError('secret detail'));
    expect([internal.code, internal.httpStatus, internal.message]).toEqual([
      'internal_error',
      500,
      'internal error; see the server log',
    ]);
  });

  it("puts the code and message first in the body, then the error's own fields", () => {
    const body = errorBody(new PortcullisError('cascade_violations', 'm', { cascade_warnings: [] }));
    expect(body).toEqual({ error: 'cascade_violations', message: 'm', cascade_warnings: [] });
    expect(Object.keys(body)).toEqual(['error', 'message', 'cascade_warnings']);
  });

  it('answers each API error with the status it has always had (README, "Errors")', () => {
    const statuses = {
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
    for (const [code, status] of Object.entries(statuses)) {
      expect([code, new PortcullisError(code as keyof typeof statuses, 'm').httpStatus]).toEqual([
        code,
        status,
      ]);
    }
  });
});
