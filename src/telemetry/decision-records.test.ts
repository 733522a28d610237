import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { DecisionMessage } from './decision-channel';
import { createDecisionRecorder, type DecisionRecorderDeps } from './decision-records';
import { decisionFixture } from '../../test/support/telemetry';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

function pipeline() {
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer('t');
  const logger = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter: logs })],
  }).getLogger('t');
  return { spans, logs, tracer, logger };
}

const denied = decisionFixture();
const allowed = decisionFixture({ verdict: 'allow', reasonCode: 'route_allowed' });
const audited = decisionFixture({ verdict: 'allow', enforced: false, reasonCode: 'gateway_default_deny' });
const msg = (decision = denied, extra: Partial<DecisionMessage> = {}): DecisionMessage => ({
  decision,
  request: {
    surface: 'check-http',
    source: { address: '10.1.2.3', port: 51234 },
    destination: { protocol: 'tcp' },
    context: {},
  },
  surface: 'check-http',
  durationMs: 2,
  ...extra,
});

function recorder(p: ReturnType<typeof pipeline>, extra: Partial<DecisionRecorderDeps> = {}) {
  return createDecisionRecorder({
    tracer: p.tracer,
    logger: p.logger,
    sampling: { allowed: 1, audited: 1 },
    ...extra,
  });
}

describe('decision records', () => {
  it('turns a denial into one egress.dial.denied span and one log record in the same context', () => {
    const p = pipeline();
    const r = recorder(p);
    r.enqueue(msg());
    expect(p.spans.getFinishedSpans()).toHaveLength(0);
    r.drain();
    const [span, ...moreSpans] = p.spans.getFinishedSpans();
    const [log, ...moreLogs] = p.logs.getFinishedLogRecords();
    expect([moreSpans, moreLogs]).toEqual([[], []]);
    expect(span!.name).toBe('egress.dial.denied');
    expect(span!.attributes).toMatchObject({
      'egress.deny_reason': 'deny_policy',
      'client.address': '10.1.2.3',
    });
    expect(log!.eventName).toBe('egress.dial.denied');
    expect(log!.attributes).toEqual(span!.attributes);
    expect(log!.body).toBe(denied.reason);
    expect(log!.severityText).toBe('WARN');
    expect(log!.spanContext?.spanId).toBe(span!.spanContext().spanId);
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(span!.endTime) - ms(span!.startTime)).toBeCloseTo(2, 3);
  });

  it.each([
    ['allowed', allowed, 'egress.dial.allowed', false],
    ['audited (shadow)', audited, 'egress.dial.audited', true],
  ] as const)('names %s records and marks shadow', (_name, decision, name, shadow) => {
    const p = pipeline();
    const r = recorder(p);
    r.enqueue(msg(decision));
    r.drain();
    expect(p.spans.getFinishedSpans().map((s) => [s.name, s.attributes['egress.shadow']])).toEqual([
      [name, shadow],
    ]);
  });

  it('continues the caller trace from traceparent', () => {
    const p = pipeline();
    const r = recorder(p);
    r.enqueue(
      msg(denied, { traceContext: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'envoy=1' } }),
    );
    r.drain();
    const span = p.spans.getFinishedSpans()[0]!;
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(p.logs.getFinishedLogRecords()[0]!.spanContext?.traceId).toBe(TRACE_ID);
  });

  it('samples allowed and audited records but never denials', () => {
    const p = pipeline();
    const r = recorder(p, { sampling: { allowed: 0, audited: 0.5 }, random: () => 0.7 });
    for (const d of [allowed, audited, denied, allowed]) r.enqueue(msg(d));
    r.drain();
    expect(p.spans.getFinishedSpans().map((s) => s.name)).toEqual(['egress.dial.denied']);
    expect(p.logs.getFinishedLogRecords()).toHaveLength(1);
  });

  it('drops beyond the queue bound, counted, and drains by itself on the next turn', async () => {
    const p = pipeline();
    const drops: number[] = [];
    const r = recorder(p, { maxQueue: 2, onDrop: (n) => drops.push(n) });
    for (let i = 0; i < 5; i++) r.enqueue(msg());
    expect([r.depth(), drops.length]).toEqual([2, 3]);
    await new Promise((resolve) => setImmediate(resolve));
    expect([r.depth(), p.spans.getFinishedSpans().length]).toEqual([0, 2]);
  });

  it('keeps emitting after a record fails to build', () => {
    const p = pipeline();
    const errors: unknown[] = [];
    const r = recorder(p, { onError: (e) => errors.push(e) });
    r.enqueue({ ...msg(), decision: { ...denied, agent: undefined } } as unknown as DecisionMessage);
    r.enqueue(msg());
    r.drain();
    expect([errors.length, p.spans.getFinishedSpans().length]).toEqual([1, 1]);
  });

  it('records no dial for a dry run', () => {
    const p = pipeline();
    const r = recorder(p);
    r.enqueue(msg(denied, { surface: 'dry-run' }));
    r.drain();
    expect([p.spans.getFinishedSpans().length, p.logs.getFinishedLogRecords().length]).toEqual([0, 0]);
  });

  it('works with logs only', () => {
    const p = pipeline();
    const r = createDecisionRecorder({ logger: p.logger, sampling: { allowed: 1, audited: 1 } });
    r.enqueue(msg());
    r.drain();
    expect(p.logs.getFinishedLogRecords().map((l) => l.eventName)).toEqual(['egress.dial.denied']);
  });
});
