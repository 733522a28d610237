/**
 * How Envoy reads a CheckResponse (docs/envoy-contract.md §4.1, §1 items 3–5): status.code decides,
 * denied_response shapes the local reply, headers carry `value` and an explicit `append: false`.
 */
import type { Decision } from '../../engine/types';
import { authorizationServiceDefinition } from '../protos';
import type { CheckSurface } from './check-request';
import { DECISION_ID_HEADER, fallbackCheckResponse, toCheckResponse } from './check-response';
import { sampleDecision } from '../../../test/support/decision';

const SNAPSHOT_VERSION = 3;

function decision(overrides: Partial<Decision> = {}): Decision {
  const response = { status: 403, body: 'blocked by policy\n', headers: { 'content-type': 'text/plain' } };
  return sampleDecision({ response, snapshotVersion: SNAPSHOT_VERSION, ...overrides });
}

const allow = decision({
  id: 'dec-2',
  verdict: 'allow',
  reasonCode: 'route_allowed',
  reason: 'allowed by EgressL4Route default/openai',
  policy: { kind: 'EgressL4Route', namespace: 'default', name: 'openai' },
  rule: { index: 'rules[1]', label: 'openai' },
});

const check = authorizationServiceDefinition['Check']!;
const onTheWire = (response: unknown): unknown =>
  check.responseDeserialize(check.responseSerialize(response));

describe('toCheckResponse: allow', () => {
  test('HTTP: OK, decision id header with append false, proxy-authorization removed', () => {
    expect(toCheckResponse(allow, 'check-http')).toStrictEqual({
      status: { code: 0 },
      ok_response: {
        headers: [{ header: { key: DECISION_ID_HEADER, value: 'dec-2' }, append: { value: false } }],
        headers_to_remove: ['proxy-authorization'],
      },
      dynamic_metadata: {
        fields: {
          decision_id: { stringValue: 'dec-2' },
          verdict: { stringValue: 'allow' },
          reason_code: { stringValue: 'route_allowed' },
          enforced: { boolValue: true },
          snapshot_version: { numberValue: SNAPSHOT_VERSION },
          rule: { stringValue: 'openai' },
          policy: { stringValue: 'EgressL4Route/default/openai' },
        },
      },
    });
  });

  test('L4: no ok_response (the network filter ignores it), metadata kept', () => {
    const response = toCheckResponse(allow, 'check-l4');
    expect(response.status).toStrictEqual({ code: 0 });
    expect(response).not.toHaveProperty('ok_response');
    expect(response).not.toHaveProperty('denied_response');
    expect(Object.keys(response.dynamic_metadata?.fields ?? {})).toContain('decision_id');
  });

  test('shadow: allowed, not enforced, and says so in the metadata', () => {
    const shadow = decision({ verdict: 'allow', enforced: false, reason: '[shadow] would deny — x' });
    const response = toCheckResponse(shadow, 'check-http');
    expect(response.status?.code).toBe(0);
    expect(response.dynamic_metadata?.fields?.['enforced']).toStrictEqual({ boolValue: false });
  });
});

describe('toCheckResponse: deny', () => {
  test('HTTP: PERMISSION_DENIED with reason, denied_response status/body/headers', () => {
    expect(toCheckResponse(decision(), 'check-http')).toStrictEqual({
      status: { code: 7, message: 'api.evil.example is denied by EgressDenyPolicy default/block-evil' },
      denied_response: {
        status: { code: 403 },
        body: 'blocked by policy\n',
        headers: [
          { header: { key: 'content-type', value: 'text/plain' }, append: { value: false } },
          { header: { key: DECISION_ID_HEADER, value: 'dec-1' }, append: { value: false } },
        ],
      },
      dynamic_metadata: {
        fields: {
          decision_id: { stringValue: 'dec-1' },
          verdict: { stringValue: 'deny' },
          reason_code: { stringValue: 'deny_policy' },
          enforced: { boolValue: true },
          snapshot_version: { numberValue: SNAPSHOT_VERSION },
          rule: { stringValue: 'rules[0].matches[0]' },
          policy: { stringValue: 'EgressDenyPolicy/default/block-evil' },
        },
      },
    });
  });

  test('407 with Proxy-Authenticate passes through; a policy cannot forge the decision id header', () => {
    const auth = decision({
      reasonCode: 'auth_required',
      response: {
        status: 407,
        body: '',
        headers: { 'Proxy-Authenticate': 'Basic realm="portcullis"', 'X-Portcullis-Decision-Id': 'forged' },
      },
    });
    const denied = toCheckResponse(auth, 'check-http').denied_response;
    expect(denied?.status).toStrictEqual({ code: 407 });
    expect(denied?.headers?.map((h) => [h.header?.key, h.header?.value])).toStrictEqual([
      ['Proxy-Authenticate', 'Basic realm="portcullis"'],
      [DECISION_ID_HEADER, 'dec-1'],
    ]);
  });

  test('L4: status 7 only, plus metadata', () => {
    const response = toCheckResponse(decision(), 'check-l4');
    expect(response.status?.code).toBe(7);
    expect(response).not.toHaveProperty('denied_response');
    expect(response.dynamic_metadata?.fields?.['verdict']).toStrictEqual({ stringValue: 'deny' });
  });

  test('policy and rule keys are omitted when the decision has none; cluster-scoped policy has no namespace', () => {
    const bare = decision({ reasonCode: 'no_policy' });
    const { policy: _policy, rule: _rule, ...rest } = bare;
    expect(
      Object.keys(toCheckResponse(rest, 'check-l4').dynamic_metadata?.fields ?? {}).sort(),
    ).toStrictEqual(['decision_id', 'enforced', 'reason_code', 'snapshot_version', 'verdict']);
    const cluster = decision({ policy: { kind: 'MirrordClusterPolicy', namespace: '', name: 'all' } });
    expect(toCheckResponse(cluster, 'check-l4').dynamic_metadata?.fields?.['policy']).toStrictEqual({
      stringValue: 'MirrordClusterPolicy/all',
    });
  });

  test('anything but verdict allow is a deny (zero value is deny)', () => {
    const odd = decision({ verdict: 'maybe' as Decision['verdict'] });
    expect(toCheckResponse(odd, 'check-http').status?.code).toBe(7);
  });
});

describe('on the wire', () => {
  test.each<[string, Decision, CheckSurface]>([
    ['allow http', allow, 'check-http'],
    ['allow l4', allow, 'check-l4'],
    ['deny http', decision(), 'check-http'],
    ['deny l4', decision(), 'check-l4'],
  ])('%s: the encoded response is never empty and keeps every metadata key', (_name, d, surface) => {
    const response = toCheckResponse(d, surface);
    expect(check.responseSerialize(response).length).toBeGreaterThan(0);
    const decoded = onTheWire(response) as { dynamic_metadata: { fields: Record<string, unknown> } };
    expect(Object.keys(decoded.dynamic_metadata.fields).sort()).toStrictEqual(
      Object.keys(response.dynamic_metadata?.fields ?? {}).sort(),
    );
    expect(decoded.dynamic_metadata.fields['decision_id']).toMatchObject({ stringValue: d.id });
  });

  test('deny http decodes with the status enum name Envoy would see as 403', () => {
    expect(onTheWire(toCheckResponse(decision(), 'check-http'))).toMatchObject({
      status: { code: 7 },
      denied_response: { status: { code: 'Forbidden' }, body: 'blocked by policy\n' },
      http_response: 'denied_response',
    });
  });
});

describe('fallbackCheckResponse', () => {
  test.each<[CheckSurface]>([['check-http'], ['check-l4']])('%s: a deny without a Decision', (surface) => {
    const response = fallbackCheckResponse(surface, 'internal error');
    expect(response.status).toStrictEqual({ code: 7, message: 'internal error' });
    if (surface === 'check-http') expect(response.denied_response?.status).toStrictEqual({ code: 403 });
    else expect(response).not.toHaveProperty('denied_response');
    expect(response.dynamic_metadata?.fields?.['reason_code']).toStrictEqual({
      stringValue: 'internal_error',
    });
  });
});
