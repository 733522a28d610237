/**
 * Random policies over a small vocabulary of names, CIDRs, ports and labels, for differential tests
 * that hold one question about the policy to another (engine/dns-policy.differential.test.ts).
 *
 * Each case is one YAML stream (loaded through the real parser, validation and compiler, and
 * printed when a property fails), the agents to ask for, and the names and addresses to probe. The
 * vocabulary is small on purpose so that wildcards, CIDRs, excepts and selectors overlap often:
 * a probe name is covered by some pattern, a probe address falls in some block, about as often as not.
 *
 * Policies have at most one gateway, enforcing, with whole-gateway TCP routes: what the DNS layer
 * can be held to against `decide` (see the test for why listeners, UDP and shadow are left out).
 */
import type { Snapshot } from '../../src/compile/snapshot';
import type { Agent } from '../../src/engine/types';
import { parseRequestIp } from '../../src/policy/ip';
import type { IpAddress } from '../../src/policy/values';
import { snapshotFromYaml } from './policy';
import type { Random } from './random';

export interface PolicyCase {
  readonly yaml: string;
  readonly snapshot: Snapshot;
  readonly agents: readonly Agent[];
  readonly names: readonly string[];
  readonly addresses: readonly IpAddress[];
}

/** The ports connections are probed on; routes name some of them, or none (every port). */
export const PROBE_PORTS = [22, 80, 443, 5432, 8443] as const;

const DOMAINS = ['a.example', 'b.example', 'c.test'];
const PREFIXES = ['', 'api.', 'www.', 'x.api.'];
const NAMES = [
  ...DOMAINS.flatMap((d) => PREFIXES.map((p) => `${p}${d}`)),
  'localhost',
  'metadata.google.internal',
  'other.net',
];
const PATTERNS = [
  ...NAMES.filter((n) => n !== 'other.net'),
  ...DOMAINS.flatMap((d) => [`*.${d}`, `**.${d}`]),
  '*.api.a.example',
];

const CIDRS = [
  '10.0.0.0/8',
  '10.1.0.0/16',
  '10.1.2.0/24',
  '192.0.2.0/24',
  '198.51.100.7/32',
  '0.0.0.0/0',
  '127.0.0.1/32',
  '127.0.0.0/8',
  '169.254.169.254/32',
  '169.254.0.0/16',
  '100.100.100.200/32',
  '2001:db8::/32',
  '64:ff9b::/96',
  '::1/128',
  '::/0',
  '{ cidr: 10.0.0.0/8, except: [10.1.0.0/16] }',
  '{ cidr: 127.0.0.0/8, except: [127.0.0.1/32] }',
  '{ cidr: 169.254.0.0/16, except: [169.254.169.254/32] }',
];

const ADDRESSES = [
  '10.1.2.3',
  '10.1.9.9',
  '10.200.0.1',
  '192.0.2.7',
  '198.51.100.7',
  '203.0.113.9',
  '0.0.0.0',
  '127.0.0.1',
  '127.0.0.2',
  '169.254.169.254',
  '169.254.1.1',
  '100.100.100.200',
  '::1',
  'fe80::1',
  '2001:db8::1',
  '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
  '64:ff9b::a01:203', // NAT64 of 10.1.2.3
  '2002:7f00:1::1', // 6to4 of 127.0.0.1
].map((text) => {
  const ip = parseRequestIp(text);
  if (ip === undefined) throw new Error(`not an address: ${text}`);
  return ip;
});

const PORT_LISTS = [
  '',
  'ports: [{ port: 443 }]',
  'ports: [{ port: 80 }, { port: 443 }]',
  'ports: [{ port: 22 }]',
];

const SELECTORS = [
  '{ matchLabels: { team: ci } }',
  '{ matchLabels: { team: web } }',
  '{ matchExpressions: [{ key: env, operator: In, values: [prod] }] }',
  '{ matchExpressions: [{ key: team, operator: NotIn, values: [ci] }] }',
  '{ matchExpressions: [{ key: tier, operator: Exists }] }',
  '{ matchExpressions: [{ key: team, operator: DoesNotExist }] }',
];

const NAMESPACE_PATHS = ['', 'prod', 'prod/pay', 'dev'];

const doc = (kind: string, name: string, spec: string): string =>
  `apiVersion: egress.portcullis.dev/v1alpha1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

function some<T>(random: Random, items: readonly T[], min: number, max: number): T[] {
  const count = min + random.int(max - min + 1);
  const out = new Set<T>();
  for (let i = 0; i < count; i++) out.add(random.pick(items));
  return [...out];
}

const list = (items: readonly string[]): string => `[${items.map((i) => JSON.stringify(i)).join(', ')}]`;

/** One `matches[]` entry: by name, by address, both, or neither (ports and agents only). */
function match(random: Random): string {
  const fields: string[] = [];
  const shape = random.int(10);
  if (shape < 4 || shape === 8) fields.push(`destinationHostnames: ${list(some(random, PATTERNS, 1, 2))}`);
  if ((shape >= 4 && shape < 8) || shape === 8)
    fields.push(`destinationCIDRs: [${some(random, CIDRS, 1, 2).join(', ')}]`);
  const ports = random.pick(PORT_LISTS);
  if (ports !== '' && random.int(2) === 0) fields.push(ports);
  if (random.int(3) === 0) fields.push(`sourceAgents: ${random.pick(SELECTORS)}`);
  if (fields.length === 0) fields.push(`sourceAgents: ${random.pick(SELECTORS)}`);
  return `{ ${fields.join(', ')} }`;
}

function gatewayDocs(random: Random): string[] {
  const gateway = [
    random.int(7) === 0 ? 'defaultPolicy: allow-all' : undefined,
    random.int(7) === 0 ? 'ssrfGuard: false' : undefined,
    `nameProof: ${random.pick(['resolve', 'binding', 'none'])}`,
  ].filter((f) => f !== undefined);
  const docs = [doc('EgressGateway', 'gw', `{ ${gateway.join(', ')} }`)];
  const routes = 1 + random.int(4);
  for (let r = 0; r < routes; r++) {
    const rules = Array.from({ length: 1 + random.int(2) }, () => {
      const matches = Array.from({ length: 1 + random.int(2) }, () => match(random));
      return `{ matches: [${matches.join(', ')}] }`;
    });
    docs.push(doc('EgressL4Route', `r${r}`, `{ parentRefs: [{ name: gw }], rules: [${rules.join(', ')}] }`));
    if (random.int(3) === 0)
      docs.push(doc('EgressDenyPolicy', `d${r}`, `{ targetRef: { kind: EgressL4Route, name: r${r} } }`));
  }
  return docs;
}

function domainListDoc(random: Random): string {
  const allow = some(random, PATTERNS, 0, 4).map(
    (d) => `{ domain: ${JSON.stringify(d)}, reason: r${random.int(2) === 0 ? ', requireAuth: true' : ''} }`,
  );
  const block = some(random, PATTERNS, 0, 2).map((d) => `{ domain: ${JSON.stringify(d)}, reason: r }`);
  return doc('EgressDomainList', 'lists', `{ allow: [${allow.join(', ')}], block: [${block.join(', ')}] }`);
}

/** `prod` and `prod/pay` (which only narrows prod, as validation demands), and `dev`. */
function namespaceDocs(random: Random): string[] {
  const docs: string[] = [];
  const ns = (name: string, path: string, fields: readonly string[]) =>
    doc('EgressNamespace', name, `{ ${[`path: ${path}`, ...fields].join(', ')} }`);
  const blocked = (): string[] =>
    random.int(2) === 0 ? [`blockedDomains: ${list(some(random, PATTERNS, 1, 2))}`] : [];
  const prodAllowed = random.int(4) === 0 ? undefined : some(random, PATTERNS, 0, 4);
  if (random.int(4) !== 0) {
    docs.push(
      ns('prod', 'prod', [...(prodAllowed ? [`allowedDomains: ${list(prodAllowed)}`] : []), ...blocked()]),
    );
    if (random.int(2) === 0) {
      const narrower =
        prodAllowed === undefined
          ? some(random, PATTERNS, 0, 3)
          : some(random, prodAllowed, 0, prodAllowed.length);
      docs.push(ns('prod-pay', 'prod/pay', [`allowedDomains: ${list(narrower)}`, ...blocked()]));
    }
  }
  if (random.int(3) === 0) {
    docs.push(ns('dev', 'dev', [...(random.int(2) === 0 ? ['allowedDomains: []'] : []), ...blocked()]));
  }
  return docs;
}

function agent(random: Random, index: number): Agent {
  const labels: Record<string, string> = {};
  const team = random.pick(['ci', 'web', undefined]);
  if (team !== undefined) labels['team'] = team;
  if (random.int(2) === 0) labels['env'] = 'prod';
  if (random.int(3) === 0) labels['tier'] = 'gold';
  const authenticated = random.int(2) === 0;
  return Object.freeze({
    name: `agent-${index}`,
    namespace: random.pick(NAMESPACE_PATHS),
    labels: Object.freeze(labels),
    identifiedBy: authenticated ? ('key' as const) : ('anonymous' as const),
    authenticated,
    firewallPolicy: undefined,
  });
}

export function randomPolicyCase(random: Random, probes: { names: number; addresses: number }): PolicyCase {
  const docs: string[] = [];
  if (random.int(8) !== 0) docs.push(...gatewayDocs(random));
  if (random.int(2) === 0) docs.push(domainListDoc(random));
  if (random.int(2) === 0) docs.push(...namespaceDocs(random));
  const yaml = docs.join('---\n');
  return {
    yaml,
    snapshot: snapshotFromYaml(yaml),
    agents: Array.from({ length: 3 }, (_, i) => agent(random, i)),
    names: some(random, NAMES, probes.names, probes.names),
    addresses: some(random, ADDRESSES, probes.addresses, probes.addresses),
  };
}
