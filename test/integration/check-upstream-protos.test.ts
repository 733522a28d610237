/**
 * Check over real gRPC on loopback with messages encoded and decoded by Envoy's own upstream API
 * protos (test/support/upstream-envoy-client.ts), not the repository's trimmed copies: the service
 * must read what a real Envoy sends and answer in fields a real Envoy reads.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import { absoluteGetRequest, connectRequest, l4Request } from '../support/envoy-client';
import { testConfig } from '../support/service';
import { createUpstreamAuthorizationClient } from '../support/upstream-envoy-client';
import type { UpstreamAuthorizationClient, UpstreamMessage } from '../support/upstream-envoy-client';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: tls-out, protocol: TLS }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: web }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [api.anthropic.com]
          ports: [{ port: 443 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: github-pinned }
spec:
  parentRefs: [{ name: agents, sectionName: tls-out }]
  rules:
    - matches:
        - destinationHostnames: [api.github.com]
          destinationCIDRs: [140.82.112.0/20]
          ports: [{ port: 443 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [pastebin.com]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { kind: EgressL4Route, name: paste }
  denyResponse:
    statusCode: 403
    message: "paste sites are blocked"
    headers: { x-portcullis-reason: paste }
`;

const HTTP_OUT = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'http-out' };
const TLS_OUT = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'tls-out' };

let dir: string;
let service: RunningService;
let envoy: UpstreamAuthorizationClient;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-upstream-protos-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  service = await startService(testConfig([dir]), createLogger('silent'));
  envoy = createUpstreamAuthorizationClient(service.grpcPort);
});

afterAll(async () => {
  envoy.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

const object = (value: unknown): UpstreamMessage => (value ?? {}) as UpstreamMessage;
const list = (value: unknown): UpstreamMessage[] =>
  Array.isArray(value) ? (value as UpstreamMessage[]) : [];
const statusCode = (res: UpstreamMessage): unknown => object(res['status'])['code'] ?? 0;
/** A dynamic_metadata entry (google.protobuf.Value keys stay camelCase: protobufjs's bundled types). */
const metadataField = (res: UpstreamMessage, key: string): UpstreamMessage =>
  object(object(object(res['dynamic_metadata'])['fields'])[key]);

function headersOf(options: unknown): Record<string, [unknown, unknown]> {
  return Object.fromEntries(
    list(options).map((option) => [
      object(option['header'])['key'],
      [object(option['header'])['value'], object(option['append'])['value']],
    ]),
  );
}

describe('Check through the upstream Envoy protos', () => {
  test('an allowed CONNECT: OK, ok_response headers, credential removed, dynamic metadata', async () => {
    const res = await envoy.check(
      connectRequest('api.anthropic.com:443', { 'proxy-authorization': 'Basic c2VjcmV0' }) as UpstreamMessage,
      HTTP_OUT,
    );
    expect(statusCode(res)).toBe(0);
    expect(res['http_response']).toBe('ok_response');
    const decisionId = metadataField(res, 'decision_id')['stringValue'];
    expect(decisionId).toMatch(/^[0-9a-f-]{36}$/);
    const ok = object(res['ok_response']);
    expect(headersOf(ok['headers'])).toEqual({ 'x-portcullis-decision-id': [decisionId, false] });
    expect(ok['headers_to_remove']).toEqual(['proxy-authorization']);
    expect(metadataField(res, 'verdict')).toMatchObject({ stringValue: 'allow' });
    expect(metadataField(res, 'rule')).toMatchObject({ stringValue: 'rules[0].matches[0]' });
  });

  test("a denied plain HTTP request: PERMISSION_DENIED with the deny policy's 403, body and headers", async () => {
    const res = await envoy.check(
      absoluteGetRequest('pastebin.com', '/raw/abc') as UpstreamMessage,
      HTTP_OUT,
    );
    expect(statusCode(res)).toBe(7);
    expect(res['http_response']).toBe('denied_response');
    const denied = object(res['denied_response']);
    expect(denied['status']).toEqual({ code: 'Forbidden' });
    expect(denied['body']).toBe('paste sites are blocked');
    const headers = headersOf(denied['headers']);
    expect(headers['x-portcullis-reason']).toEqual(['paste', false]);
    expect(headers['x-portcullis-decision-id']?.[0]).toBe(metadataField(res, 'decision_id')['stringValue']);
    expect(metadataField(res, 'verdict')).toMatchObject({ stringValue: 'deny' });
    expect(metadataField(res, 'reason_code')).toMatchObject({ stringValue: 'deny_policy' });
  });

  test('an L4 network-filter Check with SNI: allowed inside the pinned range, denied outside, no HTTP answer', async () => {
    const allowed = await envoy.check(
      l4Request('140.82.112.10', 443, 'api.github.com') as UpstreamMessage,
      TLS_OUT,
    );
    expect(statusCode(allowed)).toBe(0);
    expect(allowed['http_response']).toBeUndefined();
    expect(metadataField(allowed, 'verdict')).toMatchObject({ stringValue: 'allow' });

    const denied = await envoy.check(
      l4Request('198.51.100.7', 443, 'api.github.com') as UpstreamMessage,
      TLS_OUT,
    );
    expect(statusCode(denied)).toBe(7);
    expect(denied['denied_response']).toBeUndefined();
    expect(metadataField(denied, 'verdict')).toMatchObject({ stringValue: 'deny' });
  });
});
