import { createHash } from 'node:crypto';

import { resourcesFromYaml } from '../../test/support/policy';
import { validateWith } from '../../test/support/validate-kinds';
import { parseRequestIp } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import { agentKind } from '../policy/validate-agent';
import { agentForSourceIp, compileAgentIndex } from './agent-index';

const sha = (key: string): string => createHash('sha256').update(key).digest('hex');

function agent(name: string, namespace: string, spec: string): string {
  return `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressAgent\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n${spec}`;
}

/**
 * Each document validated on its own, so the index can be handed agents that clash (validation
 * rejects a clash within one load; the index must still settle one deterministically).
 */
function indexOf(...docs: string[]) {
  const resources = docs.flatMap((doc, i) => {
    const { resources: found, issues } = validateWith([agentKind], doc, `a${i}.yaml`);
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    return found;
  });
  return compileAgentIndex(resources);
}

const ip = (text: string): IpAddress => parseRequestIp(text) as IpAddress;

describe('compileAgentIndex', () => {
  const index = indexOf(
    agent(
      'billing',
      'a',
      `  namespace: prod/payments
  labels: { team: payments }
  firewallPolicy: strict
  recognise:
    contextName: billing-ctx
    principals: [spiffe://td/billing]
    keys: [{ sha256: ${sha('k1').toUpperCase()} }]
    sourceCIDRs: [10.0.0.0/8]`,
    ),
    agent('wide', 'b', '  recognise: { sourceCIDRs: [10.1.0.0/16], principals: [spiffe://td/billing] }'),
    agent('narrow', 'c', '  recognise: { sourceCIDRs: [10.1.2.0/24], contextName: billing-ctx }'),
  );

  it('indexes each kind of evidence, first agent in load order keeping a contested claim', () => {
    expect(index.size).toBe(3);
    expect(index.byContextName.get('billing-ctx')?.name).toBe('billing');
    expect(index.byContextName.get('wide')?.name).toBe('wide');
    expect(index.byContextName.has('billing')).toBe(false);
    expect(index.byPrincipal.get('spiffe://td/billing')?.name).toBe('billing');
    expect(index.byKeySha256.get(sha('k1'))?.profile.name).toBe('billing');
    expect(Buffer.from(index.byKeySha256.get(sha('k1'))?.digest ?? []).toString('hex')).toBe(sha('k1'));
  });

  it('keeps what identity resolution hands on', () => {
    const profile = index.byContextName.get('billing-ctx');
    expect(profile).toMatchObject({
      name: 'billing',
      namespace: 'prod/payments',
      labels: { team: 'payments' },
      firewallPolicy: 'strict',
    });
    expect(Object.isFrozen(profile)).toBe(true);
    expect(index.byContextName.get('wide')?.firewallPolicy).toBeUndefined();
  });

  it.each([
    ['outside every range', '192.0.2.1', undefined],
    ['only the /8', '10.9.9.9', 'billing'],
    ['the /16 inside the /8', '10.1.9.9', 'wide'],
    ['the /24 inside the /16', '10.1.2.3', 'narrow'],
    ['IPv4-mapped IPv6', '::ffff:10.1.2.3', 'narrow'],
  ])('finds the longest source prefix: %s', (_name, address, expected) => {
    expect(agentForSourceIp(index, ip(address))?.name).toBe(expected);
  });

  it('ignores other kinds and compiles an empty index', () => {
    const empty = compileAgentIndex(
      resourcesFromYaml(
        'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressGateway\nmetadata: { name: g }\nspec: {}',
      ),
    );
    expect(empty.size).toBe(0);
    expect(agentForSourceIp(empty, ip('10.0.0.1'))).toBeUndefined();
  });
});
