/**
 * Decision cost against policy size.
 *
 * For 10 … 100,000 rules (a mix of CIDRs, exact names, `*.` wildcards and port ranges) it reports
 * compile time, heap held by the snapshot, and the median cost of one `decide()` call, including
 * canonicalising the raw destination. Two baselines run in the same process on the same rules:
 * a linear scan with ipaddr.js (the obvious implementation) and node's net.BlockList.
 */
import { BlockList } from 'node:net';
import ipaddr from 'ipaddr.js';
import { compileSnapshot } from '../src/compile/snapshot';
import { decide } from '../src/engine/decide';
import { ANONYMOUS_AGENT, type EgressRequest } from '../src/engine/types';
import { parseCidr } from '../src/policy/cidr';
import { parseHostPattern } from '../src/policy/hostname';
import type { EgressGateway, EgressL4Route, L4Match, Resource, ResourceMeta } from '../src/policy/types';
import type { CidrBlock, HostPattern, PortRange } from '../src/policy/values';
import { prng } from '../test/support/random';

const meta = (name: string): ResourceMeta => ({
  apiVersion: 'egress.portcullis.dev/v1alpha1',
  group: 'egress.portcullis.dev',
  name,
  namespace: 'default',
  labels: {},
  source: { file: 'bench', line: 1 },
});

interface Corpus {
  readonly resources: Resource[];
  readonly matches: L4Match[];
  readonly hitNames: string[];
  readonly hitIps: string[];
}

/** N matches, a quarter of each kind: exact name, `*.` wildcard, single CIDR, CIDR with port range. */
function buildCorpus(n: number, rand: () => number): Corpus {
  const matches: L4Match[] = [];
  const hitNames: string[] = [];
  const hitIps: string[] = [];
  const cidr = (text: string): CidrBlock => {
    const p = parseCidr(text);
    if (!p.ok) throw new Error(p.message);
    return { cidr: p.cidr, except: [] };
  };
  const host = (text: string): HostPattern => {
    const p = parseHostPattern(text);
    if (!p.ok) throw new Error(p.message);
    return p.pattern;
  };
  const ports443: PortRange[] = [{ start: 443, end: 443 }];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    if (kind === 0) {
      const name = `api${i}.svc${i % 97}.example.com`;
      matches.push({
        destinationHostnames: [host(name)],
        destinationCIDRs: [],
        ports: ports443,
        protocol: 'tcp',
      });
      hitNames.push(name);
    } else if (kind === 1) {
      const suffix = `tenant${i}.example.net`;
      matches.push({
        destinationHostnames: [host(`*.${suffix}`)],
        destinationCIDRs: [],
        ports: ports443,
        protocol: 'tcp',
      });
      hitNames.push(`eu.${suffix}`);
    } else {
      const a = 11 + Math.floor(rand() * 200);
      const b = Math.floor(rand() * 256);
      const c = Math.floor(rand() * 256);
      const prefix = kind === 2 ? 24 : 28;
      const base = prefix === 24 ? `${a}.${b}.${c}.0` : `${a}.${b}.${c}.${16 * Math.floor(rand() * 16)}`;
      const ports: PortRange[] = kind === 2 ? ports443 : [{ start: 8000, end: 8099 }];
      matches.push({
        destinationHostnames: [],
        destinationCIDRs: [cidr(`${base}/${prefix}`)],
        ports,
        protocol: 'tcp',
      });
      const parts = base.split('.').map(Number);
      hitIps.push(`${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]! + 1}`);
    }
  }
  const gateway: EgressGateway = {
    kind: 'EgressGateway',
    meta: meta('bench'),
    defaultPolicy: 'deny-all',
    mode: 'enforce',
    listeners: [],
    ssrfGuard: true,
    nameProof: 'resolve',
  };
  const route: EgressL4Route = {
    kind: 'EgressL4Route',
    meta: meta('bench-routes'),
    parentRefs: [{ group: 'egress.portcullis.dev', kind: 'EgressGateway', name: 'bench' }],
    rules: matches.map((m) => ({ matches: [m] })),
  };
  return { resources: [gateway, route], matches, hitNames, hitIps };
}

function requests(corpus: Corpus, rand: () => number, count: number): EgressRequest[] {
  const out: EgressRequest[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const r = i % 4;
    let authority: string;
    if (r === 0 && corpus.hitNames.length > 0) authority = `${pick(corpus.hitNames)}:443`;
    else if (r === 1) authority = `miss${i}.nowhere.example.org:443`;
    else if (r === 2 && corpus.hitIps.length > 0) authority = `${pick(corpus.hitIps)}:443`;
    else authority = `203.0.113.${i % 250}:443`;
    out.push({
      surface: 'check-http',
      source: { address: '10.1.2.3', port: 40000 },
      destination: { authority, authoritySource: 'connect', protocol: 'tcp' },
      context: {},
    });
  }
  return out;
}

/** Median ns per call over batches, for at least `ms` milliseconds. */
function measure(
  fn: (i: number) => void,
  batch: number,
  ms: number,
): { medianNs: number; perSecond: number } {
  const samples: number[] = [];
  let i = 0;
  const deadline = Date.now() + ms;
  for (let w = 0; w < batch; w++) fn(i++); // warm-up
  while (Date.now() < deadline && samples.length < 10_000) {
    const start = process.hrtime.bigint();
    for (let k = 0; k < batch; k++) fn(i++);
    samples.push(Number(process.hrtime.bigint() - start) / batch);
  }
  samples.sort((a, b) => a - b);
  const medianNs = samples[Math.floor(samples.length / 2)]!;
  return { medianNs, perSecond: 1e9 / medianNs };
}

function gcIfExposed(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}

/** The obvious implementation: parse with ipaddr.js and test every rule in turn. */
function linearScan(matches: readonly L4Match[], req: EgressRequest): boolean {
  const authority = req.destination.authority ?? '';
  const colon = authority.lastIndexOf(':');
  const host = authority.slice(0, colon).toLowerCase();
  const port = Number(authority.slice(colon + 1));
  const ip = ipaddr.isValid(host) ? ipaddr.parse(host) : undefined;
  for (const m of matches) {
    if (m.ports.length > 0 && !m.ports.some((p) => port >= p.start && port <= p.end)) continue;
    if (m.destinationHostnames.length > 0) {
      if (ip) continue;
      const ok = m.destinationHostnames.some((p) =>
        p.kind === 'exact'
          ? host === p.suffix
          : host.endsWith(`.${p.suffix}`) && !host.slice(0, -p.suffix.length - 1).includes('.'),
      );
      if (ok) return true;
    } else if (ip) {
      for (const b of m.destinationCIDRs) {
        const range = ipaddr.parseCIDR(b.cidr.text);
        if (ip.kind() === range[0].kind() && ip.match(range)) return true;
      }
    }
  }
  return false;
}

export interface DecideBenchRow {
  rules: number;
  compileMs: number;
  heapMiB: number;
  decideMedianNs: number;
  decidesPerSecond: number;
  linearMedianNs: number;
  blockListMedianNs: number;
}

export function runDecideBench(
  sizes: readonly number[] = [10, 1_000, 10_000, 100_000],
  ms = 1500,
): DecideBenchRow[] {
  const rows: DecideBenchRow[] = [];
  for (const n of sizes) {
    const rand = prng(42 + n);
    const corpus = buildCorpus(n, rand);
    const reqs = requests(corpus, rand, 4096);

    gcIfExposed();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    const snapshot = compileSnapshot(corpus.resources, { version: 1 });
    const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
    gcIfExposed();
    const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

    let allowed = 0;
    const d = measure(
      (i) => {
        if (decide(snapshot, reqs[i & 4095]!, ANONYMOUS_AGENT, { id: 'bench' }).verdict === 'allow')
          allowed++;
      },
      256,
      ms,
    );
    if (allowed === 0) throw new Error('benchmark requests never matched: the corpus is wrong');

    const linearBatch = n >= 10_000 ? 4 : 64;
    const lin = measure(
      (i) => void linearScan(corpus.matches, reqs[i & 4095]!),
      linearBatch,
      Math.min(ms, 1000),
    );

    const list = new BlockList();
    for (const m of corpus.matches) {
      for (const b of m.destinationCIDRs) list.addSubnet(b.cidr.address.text, b.cidr.prefixLength, 'ipv4');
    }
    const ips = corpus.hitIps.length > 0 ? corpus.hitIps : ['203.0.113.1'];
    const bl = measure(
      (i) => void list.check(ips[i % ips.length]!, 'ipv4'),
      n >= 10_000 ? 4 : 64,
      Math.min(ms, 1000),
    );

    rows.push({
      rules: n,
      compileMs: Math.round(compileMs * 10) / 10,
      heapMiB: Math.round(heapMiB * 10) / 10,
      decideMedianNs: Math.round(d.medianNs),
      decidesPerSecond: Math.round(d.perSecond),
      linearMedianNs: Math.round(lin.medianNs),
      blockListMedianNs: Math.round(bl.medianNs),
    });
  }
  return rows;
}
