import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { errorsOf, validateWith, type Validated } from '../../test/support/validate-kinds';
import type { EgressDomainList } from './types';
import { domainListKind } from './validate-domain-list';

function validate(spec: string): Validated {
  return validateWith(
    [domainListKind],
    `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressDomainList\nmetadata: { name: global }\nspec:\n${spec}`,
    'lists.yaml',
  );
}

const only = (v: Validated): EgressDomainList => {
  expect(v.resources).toHaveLength(1);
  return v.resources[0] as EgressDomainList;
};

const entries = (list: EgressDomainList['allow']) =>
  list.map((e) => [e.pattern.text, e.reason, e.requireAuth]);

describe('EgressDomainList validation', () => {
  it('reads the namespace API’s allow and block calls (require_auth spelling)', () => {
    const v = validate(`  allow:
    - { domain: api.stripe.com, reason: payments, require_auth: true }
    - { domain: API.GitHub.com., reason: prod }
  block:
    - { domain: evil-c2.example, reason: threat-intel }
`);
    expect(v.issues).toEqual([]);
    const list = only(v);
    expect(entries(list.allow)).toEqual([
      ['api.stripe.com', 'payments', true],
      ['api.github.com', 'prod', false],
    ]);
    expect(entries(list.block)).toEqual([['evil-c2.example', 'threat-intel', false]]);
  });

  it('accepts requireAuth, wildcards, bare domain strings and an empty spec', () => {
    const list = only(
      validate('  allow: [{ domain: "**.huggingface.co", requireAuth: true }, "*.bank.eu"]\n'),
    );
    expect(entries(list.allow)).toEqual([
      ['**.huggingface.co', '', true],
      ['*.bank.eu', '', false],
    ]);
    expect(only(validate('  {}\n'))).toMatchObject({ allow: [], block: [] });
  });

  it('warns when the same domain is listed twice in one list, and keeps the list', () => {
    const v = validate(`  allow: [{ domain: a.example, reason: one }, { domain: A.Example, reason: two }]
  block: [a.example, b.example, b.example.]
`);
    expect(only(v).allow).toHaveLength(2);
    expect(v.issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'POLICY_DUPLICATE_DOMAIN', 'spec.allow[1]'],
      ['warning', 'POLICY_DUPLICATE_DOMAIN', 'spec.block[2]'],
    ]);
  });

  it.each([
    [
      'an invalid domain',
      '  allow: [{ domain: "exa mple.com" }]\n',
      'POLICY_INVALID_HOSTNAME',
      'spec.allow[0].domain',
    ],
    ['a bare wildcard', '  block: ["*"]\n', 'POLICY_INVALID_HOSTNAME', 'spec.block[0]'],
    ['a missing domain', '  allow: [{ reason: x }]\n', 'POLICY_MISSING_FIELD', 'spec.allow[0].domain'],
    [
      'requireAuth on a block entry',
      '  block: [{ domain: a.com, requireAuth: true }]\n',
      'POLICY_UNKNOWN_FIELD',
      'spec.block[0].requireAuth',
    ],
    [
      'a quoted boolean',
      '  allow: [{ domain: a.com, requireAuth: "true" }]\n',
      'POLICY_WRONG_TYPE',
      'spec.allow[0].requireAuth',
    ],
    [
      'both spellings',
      '  allow: [{ domain: a.com, requireAuth: true, require_auth: true }]\n',
      'POLICY_INVALID_VALUE',
      'spec.allow[0].require_auth',
    ],
    ['a map for a list', '  allow: { domain: a.com }\n', 'POLICY_WRONG_TYPE', 'spec.allow'],
    ['an unknown field', '  allowed: [a.com]\n', 'POLICY_UNKNOWN_FIELD', 'spec.allowed'],
  ])('rejects %s', (_case, spec, code, path) => {
    const v = validate(spec);
    expect(v.resources).toEqual([]);
    expect(errorsOf(v)).toEqual([[code, path]]);
  });
});

describe('EgressDomainList invalid fixtures', () => {
  const DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'policies', 'invalid');
  it.each([
    ['domain-list-invalid-domain', [['POLICY_INVALID_HOSTNAME', 'spec.allow[1].domain', 8]]],
    ['domain-list-require-auth-on-block', [['POLICY_UNKNOWN_FIELD', 'spec.block[0].requireAuth', 9]]],
    [
      'domain-list-missing-domain',
      [
        ['POLICY_MISSING_FIELD', 'spec.allow[0].domain', 7],
        ['POLICY_WRONG_TYPE', 'spec.allow[0].requireAuth', 8],
      ],
    ],
  ] as [string, [string, string, number][]][])('%s', (name, expected) => {
    const file = join(DIR, `${name}.yaml`);
    const v = validateWith([domainListKind], readFileSync(file, 'utf8'), file);
    expect(v.issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.path, i.line])).toEqual(
      expected,
    );
    expect(v.resources).toEqual([]);
  });
});
