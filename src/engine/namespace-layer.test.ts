import { request } from '../../test/support/policy';
import { validateWith } from '../../test/support/validate-kinds';
import { chainFor, compileNamespaceLayer, type NamespaceLayer } from '../compile/namespace-layer';
import { namespace } from '../../test/support/namespaces';
import { domainListKind } from '../policy/validate-domain-list';
import { namespaceKind } from '../policy/validate-namespace';
import { canonicalizeDestination } from './destination';
import type { LayerInput } from './layer';
import { evaluateGlobalBlock, evaluateNamespaces } from './namespace-layer';
import type { Destination } from './types';
import { ANONYMOUS_AGENT } from './types';

function layerOf(text: string): NamespaceLayer {
  const v = validateWith([namespaceKind, domainListKind], text);
  expect(v.issues.filter((i) => i.severity === 'error')).toEqual([]);
  return compileNamespaceLayer(v.resources);
}

const doc = (kind: string, name: string, spec: string) =>
  `apiVersion: egress.portcullis.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
const nsDoc = (path: string, spec: string) =>
  doc('EgressNamespace', path.replace(/\//g, '-'), `{ path: ${path}${spec === '' ? '' : `, ${spec}`} }`);

/**
 * The namespace model's example tree (per-environment narrowing and the payments examples, as in
 * test/fixtures/seeds/003) plus the global lists.
 */
const SEED_TREE = [
  nsDoc(
    'prod',
    'allowed_domains: [api.stripe.com, api.github.com, api.bank.eu], blockedDomains: ["**.pastebin.com"]',
  ),
  nsDoc(
    'prod/payments',
    'description: payment-service workloads, allowed_domains: [api.stripe.com, api.bank.eu]',
  ),
  nsDoc('prod/payments/eu-west', 'description: EU-only payments cluster, allowed_domains: [api.bank.eu]'),
  nsDoc('prod/builds', 'allowedDomains: [api.github.com]'),
  nsDoc('prod/open', 'blockedDomains: [api.github.com]'),
  nsDoc('lab', 'allowedDomains: []'),
  doc(
    'EgressDomainList',
    'global',
    `{ allow: [{ domain: api.stripe.com, reason: payments, require_auth: true }, { domain: api.openai.com, reason: models },
       { domain: both.example, reason: listed twice }],
       block: [{ domain: evil-c2.example, reason: threat-intel }, { domain: both.example, reason: incident-42 }] }`,
  ),
].join('---\n');

function input(target: string, namespace = '', authenticated = false): LayerInput {
  const req = request(target.includes(' ') ? { l4: target.split(' ')[1] } : { connect: target });
  const parsed = canonicalizeDestination(req.destination);
  if (!parsed.ok) throw new Error(parsed.message);
  return {
    request: req,
    dest: parsed.destination,
    agent: { ...ANONYMOUS_AGENT, name: 'agent-1', namespace, authenticated },
  };
}

describe('evaluateNamespaces (the namespace walk, leaf to root)', () => {
  const layer = layerOf(SEED_TREE);

  it.each([
    // [case, agent namespace, target, authenticated, outcome, reason code, policy name]
    [
      'eu-west reaches api.bank.eu',
      'prod/payments/eu-west',
      'api.bank.eu:443',
      false,
      'allow',
      'namespace_allowed',
      'prod-payments-eu-west',
    ],
    [
      'eu-west is denied api.stripe.com though its parent allows it',
      'prod/payments/eu-west',
      'api.stripe.com:443',
      false,
      'deny',
      'namespace_not_allowed',
      'prod-payments-eu-west',
    ],
    [
      'prod/payments reaches api.stripe.com',
      'prod/payments',
      'api.stripe.com:443',
      false,
      'allow',
      'namespace_allowed',
      'prod-payments',
    ],
    [
      'prod/payments is denied api.github.com, which prod allows',
      'prod/payments',
      'api.github.com:443',
      false,
      'deny',
      'namespace_not_allowed',
      'prod-payments',
    ],
    [
      'prod/builds reaches api.github.com',
      'prod/builds',
      'api.github.com:443',
      false,
      'allow',
      'namespace_allowed',
      'prod-builds',
    ],
    [
      'a blocked domain at an ancestor level denies',
      'prod/payments/eu-west',
      'x.pastebin.com:443',
      false,
      'deny',
      'namespace_blocked',
      'prod',
    ],
    [
      'a child block wins over the parent’s allow',
      'prod/open',
      'api.github.com:443',
      false,
      'deny',
      'namespace_blocked',
      'prod-open',
    ],
    [
      'a child without a list inherits the parent’s',
      'prod/open',
      'api.stripe.com:443',
      false,
      'allow',
      'namespace_allowed',
      'prod',
    ],
    [
      'a child without a list is still limited by the parent',
      'prod/open',
      'example.org:443',
      false,
      'deny',
      'namespace_not_allowed',
      'prod',
    ],
    [
      'quarantine denies everything',
      'lab',
      'api.openai.com:443',
      true,
      'deny',
      'namespace_quarantined',
      'lab',
    ],
    [
      'quarantine holds below the quarantined namespace',
      'lab/team/x',
      'api.openai.com:443',
      true,
      'deny',
      'namespace_quarantined',
      'lab',
    ],
    [
      'root: the global allow list decides',
      '',
      'api.openai.com:443',
      false,
      'allow',
      'global_allowed',
      'global',
    ],
    [
      'root: requireAuth denies an unauthenticated agent',
      '',
      'api.stripe.com:443',
      false,
      'deny',
      'auth_required',
      'global',
    ],
    [
      'root: requireAuth allows an authenticated agent',
      '',
      'api.stripe.com:443',
      true,
      'allow',
      'global_allowed',
      'global',
    ],
    ['root: nothing allows it', '', 'example.org:443', true, 'deny', 'namespace_not_allowed', 'global'],
    [
      'an undefined tree falls back to the global list',
      'dev/x',
      'api.openai.com:443',
      false,
      'allow',
      'global_allowed',
      'global',
    ],
    // Decision: a chain that defines allowedDomains decides alone; the global allow list is the root's.
    [
      'a global-only host is denied where the chain defines lists',
      'prod/payments',
      'api.openai.com:443',
      true,
      'deny',
      'namespace_not_allowed',
      'prod-payments',
    ],
    [
      'a global requireAuth entry does not bind a namespace allow',
      'prod/payments',
      'api.stripe.com:443',
      false,
      'allow',
      'namespace_allowed',
      'prod-payments',
    ],
  ] as const)('%s', (_case, namespace, target, authenticated, outcome, reasonCode, policy) => {
    const result = evaluateNamespaces(layer, input(target, namespace, authenticated));
    expect(result).toMatchObject({ layer: 'namespace', outcome, reasonCode, policy: { name: policy } });
    expect(result.rule).toBeDefined();
    expect(result.reason).toContain(target);
  });

  it('names the leaf rule and the ancestors that also allowed', () => {
    const result = evaluateNamespaces(layer, input('api.bank.eu:443', 'prod/payments/eu-west'));
    expect(result.rule).toEqual({ index: 'spec.allowedDomains[0]', label: 'api.bank.eu' });
    expect(result.reason).toBe(
      'api.bank.eu:443 allowed by namespace prod/payments/eu-west (api.bank.eu) and its ancestors prod/payments, prod',
    );
  });

  it('skips a missing leaf and a missing intermediate namespace, saying so', () => {
    const leaf = evaluateNamespaces(layer, input('api.bank.eu:443', 'prod/payments/eu-west/canary'));
    expect(leaf).toMatchObject({
      outcome: 'allow',
      reasonCode: 'namespace_allowed',
      policy: { name: 'prod-payments-eu-west' },
    });
    expect(leaf.reason).toContain('namespace prod/payments/eu-west/canary not defined; skipped');

    const middle = evaluateNamespaces(layer, input('api.github.com:443', 'prod/ml/train'));
    expect(middle).toMatchObject({
      outcome: 'allow',
      reasonCode: 'namespace_allowed',
      policy: { name: 'prod' },
    });
    expect(middle.reason).toContain(
      'namespace prod/ml/train not defined; skipped; namespace prod/ml not defined; skipped',
    );
    expect(evaluateNamespaces(layer, input('example.org:443', 'prod/ml/train'))).toMatchObject({
      outcome: 'deny',
      reasonCode: 'namespace_not_allowed',
    });
  });

  it('quotes the requireAuth entry and the root default in its reasons', () => {
    expect(evaluateNamespaces(layer, input('api.stripe.com:443')).reason).toBe(
      'api.stripe.com:443 is on the global allow list for authenticated agents only (api.stripe.com "payments" (EgressDomainList default/global spec.allow[0])); agent agent-1 is not authenticated',
    );
    expect(evaluateNamespaces(layer, input('example.org:443')).reason).toBe(
      'no namespace or global allow-list entry allows example.org:443 (root default: deny)',
    );
  });

  it('denies a destination with no host name: no domain list can match an address', () => {
    const result = evaluateNamespaces(layer, input('l4 203.0.113.7:443', 'prod'));
    expect(result).toMatchObject({
      outcome: 'deny',
      reasonCode: 'namespace_not_allowed',
      policy: { name: 'prod' },
    });
    expect(result.reason).toContain('203.0.113.7:443 has no host name to check');
    expect(evaluateNamespaces(layer, input('l4 203.0.113.7:443'))).toMatchObject({
      outcome: 'deny',
      reasonCode: 'namespace_not_allowed',
      policy: { name: 'global' },
    });
  });

  it('allows when one name of a DNS binding passes every level, and denies when any name is blocked', () => {
    const base = input('api.bank.eu:443', 'prod/payments/eu-west');
    const dest = (names: string[]): Destination => ({
      ...base.dest,
      host: names[0],
      hostEvidence: 'dns-binding',
      names,
    });
    expect(evaluateNamespaces(layer, { ...base, dest: dest(['cdn.example', 'api.bank.eu']) })).toMatchObject({
      outcome: 'allow',
      reasonCode: 'namespace_allowed',
    });
    expect(
      evaluateNamespaces(layer, { ...base, dest: dest(['api.bank.eu', 'a.pastebin.com']) }),
    ).toMatchObject({
      outcome: 'deny',
      reasonCode: 'namespace_blocked',
    });
  });
});

describe('evaluateNamespaces abstains without resources that apply', () => {
  it.each([
    ['nothing is loaded', ''],
    ['only a global block list is loaded', doc('EgressDomainList', 'intel', '{ block: [evil-c2.example] }')],
  ])('when %s', (_case, text) => {
    const layer = layerOf(text);
    expect(evaluateNamespaces(layer, input('example.org:443', 'prod')).outcome).toBe('abstain');
    expect(evaluateNamespaces(layer, input('l4 203.0.113.7:443', 'prod')).outcome).toBe('abstain');
  });
});

describe('evaluateNamespaces judges only agents under a defined namespace or a defined root', () => {
  const payments = nsDoc('prod/payments', 'allowed_domains: [api.stripe.com, api.bank.eu]');
  const prod = nsDoc('prod', 'allowed_domains: [api.stripe.com, api.bank.eu]');
  const rootList = doc(
    'EgressDomainList',
    'root',
    '{ allow: [{ domain: api.anthropic.com, reason: models }] }',
  );
  const blockOnly = doc('EgressDomainList', 'intel', '{ block: [evil-c2.example] }');

  it.each([
    // [case, policy, agent namespace, target, outcome, reason code, policy name]
    [
      'anonymous, only prod/payments defined: abstains',
      payments,
      '',
      'api.anthropic.com:443',
      'abstain',
      undefined,
      undefined,
    ],
    [
      'anonymous, prod/payments and a block-only list: abstains',
      [payments, blockOnly].join('---\n'),
      '',
      'api.anthropic.com:443',
      'abstain',
      undefined,
      undefined,
    ],
    [
      'an undefined tree beside prod/payments: abstains',
      payments,
      'staging/jobs',
      'api.anthropic.com:443',
      'abstain',
      undefined,
      undefined,
    ],
    [
      'an agent in prod/payments is judged: allowed',
      payments,
      'prod/payments',
      'api.stripe.com:443',
      'allow',
      'namespace_allowed',
      'prod-payments',
    ],
    [
      'an agent in prod/payments is judged: denied',
      payments,
      'prod/payments',
      'api.anthropic.com:443',
      'deny',
      'namespace_not_allowed',
      'prod-payments',
    ],
    [
      'prod/payments/eu with only prod defined is judged by prod: allowed',
      prod,
      'prod/payments/eu',
      'api.bank.eu:443',
      'allow',
      'namespace_allowed',
      'prod',
    ],
    [
      'prod/payments/eu with only prod defined is judged by prod: denied',
      prod,
      'prod/payments/eu',
      'api.anthropic.com:443',
      'deny',
      'namespace_not_allowed',
      'prod',
    ],
    [
      'root defined (global allow list): anonymous judged, allowed',
      [payments, rootList].join('---\n'),
      '',
      'api.anthropic.com:443',
      'allow',
      'global_allowed',
      'root',
    ],
    [
      'root defined (global allow list): anonymous judged, denied',
      [payments, rootList].join('---\n'),
      '',
      'pastebin.com:443',
      'deny',
      'namespace_not_allowed',
      'root',
    ],
    [
      'root defined: an undefined tree is judged by the root',
      rootList,
      'staging/jobs',
      'pastebin.com:443',
      'deny',
      'namespace_not_allowed',
      'root',
    ],
  ] as const)('%s', (_case, text, namespace, target, outcome, reasonCode, policy) => {
    const result = evaluateNamespaces(layerOf(text), input(target, namespace));
    expect(result).toMatchObject({ layer: 'namespace', outcome, reasonCode });
    expect(result.policy?.name).toBe(policy);
  });

  it('says why it abstains', () => {
    const layer = layerOf(payments);
    expect(evaluateNamespaces(layer, input('api.anthropic.com:443')).reason).toBe(
      'the root namespace has no settings of its own (no global allow list is loaded), so the namespace tree does not apply to this agent',
    );
    expect(evaluateNamespaces(layer, input('api.anthropic.com:443', 'staging/jobs')).reason).toBe(
      'no EgressNamespace is defined for namespace staging/jobs or its ancestors, and no global allow list is loaded',
    );
  });
});

describe('evaluateGlobalBlock', () => {
  const layer = layerOf(SEED_TREE);

  it('denies a blocked domain and quotes the entry’s reason', () => {
    expect(evaluateGlobalBlock(layer, input('evil-c2.example:443', 'prod'))).toEqual({
      layer: 'global',
      outcome: 'deny',
      reasonCode: 'global_blocked',
      reason:
        'evil-c2.example:443 is on the global block list: evil-c2.example "threat-intel" (EgressDomainList default/global spec.block[0])',
      policy: { kind: 'EgressDomainList', namespace: 'default', name: 'global' },
      rule: { index: 'spec.block[0]', label: 'evil-c2.example' },
    });
  });

  it('lets block win over allow for the same entry', () => {
    expect(evaluateGlobalBlock(layer, input('both.example:443'))).toMatchObject({
      outcome: 'deny',
      reasonCode: 'global_blocked',
      rule: { index: 'spec.block[1]' },
    });
  });

  it.each([
    ['a host not on the list', 'api.openai.com:443', SEED_TREE],
    ['an address without a name', 'l4 203.0.113.7:443', SEED_TREE],
    ['no block list', 'evil-c2.example:443', nsDoc('prod', '')],
  ])('abstains for %s', (_case, target, text) => {
    expect(evaluateGlobalBlock(layerOf(text), input(target))).toMatchObject({
      layer: 'global',
      outcome: 'abstain',
    });
  });

  it('checks every name of a DNS binding', () => {
    const base = input('cdn.example:443');
    const dest: Destination = { ...base.dest, names: ['cdn.example', 'evil-c2.example'] };
    expect(evaluateGlobalBlock(layer, { ...base, dest }).reasonCode).toBe('global_blocked');
  });
});

describe('evaluateNamespaces when the first defining level decides', () => {
  it('reads only the leaf when it narrows every level above, and gives the same answers', () => {
    const narrowing = compileNamespaceLayer([
      namespace('corp', ['**.example.com', 'api.vendor.io']),
      namespace('corp/app', ['*.svc.example.com']),
    ]);
    expect(chainFor(narrowing, 'corp/app').leafDecides).toBe(true);
    const at = (target: string) => evaluateNamespaces(narrowing, input(target, 'corp/app'));
    expect(at('db.svc.example.com:443')).toMatchObject({ outcome: 'allow', reasonCode: 'namespace_allowed' });
    expect(at('api.vendor.io:443')).toMatchObject({ outcome: 'deny', reasonCode: 'namespace_not_allowed' });
  });

  it('checks every level when a stored child is wider than its parent', () => {
    // Validation refuses such a tree; a forced admin change can still store one.
    const widening = compileNamespaceLayer([
      namespace('corp', ['api.vendor.io']),
      namespace('corp/app', ['api.vendor.io', 'api.other.io']),
    ]);
    expect(chainFor(widening, 'corp/app').leafDecides).toBe(false);
    const result = evaluateNamespaces(widening, input('api.other.io:443', 'corp/app'));
    expect(result).toMatchObject({ outcome: 'deny', reasonCode: 'namespace_not_allowed' });
    expect(result.reason).toContain('namespace corp ');
    expect(evaluateNamespaces(widening, input('api.vendor.io:443', 'corp/app')).outcome).toBe('allow');
  });
});
