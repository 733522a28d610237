import { parseDocuments } from './documents';
import type { EgressL4Route, L4Match } from './types';
import { validateDocuments } from './validate';

const GATEWAY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: g }
spec:
  listeners: [{ name: out, protocol: TCP }]
---
`;

function route(spec: string, extra = ''): ReturnType<typeof validateDocuments> {
  const text = `${GATEWAY}${extra}apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressL4Route\nmetadata: { name: r }\nspec:\n${spec}`;
  return validateDocuments(parseDocuments('r.yaml', text).docs);
}

/** One match, written as a YAML flow map. */
function match(flow: string): { match?: L4Match; issues: ReturnType<typeof validateDocuments>['issues'] } {
  const { resources, issues } = route(`  parentRefs: [{ name: g }]\n  rules: [{ matches: [${flow}] }]\n`);
  const found = resources.find((r): r is EgressL4Route => r.kind === 'EgressL4Route');
  return found === undefined ? { issues } : { match: found.rules[0].matches[0], issues };
}

describe('EgressL4Route matches', () => {
  it('accepts lower-case protocol and normalises host names', () => {
    const { match: m, issues } = match(
      '{ destinationHostnames: [API.Example.COM., "**.corp.example"], protocol: udp }',
    );
    expect(issues).toEqual([]);
    expect(m?.protocol).toBe('udp');
    expect(m?.destinationHostnames.map((h) => [h.kind, h.text])).toEqual([
      ['exact', 'api.example.com'],
      ['multi', '**.corp.example'],
    ]);
  });

  it('parses CIDR blocks with carve-outs in both families', () => {
    const { match: m, issues } = match(
      '{ destinationCIDRs: [{ cidr: 10.0.0.0/8, except: [10.9.0.0/16, 10.10.10.10/32] }, "2001:db8::/32"] }',
    );
    expect(issues).toEqual([]);
    expect(m?.destinationCIDRs.map((b) => [b.cidr.text, b.except.map((c) => c.text)])).toEqual([
      ['10.0.0.0/8', ['10.9.0.0/16', '10.10.10.10/32']],
      ['2001:db8::/32', []],
    ]);
  });

  it('keeps a selector for source agents', () => {
    const { match: m, issues } = match(
      '{ ports: [{ port: 22 }], sourceAgents: { matchExpressions: [{ key: team, operator: In, values: [a, b] }] } }',
    );
    expect(issues).toEqual([]);
    expect(m?.sourceAgents).toEqual({
      matchLabels: {},
      matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }],
    });
  });

  it('warns, but allows, a match that names no destination', () => {
    const { match: m, issues } = match('{ protocol: UDP }');
    expect(m).toEqual({ destinationHostnames: [], destinationCIDRs: [], ports: [], protocol: 'udp' });
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'POLICY_MATCHES_EVERYTHING',
        path: 'spec.rules[0].matches[0]',
      }),
    ]);
  });

  it.each([
    ['{ ports: [443] }', 'POLICY_WRONG_TYPE', 'spec.rules[0].matches[0].ports[0]', 'write `- port: 443`'],
    [
      '{ ports: [{ port: "443" }] }',
      'POLICY_WRONG_TYPE',
      'spec.rules[0].matches[0].ports[0].port',
      'without quotes',
    ],
    [
      '{ ports: [{ startPort: 80 }] }',
      'POLICY_MISSING_FIELD',
      'spec.rules[0].matches[0].ports[0].endPort',
      undefined,
    ],
    [
      '{ ports: [{ port: 80, endPort: 90 }] }',
      'POLICY_INVALID_PORT_RANGE',
      'spec.rules[0].matches[0].ports[0]',
      'startPort',
    ],
    ['{ ports: [{}] }', 'POLICY_MISSING_FIELD', 'spec.rules[0].matches[0].ports[0]', undefined],
    [
      '{ ports: [{ port: 1.5 }] }',
      'POLICY_INVALID_PORT',
      'spec.rules[0].matches[0].ports[0].port',
      undefined,
    ],
    [
      '{ destinationCIDRs: [{ except: [10.0.0.0/8] }] }',
      'POLICY_MISSING_FIELD',
      'spec.rules[0].matches[0].destinationCIDRs[0].cidr',
      undefined,
    ],
    [
      '{ destinationCIDRs: [42] }',
      'POLICY_WRONG_TYPE',
      'spec.rules[0].matches[0].destinationCIDRs[0]',
      undefined,
    ],
    [
      '{ destinationHostnames: [42] }',
      'POLICY_WRONG_TYPE',
      'spec.rules[0].matches[0].destinationHostnames[0]',
      undefined,
    ],
    [
      '{ destinationHostnames: ["*example.com"] }',
      'POLICY_INVALID_HOSTNAME',
      'spec.rules[0].matches[0].destinationHostnames[0]',
      '*.example.com',
    ],
    [
      '{ ports: [{ port: 1 }], protocol: tcpx }',
      'POLICY_INVALID_VALUE',
      'spec.rules[0].matches[0].protocol',
      'did you mean `TCP`?',
    ],
    [
      '{ ports: [{ port: 1 }], sourceAgents: [team] }',
      'POLICY_INVALID_SELECTOR',
      'spec.rules[0].matches[0].sourceAgents',
      undefined,
    ],
  ])('rejects %s', (flow, code, path, fix) => {
    const { match: m, issues } = match(flow);
    expect(m).toBeUndefined();
    expect(issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.path])).toEqual([[code, path]]);
    if (fix !== undefined) expect(issues[0].fix).toContain(fix);
  });
});

describe('EgressL4Route structure and references', () => {
  it('defaults group, kind and namespace of parentRefs; keeps sectionName', () => {
    const { resources, issues } = route(
      '  parentRefs: [{ name: g, sectionName: out }]\n  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n',
    );
    expect(issues).toEqual([]);
    expect((resources[1] as EgressL4Route).parentRefs).toEqual([
      {
        group: 'egress.portcullis.dev',
        kind: 'EgressGateway',
        name: 'g',
        namespace: 'default',
        sectionName: 'out',
      },
    ]);
  });

  it('resolves a parent in another namespace only there', () => {
    const other = GATEWAY.replace('metadata: { name: g }', 'metadata: { name: shared, namespace: infra }');
    const spec = (ns: string): string =>
      `  parentRefs: [{ name: shared${ns} }]\n  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n`;
    expect(route(spec(', namespace: infra'), other).issues).toEqual([]);
    expect(route(spec(''), other).issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_UNKNOWN_GATEWAY', 'spec.parentRefs[0].name'],
    ]);
  });

  it('warns about filters and backendRefs, which Portcullis does not apply', () => {
    const { resources, issues } = route(
      '  parentRefs: [{ name: g }]\n  rules:\n    - matches: [{ ports: [{ port: 1 }] }]\n      filters: []\n      backendRefs: [{ name: proxy }]\n',
    );
    expect(resources).toHaveLength(2);
    expect(issues.map((i) => [i.severity, i.path])).toEqual([
      ['warning', 'spec.rules[0].filters'],
      ['warning', 'spec.rules[0].backendRefs'],
    ]);
  });

  it('rejects foreign groups and kinds in parentRefs', () => {
    const { issues } = route(
      '  parentRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: g }]\n  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n',
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_INVALID_VALUE', 'spec.parentRefs[0].group'],
      ['POLICY_INVALID_VALUE', 'spec.parentRefs[0].kind'],
    ]);
  });

  it('needs parents and rules', () => {
    expect(route('  parentRefs: []\n  rules: []\n').issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_MISSING_FIELD', 'spec.parentRefs'],
      ['POLICY_MISSING_FIELD', 'spec.rules'],
    ]);
    expect(route('  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n').issues.map((i) => i.path)).toEqual([
      'spec.parentRefs',
    ]);
  });

  it('does not call a gateway unknown when it is declared but invalid', () => {
    const broken = GATEWAY.replace('protocol: TCP', 'protocol: SCTP');
    const { resources, issues } = route(
      '  parentRefs: [{ name: g, sectionName: nope }]\n  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n',
      '',
    );
    expect(issues.map((i) => i.code)).toEqual(['POLICY_UNKNOWN_LISTENER']);
    expect(resources).toHaveLength(1);
    const text = `${broken}apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressL4Route\nmetadata: { name: r }\nspec:\n  parentRefs: [{ name: g, sectionName: nope }]\n  rules: [{ matches: [{ ports: [{ port: 1 }] }] }]\n`;
    const result = validateDocuments(parseDocuments('x.yaml', text).docs);
    expect(result.issues.map((i) => i.code)).toEqual(['POLICY_INVALID_VALUE']);
    expect(result.resources.map((r) => r.kind)).toEqual(['EgressL4Route']);
  });
});
