/**
 * For the tests and the benchmark: a strict parser of the Prometheus text exposition format
 * (0.0.4), so /metrics is checked by something other than the library that wrote it, a Decision
 * builder, and an OTLP/HTTP collector stand-in.
 *
 * Strict means: every line is a comment, HELP, TYPE or a well-formed sample; TYPE comes once and
 * before its samples; a family's samples are contiguous and named after it (`_bucket`, `_sum`,
 * `_count` for histograms); no series appears twice; histogram buckets are cumulative and the
 * `+Inf` bucket equals `_count`; the text ends with a line break.
 */
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { AddressInfo } from 'node:net';
import type { Decision } from '../../src/engine/types';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  help?: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** As Prometheus reads values (Go's ParseFloat): NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(text);
  if (inf) return inf[1] === '-' ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = LABEL.exec(rest);
    if (!m) throw new Error(`line ${line}: bad labels "${text}"`);
    const [all, name, raw] = m as unknown as [string, string, string];
    if (name in labels) throw new Error(`line ${line}: label ${name} twice`);
    labels[name] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(all.length);
  }
  return labels;
}

function familyOf(sample: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  for (const suffix of ['', '_bucket', '_sum', '_count']) {
    if (suffix !== '' && !sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, sample.length - suffix.length));
    if (!f) continue;
    const ok =
      suffix === ''
        ? f.type !== 'histogram'
        : f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket');
    if (ok) return f;
  }
  return undefined;
}

function checkHistogram(f: MetricFamily): void {
  const series = new Map<string, Sample[]>();
  const count = new Map<string, number>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (s.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      series.set(key, [...(series.get(key) ?? []), s]);
    } else if (s.name.endsWith('_count')) count.set(key, s.value);
  }
  for (const [key, buckets] of series) {
    let last = -1;
    for (const b of buckets) {
      if (b.value < last) throw new Error(`${f.name}${key}: buckets not cumulative`);
      last = b.value;
    }
    const inf = buckets.find((b) => b.labels['le'] === '+Inf');
    if (!inf || inf.value !== count.get(key))
      throw new Error(`${f.name}${key}: +Inf bucket differs from _count`);
  }
}

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (!text.endsWith('\n')) throw new Error('exposition does not end with a line break');
  const families = new Map<string, MetricFamily>();
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.slice(0, -1).split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (raw === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!new RegExp(`^${NAME}$`).test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      if (closed.has(name)) throw new Error(`line ${line}: ${name} continues after other families`);
      let f = families.get(name);
      if (!f) {
        f = { name, type: 'untyped', samples: [] };
        families.set(name, f);
      }
      if (current && current !== f) closed.add(current.name);
      current = f;
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`line ${line}: second HELP for ${name}`);
        f.help = rest;
      } else {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type ${rest}`);
        if (f.samples.length > 0 || f.type !== 'untyped')
          throw new Error(`line ${line}: TYPE for ${name} too late`);
        f.type = rest as MetricFamily['type'];
      }
      return;
    }
    if (raw.startsWith('#')) return;
    const m = SAMPLE.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${raw}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const f = familyOf(name, families);
    if (!f || f !== current) throw new Error(`line ${line}: sample ${name} outside its family`);
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: series ${key} twice`);
    seen.add(key);
    f.samples.push({ name, labels, value: parseValue(valueText, line) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumSamples(
  families: Map<string, MetricFamily>,
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}

/** A denied decision with every field set; override what a case needs. */
export function decisionFixture(overrides: Partial<Decision> = {}): Decision {
  return {
    id: '6f1c1f0e-2f7b-4d64-9a55-5d1b2c3d4e5f',
    verdict: 'deny',
    enforced: true,
    layer: 'gateway',
    reasonCode: 'deny_policy',
    reason: 'pastebin.com:443 is denied by EgressDenyPolicy default/no-paste (route paste, rules[0])',
    policy: { kind: 'EgressL4Route', namespace: 'default', name: 'paste' },
    rule: { index: 'rules[0]', label: 'rules[0]' },
    response: { status: 403, body: 'paste sites are blocked', headers: {} },
    destination: {
      host: 'pastebin.com',
      hostEvidence: 'authority',
      names: ['pastebin.com'],
      port: 443,
      protocol: 'tcp',
    },
    agent: { name: 'researcher', namespace: 'research', identifiedBy: 'key' },
    notes: [],
    trace: [],
    snapshotVersion: 3,
    nearMisses: [],
    stripHeaders: ['proxy-authorization'],
    ...overrides,
  };
}

export interface OtlpStandIn {
  /** `http://127.0.0.1:PORT`, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  /** Requests received: path, content type and body. */
  readonly received: { readonly path: string; readonly contentType: string; readonly body: Buffer }[];
  /** Bytes received so far (the benchmark keeps no bodies). */
  bytes(): number;
  close(): Promise<void>;
}

/**
 * A collector stand-in on loopback: accepts OTLP/HTTP POSTs to /v1/traces and /v1/logs and answers
 * 200 with an empty JSON body, as a collector does for a full success.
 */
export async function createOtlpStandIn(options: { keepBodies?: boolean } = {}): Promise<OtlpStandIn> {
  const received: { path: string; contentType: string; body: Buffer }[] = [];
  let bytes = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (options.keepBodies !== false) chunks.push(c);
    });
    req.on('end', () => {
      if (options.keepBodies !== false) {
        received.push({
          path: req.url ?? '',
          contentType: String(req.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        });
      }
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    bytes: () => bytes,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const OTLP_GRPC_SERVICES = {
  '/v1/traces': '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  '/v1/logs': '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

/**
 * The same over OTLP/gRPC: the two Export methods with raw bytes in and an empty message (zero
 * bytes) out, which is a full-success response. `path` is reported as for HTTP (/v1/traces, /v1/logs).
 */
export async function createOtlpGrpcStandIn(): Promise<OtlpStandIn> {
  const received: { path: string; contentType: string; body: Buffer }[] = [];
  let bytes = 0;
  const raw = (b: Buffer) => b;
  const server = new grpc.Server();
  for (const [path, method] of Object.entries(OTLP_GRPC_SERVICES)) {
    const definition = {
      Export: {
        path: method,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    };
    server.addService(definition, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        bytes += call.request.length;
        received.push({ path, contentType: 'application/grpc', body: call.request });
        callback(null, Buffer.alloc(0));
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}
