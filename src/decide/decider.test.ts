import { createDecider, type AddressResolver } from './decider';
import type { NameLookup } from '../engine/name-evidence';
import { parseIpLiteral } from '../policy/ip';
import { request, snapshotFromYaml } from '../../test/support/policy';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners: [{ name: tls-out, protocol: TLS }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: llm }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationHostnames: [api.openai.com], ports: [{ port: 443 }] }] }]
`;

/** A resolver that answers from a table and records every name it was asked. */
function recording(answers: Record<string, string[]>): AddressResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve(host): Promise<NameLookup> {
      asked.push(host);
      const addresses = (answers[host] ?? []).map((a) => parseIpLiteral(a)!);
      return Promise.resolve(
        addresses.length > 0 ? { host, addresses } : { host, addresses, failure: 'no such name' },
      );
    },
  };
}

const snapshot = snapshotFromYaml(POLICY);
const sni = (to: string, name: string) => request({ l4: to, sni: name, listener: 'tls-out' });

describe('createDecider', () => {
  it('answers a decision that needs no lookup in the same turn', () => {
    const resolver = recording({});
    const decider = createDecider({ snapshots: { current: () => snapshot }, resolver, newId: () => 'd' });
    const d = decider.decide(request({ connect: 'api.openai.com:443' }));
    expect(d).not.toBeInstanceOf(Promise);
    expect(resolver.asked).toEqual([]);
  });

  it('looks a claimed name up when a rule would allow it, and proves it by the answer', async () => {
    const resolver = recording({ 'api.openai.com': ['162.159.140.245'] });
    const decider = createDecider({ snapshots: { current: () => snapshot }, resolver, newId: () => 'd' });
    expect((await decider.decide(sni('162.159.140.245:443', 'api.openai.com'))).reasonCode).toBe(
      'route_allowed',
    );
    expect((await decider.decide(sni('6.6.6.6:443', 'api.openai.com'))).reasonCode).toBe('name_unverified');
    expect(resolver.asked).toEqual(['api.openai.com', 'api.openai.com']);
  });

  it('never looks up a claimed name no rule would allow (no channel out through the resolver)', async () => {
    const resolver = recording({});
    const decider = createDecider({ snapshots: { current: () => snapshot }, resolver, newId: () => 'd' });
    const d = await decider.decide(sni('6.6.6.6:443', 'c2VjcmV0.exfil.example'));
    expect([d.verdict, d.reasonCode]).toEqual(['deny', 'gateway_default_deny']);
    expect(resolver.asked).toEqual([]);
  });

  it('uses fixed answers before the resolver, and fails closed with none', async () => {
    const decider = createDecider({ snapshots: { current: () => snapshot }, newId: () => 'd' });
    const answers = new Map([['api.openai.com', [parseIpLiteral('6.6.6.6')!]]]);
    expect((await decider.decide(sni('6.6.6.6:443', 'api.openai.com'), { answers })).verdict).toBe('allow');
    expect((await decider.decide(sni('6.6.6.6:443', 'api.openai.com'))).reasonCode).toBe('name_unverified');
  });
});
