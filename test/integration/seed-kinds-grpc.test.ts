/**
 * The firewall and namespace models (test/fixtures/seeds/002, 003) through the real service over
 * gRPC, with the agent identified as Envoy would make it known: a key in Proxy-Authorization, an
 * mTLS principal, or the agent name in gRPC metadata.
 */
import { testConfig } from '../support/service';
import path from 'node:path';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import type { CheckRequest, CheckResponse } from '../../src/grpc/protos';
import { connectAsEnvoy, connectRequest, type EnvoyLikeClient } from '../support/envoy-client';
import { startZone } from '../support/dns-zone';
import type { TestUpstream } from '../support/dns-upstream';

const seed = (n: string) => path.resolve(__dirname, '../fixtures/seeds', n);

// Firewall lists with CIDR entries judge a name by its addresses: decisions look them up here.
const ZONE = {
  'example.com': '93.184.216.34',
  'arxiv.org': '151.101.3.42',
  'api.bank.eu': '198.51.100.20',
};
let zone: TestUpstream;
beforeAll(async () => (zone = await startZone(ZONE)));
afterAll(async () => zone.close());

async function start(policy: string): Promise<{ service: RunningService; envoy: EnvoyLikeClient }> {
  const service = await startService(
    testConfig([policy], { lookupServers: [zone.address] }),
    createLogger('silent'),
  );
  return { service, envoy: connectAsEnvoy(service.grpcPort) };
}

const reason = (res: CheckResponse) =>
  (res.dynamic_metadata?.fields?.['reason_code'] as { stringValue?: string } | undefined)?.stringValue;

function withPrincipal(req: CheckRequest, principal: string): CheckRequest {
  const source = { ...req.attributes?.source, principal };
  return { attributes: { ...req.attributes, source } };
}

describe('firewall policies over gRPC', () => {
  let running: { service: RunningService; envoy: EnvoyLikeClient };
  beforeAll(async () => (running = await start(seed('002'))));
  afterAll(async () => {
    running.envoy.close();
    await running.service.close();
  });

  it('applies the workspace default to an unidentified caller', async () => {
    const res = await running.envoy.check(connectRequest('192.168.1.1:443'));
    expect([res.status?.code, reason(res)]).toEqual([7, 'firewall_rule_denied']);
    const ok = await running.envoy.check(connectRequest('example.com:443'));
    expect([ok.status?.code ?? 0, reason(ok)]).toEqual([0, 'firewall_default_allowed']);
  });

  it("applies the key's policy when the agent presents its key, and strips the credential", async () => {
    const bearer = { 'proxy-authorization': 'Bearer research-key-1' };
    const denied = await running.envoy.check(connectRequest('example.com:443', bearer));
    expect([denied.status?.code, reason(denied)]).toEqual([7, 'firewall_default_denied']);
    const allowed = await running.envoy.check(connectRequest('arxiv.org:443', bearer));
    expect([allowed.status?.code ?? 0, reason(allowed)]).toEqual([0, 'firewall_rule_allowed']);
    expect(allowed.ok_response?.headers_to_remove).toContain('proxy-authorization');
  });

  it('takes the password of Basic credentials as the key', async () => {
    const basic = {
      'proxy-authorization': `Basic ${Buffer.from('researcher:research-key-1').toString('base64')}`,
    };
    expect(reason(await running.envoy.check(connectRequest('example.com:443', basic)))).toBe(
      'firewall_default_denied',
    );
  });

  it('treats a wrong key as an unidentified caller', async () => {
    const wrong = { 'proxy-authorization': 'Bearer not-the-key' };
    expect(reason(await running.envoy.check(connectRequest('example.com:443', wrong)))).toBe(
      'firewall_default_allowed',
    );
  });
});

describe('namespaces and global lists over gRPC', () => {
  let running: { service: RunningService; envoy: EnvoyLikeClient };
  beforeAll(async () => (running = await start(seed('003'))));
  afterAll(async () => {
    running.envoy.close();
    await running.service.close();
  });

  it('walks the namespace of the agent Envoy names', async () => {
    const eu = { 'x-portcullis-agent': 'payments-eu' };
    expect(reason(await running.envoy.check(connectRequest('api.bank.eu:443'), eu))).toBe(
      'namespace_allowed',
    );
    const stripe = await running.envoy.check(connectRequest('api.stripe.com:443'), eu);
    expect([stripe.status?.code, reason(stripe)]).toEqual([7, 'namespace_not_allowed']);
  });

  it('lets require_auth entries allow only an authenticated agent', async () => {
    const anonymous = await running.envoy.check(connectRequest('api.stripe.com:443'));
    expect(reason(anonymous)).toBe('auth_required');
    const mtls = withPrincipal(connectRequest('api.stripe.com:443'), 'spiffe://cluster.local/ns/ops/sa/bot');
    expect(reason(await running.envoy.check(mtls))).toBe('global_allowed');
  });

  it('blocks a globally blocked domain with a 403', async () => {
    const res = await running.envoy.check(connectRequest('evil-c2.example:443'), {
      'x-portcullis-agent': 'payments',
    });
    expect([res.status?.code, reason(res), res.denied_response?.status?.code]).toEqual([
      7,
      'global_blocked',
      'Forbidden',
    ]);
  });
});
