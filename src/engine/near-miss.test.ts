import { decide } from './decide';
import { ANONYMOUS_AGENT, type Agent } from './types';
import { snapshotFromYaml, request } from '../../test/support/policy';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: tcp-out, protocol: TCP }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: db }
spec:
  parentRefs: [{ name: agents, sectionName: tcp-out }]
  rules: [{ matches: [{ destinationHostnames: [pg.internal], ports: [{ port: 5432 }] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: web }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationHostnames: [api.example.com], ports: [{ port: 443 }, { startPort: 8000, endPort: 8099 }] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: builds }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [ci.example.com]
          ports: [{ port: 443 }]
          sourceAgents: { matchLabels: { team: ci } }
`;

const snapshot = snapshotFromYaml(POLICY);
const researcher: Agent = { ...ANONYMOUS_AGENT, name: 'researcher', labels: { team: 'research' } };

describe('near misses of a deny', () => {
  it.each<[string, Parameters<typeof request>[0], Agent, string]>([
    [
      'a route on another listener',
      { connect: 'pg.internal:5432', listener: 'http-out' },
      ANONYMOUS_AGENT,
      'route db rules[0].matches[0] holds on listener tcp-out only: attach it to http-out too (parentRefs sectionName), or send the request through tcp-out (--listener tcp-out)',
    ],
    [
      'another port',
      { connect: 'api.example.com:9000', listener: 'http-out' },
      ANONYMOUS_AGENT,
      'route web rules[0].matches[0] allows ports 443, 8000-8099, not 9000',
    ],
    [
      'another agent label',
      { connect: 'ci.example.com:443', listener: 'http-out' },
      researcher,
      'route builds rules[0].matches[0] is only for agents with labels team=ci (agent researcher has team=research)',
    ],
  ])('%s', (_n, spec, agent, miss) => {
    const d = decide(snapshot, request(spec), agent, { id: 'n' });
    expect(d.verdict).toBe('deny');
    expect(d.nearMisses).toEqual([miss]);
  });

  it('lists nothing when no route comes near, and nothing for an allow', () => {
    expect(
      decide(snapshot, request({ connect: 'exfil.example:443' }), ANONYMOUS_AGENT, { id: 'n' }).nearMisses,
    ).toEqual([]);
    const allowed = decide(snapshot, request({ connect: 'api.example.com:443' }), ANONYMOUS_AGENT, {
      id: 'n',
    });
    expect([allowed.verdict, allowed.nearMisses]).toEqual(['allow', []]);
  });

  it('names a namespace that allows the host for other agents', () => {
    const ns = snapshotFromYaml(`
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressNamespace
metadata: { name: payments }
spec: { path: prod/payments, allowedDomains: [api.bank.eu] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressNamespace
metadata: { name: research }
spec: { path: research, allowedDomains: [arxiv.org] }
`);
    const agent: Agent = { ...ANONYMOUS_AGENT, name: 'r1', namespace: 'research' };
    const d = decide(ns, request({ connect: 'api.bank.eu:443' }), agent, { id: 'n' });
    expect([d.verdict, d.reasonCode]).toEqual(['deny', 'namespace_not_allowed']);
    expect(d.nearMisses).toEqual(['namespace prod/payments allows api.bank.eu for its agents']);
  });
});
