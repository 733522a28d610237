import { MAX_LISTED, schemaError, type AjvIssue } from './schema-problems';

const issue = (keyword: string, instancePath: string, params: Record<string, unknown>, schemaPath?: string) =>
  ({
    keyword,
    instancePath,
    params,
    message: `fails ${keyword}`,
    ...(schemaPath === undefined ? {} : { schemaPath }),
  }) as AjvIssue;

describe('schemaError()', () => {
  it('lists every problem with its field; the answer itself is the first', () => {
    const err = schemaError(
      [
        issue('required', '', { missingProperty: 'name' }),
        issue('additionalProperties', '', { additionalProperty: 'colour' }),
        issue('type', '/rules/2/verdict', { type: 'string' }),
      ],
      'body',
    );
    expect([err.code, err.message, err.details['field']]).toEqual([
      'missing_field',
      'body.name is required',
      'body.name',
    ]);
    expect(err.details['issues']).toEqual([
      { code: 'missing_field', field: 'body.name', message: 'body.name is required' },
      { code: 'unknown_field', field: 'body.colour', message: 'unknown field body.colour' },
      { code: 'wrong_type', field: 'body.rules[2].verdict', message: 'body.rules[2].verdict must be string' },
    ]);
  });

  it('reads a failed anyOf whose every branch wanted another type as one wrong type', () => {
    const err = schemaError(
      [
        issue('type', '/draft', { type: 'string' }, '#/properties/draft/anyOf/0/type'),
        issue('type', '/draft', { type: 'array' }, '#/properties/draft/anyOf/1/type'),
        issue('anyOf', '/draft', {}, '#/properties/draft/anyOf'),
        issue('pattern', '/method', {}, '#/properties/method/pattern'),
      ],
      'body',
    );
    expect(err.details['issues']).toEqual([
      { code: 'wrong_type', field: 'body.draft', message: 'body.draft must be string or array' },
      { code: 'invalid_value', field: 'body.method', message: 'body.method fails pattern' },
    ]);
    expect(err.details['expected']).toBe('string or array');
  });

  it('keeps the problems of the branch that had the right type', () => {
    const err = schemaError(
      [
        issue('type', '/entries/0', { type: 'string' }, '#/properties/entries/items/anyOf/0/type'),
        issue(
          'required',
          '/entries/0',
          { missingProperty: 'domain' },
          '#/properties/entries/items/anyOf/1/required',
        ),
        issue('anyOf', '/entries/0', {}, '#/properties/entries/items/anyOf'),
      ],
      'body',
    );
    expect(err.details['issues']).toEqual([
      {
        code: 'missing_field',
        field: 'body.entries[0].domain',
        message: 'body.entries[0].domain is required',
      },
    ]);
  });

  it(`lists at most ${MAX_LISTED} problems and says how many it left out`, () => {
    const many = Array.from({ length: MAX_LISTED + 7 }, (_v, i) =>
      issue('type', `/list/${i}`, { type: 'string' }),
    );
    const err = schemaError(many, 'body');
    expect((err.details['issues'] as unknown[]).length).toBe(MAX_LISTED);
    expect(err.details['issues_omitted']).toBe(7);
  });

  it('names query parameters as query.<name>', () => {
    expect(schemaError([issue('maximum', '/limit', { limit: 1000 })], 'querystring').details['field']).toBe(
      'query.limit',
    );
  });
});
