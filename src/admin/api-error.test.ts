import { ApiError, API_ERRORS, toApiError } from './api-error';

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
    expect([api.code, api.status, api.fields['field']]).toEqual([code, 400, field]);
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'invalid_json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'invalid_json'],
  ] as const)('maps %s', (code, status, expected) => {
    const api = toApiError(fastifyError(code, status));
    expect([api.code, api.status]).toEqual([expected, status]);
  });

  it('keeps ApiErrors and hides the details of anything unexpected', () => {
    const own = new ApiError('child_widens_parent', 'm', { namespace: 'a' });
    expect(toApiError(own)).toBe(own);
    const internal = toApiError(new TypeError('secret detail'));
    expect([internal.code, internal.status, internal.message]).toEqual([
      'internal_error',
      500,
      'internal error; see the server log',
    ]);
  });

  it("puts the code and message first in the body, then the error's own fields", () => {
    expect(new ApiError('cascade_violations', 'm', { cascade_warnings: [] }).body()).toEqual({
      error: 'cascade_violations',
      message: 'm',
      cascade_warnings: [],
    });
    expect(Object.values(API_ERRORS).every((s) => s >= 400 && s < 600)).toBe(true);
  });
});
