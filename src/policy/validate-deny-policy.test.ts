import { parseDocuments } from './documents';
import type { EgressDenyPolicy } from './types';
import { validateDocuments } from './validate';

const ROUTE = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: g, namespace: team-a }
spec:
  listeners: [{ name: out, protocol: HTTP }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste, namespace: team-a }
spec:
  parentRefs: [{ name: g }]
  rules: [{ matches: [{ destinationHostnames: [pastebin.com] }] }]
---
`;

function policy(spec: string): {
  policy?: EgressDenyPolicy;
  issues: ReturnType<typeof validateDocuments>['issues'];
} {
  const text = `${ROUTE}apiVersion: clrk.apoxy.dev/v1alpha1\nkind: EgressDenyPolicy\nmetadata: { name: block, namespace: team-a }\nspec:\n${spec}`;
  const { resources, issues } = validateDocuments(parseDocuments('d.yaml', text).docs);
  const found = resources.find((r): r is EgressDenyPolicy => r.kind === 'EgressDenyPolicy');
  return found === undefined ? { issues } : { policy: found, issues };
}

const target = '  targetRef: { kind: EgressL4Route, name: paste }\n';

describe('EgressDenyPolicy', () => {
  it('defaults to 403 with a message naming the policy', () => {
    const { policy: p, issues } = policy(target);
    expect(issues).toEqual([]);
    expect(p?.targetRef).toMatchObject({ group: 'clrk.apoxy.dev', kind: 'EgressL4Route', name: 'paste' });
    expect(p?.denyResponse).toEqual({
      statusCode: 403,
      message: 'egress denied by policy team-a/block',
      headers: {},
    });
  });

  it('takes body as another name for message and lower-cases header names', () => {
    const { policy: p, issues } = policy(
      `${target}  denyResponse:\n    statusCode: 451\n    body: blocked\n    headers: { X-Portcullis-Reason: paste, Retry-After: "3600" }\n`,
    );
    expect(issues).toEqual([]);
    expect(p?.denyResponse).toEqual({
      statusCode: 451,
      message: 'blocked',
      headers: { 'x-portcullis-reason': 'paste', 'retry-after': '3600' },
    });
  });

  it.each([
    ['statusCode: 302', 'POLICY_INVALID_VALUE', 'spec.denyResponse.statusCode'],
    ['statusCode: "403"', 'POLICY_WRONG_TYPE', 'spec.denyResponse.statusCode'],
    ['statusCode: 403.5', 'POLICY_INVALID_VALUE', 'spec.denyResponse.statusCode'],
    ['{ message: a, body: b }', 'POLICY_INVALID_VALUE', 'spec.denyResponse.body'],
    ['headers: { ":status": "200" }', 'POLICY_INVALID_HEADER', 'spec.denyResponse.headers[":status"]'],
    ['headers: { Connection: close }', 'POLICY_INVALID_HEADER', 'spec.denyResponse.headers.Connection'],
    ['headers: { x-a: "one\\r\\nSet-Cookie: x" }', 'POLICY_INVALID_HEADER', 'spec.denyResponse.headers.x-a'],
    ['headers: { X-A: "1", x-a: "2" }', 'POLICY_INVALID_HEADER', 'spec.denyResponse.headers.x-a'],
    ['headers: { x-a: 1 }', 'POLICY_WRONG_TYPE', 'spec.denyResponse.headers.x-a'],
    ['headers: [x-a]', 'POLICY_WRONG_TYPE', 'spec.denyResponse.headers'],
  ])('rejects %s', (response, code, path) => {
    const line = response.startsWith('{')
      ? `  denyResponse: ${response}\n`
      : `  denyResponse:\n    ${response}\n`;
    const { policy: p, issues } = policy(`${target}${line}`);
    expect(p).toBeUndefined();
    expect(issues.map((i) => [i.code, i.path])).toEqual([[code, path]]);
  });

  it('needs a kind and a route target in its own namespace', () => {
    expect(policy('  targetRef: { name: paste }\n').issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_MISSING_FIELD', 'spec.targetRef.kind'],
    ]);
    expect(policy('  targetRef: { kind: EgressGateway, name: g }\n').issues.map((i) => i.code)).toEqual([
      'POLICY_INVALID_VALUE',
    ]);
    expect(
      policy('  targetRef: { kind: EgressL4Route, name: paste, namespace: other }\n').issues[0],
    ).toMatchObject({
      code: 'POLICY_UNKNOWN_FIELD',
      path: 'spec.targetRef.namespace',
    });
    expect(policy('  denyResponse: {}\n').issues.map((i) => [i.code, i.path])).toEqual([
      ['POLICY_MISSING_FIELD', 'spec.targetRef'],
    ]);
  });
});
