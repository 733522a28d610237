/**
 * Telemetry at the edge: the decision subscribers (metrics, the canonical log line, OpenTelemetry
 * records) and the OpenTelemetry SDK, configured from the standard OTEL_* variables and off when
 * they ask for nothing. Called by the composition root only; everything else records through
 * `@opentelemetry/api` and the decision channel.
 *
 * Providers are not registered globally: the records get their tracer and logger from here, so
 * several services in one process (tests) do not fight over the global. The tracer samples
 * everything; sampling of allowed and audited records happens before a span exists
 * (decision-records.ts), because a denial must never be sampled away, whatever
 * OTEL_TRACES_SAMPLER says.
 */
import { DiagLogLevel, diag, type DiagLogger, type Tracer } from '@opentelemetry/api';
import type { Logger as OtelLogger } from '@opentelemetry/api-logs';
import { diagLogLevelFromString } from '@opentelemetry/core';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import {
  BatchLogRecordProcessor,
  ConsoleLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
} from '@opentelemetry/sdk-logs';
import { OTLPTraceExporter as TraceGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TraceJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TraceProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPLogExporter as LogGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { subscribeDecisions } from './decision-channel';
import { subscribeDecisionLog } from './decision-log';
import { createDecisionRecorder, type DecisionRecorder, type RecordSampling } from './decision-records';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { readOtelEnv, type Env, type SignalConfig } from './otel-env';

export interface TelemetryOptions {
  /** Default `process.env`. */
  readonly env?: Env;
  /** Used instead of the exporters the environment names, and turns the signal on (tests, benchmark). */
  readonly spanExporter?: SpanExporter;
  readonly logExporter?: LogRecordExporter;
  /** 'batch' (default) exports off the request path; 'simple' hands each record over at once (tests). */
  readonly processor?: 'batch' | 'simple';
  readonly sampling?: Partial<RecordSampling>;
  /** Decisions waiting to become OpenTelemetry records at most (default 8192). */
  readonly maxQueue?: number;
  /** Subscribe the decision metrics (default true). */
  readonly decisionMetrics?: boolean;
  /** Subscribe the canonical log line (default true; nothing subscribes below level info). */
  readonly decisionLog?: boolean;
}

export interface Telemetry {
  readonly tracing: boolean;
  /** OpenTelemetry log records (the JSON log line is always on at level info). */
  readonly logRecords: boolean;
  /** Emits every queued record and flushes the exporters. */
  flush(): Promise<void>;
  /** Unsubscribes, emits what is queued, flushes, and shuts the exporters down. Idempotent. */
  shutdown(): Promise<void>;
}

function serviceResource(): Resource {
  return defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'portcullis' }))
    .merge(detectResources({ detectors: [envDetector] }));
}

function spanExporters(config: SignalConfig): SpanExporter[] {
  return config.exporters.map((name) => {
    if (name === 'console') return new ConsoleSpanExporter();
    if (config.protocol === 'grpc') return new TraceGrpc();
    return config.protocol === 'http/json' ? new TraceJson() : new TraceProto();
  });
}

function logExporters(config: SignalConfig): LogRecordExporter[] {
  return config.exporters.map((name) => {
    if (name === 'console') return new ConsoleLogRecordExporter();
    if (config.protocol === 'grpc') return new LogGrpc();
    return config.protocol === 'http/json' ? new LogJson() : new LogProto();
  });
}

/** The SDK's own complaints (an unreachable collector, say) go to our log, not to stderr. */
function diagLogger(logger: Logger): DiagLogger {
  const at = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (message: string) =>
    logger[level]({ component: 'opentelemetry' }, message);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), verbose: at('trace') };
}

export function startTelemetry(
  deps: { readonly logger: Logger; readonly metrics: Metrics },
  options: TelemetryOptions = {},
): Telemetry {
  const { logger, metrics } = deps;
  const env = options.env ?? process.env;
  const unsubscribe: (() => void)[] = [];
  const warn = (what: string) => (err: unknown) => logger.warn({ err }, what);

  if (options.decisionMetrics !== false) {
    unsubscribe.push(
      subscribeDecisions((m) => metrics.recordDecision(m), warn('could not count a decision')),
    );
  }
  if (options.decisionLog !== false) unsubscribe.push(subscribeDecisionLog(logger));

  const config = readOtelEnv(env);
  for (const problem of config.problems) logger.warn({ component: 'opentelemetry' }, problem);
  const batch = options.processor !== 'simple';
  const traceOut = options.spanExporter
    ? [options.spanExporter]
    : config.traces
      ? spanExporters(config.traces)
      : [];
  const logOut = options.logExporter ? [options.logExporter] : config.logs ? logExporters(config.logs) : [];

  let tracerProvider: BasicTracerProvider | undefined;
  let loggerProvider: LoggerProvider | undefined;
  let recorder: DecisionRecorder | undefined;
  if (traceOut.length > 0 || logOut.length > 0) {
    diag.setLogger(diagLogger(logger), {
      logLevel: diagLogLevelFromString(env['OTEL_LOG_LEVEL']) ?? DiagLogLevel.WARN,
      suppressOverrideMessage: true,
    });
    const resource = serviceResource();
    let tracer: Tracer | undefined;
    let otelLogger: OtelLogger | undefined;
    if (traceOut.length > 0) {
      tracerProvider = new BasicTracerProvider({
        resource,
        sampler: new AlwaysOnSampler(),
        spanProcessors: traceOut.map((e) => (batch ? new BatchSpanProcessor(e) : new SimpleSpanProcessor(e))),
      });
      tracer = tracerProvider.getTracer('portcullis');
    }
    if (logOut.length > 0) {
      loggerProvider = new LoggerProvider({
        resource,
        processors: logOut.map((e) =>
          batch
            ? new BatchLogRecordProcessor({ ...config.logBatch, exporter: e })
            : new SimpleLogRecordProcessor({ exporter: e }),
        ),
      });
      otelLogger = loggerProvider.getLogger('portcullis');
    }
    recorder = createDecisionRecorder({
      ...(tracer ? { tracer } : {}),
      ...(otelLogger ? { logger: otelLogger } : {}),
      sampling: { ...config.sampling, ...options.sampling },
      ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
      onDrop: (n) => metrics.recordQueueDrop('otel', n),
      onError: warn('could not build an OpenTelemetry decision record'),
    });
    const live = recorder;
    metrics.trackQueue('otel', () => live.depth());
    unsubscribe.push(subscribeDecisions((m) => live.enqueue(m), warn('could not queue a decision record')));
    logger.info(
      {
        traces: config.traces && !options.spanExporter ? config.traces : traceOut.length > 0,
        logs: config.logs && !options.logExporter ? config.logs : logOut.length > 0,
      },
      'OpenTelemetry export on',
    );
  }

  const flush = async (): Promise<void> => {
    recorder?.drain();
    await Promise.all([tracerProvider?.forceFlush(), loggerProvider?.forceFlush()]);
  };
  let stopped: Promise<void> | undefined;
  return {
    tracing: tracerProvider !== undefined,
    logRecords: loggerProvider !== undefined,
    flush,
    shutdown() {
      stopped ??= (async () => {
        for (const off of unsubscribe) off();
        recorder?.drain();
        try {
          await Promise.all([tracerProvider?.shutdown(), loggerProvider?.shutdown()]);
        } catch (err) {
          logger.warn({ err }, 'OpenTelemetry export did not flush on shutdown');
        }
      })();
      return stopped;
    },
  };
}
