/**
 * The namespace model's walkthrough (the credential proxy's "Egress & namespace policy" page)
 * against the real service: each curl example as the page writes it (same method, path, body and
 * content type: the page often omits `-H Content-Type`, so curl sends form encoding), its expected
 * answer, and its effect on the next Check over gRPC, with no restart.
 */
import { createHash } from 'node:crypto';
import type { CheckResponse } from '../../src/grpc/protos';
import { startAdmin, writePolicyDir, type AdminHarness } from '../support/admin-api';
import { connectAsEnvoy, connectRequest, type EnvoyLikeClient } from '../support/envoy-client';

const KEY = 'payments-eu-key';
const AGENTS = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: payments-eu }
spec:
  namespace: prod/payments/eu-west
  recognise:
    keys: [{ sha256: ${createHash('sha256').update(KEY).digest('hex')} }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: payments }
spec:
  namespace: prod/payments
`;

/** `curl -X METHOD URL -d BODY` without `-H Content-Type`: curl labels the JSON as a form. */
const CURL_FORM = 'application/x-www-form-urlencoded';

let h: AdminHarness;
let envoy: EnvoyLikeClient;

beforeAll(async () => {
  h = await startAdmin({ policyDir: writePolicyDir({ 'agents.yaml': AGENTS }) });
  envoy = connectAsEnvoy(h.service.grpcPort);
});
afterAll(async () => {
  envoy.close();
  await h.close();
});

const reasonOf = (res: CheckResponse) =>
  (res.dynamic_metadata?.fields?.['reason_code'] as { stringValue?: string } | undefined)?.stringValue;

/** Verdict (0 allow, 7 deny) and reason code of one CONNECT, as the named agent. */
async function check(authority: string, agent?: string, key?: string): Promise<[number, string | undefined]> {
  const headers = key === undefined ? {} : { 'proxy-authorization': `Bearer ${key}` };
  const metadata = agent === undefined ? {} : { 'x-portcullis-agent': agent };
  const res = await envoy.check(connectRequest(authority, headers), metadata);
  return [res.status?.code ?? 0, reasonOf(res)];
}

describe('namespace model Layer 1: egress allow/block', () => {
  it('adds an allow (with Content-Type) and the next Check sees it', async () => {
    expect(await check('api.stripe.com:443', undefined, KEY)).toEqual([7, 'no_policy']);
    const res = await h.call('POST', '/api/policy/egress/allow', {
      raw: `{
        "domain":       "api.stripe.com",
        "reason":       "payments",
        "require_auth": true
      }`,
    });
    expect([res.status, res.body]).toEqual([
      201,
      { list: 'allow', domain: 'api.stripe.com', reason: 'payments', require_auth: true },
    ]);
    expect(await check('api.stripe.com:443', undefined, KEY)).toEqual([0, 'global_allowed']);
    // require_auth: an agent known only by name is not authenticated.
    expect(await check('api.stripe.com:443', 'payments')).toEqual([7, 'auth_required']);
  });

  it('adds several domains as the loop does (no Content-Type)', async () => {
    for (const d of [
      'api.stripe.com',
      'api.github.com',
      'api.bank.eu',
      'oauth2.googleapis.com',
      's3.eu-west-1.amazonaws.com',
    ]) {
      const res = await h.call('POST', '/api/policy/egress/allow', {
        raw: `{"domain":"${d}","reason":"prod","require_auth":true}`,
        contentType: CURL_FORM,
      });
      expect([d, res.status]).toEqual([d, d === 'api.stripe.com' ? 200 : 201]);
    }
    const tables = await h.call('GET', '/api/policy/egress', { as: 'member' });
    expect((tables.body['allowed'] as { domain: string }[]).map((r) => r.domain)).toEqual([
      'api.stripe.com',
      'api.github.com',
      'api.bank.eu',
      'oauth2.googleapis.com',
      's3.eu-west-1.amazonaws.com',
    ]);
    expect(await check('api.github.com:443', undefined, KEY)).toEqual([0, 'global_allowed']);
  });

  it('blocks, and a block wins over an allow of the same domain', async () => {
    const res = await h.call('POST', '/api/policy/egress/block', {
      raw: '{"domain":"evil-c2.example","reason":"threat-intel"}',
      contentType: CURL_FORM,
    });
    expect([res.status, res.body]).toEqual([
      201,
      { list: 'block', domain: 'evil-c2.example', reason: 'threat-intel' },
    ]);
    expect(await check('evil-c2.example:443', undefined, KEY)).toEqual([7, 'global_blocked']);
    await h.call('POST', '/api/policy/egress/allow', {
      body: { domain: 'evil-c2.example', require_auth: false },
    });
    expect(await check('evil-c2.example:443', undefined, KEY)).toEqual([7, 'global_blocked']);
    await h.call('DELETE', '/api/policy/egress/allow?domain=evil-c2.example');
  });

  it('removes an allow', async () => {
    const res = await h.call('DELETE', '/api/policy/egress/allow?domain=api.stripe.com');
    expect([res.status, res.body]).toEqual([
      200,
      { list: 'allow', removed: { domain: 'api.stripe.com', reason: 'prod', require_auth: true } },
    ]);
    expect(await check('api.stripe.com:443', undefined, KEY)).toEqual([7, 'namespace_not_allowed']);
    const again = await h.call('DELETE', '/api/policy/egress/allow?domain=api.stripe.com');
    expect([again.status, again.body['error']]).toEqual([404, 'not_found']);
    await h.call('POST', '/api/policy/egress/allow', {
      body: { domain: 'api.stripe.com', reason: 'payments', require_auth: true },
    });
  });
});

describe('namespace model Layer 2: namespaces', () => {
  it('creates prod/payments', async () => {
    const res = await h.call('POST', '/api/fleet/namespaces', {
      raw: `{
        "name":            "prod/payments",
        "description":     "payment-service workloads",
        "allowed_domains": ["api.stripe.com","api.bank.eu"]
      }`,
    });
    expect([res.status, res.body]).toEqual([
      201,
      {
        name: 'prod/payments',
        parent: 'prod',
        depth: 2,
        description: 'payment-service workloads',
        allowed_domains: ['api.stripe.com', 'api.bank.eu'],
        blocked_domains: [],
        source: 'admin',
      },
    ]);
  });

  it('creates a child that narrows further; the leaf decides', async () => {
    const res = await h.call('POST', '/api/fleet/namespaces', {
      raw: `{
        "name":            "prod/payments/eu-west",
        "description":     "EU-only payments cluster",
        "allowed_domains": ["api.bank.eu"]
      }`,
    });
    expect([res.status, res.body['allowed_domains']]).toEqual([201, ['api.bank.eu']]);
    // "a workload in prod/payments/eu-west calling api.stripe.com is denied ... even though the parent does"
    expect(await check('api.stripe.com:443', 'payments-eu')).toEqual([7, 'namespace_not_allowed']);
    expect(await check('api.bank.eu:443', 'payments-eu')).toEqual([0, 'namespace_allowed']);
    expect(await check('api.stripe.com:443', 'payments')).toEqual([0, 'namespace_allowed']);
  });

  it('rejects a child that widens, with the documented body', async () => {
    const res = await h.call('POST', '/api/fleet/namespaces', {
      raw: `{
        "name":            "prod/payments/eu-west",
        "allowed_domains": ["api.stripe.com","api.bank.eu","api.foo.com"]
      }`,
      contentType: CURL_FORM,
    });
    expect([res.status, res.body]).toEqual([
      409,
      {
        error: 'child_widens_parent',
        namespace: 'prod/payments/eu-west',
        domain: 'api.foo.com',
        ancestor: 'prod/payments',
        message: 'domain api.foo.com is not covered by ancestor prod/payments',
      },
    ]);
    const unchanged = await h.call('GET', '/api/fleet/namespaces/prod/payments/eu-west', { as: 'member' });
    expect(unchanged.body['allowed_domains']).toEqual(['api.bank.eu']);
  });

  it('rejects a parent update that would break a child, with cascade_warnings', async () => {
    const res = await h.call('PATCH', '/api/fleet/namespaces/prod/payments', {
      body: { allowed_domains: ['api.stripe.com'] },
    });
    expect([res.status, res.body]).toEqual([
      409,
      {
        error: 'cascade_violations',
        message: expect.stringContaining('?force=true') as unknown,
        cascade_warnings: [{ child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] }],
      },
    ]);
    expect(await check('api.bank.eu:443', 'payments-eu')).toEqual([0, 'namespace_allowed']);
  });

  it('applies it with ?force=true, returns the warnings, and the broken child denies', async () => {
    const res = await h.call('PATCH', '/api/fleet/namespaces/prod/payments?force=true', {
      body: { allowed_domains: ['api.stripe.com'] },
    });
    expect([res.status, res.body['allowed_domains'], res.body['cascade_warnings']]).toEqual([
      200,
      ['api.stripe.com'],
      [{ child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] }],
    ]);
    expect(await check('api.bank.eu:443', 'payments-eu')).toEqual([7, 'namespace_not_allowed']);
    const child = await h.call('GET', '/api/fleet/namespaces/prod/payments/eu-west', { as: 'member' });
    expect(child.body['cascade_forced']).toEqual({ uncovered_domains: ['api.bank.eu'] });
    const events = await h.call('GET', '/api/events?type=namespace_updated&limit=1', { as: 'developer' });
    expect((events.body['events'] as Record<string, unknown>[])[0]).toMatchObject({
      namespace: 'prod/payments',
      forced: true,
      cascade_warnings: [{ child: 'prod/payments/eu-west', uncovered_domains: ['api.bank.eu'] }],
    });
  });

  it('fixing the child clears its forced mark', async () => {
    const res = await h.call('PUT', '/api/fleet/namespaces/prod/payments/eu-west', {
      body: { description: 'EU-only payments cluster', allowed_domains: ['api.stripe.com'] },
    });
    expect([res.status, res.body['cascade_forced']]).toEqual([200, undefined]);
    expect(await check('api.stripe.com:443', 'payments-eu')).toEqual([0, 'namespace_allowed']);
  });

  it('quarantines a namespace with an empty list (force cuts its children off too)', async () => {
    const refused = await h.call('POST', '/api/fleet/namespaces', {
      raw: `{
        "name":            "prod/payments",
        "allowed_domains": []
      }`,
      contentType: CURL_FORM,
    });
    expect([refused.status, refused.body['error']]).toEqual([409, 'cascade_violations']);
    const res = await h.call('POST', '/api/fleet/namespaces?force=true', {
      raw: '{"name":"prod/payments","allowed_domains":[]}',
      contentType: CURL_FORM,
    });
    expect([res.status, res.body['allowed_domains'], res.body['description']]).toEqual([
      200,
      [],
      'payment-service workloads',
    ]);
    expect(await check('api.stripe.com:443', 'payments')).toEqual([7, 'namespace_quarantined']);
    expect(await check('api.stripe.com:443', 'payments-eu')).toEqual([7, 'namespace_quarantined']);
  });

  it('lists namespaces and workloads as the Fleet page shows them', async () => {
    const list = await h.call('GET', '/api/fleet/namespaces', { as: 'member' });
    expect(
      (list.body['namespaces'] as Record<string, unknown>[]).map((n) => [n['name'], n['parent'], n['depth']]),
    ).toEqual([
      ['prod/payments', 'prod', 2],
      ['prod/payments/eu-west', 'prod/payments', 3],
    ]);
    const workloads = await h.call('GET', '/api/fleet/workloads', { as: 'member' });
    expect(
      (workloads.body['workloads'] as Record<string, unknown>[]).map((w) => [w['name'], w['namespace']]),
    ).toEqual([
      ['payments-eu', 'prod/payments/eu-west'],
      ['payments', 'prod/payments'],
    ]);
  });

  it('records every change under the documented event names', async () => {
    const res = await h.call('GET', '/api/events?limit=1000', { as: 'developer' });
    const types = new Set((res.body['events'] as { type: string }[]).map((e) => e.type));
    for (const t of [
      'policy_allow',
      'policy_block',
      'policy_removed',
      'namespace_created',
      'namespace_updated',
    ]) {
      expect(types).toContain(t);
    }
  });
});
