import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { errorsOf, validateWith, type Validated } from '../../test/support/validate-kinds';
import type { EgressNamespace } from './types';
import { namespaceKind } from './validate-namespace';

const HEAD = 'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressNamespace\n';

/** One document per `[name, spec flow map]`. */
function docs(...entries: [string, string][]): string {
  return entries.map(([name, spec]) => `${HEAD}metadata: { name: ${name} }\nspec: ${spec}\n`).join('---\n');
}

function validate(text: string): Validated {
  return validateWith([namespaceKind], text, 'ns.yaml');
}

const only = (v: Validated): EgressNamespace => {
  expect(v.resources).toHaveLength(1);
  return v.resources[0] as EgressNamespace;
};

describe('EgressNamespace validation', () => {
  it('reads the namespace API’s prod/payments (snake_case) into the model', () => {
    const v = validate(
      docs([
        'prod-payments',
        '{ path: prod/payments, description: payment-service workloads, allowed_domains: [api.stripe.com, API.Bank.EU.] }',
      ]),
    );
    expect(v.issues).toEqual([]);
    const ns = only(v);
    expect(ns.path).toBe('prod/payments');
    expect(ns.description).toBe('payment-service workloads');
    expect(ns.allowedDomains?.map((d) => d.text)).toEqual(['api.stripe.com', 'api.bank.eu']);
    expect(ns.blockedDomains).toEqual([]);
  });

  it('defaults the path to metadata.name and leaves allowedDomains absent when not given', () => {
    const ns = only(validate(docs(['prod', '{ blockedDomains: ["**.pastebin.com"] }'])));
    expect(ns.path).toBe('prod');
    expect('allowedDomains' in ns).toBe(false);
    expect(ns.blockedDomains.map((d) => [d.kind, d.suffix])).toEqual([['multi', 'pastebin.com']]);
  });

  it('warns that an empty allowedDomains quarantines the namespace, and keeps it', () => {
    const v = validate(docs(['prod', '{ allowedDomains: [] }']));
    expect(only(v).allowedDomains).toEqual([]);
    expect(v.issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'POLICY_NAMESPACE_QUARANTINED', 'spec.allowedDomains'],
    ]);
  });

  it('warns about a domain listed twice', () => {
    const v = validate(docs(['prod', '{ allowedDomains: [a.example, b.example, A.example] }']));
    expect(only(v).allowedDomains).toHaveLength(3);
    expect(v.issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'POLICY_DUPLICATE_DOMAIN', 'spec.allowedDomains[2]'],
    ]);
  });

  it.each([
    ['leading slash', '{ path: /prod }', 'POLICY_INVALID_NAME'],
    ['trailing slash', '{ path: prod/ }', 'POLICY_INVALID_NAME'],
    ['empty segment', '{ path: prod//payments }', 'POLICY_INVALID_NAME'],
    ['upper case', '{ path: Prod/payments }', 'POLICY_INVALID_NAME'],
    ['dot in a segment', '{ path: prod/eu.west }', 'POLICY_INVALID_NAME'],
    [
      '17 levels',
      `{ path: ${Array.from({ length: 17 }, (_, i) => `l${i}`).join('/')} }`,
      'POLICY_INVALID_NAME',
    ],
    ['empty', '{ path: "" }', 'POLICY_INVALID_NAME'],
    ['not a string', '{ path: [prod] }', 'POLICY_WRONG_TYPE'],
  ])('rejects a path with %s', (_case, spec, code) => {
    const v = validate(docs(['ns', spec]));
    expect(v.resources).toEqual([]);
    expect(errorsOf(v)).toEqual([[code, 'spec.path']]);
  });

  it('accepts 16 levels', () => {
    const path = Array.from({ length: 16 }, (_, i) => `l${i}`).join('/');
    expect(only(validate(docs(['deep', `{ path: ${path} }`]))).path).toBe(path);
  });

  it.each([
    [
      'a wildcard inside a label',
      '{ allowedDomains: ["api.*.com"] }',
      'POLICY_INVALID_HOSTNAME',
      'spec.allowedDomains[0]',
    ],
    ['a bare wildcard', '{ blocked_domains: ["*"] }', 'POLICY_INVALID_HOSTNAME', 'spec.blocked_domains[0]'],
    ['a number', '{ allowedDomains: [42] }', 'POLICY_WRONG_TYPE', 'spec.allowedDomains[0]'],
    ['a string for a list', '{ allowedDomains: api.stripe.com }', 'POLICY_WRONG_TYPE', 'spec.allowedDomains'],
    ['an unknown field', '{ allowedDomain: [a.com] }', 'POLICY_UNKNOWN_FIELD', 'spec.allowedDomain'],
    [
      'both spellings',
      '{ allowedDomains: [a.com], allowed_domains: [b.com] }',
      'POLICY_INVALID_VALUE',
      'spec.allowed_domains',
    ],
  ])('rejects %s', (_case, spec, code, path) => {
    const v = validate(docs(['prod', spec]));
    expect(v.resources).toEqual([]);
    expect(errorsOf(v)).toEqual([[code, path]]);
  });
});

describe('EgressNamespace tree checks', () => {
  const PROD = ['prod', '{ allowedDomains: [api.stripe.com, api.github.com, api.bank.eu] }'] as [
    string,
    string,
  ];
  const PAYMENTS = ['payments', '{ path: prod/payments, allowedDomains: [api.stripe.com, api.bank.eu] }'] as [
    string,
    string,
  ];

  it('accepts prod/payments/eu-west narrowing to [api.bank.eu]', () => {
    const v = validate(
      docs(PROD, PAYMENTS, ['eu-west', '{ path: prod/payments/eu-west, allowedDomains: [api.bank.eu] }']),
    );
    expect(v.issues).toEqual([]);
    expect(v.resources).toHaveLength(3);
  });

  it('rejects eu-west widening with api.foo.com, naming namespace, domain and ancestor', () => {
    const v = validate(
      docs(PAYMENTS, [
        'eu-west',
        '{ path: prod/payments/eu-west, allowed_domains: [api.stripe.com, api.bank.eu, api.foo.com] }',
      ]),
    );
    expect(v.resources.map((r) => r.meta.name)).toEqual(['payments']);
    const errors = v.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_CHILD_WIDENS_PARENT', 'spec.allowed_domains[2]'],
    ]);
    expect(errors[0].message).toBe(
      'namespace prod/payments/eu-west may only narrow its ancestors: domain api.foo.com is not covered by ancestor prod/payments',
    );
    expect(errors[0].fix).toContain('add api.foo.com to prod/payments first');
  });

  it('reports every widening domain, each against its nearest uncovering ancestor', () => {
    const v = validate(
      docs(PROD, PAYMENTS, ['eu', '{ path: prod/payments/eu, allowedDomains: [api.github.com, x.io] }']),
    );
    expect(v.issues.map((i) => [i.path, i.message.replace(/.*: /, '')])).toEqual([
      ['spec.allowedDomains[0]', 'domain api.github.com is not covered by ancestor prod/payments'],
      ['spec.allowedDomains[1]', 'domain x.io is not covered by ancestor prod/payments'],
    ]);
  });

  it('skips a missing intermediate namespace and checks the next ancestor up', () => {
    const v = validate(docs(PROD, ['eu', '{ path: prod/payments/eu, allowedDomains: [api.bank.eu, x.io] }']));
    expect(v.issues.map((i) => [i.code, i.message.replace(/.*: /, '')])).toEqual([
      ['POLICY_CHILD_WIDENS_PARENT', 'domain x.io is not covered by ancestor prod'],
    ]);
  });

  it('accepts a child without allowedDomains, and any child of an unrestricted parent', () => {
    const v = validate(
      docs(
        PAYMENTS,
        ['eu', '{ path: prod/payments/eu }'],
        ['dev-x', '{ path: dev/x, allowedDomains: [x.io] }'],
      ),
    );
    expect(v.issues).toEqual([]);
    expect(v.resources).toHaveLength(3);
  });

  it('rejects a second definition of a path, keeping the first', () => {
    const v = validate(
      docs(PAYMENTS, ['payments-2', '{ path: prod/payments, allowedDomains: [api.bank.eu] }']),
    );
    expect(v.resources.map((r) => r.meta.name)).toEqual(['payments']);
    expect(errorsOf(v)).toEqual([['POLICY_DUPLICATE_NAMESPACE_PATH', 'spec.path']]);
    expect(v.issues[0].message).toContain('EgressNamespace default/payments at ns.yaml:');
  });
});

describe('EgressNamespace invalid fixtures', () => {
  const DIR = join(__dirname, '..', '..', 'test', 'fixtures', 'policies', 'invalid');
  it.each([
    ['namespace-widens-parent', 1, [['POLICY_CHILD_WIDENS_PARENT', 'spec.allowed_domains[2]', 20]]],
    ['namespace-builds-not-in-prod', 2, [['POLICY_CHILD_WIDENS_PARENT', 'spec.allowedDomains[1]', 23]]],
    ['namespace-duplicate-path', 1, [['POLICY_DUPLICATE_NAMESPACE_PATH', 'spec.path', 14]]],
    ['namespace-invalid-path', 0, [['POLICY_INVALID_NAME', 'spec.path', 6]]],
    ['namespace-name-not-a-path', 0, [['POLICY_INVALID_NAME', 'metadata.name', 5]]],
    [
      'namespace-invalid-domain',
      0,
      [
        ['POLICY_INVALID_HOSTNAME', 'spec.allowedDomains[1]', 6],
        ['POLICY_INVALID_HOSTNAME', 'spec.blockedDomains[0]', 7],
      ],
    ],
    ['namespace-both-spellings', 0, [['POLICY_INVALID_VALUE', 'spec.allowed_domains', 7]]],
  ] as [string, number, [string, string, number][]][])('%s', (name, validCount, expected) => {
    const file = join(DIR, `${name}.yaml`);
    const v = validateWith([namespaceKind], readFileSync(file, 'utf8'), file);
    const errors = v.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.code, i.path, i.line])).toEqual(expected);
    expect(errors.every((i) => i.file === file && i.fix !== undefined)).toBe(true);
    expect(v.resources).toHaveLength(validCount);
  });
});
