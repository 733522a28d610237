/**
 * The public-suffix rule (docs/policy-validation.md) where operators meet it: `portcullis validate`
 * on a policy file, and the admin API, which refuses an allow over a whole suffix and stores nothing,
 * while a block over one is accepted and takes effect.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main';
import { startAdmin, tempDir, writePolicyDir, type AdminHarness } from '../support/admin-api';

const ROUTE = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec: { listeners: [{ name: tls-out, protocol: TLS }] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: pages }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: [docs.example.com, "**.github.io"]
`;

describe('portcullis validate', () => {
  it('rejects a route over a public suffix with file:line, path, message and fix', async () => {
    const file = path.join(tempDir('public-suffix'), 'pages.yaml');
    writeFileSync(file, ROUTE);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['validate', file], { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err).toContain(
      `${file}:13: spec.rules[0].matches[0].destinationHostnames[1]: \`**.github.io\` covers every name under the public suffix github.io, where anyone can register a domain (fix: name the registrable domain, e.g. \`**.example.github.io\`)`,
    );
  });
});

describe('the admin API', () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await startAdmin({ policyDir: writePolicyDir({}) });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses an allow over a public suffix and stores nothing', async () => {
    const res = await h.call('POST', '/api/policy/egress/allow', { body: { domain: '*.co.uk' } });
    expect([res.status, res.body['error']]).toEqual([422, 'invalid_policy']);
    expect(res.body['issues']).toEqual([
      expect.objectContaining({
        code: 'POLICY_PUBLIC_SUFFIX',
        fix: 'name the registrable domain, e.g. `*.example.co.uk`',
      }),
    ]);
    expect((await h.call('GET', '/api/policy/egress')).body).toEqual({ allowed: [], blocked: [] });
  });

  it('accepts a block over a public suffix', async () => {
    const res = await h.call('POST', '/api/policy/egress/block', { body: { domain: '**.zip' } });
    expect(res.status).toBe(201);
    const tables = (await h.call('GET', '/api/policy/egress')).body;
    expect(tables['blocked']).toEqual([expect.objectContaining({ domain: '**.zip' })]);
  });
});
