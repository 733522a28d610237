/**
 * Decision cost with every layer populated: 10,000 rules across
 * kinds (gateway route matches, mirrord rules, firewall rules, global list entries), 1,000
 * namespaces and 10,000 agents, generated as YAML and loaded through the real loader, so load and
 * validation time are measured too. Requests carry an agent name, as Envoy sends it, and are
 * identified and decided the way `serve` does; none needs a name looked up.
 */
import { parseDocuments } from '../src/policy/documents';
import { validateDocuments } from '../src/policy/validate';
import { compileSnapshot } from '../src/compile/snapshot';
import { decide } from '../src/engine/decide';
import { nameToResolve } from '../src/engine/resolution';
import { resolveAgent } from '../src/identity/resolve-agent';
import type { EgressRequest } from '../src/engine/types';

const V = 'apiVersion: egress.portcullis.dev/v1alpha1';

export interface LayersCorpusSize {
  readonly routeMatches: number;
  readonly mirrordPolicies: number;
  readonly mirrordRulesEach: number;
  readonly firewallPolicies: number;
  readonly firewallRulesEach: number;
  readonly globalEntries: number;
  readonly namespaces: number;
  readonly agents: number;
}

export const DEFAULT_SIZE: LayersCorpusSize = {
  routeMatches: 4_000,
  mirrordPolicies: 10,
  mirrordRulesEach: 100,
  firewallPolicies: 100,
  firewallRulesEach: 25,
  globalEntries: 2_500,
  namespaces: 1_000,
  agents: 10_000,
};

/** Namespace paths: 10 teams × 10 services × 10 regions = 1,000 (plus their 110 ancestors implied). */
function namespacePath(i: number): string {
  return `team${Math.floor(i / 100) % 10}/svc${Math.floor(i / 10) % 10}/r${i % 10}`;
}

export function corpus(size: LayersCorpusSize): string {
  const docs: string[] = [];
  docs.push(`${V}\nkind: EgressGateway\nmetadata: { name: gw }\nspec: { defaultPolicy: allow-all }`);
  const matches: string[] = [];
  for (let i = 0; i < size.routeMatches; i++) {
    matches.push(
      i % 2 === 0
        ? `    - matches: [{ destinationHostnames: [api${i}.vendor.example], ports: [{ port: 443 }] }]`
        : `    - matches: [{ destinationCIDRs: [10.${(i >> 8) & 255}.${i & 255}.0/24], ports: [{ startPort: 8000, endPort: 8099 }] }]`,
    );
  }
  docs.push(
    `${V}\nkind: EgressL4Route\nmetadata: { name: routes }\nspec:\n  parentRefs: [{ name: gw }]\n  rules:\n${matches.join('\n')}`,
  );
  for (let p = 0; p < size.mirrordPolicies; p++) {
    const rules: string[] = [];
    for (let r = 0; r < size.mirrordRulesEach; r++) {
      rules.push(
        `        - { hostname: "^host${p}-${r}\\\\.mirror\\\\.example$", ports: [{ protocol: TCP, port: 443 }] }`,
      );
    }
    docs.push(
      `${V}\nkind: MirrordClusterPolicy\nmetadata: { name: m${p} }\nspec:\n  selector: { matchLabels: { mirror: m${p} } }\n  network:\n    outgoing:\n      block:\n${rules.join('\n')}`,
    );
  }
  for (let p = 0; p < size.firewallPolicies; p++) {
    const rules: string[] = [];
    for (let r = 0; r < size.firewallRulesEach; r++) {
      rules.push(
        `    - { label: r${r}, verdict: deny, egress: { deny: [bad${r}.p${p}.example, "*.exfil${r}.example"], allow: [ok.bad${r}.p${p}.example] } }`,
      );
    }
    docs.push(
      `${V}\nkind: EgressFirewallPolicy\nmetadata: { name: fw${p} }\nspec:\n  defaultVerdict: allow\n  rules:\n${rules.join('\n')}`,
    );
  }
  const allow: string[] = [];
  const block: string[] = [];
  for (let i = 0; i < size.globalEntries; i++) {
    (i % 5 === 0 ? block : allow).push(`    - { domain: g${i}.global.example, reason: bench }`);
  }
  docs.push(
    `${V}\nkind: EgressDomainList\nmetadata: { name: global }\nspec:\n  allow:\n${allow.join('\n')}\n  block:\n${block.join('\n')}`,
  );
  const teams = new Set<string>();
  for (let i = 0; i < size.namespaces; i++) {
    const path = namespacePath(i);
    const team = path.split('/')[0]!;
    if (!teams.has(team)) {
      teams.add(team);
      docs.push(
        `${V}\nkind: EgressNamespace\nmetadata: { name: ${team} }\nspec: { allowedDomains: ["**.${team}.example", "**.vendor.example"] }`,
      );
    }
    docs.push(
      `${V}\nkind: EgressNamespace\nmetadata: { name: ${path.replace(/\//g, '.')} }\nspec: { path: ${path}, allowedDomains: ["*.${path.split('/')[1]}.${team}.example", "**.vendor.example"] }`,
    );
  }
  for (let a = 0; a < size.agents; a++) {
    docs.push(
      `${V}\nkind: EgressAgent\nmetadata: { name: agent${a} }\nspec:\n  namespace: ${namespacePath(a % size.namespaces)}\n  labels: { mirror: m${a % size.mirrordPolicies} }\n  firewallPolicy: fw${a % size.firewallPolicies}`,
    );
  }
  return docs.join('\n---\n');
}

export function requests(size: LayersCorpusSize, count: number): EgressRequest[] {
  const out: EgressRequest[] = [];
  for (let i = 0; i < count; i++) {
    const a = (i * 7919) % size.agents;
    const path = namespacePath(a % size.namespaces).split('/');
    const host = [
      `db.${path[1]}.${path[0]}.example:443`, // namespace allows
      `api${(i * 2) % size.routeMatches}.vendor.example:443`, // route + namespace allow
      `bad${i % size.firewallRulesEach}.p${a % size.firewallPolicies}.example:443`, // firewall deny
      `g${i % size.globalEntries}.global.example:443`, // global list
      `10.${(i >> 8) & 255}.${i & 255}.9:8050`, // CIDR route, no name
    ][i % 5]!;
    out.push({
      surface: 'check-http',
      source: { address: '10.200.0.1', port: 40000 },
      destination: { authority: host, authoritySource: 'connect', protocol: 'tcp' },
      context: { agent: `agent${a}` },
    });
  }
  return out;
}

export interface LayersBenchRow {
  resources: number;
  documentsBytes: number;
  loadAndValidateMs: number;
  compileMs: number;
  heapMiB: number;
  /** 4,096 distinct requests in turn, spread over the 10,000 agents: the policy data is cold. */
  identifyAndDecideMedianNs: number;
  decisionsPerSecond: number;
  /** The first 16 of those requests in turn: what the same work costs with the data in cache. */
  warm16MedianNs: number;
  allowedShare: string;
}

/** Median ns per call over 256-call batches of `one`, for at most `ms` and 10,000 batches. */
function medianNs(one: (i: number) => void, ms: number): number {
  for (let i = 0; i < 4096; i++) one(i);
  const samples: number[] = [];
  const deadline = Date.now() + ms;
  let i = 0;
  while (Date.now() < deadline && samples.length < 10_000) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < 256; k++) one(i++);
    samples.push(Number(process.hrtime.bigint() - start) / 256);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export function runLayersBench(size: LayersCorpusSize = DEFAULT_SIZE, ms = 2000): LayersBenchRow {
  const text = corpus(size);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const parsed = parseDocuments('bench.yaml', text);
  const validated = validateDocuments(parsed.docs);
  const t1 = process.hrtime.bigint();
  const errors = [...parsed.issues, ...validated.issues].filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new Error(`bench corpus invalid: ${errors[0]!.message}`);
  const snapshot = compileSnapshot(validated.resources, { version: 1 });
  const t2 = process.hrtime.bigint();
  gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

  const reqs = requests(size, 4096);
  for (const r of reqs) {
    if (nameToResolve(snapshot, r, resolveAgent(snapshot.agents, r)) !== undefined) {
      throw new Error('a bench request needs a name lookup; the corpus is wrong');
    }
  }
  let allowed = 0;
  let total = 0;
  const decideAt = (r: EgressRequest) => {
    const d = decide(snapshot, r, resolveAgent(snapshot.agents, r), { id: 'bench' });
    total++;
    if (d.verdict === 'allow') allowed++;
  };
  const median = medianNs((i) => decideAt(reqs[i & 4095]!), ms);
  const share = `${Math.round((allowed / total) * 100)}%`;
  const warm = medianNs((i) => decideAt(reqs[i & 15]!), ms);
  return {
    resources: validated.resources.length,
    documentsBytes: text.length,
    loadAndValidateMs: Math.round(Number(t1 - t0) / 1e6),
    compileMs: Math.round(Number(t2 - t1) / 1e6),
    heapMiB: Math.round(heapMiB * 10) / 10,
    identifyAndDecideMedianNs: Math.round(median),
    decisionsPerSecond: Math.round(1e9 / median),
    warm16MedianNs: Math.round(warm),
    allowedShare: share,
  };
}
