/**
 * What telemetry costs a decision (target: metrics under 10%).
 *
 * The service's per-decision path without the network: canonicalise and decide against a compiled
 * snapshot, time it, publish it on the decision channel, with these subscribers:
 *
 * - off: nobody subscribed (publishing is one branch);
 * - metrics: the Prometheus counters and latency histogram (what `serve` always runs);
 * - metrics + log line: plus the canonical JSON line, written to /dev/null;
 * - metrics + OTLP: plus OpenTelemetry spans and log records for every decision (no sampling),
 *   exported over OTLP/HTTP (protobuf) to a collector stand-in in another process on 127.0.0.1.
 *
 * The loop yields every 500 decisions so queued records and exports get their turn, exactly as
 * they would between gRPC calls, and the timed region ends after a flush: every record is built
 * and exported inside it. The stand-in counts the records that arrive, so a drop would show.
 * Cost is this process's CPU time (user + system), not wall time: the machines these run on are
 * shared, and CPU time is what a saturated service would spend; the collector's own work is in its
 * own process. Each configuration runs twice: the whole path, and publishing prepared decisions
 * alone, which measures telemetry without the noise of deciding. Configurations are interleaved
 * and repeated; medians are reported. gRPC itself is left out, so the percentages are of the
 * cheapest thing a decision can be.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import pino from 'pino';
import { decide } from '../src/engine/decide';
import { ANONYMOUS_AGENT } from '../src/engine/types';
import { publishDecision } from '../src/telemetry/decision-channel';
import { createLogger } from '../src/telemetry/logger';
import { createMetrics } from '../src/telemetry/metrics';
import { startTelemetry, type Telemetry } from '../src/telemetry/otel';
import { request, snapshotFromYaml } from '../test/support/policy';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec: { listeners: [{ name: http-out, protocol: HTTP }] }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: web }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [api.anthropic.com, "*.openai.com"], ports: [{ port: 443 }] }]
`;

export const CONFIGS = ['off', 'metrics', 'metrics + log line', 'metrics + OTLP'] as const;
export type Config = (typeof CONFIGS)[number];

export interface TelemetryBenchRow {
  readonly config: Config;
  /** The whole path (decide, time, publish, telemetry): decisions per second of CPU. */
  readonly decisionsPerCpuSecond: number;
  readonly cpuNsPerDecision: number;
  /** Publishing and telemetry alone, per decision (prepared decisions, no deciding). */
  readonly telemetryCpuNs: number;
  /** Throughput lost against `off`: telemetry ns / (off's ns per decision + telemetry ns). */
  readonly cost: string;
  /** Spans and log records the collector stand-in received, against those produced. */
  readonly recordsReceived: string;
}

/**
 * The collector stand-in, in its own process: accepts OTLP/HTTP POSTs, counts the records in them
 * (each span name and each log event name starts with `egress.dial.`), answers 200, and reports
 * the count on GET.
 */
const STAND_IN = `
const http = require('node:http');
const needle = Buffer.from('egress.dial.');
let records = 0;
http.createServer((req, res) => {
  if (req.method === 'GET') { res.end(String(records)); return; }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    for (let i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + 1)) records++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

async function startStandIn(): Promise<{
  endpoint: string;
  child: ChildProcess;
  received(): Promise<number>;
}> {
  const child = spawn(process.execPath, ['-e', STAND_IN], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', () => reject(new Error('collector stand-in exited')));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return { endpoint, child, received: async () => Number(await (await fetch(endpoint)).text()) };
}

function setUp(config: Config, endpoint: string): Telemetry | undefined {
  if (config === 'off') return undefined;
  const metrics = createMetrics({ defaultMetrics: false });
  const quiet = createLogger('info', pino.destination({ dest: '/dev/null', sync: false }));
  if (config === 'metrics')
    return startTelemetry({ logger: quiet, metrics }, { env: {}, decisionLog: false });
  if (config === 'metrics + log line') return startTelemetry({ logger: quiet, metrics }, { env: {} });
  // The OTLP exporters read their endpoint from process.env, as in production.
  process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = endpoint;
  return startTelemetry(
    { logger: quiet, metrics },
    { env: { ...process.env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }, decisionLog: false },
  );
}

const REQUESTS = [
  request({ connect: 'api.anthropic.com:443', gateway: 'agents' }),
  request({ connect: 'chat.openai.com:443', gateway: 'agents' }),
  request({ connect: 'api.anthropic.com:443', gateway: 'agents' }),
  request({ connect: 'pastebin.com:443', gateway: 'agents' }),
];

/**
 * CPU nanoseconds for `n` decisions. `withDecide`: the whole path; without, only publishing four
 * prepared decisions (what telemetry alone costs, free of the noise of deciding).
 */
async function runOnce(config: Config, n: number, endpoint: string, withDecide: boolean): Promise<number> {
  const snapshot = snapshotFromYaml(POLICY);
  const prepared = REQUESTS.map((req) => decide(snapshot, req, ANONYMOUS_AGENT, { id: randomUUID() }));
  const telemetry = setUp(config, endpoint);
  // Every run starts from a collected heap (under `node --expose-gc`, as `npm run bench` runs).
  (globalThis as { gc?: () => void }).gc?.();
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const req = REQUESTS[i & 3]!;
    if (withDecide) {
      const t0 = process.hrtime.bigint();
      const decision = decide(snapshot, req, ANONYMOUS_AGENT, { id: randomUUID() });
      const durationMs = Number(process.hrtime.bigint() - t0) / 1e6;
      publishDecision({ decision, request: req, surface: 'check-http', durationMs });
    } else {
      publishDecision({ decision: prepared[i & 3]!, request: req, surface: 'check-http', durationMs: 0.01 });
    }
    if (i % 500 === 499) await nextTurn();
  }
  await telemetry?.flush();
  const used = process.cpuUsage(started);
  await telemetry?.shutdown();
  return (used.user + used.system) * 1000;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runTelemetryBench(
  options: { decisions?: number; repetitions?: number; progress?: (line: string) => void } = {},
): Promise<TelemetryBenchRow[]> {
  const decisions = options.decisions ?? 200_000;
  const repetitions = options.repetitions ?? 7;
  // Batches big enough that the span and log processors keep up instead of dropping.
  for (const processor of ['BSP', 'BLRP']) {
    process.env[`OTEL_${processor}_MAX_QUEUE_SIZE`] = '65536';
    process.env[`OTEL_${processor}_MAX_EXPORT_BATCH_SIZE`] = '4096';
  }
  const collector = await startStandIn();
  try {
    await runOnce('metrics + OTLP', 20_000, collector.endpoint, true);
    const whole = new Map<Config, number[]>(CONFIGS.map((c) => [c, []]));
    const alone = new Map<Config, number[]>(CONFIGS.map((c) => [c, []]));
    let produced = 20_000 * 2;
    for (let r = 0; r < repetitions; r++) {
      for (const config of CONFIGS) {
        whole.get(config)!.push((await runOnce(config, decisions, collector.endpoint, true)) / decisions);
        // The cheap configurations need many more iterations to rise above the timer's noise.
        const n = config === 'off' || config === 'metrics' ? decisions * 10 : decisions;
        alone.get(config)!.push((await runOnce(config, n, collector.endpoint, false)) / n);
        if (config === 'metrics + OTLP') produced += decisions * 4;
        options.progress?.(
          `${config}: ${Math.round(whole.get(config)!.at(-1)!)} ns per decision, telemetry ${Math.round(alone.get(config)!.at(-1)!)} ns`,
        );
      }
    }
    const received = await collector.received();
    const offNs = median(whole.get('off')!);
    const offPublishNs = median(alone.get('off')!);
    return CONFIGS.map((config) => {
      const ns = median(whole.get(config)!);
      const telemetryNs = median(alone.get(config)!) - offPublishNs;
      return {
        config,
        decisionsPerCpuSecond: Math.round(1e9 / ns),
        cpuNsPerDecision: Math.round(ns),
        telemetryCpuNs: Math.round(config === 'off' ? median(alone.get(config)!) : telemetryNs),
        cost: config === 'off' ? '—' : `${((100 * telemetryNs) / (offNs + telemetryNs)).toFixed(1)}%`,
        recordsReceived: config === 'metrics + OTLP' ? `${received} / ${produced}` : '—',
      };
    });
  } finally {
    collector.child.kill();
  }
}

async function main(): Promise<void> {
  console.log(
    `# ${new Date().toISOString()} node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
  );
  const rows = await runTelemetryBench({ progress: (line) => console.error(line) });
  const keys = Object.keys(rows[0]!) as (keyof TelemetryBenchRow)[];
  console.log(`\n## telemetry\n\n| ${keys.join(' | ')} |\n| ${keys.map(() => '---:').join(' | ')} |`);
  for (const row of rows) console.log(`| ${keys.map((k) => row[k]).join(' | ')} |`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
