/**
 * Telemetry end to end: the real service over real gRPC, with in-memory OpenTelemetry exporters
 * injected through startService's telemetry options, the JSON log captured from its stream, and
 * /metrics read from the admin port and parsed strictly. Then `portcullis serve` as a process,
 * configured only by OTEL_* variables, exporting to collector stand-ins over each OTLP protocol.
 */
import { testConfig } from '../support/service';
import { testDataDir } from '../support/temp-dirs';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as dnsPacket from 'dns-packet';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { startService, type RunningService } from '../../src/cli/serve';
import { createLogger } from '../../src/telemetry/logger';
import { LABEL_VALUES } from '../../src/telemetry/metrics';
import { createTestUpstream, query, udpQuery, type TestUpstream } from '../support/dns-upstream';
import {
  createOtlpGrpcStandIn,
  createOtlpStandIn,
  parsePrometheusText,
  sumSamples,
  type OtlpStandIn,
} from '../support/telemetry';
import type { CheckResponse } from '../../src/grpc/protos';
import { connectAsEnvoy, connectRequest, type EnvoyLikeClient } from '../support/envoy-client';

const KEY = 'pk-research-5c0ffee-9d2b';
const BASIC = Buffer.from(`researcher:${KEY}`).toString('base64');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

const POLICY = `
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: agents }
spec:
  listeners: [{ name: http-out, protocol: HTTP }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressGateway
metadata: { name: trial }
spec:
  mode: shadow
  listeners: [{ name: http-out, protocol: HTTP }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: web }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [api.anthropic.com], ports: [{ port: 443 }] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressL4Route
metadata: { name: paste }
spec:
  parentRefs: [{ name: agents }]
  rules:
    - matches: [{ destinationHostnames: [pastebin.com] }]
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDenyPolicy
metadata: { name: no-paste }
spec:
  targetRef: { kind: EgressL4Route, name: paste }
---
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressAgent
metadata: { name: researcher }
spec:
  recognise:
    keys: [{ sha256: ${createHash('sha256').update(KEY).digest('hex')} }]
`;

const agents = { 'x-portcullis-gateway': 'agents', 'x-portcullis-listener': 'http-out' };
const trial = { 'x-portcullis-gateway': 'trial', 'x-portcullis-listener': 'http-out' };

let dir: string;
let upstream: TestUpstream;
let service: RunningService;
let envoy: EnvoyLikeClient;
const spans = new InMemorySpanExporter();
const logs = new InMemoryLogRecordExporter();
const logLines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'portcullis-telemetry-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  upstream = await createTestUpstream(() => ({
    answers: [{ type: 'A', name: 'pypi.org', ttl: 300, data: '151.101.0.223' }],
  }));
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  service = await startService(
    testConfig([dir], {
      adminPort: 0,
      logLevel: 'info',
      dns: {
        address: '127.0.0.1',
        port: 0,
        upstreams: [upstream.address],
        reject: 'refused',
        minTtlSeconds: 60,
        maxTtlSeconds: 3600,
        proxySources: [],
      },
    }),
    createLogger('info', stream),
    { env: {}, spanExporter: spans, logExporter: logs, processor: 'simple' },
  );
  envoy = connectAsEnvoy(service.grpcPort);
});

afterAll(async () => {
  envoy.close();
  await service.close();
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  spans.reset();
  logs.reset();
  logLines.length = 0;
});

/** Lets the recorder build its records, then hands over what it has. */
async function records() {
  await service.telemetry.flush();
  return { spans: spans.getFinishedSpans(), logs: logs.getFinishedLogRecords() };
}

const deniedHeader = (res: CheckResponse, name: string) =>
  res.denied_response?.headers?.find((h) => h.header?.key === name)?.header?.value;

async function scrape() {
  const res = await fetch(`http://127.0.0.1:${service.adminPort}/metrics`);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await res.text());
}

describe('OpenTelemetry records', () => {
  it('a denied Check yields exactly one egress.dial.denied span and log record, with every attribute', async () => {
    const res = await envoy.check(connectRequest('pastebin.com:443'), agents);
    expect(res.status?.code).toBe(7);
    const decisionId = deniedHeader(res, 'x-portcullis-decision-id');
    expect(decisionId).toMatch(/^[0-9a-f-]{36}$/);

    const got = await records();
    const denied = got.spans.filter((s) => s.name === 'egress.dial.denied');
    const deniedLogs = got.logs.filter((l) => l.eventName === 'egress.dial.denied');
    expect([denied.length, deniedLogs.length, got.spans.length]).toEqual([1, 1, 1]);
    expect(denied[0]!.attributes).toEqual({
      'egress.deny_reason': 'deny_policy',
      'egress.reason_code': 'deny_policy',
      'egress.verdict': 'deny',
      'egress.layer': 'gateway',
      'egress.policy': 'EgressDenyPolicy/default/no-paste',
      'egress.rule': 'rules[0].matches[0]',
      'egress.surface': 'check-http',
      'agent.name': 'anonymous',
      'agent.namespace': '',
      'egress.agent.identified_by': 'anonymous',
      'egress.dst.name': 'pastebin.com',
      'egress.dst.name_source': 'authority',
      'server.address': 'pastebin.com',
      'server.port': 443,
      'client.address': '10.1.2.3',
      'client.port': 51234,
      'network.transport': 'tcp',
      'egress.decision_id': decisionId,
      'egress.shadow': false,
      'egress.request_id': '4011296932149270187',
      'egress.snapshot_version': 1,
    });
    expect(deniedLogs[0]!.attributes).toEqual(denied[0]!.attributes);
    expect(deniedLogs[0]!.spanContext?.spanId).toBe(denied[0]!.spanContext().spanId);
    expect(deniedLogs[0]!.resource.attributes['service.name']).toBe('portcullis');
  });

  it("continues Envoy's W3C trace when the call carries one", async () => {
    await envoy.check(connectRequest('pastebin.com:443'), {
      ...agents,
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      tracestate: 'envoy=1',
    });
    const [span] = (await records()).spans as ReadableSpan[];
    expect(span!.spanContext().traceId).toBe(TRACE_ID);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT_ID);
    const line = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'decision');
    expect(line?.['trace_id']).toBe(TRACE_ID);
  });

  it.each([
    ['an allowed', 'api.anthropic.com:443', agents, 'egress.dial.allowed', false, undefined],
    ['a shadow', 'example.org:443', trial, 'egress.dial.audited', true, 'gateway_default_deny'],
  ])(
    '%s decision is recorded as such, with egress.shadow',
    async (_n, authority, meta, name, shadow, reason) => {
      const res = await envoy.check(connectRequest(authority), meta);
      expect(res.status?.code ?? 0).toBe(0);
      const got = await records();
      expect(
        got.spans.map((s) => [s.name, s.attributes['egress.shadow'], s.attributes['egress.deny_reason']]),
      ).toEqual([[name, shadow, reason]]);
      expect(got.logs.map((l) => l.eventName)).toEqual([name]);
    },
  );
});

describe('the canonical log line', () => {
  it('is one JSON line per decision, with the catalogue fields', async () => {
    await envoy.check(connectRequest('pastebin.com:443'), agents);
    await envoy.check(connectRequest('api.anthropic.com:443'), agents);
    const lines = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'decision');
    expect(lines.map((l) => [l['event'], l['reason_code'], l['dst_host'], l['level']])).toEqual([
      ['egress.dial.denied', 'deny_policy', 'pastebin.com', 'info'],
      ['egress.dial.allowed', 'route_allowed', 'api.anthropic.com', 'info'],
    ]);
    expect(lines[0]).toMatchObject({
      surface: 'check-http',
      src_ip: '10.1.2.3',
      agent: 'anonymous',
      enforced: true,
    });
  });
});

describe('redaction', () => {
  it("an agent's key appears in no log line, span or log record", async () => {
    const res = await envoy.check(
      connectRequest('pastebin.com:443', { 'proxy-authorization': `Basic ${BASIC}` }),
      agents,
    );
    expect(res.status?.code).toBe(7);
    const got = await records();
    // The key was read: it identified the agent.
    expect(got.spans[0]!.attributes).toMatchObject({
      'agent.name': 'researcher',
      'egress.agent.identified_by': 'key',
    });
    const everything = [
      ...logLines,
      ...got.spans.map((s) => JSON.stringify({ name: s.name, attributes: s.attributes, events: s.events })),
      ...got.logs.map((l) => JSON.stringify({ body: l.body, attributes: l.attributes })),
    ].join('\n');
    expect(everything).toContain('researcher');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(BASIC);
  });
});

describe('/metrics', () => {
  it('parses as the Prometheus text format and moves by exactly the decisions made', async () => {
    const before = await scrape();
    const checks = [
      ['api.anthropic.com:443', agents],
      ['api.anthropic.com:443', agents],
      ['api.anthropic.com:443', agents],
      ['pastebin.com:443', agents],
      ['pastebin.com:443', agents],
      ['example.org:443', trial],
    ] as const;
    for (const [authority, meta] of checks) await envoy.check(connectRequest(authority), meta);
    const after = await scrape();
    const delta = (name: string, match: Record<string, string> = {}) =>
      sumSamples(after, name, match) - sumSamples(before, name, match);

    expect(delta('portcullis_decisions_total')).toBe(6);
    expect(
      delta('portcullis_decisions_total', { verdict: 'allow', reason: 'route_allowed', mode: 'enforce' }),
    ).toBe(3);
    expect(
      delta('portcullis_decisions_total', { verdict: 'deny', reason: 'deny_policy', layer: 'gateway' }),
    ).toBe(2);
    expect(delta('portcullis_decisions_total', { mode: 'shadow', reason: 'gateway_default_deny' })).toBe(1);
    expect(delta('portcullis_decision_duration_seconds_count', { surface: 'check-http' })).toBe(6);
    expect(delta('portcullis_grpc_requests_total', { method: 'Check', code: 'OK' })).toBe(6);
    expect(sumSamples(after, 'portcullis_policy_snapshot_version')).toBe(1);
  });

  it('counts DNS queries and the bindings they leave', async () => {
    const before = await scrape();
    const reply = await udpQuery(service.dnsPort!, query('pypi.org'));
    expect(dnsPacket.decode(reply!).answers).toHaveLength(1);
    const after = await scrape();
    const delta = (name: string, match: Record<string, string> = {}) =>
      sumSamples(after, name, match) - sumSamples(before, name, match);
    expect(delta('portcullis_dns_queries_total', { outcome: 'answered', qtype: 'A' })).toBe(1);
    expect(delta('portcullis_decision_duration_seconds_count', { surface: 'dns' })).toBe(1);
    expect(sumSamples(after, 'portcullis_dns_bindings')).toBeGreaterThanOrEqual(1);
  });

  it('never has a host name or an IP as a label value', async () => {
    const text = await scrape();
    for (const family of text.values()) {
      if (!family.name.startsWith('portcullis_')) continue;
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          if (label === 'le') continue;
          expect([...(LABEL_VALUES[label] ?? []), 'other']).toContain(value);
        }
      }
    }
  });
});

describe('portcullis serve as a process, configured by OTEL_* only', () => {
  const cli = path.resolve(__dirname, '../../dist/src/cli/main.js');

  it.each([
    ['http/protobuf', createOtlpStandIn],
    ['http/json', createOtlpStandIn],
    ['grpc', createOtlpGrpcStandIn],
  ] as const)(
    'exports the denial over OTLP %s and flushes it on SIGTERM',
    async (protocol, standIn) => {
      const collector: OtlpStandIn = await standIn();
      const child = spawn(
        process.execPath,
        [cli, 'serve', '--policy', dir, '--grpc-port', '0', '--admin-port=-1'],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            // Its own store: the default is the repository's .portcullis-data (npm start's).
            PORTCULLIS_DATA_DIR: testDataDir(),
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
            OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
            OTEL_SERVICE_NAME: 'portcullis-under-test',
            // Nothing is sent before shutdown: what arrives was flushed by it.
            OTEL_BSP_SCHEDULE_DELAY: '60000',
            OTEL_BLRP_SCHEDULE_DELAY: '60000',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        let port: number | undefined;
        for (let i = 0; i < 300 && port === undefined; i++) {
          const line = out.split('\n').find((l) => l.includes('gRPC listening'));
          if (line) port = (JSON.parse(line) as { port: number }).port;
          else await new Promise((r) => setTimeout(r, 50));
        }
        if (port === undefined) throw new Error(`no gRPC port announced: ${out}`);
        const client = connectAsEnvoy(port);
        expect((await client.check(connectRequest('pastebin.com:443'), agents)).status?.code).toBe(7);
        client.close();
        expect(collector.received).toEqual([]);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
        await collector.close();
      }
      expect(collector.received.map((r) => r.path).sort()).toEqual(['/v1/logs', '/v1/traces']);
      for (const r of collector.received) {
        const body = r.body.toString('latin1');
        for (const text of ['egress.dial.denied', 'deny_policy', 'pastebin.com', 'portcullis-under-test']) {
          expect(body).toContain(text);
        }
      }
    },
    20_000,
  );
});
