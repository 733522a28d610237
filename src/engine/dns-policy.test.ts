import { dnsAnswerVerdict, dnsQueryVerdict } from './dns-policy';
import { ANONYMOUS_AGENT, type Agent } from './types';
import { parseRequestIp } from '../policy/ip';
import { snapshotFromYaml } from '../../test/support/policy';
import type { IpAddress } from '../policy/values';

const ip = (text: string): IpAddress => {
  const parsed = parseRequestIp(text);
  if (!parsed) throw new Error(text);
  return parsed;
};

const NAMES_ONLY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec: {}
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: llm }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [api.anthropic.com, "*.openai.com"], ports: [{ port: 443 }] }]
    - matches: [{ destinationHostnames: [build.internal], sourceAgents: { matchLabels: { team: ci } } }]
`;

const WITH_CIDRS = `${NAMES_ONLY}---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: debug }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationCIDRs: [127.0.0.1/32], ports: [{ port: 9000 }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: vpc }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationCIDRs: [10.0.0.0/8] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: quarantine }
spec:
  parentRefs: [{ name: agents }]
  rules: [{ matches: [{ destinationCIDRs: [10.66.0.0/16] }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-quarantine }
spec:
  targetRef: { kind: EgressL4Route, name: quarantine }
`;

const ci: Agent = { ...ANONYMOUS_AGENT, name: 'ci', labels: { team: 'ci' } };

describe('dnsQueryVerdict()', () => {
  const names = snapshotFromYaml(NAMES_ONLY);
  const cidrs = snapshotFromYaml(WITH_CIDRS);

  it.each([
    ['a name a route allows', names, 'api.anthropic.com', ANONYMOUS_AGENT, 'allow'],
    ['a wildcard-matched name', names, 'chat.openai.com', ANONYMOUS_AGENT, 'allow'],
    ['a name no route could allow (names-only gateway)', names, 'exfil.example', ANONYMOUS_AGENT, 'refuse'],
    ['a name only another agent may reach', names, 'build.internal', ANONYMOUS_AGENT, 'refuse'],
    ['the same name for the agent that may', names, 'build.internal', ci, 'allow'],
    ['any name when a CIDR route might allow its address', cidrs, 'exfil.example', ANONYMOUS_AGENT, 'allow'],
    ['a query with no snapshot loaded', undefined, 'api.anthropic.com', ANONYMOUS_AGENT, 'refuse'],
  ] as const)('%s → %s', (_n, snap, name, agent, verdict) => {
    expect(dnsQueryVerdict(snap, { agent }, name)).toBe(verdict);
  });
});

describe('dnsAnswerVerdict()', () => {
  const snap = snapshotFromYaml(WITH_CIDRS);

  it.each([
    ['a public address', '104.18.33.45', 'keep'],
    ['the metadata endpoint (rebinding)', '169.254.169.254', 'strip'],
    ['loopback not targeted by a route', '127.0.0.2', 'strip'],
    ['loopback a route targets explicitly', '127.0.0.1', 'keep'],
    ['NAT64-embedded metadata', '64:ff9b::a9fe:a9fe', 'strip'],
    ['IPv6 loopback', '::1', 'strip'],
    ['an address a deny policy denies on every port', '10.66.3.4', 'strip'],
    ['an address inside an allowed CIDR', '10.1.2.3', 'keep'],
  ] as const)('%s → %s', (_n, address, verdict) => {
    expect(dnsAnswerVerdict(snap, { agent: ANONYMOUS_AGENT }, ['x.example'], ip(address))).toBe(verdict);
  });
});
