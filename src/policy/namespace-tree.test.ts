import { hostPattern as pattern, namespace as ns } from '../../test/support/namespaces';
import { patternCovers } from './hostname';
import {
  ancestorPaths,
  cascadeViolations,
  checkNarrowing,
  isDescendantPath,
  narrowingViolations,
} from './namespace-tree';

/** The namespace model's examples: per-environment narrowing and creating a namespace. */
const PROD = ns('prod', ['api.stripe.com', 'api.github.com', 'api.bank.eu']);
const PAYMENTS = ns('prod/payments', ['api.stripe.com', 'api.bank.eu']);
const EU_WEST = ns('prod/payments/eu-west', ['api.bank.eu']);

describe('namespace paths', () => {
  it.each([
    ['prod/payments/eu-west', ['prod/payments', 'prod']],
    ['prod', []],
    ['a/b/c/d', ['a/b/c', 'a/b', 'a']],
  ])('ancestors of %s', (path, expected) => {
    expect(ancestorPaths(path)).toEqual(expected);
  });

  it.each([
    ['prod/payments', 'prod', true],
    ['prod/payments/eu-west', 'prod', true],
    ['prod', 'prod', false],
    ['production', 'prod', false],
    ['prod', 'prod/payments', false],
  ])('%s is a descendant of %s: %s', (path, ancestor, expected) => {
    expect(isDescendantPath(path, ancestor)).toBe(expected);
  });
});

describe('wildcard coverage (children may only narrow)', () => {
  it.each([
    ['*.stripe.com', 'api.stripe.com', true],
    ['**.stripe.com', 'a.b.stripe.com', true],
    ['**.stripe.com', '*.stripe.com', true],
    ['**.stripe.com', '**.eu.stripe.com', true],
    ['*.stripe.com', 'a.b.stripe.com', false],
    ['*.stripe.com', '**.stripe.com', false],
    ['*.stripe.com', 'stripe.com', false],
    ['**.stripe.com', 'stripe.com', false],
    ['api.stripe.com', '*.stripe.com', false],
    ['api.stripe.com', 'api.stripe.com', true],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(patternCovers(pattern(outer), pattern(inner))).toBe(expected);
    const child = ns('p/c', [inner]);
    expect(checkNarrowing([ns('p', [outer])], child) === undefined).toBe(expected);
  });
});

describe('checkNarrowing (children may only narrow)', () => {
  it('accepts prod/payments/eu-west narrowing to [api.bank.eu]', () => {
    expect(checkNarrowing([PROD, PAYMENTS], EU_WEST)).toBeUndefined();
  });

  it('rejects the widen attempt with api.foo.com, naming namespace, domain and ancestor', () => {
    const widen = ns('prod/payments/eu-west', ['api.stripe.com', 'api.bank.eu', 'api.foo.com']);
    expect(checkNarrowing([PROD, PAYMENTS, EU_WEST], widen)).toEqual({
      kind: 'child_widens_parent',
      namespace: 'prod/payments/eu-west',
      domain: 'api.foo.com',
      ancestor: 'prod/payments',
      message: 'domain api.foo.com is not covered by ancestor prod/payments',
    });
  });

  it('rejects prod/builds referencing registry.npmjs.org, which prod does not allow', () => {
    const builds = ns('prod/builds', ['api.github.com', 'registry.npmjs.org']);
    expect(checkNarrowing([PROD, PAYMENTS], builds)).toMatchObject({
      domain: 'registry.npmjs.org',
      ancestor: 'prod',
    });
  });

  it('checks every ancestor that defines a list, nearest first, skipping missing and list-less ones', () => {
    const tree = [ns('a', ['x.com']), ns('a/b'), ns('a/b/c/d', ['x.com', 'y.com'])];
    expect(narrowingViolations(tree, ns('a/b/c/d/e', ['x.com', 'y.com', 'z.com']))).toMatchObject([
      { domain: 'y.com', ancestor: 'a' },
      { domain: 'z.com', ancestor: 'a/b/c/d' },
    ]);
  });

  it('accepts a child without allowedDomains under a restricting parent (it inherits)', () => {
    expect(checkNarrowing([PAYMENTS], ns('prod/payments/eu-west'))).toBeUndefined();
  });

  it('accepts a quarantined child anywhere and rejects any domain under a quarantined parent', () => {
    expect(checkNarrowing([PAYMENTS], ns('prod/payments/eu-west', []))).toBeUndefined();
    expect(checkNarrowing([ns('prod', [])], PAYMENTS)).toMatchObject({ domain: 'api.stripe.com' });
  });

  it('ignores the candidate’s own current definition (an update)', () => {
    expect(checkNarrowing([PAYMENTS], ns('prod/payments', ['api.foo.com']))).toBeUndefined();
  });
});

describe('cascadeViolations (updating a parent that would break a child)', () => {
  it('reports eu-west when prod/payments drops api.bank.eu', () => {
    const update = ns('prod/payments', ['api.stripe.com']);
    expect(cascadeViolations([PROD, PAYMENTS, EU_WEST], update)).toEqual([
      { child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] },
    ]);
  });

  it('reports every broken descendant at any depth, sorted by path', () => {
    const tree = [
      PROD,
      PAYMENTS,
      EU_WEST,
      ns('prod/builds', ['api.github.com']),
      ns('prod/zz/deep', ['api.github.com', 'x.io']),
    ];
    expect(cascadeViolations(tree, ns('prod', ['api.stripe.com']))).toEqual([
      { child: 'prod/builds', uncovered_domains: ['api.github.com'] },
      { child: 'prod/payments', uncovered_domains: ['api.bank.eu'] },
      { child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] },
      { child: 'prod/zz/deep', uncovered_domains: ['api.github.com', 'x.io'] },
    ]);
  });

  it.each([
    ['a compatible change', ns('prod/payments', ['api.bank.eu', 'api.stripe.com', 'api.new.io'])],
    ['a parent that stops restricting', ns('prod/payments')],
  ])('reports nothing for %s', (_name, update) => {
    expect(cascadeViolations([PROD, PAYMENTS, EU_WEST], update)).toEqual([]);
  });

  it('quarantining a parent breaks every descendant with domains', () => {
    expect(cascadeViolations([PAYMENTS, EU_WEST, ns('prod/payments/us')], ns('prod/payments', []))).toEqual([
      { child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] },
    ]);
  });
});
