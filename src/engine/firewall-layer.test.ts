import { firewallPoliciesFromYaml } from '../../test/support/validate-kinds';
import { compileFirewallLayer, type FirewallLayer } from '../compile/firewall-layer';
import { parseIpLiteral } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import { canonicalizeDestination } from './destination';
import { evaluateFirewall } from './firewall-layer';
import type { LayerInput } from './layer';
import { ANONYMOUS_AGENT, type Agent, type RawDestination } from './types';

const policiesFromYaml = firewallPoliciesFromYaml;

const layerOf = (text: string): FirewallLayer => compileFirewallLayer(policiesFromYaml(text));

const doc = (name: string, spec: string, namespace = 'default') =>
  `apiVersion: egress.portcullis.dev/v1alpha1\nkind: EgressFirewallPolicy\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n${spec}---\n`;

interface Call {
  /** `host:port` as a CONNECT authority, or `l4` for the address a connection goes to. */
  readonly to?: string;
  readonly l4?: string;
  readonly sni?: string;
  readonly resolved?: readonly string[];
  readonly agent?: Partial<Agent>;
}

function input(call: Call): LayerInput {
  let raw: RawDestination;
  if (call.l4 !== undefined) {
    const i = call.l4.lastIndexOf(':');
    raw = {
      address: call.l4.slice(0, i),
      port: Number(call.l4.slice(i + 1)),
      protocol: 'tcp',
      ...(call.sni === undefined ? {} : { sni: call.sni }),
    };
  } else {
    raw = { authority: call.to ?? '', authoritySource: 'connect', protocol: 'tcp' };
  }
  const canonical = canonicalizeDestination(raw);
  if (!canonical.ok) throw new Error(canonical.message);
  const request = { surface: 'check-http' as const, source: {}, destination: raw, context: {} };
  const agent: Agent = { ...ANONYMOUS_AGENT, name: 'bot', ...call.agent };
  if (call.resolved === undefined) return { request, dest: canonical.destination, agent };
  return { request, dest: canonical.destination, agent, resolved: call.resolved.map(ip) };
}

function ip(text: string): IpAddress {
  const parsed = parseIpLiteral(text);
  if (parsed === undefined) throw new Error(`bad IP ${text}`);
  return parsed;
}

/** The firewall model's SSRF rule (test/fixtures/seeds/002) verbatim, in a workspace-default policy. */
const SEED_RULE = `    - {
        "label": "deny SSRF destinations",
        "stage": "egress",
        "verdict": "deny",
        "egress_json": "{\\"deny\\":[\\"169.254.169.254\\",\\"10.0.0.0/8\\",\\"172.16.0.0/12\\",\\"192.168.0.0/16\\"],\\"allow\\":[\\"api.openai.com\\"]}"
      }
`;
const ssrf = (defaultVerdict: string, extra = '') =>
  layerOf(
    doc(
      'ssrf',
      `  workspaceDefault: true\n  default_verdict: ${defaultVerdict}\n${extra}  rules:\n${SEED_RULE}`,
    ),
  );

type Row = [string, Call, LayerResultShape];
type LayerResultShape = { outcome: string; reasonCode?: string; rule?: string; shadow?: boolean };

function check(layer: FirewallLayer, call: Call, want: LayerResultShape): void {
  const result = evaluateFirewall(layer, input(call));
  expect({ outcome: result.outcome, reasonCode: result.reasonCode }).toEqual({
    outcome: want.outcome,
    reasonCode: want.reasonCode,
  });
  expect(result.rule?.index).toBe(want.rule);
  expect(result.shadow).toBe(want.shadow);
  if (result.outcome !== 'abstain') expect(result.layer).toBe('firewall');
}

const DENIED = { outcome: 'deny', reasonCode: 'firewall_rule_denied', rule: 'rules[0]' };

describe('firewall layer: the SSRF rule of the firewall model', () => {
  const allowDefault = ssrf('allow');
  const auditDefault = ssrf('audit');

  it.each<Row>([
    ['the metadata endpoint', { to: '169.254.169.254:80' }, DENIED],
    ['RFC 1918 10/8', { to: '10.1.2.3:443' }, DENIED],
    ['RFC 1918 172.16/12', { to: '172.20.0.1:443' }, DENIED],
    ['RFC 1918 192.168/16', { to: '192.168.1.1:443' }, DENIED],
    [
      'a public host, by the default allow',
      { to: 'example.com:443' },
      { outcome: 'allow', reasonCode: 'firewall_default_allowed' },
    ],
    [
      'api.openai.com resolved into 10/8, by the carve-out',
      { to: 'api.openai.com:443', resolved: ['10.0.0.5'] },
      { outcome: 'allow', reasonCode: 'firewall_default_allowed' },
    ],
    [
      'a name resolving into 10/8',
      { to: 'intranet.example:443', resolved: ['93.184.216.34', '10.0.0.5'] },
      DENIED,
    ],
    ['an IPv6 name of a NAT64 metadata address', { l4: '64:ff9b::a9fe:a9fe:80' }, DENIED],
    [
      'a connection to 10/8 that presents the carved-out SNI',
      { l4: '10.0.0.5:443', sni: 'api.openai.com' },
      DENIED,
    ],
    [
      'a name resolving elsewhere',
      { to: 'example.org:443', resolved: ['93.184.216.34'] },
      { outcome: 'allow', reasonCode: 'firewall_default_allowed' },
    ],
  ])('%s', (_name, call, want) => check(allowDefault, call, want));

  it('lets example.com through as an audit under the default verdict audit', () => {
    check(auditDefault, { to: 'example.com:443' }, { outcome: 'audit', reasonCode: 'firewall_audit' });
  });

  it('names the destination, the entry, the rule and the policy', () => {
    const result = evaluateFirewall(
      allowDefault,
      input({ to: 'api.github.com:443', resolved: ['10.9.9.9'] }),
    );
    expect(result.reason).toBe(
      'api.github.com:443 matches deny entry 10.0.0.0/8 (resolved to 10.9.9.9) of deny rule "deny SSRF destinations" (rules[0]) of firewall policy default/ssrf (workspace default)',
    );
    expect(result.policy).toEqual({ kind: 'EgressFirewallPolicy', namespace: 'default', name: 'ssrf' });
    expect(result.rule).toEqual({ index: 'rules[0]', label: 'deny SSRF destinations' });
  });

  it('re-checks metadata.internal against a 169.254.0.0/16 deny by its resolved address', () => {
    const layer = layerOf(
      doc(
        'link-local',
        '  workspaceDefault: true\n  defaultVerdict: allow\n  rules:\n    - { label: no link-local, verdict: deny, egress: { deny: [169.254.0.0/16] } }\n',
      ),
    );
    check(layer, { to: 'metadata.internal:80', resolved: ['169.254.169.254'] }, DENIED);
    check(
      layer,
      { to: 'metadata.internal:80' },
      { outcome: 'allow', reasonCode: 'firewall_default_allowed' },
    );
  });
});

describe('firewall layer: rule semantics', () => {
  const allowList = layerOf(
    doc(
      'approved',
      '  workspaceDefault: true\n  defaultVerdict: deny\n  rules:\n' +
        '    - label: approved destinations\n      verdict: allow\n' +
        '      egress: { allow: [api.openai.com, "*.anthropic.com", 203.0.113.0/24], deny: [blocked.anthropic.com, 203.0.113.66] }\n',
    ),
  );
  const ALLOWED = { outcome: 'allow', reasonCode: 'firewall_rule_allowed', rule: 'rules[0]' };
  const DEFAULT_DENIED = { outcome: 'deny', reasonCode: 'firewall_default_denied' };

  it.each<Row>([
    ['a listed host', { to: 'api.openai.com:443' }, ALLOWED],
    ['a host under a listed wildcard', { to: 'console.anthropic.com:443' }, ALLOWED],
    ['an address in a listed CIDR', { to: '203.0.113.7:443' }, ALLOWED],
    ['an unlisted host', { to: 'example.com:443' }, DEFAULT_DENIED],
    ['a deny carve-out inside the wildcard', { to: 'blocked.anthropic.com:443' }, DEFAULT_DENIED],
    ['a deny carve-out inside the CIDR', { to: '203.0.113.66:443' }, DEFAULT_DENIED],
    [
      'a listed host that resolved into a carve-out',
      { to: 'api.openai.com:443', resolved: ['203.0.113.66'] },
      DEFAULT_DENIED,
    ],
    [
      'a NAT64 form of a listed address (embedded IPv4 never allows)',
      { l4: '64:ff9b::cb00:7107:443' },
      DEFAULT_DENIED,
    ],
  ])('allow-list posture: %s', (_name, call, want) => check(allowList, call, want));

  const partnerFirst = layerOf(
    doc(
      'ordered',
      '  workspaceDefault: true\n  defaultVerdict: allow\n  rules:\n' +
        '    - { label: partner, verdict: allow, egress: { allow: [partner.example.com] } }\n' +
        '    - { label: example, verdict: deny, egress: { deny: ["**.example.com"], allow: [docs.example.com] } }\n' +
        '    - { label: docs, verdict: deny, egress: { deny: [docs.example.com] } }\n',
    ),
  );
  const denyFirst = layerOf(
    doc(
      'ordered',
      '  workspaceDefault: true\n  defaultVerdict: allow\n  rules:\n' +
        '    - { label: example, verdict: deny, egress: { deny: ["**.example.com"] } }\n' +
        '    - { label: partner, verdict: allow, egress: { allow: [partner.example.com] } }\n',
    ),
  );

  it.each<[string, FirewallLayer, Call, LayerResultShape]>([
    [
      'the earlier allow wins',
      partnerFirst,
      { to: 'partner.example.com:443' },
      { outcome: 'allow', reasonCode: 'firewall_rule_allowed', rule: 'rules[0]' },
    ],
    [
      'the next rule decides what the first does not cover',
      partnerFirst,
      { to: 'cdn.example.com:443' },
      { ...DENIED, rule: 'rules[1]' },
    ],
    [
      'a carve-out passes the destination on to later rules',
      partnerFirst,
      { to: 'docs.example.com:443' },
      { ...DENIED, rule: 'rules[2]' },
    ],
    ['the earlier deny wins', denyFirst, { to: 'partner.example.com:443' }, DENIED],
  ])('first in-scope rule wins: %s', (_name, layer, call, want) => check(layer, call, want));

  it('never lets a resolved address undo a deny by name', () => {
    const layer = layerOf(
      doc(
        'names',
        '  workspaceDefault: true\n  defaultVerdict: allow\n  rules:\n' +
          '    - { label: no evil, verdict: deny, egress: { deny: [evil.example], allow: [10.0.0.0/8] } }\n',
      ),
    );
    check(layer, { to: 'evil.example:443', resolved: ['10.0.0.5'] }, DENIED);
    check(
      layer,
      { l4: '10.0.0.5:443', sni: 'evil.example' },
      { outcome: 'allow', reasonCode: 'firewall_default_allowed' },
    );
  });

  it('lets an audit rule through with firewall_audit, before a later deny', () => {
    const layer = layerOf(
      doc(
        'watch',
        '  workspaceDefault: true\n  defaultVerdict: deny\n  rules:\n' +
          '    - { label: watch uploads, verdict: audit, egress: { allow: ["**.example.org"], deny: [secret.example.org] } }\n' +
          '    - { label: no example.org, verdict: deny, egress: { deny: ["**.example.org"] } }\n',
      ),
    );
    check(
      layer,
      { to: 'upload.example.org:443' },
      { outcome: 'audit', reasonCode: 'firewall_audit', rule: 'rules[0]' },
    );
    check(layer, { to: 'secret.example.org:443' }, { ...DENIED, rule: 'rules[1]' });
  });

  it('downgrades denies to shadow audits in shadow mode, leaving the reason plain', () => {
    const layer = ssrf('deny', '  shadow_mode: true\n');
    check(
      layer,
      { to: '169.254.169.254:80' },
      { outcome: 'audit', reasonCode: 'firewall_rule_denied', rule: 'rules[0]', shadow: true },
    );
    check(
      layer,
      { to: 'example.com:443' },
      { outcome: 'audit', reasonCode: 'firewall_default_denied', shadow: true },
    );
    check(
      layer,
      { to: 'api.openai.com:443', resolved: ['10.0.0.5'] },
      { outcome: 'audit', reasonCode: 'firewall_default_denied', shadow: true },
    );
    expect(evaluateFirewall(layer, input({ to: '10.0.0.1:443' })).reason).not.toContain('[shadow]');
  });

  it('never matches a rule of another stage; `` means every stage', () => {
    const layer = layerOf(
      doc(
        'stages',
        '  workspaceDefault: true\n  defaultVerdict: allow\n  rules:\n' +
          '    - { label: inbound only, stage: inbound, verdict: deny, egress: { deny: [a.example, 10.0.0.0/8] } }\n' +
          '    - { label: everywhere, stage: "", verdict: deny, egress: { deny: [b.example] } }\n',
      ),
    );
    check(layer, { to: 'a.example:443' }, { outcome: 'allow', reasonCode: 'firewall_default_allowed' });
    check(layer, { to: '10.0.0.1:443' }, { outcome: 'allow', reasonCode: 'firewall_default_allowed' });
    check(layer, { to: 'b.example:443' }, { ...DENIED, rule: 'rules[1]' });
  });
});

describe('firewall layer: legacy rows with a broken list', () => {
  /** Files never produce `brokenList`; the admin store's legacy rows do. */
  function withRule(verdict: 'allow' | 'deny', defaultVerdict: 'allow' | 'deny'): FirewallLayer {
    const [base] = policiesFromYaml(doc('legacy', '  workspaceDefault: true\n'));
    if (base === undefined) throw new Error('no policy');
    const broken = {
      label: 'legacy',
      stage: 'egress',
      verdict,
      allow: [],
      deny: [],
      brokenList: 'Unexpected token',
    };
    const later = policiesFromYaml(
      doc('x', `  rules: [{ label: later, verdict: allow, egress: { allow: [example.com] } }]\n`),
    )[0]?.rules[0];
    if (later === undefined) throw new Error('no rule');
    return compileFirewallLayer([{ ...base, defaultVerdict, rules: [broken, later] }]);
  }

  it.each<[string, FirewallLayer, Call, LayerResultShape]>([
    ['a deny rule gates a public host', withRule('deny', 'allow'), { to: 'example.com:443' }, DENIED],
    ['a deny rule gates an address', withRule('deny', 'allow'), { to: '1.1.1.1:443' }, DENIED],
    [
      'an allow rule never fires',
      withRule('allow', 'deny'),
      { to: '1.1.1.1:443' },
      { outcome: 'deny', reasonCode: 'firewall_default_denied' },
    ],
    [
      'an allow rule leaves later rules to decide',
      withRule('allow', 'deny'),
      { to: 'example.com:443' },
      { outcome: 'allow', reasonCode: 'firewall_rule_allowed', rule: 'rules[1]' },
    ],
  ])('%s', (_name, layer, call, want) => check(layer, call, want));
});

describe('firewall layer: which policy applies (by key, else the workspace default)', () => {
  const layer = layerOf(
    doc('strict', '  defaultVerdict: deny\n', 'team-a') +
      doc('open', '  workspaceDefault: true\n  defaultVerdict: allow\n') +
      doc('off', '  enabled: false\n  defaultVerdict: deny\n'),
  );
  const noDefault = layerOf(doc('strict', '  defaultVerdict: deny\n'));

  it.each<[string, FirewallLayer, Partial<Agent>, string, string | undefined]>([
    ['the key policy', layer, { firewallPolicy: 'strict' }, 'deny', 'strict'],
    ['the key policy by namespace/name', layer, { firewallPolicy: 'team-a/strict' }, 'deny', 'strict'],
    ['the workspace default when the key names none', layer, {}, 'allow', 'open'],
    [
      'the workspace default when the key policy is disabled',
      layer,
      { firewallPolicy: 'off' },
      'allow',
      'open',
    ],
    [
      'the workspace default when the key policy is not loaded',
      layer,
      { firewallPolicy: 'gone' },
      'allow',
      'open',
    ],
    ['nothing without a key policy or a workspace default', noDefault, {}, 'abstain', undefined],
    [
      'nothing when the key policy is missing and there is no default',
      noDefault,
      { firewallPolicy: 'gone' },
      'abstain',
      undefined,
    ],
  ])('%s', (_name, l, agent, outcome, policy) => {
    const result = evaluateFirewall(l, input({ to: 'example.com:443', agent }));
    expect(result.outcome).toBe(outcome);
    expect(result.policy?.name).toBe(policy);
  });

  it('says when the agent’s own policy was passed over', () => {
    const result = evaluateFirewall(
      layer,
      input({ to: 'example.com:443', agent: { firewallPolicy: 'off' } }),
    );
    expect(result.reason).toContain('workspace default: agent bot names policy "off", which is disabled');
    const none = evaluateFirewall(
      noDefault,
      input({ to: 'example.com:443', agent: { firewallPolicy: 'gone' } }),
    );
    expect(none.reason).toContain('"gone", which is not loaded');
  });
});
