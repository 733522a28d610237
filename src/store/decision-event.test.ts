import { decide, decideInvalidRequest } from '../engine/decide';
import type { EgressRequest } from '../engine/types';
import { ANONYMOUS_AGENT } from '../engine/types';
import { request, snapshotFromYaml } from '../../test/support/policy';
import { decisionEvent } from './decision-event';

const snapshot = snapshotFromYaml(`
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: lists }
spec:
  allow: [{ domain: allowed.example, reason: tests }, audited.example]
  block: [{ domain: blocked.example, reason: threat-intel }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressFirewallPolicy
metadata: { name: watch }
spec:
  workspaceDefault: true
  defaultVerdict: allow
  rules:
    - { label: audit docs, verdict: audit, egress: { allow: [audited.example] } }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressFirewallPolicy
metadata: { name: trial }
spec:
  shadow: true
  defaultVerdict: deny
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: trialist }
spec: { firewallPolicy: trial }
`);

const event = (req: EgressRequest, agent = ANONYMOUS_AGENT) =>
  decisionEvent(
    {
      decision: decide(snapshot, req, agent, { id: 'd-1' }),
      request: req,
      surface: req.surface,
      durationMs: 0.12345,
    },
    1_000,
  );

const trialist = {
  ...ANONYMOUS_AGENT,
  name: 'trialist',
  identifiedBy: 'context' as const,
  firewallPolicy: 'trial',
};

describe('decisionEvent()', () => {
  it.each([
    [
      'a deny',
      request({ connect: 'blocked.example:443' }),
      ANONYMOUS_AGENT,
      'proxy_domain_denied',
      'deny',
      'lists',
    ],
    [
      'an allow',
      request({ connect: 'allowed.example:443' }),
      ANONYMOUS_AGENT,
      'proxy_domain_allowed',
      'allow',
      'watch',
    ],
    [
      'an audit rule',
      request({ connect: 'audited.example:443' }),
      ANONYMOUS_AGENT,
      'proxy_domain_audited',
      'audit',
      'watch',
    ],
    [
      'a shadow deny',
      request({ connect: 'allowed.example:443' }),
      trialist,
      'proxy_domain_audited',
      'audit',
      'trial',
    ],
  ] as const)('records %s with the API names and fields', (_name, req, agent, type, verdict, policy) => {
    const e = event(req, agent);
    expect(e).toMatchObject({ type, verdict, agent: agent.name, timeMs: 1_000 });
    expect(e.data).toMatchObject({
      decision_id: 'd-1',
      verdict,
      surface: 'egress',
      via: 'check-http',
      policy_name: policy,
      egress_url: null,
      duration_ms: 0.123,
    });
  });

  it('keeps the URL of a plain HTTP request without its query string', () => {
    const req: EgressRequest = {
      surface: 'check-http',
      requestId: 'r-9',
      source: {},
      destination: {
        authority: 'allowed.example',
        authoritySource: 'host-header',
        scheme: 'http',
        protocol: 'tcp',
      },
      l7: { method: 'GET', path: '/v1/items?api_key=secret', scheme: 'http' },
      context: {},
    };
    const e = event(req);
    expect([e.host, e.data['egress_url'], e.data['request_id']]).toEqual([
      'allowed.example',
      'http://allowed.example/v1/items',
      'r-9',
    ]);
  });

  it('records an untranslatable request as a deny with what little is known', () => {
    const decision = decideInvalidRequest(3, ANONYMOUS_AGENT, 'd-2', 'bad');
    const e = decisionEvent({ decision, request: undefined, surface: 'check-l4', durationMs: 0 }, 5);
    expect(e).toMatchObject({ type: 'proxy_domain_denied', verdict: 'deny' });
    expect(e.host).toBeUndefined();
    expect(e.data).toMatchObject({ reason_code: 'invalid_request', egress_host: null, request_id: null });
  });
});
