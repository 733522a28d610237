import { decide, decideInvalidRequest } from './decide';
import { ANONYMOUS_AGENT, type Agent, type EgressRequest, type ReasonCode } from './types';
import { compileSnapshot } from '../compile/snapshot';
import { parseIpLiteral } from '../policy/ip';
import { snapshotFromYaml, request, type RequestSpec } from '../../test/support/policy';

const GW = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: tls-out, protocol: TLS }
    - { name: tcp-out, protocol: TCP }
`;

const POLICY = `${GW}
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: llm }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: ["api.anthropic.com", "*.azure.openai.com", "**.huggingface.co"]
          ports: [{ port: 443 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: internal }
spec:
  parentRefs: [{ name: agents, sectionName: tcp-out }]
  rules:
    - matches:
        - destinationCIDRs: ["10.20.0.0/16", { cidr: "10.30.0.0/16", except: ["10.30.5.0/24"] }]
          ports: [{ startPort: 8000, endPort: 8099 }]
    - matches:
        - destinationHostnames: ["pg.prod.internal"]
          ports: [{ port: 5432 }]
        - destinationCIDRs: ["10.40.0.0/16"]
          protocol: UDP
          ports: [{ port: 53 }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: platform-only }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: ["**.svc.cluster.local"]
          sourceAgents: { matchLabels: { team: platform } }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: pinned }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches:
        - destinationHostnames: ["bank.example"]
          destinationCIDRs: ["203.0.113.0/24"]
`;

const snapshot = snapshotFromYaml(POLICY);
const platform: Agent = { ...ANONYMOUS_AGENT, name: 'builder', labels: { team: 'platform' } };

interface Case {
  readonly name: string;
  readonly req: RequestSpec;
  readonly verdict: 'allow' | 'deny';
  readonly reason: ReasonCode;
  readonly agent?: Agent;
  readonly rule?: string;
}

const cases: Case[] = [
  {
    name: 'exact name on its port',
    req: { connect: 'api.anthropic.com:443' },
    verdict: 'allow',
    reason: 'route_allowed',
    rule: 'rules[0].matches[0]',
  },
  {
    name: 'exact name, other port',
    req: { connect: 'api.anthropic.com:8443' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'name matching is case-insensitive',
    req: { connect: 'API.Anthropic.COM.:443' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: '*. matches one extra label',
    req: { connect: 'eastus.azure.openai.com:443' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: '*. does not match two extra labels',
    req: { connect: 'a.eastus.azure.openai.com:443' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: '*. never matches the apex',
    req: { connect: 'azure.openai.com:443' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: '**. matches any depth',
    req: { connect: 'a.b.c.huggingface.co:443' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: '**. never matches the apex',
    req: { connect: 'huggingface.co:443' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'CIDR and range start',
    req: { l4: '10.20.1.1:8000', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'CIDR and range end',
    req: { l4: '10.20.1.1:8099', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'past the range end',
    req: { l4: '10.20.1.1:8100', listener: 'tcp-out' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'CIDR except carve-out',
    req: { l4: '10.30.5.9:8000', listener: 'tcp-out' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'CIDR outside the carve-out',
    req: { l4: '10.30.6.9:8000', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'listener-scoped route on another listener',
    req: { l4: '10.20.1.1:8000', listener: 'tls-out' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'listener-scoped route when no listener is named',
    req: { l4: '10.20.1.1:8000' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'whole-gateway route on any listener',
    req: { connect: 'api.anthropic.com:443', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'UDP rule with UDP',
    req: { l4: '10.40.0.10:53', protocol: 'udp', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'UDP rule with TCP',
    req: { l4: '10.40.0.10:53', listener: 'tcp-out' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'protocol defaults to TCP',
    req: { connect: 'api.anthropic.com:443', protocol: 'udp' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'IPv4-mapped IPv6 hits the IPv4 CIDR',
    req: { l4: '[::ffff:10.20.1.1]:8000', listener: 'tcp-out' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'sourceAgents selects by label',
    req: { connect: 'api.default.svc.cluster.local:80' },
    agent: platform,
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'sourceAgents rejects other agents',
    req: { connect: 'api.default.svc.cluster.local:80' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'name and CIDR both hold',
    req: { l4: '203.0.113.7:443', sni: 'bank.example' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'name holds, address outside the CIDR',
    req: { l4: '198.51.100.7:443', sni: 'bank.example' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'name and CIDR rule, CONNECT by name (Envoy picks the address)',
    req: { connect: 'bank.example:443' },
    verdict: 'allow',
    reason: 'route_allowed',
  },
  {
    name: 'name rule without name evidence',
    req: { l4: '203.0.113.7:443' },
    verdict: 'deny',
    reason: 'gateway_default_deny',
  },
  {
    name: 'unknown gateway',
    req: { connect: 'api.anthropic.com:443', gateway: 'nope' },
    verdict: 'deny',
    reason: 'gateway_unknown',
  },
  {
    name: 'unknown listener',
    req: { connect: 'api.anthropic.com:443', listener: 'udp-out' },
    verdict: 'deny',
    reason: 'listener_unknown',
  },
  {
    name: 'userinfo in the authority',
    req: { connect: 'user@api.anthropic.com:443' },
    verdict: 'deny',
    reason: 'invalid_destination',
  },
  {
    name: 'port out of range',
    req: { connect: 'api.anthropic.com:70000' },
    verdict: 'deny',
    reason: 'invalid_destination',
  },
  { name: 'loopback is guarded', req: { connect: '127.0.0.1:8000' }, verdict: 'deny', reason: 'ssrf_guard' },
  {
    name: 'loopback spelled as one number',
    req: { connect: '2130706433:443' },
    verdict: 'deny',
    reason: 'ssrf_guard',
  },
];

describe('decide() on a deny-all gateway with routes', () => {
  it.each(cases)('$name → $verdict ($reason)', ({ req, verdict, reason, agent, rule }) => {
    const d = decide(snapshot, request(req), agent ?? ANONYMOUS_AGENT, { id: 'd-1' });
    expect({ verdict: d.verdict, reason: d.reasonCode }).toEqual({ verdict, reason });
    expect(d.enforced).toBe(true);
    if (rule) expect(d.rule?.index).toBe(rule);
    if (verdict === 'deny') expect(d.response.status).toBe(403);
  });

  it('names the route and gateway in the reason', () => {
    const d = decide(snapshot, request({ connect: 'api.anthropic.com:443' }), ANONYMOUS_AGENT, { id: 'd-2' });
    expect(d.policy).toEqual({ kind: 'EgressL4Route', namespace: 'default', name: 'llm' });
    expect(d.reason).toContain('agents');
    expect(d.destination).toMatchObject({ host: 'api.anthropic.com', hostEvidence: 'authority', port: 443 });
    expect(d.snapshotVersion).toBe(1);
    expect(d.id).toBe('d-2');
  });
});

const ALLOW_ALL = `
apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressGateway
metadata: { name: open }
spec:
  defaultPolicy: allow-all
---
apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste-sites }
spec:
  parentRefs: [{ name: open }]
  rules:
    - matches:
        - destinationHostnames: ["pastebin.com", "*.pastebin.com"]
        - destinationCIDRs: ["192.0.2.0/24"]
---
apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { kind: EgressL4Route, name: paste-sites }
  denyResponse:
    statusCode: 451
    message: "paste sites are blocked for agents"
    headers: { x-portcullis-reason: paste }
---
apiVersion: clrk.apoxy.dev/v1alpha1
kind: EgressL4Route
metadata: { name: local-debug }
spec:
  parentRefs: [{ name: open }]
  rules:
    - matches:
        - destinationCIDRs: ["127.0.0.1/32"]
          ports: [{ port: 9000 }]
        - destinationCIDRs: ["0.0.0.0/0"]
          ports: [{ port: 9001 }]
`;

describe('decide() on an allow-all gateway with a deny policy', () => {
  const snap = snapshotFromYaml(ALLOW_ALL);
  const run = (spec: RequestSpec) => decide(snap, request(spec), ANONYMOUS_AGENT, { id: 'x' });

  it('answers a route flipped by a deny policy with its custom response', () => {
    const d = run({ connect: 'pastebin.com:443' });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'deny_policy', layer: 'gateway' });
    expect(d.policy).toEqual({ kind: 'EgressDenyPolicy', namespace: 'default', name: 'no-paste' });
    expect(d.response).toEqual({
      status: 451,
      body: 'paste sites are blocked for agents',
      headers: { 'x-portcullis-reason': 'paste' },
    });
  });

  it('lets everything else through by default', () => {
    expect(run({ connect: 'example.org:443' })).toMatchObject({
      verdict: 'allow',
      reasonCode: 'gateway_default_allow',
    });
  });

  it('denies by CIDR through an embedded IPv4 (NAT64)', () => {
    expect(run({ l4: '[64:ff9b::c000:205]:443' })).toMatchObject({
      verdict: 'deny',
      reasonCode: 'deny_policy',
    });
  });

  it('records no_name_binding when a name deny cannot apply for lack of a name', () => {
    const d = run({ l4: '198.51.100.1:443' });
    expect(d.verdict).toBe('allow');
    expect(d.notes).toContain('no_name_binding');
  });

  it.each([
    ['metadata endpoint', { l4: '169.254.169.254:80' }],
    ['IPv4-mapped loopback', { connect: '[::ffff:127.0.0.1]:80' }],
    ['hex loopback', { connect: '0x7f000001:80' }],
    ['octal loopback', { connect: '0177.0.0.1:80' }],
    ['short loopback', { connect: '127.1:80' }],
    ['NAT64-embedded metadata', { connect: '[64:ff9b::a9fe:a9fe]:80' }],
    ['IPv6 loopback', { connect: '[::1]:80' }],
    ['unspecified', { connect: '0.0.0.0:80' }],
    ['localhost by name', { connect: 'localhost:80' }],
    ['0.0.0.0/0 does not target the guard explicitly', { connect: '127.0.0.1:9001' }],
  ] as const)('guards %s even under allow-all', (_n, spec) => {
    expect(run(spec)).toMatchObject({ verdict: 'deny', reasonCode: 'ssrf_guard', layer: 'ssrf' });
  });

  it('lets a route that targets the guarded range explicitly through', () => {
    expect(run({ connect: '127.0.0.1:9000' })).toMatchObject({
      verdict: 'allow',
      reasonCode: 'route_allowed',
    });
  });
});

describe('decide() in shadow mode', () => {
  const snap = snapshotFromYaml(`
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: trial }
spec: { mode: shadow }
`);

  it('lets a would-be deny through and says so', () => {
    const d = decide(snap, request({ connect: 'example.org:443' }), ANONYMOUS_AGENT, { id: 's' });
    expect(d).toMatchObject({ verdict: 'allow', enforced: false, reasonCode: 'gateway_default_deny' });
    expect(d.reason.startsWith('[shadow] would deny — ')).toBe(true);
    expect(d.notes).toContain('shadow');
    expect(d.trace.find((t) => t.layer === 'gateway')).toMatchObject({ outcome: 'audit', shadow: true });
  });
});

describe('decide() failing closed', () => {
  it('denies with no_snapshot when nothing is loaded', () => {
    const d = decide(undefined, request({ connect: 'example.org:443' }), ANONYMOUS_AGENT, { id: 'n' });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'no_snapshot' });
  });

  it('denies with no_policy when every layer abstains', () => {
    const empty = compileSnapshot([], { version: 3 });
    const d = decide(empty, request({ connect: 'example.org:443' }), ANONYMOUS_AGENT, { id: 'n' });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'no_policy', snapshotVersion: 3 });
  });

  it('still guards loopback when no gateway is loaded', () => {
    const empty = compileSnapshot([], { version: 1 });
    const d = decide(empty, request({ connect: '127.0.0.1:80' }), ANONYMOUS_AGENT, { id: 'n' });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'ssrf_guard' });
  });

  it('denies an ambiguous gateway choice', () => {
    const two = snapshotFromYaml(`${GW}
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: other }
spec: {}
`);
    const d = decide(two, request({ connect: 'example.org:443' }), ANONYMOUS_AGENT, { id: 'n' });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'gateway_ambiguous' });
    const named = decide(two, request({ connect: 'example.org:443', gateway: 'other' }), ANONYMOUS_AGENT, {
      id: 'n',
    });
    expect(named).toMatchObject({ verdict: 'deny', reasonCode: 'gateway_default_deny' });
  });

  it('turns an untranslatable request into a deny with its own reason', () => {
    const d = decideInvalidRequest(4, ANONYMOUS_AGENT, 'i', 'CheckRequest has no attributes');
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'invalid_request', snapshotVersion: 4 });
    expect(d.response.status).toBe(403);
  });
});

describe('decide() with DNS bindings as name evidence', () => {
  const bound = (names: Record<string, string[]>) => (ip: { text: string }) => names[ip.text] ?? [];
  const pg = { l4: '10.50.0.7:5432', listener: 'tcp-out' } as const;
  const snap = snapshotFromYaml(`${GW}
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: pg }
spec:
  parentRefs: [{ name: agents, sectionName: tcp-out }]
  rules: [{ matches: [{ destinationHostnames: [pg.prod.internal], ports: [{ port: 5432 }] }] }]
`);

  it('allows raw TCP by name only once the agent resolved the name to that address', () => {
    const before = decide(snap, request(pg), ANONYMOUS_AGENT, { id: 'b' });
    expect(before).toMatchObject({ verdict: 'deny', reasonCode: 'gateway_default_deny' });
    const after = decide(snap, request(pg), ANONYMOUS_AGENT, {
      id: 'b',
      bindings: bound({ '10.50.0.7': ['pg.prod.internal'] }),
    });
    expect(after).toMatchObject({ verdict: 'allow', reasonCode: 'route_allowed' });
    expect(after.destination).toMatchObject({ host: 'pg.prod.internal', hostEvidence: 'dns-binding' });
  });

  it('does not let a binding for another address help', () => {
    const d = decide(snap, request(pg), ANONYMOUS_AGENT, {
      id: 'b',
      bindings: bound({ '10.50.0.8': ['pg.prod.internal'] }),
    });
    expect(d.verdict).toBe('deny');
  });

  it('treats an SNI that disagrees with the binding as unproven', () => {
    const d = decide(snap, request({ ...pg, sni: 'pg.prod.internal' }), ANONYMOUS_AGENT, {
      id: 'b',
      bindings: bound({ '10.50.0.7': ['evil.example'] }),
    });
    // The SNI alone would be allowed; unproven, it cannot allow, and the bound name is not allowed.
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'name_unverified' });
    expect(d.reason).toContain('pg.prod.internal (SNI) is not proven for 10.50.0.7');
    expect(d.notes).toContain('sni_mismatch');
    expect(d.destination).toMatchObject({ host: 'evil.example', hostEvidence: 'dns-binding' });
  });

  it('keeps an SNI the binding confirms', () => {
    const d = decide(snap, request({ ...pg, sni: 'pg.prod.internal' }), ANONYMOUS_AGENT, {
      id: 'b',
      bindings: bound({ '10.50.0.7': ['alias.prod.internal', 'pg.prod.internal'] }),
    });
    expect(d).toMatchObject({ verdict: 'allow', notes: [] });
  });

  it('never lets a binding override the Host the client sent (transparent HTTP)', () => {
    const req: EgressRequest = {
      surface: 'check-http',
      source: {},
      destination: {
        authority: 'other.example',
        authoritySource: 'host-header',
        scheme: 'http',
        address: '10.50.0.7',
        port: 5432,
        protocol: 'tcp',
      },
      context: { listener: 'tcp-out' },
    };
    const d = decide(snap, req, ANONYMOUS_AGENT, {
      id: 'b',
      bindings: bound({ '10.50.0.7': ['pg.prod.internal'] }),
    });
    expect(d.verdict).toBe('deny');
    expect(d.destination).toMatchObject({ host: 'other.example', hostEvidence: 'host-header' });
  });
});

describe('decide() proving claimed names for the dialled address', () => {
  const withProof = (mode: string) =>
    snapshotFromYaml(`${GW.replace('spec:\n', `spec:\n  nameProof: ${mode}\n`)}
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: llm }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [api.openai.com], ports: [{ port: 443 }] }]
    - matches: [{ destinationHostnames: [bank.example], destinationCIDRs: [203.0.113.0/24] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationHostnames: [pastebin.com] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { kind: EgressL4Route, name: paste }
`);
  const lookup = (host: string, ...addresses: string[]) => ({
    host,
    addresses: addresses.map((a) => parseIpLiteral(a)!),
  });
  const sni = (to: string, name: string) => request({ l4: to, sni: name, listener: 'tls-out' });
  const bound = (names: Record<string, string[]>) => (a: { text: string }) => names[a.text] ?? [];

  it.each<[string, string, Parameters<typeof decide>[3], 'allow' | 'deny', ReasonCode]>([
    ['resolve: unproven, no lookup made', 'resolve', { id: 'p' }, 'deny', 'name_unverified'],
    [
      'resolve: the lookup returns the address',
      'resolve',
      { id: 'p', lookup: lookup('api.openai.com', '6.6.6.6') },
      'allow',
      'route_allowed',
    ],
    [
      'resolve: the lookup returns other addresses',
      'resolve',
      { id: 'p', lookup: lookup('api.openai.com', '162.159.140.245') },
      'deny',
      'name_unverified',
    ],
    [
      'resolve: the lookup failed',
      'resolve',
      { id: 'p', lookup: { host: 'api.openai.com', addresses: [], failure: 'timed out' } },
      'deny',
      'name_unverified',
    ],
    [
      'resolve: a binding of the agent proves it',
      'resolve',
      { id: 'p', bindings: bound({ '6.6.6.6': ['api.openai.com'] }) },
      'allow',
      'route_allowed',
    ],
    [
      'binding: a lookup does not count',
      'binding',
      { id: 'p', lookup: lookup('api.openai.com', '6.6.6.6') },
      'deny',
      'name_unverified',
    ],
    [
      'binding: a binding proves it',
      'binding',
      { id: 'p', bindings: bound({ '6.6.6.6': ['api.openai.com'] }) },
      'allow',
      'route_allowed',
    ],
    ['none: the claim is believed (unsafe)', 'none', { id: 'p' }, 'allow', 'route_allowed'],
  ])('%s', (_n, mode, context, verdict, reasonCode) => {
    const d = decide(withProof(mode), sni('6.6.6.6:443', 'api.openai.com'), ANONYMOUS_AGENT, context);
    expect({ verdict: d.verdict, reasonCode: d.reasonCode }).toEqual({ verdict, reasonCode });
  });

  it('explains an unproven claim and still judges the address without it', () => {
    const d = decide(withProof('resolve'), sni('6.6.6.6:443', 'api.openai.com'), ANONYMOUS_AGENT, {
      id: 'p',
      lookup: lookup('api.openai.com', '162.159.140.245'),
    });
    expect(d.reason).toBe(
      'api.openai.com (SNI) is not proven for 6.6.6.6: no DNS binding of this agent maps 6.6.6.6 to it, and api.openai.com resolves to 162.159.140.245, not 6.6.6.6; without that name, no route of gateway agents allows 6.6.6.6:443 on listener tls-out',
    );
    expect(d.notes).toContain('name_unverified');
    expect(d.destination?.names).toEqual([]);
  });

  it('needs no proof where the match pins CIDRs holding the address', () => {
    const d = decide(withProof('resolve'), sni('203.0.113.9:443', 'bank.example'), ANONYMOUS_AGENT, {
      id: 'p',
    });
    expect({ verdict: d.verdict, reasonCode: d.reasonCode }).toEqual({
      verdict: 'allow',
      reasonCode: 'route_allowed',
    });
    const outside = decide(withProof('resolve'), sni('198.51.100.9:443', 'bank.example'), ANONYMOUS_AGENT, {
      id: 'p',
    });
    expect(outside.verdict).toBe('deny');
  });

  it('applies a deny by name on the unproven claim', () => {
    const d = decide(withProof('resolve'), sni('6.6.6.6:443', 'pastebin.com'), ANONYMOUS_AGENT, { id: 'p' });
    expect({ verdict: d.verdict, reasonCode: d.reasonCode }).toEqual({
      verdict: 'deny',
      reasonCode: 'deny_policy',
    });
  });

  it('judges the dialled port of a transparent request and notes the Host port that differs', () => {
    const req: EgressRequest = {
      surface: 'check-http',
      source: {},
      destination: {
        authority: 'api.openai.com:443',
        authoritySource: 'host-header',
        scheme: 'http',
        address: '6.6.6.6',
        port: 25,
        protocol: 'tcp',
      },
      context: { listener: 'tls-out' },
    };
    const d = decide(withProof('none'), req, ANONYMOUS_AGENT, { id: 'p' });
    expect(d.destination?.port).toBe(25);
    expect(d.notes).toContain('port_mismatch');
    expect(d.verdict).toBe('deny');
  });
});

describe('decide() on a decrypted request (TLS terminated)', () => {
  const snapshot = snapshotFromYaml(POLICY);
  const decrypted = (host: string, sni: string): EgressRequest => ({
    surface: 'ext_proc',
    source: { address: '10.1.2.3', port: 40000 },
    destination: { authority: host, authoritySource: 'host-header', scheme: 'https', sni, protocol: 'tcp' },
    l7: { method: 'GET', path: '/v1/models', scheme: 'https' },
    context: {},
  });

  it('allows a Host that is the connection SNI', () => {
    const d = decide(snapshot, decrypted('api.anthropic.com', 'api.anthropic.com'), ANONYMOUS_AGENT, {
      id: 'n',
    });
    expect(d).toMatchObject({ verdict: 'allow', reasonCode: 'route_allowed' });
  });

  it('denies a Host fronted behind another SNI, even when both names are allowed', () => {
    const d = decide(snapshot, decrypted('foo.azure.openai.com', 'api.anthropic.com'), ANONYMOUS_AGENT, {
      id: 'n',
    });
    expect(d).toMatchObject({ verdict: 'deny', reasonCode: 'host_sni_mismatch', layer: 'sanity' });
    expect(d.reason).toContain('foo.azure.openai.com');
    expect(d.reason).toContain('api.anthropic.com');
    expect(d.response.status).toBe(403);
  });
});
