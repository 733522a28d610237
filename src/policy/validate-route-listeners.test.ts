import { validateWith } from '../../test/support/validate-kinds';
import type { EgressL4Route, Issue } from './types';
import { gatewayKind } from './validate-gateway';
import { l4RouteKind } from './validate-l4-route';

const GATEWAY = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners:
    - { name: http-out, protocol: HTTP }
    - { name: https-out, protocol: HTTPS }
    - { name: tls-out, protocol: TLS, tls: { mode: Passthrough } }
    - { name: tcp-out, protocol: TCP }
    - { name: udp-out, protocol: UDP }
`;

/** One route attached to `sections` (none: the whole gateway), with one match per entry. */
function load(sections: readonly string[], matches: readonly string[]) {
  const parents =
    sections.length === 0
      ? '    - name: agents\n'
      : sections.map((s) => `    - { name: agents, sectionName: ${s} }\n`).join('');
  const route = `apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: r }
spec:
  parentRefs:
${parents}  rules:
    - matches:
${matches.map((m) => `        - ${m}\n`).join('')}`;
  const { resources, issues } = validateWith([gatewayKind, l4RouteKind], `${GATEWAY}---\n${route}`);
  return { routes: resources.filter((r): r is EgressL4Route => r.kind === 'EgressL4Route'), issues };
}

const summary = (issues: readonly Issue[]) => issues.map((i) => [i.code, i.severity, i.path]);
const HOSTS = '{ destinationHostnames: [api.example.com], ports: [{ port: 443 }] }';
const UDP = '{ destinationCIDRs: [10.0.0.0/8], ports: [{ port: 53 }], protocol: UDP }';
const DNS_NAME_UDP = '{ destinationHostnames: [dns.example.com], protocol: UDP }';

describe('route matches their listeners cannot carry', () => {
  it.each([
    ['UDP on a TCP listener', ['tcp-out'], [UDP], 'spec.rules[0].matches[0].protocol'],
    ['UDP on a TLS listener', ['tls-out'], [UDP], 'spec.rules[0].matches[0].protocol'],
    ['UDP on an HTTP listener', ['http-out'], [UDP], 'spec.rules[0].matches[0].protocol'],
    ['UDP on an HTTPS listener', ['https-out'], [UDP], 'spec.rules[0].matches[0].protocol'],
    [
      'UDP on two TCP-carrying listeners',
      ['http-out', 'tls-out'],
      [UDP],
      'spec.rules[0].matches[0].protocol',
    ],
    ['TCP (the default) on a UDP listener', ['udp-out'], [HOSTS], 'spec.rules[0].matches[0]'],
    [
      'TCP (given) on a UDP listener',
      ['udp-out'],
      ['{ ports: [{ port: 443 }], protocol: tcp }'],
      'spec.rules[0].matches[0].protocol',
    ],
  ] as const)('warns about %s', (_case, sections, matches, path) => {
    const { routes, issues } = load(sections, matches);
    expect(summary(issues)).toEqual([['POLICY_LISTENER_PROTOCOL_MISMATCH', 'warning', path]]);
    // Warnings do not block: the route loads.
    expect(routes.map((r) => r.meta.name)).toEqual(['r']);
  });

  it.each([
    ['host names on an HTTP listener', ['http-out'], [HOSTS]],
    ['host names on an HTTPS listener', ['https-out'], [HOSTS]],
    ['host names on a TLS listener', ['tls-out'], [HOSTS]],
    // Raw TCP and UDP carry names through the agent's DNS bindings.
    ['host names on a TCP listener', ['tcp-out'], [HOSTS]],
    ['host names over UDP on a UDP listener', ['udp-out'], [DNS_NAME_UDP]],
    ['UDP on a UDP listener', ['udp-out'], [UDP]],
    ['a TCP and a UDP match on a TCP and a UDP listener', ['tcp-out', 'udp-out'], [HOSTS, UDP]],
    // Requests that name no listener may be of either transport.
    ['UDP on a whole gateway', [], [UDP]],
  ] as const)('is quiet for %s', (_case, sections, matches) => {
    expect(load(sections, matches).issues).toEqual([]);
  });

  it('names the listeners and the fix', () => {
    const [issue] = load(['tls-out'], [UDP]).issues;
    expect(issue?.message).toBe(
      'this match is for UDP, but the route is attached only to tls-out (TLS), which carries TCP only, so it never matches',
    );
    expect(issue?.fix).toBe(
      'attach the route to a UDP listener (`sectionName`), or remove `protocol: UDP` if the traffic is TCP',
    );
    const [onUdp] = load(['udp-out'], [HOSTS]).issues;
    expect(onUdp?.message).toBe(
      'this match is for TCP (the default), but the route is attached only to udp-out (UDP), which carries UDP only, so it never matches',
    );
  });
});
