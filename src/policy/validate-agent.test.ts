import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { errorsOf, validateWith } from '../../test/support/validate-kinds';
import type { EgressAgent } from './types';
import { agentKind } from './validate-agent';
import { firewallPolicyKind } from './validate-firewall';

const INVALID = join(__dirname, '..', '..', 'test', 'fixtures', 'policies', 'invalid');
const KINDS = [agentKind, firewallPolicyKind];
const DIGEST = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

function agentDoc(name: string, spec: string, metadata = ''): string {
  return `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressAgent\nmetadata: { name: ${name}${metadata} }\nspec:\n${spec}`;
}

function load(...docs: string[]) {
  return validateWith(KINDS, docs.join('\n---\n'));
}

const agents = (validated: ReturnType<typeof load>) =>
  validated.resources.filter((r): r is EgressAgent => r.kind === 'EgressAgent');

describe('EgressAgent', () => {
  it('normalises every field: labels merged (spec wins), digests lower-cased, CIDRs parsed', () => {
    const validated = load(
      agentDoc(
        'billing-bot',
        `  namespace: prod/payments
  labels: { tier: prod, team: payments }
  firewallPolicy: strict
  recognise:
    contextName: billing
    principals: [spiffe://cluster.local/ns/billing/sa/bot]
    keys: [{ sha256: ${DIGEST.toUpperCase()} }]
    sourceCIDRs: [10.1.2.0/24, "::ffff:10.9.0.0/112", 2001:db8::/48]`,
        ', labels: { tier: dev, app: billing }',
      ),
      'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: strict }\nspec: { defaultVerdict: deny }',
    );
    expect(validated.issues).toEqual([]);
    const [agent] = agents(validated);
    expect(agent).toMatchObject({
      namespacePath: 'prod/payments',
      labels: { tier: 'prod', team: 'payments', app: 'billing' },
      firewallPolicy: 'strict',
      contextName: 'billing',
      principals: ['spiffe://cluster.local/ns/billing/sa/bot'],
      keySha256: [DIGEST],
    });
    expect(agent?.sourceCIDRs.map((c) => c.text)).toEqual(['10.1.2.0/24', '10.9.0.0/16', '2001:db8::/48']);
  });

  it('defaults to the root namespace and recognises the agent by its own name', () => {
    const validated = load(agentDoc('research-bot', '  {}'));
    expect(validated.issues).toEqual([]);
    const [agent] = agents(validated);
    expect(agent).toEqual({
      kind: 'EgressAgent',
      meta: expect.objectContaining({ name: 'research-bot' }),
      namespacePath: '',
      labels: {},
      contextName: 'research-bot',
      principals: [],
      keySha256: [],
      sourceCIDRs: [],
    });
    expect(agent).not.toHaveProperty('firewallPolicy');
  });

  it.each<[string, string, string, string, string | undefined]>([
    ['a token at spec level', '  token: sk-live-abcdef', 'POLICY_RAW_SECRET', 'spec.token', 'hash-key'],
    [
      'a secret under recognise',
      '  recognise: { secret: sk-live-abcdef }',
      'POLICY_RAW_SECRET',
      'spec.recognise.secret',
      undefined,
    ],
    [
      'a key as a bare string',
      '  recognise: { keys: [sk-live-abcdef] }',
      'POLICY_RAW_SECRET',
      'spec.recognise.keys[0]',
      undefined,
    ],
    [
      'a digest as a bare string',
      `  recognise: { keys: ["${DIGEST}"] }`,
      'POLICY_WRONG_TYPE',
      'spec.recognise.keys[0]',
      'sha256:',
    ],
    [
      'an algorithm prefix on the digest',
      `  recognise: { keys: [{ sha256: "sha256:${DIGEST}" }] }`,
      'POLICY_INVALID_KEY_HASH',
      'spec.recognise.keys[0].sha256',
      'prefix',
    ],
    [
      'a digest that is not hex',
      '  recognise: { keys: [{ sha256: sk-live-abcdef }] }',
      'POLICY_INVALID_KEY_HASH',
      'spec.recognise.keys[0].sha256',
      'hash-key',
    ],
    [
      'a key entry without sha256',
      '  recognise: { keys: [{}] }',
      'POLICY_MISSING_FIELD',
      'spec.recognise.keys[0].sha256',
      undefined,
    ],
    [
      'a namespace path with slashes around it',
      '  namespace: /prod/',
      'POLICY_INVALID_NAME',
      'spec.namespace',
      '`prod`',
    ],
    [
      'a namespace path in capitals',
      '  namespace: Prod/Payments',
      'POLICY_INVALID_NAME',
      'spec.namespace',
      'prod/payments',
    ],
    [
      'an invalid label key',
      '  labels: { "bad key": x }',
      'POLICY_INVALID_LABEL',
      'spec.labels["bad key"]',
      undefined,
    ],
    [
      'an invalid label value',
      '  labels: { team: "-x-" }',
      'POLICY_INVALID_LABEL',
      'spec.labels.team',
      undefined,
    ],
    [
      "Istio's short principal form",
      '  recognise: { principals: [cluster.local/ns/billing/sa/bot] }',
      'POLICY_INVALID_VALUE',
      'spec.recognise.principals[0]',
      'spiffe://cluster.local/ns/billing/sa/bot',
    ],
    [
      'a principal that is a number',
      '  recognise: { principals: [42] }',
      'POLICY_WRONG_TYPE',
      'spec.recognise.principals[0]',
      undefined,
    ],
    [
      'a context name with a space',
      '  recognise: { contextName: "billing bot" }',
      'POLICY_INVALID_VALUE',
      'spec.recognise.contextName',
      undefined,
    ],
    [
      'the American spelling',
      '  recognize: { contextName: b }',
      'POLICY_UNKNOWN_FIELD',
      'spec.recognize',
      '`recognise`',
    ],
    [
      'a source CIDR out of range',
      '  recognise: { sourceCIDRs: [10.0.0.0/33] }',
      'POLICY_INVALID_CIDR',
      'spec.recognise.sourceCIDRs[0]',
      undefined,
    ],
    [
      'a firewall policy name in capitals',
      '  firewallPolicy: Strict',
      'POLICY_INVALID_NAME',
      'spec.firewallPolicy',
      undefined,
    ],
  ])('rejects %s', (_name, spec, code, path, fix) => {
    const validated = load(agentDoc('a', spec));
    expect(errorsOf(validated)).toEqual([[code, path]]);
    if (fix !== undefined) expect(validated.issues[0]?.fix).toContain(fix);
    expect(agents(validated)).toEqual([]);
  });

  it('never repeats a secret in an issue', () => {
    const secret = 'sk-live-do-not-print-me';
    const validated = load(
      agentDoc(
        'a',
        `  key: ${secret}\n  recognise:\n    token: ${secret}\n    keys: [${secret}, { password: ${secret} }, { sha256: ${secret} }]`,
      ),
    );
    expect(errorsOf(validated)).toHaveLength(5);
    expect(JSON.stringify(validated.issues)).not.toContain(secret);
  });

  it.each<[string, string, string, string, string]>([
    [
      'the same principal',
      '  recognise: { principals: [spiffe://td/x] }',
      '  recognise: { principals: [spiffe://td/y, spiffe://td/x] }',
      'spec.recognise.principals[0]',
      'spec.recognise.principals[1]',
    ],
    [
      'the same key (in either case)',
      `  recognise: { keys: [{ sha256: ${DIGEST} }] }`,
      `  recognise: { keys: [{ sha256: ${DIGEST.toUpperCase()} }] }`,
      'spec.recognise.keys[0].sha256',
      'spec.recognise.keys[0].sha256',
    ],
    [
      'a context name equal to the other agent’s own name',
      '  {}',
      '  recognise: { contextName: one }',
      'metadata.name',
      'spec.recognise.contextName',
    ],
    [
      'overlapping source CIDRs',
      '  recognise: { sourceCIDRs: [10.0.0.0/8] }',
      '  recognise: { sourceCIDRs: [192.168.0.0/16, 10.3.0.0/16] }',
      'spec.recognise.sourceCIDRs[0]',
      'spec.recognise.sourceCIDRs[1]',
    ],
    [
      'an IPv4-mapped CIDR inside an IPv4 one',
      '  recognise: { sourceCIDRs: [10.0.0.0/8] }',
      '  recognise: { sourceCIDRs: ["::ffff:10.1.0.0/112"] }',
      'spec.recognise.sourceCIDRs[0]',
      'spec.recognise.sourceCIDRs[0]',
    ],
  ])('rejects two agents claiming %s, on both', (_name, first, second, firstPath, secondPath) => {
    const validated = load(agentDoc('one', first), agentDoc('two', second));
    expect(errorsOf(validated)).toEqual([
      ['POLICY_AMBIGUOUS_IDENTITY', firstPath],
      ['POLICY_AMBIGUOUS_IDENTITY', secondPath],
    ]);
    expect(validated.issues[0]?.message).toContain('EgressAgent default/two (inline.yaml:');
    expect(agents(validated)).toEqual([]);
  });

  it('accepts agents whose evidence is disjoint', () => {
    const validated = load(
      agentDoc('one', '  recognise: { principals: [spiffe://td/x], sourceCIDRs: [10.0.0.0/16] }'),
      agentDoc('two', '  recognise: { principals: [spiffe://td/y], sourceCIDRs: [10.1.0.0/16] }'),
    );
    expect(validated.issues).toEqual([]);
    expect(agents(validated)).toHaveLength(2);
  });

  it('finds a clash across Kubernetes namespaces', () => {
    const docs = [
      agentDoc('one', '  recognise: { principals: [spiffe://td/x] }', ', namespace: team-a'),
      agentDoc('two', '  recognise: { principals: [spiffe://td/x] }', ', namespace: team-b'),
    ];
    expect(errorsOf(load(...docs))).toHaveLength(2);
  });

  it('warns, without rejecting, when the firewall policy is not defined', () => {
    const validated = load(
      agentDoc('a', '  firewallPolicy: strcit'),
      'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: strict }\nspec: {}',
    );
    expect(errorsOf(validated)).toEqual([]);
    expect(validated.issues.map((i) => [i.severity, i.code, i.path, i.fix])).toEqual([
      ['warning', 'POLICY_UNKNOWN_FIREWALL_POLICY', 'spec.firewallPolicy', 'did you mean `strict`?'],
    ]);
    expect(agents(validated)).toHaveLength(1);
  });
});

describe('invalid EgressAgent fixtures', () => {
  it.each<[string, number, [string, string, number][], string]>([
    ['agent-raw-key', 0, [['POLICY_RAW_SECRET', 'spec.recognise.keys[0].key', 10]], 'hash-key'],
    [
      'agent-duplicate-principal',
      0,
      [
        ['POLICY_AMBIGUOUS_IDENTITY', 'spec.recognise.principals[0]', 9],
        ['POLICY_AMBIGUOUS_IDENTITY', 'spec.recognise.principals[1]', 19],
      ],
      'exactly one EgressAgent',
    ],
    [
      'agent-bad-hash-length',
      0,
      [['POLICY_INVALID_KEY_HASH', 'spec.recognise.keys[0].sha256', 9]],
      'hash-key',
    ],
    ['agent-bad-cidr', 0, [['POLICY_INVALID_CIDR', 'spec.recognise.sourceCIDRs[1]', 10]], '10.30.1.0/24'],
  ])('%s', (name, validCount, expected, fix) => {
    const file = join(INVALID, `${name}.yaml`);
    const validated = validateWith(KINDS, readFileSync(file, 'utf8'), file);
    const errors = validated.issues.filter((i) => i.severity === 'error');
    expect(errors.map((i) => [i.code, i.path, i.line])).toEqual(expected);
    expect(errors.every((i) => i.file === file)).toBe(true);
    expect(errors[0]?.fix).toContain(fix);
    expect(validated.resources).toHaveLength(validCount);
    expect(JSON.stringify(validated.issues)).not.toContain('sk-live');
  });
});
