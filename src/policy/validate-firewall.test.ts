import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { EgressFirewallPolicy, Issue } from './types';
import { firewallPolicyKind } from './validate-firewall';
import { validateWith } from '../../test/support/validate-kinds';
import { parseDocuments } from './documents';
import { createContext } from './validate-context';
import { validateMetadata } from './validate-metadata';

/** Through the real loader: each document, then the cross-checks. */
function load(text: string, file = 'inline.yaml'): { policies: EgressFirewallPolicy[]; issues: Issue[] } {
  const { resources, issues } = validateWith([firewallPolicyKind], text, file);
  return { policies: resources as EgressFirewallPolicy[], issues };
}

const HEAD =
  'apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: p }\n';
const policy = (spec: string) => load(`${HEAD}spec:\n${spec}`);
const rule = (body: string) => policy(`  rules:\n    - label: r\n      verdict: deny\n${body}`);
const codes = (issues: readonly Issue[]) => issues.map((i) => [i.code, i.path, i.severity]);

/** OrcaRouter's SSRF rule (test/fixtures/seeds/002), character for character; YAML reads it as it stands. */
const SEED_RULE = `{
  "label": "deny SSRF destinations",
  "stage": "egress",
  "verdict": "deny",
  "egress_json": "{\\"deny\\":[\\"169.254.169.254\\",\\"10.0.0.0/8\\",\\"172.16.0.0/12\\",\\"192.168.0.0/16\\"],\\"allow\\":[\\"api.openai.com\\"]}"
}`;

describe('EgressFirewallPolicy validation', () => {
  it("loads OrcaRouter's JSON rule unchanged inside a policy", () => {
    const indented = SEED_RULE.split('\n').join('\n      ');
    const { policies, issues } = policy(`  default_verdict: deny\n  rules:\n    - ${indented}\n`);
    expect(issues).toEqual([]);
    expect(policies[0]?.defaultVerdict).toBe('deny');
    expect(policies[0]?.rules).toEqual([
      {
        label: 'deny SSRF destinations',
        stage: 'egress',
        verdict: 'deny',
        deny: [
          expect.objectContaining({ kind: 'ip', text: '169.254.169.254' }),
          expect.objectContaining({ kind: 'cidr', text: '10.0.0.0/8' }),
          expect.objectContaining({ kind: 'cidr', text: '172.16.0.0/12' }),
          expect.objectContaining({ kind: 'cidr', text: '192.168.0.0/16' }),
        ],
        allow: [expect.objectContaining({ kind: 'host', text: 'api.openai.com' })],
      },
    ]);
  });

  it('fills in defaults: audit, not shadow, not the workspace default, enabled, stage egress', () => {
    const { policies, issues } = rule('      egress: { deny: [10.0.0.0/8] }\n');
    expect(issues).toEqual([]);
    expect(policies[0]).toMatchObject({
      defaultVerdict: 'audit',
      shadow: false,
      workspaceDefault: false,
      enabled: true,
      rules: [{ stage: 'egress', allow: [] }],
    });
  });

  it.each([
    ['defaultVerdict: allow', { defaultVerdict: 'allow' }],
    ['default_verdict: deny', { defaultVerdict: 'deny' }],
    ['shadow: true', { shadow: true }],
    ['shadow_mode: true', { shadow: true }],
    ['workspaceDefault: true', { workspaceDefault: true }],
    ['enabled: false', { enabled: false }],
  ])('reads %s', (line, expected) => {
    const { policies, issues } = policy(`  ${line}\n`);
    expect(issues).toEqual([]);
    expect(policies[0]).toMatchObject({ ...expected, rules: [] });
  });

  it.each([
    ['API.OpenAI.com.', { kind: 'host', text: 'api.openai.com' }],
    ['*.Example.com', { kind: 'host', text: '*.example.com', pattern: { kind: 'single' } }],
    ['**.corp.example', { kind: 'host', text: '**.corp.example', pattern: { kind: 'multi' } }],
    ['10.0.0.1', { kind: 'ip', text: '10.0.0.1' }],
    ['::ffff:10.0.0.1', { kind: 'ip', text: '10.0.0.1' }],
    ['fd00::1', { kind: 'ip', text: 'fd00::1' }],
    ['2001:db8::/32', { kind: 'cidr', text: '2001:db8::/32' }],
    ['0.0.0.0/0', { kind: 'cidr', text: '0.0.0.0/0' }],
  ])('reads entry %s', (entry, expected) => {
    const { policies, issues } = rule(`      egress: { deny: [${JSON.stringify(entry)}] }\n`);
    expect(issues).toEqual([]);
    expect(policies[0]?.rules[0]?.deny).toHaveLength(1);
    expect(policies[0]?.rules[0]?.deny[0]).toMatchObject(expected);
  });

  it('keeps a rule of another stage, warning that it never applies; `` means all stages', () => {
    const { policies, issues } = policy(
      '  rules:\n' +
        '    - { label: a, stage: inbound, verdict: deny, egress: { deny: [a.example] } }\n' +
        '    - { label: b, stage: egres, verdict: deny, egress: { deny: [b.example] } }\n' +
        '    - { label: c, stage: "", verdict: deny, egress: { deny: [c.example] } }\n',
    );
    expect(codes(issues)).toEqual([
      ['POLICY_STAGE_NOT_EGRESS', 'spec.rules[0].stage', 'warning'],
      ['POLICY_STAGE_NOT_EGRESS', 'spec.rules[1].stage', 'warning'],
    ]);
    expect(issues[1]?.fix).toContain('stage: egress');
    expect(policies[0]?.rules.map((r) => r.stage)).toEqual(['inbound', 'egres', '']);
  });

  it.each([
    [
      'a bad IP literal',
      '      egress: { deny: ["10.0.0.256"] }\n',
      'POLICY_INVALID_IP',
      'spec.rules[0].egress.deny[0]',
    ],
    [
      'a bracketed IPv6',
      '      egress: { deny: ["[fd00::1]"] }\n',
      'POLICY_INVALID_IP',
      'spec.rules[0].egress.deny[0]',
    ],
    [
      'CIDR host bits',
      '      egress: { deny: [10.1.0.0/8] }\n',
      'POLICY_INVALID_CIDR',
      'spec.rules[0].egress.deny[0]',
    ],
    [
      'a bad host',
      '      egress: { allow: ["exa mple.com"], deny: [a.b] }\n',
      'POLICY_INVALID_HOSTNAME',
      'spec.rules[0].egress.allow[0]',
    ],
    [
      'a bare wildcard',
      '      egress: { deny: ["*"] }\n',
      'POLICY_INVALID_HOSTNAME',
      'spec.rules[0].egress.deny[0]',
    ],
    ['a number entry', '      egress: { deny: [42] }\n', 'POLICY_WRONG_TYPE', 'spec.rules[0].egress.deny[0]'],
    [
      'a list that is a string',
      '      egress: { deny: 10.0.0.0/8 }\n',
      'POLICY_WRONG_TYPE',
      'spec.rules[0].egress.deny',
    ],
    [
      'an unknown list',
      '      egress: { denied: [a.b] }\n',
      'POLICY_UNKNOWN_FIELD',
      'spec.rules[0].egress.denied',
    ],
    ['no lists at all', '      stage: egress\n', 'POLICY_MISSING_FIELD', 'spec.rules[0].egress'],
    [
      'egress_json that is a map',
      '      egress_json: { deny: [a.b] }\n',
      'POLICY_WRONG_TYPE',
      'spec.rules[0].egress_json',
    ],
    [
      'egress_json with an unknown key',
      `      egress_json: '{"denied":["a.b"]}'\n`,
      'POLICY_UNKNOWN_FIELD',
      'spec.rules[0].egress_json.denied',
    ],
    [
      'egress_json holding a list',
      `      egress_json: '["a.b"]'\n`,
      'POLICY_WRONG_TYPE',
      'spec.rules[0].egress_json',
    ],
    [
      'egress_json with a bad entry',
      `      egress_json: '{"deny":["10.0.0.1/33"]}'\n`,
      'POLICY_INVALID_CIDR',
      'spec.rules[0].egress_json.deny[0]',
    ],
    [
      'empty egress_json lists',
      `      egress_json: '{"deny":[],"allow":[]}'\n`,
      'POLICY_MISSING_FIELD',
      'spec.rules[0].egress_json',
    ],
  ])('rejects %s', (_name, body, code, path) => {
    const { policies, issues } = rule(body);
    expect(codes(issues)).toEqual([[code, path, 'error']]);
    expect(policies).toEqual([]);
  });

  it.each([
    [
      'a verdict outside the three',
      '  rules: [{ label: r, verdict: block, egress: { deny: [a.b] } }]\n',
      'spec.rules[0].verdict',
    ],
    ['a missing verdict', '  rules: [{ label: r, egress: { deny: [a.b] } }]\n', 'spec.rules[0].verdict'],
    ['a missing label', '  rules: [{ verdict: deny, egress: { deny: [a.b] } }]\n', 'spec.rules[0].label'],
    [
      'an empty label',
      '  rules: [{ label: " ", verdict: deny, egress: { deny: [a.b] } }]\n',
      'spec.rules[0].label',
    ],
    [
      'both spellings of the default',
      '  defaultVerdict: deny\n  default_verdict: deny\n',
      'spec.default_verdict',
    ],
    ['both spellings of shadow', '  shadow: true\n  shadow_mode: true\n', 'spec.shadow_mode'],
    ['a quoted boolean', '  enabled: "false"\n', 'spec.enabled'],
    ['a typo', '  defaultVerdic: deny\n', 'spec.defaultVerdic'],
  ])('rejects %s', (_name, spec, path) => {
    const { policies, issues } = policy(spec);
    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]?.severity).toBe('error');
    expect(policies).toEqual([]);
  });

  it.each([
    ['{"deny":}', 8, 'after `{"deny":`'],
    ['{"deny":["a.b"]', 15, 'ends early'],
    ['{"deny":["a.b"]} x', 17, 'after the JSON value'],
    ['{deny:["a.b"]}', 1, 'property name'],
    ['{"deny":["a.b",]}', 15, 'after `{"deny":["a.b",`'],
  ])('reports where egress_json %s stops being JSON', (json, position, detail) => {
    const { issues } = rule(`      egress_json: '${json}'\n`);
    expect(codes(issues)).toEqual([['POLICY_INVALID_JSON', 'spec.rules[0].egress_json', 'error']]);
    expect(issues[0]?.message).toContain(`at position ${position} `);
    expect(issues[0]?.message).toContain(detail);
  });

  it('does not mutate its input', () => {
    const spec = deepFreeze({
      default_verdict: 'deny',
      rules: [{ label: 'r', verdict: 'deny', egress: { deny: ['10.0.0.0/8', 'API.example.com.'] } }],
    });
    const doc = parseDocuments('x.yaml', 'a: 1').docs[0];
    if (doc === undefined) throw new Error('no document');
    const ctx = createContext(doc);
    const meta = validateMetadata(
      ctx,
      { name: 'p' },
      'egress.portcullis.dev/v1alpha1',
      'egress.portcullis.dev',
    ).meta;
    expect(firewallPolicyKind.validate(ctx, spec, meta)?.rules[0]?.deny.map((e) => e.text)).toEqual([
      '10.0.0.0/8',
      'api.example.com',
    ]);
    expect(ctx.issues).toEqual([]);
  });

  it('warns when two namespaces use one policy name, since a bare key attachment gets the first', () => {
    const other = HEAD.replace('{ name: p }', '{ name: p, namespace: team-b }');
    const { policies, issues } = load(`${HEAD}spec: {}\n---\n${other}spec: {}\n`);
    expect(codes(issues)).toEqual([['POLICY_AMBIGUOUS_NAME', 'metadata.name', 'warning']]);
    expect(issues[0]?.fix).toContain('team-b/p');
    expect(policies).toHaveLength(2);
  });
});

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'policies', 'invalid');

/** [fixture, policies still valid, code, path, line, a substring of the message]. */
const fixtures: [string, number, string, string, number, string][] = [
  [
    'firewall-empty-lists',
    1,
    'POLICY_MISSING_FIELD',
    'spec.rules[0].egress',
    11,
    'at least one allow or deny entry',
  ],
  ['firewall-bad-egress-json', 0, 'POLICY_INVALID_JSON', 'spec.rules[0].egress_json', 11, 'position 8'],
  ['firewall-both-egress-forms', 0, 'POLICY_INVALID_VALUE', 'spec.rules[0].egress_json', 12, 'give only one'],
  ['firewall-bad-entry', 0, 'POLICY_INVALID_IP', 'spec.rules[0].egress.deny[1]', 13, '"192.168.0.256"'],
  ['firewall-duplicate-label', 0, 'POLICY_DUPLICATE_NAME', 'spec.rules[1].label', 12, 'rules[0]'],
  [
    'firewall-two-workspace-defaults',
    2,
    'POLICY_MULTIPLE_WORKSPACE_DEFAULTS',
    'spec.workspaceDefault',
    17,
    'default/first',
  ],
];

describe('invalid firewall policy fixtures', () => {
  it.each(fixtures)('%s', (name, validCount, code, path, line, message) => {
    const file = join(FIXTURES, `${name}.yaml`);
    const { policies, issues } = load(readFileSync(file, 'utf8'), file);
    const errors = issues.filter((issue) => issue.severity === 'error');
    expect(errors.map((e) => [e.code, e.path, e.line])).toEqual([[code, path, line]]);
    expect(errors[0]?.message).toContain(message);
    expect(errors[0]?.fix).toBeDefined();
    expect(policies).toHaveLength(validCount);
  });
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
