import type { LabelSelector } from '../policy/values';
import { compileSelector } from './label-selector';
import { validateSelector } from '../policy/validate-selector';

function selector(raw: unknown): LabelSelector {
  const { selector: sel, problems } = validateSelector(raw, 'sel');
  if (sel === undefined) throw new Error(`invalid test selector: ${JSON.stringify(problems)}`);
  return sel;
}

describe('compileSelector', () => {
  const cases: [string, unknown, Record<string, string>[], Record<string, string>[]][] = [
    ['empty selector matches everything', {}, [{}, { app: 'x' }], []],
    [
      'matchLabels all equal',
      { matchLabels: { app: 'web', tier: 'fe' } },
      [
        { app: 'web', tier: 'fe' },
        { app: 'web', tier: 'fe', extra: 'y' },
      ],
      [{ app: 'web' }, { app: 'web', tier: 'be' }, {}],
    ],
    ['matchLabels empty value', { matchLabels: { flag: '' } }, [{ flag: '' }], [{}, { flag: 'x' }]],
    [
      'In: present and in set',
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] },
      [{ env: 'prod' }, { env: 'staging' }],
      [{ env: 'dev' }, {}, { other: 'prod' }],
    ],
    [
      'NotIn: absent or not in set',
      { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      [{}, { env: 'dev' }, { other: 'prod' }],
      [{ env: 'prod' }],
    ],
    [
      'Exists',
      { matchExpressions: [{ key: 'team', operator: 'Exists' }] },
      [{ team: 'a' }, { team: '' }],
      [{}, { teams: 'a' }],
    ],
    [
      'DoesNotExist',
      { matchExpressions: [{ key: 'team', operator: 'DoesNotExist', values: [] }] },
      [{}, { other: 'x' }],
      [{ team: '' }, { team: 'a' }],
    ],
    [
      'matchLabels and expressions are ANDed',
      {
        matchLabels: { app: 'agent' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'sandbox', operator: 'DoesNotExist' },
        ],
      },
      [{ app: 'agent', env: 'prod' }],
      [{ app: 'agent', env: 'prod', sandbox: 'true' }, { app: 'agent' }, { env: 'prod' }],
    ],
    [
      'prototype keys are not labels',
      {
        matchExpressions: [
          { key: 'constructor', operator: 'DoesNotExist' },
          { key: 'toString', operator: 'NotIn', values: ['x'] },
        ],
      },
      [{}],
      [{ constructor: 'x' }],
    ],
  ];
  it.each(cases)('%s', (_name, raw, accept, reject) => {
    const match = compileSelector(selector(raw));
    for (const labels of accept) expect([labels, match(labels)]).toEqual([labels, true]);
    for (const labels of reject) expect([labels, match(labels)]).toEqual([labels, false]);
  });

  it('Exists on an inherited key is false for a plain object', () => {
    const match = compileSelector(
      selector({ matchExpressions: [{ key: 'hasOwnProperty', operator: 'Exists' }] }),
    );
    expect(match({})).toBe(false);
    expect(match(Object.assign(Object.create(null) as Record<string, string>, { hasOwnProperty: 'y' }))).toBe(
      true,
    );
  });
});

describe('validateSelector', () => {
  const valid: [string, unknown][] = [
    ['empty', {}],
    ['null parts', { matchLabels: null, matchExpressions: null }],
    ['prefixed key', { matchLabels: { 'app.kubernetes.io/name': 'web' } }],
    ['63-char name and value', { matchLabels: { ['a'.repeat(63)]: 'b'.repeat(63) } }],
    ['name with _ . -', { matchLabels: { 'a_b.c-d': 'x_y.z-1' } }],
    ['empty value', { matchLabels: { a: '' } }],
    ['single-char key', { matchLabels: { a: 'b' } }],
    ['In with values', { matchExpressions: [{ key: 'k', operator: 'In', values: ['a', ''] }] }],
    ['Exists without values', { matchExpressions: [{ key: 'k', operator: 'Exists' }] }],
    [
      'DoesNotExist with null values',
      { matchExpressions: [{ key: 'k', operator: 'DoesNotExist', values: null }] },
    ],
  ];
  it.each(valid)('accepts %s', (_name, raw) => {
    const out = validateSelector(raw, 'spec.sel');
    expect(out.problems).toEqual([]);
    expect(out.selector).toBeDefined();
    expect(Object.isFrozen(out.selector)).toBe(true);
  });

  it('returns the normalised shape', () => {
    expect(
      validateSelector({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] }, 'p')
        .selector,
    ).toEqual({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'Exists', values: [] }] });
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['undefined', undefined, 's', /must be a label selector object/],
    ['null', null, 's', /must be a label selector object/],
    ['a list', [], 's', /must be a label selector object/],
    ['a string', 'app=web', 's', /must be a label selector object/],
    ['unknown field', { app: 'web' }, 's.app', /unknown field "app"/],
    ['matchLabels not a map', { matchLabels: ['a'] }, 's.matchLabels', /map of label keys/],
    ['number value', { matchLabels: { v: 2 } }, 's.matchLabels.v', /must be a string/],
    ['value too long', { matchLabels: { a: 'b'.repeat(64) } }, 's.matchLabels.a', /no more than 63/],
    ['value bad start', { matchLabels: { a: '-x' } }, 's.matchLabels.a', /must be empty or consist/],
    ['value bad char', { matchLabels: { a: 'x y' } }, 's.matchLabels.a', /must be empty or consist/],
    ['empty key', { matchLabels: { '': 'x' } }, 's.matchLabels[""]', /name part must be non-empty/],
    ['name too long', { matchLabels: { ['a'.repeat(64)]: 'x' } }, `s.matchLabels.${'a'.repeat(64)}`, /63/],
    ['name ends badly', { matchLabels: { 'a.': 'x' } }, 's.matchLabels["a."]', /name part must consist/],
    ['empty prefix', { matchLabels: { '/a': 'x' } }, 's.matchLabels["/a"]', /prefix part must be non-empty/],
    ['upper-case prefix', { matchLabels: { 'Ex.com/a': 'x' } }, 's.matchLabels["Ex.com/a"]', /DNS subdomain/],
    [
      'prefix too long',
      { matchLabels: { [`${'a'.repeat(254)}/a`]: 'x' } },
      `s.matchLabels["${'a'.repeat(254)}/a"]`,
      /253/,
    ],
    ['two slashes', { matchLabels: { 'a.com/b/c': 'x' } }, 's.matchLabels["a.com/b/c"]', /at most one "\/"/],
    ['empty name after prefix', { matchLabels: { 'a.com/': 'x' } }, 's.matchLabels["a.com/"]', /non-empty/],
    ['expressions not a list', { matchExpressions: {} }, 's.matchExpressions', /must be a list/],
    [
      'requirement not an object',
      { matchExpressions: ['k'] },
      's.matchExpressions[0]',
      /key, operator, values/,
    ],
    [
      'missing key',
      { matchExpressions: [{ operator: 'Exists' }] },
      's.matchExpressions[0].key',
      /must be a string/,
    ],
    [
      'bad key',
      { matchExpressions: [{ key: 'a b', operator: 'Exists' }] },
      's.matchExpressions[0].key',
      /name part/,
    ],
    [
      'unknown operator',
      { matchExpressions: [{ key: 'k', operator: 'Gt', values: ['1'] }] },
      's.matchExpressions[0].operator',
      /unknown operator "Gt"/,
    ],
    [
      'missing operator',
      { matchExpressions: [{ key: 'k' }] },
      's.matchExpressions[0].operator',
      /unknown operator nothing/,
    ],
    [
      'In without values',
      { matchExpressions: [{ key: 'k', operator: 'In' }] },
      's.matchExpressions[0].values',
      /at least one value/,
    ],
    [
      'NotIn with empty values',
      { matchExpressions: [{ key: 'k', operator: 'NotIn', values: [] }] },
      's.matchExpressions[0].values',
      /at least one value/,
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'k', operator: 'Exists', values: ['a'] }] },
      's.matchExpressions[0].values',
      /takes no values/,
    ],
    [
      'DoesNotExist with values',
      { matchExpressions: [{ key: 'k', operator: 'DoesNotExist', values: ['a'] }] },
      's.matchExpressions[0].values',
      /takes no values/,
    ],
    [
      'values not a list',
      { matchExpressions: [{ key: 'k', operator: 'In', values: 'a' }] },
      's.matchExpressions[0].values',
      /list of strings/,
    ],
    [
      'non-string value',
      { matchExpressions: [{ key: 'k', operator: 'In', values: [1] }] },
      's.matchExpressions[0].values[0]',
      /must be a string/,
    ],
    [
      'bad value',
      { matchExpressions: [{ key: 'k', operator: 'In', values: ['ok', '.x'] }] },
      's.matchExpressions[0].values[1]',
      /must be empty or consist/,
    ],
    [
      'unknown requirement field',
      { matchExpressions: [{ key: 'k', operator: 'Exists', value: 'a' }] },
      's.matchExpressions[0].value',
      /unknown field "value"/,
    ],
  ];
  it.each(invalid)('rejects %s', (_name, raw, path, message) => {
    const out = validateSelector(raw, 's');
    expect(out.selector).toBeUndefined();
    expect(out.problems).toContainEqual(
      expect.objectContaining({ path, message: expect.stringMatching(message) }),
    );
  });

  it.each([
    ['operator case', { matchExpressions: [{ key: 'k', operator: 'in', values: ['a'] }] }, /write In/],
    ['number label value', { matchLabels: { v: 2 } }, /quote it: v: "2"/],
    ['label at top level', { app: 'web' }, /move it under matchLabels/],
  ])('suggests a fix: %s', (_name, raw, fix) => {
    expect(validateSelector(raw, 's').problems).toContainEqual(
      expect.objectContaining({ fix: expect.stringMatching(fix) }),
    );
  });

  it('reports every problem, not just the first', () => {
    const out = validateSelector(
      {
        extra: 1,
        matchLabels: { 'bad key': 'x', ok: '-bad' },
        matchExpressions: [{ key: 'k', operator: 'X' }],
      },
      's',
    );
    expect(out.problems.map((p) => p.path)).toEqual([
      's.extra',
      's.matchLabels["bad key"]',
      's.matchLabels.ok',
      's.matchExpressions[0].operator',
    ]);
  });

  it.each([
    ['app-name', 's.matchLabels.app-name'],
    ['app.kubernetes.io/name', 's.matchLabels["app.kubernetes.io/name"]'],
    ['a b', 's.matchLabels["a b"]'],
  ])('writes the path of label %s the way formatPath does', (key, path) => {
    const out = validateSelector({ matchLabels: { [key]: '-bad' } }, 's');
    expect(out.problems.map((p) => p.path)).toContain(path);
  });

  it('does not mutate its input', () => {
    const raw = { matchLabels: { a: 'b' }, matchExpressions: [{ key: 'k', operator: 'In', values: ['x'] }] };
    const copy = JSON.parse(JSON.stringify(raw)) as unknown;
    validateSelector(raw, 's');
    expect(raw).toEqual(copy);
  });
});
