import type { RawDocument } from './documents';
import { parseDocuments } from './documents';
import { ISSUE_CODES } from './issues';
import type { Issue } from './types';
import { formatIssue, validateDocuments } from './validate';
import { API_VERSIONS, KINDS } from './validate-registry';

const GATEWAY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata:
  name: g
spec:
  listeners: [{ name: out, protocol: TCP }]
`;

function validate(...files: [string, string][]): ReturnType<typeof validateDocuments> {
  return validateDocuments(files.flatMap(([file, text]) => parseDocuments(file, text).docs));
}

function codes(issues: readonly Issue[]): [string, string][] {
  return issues.map((i) => [i.code, i.path]);
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  Object.values(value).forEach(deepFreeze);
  Object.freeze(value);
}

describe('validateDocuments', () => {
  it('accepts the CLRK group as an alias and records where each resource came from', () => {
    const { resources, issues } = validate([
      'a.yaml',
      `# c\n${GATEWAY.replace('egress.portcullis.dev', 'clrk.apoxy.dev')}`,
    ]);
    expect(issues).toEqual([]);
    expect(resources[0].meta).toEqual({
      apiVersion: 'clrk.apoxy.dev/v1alpha1',
      group: 'clrk.apoxy.dev',
      name: 'g',
      namespace: 'default',
      labels: {},
      source: { file: 'a.yaml', line: 2, origin: { kind: 'file', file: 'a.yaml', line: 2 } },
    });
  });

  it('reports every problem in every document in one run', () => {
    const bad = `apiVersion: egress.portcullis.dev/v1
kind: EgressGateway
metadata: { name: G, labels: { team: 7 } }
spec:
  mode: loud
  listeners: [{ name: out, protocol: TCP, port: 0 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGatewy
metadata: { name: h }
spec: {}
---
- not a map
`;
    const { resources, issues } = validate(['bad.yaml', bad]);
    expect(resources).toEqual([]);
    expect(codes(issues)).toEqual([
      ['POLICY_UNKNOWN_API_VERSION', 'apiVersion'],
      ['POLICY_INVALID_NAME', 'metadata.name'],
      ['POLICY_WRONG_TYPE', 'metadata.labels.team'],
      ['POLICY_INVALID_VALUE', 'spec.mode'],
      ['POLICY_INVALID_PORT', 'spec.listeners[0].port'],
      ['POLICY_UNKNOWN_KIND', 'kind'],
      ['POLICY_WRONG_TYPE', ''],
    ]);
    expect(issues[5].fix).toBe('did you mean `EgressGateway`?');
    expect(issues.map((i) => i.line)).toEqual([1, 3, 3, 5, 6, 9, 13]);
  });

  it('checks metadata like Kubernetes does', () => {
    const text = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata:
  namespace: Team_A
  labels: { "app.kubernetes.io/name": portcullis, "bad key!": x, ok: "-bad-" }
  annotations: { note: anything goes }
  uid: 1234
  owner: me
spec:
  listeners: [{ name: out, protocol: TCP }]
status: {}
`;
    const { issues } = validate(['m.yaml', text]);
    expect(issues.map((i) => [i.severity, i.code, i.path])).toEqual([
      ['warning', 'POLICY_IGNORED_FIELD', 'status'],
      ['warning', 'POLICY_IGNORED_FIELD', 'metadata.uid'],
      ['error', 'POLICY_UNKNOWN_FIELD', 'metadata.owner'],
      ['error', 'POLICY_MISSING_FIELD', 'metadata.name'],
      ['error', 'POLICY_INVALID_NAME', 'metadata.namespace'],
      ['error', 'POLICY_INVALID_LABEL', 'metadata.labels["bad key!"]'],
      ['error', 'POLICY_INVALID_LABEL', 'metadata.labels.ok'],
    ]);
  });

  it('needs apiVersion, kind, metadata and spec', () => {
    expect(codes(validate(['x.yaml', 'metadata: { name: a }\n']).issues)).toEqual([
      ['POLICY_MISSING_FIELD', 'apiVersion'],
      ['POLICY_MISSING_FIELD', 'kind'],
    ]);
    const noSpec = 'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressGateway\n';
    expect(codes(validate(['x.yaml', noSpec]).issues)).toEqual([
      ['POLICY_MISSING_FIELD', 'metadata'],
      ['POLICY_MISSING_FIELD', 'spec'],
    ]);
  });

  it('keeps the first of two same-named resources, across files and API groups', () => {
    const clrk = GATEWAY.replace('egress.portcullis.dev', 'clrk.apoxy.dev').replace('TCP', 'UDP');
    const { resources, issues } = validate(['one.yaml', GATEWAY], ['two.yaml', `# again\n${clrk}`]);
    expect(resources).toHaveLength(1);
    expect(resources[0].meta.source.file).toBe('one.yaml');
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'POLICY_DUPLICATE_NAME',
        file: 'two.yaml',
        line: 5,
        message: 'EgressGateway default/g is defined twice: here and at one.yaml:1',
      }),
    ]);
    const otherNamespace = GATEWAY.replace('name: g', 'name: g\n  namespace: other');
    expect(validate(['a.yaml', GATEWAY], ['b.yaml', otherNamespace]).resources).toHaveLength(2);
  });

  it('never writes to its input and returns deeply frozen resources', () => {
    const route = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: r, labels: { a: b } }
spec:
  parentRefs: [{ name: g }]
  rules: [{ matches: [{ destinationCIDRs: [{ cidr: 10.0.0.0/8, except: [10.1.0.0/16] }], ports: [{ port: 1 }], sourceAgents: { matchLabels: { x: y } } }] }]
`;
    const docs: RawDocument[] = [
      ...parseDocuments('a.yaml', GATEWAY).docs,
      ...parseDocuments('b.yaml', route).docs,
    ];
    const before = JSON.stringify(docs.map((d) => d.value));
    docs.forEach((doc) => deepFreeze(doc.value));
    const { resources, issues } = validateDocuments(docs);
    expect(issues).toEqual([]);
    expect(JSON.stringify(docs.map((d) => d.value))).toBe(before);
    const check = (value: unknown): void => {
      if (typeof value !== 'object' || value === null) return;
      expect(Object.isFrozen(value)).toBe(true);
      Object.values(value).forEach(check);
    };
    resources.forEach(check);
  });

  it('treats null as absent', () => {
    const text = GATEWAY.replace('spec:\n', 'spec:\n  defaultPolicy:\n  mode: ~\n');
    const { resources, issues } = validate(['n.yaml', text]);
    expect(issues).toEqual([]);
    expect(resources[0]).toMatchObject({ defaultPolicy: 'deny-all', mode: 'enforce' });
  });
});

describe('registry and codes', () => {
  it('serves every kind, the CLRK and mirrord ones under their own API versions too', () => {
    expect([...KINDS.keys()]).toEqual([
      'EgressGateway',
      'EgressL4Route',
      'EgressDenyPolicy',
      'MirrordPolicy',
      'MirrordClusterPolicy',
      'EgressFirewallPolicy',
      'EgressNamespace',
      'EgressDomainList',
      'EgressAgent',
    ]);
    expect(API_VERSIONS).toEqual([
      'egress.portcullis.dev/v1alpha1',
      'clrk.apoxy.dev/v1alpha1',
      'policies.mirrord.metalbear.co/v1alpha',
    ]);
  });

  it('documents every code validation is required to report', () => {
    for (const code of [
      'POLICY_YAML_SYNTAX',
      'POLICY_UNKNOWN_API_VERSION',
      'POLICY_UNKNOWN_KIND',
      'POLICY_UNKNOWN_FIELD',
      'POLICY_MISSING_FIELD',
      'POLICY_WRONG_TYPE',
      'POLICY_INVALID_VALUE',
      'POLICY_INVALID_NAME',
      'POLICY_INVALID_CIDR',
      'POLICY_EXCEPT_OUTSIDE',
      'POLICY_INVALID_HOSTNAME',
      'POLICY_INVALID_PORT',
      'POLICY_INVALID_PORT_RANGE',
      'POLICY_INVALID_SELECTOR',
      'POLICY_INVALID_HEADER',
      'POLICY_UNKNOWN_GATEWAY',
      'POLICY_UNKNOWN_LISTENER',
      'POLICY_UNKNOWN_ROUTE',
      'POLICY_DUPLICATE_NAME',
      'POLICY_IGNORED_FIELD',
    ]) {
      expect(ISSUE_CODES).toHaveProperty(code);
    }
  });
});

describe('formatIssue', () => {
  const base: Issue = {
    code: 'POLICY_UNKNOWN_FIELD',
    file: 'p.yaml',
    line: 12,
    path: 'spec.rules[0].matches[0].destinationCIDR',
    message: 'unknown field `destinationCIDR`',
    severity: 'error',
  };

  it('prints file:line: path: message (fix: …) on one line', () => {
    expect(formatIssue({ ...base, fix: 'did you mean `destinationCIDRs`?' })).toBe(
      'p.yaml:12: spec.rules[0].matches[0].destinationCIDR: unknown field `destinationCIDR` (fix: did you mean `destinationCIDRs`?)',
    );
  });

  it('leaves out what is unknown and marks warnings', () => {
    expect(formatIssue({ ...base, line: 0, path: '', message: 'no such file' })).toBe('p.yaml: no such file');
    expect(formatIssue({ ...base, severity: 'warning', message: 'a\nb' })).toBe(
      'p.yaml:12: warning: spec.rules[0].matches[0].destinationCIDR: a b',
    );
  });
});
