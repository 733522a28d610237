/**
 * What proving names costs on the Check path: the decider (snapshot, identity, lookup, decide) on
 * one policy, for requests that need no lookup and for those that do, with the lookup answered by
 * Portcullis's DNS answer cache (warm: the answer is cached, as for every request after the first
 * within the cache lifetime; cold: every lookup goes to a loopback upstream, the worst case).
 *
 *   connect         CONNECT by name: Envoy resolves the name itself, nothing to prove
 *   sni-binding     L4 with an SNI that the agent's DNS binding proves (no lookup)
 *   sni-lookup      L4 with an SNI proven by a lookup through the answer cache (warm)
 *   sni-unproven    L4 with an SNI the lookup contradicts (two evaluations, then a deny)
 *   firewall-cidrs  CONNECT by name where a firewall list has CIDRs (its addresses are looked up)
 *   sni-cold        L4 with an SNI whose lookup misses the cache every time (loopback upstream)
 */
import { performance } from 'node:perf_hooks';
import { compileSnapshot } from '../src/compile/snapshot';
import { createDecider, type Decider } from '../src/decide/decider';
import { createDnsServer } from '../src/dns/server';
import { LOOPBACK, createTestUpstream } from '../test/support/dns-upstream';
import type { EgressRequest } from '../src/engine/types';
import { parseDocuments } from '../src/policy/documents';
import { parseRequestIp } from '../src/policy/ip';
import { validateDocuments } from '../src/policy/validate';

const V = 'apiVersion: egress.portcullis.dev/v1alpha1';
const POLICY = `${V}
kind: EgressGateway
metadata: { name: gw }
spec: { listeners: [{ name: tls-out, protocol: TLS }, { name: http-out, protocol: HTTP }] }
---
${V}
kind: EgressL4Route
metadata: { name: names }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ matches: [{ destinationHostnames: ["**.vendor.example"], ports: [{ port: 443 }] }] }]
`;
/** The same, plus a workspace firewall policy whose list mixes names and CIDRs. */
const WITH_FIREWALL = `${POLICY}---
${V}
kind: EgressFirewallPolicy
metadata: { name: fw }
spec:
  workspaceDefault: true
  defaultVerdict: allow
  rules: [{ label: private, verdict: deny, egress: { deny: [10.0.0.0/8, fw.vendor.example] } }]
`;

function snapshotOf(yaml: string) {
  const parsed = parseDocuments('bench.yaml', yaml);
  const { resources, issues } = validateDocuments(parsed.docs);
  if (issues.some((i) => i.severity === 'error')) throw new Error('bench policy is invalid');
  return compileSnapshot(resources, { version: 1, createdAt: new Date().toISOString() });
}

export interface ProofsBenchRow {
  readonly case: string;
  readonly decisions: number;
  readonly 'median µs': string;
  readonly 'p99 µs': string;
  readonly verdict: string;
}

function l4(address: string, sni: string): EgressRequest {
  return {
    surface: 'check-l4',
    source: { address: '127.0.0.1' },
    destination: { address, port: 443, sni, protocol: 'tcp' },
    context: { gateway: 'gw', listener: 'tls-out' },
  };
}

function connect(authority: string): EgressRequest {
  return {
    surface: 'check-http',
    source: { address: '127.0.0.1' },
    destination: { authority, authoritySource: 'connect', protocol: 'tcp' },
    context: { gateway: 'gw', listener: 'http-out' },
  };
}

/** Per-decision latencies in µs, for `ms` milliseconds at most and `max` decisions at most. */
async function measure(decider: Decider, next: (i: number) => EgressRequest, ms: number, max: number) {
  const samples: number[] = [];
  const end = performance.now() + ms;
  let verdict = '';
  for (let i = 0; i < max && performance.now() < end; i++) {
    const t0 = performance.now();
    const d = await decider.decide(next(i));
    samples.push((performance.now() - t0) * 1000);
    verdict = `${d.verdict} ${d.reasonCode}`;
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { decisions: samples.length, median: at(0.5), p99: at(0.99), verdict };
}

export async function runProofsBench(options: { ms?: number } = {}): Promise<ProofsBenchRow[]> {
  const ms = options.ms ?? 2000;

  // Every name x.vendor.example resolves to 203.0.113.x (the x-th address), with TTL 300.
  const upstream = await createTestUpstream((q) => {
    const name = q.questions?.[0]?.name ?? '';
    const n = Number(/^h(\d+)\./.exec(name)?.[1] ?? 1) % 250;
    return q.questions?.[0]?.type === 'A'
      ? { answers: [{ type: 'A', name, ttl: 300, data: `203.0.113.${n + 1}` }] }
      : { answers: [] };
  });
  const dns = createDnsServer({ upstreams: [upstream.address] });
  await dns.listen(LOOPBACK, 0);
  const bound = parseRequestIp('203.0.113.9')!;
  const deciderFor = (yaml: string) => {
    const snapshot = snapshotOf(yaml);
    return createDecider({
      snapshots: { current: () => snapshot },
      resolver: { resolve: (host) => dns.lookup(host, 1000), peek: (host) => dns.peekLookup(host) },
      bindingsFor: () => (ip) => (ip.text === bound.text ? ['h8.vendor.example'] : []),
    });
  };
  const routes = deciderFor(POLICY);
  const firewall = deciderFor(WITH_FIREWALL);

  const cases: [string, Decider, (i: number) => EgressRequest, number][] = [
    ['connect', routes, () => connect('h1.vendor.example:443'), 1e6],
    ['sni-binding', routes, () => l4('203.0.113.9', 'h8.vendor.example'), 1e6],
    ['sni-lookup', routes, () => l4('203.0.113.2', 'h1.vendor.example'), 1e6],
    ['sni-unproven', routes, () => l4('198.51.100.7', 'h1.vendor.example'), 1e6],
    ['firewall-cidrs', firewall, () => connect('h1.vendor.example:443'), 1e6],
    // A new name each time: every lookup is a cache miss answered by the loopback upstream.
    [
      'sni-cold',
      routes,
      (i) => l4(`203.0.113.${((i + 10) % 250) + 1}`, `h${i + 10}.cold.vendor.example`),
      5000,
    ],
  ];
  const rows: ProofsBenchRow[] = [];
  try {
    for (const [name, decider, next, max] of cases) {
      // Warm up (and fill the cache), then measure.
      await measure(decider, next, Math.min(200, ms), 2000);
      const r = await measure(decider, next, ms, max);
      rows.push({
        case: name,
        decisions: r.decisions,
        'median µs': r.median.toFixed(1),
        'p99 µs': r.p99.toFixed(1),
        verdict: r.verdict,
      });
    }
  } finally {
    await dns.close();
    await upstream.close();
  }
  return rows;
}
