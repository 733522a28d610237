/**
 * What the admin API refuses, over real HTTP: each kind of bad input with its stable error code,
 * and the firewall model's role table (401 without a known token, 403 with too small a role).
 */
import { startAdmin, writePolicyDir, type AdminHarness, type TokenRole } from '../support/admin-api';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdmin({ policyDir: writePolicyDir({}) });
});
afterAll(() => h.close());

describe('invalid bodies and queries', () => {
  it.each([
    [
      'wrong type',
      'POST',
      '/api/policy/egress/allow',
      { body: { domain: 42 } },
      400,
      'wrong_type',
      'body.domain',
    ],
    [
      'wrong type in a list',
      'POST',
      '/api/fleet/namespaces',
      { body: { name: 'prod', allowed_domains: ['a.example', 7] } },
      400,
      'wrong_type',
      'body.allowed_domains[1]',
    ],
    [
      'boolean as a string',
      'POST',
      '/api/policy/egress/allow',
      { body: { domain: 'a.example', require_auth: 'yes' } },
      400,
      'wrong_type',
      'body.require_auth',
    ],
    [
      'unknown field',
      'POST',
      '/api/policy/egress/allow',
      { body: { domain: 'a.example', reasn: 'typo' } },
      400,
      'unknown_field',
      'body.reasn',
    ],
    [
      'require_auth on a block',
      'POST',
      '/api/policy/egress/block',
      { body: { domain: 'a.example', require_auth: true } },
      400,
      'unknown_field',
      'body.require_auth',
    ],
    [
      'missing field',
      'POST',
      '/api/fleet/namespaces',
      { body: { description: 'x' } },
      400,
      'missing_field',
      'body.name',
    ],
    [
      'bad namespace path',
      'POST',
      '/api/fleet/namespaces',
      { body: { name: 'Prod//x' } },
      400,
      'invalid_value',
      'body.name',
    ],
    [
      'bad domain',
      'POST',
      '/api/policy/egress/allow',
      { body: { domain: 'exa mple.com' } },
      400,
      'invalid_domain',
      'body.domain',
    ],
    [
      'bad wildcard',
      'POST',
      '/api/fleet/namespaces',
      { body: { name: 'prod', allowed_domains: ['api.*.example.com'] } },
      400,
      'invalid_domain',
      'body.allowed_domains[0]',
    ],
    [
      'bad domain in a query',
      'DELETE',
      '/api/policy/egress/block?domain=-bad-.example',
      {},
      400,
      'invalid_domain',
      'query.domain',
    ],
    ['unknown query parameter', 'GET', '/api/events?colour=red', {}, 400, 'unknown_field', 'query.colour'],
    ['limit out of range', 'GET', '/api/events?limit=5000', {}, 400, 'invalid_value', 'query.limit'],
    ['not JSON', 'POST', '/api/policy/egress/allow', { raw: '{"domain": ' }, 400, 'invalid_json', undefined],
    [
      'not JSON, curl form encoding',
      'POST',
      '/api/policy/egress/allow',
      { raw: 'domain=a.example', contentType: 'application/x-www-form-urlencoded' },
      400,
      'invalid_json',
      undefined,
    ],
    [
      'huge payload',
      'POST',
      '/api/policy/egress/allow',
      { raw: JSON.stringify({ domain: 'a.example', reason: 'x'.repeat(2 * 1024 * 1024) }) },
      413,
      'payload_too_large',
      undefined,
    ],
    [
      'reason too long',
      'POST',
      '/api/policy/egress/allow',
      { body: { domain: 'a.example', reason: 'x'.repeat(5000) } },
      400,
      'invalid_value',
      'body.reason',
    ],
    [
      'unsupported media type',
      'POST',
      '/api/policy/egress/allow',
      { raw: 'domain: a.example', contentType: 'text/yaml' },
      415,
      'unsupported_media_type',
      undefined,
    ],
    ['unknown route', 'GET', '/api/nothing-here', {}, 404, 'not_found', undefined],
  ] as const)('%s', async (_name, method, url, options, status, code, field) => {
    const res = await h.call(method, url, options);
    expect([res.status, res.body['error'], res.body['field']]).toEqual([status, code, field]);
    expect(typeof res.body['message']).toBe('string');
  });

  it('changes nothing when it refuses', async () => {
    const tables = await h.call('GET', '/api/policy/egress');
    expect(tables.body).toEqual({ allowed: [], blocked: [] });
    const namespaces = await h.call('GET', '/api/fleet/namespaces');
    expect(namespaces.body).toEqual({ namespaces: [] });
  });

  it('reports every problem of a body, each with its field, and stores nothing', async () => {
    const res = await h.call('POST', '/api/workspace/firewall/policies', {
      body: {
        name: 'three-problems',
        shadow_mode: 'yes',
        rules: [{ label: 'metadata', verdict: 'block', egress: { deny: ['169.254.169.254'] } }],
        colour: 'red',
      },
    });
    expect([res.status, res.body['error'], res.body['field']]).toEqual([400, 'unknown_field', 'body.colour']);
    expect(res.body['issues']).toEqual([
      { code: 'unknown_field', field: 'body.colour', message: 'unknown field body.colour' },
      { code: 'wrong_type', field: 'body.shadow_mode', message: 'body.shadow_mode must be boolean' },
      {
        code: 'invalid_value',
        field: 'body.rules[0].verdict',
        message: expect.stringContaining('must be equal to one of the allowed values') as unknown,
      },
    ]);
    const stored = await h.call('GET', '/api/workspace/firewall/policies/three-problems');
    expect(stored.status).toBe(404);
  });

  it('refuses a firewall rule whose lists are empty (validation on save)', async () => {
    const res = await h.call('POST', '/api/workspace/firewall/policies', {
      body: {
        name: 'empty-rule',
        rules: [{ label: 'nothing', verdict: 'deny', egress_json: '{"deny":[],"allow":[]}' }],
      },
    });
    expect([res.status, res.body['error']]).toEqual([422, 'invalid_policy']);
    expect(res.body['issues']).toEqual([
      expect.objectContaining({
        code: 'POLICY_MISSING_FIELD',
        resource: 'admin:EgressFirewallPolicy/empty-rule',
        path: 'spec.rules[0].egress_json',
        message: expect.stringContaining('at least one allow or deny entry') as unknown,
      }),
    ]);
  });
});

describe('roles', () => {
  type Need = TokenRole;
  const routes: [string, string, Need, Record<string, unknown> | undefined][] = [
    ['GET', '/api/policy/egress', 'member', undefined],
    ['GET', '/api/fleet/namespaces', 'member', undefined],
    ['GET', '/api/fleet/workloads', 'member', undefined],
    ['GET', '/api/workspace/firewall/policies', 'member', undefined],
    ['GET', '/api/status', 'member', undefined],
    ['POST', '/api/policy/egress/allow', 'developer', { domain: 'roles.example' }],
    ['POST', '/api/fleet/namespaces', 'developer', { name: 'roles' }],
    ['POST', '/api/test', 'developer', { destination: 'roles.example:443' }],
    ['GET', '/api/events', 'developer', undefined],
    ['GET', '/api/tokens', 'admin', undefined],
    ['POST', '/api/tokens', 'admin', { name: 'ci-roles', role: 'member' }],
  ];
  const ROLE_ORDER: Need[] = ['member', 'developer', 'admin'];
  const cases = routes.flatMap(([method, url, need, body]) =>
    ROLE_ORDER.map((role) => ({
      name: `${method} ${url} as ${role}`,
      method,
      url,
      role,
      body,
      allowed: ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(need),
    })),
  );

  it.each(cases)('$name', async ({ method, url, role, body, allowed }) => {
    const res = await h.call(method, url, { as: role, ...(body === undefined ? {} : { body }) });
    if (allowed) expect(res.status).toBeLessThan(300);
    else
      expect([res.status, res.body['error'], res.body['required_role']]).toEqual([
        403,
        'forbidden',
        expect.any(String),
      ]);
  });

  it.each([
    ['no token', { as: null }],
    ['a wrong token', { token: 'not-a-token' }],
    ['a malformed header', { token: '' }],
  ] as const)('answers 401 to %s, before reading the body', async (_name, options) => {
    const res = await h.call('POST', '/api/policy/egress/allow', { ...options, raw: '{not json' });
    expect([res.status, res.body['error']]).toEqual([401, 'unauthorized']);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('needs no token for health, readiness and metrics', async () => {
    for (const url of ['/healthz', '/readyz', '/metrics']) {
      expect([url, (await h.call('GET', url, { as: null })).status]).toEqual([url, 200]);
    }
  });

  it('creates a token (shown once), which then works with its role, and deletes it', async () => {
    const created = await h.call('POST', '/api/tokens', { body: { name: 'ci', role: 'developer' } });
    expect([created.status, created.body['name'], created.body['role']]).toEqual([201, 'ci', 'developer']);
    const token = created.body['token'] as string;
    expect(token).toMatch(/^pct_/);
    expect((await h.call('GET', '/api/events', { token })).status).toBe(200);
    expect((await h.call('GET', '/api/tokens', { token })).status).toBe(403);
    const listed = await h.call('GET', '/api/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await h.call('POST', '/api/tokens', { body: { name: 'ci', role: 'admin' } })).status).toBe(409);
    expect((await h.call('DELETE', '/api/tokens/admin-bot')).body['error']).toBe('defined_in_file');
    expect((await h.call('DELETE', '/api/tokens/ci')).status).toBe(200);
    expect((await h.call('GET', '/api/events', { token })).status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('serves a document generated from the route schemas, without a token', async () => {
    const res = await h.call('GET', '/api/openapi.json', { as: null });
    expect([res.status, res.body['openapi']]).toEqual([200, '3.0.3']);
    const paths = res.body['paths'] as Record<string, Record<string, { requestBody?: unknown }>>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/policy/egress/allow',
        '/api/fleet/namespaces',
        '/api/workspace/firewall/policies/{name}/rules',
        '/api/test',
        '/api/events',
      ]),
    );
    expect(paths['/api/policy/egress/allow']!['post']!.requestBody).toBeDefined();
  });
});

describe('with no tokens configured', () => {
  it('answers 401 on every /api route and says how to configure tokens', async () => {
    const bare = await startAdmin({ policyDir: writePolicyDir({}), tokensFile: null });
    try {
      const res = await bare.call('GET', '/api/policy/egress', { as: null });
      expect([res.status, res.body['error']]).toEqual([401, 'unauthorized']);
      expect(res.body['message']).toMatch(/--tokens FILE/);
      expect((await bare.call('GET', '/healthz', { as: null })).status).toBe(200);
    } finally {
      await bare.close();
    }
  });
});
