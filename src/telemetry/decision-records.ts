/**
 * OpenTelemetry records for decisions, written against the API only (the SDK is wired in otel.ts).
 * Every denial becomes an `egress.dial.denied` span and log record, never sampled (denials are
 * queried directly, not inferred from missing allow records); allowed and audited decisions become
 * `egress.dial.allowed` / `egress.dial.audited` at configurable ratios, so policy can be authored
 * from real records.
 *
 * The decision path only pushes onto a bounded queue; spans and log records are built on the next
 * turn of the event loop. A full queue drops (counted), it never slows a decision down.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Context, type Tracer } from '@opentelemetry/api';
import { SeverityNumber, type Logger as OtelLogger } from '@opentelemetry/api-logs';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { DecisionMessage, TraceCarrier } from './decision-channel';
import { RECORD_NAMES, decisionAttributes, recordKind, type RecordKind } from './decision-log';

/** Share of decisions recorded, 0 to 1; denials are always recorded. */
export interface RecordSampling {
  readonly allowed: number;
  readonly audited: number;
}

export interface DecisionRecorderDeps {
  readonly tracer?: Tracer;
  readonly logger?: OtelLogger;
  readonly sampling: RecordSampling;
  /** Records waiting to be built at most; default 8192. */
  readonly maxQueue?: number;
  readonly onDrop?: (count: number) => void;
  /** A record that could not be built; the others still go out. */
  readonly onError?: (err: unknown) => void;
  readonly random?: () => number;
}

export interface DecisionRecorder {
  /** The hot path: sample, then queue. */
  enqueue(message: DecisionMessage): void;
  /** Builds and emits every queued record now. */
  drain(): void;
  depth(): number;
}

interface Queued {
  readonly message: DecisionMessage;
  readonly kind: RecordKind;
  /** Epoch milliseconds when the decision was published. */
  readonly end: number;
}

const SEVERITY: Record<RecordKind, [SeverityNumber, string]> = {
  denied: [SeverityNumber.WARN, 'WARN'],
  audited: [SeverityNumber.INFO, 'INFO'],
  allowed: [SeverityNumber.INFO, 'INFO'],
};

const propagator = new W3CTraceContextPropagator();
const carrierGetter = {
  keys: (carrier: TraceCarrier) => Object.keys(carrier),
  get: (carrier: TraceCarrier, key: string) =>
    key === 'traceparent' ? carrier.traceparent : key === 'tracestate' ? carrier.tracestate : undefined,
};

/** Envoy's span as the parent when it sent one; a new trace otherwise. */
export function parentContext(carrier: TraceCarrier | undefined): Context {
  return carrier ? propagator.extract(ROOT_CONTEXT, carrier, carrierGetter) : ROOT_CONTEXT;
}

function emit(deps: DecisionRecorderDeps, { message, kind, end }: Queued): void {
  const name = RECORD_NAMES[kind];
  const attributes = decisionAttributes(message);
  const parent = parentContext(message.traceContext);
  let context = parent;
  if (deps.tracer) {
    const span = deps.tracer.startSpan(
      name,
      { kind: SpanKind.INTERNAL, startTime: end - message.durationMs, attributes },
      parent,
    );
    span.end(end);
    context = trace.setSpan(parent, span);
  }
  const [severityNumber, severityText] = SEVERITY[kind];
  deps.logger?.emit({
    eventName: name,
    timestamp: end,
    severityNumber,
    severityText,
    body: message.decision.reason,
    attributes,
    context,
  });
}

export function createDecisionRecorder(deps: DecisionRecorderDeps): DecisionRecorder {
  const maxQueue = deps.maxQueue ?? 8192;
  const random = deps.random ?? Math.random;
  let queue: Queued[] = [];
  let scheduled = false;

  const drain = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    for (const item of batch) {
      try {
        emit(deps, item);
      } catch (err) {
        deps.onError?.(err);
      }
    }
  };

  return {
    enqueue(message) {
      // A dry run (admin test) judges a request nobody made: it is not a dial.
      if (message.surface === 'dry-run') return;
      const kind = recordKind(message.decision);
      if (kind !== 'denied' && random() >= deps.sampling[kind]) return;
      if (queue.length >= maxQueue) {
        deps.onDrop?.(1);
        return;
      }
      queue.push({ message, kind, end: performance.timeOrigin + performance.now() });
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    drain,
    depth: () => queue.length,
  };
}
