/**
 * The ext_authz contract, end to end over real gRPC on loopback: requests shaped exactly as Envoy
 * sends them (docs/envoy-contract.md §3.1, §3.2) against the real service (loader, compiler,
 * engine, adapter), asserting what Envoy reads back (§4): status codes, denied_response, ok_response
 * header options and dynamic metadata.
 */
import { status } from '@grpc/grpc-js';
import { testConfig } from '../support/service';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import type { ServeConfig } from '../../src/config/serve-config';
import type { CheckRequest, CheckResponse } from '../../src/grpc/protos';
import {
  absoluteGetRequest,
  connectAsEnvoy,
  connectRequest,
  l4Request,
  transparentGetRequest,
  type EnvoyLikeClient,
} from '../support/envoy-client';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: tls-out, protocol: TLS }
    - { name: tcp-out, protocol: TCP }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: web }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [api.anthropic.com, "*.openai.com", docs.example.com]
          ports: [{ port: 443 }, { port: 80 }]
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
metadata: { name: db }
spec:
  parentRefs: [{ name: agents, sectionName: tcp-out }]
  rules:
    - matches:
        - destinationCIDRs: [10.20.0.0/16]
          ports: [{ port: 5432 }]
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

let dir: string;
let service: RunningService;
let envoy: EnvoyLikeClient;
const meta = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'http-out' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-contract-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  const config: ServeConfig = testConfig([dir]);
  service = await startService(config, createLogger('silent'));
  envoy = connectAsEnvoy(service.grpcPort);
});

afterAll(async () => {
  envoy.close();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

const field = (res: CheckResponse, key: string): Record<string, unknown> | undefined =>
  res.dynamic_metadata?.fields?.[key] as Record<string, unknown> | undefined;

describe('HTTP filter, explicit proxy CONNECT', () => {
  it('allows: status 0, decision id header with append false, credential removed, metadata', async () => {
    const res = await envoy.check(
      connectRequest('api.anthropic.com:443', { 'proxy-authorization': 'Basic c2VjcmV0' }),
      meta,
    );
    expect(res.status?.code ?? 0).toBe(0);
    expect(res.http_response).toBe('ok_response');
    const id = field(res, 'decision_id')?.['stringValue'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.ok_response?.headers).toEqual([
      { header: { key: 'x-portcullis-decision-id', value: id }, append: { value: false } },
    ]);
    expect(res.ok_response?.headers_to_remove).toEqual(['proxy-authorization']);
    expect(field(res, 'verdict')).toMatchObject({ stringValue: 'allow' });
    expect(field(res, 'rule')).toMatchObject({ stringValue: 'rules[0].matches[0]' });
    expect(field(res, 'snapshot_version')).toMatchObject({ numberValue: 1 });
  });

  it('denies through a deny policy: status 7 and its custom 403', async () => {
    const res = await envoy.check(connectRequest('pastebin.com:443'), meta);
    expect(res.status?.code).toBe(7);
    expect(res.http_response).toBe('denied_response');
    expect(res.denied_response?.status).toEqual({ code: 'Forbidden' });
    expect(res.denied_response?.body).toBe('paste sites are blocked');
    const headers = Object.fromEntries(
      (res.denied_response?.headers ?? []).map((h) => [h.header?.key, [h.header?.value, h.append?.value]]),
    );
    expect(headers['x-portcullis-reason']).toEqual(['paste', false]);
    expect(headers['x-portcullis-decision-id']?.[0]).toBe(field(res, 'decision_id')?.['stringValue']);
    expect(field(res, 'reason_code')).toMatchObject({ stringValue: 'deny_policy' });
  });

  it('denies by default with a 403 whose body names the reason code', async () => {
    const res = await envoy.check(connectRequest('exfil.example.net:443'), meta);
    expect(res.status?.code).toBe(7);
    expect(res.denied_response?.status).toEqual({ code: 'Forbidden' });
    expect(res.denied_response?.body).toContain('gateway_default_deny');
  });

  it('never uses destination.address (the proxy listener) as the target', async () => {
    const req = connectRequest('10.20.1.5:5432');
    const res = await envoy.check(req, {
      'x-portcullis-gateway': 'agents',
      'x-portcullis-listener': 'tcp-out',
    });
    // 10.20.1.5 is allowed on tcp-out; the listener address 10.0.0.10:10000 would not be.
    expect(res.status?.code ?? 0).toBe(0);
  });

  it('denies a CONNECT to a guarded address however it is spelled', async () => {
    for (const authority of [
      '169.254.169.254:80',
      '[::ffff:a9fe:a9fe]:80',
      '0xa9fea9fe:80',
      '2852039166:80',
    ]) {
      const res = await envoy.check(connectRequest(authority), meta);
      expect([authority, res.status?.code, field(res, 'reason_code')?.['stringValue']]).toEqual([
        authority,
        7,
        'ssrf_guard',
      ]);
    }
  });

  it('takes gateway and listener from context_extensions too', async () => {
    const base = connectRequest('10.20.1.5:5432');
    const req: CheckRequest = {
      attributes: { ...base.attributes, context_extensions: { gateway: 'agents', listener: 'tcp-out' } },
    };
    const res = await envoy.check(req);
    expect(res.status?.code ?? 0).toBe(0);
  });
});

describe('HTTP filter, plain HTTP', () => {
  it('absolute-form: host from :authority, port from the scheme', async () => {
    const ok = await envoy.check(absoluteGetRequest('docs.example.com', '/v1/models?x=1'), meta);
    expect(ok.status?.code ?? 0).toBe(0);
    const denied = await envoy.check(absoluteGetRequest('docs.example.com:8080', '/'), meta);
    expect(denied.status?.code).toBe(7);
  });

  it('transparent: the Host name and the original destination are both checked', async () => {
    const md = {
      'x-portcullis-gateway': 'agents',
      'x-portcullis-listener': 'tls-out',
      'x-portcullis-mode': 'transparent',
    };
    const inside = await envoy.check(transparentGetRequest('api.github.com:443', '140.82.113.3', 443), md);
    expect(inside.status?.code ?? 0).toBe(0);
    const spoofed = await envoy.check(transparentGetRequest('api.github.com:443', '203.0.113.9', 443), md);
    expect(spoofed.status?.code).toBe(7);
  });
});

describe('network filter (L4)', () => {
  const tls = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'tls-out' };

  it('matches the SNI from tls_session and the original destination together', async () => {
    const res = await envoy.check(l4Request('140.82.112.10', 443, 'api.github.com'), tls);
    expect(res.status?.code ?? 0).toBe(0);
    expect(res.http_response).toBeUndefined();
    expect(field(res, 'verdict')).toMatchObject({ stringValue: 'allow' });
  });

  it('denies a lying SNI toward an address outside the pinned range, with no HTTP body', async () => {
    const res = await envoy.check(l4Request('198.51.100.7', 443, 'api.github.com'), tls);
    expect(res.status?.code).toBe(7);
    expect(res.denied_response).toBeUndefined();
  });

  it('reads SNI from destination.service when tls_session is absent', async () => {
    const base = l4Request('140.82.112.10', 443);
    const req: CheckRequest = {
      attributes: {
        ...base.attributes,
        destination: { ...base.attributes?.destination, service: 'api.github.com' },
      },
    };
    expect((await envoy.check(req, tls)).status?.code ?? 0).toBe(0);
  });

  it('matches a CIDR route on plain TCP', async () => {
    const md = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'tcp-out' };
    expect((await envoy.check(l4Request('10.20.9.9', 5432), md)).status?.code ?? 0).toBe(0);
    expect((await envoy.check(l4Request('10.21.9.9', 5432), md)).status?.code).toBe(7);
  });
});

describe('failing closed without gRPC errors', () => {
  it('answers a CheckRequest with no attributes as a deny (invalid_request)', async () => {
    const res = await envoy.check({}, meta);
    expect(res.status?.code).toBe(7);
    expect(field(res, 'reason_code')).toMatchObject({ stringValue: 'invalid_request' });
  });

  it('answers an unparsable authority as a deny (invalid_destination)', async () => {
    const res = await envoy.check(connectRequest('user@api.anthropic.com:443'), meta);
    expect(res.status?.code).toBe(7);
    expect(field(res, 'reason_code')).toMatchObject({ stringValue: 'invalid_destination' });
  });

  it('answers an unknown gateway as a deny of its own', async () => {
    const res = await envoy.check(connectRequest('api.anthropic.com:443'), {
      'x-portcullis-gateway': 'nope',
    });
    expect(field(res, 'reason_code')).toMatchObject({ stringValue: 'gateway_unknown' });
  });
});

describe('health', () => {
  it.each(['', 'envoy.service.auth.v3.Authorization'])('reports SERVING for "%s"', async (name) => {
    expect(await envoy.health(name)).toEqual({ status: 'SERVING' });
  });

  it('answers NOT_FOUND for ExternalProcessor, which serve does not register', async () => {
    await expect(envoy.health('envoy.service.ext_proc.v3.ExternalProcessor')).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});
