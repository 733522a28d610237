import { errorsOf, validateWith, type Validated } from '../../test/support/validate-kinds';
import { formatIssue } from './issues';
import { denyPolicyKind } from './validate-deny-policy';
import { domainListKind } from './validate-domain-list';
import { firewallPolicyKind } from './validate-firewall';
import { l4RouteKind } from './validate-l4-route';
import { namespaceKind } from './validate-namespace';

const V = 'apiVersion: egress.portcullis.dev/v1alpha1';
const GATEWAY = `${V}\nkind: EgressGateway\nmetadata: { name: g }\nspec: { listeners: [{ name: out, protocol: TLS }] }\n`;
const KINDS = [l4RouteKind, denyPolicyKind, firewallPolicyKind, namespaceKind, domainListKind];

/** Every place a host pattern is written, as a document holding `host`, and the issue path of it. */
const PLACES = {
  route: {
    doc: (host: string) =>
      `${GATEWAY}---\n${V}\nkind: EgressL4Route\nmetadata: { name: r }\nspec:\n  parentRefs: [{ name: g }]\n  rules: [{ matches: [{ destinationHostnames: ["${host}"] }] }]\n`,
    path: 'spec.rules[0].matches[0].destinationHostnames[0]',
  },
  'route denied by an EgressDenyPolicy': {
    doc: (host: string) =>
      `${PLACES.route.doc(host)}---\n${V}\nkind: EgressDenyPolicy\nmetadata: { name: d }\nspec: { targetRef: { kind: EgressL4Route, name: r } }\n`,
    path: 'spec.rules[0].matches[0].destinationHostnames[0]',
  },
  'firewall allow': {
    doc: (host: string) =>
      `${V}\nkind: EgressFirewallPolicy\nmetadata: { name: f }\nspec:\n  rules: [{ label: l, verdict: allow, egress: { allow: ["${host}"] } }]\n`,
    path: 'spec.rules[0].egress.allow[0]',
  },
  'firewall allow (egress_json)': {
    doc: (host: string) =>
      `${V}\nkind: EgressFirewallPolicy\nmetadata: { name: f }\nspec:\n  rules: [{ label: l, verdict: allow, egress_json: '{"allow": ["${host}"]}' }]\n`,
    path: 'spec.rules[0].egress_json.allow[0]',
  },
  'firewall deny': {
    doc: (host: string) =>
      `${V}\nkind: EgressFirewallPolicy\nmetadata: { name: f }\nspec:\n  rules: [{ label: l, verdict: deny, egress: { deny: ["${host}"] } }]\n`,
    path: 'spec.rules[0].egress.deny[0]',
  },
  'namespace allowedDomains': {
    doc: (host: string) =>
      `${V}\nkind: EgressNamespace\nmetadata: { name: team }\nspec: { allowedDomains: ["${host}"] }\n`,
    path: 'spec.allowedDomains[0]',
  },
  'namespace allowed_domains': {
    doc: (host: string) =>
      `${V}\nkind: EgressNamespace\nmetadata: { name: team }\nspec: { allowed_domains: ["${host}"] }\n`,
    path: 'spec.allowed_domains[0]',
  },
  'namespace blockedDomains': {
    doc: (host: string) =>
      `${V}\nkind: EgressNamespace\nmetadata: { name: team }\nspec: { blockedDomains: ["${host}"] }\n`,
    path: 'spec.blockedDomains[0]',
  },
  'domain list allow': {
    doc: (host: string) =>
      `${V}\nkind: EgressDomainList\nmetadata: { name: l }\nspec: { allow: ["${host}"] }\n`,
    path: 'spec.allow[0]',
  },
  'domain list allow {domain}': {
    doc: (host: string) =>
      `${V}\nkind: EgressDomainList\nmetadata: { name: l }\nspec: { allow: [{ domain: "${host}", reason: r }] }\n`,
    path: 'spec.allow[0].domain',
  },
  'domain list block': {
    doc: (host: string) =>
      `${V}\nkind: EgressDomainList\nmetadata: { name: l }\nspec: { block: ["${host}"] }\n`,
    path: 'spec.block[0]',
  },
} as const;

type Place = keyof typeof PLACES;
const ALLOWING: Place[] = [
  'route',
  'firewall allow',
  'firewall allow (egress_json)',
  'namespace allowedDomains',
  'namespace allowed_domains',
  'domain list allow',
  'domain list allow {domain}',
];
const BLOCKING: Place[] = [
  'route denied by an EgressDenyPolicy',
  'firewall deny',
  'namespace blockedDomains',
  'domain list block',
];

function load(place: Place, host: string): Validated {
  return validateWith(KINDS, PLACES[place].doc(host), 'policy.yaml');
}

/** Covers or is a public suffix: rejected wherever it would allow traffic. */
const REJECTED = [
  '**.com',
  '*.com',
  '**.co.uk',
  '*.co.uk',
  '**.uk',
  '**.github.io',
  '*.github.io',
  '**.s3.amazonaws.com',
  '**.nagoya.jp',
  '**.xn--p1ai',
  '**.рф',
  '**.COM.',
  'com',
  'co.uk',
];

/** Registrable domains, names below them, unlisted private TLDs, and the providers' own hosts. */
const ACCEPTED = [
  '**.example.com',
  '*.example.com',
  'example.com',
  '**.example.co.uk',
  '**.octocat.github.io',
  'octocat.github.io',
  'github.io',
  's3.amazonaws.com',
  '**.amazonaws.com',
  '**.internal',
  '*.local',
  '**.svc.cluster.local',
  'localhost',
  '**.test',
];

describe('the public-suffix rule', () => {
  const allowing = ALLOWING.flatMap((place) => REJECTED.map((host) => [place, host] as const));
  it.each(allowing)('%s rejects %s', (place, host) => {
    const v = load(place, host);
    expect(errorsOf(v)).toEqual([['POLICY_PUBLIC_SUFFIX', PLACES[place].path]]);
    expect(v.resources.filter((r) => r.kind !== 'EgressGateway')).toEqual([]);
  });

  const accepted = [
    ...ALLOWING.flatMap((place) => ACCEPTED.map((host) => [place, host] as const)),
    ...BLOCKING.flatMap((place) => [...REJECTED, ...ACCEPTED].map((host) => [place, host] as const)),
  ];
  it.each(accepted)('%s accepts %s', (place, host) => {
    const v = load(place, host);
    expect(errorsOf(v)).toEqual([]);
    expect(v.resources.length).toBeGreaterThan(0);
  });

  it('says which suffix a wildcard covers and how to name a registrable domain', () => {
    const [issue] = load('route', '**.com').issues;
    expect(formatIssue(issue)).toBe(
      'policy.yaml:11: spec.rules[0].matches[0].destinationHostnames[0]: `**.com` covers every name under the public suffix com, where anyone can register a domain (fix: name the registrable domain, e.g. `**.example.com`)',
    );
    expect(load('namespace allowedDomains', '*.github.io').issues[0]).toMatchObject({
      code: 'POLICY_PUBLIC_SUFFIX',
      message:
        '`*.github.io` covers every name under the public suffix github.io, where anyone can register a domain',
      fix: 'name the registrable domain, e.g. `*.example.github.io`',
    });
  });

  it('says an exact ICANN suffix is not a host', () => {
    expect(load('domain list allow', 'co.uk').issues[0]).toMatchObject({
      code: 'POLICY_PUBLIC_SUFFIX',
      severity: 'error',
      message:
        '`co.uk` is a public suffix, where anyone can register a domain, not a host: as an exact entry it matches only the name co.uk itself',
      fix: 'name the host to reach, e.g. `example.co.uk`, or a domain and its subdomains with `**.example.co.uk`',
    });
  });

  it('only exempts a route that a deny policy in its own namespace targets', () => {
    const elsewhere = `${PLACES.route.doc('**.com')}---\n${V}\nkind: EgressDenyPolicy\nmetadata: { name: d, namespace: other }\nspec: { targetRef: { kind: EgressL4Route, name: r } }\n`;
    const v = validateWith(KINDS, elsewhere, 'policy.yaml');
    expect(errorsOf(v)).toContainEqual(['POLICY_PUBLIC_SUFFIX', PLACES.route.path]);
  });

  it('reports every offending entry of a list, and the list does not load', () => {
    const v = validateWith(
      KINDS,
      `${V}\nkind: EgressDomainList\nmetadata: { name: l }\nspec:\n  allow: [api.example.com, "**.com", "*.co.uk"]\n  block: ["**.zip"]\n`,
    );
    expect(errorsOf(v)).toEqual([
      ['POLICY_PUBLIC_SUFFIX', 'spec.allow[1]'],
      ['POLICY_PUBLIC_SUFFIX', 'spec.allow[2]'],
    ]);
    expect(v.resources).toEqual([]);
  });
});
