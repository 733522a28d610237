import { snapshotFromYaml } from '../../test/support/policy';
import { parseRequestIp } from '../policy/ip';
import type { IpAddress } from '../policy/values';
import type { Audience } from './audience';
import { deniesAddressOnAllPorts, mayAllowName, routeTargetsGuarded, type RouteTable } from './route-table';

const ip = (text: string): IpAddress => {
  const parsed = parseRequestIp(text);
  if (!parsed) throw new Error(text);
  return parsed;
};

const GATEWAY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: gw }
spec: {}
`;

const route = (name: string, matches: string, denied = false): string =>
  `---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: ${name} }
spec: { parentRefs: [{ name: gw }], rules: [{ matches: [${matches}] }] }
${
  denied
    ? `---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-${name} }
spec: { targetRef: { kind: EgressL4Route, name: ${name} } }
`
    : ''
}`;

function tables(...routes: string[]): { allow: RouteTable; deny: RouteTable } {
  const gateway = snapshotFromYaml(GATEWAY + routes.join('')).soleGateway;
  if (!gateway) throw new Error('no gateway');
  return gateway;
}

const ci: Audience = { labels: { team: 'ci' } };
const web: Audience = { labels: { team: 'web' } };
const CI_ONLY = 'sourceAgents: { matchLabels: { team: ci } }';

describe('mayAllowName()', () => {
  const byName = tables(
    route('llm', `{ destinationHostnames: ["*.openai.com"] }`),
    route('build', `{ destinationHostnames: [build.internal], ${CI_ONLY} }`),
  ).allow;

  it.each([
    ['a name a route covers', 'api.openai.com', web, true],
    ['a name no route covers', 'exfil.example', web, false],
    ['a name only another agent may reach', 'build.internal', web, false],
    ['that name for the agent its selector selects', 'build.internal', ci, true],
    ['that name for any agent', 'build.internal', 'any-agent', true],
  ] as const)('%s (%s)', (_case, host, audience, expected) => {
    expect(mayAllowName(byName, host, audience)).toBe(expected);
  });

  it('is true for any name once a route names CIDRs (the name may resolve into them)', () => {
    const withCidr = tables(route('vpc', `{ destinationCIDRs: [10.0.0.0/8], ${CI_ONLY} }`)).allow;
    expect(mayAllowName(withCidr, 'exfil.example', web)).toBe(true);
  });

  it('is true for any name a destination-free route may let the audience reach', () => {
    const free = tables(route('ci-anywhere', `{ ports: [{ port: 443 }], ${CI_ONLY} }`)).allow;
    expect(mayAllowName(free, 'exfil.example', ci)).toBe(true);
    expect(mayAllowName(free, 'exfil.example', 'any-agent')).toBe(true);
    expect(mayAllowName(free, 'exfil.example', web)).toBe(false);
  });
});

describe('deniesAddressOnAllPorts()', () => {
  const deny = tables(
    route('quarantine', '{ destinationCIDRs: [10.66.0.0/16] }', true),
    route('ci-only', `{ destinationCIDRs: [10.77.0.0/16], ${CI_ONLY} }`, true),
    route('ssh', '{ destinationCIDRs: [10.88.0.0/16], ports: [{ port: 22 }] }', true),
    route('carved', '{ destinationCIDRs: [{ cidr: 10.99.0.0/16, except: [10.99.1.0/24] }] }', true),
  ).deny;

  it.each([
    ['a block denied to everyone', '10.66.1.1', web, true],
    ['the same block, any agent', '10.66.1.1', 'any-agent', true],
    ['a block denied to the agent its selector selects', '10.77.1.1', ci, true],
    ['that block for an agent the selector does not select', '10.77.1.1', web, false],
    ['that block for any agent (the selector covers only some)', '10.77.1.1', 'any-agent', false],
    ['a block denied on one port only', '10.88.1.1', web, false],
    ['a block with an except, outside it', '10.99.2.2', web, true],
    ['inside the except', '10.99.1.1', web, false],
    ['an address no deny names', '192.0.2.1', web, false],
  ] as const)('%s (%s)', (_case, address, audience, expected) => {
    expect(deniesAddressOnAllPorts(deny, ip(address), audience)).toBe(expected);
  });
});

describe('routeTargetsGuarded()', () => {
  const allow = tables(
    route('debug', `{ destinationCIDRs: [127.0.0.1/32], ports: [{ port: 9000 }], ${CI_ONLY} }`),
    route('pinned', '{ destinationHostnames: [svc.internal], destinationCIDRs: [127.0.0.5/32] }'),
    route('local', '{ destinationHostnames: [localhost] }'),
    route('link-local', '{ destinationCIDRs: [{ cidr: 169.254.0.0/16, except: [169.254.169.254/32] }] }'),
    route('everything', '{ destinationCIDRs: [0.0.0.0/0] }'),
  ).allow;

  it.each([
    ['a guarded CIDR route, for the agent it selects', '127.0.0.1', [], ci, true],
    ['the same route for another agent', '127.0.0.1', [], web, false],
    ['the same route for any agent', '127.0.0.1', [], 'any-agent', true],
    ['a guarded block, outside its except', '169.254.1.1', [], web, true],
    ['inside the except (the metadata endpoint)', '169.254.169.254', [], web, false],
    ['a guarded address only a wide CIDR holds', '127.0.0.9', [], web, false],
    ['a name route pinned to a guarded CIDR, for that name', '127.0.0.5', ['svc.internal'], web, true],
    ['that address without the name', '127.0.0.5', [], web, false],
    ['a route naming the guarded name exactly', '127.0.0.2', ['localhost'], web, true],
    ['that address under another name', '127.0.0.2', ['other.example'], web, false],
  ] as const)('%s (%s)', (_case, address, names, audience, expected) => {
    expect(routeTargetsGuarded(allow, ip(address), audience, names)).toBe(expected);
  });
});
