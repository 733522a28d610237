/**
 * Cost of the DNS resolver.
 *
 * Three paths on loopback, same test upstream, same query mix (256 names, A records):
 * - `direct`: client → test upstream;
 * - `allowAll`: client → Portcullis (policy `allowAll`) → test upstream;
 * - `filtering`: client → Portcullis (a policy doing Set lookups on the name and the address) → test upstream.
 * For each: latency with one query outstanding (p50/p99, and what Portcullis adds over `direct`),
 * then throughput with 32 outstanding. Everything runs in this one process, so the upstream's and the
 * client's work is in every figure; the `added` columns are the difference. Bounded by `ms` per
 * phase and by a query cap; a query unanswered after 1 s counts as lost.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import * as dnsPacket from 'dns-packet';
import type { DnsPolicy } from '../src/dns/policy';
import { allowAll } from '../src/dns/policy';
import { createDnsServer } from '../src/dns/server';
import type { DnsServer } from '../src/dns/server';
import { LOOPBACK, createTestUpstream } from '../test/support/dns-upstream';

export interface DnsBenchRow {
  readonly path: 'direct' | 'allowAll' | 'filtering';
  readonly queries: number;
  readonly lost: number;
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly addedP50Ms: number;
  readonly addedP99Ms: number;
}

const NAMES = Array.from({ length: 256 }, (_, i) => `n${i}.bench.example.com`);
const MAX_QUERIES_PER_PHASE = 200_000;
const CONCURRENCY = 32;
const LOST_AFTER_MS = 1000;

function filteringPolicy(): DnsPolicy {
  const allowed = new Set(NAMES);
  for (let i = 0; i < 10_000; i++) allowed.add(`other${i}.example.org`);
  const denied = new Set(['169.254.169.254', '127.0.0.1', '::1']);
  return {
    checkChain: () => 'allow',
    checkQuery: (_client, name) => (allowed.has(name) ? 'allow' : 'refuse'),
    checkAnswer: (_client, _names, ip) => (denied.has(ip.text) ? 'strip' : 'keep'),
  };
}

interface Phase {
  readonly latencies: number[];
  readonly answered: number;
  readonly lost: number;
  readonly elapsedMs: number;
}

/** Keeps `concurrency` queries outstanding against `port` until `ms` pass or the cap is reached. */
async function drive(port: number, concurrency: number, ms: number): Promise<Phase> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
  const messages = NAMES.map((name) =>
    dnsPacket.encode({
      type: 'query',
      id: 0,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    }),
  );
  const outstanding = new Map<number, number>();
  const latencies: number[] = [];
  let nextId = 0;
  let sent = 0;
  let lost = 0;
  const started = performance.now();
  const deadline = started + ms;

  return new Promise<Phase>((resolve) => {
    let finished = false;
    const sweeper = setInterval(() => {
      const now = performance.now();
      for (const [id, at] of outstanding) {
        if (now - at > LOST_AFTER_MS) {
          outstanding.delete(id);
          lost++;
          send();
        }
      }
    }, 100);

    function send(): void {
      if (performance.now() >= deadline || sent >= MAX_QUERIES_PER_PHASE) {
        if (outstanding.size === 0) finish();
        return;
      }
      let id = nextId;
      while (outstanding.has(id)) id = (id + 1) & 0xffff;
      nextId = (id + 1) & 0xffff;
      const message = Buffer.from(messages[sent % messages.length]!);
      message.writeUInt16BE(id, 0);
      outstanding.set(id, performance.now());
      sent++;
      socket.send(message, port, LOOPBACK);
    }

    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(sweeper);
      const elapsedMs = performance.now() - started;
      socket.close();
      resolve({ latencies, answered: latencies.length, lost, elapsedMs });
    }

    socket.on('message', (reply) => {
      const id = reply.readUInt16BE(0);
      const at = outstanding.get(id);
      if (at === undefined) return;
      outstanding.delete(id);
      latencies.push(performance.now() - at);
      send();
    });
    for (let i = 0; i < concurrency; i++) send();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export async function runDnsBench(options: { ms?: number } = {}): Promise<DnsBenchRow[]> {
  const ms = options.ms ?? 2000;
  const upstream = await createTestUpstream((q) => ({
    answers: [{ type: 'A', name: q.questions?.[0]?.name ?? '', ttl: 300, data: '192.0.2.10' }],
  }));
  const servers: DnsServer[] = [];
  try {
    const ports: [DnsBenchRow['path'], number][] = [['direct', upstream.port]];
    for (const [path, policy] of [
      ['allowAll', allowAll],
      ['filtering', filteringPolicy()],
    ] as const) {
      const server = createDnsServer({
        upstreams: [upstream.address],
        policy,
        maxInFlightPerClient: CONCURRENCY * 2,
      });
      servers.push(server);
      ports.push([path, (await server.listen(LOOPBACK, 0)).udpPort]);
    }

    const measured: {
      path: DnsBenchRow['path'];
      p50: number;
      p99: number;
      qps: number;
      queries: number;
      lost: number;
    }[] = [];
    // Warm every path first, so the first one measured does not pay for the JIT alone.
    for (const [, port] of ports) await drive(port, CONCURRENCY, Math.min(500, ms / 4));
    for (const [path, port] of ports) {
      const latency = await drive(port, 1, ms / 2);
      const throughput = await drive(port, CONCURRENCY, ms / 2);
      const sorted = [...latency.latencies].sort((a, b) => a - b);
      measured.push({
        path,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        qps: throughput.answered / (throughput.elapsedMs / 1000),
        queries: latency.answered + throughput.answered,
        lost: latency.lost + throughput.lost,
      });
    }
    const direct = measured[0]!;
    return measured.map((m) => ({
      path: m.path,
      queries: m.queries,
      lost: m.lost,
      qps: Math.round(m.qps),
      p50Ms: round(m.p50),
      p99Ms: round(m.p99),
      addedP50Ms: round(m.p50 - direct.p50),
      addedP99Ms: round(m.p99 - direct.p99),
    }));
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await upstream.close();
  }
}
