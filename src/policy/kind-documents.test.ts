import { parseDocuments } from './documents';
import {
  agentDocument,
  agentSpecOf,
  documentIdentity,
  domainListDocument,
  domainListSpecOf,
  firewallPolicyDocument,
  firewallPolicySpecOf,
  namespaceDocument,
  namespaceSpecOf,
  type PolicyDocument,
} from './kind-documents';
import { kindDescription } from './kinds/registry';
import type { FieldNode, ObjectNode } from './kinds/schema-node';
import { resolve } from './kinds/schema-node';
import { validateDocuments } from './validate';

const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const built: readonly PolicyDocument<unknown>[] = [
  domainListDocument('lists', {
    allow: [{ domain: 'api.example.com', reason: 'vendor', requireAuth: true }],
    block: [{ domain: '**.example.net' }],
  }),
  namespaceDocument({
    path: 'prod',
    description: 'production',
    allowedDomains: ['api.example.com'],
    blockedDomains: [],
  }),
  namespaceDocument(
    { path: 'prod/payments', description: '', allowedDomains: null, blockedDomains: ['x.example.com'] },
    { 'egress.portcullis.dev/cascade-forced': 'a.example.com' },
  ),
  firewallPolicyDocument('baseline', {
    defaultVerdict: 'deny',
    workspaceDefault: true,
    rules: [
      { label: 'metadata', verdict: 'deny', egress: { deny: ['169.254.169.254'] } },
      { label: 'vendors', stage: 'egress', verdict: 'allow', egress_json: '{"allow": ["api.example.com"]}' },
    ],
  }),
  agentDocument('bot', {
    namespace: 'prod',
    labels: { team: 'payments' },
    firewallPolicy: 'baseline',
    recognise: { keys: [{ sha256: SHA }] },
  }),
];

/** Paths of `value` that are not fields of `node`. */
function strayFields(node: FieldNode, value: unknown, path: string, parent?: ObjectNode): string[] {
  const target = parent === undefined ? node : resolve(parent, node);
  if (target.type === 'object' && typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, child]) => {
      const field = target.properties[key];
      return field === undefined ? [`${path}.${key}`] : strayFields(field, child, `${path}.${key}`, target);
    });
  }
  if (target.type === 'list' && Array.isArray(value)) {
    return value.flatMap((item, i) => strayFields(target.items, item, `${path}[${i}]`));
  }
  if (target.type === 'either' && typeof value === 'object') return strayFields(target.object, value, path);
  return [];
}

describe('typed documents', () => {
  it('are valid documents of their kinds, as the loader reads them', () => {
    const docs = built.flatMap((d) => parseDocuments(`${d.kind}.json`, JSON.stringify(d)).docs);
    const { resources, issues } = validateDocuments(docs);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(resources.map((r) => r.kind)).toEqual(built.map((d) => d.kind));
  });

  it('write only fields their kind describes', () => {
    expect(built.flatMap((d) => strayFields(kindDescription(d.kind).spec, d.spec, 'spec'))).toEqual([]);
  });

  it('leave absent fields out instead of writing undefined', () => {
    const policy = firewallPolicyDocument('p', {
      rules: [{ label: 'l', verdict: 'deny', egress: { deny: ['10.0.0.0/8'] } }],
    });
    expect(JSON.stringify(policy.spec)).toBe(
      '{"rules":[{"label":"l","verdict":"deny","egress":{"deny":["10.0.0.0/8"]}}]}',
    );
    expect(
      namespaceDocument({ path: 'a/b', description: '', allowedDomains: null, blockedDomains: [] }),
    ).toEqual({
      apiVersion: 'egress.portcullis.dev/v1alpha1',
      kind: 'EgressNamespace',
      metadata: { name: 'a.b' },
      spec: { path: 'a/b', description: '', blockedDomains: [] },
    });
  });
});

describe('readers', () => {
  it('read back what the builders wrote', () => {
    const [lists, , child, policy, agent] = built;
    expect(domainListSpecOf(lists!.spec)).toEqual(lists!.spec);
    expect(namespaceSpecOf(child!.spec)).toEqual({
      path: 'prod/payments',
      description: '',
      allowedDomains: null,
      blockedDomains: ['x.example.com'],
    });
    expect(firewallPolicySpecOf(policy!.spec)).toEqual(policy!.spec);
    expect(agentSpecOf(agent!.spec)).toEqual(agent!.spec);
  });

  it('read the upstream spellings the validator accepts', () => {
    expect(
      domainListSpecOf({ allow: ['a.example.com', { domain: 'b.example.com', require_auth: true }] }),
    ).toEqual({
      allow: [{ domain: 'a.example.com' }, { domain: 'b.example.com', requireAuth: true }],
      block: [],
    });
    expect(namespaceSpecOf({ allowed_domains: [], blocked_domains: ['c.example.com'] })).toMatchObject({
      allowedDomains: [],
      blockedDomains: ['c.example.com'],
    });
    expect(firewallPolicySpecOf({ default_verdict: 'allow', shadow_mode: true })).toEqual({
      defaultVerdict: 'allow',
      shadow: true,
      rules: [],
    });
  });

  it('refuse a stored spec of another shape rather than drop part of it', () => {
    expect(() => firewallPolicySpecOf({ rules: [{ label: 'x', verdict: 'block' }] })).toThrow(
      "a stored document does not match its kind's description at spec.rules[0].verdict",
    );
    expect(() => domainListSpecOf({ allow: [7] })).toThrow(/spec\.allow\[0\]/);
    expect(() => agentSpecOf({ recognise: { keys: [{}] } })).toThrow(/spec\.recognise\.keys\[0\]\.sha256/);
    expect(() => namespaceSpecOf('x')).toThrow(/no spec map/);
  });

  it('name a raw document', () => {
    expect(documentIdentity({ kind: 'EgressAgent', metadata: { name: 'a' } })).toEqual({
      kind: 'EgressAgent',
      namespace: 'default',
      name: 'a',
    });
    expect(
      documentIdentity({ kind: 'EgressAgent', metadata: { name: 'a', namespace: 'ops' } })?.namespace,
    ).toBe('ops');
    expect(documentIdentity({ kind: 'EgressAgent' })).toBeUndefined();
    expect(documentIdentity('text')).toBeUndefined();
  });
});
