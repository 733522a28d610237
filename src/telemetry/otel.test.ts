import { Writable } from 'node:stream';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { decisionChannel, publishDecision, type DecisionMessage } from './decision-channel';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { startTelemetry, type TelemetryOptions } from './otel';
import { decisionFixture, parsePrometheusText, sumSamples } from '../../test/support/telemetry';

const message: DecisionMessage = {
  decision: decisionFixture(),
  request: {
    surface: 'check-http',
    source: { address: '10.1.2.3', port: 40000 },
    destination: { protocol: 'tcp' },
    context: {},
  },
  surface: 'check-http',
  durationMs: 1,
};

function start(options: TelemetryOptions, level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const metrics = createMetrics({ defaultMetrics: false });
  const telemetry = startTelemetry({ logger: createLogger(level, stream), metrics }, options);
  const decisions = async () =>
    sumSamples(parsePrometheusText(await metrics.registry.metrics()), 'portcullis_decisions_total');
  return { telemetry, lines, decisions };
}

afterEach(() => expect(decisionChannel.hasSubscribers).toBe(false));

describe('startTelemetry', () => {
  // OTLP export over the network is tested with the real process (test/integration/telemetry.test.ts):
  // the exporters load node:http with a dynamic import(), which Jest's module sandbox refuses.
  it('with nothing set: metrics and the log line, no OpenTelemetry', async () => {
    const { telemetry, lines, decisions } = start({ env: {} });
    expect([telemetry.tracing, telemetry.logRecords]).toEqual([false, false]);
    publishDecision(message);
    expect(await decisions()).toBe(1);
    expect(lines.filter((l) => l['msg'] === 'decision')).toHaveLength(1);
    await telemetry.shutdown();
  });

  it('subscribes nothing for the log line below level info', async () => {
    const { telemetry, lines } = start({ env: {}, decisionMetrics: false }, 'warn');
    expect(decisionChannel.hasSubscribers).toBe(false);
    publishDecision(message);
    expect(lines).toEqual([]);
    await telemetry.shutdown();
  });

  it('exports to injected exporters, flushes what is queued at shutdown, then stops', async () => {
    const spans: ReadableSpan[] = [];
    const logs: ReadableLogRecord[] = [];
    const done = { code: ExportResultCode.SUCCESS };
    const spanExporter: SpanExporter = {
      export: (s, cb) => (spans.push(...s), cb(done)),
      shutdown: async () => {},
    };
    const logExporter: LogRecordExporter = {
      export: (l, cb) => (logs.push(...l), cb(done)),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const { telemetry, decisions } = start({ env: {}, spanExporter, logExporter });
    expect([telemetry.tracing, telemetry.logRecords]).toEqual([true, true]);
    publishDecision(message);
    await telemetry.shutdown();
    publishDecision(message);
    expect(await decisions()).toBe(1);
    expect([spans.map((s) => s.name), logs.map((l) => l.eventName)]).toEqual([
      ['egress.dial.denied'],
      ['egress.dial.denied'],
    ]);
  });

  it('logs environment problems as warnings', async () => {
    const { telemetry, lines } = start({ env: { OTEL_TRACES_EXPORTER: 'jaeger' } });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', component: 'opentelemetry' }));
    await telemetry.shutdown();
  });
});
