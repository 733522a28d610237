/**
 * The firewall model over the admin API: firewall policies and their rules, attachment to a key and
 * as the workspace default, each taking effect on the next Check; and the dry-run Test, which
 * explains a verdict (layer, resource, rule, reason, trace) without recording anything as traffic.
 */
import { createHash } from 'node:crypto';
import type { CheckResponse } from '../../src/grpc/protos';
import { startAdmin, writePolicyDir, type AdminHarness } from '../support/admin-api';
import { connectAsEnvoy, connectRequest, type EnvoyLikeClient } from '../support/envoy-client';
import { startZone } from '../support/dns-zone';
import type { TestUpstream } from '../support/dns-upstream';

const KEY = 'research-key-1';
const KEY_SHA = createHash('sha256').update(KEY).digest('hex');
const SSRF_RULE = {
  label: 'deny SSRF destinations',
  stage: 'egress',
  verdict: 'deny',
  egress_json:
    '{"deny":["169.254.169.254","10.0.0.0/8","172.16.0.0/12","192.168.0.0/16"],"allow":["api.openai.com"]}',
};

// The firewall policies list CIDRs, so CONNECTs by name are judged by the names' addresses too:
// decisions look them up in this zone (a name missing from it fails closed, `resolution_failed`).
const ZONE = {
  'example.com': '93.184.216.34',
  'arxiv.org': '151.101.3.42',
  'pastebin.com': '104.20.208.21',
  'api.openai.com': '162.159.140.245',
};

let h: AdminHarness;
let envoy: EnvoyLikeClient;
let zone: TestUpstream;
beforeAll(async () => {
  zone = await startZone(ZONE);
  h = await startAdmin({ policyDir: writePolicyDir({}), overrides: { lookupServers: [zone.address] } });
  envoy = connectAsEnvoy(h.service.grpcPort);
});
afterAll(async () => {
  envoy.close();
  await h.close();
  await zone.close();
});

const reasonOf = (res: CheckResponse) =>
  (res.dynamic_metadata?.fields?.['reason_code'] as { stringValue?: string } | undefined)?.stringValue;

async function check(authority: string, key?: string): Promise<[number, string | undefined]> {
  const headers = key === undefined ? {} : { 'proxy-authorization': `Bearer ${key}` };
  const res = await envoy.check(connectRequest(authority, headers));
  return [res.status?.code ?? 0, reasonOf(res)];
}

describe('firewall policies', () => {
  it("creates a policy with OrcaRouter's SSRF rule and makes it the workspace default", async () => {
    const created = await h.call('POST', '/api/workspace/firewall/policies', {
      as: 'developer',
      body: { name: 'ssrf-guard', default_verdict: 'allow', rules: [SSRF_RULE] },
    });
    expect([created.status, created.body['rules']]).toEqual([
      201,
      [
        {
          label: 'deny SSRF destinations',
          stage: 'egress',
          verdict: 'deny',
          egress: {
            allow: ['api.openai.com'],
            deny: ['169.254.169.254', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
          },
        },
      ],
    ]);
    expect(await check('192.168.1.1:443')).toEqual([7, 'no_policy']);
    const set = await h.call('PUT', '/api/workspace/firewall/default', {
      as: 'developer',
      body: { firewall_policy_id: 'ssrf-guard' },
    });
    expect([set.status, set.body]).toEqual([200, { firewall_policy_id: 'ssrf-guard' }]);
    expect(await check('192.168.1.1:443')).toEqual([7, 'firewall_rule_denied']);
    expect(await check('example.com:443')).toEqual([0, 'firewall_default_allowed']);
  });

  it('refuses a second policy of the same name', async () => {
    const res = await h.call('POST', '/api/workspace/firewall/policies', { body: { name: 'ssrf-guard' } });
    expect([res.status, res.body['error']]).toEqual([409, 'already_exists']);
  });

  it('adds, replaces and removes rules by label', async () => {
    const added = await h.call('POST', '/api/workspace/firewall/policies/ssrf-guard/rules', {
      body: { label: 'block paste', verdict: 'deny', egress: { deny: ['pastebin.com'] }, position: 0 },
    });
    expect([added.status, (added.body['rules'] as { label: string }[]).map((r) => r.label)]).toEqual([
      201,
      ['block paste', 'deny SSRF destinations'],
    ]);
    expect(await check('pastebin.com:443')).toEqual([7, 'firewall_rule_denied']);
    const replaced = await h.call(
      'PUT',
      `/api/workspace/firewall/policies/ssrf-guard/rules/${encodeURIComponent('block paste')}`,
      {
        // An audit rule reads like an allow rule: its allow list is the scope.
        body: { label: 'block paste', verdict: 'audit', egress: { allow: ['pastebin.com'] } },
      },
    );
    expect(replaced.status).toBe(200);
    expect(await check('pastebin.com:443')).toEqual([0, 'firewall_audit']);
    const duplicate = await h.call('POST', '/api/workspace/firewall/policies/ssrf-guard/rules', {
      body: { label: 'block paste', verdict: 'deny', egress: { deny: ['x.example'] } },
    });
    expect([duplicate.status, duplicate.body['error']]).toEqual([409, 'already_exists']);
    const removed = await h.call(
      'DELETE',
      `/api/workspace/firewall/policies/ssrf-guard/rules/${encodeURIComponent('block paste')}`,
    );
    expect(removed.status).toBe(200);
    expect(await check('pastebin.com:443')).toEqual([0, 'firewall_default_allowed']);
  });

  it('attaches a policy to a key; the key then resolves to it', async () => {
    await h.call('POST', '/api/workspace/firewall/policies', {
      body: {
        name: 'research-allow-list',
        default_verdict: 'deny',
        rules: [{ label: 'approved sources', verdict: 'allow', egress: { allow: ['arxiv.org'] } }],
      },
    });
    const attached = await h.call('PUT', `/api/workspace/firewall/keys/${KEY_SHA}`, {
      body: { firewall_policy_id: 'research-allow-list', agent: 'researcher' },
    });
    expect([attached.status, attached.body]).toMatchObject([
      200,
      {
        key_sha256: KEY_SHA,
        firewall_policy_id: 'research-allow-list',
        agent: 'researcher',
        source: 'admin',
      },
    ]);
    expect(await check('example.com:443', KEY)).toEqual([7, 'firewall_default_denied']);
    expect(await check('arxiv.org:443', KEY)).toEqual([0, 'firewall_rule_allowed']);
    expect(await check('example.com:443')).toEqual([0, 'firewall_default_allowed']);
    const inUse = await h.call('DELETE', '/api/workspace/firewall/policies/research-allow-list');
    expect([inUse.status, inUse.body['error']]).toEqual([409, 'policy_in_use']);
    const missing = await h.call('PUT', `/api/workspace/firewall/keys/${KEY_SHA}`, {
      body: { firewall_policy_id: 'no-such-policy' },
    });
    expect([missing.status, missing.body['error']]).toEqual([404, 'not_found']);
  });

  it('detaches the key and deletes the policy', async () => {
    expect((await h.call('DELETE', `/api/workspace/firewall/keys/${KEY_SHA}`)).status).toBe(200);
    expect(await check('example.com:443', KEY)).toEqual([0, 'firewall_default_allowed']);
    expect((await h.call('DELETE', '/api/workspace/firewall/policies/research-allow-list')).status).toBe(200);
    const list = await h.call('GET', '/api/workspace/firewall/policies', { as: 'member' });
    expect((list.body['policies'] as { name: string }[]).map((p) => p.name)).toEqual(['ssrf-guard']);
  });
});

describe('dry-run Test', () => {
  it('returns the verdict, deciding layer, resource, rule, reason and the trace of every layer', async () => {
    const res = await h.call('POST', '/api/test', {
      as: 'developer',
      body: { agent: { name: 'tester' }, destination: 'http://10.1.2.3:8080/admin?token=x' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      dry_run: true,
      verdict: 'deny',
      layer: 'firewall',
      reasonCode: 'firewall_rule_denied',
      policy: { kind: 'EgressFirewallPolicy', name: 'ssrf-guard' },
      rule: { label: 'deny SSRF destinations' },
      agent: { name: 'tester', identifiedBy: 'context' },
    });
    expect((res.body['trace'] as { layer: string }[]).map((t) => t.layer)).toEqual([
      'sanity',
      'ssrf',
      'global',
      'gateway',
      'mirrord',
      'firewall',
      'namespace',
    ]);
  });

  it('resolves a name against CIDR entries with the fixed answers given', async () => {
    const res = await h.call('POST', '/api/test', {
      body: { destination: 'metadata.internal:80', resolve: { 'metadata.internal': ['169.254.169.254'] } },
    });
    expect([res.body['verdict'], res.body['reasonCode']]).toEqual(['deny', 'firewall_rule_denied']);
  });

  it('tries a draft policy (YAML) in place of the loaded one, changing nothing', async () => {
    const draft = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressFirewallPolicy
metadata: { name: ssrf-guard }
spec:
  workspaceDefault: true
  defaultVerdict: deny
  rules: []
`;
    const res = await h.call('POST', '/api/test', { body: { destination: 'example.com:443', draft } });
    expect([res.body['verdict'], res.body['reasonCode']]).toEqual(['deny', 'firewall_default_denied']);
    expect(await check('example.com:443')).toEqual([0, 'firewall_default_allowed']);
  });

  it('answers invalid_policy for a draft that does not validate', async () => {
    const res = await h.call('POST', '/api/test', {
      body: {
        destination: 'example.com:443',
        draft: [
          {
            apiVersion: 'egress.portcullis.dev/v1alpha1',
            kind: 'EgressNamespace',
            metadata: { name: 'x' },
            spec: { allowedDomains: ['bad..name'] },
          },
        ],
      },
    });
    expect([res.status, res.body['error']]).toEqual([422, 'invalid_policy']);
    expect(res.body['issues']).toEqual([
      expect.objectContaining({ code: 'POLICY_INVALID_HOSTNAME', resource: 'draft[0]' }),
    ]);
  });

  it('records nothing as traffic', async () => {
    h.service.metrics.registry.resetMetrics();
    for (let i = 0; i < 3; i++)
      await h.call('POST', '/api/test', { body: { destination: 'example.com:443' } });
    await new Promise((r) => setTimeout(r, 400));
    const events = await h.call('GET', '/api/events?type=proxy_domain_allowed&agent=anonymous&limit=1000');
    const dryRuns = (events.body['events'] as { via: string }[]).filter((e) => e.via === 'dry-run');
    expect(dryRuns).toEqual([]);
    expect(
      await h.service.metrics.registry.getSingleMetricAsString('portcullis_decisions_total'),
    ).not.toContain('dry-run');
  });
});
