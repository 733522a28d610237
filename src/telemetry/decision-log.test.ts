import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { EgressRequest } from '../engine/types';
import { parseIpLiteral } from '../policy/ip';
import type { DecisionMessage } from './decision-channel';
import { DECISION_FIELDS, decisionAttributes, decisionLogFields, recordKind } from './decision-log';
import { decisionFixture } from '../../test/support/telemetry';

const SECRET = 'sk-live-7b1e0c2d';
const request: EgressRequest = {
  surface: 'check-http',
  requestId: '4011296932149270187',
  source: { address: '10.1.2.3', port: 51234 },
  destination: { authority: 'pastebin.com:443', protocol: 'tcp' },
  context: { gateway: 'agents' },
  proxyAuthorization: `Bearer ${SECRET}`,
};
const message = (overrides: Partial<DecisionMessage> = {}): DecisionMessage => ({
  decision: decisionFixture(),
  request,
  surface: 'check-http',
  durationMs: 0.1234,
  ...overrides,
});

describe('recordKind', () => {
  it.each([
    ['an enforced deny is denied', { verdict: 'deny', enforced: true, reasonCode: 'deny_policy' }, 'denied'],
    [
      'an allow by route is allowed',
      { verdict: 'allow', enforced: true, reasonCode: 'route_allowed' },
      'allowed',
    ],
    [
      'a shadow would-deny is audited',
      { verdict: 'allow', enforced: false, reasonCode: 'gateway_default_deny' },
      'audited',
    ],
    [
      'a firewall audit rule is audited',
      { verdict: 'allow', enforced: true, reasonCode: 'firewall_audit' },
      'audited',
    ],
  ] as const)('%s', (_name, overrides, kind) => {
    expect(recordKind(decisionFixture(overrides))).toBe(kind);
  });
});

describe('the field catalogue', () => {
  it('names every log key and attribute once, each with help', () => {
    const logs = DECISION_FIELDS.flatMap((f) => (f.log ? [f.log] : []));
    const attributes = DECISION_FIELDS.flatMap((f) => (f.attribute ? [f.attribute] : []));
    expect(new Set(logs).size).toBe(logs.length);
    expect(new Set(attributes).size).toBe(attributes.length);
    for (const f of DECISION_FIELDS) {
      expect(f.log ?? f.attribute).toBeDefined();
      expect(f.help.length).toBeGreaterThan(10);
    }
  });

  it('is documented: docs/telemetry.md names every log key and attribute', () => {
    const docs = readFileSync(path.join(__dirname, '../../docs/telemetry.md'), 'utf8');
    for (const f of DECISION_FIELDS) {
      for (const name of [f.log, f.attribute]) if (name !== undefined) expect(docs).toContain(`\`${name}\``);
    }
  });

  it('builds the log line only from catalogue keys', () => {
    const keys = new Set(DECISION_FIELDS.map((f) => f.log));
    const fields = decisionLogFields(message({ traceContext: { traceparent: TRACEPARENT } }));
    for (const k of Object.keys(fields)) expect(keys.has(k)).toBe(true);
  });
});

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('decisionAttributes', () => {
  it('gives a denial every egress.dial.denied attribute and the issue, with semantic-convention names', () => {
    expect(decisionAttributes(message())).toEqual({
      'egress.decision_id': '6f1c1f0e-2f7b-4d64-9a55-5d1b2c3d4e5f',
      'egress.verdict': 'deny',
      'egress.shadow': false,
      'egress.reason_code': 'deny_policy',
      'egress.deny_reason': 'deny_policy',
      'egress.layer': 'gateway',
      'egress.policy': 'EgressL4Route/default/paste',
      'egress.rule': 'rules[0]',
      'egress.surface': 'check-http',
      'agent.name': 'researcher',
      'agent.namespace': 'research',
      'egress.agent.identified_by': 'key',
      'egress.dst.name': 'pastebin.com',
      'egress.dst.name_source': 'authority',
      'server.address': 'pastebin.com',
      'server.port': 443,
      'network.transport': 'tcp',
      'client.address': '10.1.2.3',
      'client.port': 51234,
      'egress.request_id': '4011296932149270187',
      'egress.snapshot_version': 3,
    });
  });

  it.each([
    ['a shadow would-deny keeps its deny reason', { verdict: 'allow', enforced: false }, true, 'deny_policy'],
    [
      'an allow has no deny reason',
      { verdict: 'allow', enforced: true, reasonCode: 'route_allowed' },
      false,
      undefined,
    ],
  ] as const)('%s', (_name, overrides, shadow, denyReason) => {
    const attributes = decisionAttributes(message({ decision: decisionFixture(overrides) }));
    expect(attributes['egress.shadow']).toBe(shadow);
    expect(attributes['egress.deny_reason']).toBe(denyReason);
  });

  it('prefers the address for server.address when the destination has one', () => {
    const destination = { ...decisionFixture().destination!, ip: parseIpLiteral('203.0.113.9')! };
    const attributes = decisionAttributes(message({ decision: decisionFixture({ destination }) }));
    expect([attributes['server.address'], attributes['egress.dst.name']]).toEqual([
      '203.0.113.9',
      'pastebin.com',
    ]);
  });
});

describe('decisionLogFields', () => {
  it('is the canonical line: event name, ids, verdict, reason, destination, agent, duration', () => {
    expect(decisionLogFields(message({ traceContext: { traceparent: TRACEPARENT } }))).toMatchObject({
      event: 'egress.dial.denied',
      decision_id: '6f1c1f0e-2f7b-4d64-9a55-5d1b2c3d4e5f',
      verdict: 'deny',
      enforced: true,
      reason_code: 'deny_policy',
      policy: 'EgressL4Route/default/paste',
      dst_host: 'pastebin.com',
      dst_port: 443,
      src_ip: '10.1.2.3',
      agent: 'researcher',
      duration_ms: 0.123,
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('never carries the credential, which is not a field', () => {
    expect(JSON.stringify(decisionLogFields(message()))).not.toContain(SECRET);
    expect(JSON.stringify(decisionAttributes(message()))).not.toContain(SECRET);
  });

  it('leaves absent values out', () => {
    const fields = decisionLogFields(
      message({ request: undefined, decision: decisionFixture({ destination: undefined }) }),
    );
    expect(Object.values(fields)).not.toContain(undefined);
    expect(fields).not.toHaveProperty('dst_host');
    expect(fields).not.toHaveProperty('src_ip');
  });

  it.each([
    ['a valid traceparent', TRACEPARENT, '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', undefined],
    ['garbage', 'not-a-trace', undefined],
  ])('trace_id from %s', (_name, traceparent, expected) => {
    expect(decisionLogFields(message({ traceContext: { traceparent } }))['trace_id']).toBe(expected);
  });
});
