/**
 * One fixture file per invalid case: each must produce exactly the listed errors (code and path,
 * and the line or fix where that is the point of the case), and the resource carrying the mistake
 * must not be returned while the valid ones beside it still are.
 */
import { join } from 'node:path';

import { loadPolicies } from '../../src/sources/read-policy-files';

const DIR = join(__dirname, '..', 'fixtures', 'policies', 'invalid');
const MATCH = 'spec.rules[0].matches[0]';

interface Expected {
  readonly code: string;
  readonly path: string;
  readonly line?: number;
  /** A substring of the fix, where the fix is the point of the case. */
  readonly fix?: string;
}

/** [fixture, how many of its resources are still valid, the errors expected]. */
const cases: [string, number, Expected[]][] = [
  ['unknown-field', 0, [{ code: 'POLICY_UNKNOWN_FIELD', path: 'spec.loadBalancer', line: 7 }]],
  [
    'typo-field-suggestion',
    1,
    [
      {
        code: 'POLICY_UNKNOWN_FIELD',
        path: `${MATCH}.destinationCIDR`,
        fix: 'did you mean `destinationCIDRs`?',
      },
    ],
  ],
  ['bad-cidr', 1, [{ code: 'POLICY_INVALID_CIDR', path: `${MATCH}.destinationCIDRs[0]`, line: 20 }]],
  [
    'cidr-host-bits',
    1,
    [{ code: 'POLICY_INVALID_CIDR', path: `${MATCH}.destinationCIDRs[0]`, fix: '10.0.0.0/8' }],
  ],
  [
    'except-outside',
    1,
    [{ code: 'POLICY_EXCEPT_OUTSIDE', path: `${MATCH}.destinationCIDRs[0].except[0]`, line: 22 }],
  ],
  [
    'except-other-family',
    1,
    [{ code: 'POLICY_EXCEPT_OUTSIDE', path: `${MATCH}.destinationCIDRs[0].except[0]` }],
  ],
  [
    'wildcard-in-middle',
    1,
    [{ code: 'POLICY_INVALID_HOSTNAME', path: `${MATCH}.destinationHostnames[0]`, fix: '**.example.com' }],
  ],
  ['bare-wildcard', 1, [{ code: 'POLICY_INVALID_HOSTNAME', path: `${MATCH}.destinationHostnames[0]` }]],
  ['port-zero', 1, [{ code: 'POLICY_INVALID_PORT', path: `${MATCH}.ports[0].port` }]],
  ['port-too-large', 1, [{ code: 'POLICY_INVALID_PORT', path: `${MATCH}.ports[0].port` }]],
  ['port-range-reversed', 1, [{ code: 'POLICY_INVALID_PORT_RANGE', path: `${MATCH}.ports[0]`, fix: 'swap' }]],
  ['port-and-range', 1, [{ code: 'POLICY_INVALID_PORT_RANGE', path: `${MATCH}.ports[0]` }]],
  ['bad-protocol', 1, [{ code: 'POLICY_INVALID_VALUE', path: `${MATCH}.protocol`, line: 21 }]],
  [
    'selector-bad-operator',
    1,
    [
      {
        code: 'POLICY_INVALID_SELECTOR',
        path: `${MATCH}.sourceAgents.matchExpressions[0].operator`,
        line: 24,
      },
    ],
  ],
  [
    'selector-in-without-values',
    1,
    [{ code: 'POLICY_INVALID_SELECTOR', path: `${MATCH}.sourceAgents.matchExpressions[0].values` }],
  ],
  ['missing-gateway', 0, [{ code: 'POLICY_UNKNOWN_GATEWAY', path: 'spec.parentRefs[0].name', line: 8 }]],
  [
    'unknown-section-name',
    1,
    [{ code: 'POLICY_UNKNOWN_LISTENER', path: 'spec.parentRefs[0].sectionName', line: 18, fix: '`tls-out`' }],
  ],
  [
    'deny-policy-missing-route',
    2,
    [{ code: 'POLICY_UNKNOWN_ROUTE', path: 'spec.targetRef.name', line: 29, fix: '`paste-sites`' }],
  ],
  ['duplicate-names', 1, [{ code: 'POLICY_DUPLICATE_NAME', path: 'metadata.name', line: 14, fix: 'rename' }]],
  ['yaml-syntax-duplicate-key', 1, [{ code: 'POLICY_YAML_SYNTAX', path: '', line: 24, fix: '`ports`' }]],
  ['unknown-kind', 0, [{ code: 'POLICY_UNKNOWN_KIND', path: 'kind', line: 3, fix: '`EgressL4Route`' }]],
  ['unknown-api-version', 0, [{ code: 'POLICY_UNKNOWN_API_VERSION', path: 'apiVersion', line: 2 }]],
  [
    'wrong-type-string-for-list',
    1,
    [{ code: 'POLICY_WRONG_TYPE', path: `${MATCH}.destinationHostnames`, fix: '["api.anthropic.com"]' }],
  ],
  ['bad-status-code', 2, [{ code: 'POLICY_INVALID_VALUE', path: 'spec.denyResponse.statusCode', line: 31 }]],
  [
    'invalid-header-name',
    2,
    [{ code: 'POLICY_INVALID_HEADER', path: 'spec.denyResponse.headers["x portcullis reason"]', line: 32 }],
  ],
  [
    'hop-by-hop-header',
    2,
    [{ code: 'POLICY_INVALID_HEADER', path: 'spec.denyResponse.headers.Transfer-Encoding' }],
  ],
  [
    'invalid-resource-name',
    0,
    [{ code: 'POLICY_INVALID_NAME', path: 'metadata.name', fix: '`prod-agents`' }],
  ],
  ['duplicate-listener', 0, [{ code: 'POLICY_DUPLICATE_NAME', path: 'spec.listeners[1].name', line: 10 }]],
  ['missing-matches', 1, [{ code: 'POLICY_MISSING_FIELD', path: 'spec.rules[0].matches' }]],
];

describe('invalid policy fixtures', () => {
  it.each(cases)('%s', async (name, validCount, expected) => {
    const file = join(DIR, `${name}.yaml`);
    const { resources, issues } = await loadPolicies([file]);
    const errors = issues.filter((issue) => issue.severity === 'error');

    expect(errors.map(({ code, path }) => ({ code, path }))).toEqual(
      expected.map(({ code, path }) => ({ code, path })),
    );
    expected.forEach((want, index) => {
      const got = errors[index];
      expect(got.file).toBe(file);
      if (want.line !== undefined) expect(got.line).toBe(want.line);
      if (want.fix !== undefined) expect(got.fix).toContain(want.fix);
    });
    expect(resources).toHaveLength(validCount);
  });
});
