/**
 * End-to-end `Authorization/Check` load on loopback.
 *
 * Portcullis (`serve`, a 10,000-rule policy) and a no-op grpc-js Check server (noop-check-server.ts)
 * run as child processes on 127.0.0.1. h2load sends both the same pre-encoded CheckRequest (a
 * CONNECT that hits an allow route, so Portcullis does real matching). The no-op server is the
 * ceiling: the difference is what Portcullis adds to grpc-js and node:http2.
 *
 * - Peak: a short sweep (c ∈ {1,4} × m ∈ {10,100}); each run is a separate 1 s h2load warm-up and
 *   then ~5 s measured; 3 repetitions, interleaved between servers because this machine is noisy
 *   and only runs made close together compare well. Median per config.
 * - Latency: h2load `--rps` with m=1, both servers at half of Portcullis's peak (the target
 *   is Portcullis's p99 there; the no-op at the same rate is the floor), percentiles from `--log-file`.
 *
 * h2load's "succeeded" and "2xx" ignore grpc-status: a trailers-only gRPC error still counts as a
 * 2xx success, but carries no DATA. So every run is checked against the DATA bytes of a real answer
 * (measured once with a grpc-js client), and a run with an error response fails the benchmark
 * instead of producing a number. The load generator shares the cores with the servers, so absolute
 * numbers are floors; the ratio is the figure that means something. Each measured run also records
 * the server's CPU time per request (from /proc), which other sessions on the machine disturb far
 * less than req/s, and the report says how much CPU they took.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_SERVICE, authorizationServiceDefinition } from '../src/grpc/protos';
import type { CheckRequest, CheckResponse } from '../src/grpc/protos';
import { connectRequest } from '../test/support/envoy-client';
import { NODE_FLAGS } from '../src/cli/node-flags';

const LOOPBACK = '127.0.0.1';
const CHECK_PATH = `/${AUTHORIZATION_SERVICE}/Check`;
const INSTALL_HINT =
  'h2load was not found on PATH. Install it with `apt-get install nghttp2-client` (Debian/Ubuntu), ' +
  '`brew install nghttp2` (macOS) or `dnf install nghttp2` (Fedora), then rerun `npm run bench -- check`.';

export interface LoadShape {
  /** h2load `-c`: connections. */
  readonly clients: number;
  /** h2load `-m`: concurrent streams per connection. */
  readonly streams: number;
}

export interface CheckLoadOptions {
  readonly rules?: number;
  readonly warmUpSeconds?: number;
  readonly measureSeconds?: number;
  readonly repetitions?: number;
  readonly sweep?: readonly LoadShape[];
  /**
   * Most requests per second one latency connection carries (default 1000). With m=1 h2load waits
   * for an answer before sending the next request on a connection, so one connection cannot exceed
   * 1/latency; at 1000/s only answers slower than 1 ms delay later sends (coordinated omission, so
   * tails are under-reported). More connections would cost the server more per request than the
   * few multiplexed connections Envoy keeps open.
   */
  readonly ratePerConnection?: number;
  /** V8/Node flags for both server processes; default: the flags Portcullis ships with (NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
  readonly progress?: (line: string) => void;
}

export interface CheckLoadReport {
  /** One row per server: the summary table. */
  readonly summary: readonly Record<string, string>[];
  /** Every sweep config, both servers side by side. */
  readonly sweep: readonly Record<string, string>[];
  /** What was run: versions, flags, sizes, the matched rule. */
  readonly notes: readonly string[];
}

const shapeLabel = (s: LoadShape): string => `c=${s.clients}, m=${s.streams}`;

type ServerName = 'no-op grpc-js' | 'portcullis';

interface Target {
  readonly name: ServerName;
  readonly port: number;
  readonly pid: number | undefined;
  /** DATA bytes h2load sees per answered Check: 5-byte gRPC prefix + protobuf. */
  readonly frameBytes: number;
}

// ---- the policy and the request ---------------------------------------------------------------

/** The rule the benchmark request hits: the last `*.` wildcard (index ≡ 1 mod 4), deep in the policy. */
const hitIndex = (rules: number): number => Math.floor((rules - 2) / 4) * 4 + 1;
const hitAuthority = (rules: number): string => `eu.tenant${hitIndex(rules)}.example.net:443`;

/**
 * One YAML file: gateway `bench` and routes of 100 rules each, a quarter of every kind (exact name,
 * `*.` wildcard, /24 CIDR on 443, /28 CIDR on the range 8000–8099). First octets stay in 11–99, so
 * no rule touches a range the SSRF guard protects.
 */
export function policyYaml(rules: number): string {
  const out = [
    'apiVersion: egress.portcullis.dev/v1alpha1',
    'kind: EgressGateway',
    'metadata: { name: bench }',
    'spec:',
    '  defaultPolicy: deny-all',
    '  mode: enforce',
    '  ssrfGuard: true',
    '  listeners: [{ name: http-out, protocol: HTTP }]',
  ];
  for (let i = 0; i < rules; i++) {
    if (i % 100 === 0) {
      out.push('---', 'apiVersion: egress.portcullis.dev/v1alpha1', 'kind: EgressL4Route');
      out.push(
        `metadata: { name: bench-${i / 100} }`,
        'spec:',
        '  parentRefs: [{ name: bench }]',
        '  rules:',
      );
    }
    const octets = `${11 + (i % 89)}.${(i * 7) % 256}.${(i * 13) % 256}`;
    const match =
      i % 4 === 0
        ? `destinationHostnames: [api${i}.svc${i % 97}.example.com], ports: [{ port: 443 }]`
        : i % 4 === 1
          ? `destinationHostnames: ['*.tenant${i}.example.net'], ports: [{ port: 443 }]`
          : i % 4 === 2
            ? `destinationCIDRs: [${octets}.0/24], ports: [{ port: 443 }]`
            : `destinationCIDRs: [${octets}.${16 * (i % 16)}/28], ports: [{ startPort: 8000, endPort: 8099 }]`;
    out.push(`    - matches: [{ ${match} }]`);
  }
  return `${out.join('\n')}\n`;
}

/** The h2load body: one length-prefixed gRPC message (uncompressed flag, big-endian length). */
function grpcFrame(request: CheckRequest): Buffer {
  const message: Buffer = authorizationServiceDefinition['Check'].requestSerialize(request);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return frame;
}

// ---- child processes --------------------------------------------------------------------------

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
  /** The last few KB of stdout and stderr, for error messages. */
  output(): string;
}

function startChild(command: string, args: readonly string[]): Child {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', (err) => {
      tail += `\n${err.message}`;
      resolve();
    });
  });
  return { proc, exited, output: () => tail };
}

const running = (child: Child): boolean => child.proc.exitCode === null && child.proc.signalCode === null;

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  if (!running(child)) return;
  child.proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  if ((await Promise.race([child.exited, late])) === 'late') {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
  clearTimeout(timer);
}

/** Runs a command to completion, killed after `timeoutMs` (and in any case before returning). */
async function runToEnd(command: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const child = startChild(command, args);
  let out = '';
  child.proc.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), timeoutMs);
  try {
    await child.exited;
    if (child.proc.exitCode !== 0) {
      const how = child.proc.exitCode ?? child.proc.signalCode;
      throw new Error(`${command} ${args.join(' ')} failed (${how}):\n${child.output()}`);
    }
    return out;
  } finally {
    clearTimeout(timer);
    await stopChild(child, 1000);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- one real answer, through grpc-js ---------------------------------------------------------

interface Probe {
  readonly response: CheckResponse;
  readonly messageBytes: number;
}

/** One Check over grpc-js that records the size of the serialized answer as well as decoding it. */
function probe(port: number, request: CheckRequest): Promise<Probe> {
  const method = authorizationServiceDefinition['Check'];
  const client = new grpc.Client(`${LOOPBACK}:${port}`, grpc.credentials.createInsecure());
  let messageBytes = 0;
  const deserialize = (bytes: Buffer): CheckResponse => {
    messageBytes = bytes.length;
    return method.responseDeserialize(bytes) as CheckResponse;
  };
  return new Promise<Probe>((resolve, reject) => {
    client.makeUnaryRequest<CheckRequest, CheckResponse>(
      CHECK_PATH,
      method.requestSerialize,
      deserialize,
      request,
      { deadline: Date.now() + 2000 },
      (err, response) => {
        if (err || response === undefined) reject(err ?? new Error('empty answer'));
        else resolve({ response, messageBytes });
      },
    );
  }).finally(() => client.close());
}

/** Probes until the server answers (Portcullis compiles the policy first), or fails with its output. */
async function waitForAnswer(child: Child, port: number, request: CheckRequest): Promise<Probe> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running(child)) throw new Error(`server exited before answering:\n${child.output()}`);
    try {
      return await probe(port, request);
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`server did not answer within 60 s: ${String(err)}`);
      await sleep(200);
    }
  }
}

async function noopPort(child: Child): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && running(child)) {
    const match = /\{"port":(\d+)\}/.exec(child.output());
    if (match) return Number(match[1]);
    await sleep(50);
  }
  throw new Error(`no-op server did not report its port:\n${child.output()}`);
}

// ---- h2load -----------------------------------------------------------------------------------

/** Fails with the install hint when h2load is missing, and returns its version line otherwise. */
export function h2loadVersion(): string {
  const result = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) throw new Error(INSTALL_HINT);
  return result.stdout.trim();
}

interface H2loadStats {
  readonly reqPerSec: number;
  readonly started: number;
  readonly done: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errored: number;
  readonly timeout: number;
  readonly status2xx: number;
  readonly dataBytes: number;
}

function parseH2load(out: string): H2loadStats {
  const finished = /finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out);
  const requests =
    /requests: \d+ total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const codes = /status codes: (\d+) 2xx/.exec(out);
  const data = /traffic: .*\((\d+)\) data/.exec(out);
  if (!finished || !requests || !codes || !data) throw new Error(`unexpected h2load output:\n${out}`);
  const n = (s: string | undefined) => Number(s);
  return {
    reqPerSec: Number(finished[1]),
    started: n(requests[1]),
    done: n(requests[2]),
    succeeded: n(requests[3]),
    failed: n(requests[4]),
    errored: n(requests[5]),
    timeout: n(requests[6]),
    status2xx: n(codes[1]),
    dataBytes: n(data[1]),
  };
}

/**
 * Every answer must have carried exactly one DATA frame of the real answer's size. An error answer
 * is trailers-only (0 DATA bytes) yet counts as 2xx, so: DATA bytes are a whole number of answers;
 * that number equals the 2xx count; and it lies between requests done and requests started (the
 * difference is streams cut off in flight by `-D`, which h2load counts as started but not done).
 */
function validate(stats: H2loadStats, target: Target, what: string): void {
  const answers = stats.dataBytes / target.frameBytes;
  const problems: string[] = [];
  if (stats.done === 0) problems.push('no request completed');
  if (stats.failed + stats.errored + stats.timeout > 0) problems.push('h2load counted failed requests');
  if (stats.succeeded !== stats.done) problems.push('not every request succeeded');
  if (!Number.isInteger(answers)) problems.push(`DATA bytes are not a multiple of ${target.frameBytes}`);
  else if (answers !== stats.status2xx) problems.push('some 2xx responses carried no answer (gRPC errors)');
  else if (answers < stats.done || answers > stats.started) problems.push('answers do not match requests');
  if (problems.length > 0) {
    throw new Error(
      `${target.name} ${what}: failed run (${problems.join('; ')}): ${JSON.stringify(stats)}, ` +
        `expected ${target.frameBytes} DATA bytes per answer`,
    );
  }
}

interface RunPlan {
  readonly framePath: string;
  readonly warmUpSeconds: number;
  readonly measureSeconds: number;
}

function h2loadArgs(target: Target, plan: RunPlan, shape: LoadShape, seconds: number): string[] {
  return [
    '-t1',
    `-c${shape.clients}`,
    `-m${shape.streams}`,
    `-D${seconds}`,
    '-d',
    plan.framePath,
    '-H',
    'content-type: application/grpc',
    '-H',
    'te: trailers',
    `http://${LOOPBACK}:${target.port}${CHECK_PATH}`,
  ];
}

interface Run {
  readonly stats: H2loadStats;
  /** Server CPU (every thread, GC helpers included) per completed request; undefined off Linux. */
  readonly cpuUs: number | undefined;
}

/**
 * Warm-up as its own h2load run, so the measured run's byte counts cover only measured requests.
 * `measuredOnly` args (the latency log) go to the measured run alone.
 */
async function loadRun(
  target: Target,
  plan: RunPlan,
  shape: LoadShape,
  extra: readonly string[] = [],
  measuredOnly: readonly string[] = [],
): Promise<Run> {
  const run = async (phase: string, seconds: number, more: readonly string[]) => {
    const args = [...extra, ...more, ...h2loadArgs(target, plan, shape, seconds)];
    const stats = parseH2load(await runToEnd('h2load', args, (seconds + 20) * 1000));
    validate(stats, target, `${shapeLabel(shape)} ${phase}`);
    return stats;
  };
  await run('warm-up', plan.warmUpSeconds, []);
  const before = processTicks(target.pid);
  const stats = await run('measured', plan.measureSeconds, measuredOnly);
  const after = processTicks(target.pid);
  const cpuUs =
    before === undefined || after === undefined ? undefined : ((after - before) * 10_000) / stats.done;
  return { stats, cpuUs };
}

// ---- latency ----------------------------------------------------------------------------------

interface Latency {
  readonly clients: number;
  readonly achieved: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

async function latencyRun(
  target: Target,
  plan: RunPlan,
  rate: number,
  perConnection: number,
): Promise<Latency> {
  const logPath = path.join(path.dirname(plan.framePath), `latency-${target.port}.log`);
  rmSync(logPath, { force: true }); // h2load appends to an existing log
  const clients = Math.max(2, Math.ceil(rate / perConnection));
  const perClient = Math.max(1, Math.round(rate / clients));
  const shape = { clients, streams: 1 };
  const { stats } = await loadRun(target, plan, shape, [`--rps=${perClient}`], [`--log-file=${logPath}`]);
  const micros: number[] = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (line === '') continue;
    const [, status, elapsed] = line.split('\t');
    if (status !== '200') throw new Error(`${target.name} latency: a request ended with status ${status}`);
    micros.push(Number(elapsed));
  }
  if (micros.length !== stats.done) {
    throw new Error(`${target.name} latency: ${micros.length} log lines for ${stats.done} requests`);
  }
  micros.sort((a, b) => a - b);
  const ms = (q: number) => percentile(micros, q) / 1000;
  return { clients, achieved: stats.reqPerSec, p50: ms(0.5), p99: ms(0.99), p999: ms(0.999) };
}

// ---- the shared machine ----------------------------------------------------------------------

interface CpuTicks {
  /** Busy ticks of the whole machine (user, nice, system, irq, softirq; not idle, iowait, steal). */
  readonly machine: number;
  /** This process and its reaped children (the servers and every h2load run). */
  readonly ours: number;
}

/**
 * Linux-only (undefined elsewhere). Other sessions share this machine, so the report says how much
 * CPU they took during the run: the benchmark cannot stop them, but a reader can discount a run.
 */
function cpuTicks(): CpuTicks | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self
      .slice(self.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return {
      machine: cpu[0]! + cpu[1]! + cpu[2]! + cpu[5]! + cpu[6]!,
      ours: f[11]! + f[12]! + f[13]! + f[14]!,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU ticks (10 ms) a process has used in all its threads. Less sensitive to the other sessions on
 * this machine than req/s: while they run, a CPU-bound server answers fewer requests, but each costs
 * about the same CPU, so the CPU ratio is the steadier estimate of the throughput ratio.
 */
function processTicks(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return f[11]! + f[12]!;
  } catch {
    return undefined;
  }
}

function othersNote(before: CpuTicks | undefined, after: CpuTicks | undefined, seconds: number): string {
  if (before === undefined || after === undefined) return 'CPU used by other processes: unknown (no /proc).';
  const hz = 100; // USER_HZ on every Linux architecture Node supports
  const others = Math.max(0, after.machine - before.machine - (after.ours - before.ours)) / hz;
  const share = percent(others, seconds * os.cpus().length);
  return `CPU used by other processes during the ${Math.round(seconds)} s run: ${others.toFixed(1)} s (${share} of the machine).`;
}

// ---- the benchmark ----------------------------------------------------------------------------

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const withRuns = (runs: readonly number[]): string => `${int(median(runs))} [${runs.map(int).join(' / ')}]`;
const percent = (part: number, whole: number): string => `${Math.round((100 * part) / whole)}%`;
const cpuText = (us: number | undefined): string => (us === undefined ? 'n/a' : us.toFixed(1));

interface Servers {
  readonly targets: readonly [Target, Target];
  /** Portcullis's answer to the benchmark request, to show which rule it matched. */
  readonly answer: CheckResponse;
}

/** Starts both servers (registering them in `children` first, so the caller's `finally` stops them). */
async function startServers(
  dir: string,
  request: CheckRequest,
  nodeFlags: readonly string[],
  children: Child[],
): Promise<Servers> {
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  const noopScript = path.join(__dirname, 'noop-check-server.js');
  if (!existsSync(cli) || !existsSync(noopScript)) throw new Error('dist/ is missing: run `npm run build`');
  const noop = startChild(process.execPath, [...nodeFlags, noopScript]);
  children.push(noop);
  const grpcPort = await freePort();
  const serveArgs = ['serve', '--policy', path.join(dir, 'policy'), '--grpc-port', String(grpcPort)];
  serveArgs.push('--grpc-address', LOOPBACK, '--admin-port=-1', '--log-level', 'warn');
  const serve = startChild(process.execPath, [...nodeFlags, cli, ...serveArgs]);
  children.push(serve);

  const noopServerPort = await noopPort(noop);
  const noopAnswer = await waitForAnswer(noop, noopServerPort, request);
  const answer = await waitForAnswer(serve, grpcPort, request);
  const verdict = answer.response.dynamic_metadata?.fields?.['verdict']?.stringValue;
  if (answer.response.status?.code !== 0 || verdict !== 'allow') {
    throw new Error(`the benchmark request is not allowed: ${JSON.stringify(answer.response)}`);
  }
  return {
    targets: [
      {
        name: 'no-op grpc-js',
        port: noopServerPort,
        pid: noop.proc.pid,
        frameBytes: 5 + noopAnswer.messageBytes,
      },
      { name: 'portcullis', port: grpcPort, pid: serve.proc.pid, frameBytes: 5 + answer.messageBytes },
    ],
    answer: answer.response,
  };
}

/** Alternates which server goes first in each repetition, so drift on this shared box hits both. */
const inTurn = <T>(xs: readonly T[], rep: number): readonly T[] => (rep % 2 === 0 ? xs : [...xs].reverse());

interface Peak {
  readonly shape: LoadShape;
  readonly runs: readonly Run[];
  readonly peak: number;
}

const rates = (runs: readonly Run[]): number[] => runs.map((r) => r.stats.reqPerSec);
/** Median server CPU µs per request, or undefined when it could not be measured. */
function cpuMedian(runs: readonly Run[]): number | undefined {
  const cpu = runs.flatMap((r) => (r.cpuUs === undefined ? [] : [r.cpuUs]));
  return cpu.length === runs.length && cpu.length > 0 ? median(cpu) : undefined;
}

async function measurePeaks(
  targets: readonly Target[],
  plan: RunPlan,
  sweep: readonly LoadShape[],
  repetitions: number,
  progress: (line: string) => void,
): Promise<{ readonly best: Peak[]; readonly runsOf: (t: Target, s: LoadShape) => Run[] }> {
  const runs = new Map<string, Run[]>();
  const key = (t: Target, s: LoadShape) => `${t.name} ${shapeLabel(s)}`;
  for (let rep = 0; rep < repetitions; rep++) {
    for (const shape of sweep) {
      for (const target of inTurn(targets, rep)) {
        const run = await loadRun(target, plan, shape);
        runs.set(key(target, shape), [...(runs.get(key(target, shape)) ?? []), run]);
        const cpu = run.cpuUs === undefined ? '' : `, ${run.cpuUs.toFixed(1)} µs CPU/request`;
        progress(
          `check: ${key(target, shape)} rep ${rep + 1}/${repetitions}: ${int(run.stats.reqPerSec)} req/s${cpu}`,
        );
      }
    }
  }
  const runsOf = (t: Target, s: LoadShape) => runs.get(key(t, s)) ?? [];
  const best = targets.map((t) => {
    const peakOf = (s: LoadShape) => median(rates(runsOf(t, s)));
    const shape = sweep.reduce((a, b) => (peakOf(b) > peakOf(a) ? b : a));
    return { shape, runs: runsOf(t, shape), peak: peakOf(shape) };
  });
  return { best, runsOf };
}

/** Both servers at the same rate, so their latencies compare like for like. */
async function measureLatencies(
  targets: readonly Target[],
  rate: number,
  plan: RunPlan,
  options: { readonly repetitions: number; readonly ratePerConnection: number },
  progress: (line: string) => void,
): Promise<Latency[][]> {
  const latencies: Latency[][] = targets.map(() => []);
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const i of inTurn([...targets.keys()], rep)) {
      const lat = await latencyRun(targets[i]!, plan, rate, options.ratePerConnection);
      latencies[i]!.push(lat);
      progress(
        `check: ${targets[i]!.name} latency rep ${rep + 1}/${options.repetitions}: c=${lat.clients}, ` +
          `${int(lat.achieved)} req/s, p50 ${lat.p50} ms, p99 ${lat.p99} ms, p99.9 ${lat.p999} ms`,
      );
    }
  }
  return latencies;
}

interface Measured {
  readonly targets: readonly [Target, Target];
  readonly sweep: readonly LoadShape[];
  readonly best: readonly Peak[];
  readonly runsOf: (t: Target, s: LoadShape) => Run[];
  readonly latencyRate: number;
  readonly latencies: readonly Latency[][];
  readonly repetitions: number;
}

function tables(m: Measured): Pick<CheckLoadReport, 'summary' | 'sweep'> {
  const latencyHeader = `at ${int(m.latencyRate)} req/s (half Portcullis's peak): achieved, conns`;
  const summary = m.targets.map((t, i) => {
    const lat = m.latencies[i]!;
    const ms = (f: (l: Latency) => number) => median(lat.map(f)).toFixed(2);
    return {
      server: t.name,
      'best config': shapeLabel(m.best[i]!.shape),
      [`req/s median [${m.repetitions} runs]`]: withRuns(rates(m.best[i]!.runs)),
      'ratio to no-op': percent(m.best[i]!.peak, m.best[0]!.peak),
      'server CPU µs/request': cpuText(cpuMedian(m.best[i]!.runs)),
      [latencyHeader]: `${int(median(lat.map((l) => l.achieved)))}, ${lat[0]?.clients ?? 0}`,
      'p50 / p99 / p99.9 ms': `${ms((l) => l.p50)} / ${ms((l) => l.p99)} / ${ms((l) => l.p999)}`,
    };
  });
  const sweep = m.sweep.map((s) => {
    const [a, b] = m.targets.map((t) => m.runsOf(t, s)) as [Run[], Run[]];
    const [cpuA, cpuB] = [cpuMedian(a), cpuMedian(b)];
    return {
      config: shapeLabel(s),
      [`no-op req/s median [${m.repetitions} runs]`]: withRuns(rates(a)),
      [`portcullis req/s median [${m.repetitions} runs]`]: withRuns(rates(b)),
      ratio: percent(median(rates(b)), median(rates(a))),
      'CPU µs/request: no-op / portcullis': `${cpuText(cpuA)} / ${cpuText(cpuB)}`,
      'ratio by CPU': cpuA === undefined || cpuB === undefined ? 'n/a' : percent(cpuA, cpuB),
    };
  });
  return { summary, sweep };
}

export async function runCheckLoadBench(options: CheckLoadOptions = {}): Promise<CheckLoadReport> {
  const rules = options.rules ?? 10_000;
  const repetitions = options.repetitions ?? 3;
  const sweep = options.sweep ?? [
    { clients: 1, streams: 10 },
    { clients: 1, streams: 100 },
    { clients: 4, streams: 10 },
    { clients: 4, streams: 100 },
  ];
  const ratePerConnection = options.ratePerConnection ?? 1000;
  const nodeFlags = options.nodeFlags ?? NODE_FLAGS;
  const progress = options.progress ?? ((line: string) => console.error(line));
  const version = h2loadVersion();

  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-check-bench-'));
  const children: Child[] = [];
  const started = { at: Date.now(), cpu: cpuTicks() };
  try {
    mkdirSync(path.join(dir, 'policy'));
    writeFileSync(path.join(dir, 'policy', 'bench.yaml'), policyYaml(rules));
    const request = connectRequest(hitAuthority(rules));
    const plan: RunPlan = {
      framePath: path.join(dir, 'check.bin'),
      warmUpSeconds: options.warmUpSeconds ?? 1,
      measureSeconds: options.measureSeconds ?? 5,
    };
    const frame = grpcFrame(request);
    writeFileSync(plan.framePath, frame);

    const { targets, answer } = await startServers(dir, request, nodeFlags, children);
    const { best, runsOf } = await measurePeaks(targets, plan, sweep, repetitions, progress);
    const latencyRate = best[1]!.peak / 2;
    const latencyOptions = { repetitions, ratePerConnection };
    const latencies = await measureLatencies(targets, latencyRate, plan, latencyOptions, progress);

    for (const child of children) await stopChild(child); // reaped, so their CPU time is counted
    const seconds = (Date.now() - started.at) / 1000;
    const fields = answer.dynamic_metadata?.fields;
    const notes = [
      `${version}; h2load -t1, a ${plan.warmUpSeconds} s warm-up run, then a ${plan.measureSeconds} s measured run per number; ` +
        `latency: m=1, --rps with at most ${ratePerConnection}/s per connection, percentiles from --log-file ` +
        `(nearest rank), median of ${repetitions}.`,
      `Server node flags: ${nodeFlags.length > 0 ? nodeFlags.join(' ') : '(none)'}; Portcullis: serve --log-level warn --admin-port=-1.`,
      `Policy: ${rules} rules; request: CONNECT ${hitAuthority(rules)} (${frame.length}-byte gRPC frame), ` +
        `allowed by ${fields?.['policy']?.stringValue ?? '?'} rule ${fields?.['rule']?.stringValue ?? '?'}.`,
      `DATA bytes per answer: no-op ${targets[0].frameBytes}, Portcullis ${targets[1].frameBytes}; ` +
        'every run was checked against them (a gRPC error answer carries none).',
      othersNote(started.cpu, cpuTicks(), seconds),
    ];
    targets.forEach((t, i) => {
      const achieved = median(latencies[i]!.map((l) => l.achieved));
      if (achieved < 0.9 * latencyRate) {
        notes.push(
          `${t.name}: the latency runs reached only ${percent(achieved, latencyRate)} of the target rate ` +
            '(each m=1 connection is a closed loop, or the server was saturated): the latency is for the achieved rate.',
        );
      }
    });
    const measured = { targets, sweep, best, runsOf, latencyRate, latencies, repetitions };
    return { ...tables(measured), notes };
  } finally {
    for (const child of children) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
}
