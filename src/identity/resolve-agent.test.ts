import { createHash } from 'node:crypto';

import { validateWith } from '../../test/support/validate-kinds';
import { compileAgentIndex } from '../compile/agent-index';
import type { Agent, EgressRequest } from '../engine/types';
import { agentKind } from '../policy/validate-agent';
import { credentialKey, resolveAgent } from './resolve-agent';

const sha = (key: string): string => createHash('sha256').update(key).digest('hex');
const basic = (userPass: string): string => `Basic ${Buffer.from(userPass).toString('base64')}`;

const BILLING_PRINCIPAL = 'spiffe://cluster.local/ns/billing/sa/bot';
const RESEARCH_PRINCIPAL = 'spiffe://cluster.local/ns/research/sa/bot';

const POLICY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: billing, labels: { app: billing } }
spec:
  namespace: prod/payments
  labels: { team: payments }
  firewallPolicy: strict
  recognise:
    contextName: billing-ctx
    principals: [${BILLING_PRINCIPAL}]
    keys: [{ sha256: ${sha('billing-key')} }]
    sourceCIDRs: [10.1.0.0/16]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: research }
spec:
  namespace: research
  recognise:
    principals: [${RESEARCH_PRINCIPAL}]
    keys: [{ sha256: ${sha('research-key')} }, { sha256: ${sha('research:key:with:colons')} }]
    sourceCIDRs: [10.2.0.0/16, "2001:db8:2::/48"]
`;

const validated = validateWith([agentKind], POLICY);
const index = compileAgentIndex(validated.resources);

interface Evidence {
  readonly agent?: string;
  readonly principal?: string;
  readonly auth?: string;
  readonly source?: string;
}

function request(e: Evidence): EgressRequest {
  return {
    surface: 'check-http',
    source: {
      ...(e.source !== undefined ? { address: e.source } : {}),
      port: 40000,
      ...(e.principal !== undefined ? { principal: e.principal } : {}),
    },
    destination: { authority: 'api.example.com:443', authoritySource: 'connect', protocol: 'tcp' },
    context: e.agent !== undefined ? { agent: e.agent } : {},
    ...(e.auth !== undefined ? { proxyAuthorization: e.auth } : {}),
  };
}

/** [who, how found, authenticated]; who is `anonymous` for the anonymous agent. */
type Expected = [string, Agent['identifiedBy'], boolean];

const summary = (agent: Agent): Expected => [agent.name, agent.identifiedBy, agent.authenticated];

describe('resolveAgent', () => {
  it('has a valid policy to resolve against', () => {
    expect(validated.issues.filter((i) => i.code !== 'POLICY_UNKNOWN_FIREWALL_POLICY')).toEqual([]);
    expect(index.size).toBe(2);
  });

  it.each<[string, Evidence, Expected]>([
    // each kind of evidence on its own
    ['a known context name', { agent: 'billing-ctx' }, ['billing', 'context', false]],
    ['an unknown context name', { agent: 'ghost' }, ['ghost', 'context', false]],
    ['an mTLS principal', { principal: RESEARCH_PRINCIPAL }, ['research', 'principal', true]],
    ['a Bearer key', { auth: 'Bearer research-key' }, ['research', 'key', true]],
    ['a Bearer key, scheme in lower case', { auth: 'bearer research-key' }, ['research', 'key', true]],
    ['a Basic password as the key', { auth: basic('anyone:research-key') }, ['research', 'key', true]],
    ['a Basic password with no user', { auth: basic(':research-key') }, ['research', 'key', true]],
    [
      'a Basic password containing colons',
      { auth: basic('u:research:key:with:colons') },
      ['research', 'key', true],
    ],
    ['a source IPv4 address', { source: '10.2.3.4' }, ['research', 'source-ip', false]],
    [
      'an IPv4-mapped source address in a v4 CIDR',
      { source: '::ffff:10.2.3.4' },
      ['research', 'source-ip', false],
    ],
    ['a source IPv6 address', { source: '2001:db8:2::7' }, ['research', 'source-ip', false]],
    ['nothing at all', {}, ['anonymous', 'anonymous', false]],
    ['a source address no agent claims', { source: '192.0.2.1' }, ['anonymous', 'anonymous', false]],
    ['an unparsable source address', { source: 'not-an-ip' }, ['anonymous', 'anonymous', false]],
    ['an unknown principal', { principal: 'spiffe://td/ghost' }, ['anonymous', 'anonymous', false]],
    ['an empty context name', { agent: '' }, ['anonymous', 'anonymous', false]],
    ['an empty Proxy-Authorization', { auth: '', source: '10.2.3.4' }, ['research', 'source-ip', false]],
    // the order when several are present
    [
      'context before principal',
      { agent: 'billing-ctx', principal: RESEARCH_PRINCIPAL },
      ['billing', 'context', false],
    ],
    [
      'context vouched for by its principal',
      { agent: 'billing-ctx', principal: BILLING_PRINCIPAL },
      ['billing', 'context', true],
    ],
    [
      'context before another agent’s key',
      { agent: 'billing-ctx', auth: 'Bearer research-key' },
      ['billing', 'context', false],
    ],
    [
      'context vouched for by its key',
      { agent: 'billing-ctx', auth: 'Bearer billing-key' },
      ['billing', 'context', true],
    ],
    [
      'context despite a wrong key',
      { agent: 'billing-ctx', auth: 'Bearer nope' },
      ['billing', 'context', false],
    ],
    [
      'principal before key',
      { principal: BILLING_PRINCIPAL, auth: 'Bearer research-key' },
      ['billing', 'principal', true],
    ],
    [
      'key after an unknown principal',
      { principal: 'spiffe://td/ghost', auth: 'Bearer billing-key' },
      ['billing', 'key', true],
    ],
    [
      'key before source address',
      { auth: 'Bearer billing-key', source: '10.2.3.4' },
      ['billing', 'key', true],
    ],
    [
      'source after an unknown principal',
      { principal: 'spiffe://td/ghost', source: '10.1.0.9' },
      ['billing', 'source-ip', false],
    ],
    // a presented credential that fails gives the anonymous agent, whatever the source address
    ['an unknown key', { auth: 'Bearer guessed', source: '10.2.3.4' }, ['anonymous', 'anonymous', false]],
    ['a key differing in case', { auth: 'Bearer RESEARCH-KEY' }, ['anonymous', 'anonymous', false]],
    ['Bearer without a token', { auth: 'Bearer', source: '10.2.3.4' }, ['anonymous', 'anonymous', false]],
    ['Bearer with two tokens', { auth: 'Bearer research-key extra' }, ['anonymous', 'anonymous', false]],
    [
      'Basic that is not base64',
      { auth: 'Basic !!!!', source: '10.2.3.4' },
      ['anonymous', 'anonymous', false],
    ],
    [
      'Basic without a colon',
      { auth: basic('research-key'), source: '10.2.3.4' },
      ['anonymous', 'anonymous', false],
    ],
    [
      'Basic with an empty password',
      { auth: basic('research-key:'), source: '10.2.3.4' },
      ['anonymous', 'anonymous', false],
    ],
    [
      'another scheme',
      { auth: 'Digest research-key', source: '10.2.3.4' },
      ['anonymous', 'anonymous', false],
    ],
    [
      'a bare key without a scheme',
      { auth: 'research-key', source: '10.2.3.4' },
      ['anonymous', 'anonymous', false],
    ],
  ])('%s', (_name, evidence, expected) => {
    expect(summary(resolveAgent(index, request(evidence)))).toEqual(expected);
  });

  it('carries the namespace, merged labels and firewall policy of a known agent', () => {
    expect(resolveAgent(index, request({ agent: 'billing-ctx' }))).toEqual({
      name: 'billing',
      namespace: 'prod/payments',
      labels: { app: 'billing', team: 'payments' },
      identifiedBy: 'context',
      authenticated: false,
      firewallPolicy: 'strict',
    });
    const research = resolveAgent(index, request({ auth: 'Bearer research-key' }));
    expect(research).toMatchObject({ namespace: 'research', labels: {} });
    expect(research.firewallPolicy).toBeUndefined();
  });

  it('puts an unknown context name in the root namespace with no labels', () => {
    expect(resolveAgent(index, request({ agent: 'ghost' }))).toEqual({
      name: 'ghost',
      namespace: '',
      labels: {},
      identifiedBy: 'context',
      authenticated: false,
    });
  });

  it('keeps nothing of the key', () => {
    const agent = resolveAgent(index, request({ auth: basic('me:research-key') }));
    expect(agent.identifiedBy).toBe('key');
    expect(JSON.stringify(agent)).not.toMatch(/research-key|bWU6/);
  });

  it('without a snapshot, still takes the context name and nothing else', () => {
    expect(summary(resolveAgent(undefined, request({ agent: 'billing-ctx' })))).toEqual([
      'billing-ctx',
      'context',
      false,
    ]);
    expect(
      summary(resolveAgent(undefined, request({ auth: 'Bearer billing-key', source: '10.1.0.1' }))),
    ).toEqual(['anonymous', 'anonymous', false]);
  });
});

describe('credentialKey', () => {
  it.each<[string, string, string | undefined]>([
    ['Bearer', 'Bearer abc', 'abc'],
    ['surrounding whitespace', ' \tBearer   abc \t', 'abc'],
    ['Basic, password part', basic('user:p@ss word'), 'p@ss word'],
    ['Basic, upper-case scheme', `BASIC ${Buffer.from('u:k').toString('base64')}`, 'k'],
    ['Basic, unpadded base64', `Basic ${Buffer.from('u:k').toString('base64').replace(/=+$/, '')}`, 'k'],
    ['Basic, one base64 character too many', 'Basic dTprQ', undefined],
    ['empty', '', undefined],
    ['scheme only', 'Basic', undefined],
  ])('%s', (_name, header, expected) => {
    expect(credentialKey(header)?.toString('utf8')).toBe(expected);
  });
});
