/**
 * The upstream systems' own manifests (test/fixtures/seeds) and the example set `npm start` serves
 * must load with no issues at all, and come out normalised: defaults filled in, names and CIDRs
 * parsed, groups resolved.
 */
import { join } from 'node:path';

import type { EgressDenyPolicy, EgressGateway, EgressL4Route, Resource } from '../../src/policy/types';
import { loadPolicies } from '../../src/sources/read-policy-files';

const ROOT = join(__dirname, '..', '..');
const SEED_001 = join(ROOT, 'test', 'fixtures', 'seeds', '001');
const EXAMPLES = join(ROOT, 'examples', 'policies');

function find<K extends Resource['kind']>(
  resources: readonly Resource[],
  kind: K,
  name: string,
): Extract<Resource, { kind: K }> {
  const found = resources.find((resource) => resource.kind === kind && resource.meta.name === name);
  if (found === undefined) throw new Error(`${kind} ${name} not loaded`);
  return found as Extract<Resource, { kind: K }>;
}

function expectDeepFrozen(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  expect(Object.isFrozen(value)).toBe(true);
  for (const child of Object.values(value)) expectDeepFrozen(child);
}

describe('CLRK manifests (test/fixtures/seeds/001)', () => {
  it('load unchanged with no issues', async () => {
    const { resources, issues } = await loadPolicies([SEED_001]);
    expect(issues).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.meta.name}`)).toEqual([
      'EgressGateway/prod-agents',
      'EgressL4Route/anthropic-tls',
      'EgressL4Route/app-postgres',
      'EgressL4Route/wildcards-and-cidrs',
      'EgressL4Route/canned-anthropic-only',
      'EgressL4Route/canned-customer-data',
      'EgressL4Route/canned-cluster-internal',
    ]);
    resources.forEach(expectDeepFrozen);
  });

  it('normalise the gateway with CLRK defaults', async () => {
    const { resources } = await loadPolicies([SEED_001]);
    const gateway: EgressGateway = find(resources, 'EgressGateway', 'prod-agents');
    expect(gateway).toMatchObject({
      defaultPolicy: 'deny-all',
      mode: 'enforce',
      ssrfGuard: true,
      nameProof: 'resolve',
      listeners: [
        { name: 'tcp-out', protocol: 'TCP' },
        { name: 'tls-out', protocol: 'TLS', tlsMode: 'Terminate' },
      ],
    });
    expect(gateway.meta).toMatchObject({
      apiVersion: 'clrk.apoxy.dev/v1alpha1',
      group: 'clrk.apoxy.dev',
      namespace: 'default',
      labels: {},
      source: { file: join(SEED_001, '01-default-deny-allowlist.yaml'), line: 5 },
    });
  });

  it('parse the recipe routes', async () => {
    const { resources } = await loadPolicies([SEED_001]);
    const route: EgressL4Route = find(resources, 'EgressL4Route', 'anthropic-tls');
    expect(route.parentRefs).toEqual([
      {
        group: 'clrk.apoxy.dev',
        kind: 'EgressGateway',
        name: 'prod-agents',
        namespace: 'default',
        sectionName: 'tls-out',
      },
    ]);
    expect(route.rules).toEqual([
      {
        matches: [
          {
            destinationHostnames: [{ kind: 'exact', suffix: 'api.anthropic.com', text: 'api.anthropic.com' }],
            destinationCIDRs: [],
            ports: [{ start: 443, end: 443 }],
            protocol: 'tcp',
          },
        ],
      },
    ]);
  });

  it('parse wildcards, CIDRs and port ranges', async () => {
    const { resources } = await loadPolicies([SEED_001]);
    const [match] = find(resources, 'EgressL4Route', 'wildcards-and-cidrs').rules[0].matches;
    expect(match.destinationHostnames).toEqual([
      { kind: 'exact', suffix: 'api.openai.com', text: 'api.openai.com' },
      { kind: 'single', suffix: 'azure.openai.com', text: '*.azure.openai.com' },
    ]);
    expect(match.destinationCIDRs.map((block) => [block.cidr.text, block.except])).toEqual([
      ['10.20.0.0/16', []],
      ['203.0.113.5/32', []],
    ]);
    expect(match.ports).toEqual([
      { start: 443, end: 443 },
      { start: 8000, end: 8099 },
    ]);
    expect(match.protocol).toBe('tcp');
  });

  it('keep each canned allowlist match separate', async () => {
    const { resources } = await loadPolicies([SEED_001]);
    const data = find(resources, 'EgressL4Route', 'canned-customer-data').rules[0].matches;
    expect(data.map((m) => m.destinationHostnames.map((h) => h.text))).toEqual([
      ['api.anthropic.com', 's3.us-east-1.amazonaws.com'],
      ['pg.prod.internal'],
    ]);
    const internal = find(resources, 'EgressL4Route', 'canned-cluster-internal').rules[0].matches;
    expect(internal[0].destinationHostnames).toEqual([
      { kind: 'single', suffix: 'svc.cluster.local', text: '*.svc.cluster.local' },
    ]);
    expect(internal[1].destinationCIDRs[0].cidr.text).toBe('10.0.0.0/8');
    expect(internal[1].ports).toEqual([]);
  });
});

describe('examples/policies', () => {
  it('load with no issues', async () => {
    const { resources, issues } = await loadPolicies([EXAMPLES]);
    expect(issues).toEqual([]);
    expect(resources.map((r) => `${r.kind}/${r.meta.name}`)).toEqual([
      'EgressGateway/agents',
      'EgressL4Route/anthropic',
      'EgressL4Route/openai',
      'EgressL4Route/app-postgres',
      'EgressL4Route/cluster-services',
      'EgressL4Route/paste-sites',
      'EgressDenyPolicy/block-paste-sites',
    ]);
  });

  it('fill in our own group and the default parent kind', async () => {
    const { resources } = await loadPolicies([EXAMPLES]);
    expect(find(resources, 'EgressL4Route', 'anthropic').parentRefs).toEqual([
      { group: 'egress.portcullis.dev', kind: 'EgressGateway', name: 'agents', namespace: 'default' },
    ]);
    expect(find(resources, 'EgressGateway', 'agents').listeners.map((l) => l.name)).toEqual([
      'http-out',
      'tls-out',
      'tcp-out',
    ]);
  });

  it('scope cluster services to the platform team', async () => {
    const { resources } = await loadPolicies([EXAMPLES]);
    const [match] = find(resources, 'EgressL4Route', 'cluster-services').rules[0].matches;
    expect(match.destinationHostnames[0]).toMatchObject({ kind: 'multi', suffix: 'svc.cluster.local' });
    expect(match.sourceAgents).toEqual({ matchLabels: { team: 'platform' }, matchExpressions: [] });
  });

  it('flip the paste-site route with a custom 403', async () => {
    const { resources } = await loadPolicies([EXAMPLES]);
    const policy: EgressDenyPolicy = find(resources, 'EgressDenyPolicy', 'block-paste-sites');
    expect(policy.targetRef).toMatchObject({
      group: 'egress.portcullis.dev',
      kind: 'EgressL4Route',
      name: 'paste-sites',
    });
    expect(policy.denyResponse.statusCode).toBe(403);
    expect(policy.denyResponse.message).toMatch(/paste sites are blocked/);
    expect(policy.denyResponse.headers).toEqual({ 'x-portcullis-reason': 'paste-site-blocked' });
  });
});
