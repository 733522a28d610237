/**
 * Which OpenTelemetry exports the standard OTEL_* variables ask for. Unlike the SDK defaults,
 * nothing is exported unless asked: a signal is on when an OTLP endpoint is set for it
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_{TRACES,LOGS}_ENDPOINT) or its
 * OTEL_{TRACES,LOGS}_EXPORTER names an exporter. Endpoints, headers, timeouts, compression and
 * certificates are read by the OTLP exporters themselves, from the same variables.
 */
import type { RecordSampling } from './decision-records';

export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';
export type ExporterName = 'otlp' | 'console';

export interface SignalConfig {
  readonly exporters: readonly ExporterName[];
  readonly protocol: OtlpProtocol;
}

export interface BatchOptions {
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
  readonly maxQueueSize?: number;
  readonly maxExportBatchSize?: number;
}

export interface OtelEnvConfig {
  readonly traces: SignalConfig | undefined;
  readonly logs: SignalConfig | undefined;
  /** OTEL_BLRP_*: the log SDK does not read them itself (the span SDK reads OTEL_BSP_*). */
  readonly logBatch: BatchOptions;
  readonly sampling: RecordSampling;
  /** Values that were ignored, one sentence each (logged as warnings). */
  readonly problems: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

/** Portcullis's own knobs: the share of allowed and audited decisions recorded. */
export const SAMPLE_ENV = {
  allowed: 'PORTCULLIS_OTEL_SAMPLE_ALLOWED',
  audited: 'PORTCULLIS_OTEL_SAMPLE_AUDITED',
} as const;

function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function signal(env: Env, name: 'TRACES' | 'LOGS', problems: string[]): SignalConfig | undefined {
  const listed = value(env, `OTEL_${name}_EXPORTER`);
  let exporters: ExporterName[];
  if (listed === undefined) {
    const endpoint =
      value(env, `OTEL_EXPORTER_OTLP_${name}_ENDPOINT`) ?? value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    exporters = endpoint === undefined ? [] : ['otlp'];
  } else {
    exporters = [];
    for (const item of listed.split(',').map((s) => s.trim().toLowerCase())) {
      if (item === 'none') return undefined;
      if (item === 'otlp' || item === 'console') {
        if (!exporters.includes(item)) exporters.push(item);
      } else {
        problems.push(`OTEL_${name}_EXPORTER: "${item}" is not otlp, console or none; ignored`);
      }
    }
  }
  if (exporters.length === 0) return undefined;
  const protocolName = value(env, `OTEL_EXPORTER_OTLP_${name}_PROTOCOL`)
    ? `OTEL_EXPORTER_OTLP_${name}_PROTOCOL`
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = value(env, protocolName) ?? 'http/protobuf';
  let protocol: OtlpProtocol = 'http/protobuf';
  if ((PROTOCOLS as readonly string[]).includes(raw)) protocol = raw as OtlpProtocol;
  else
    problems.push(`${protocolName}: "${raw}" is not grpc, http/protobuf or http/json; using http/protobuf`);
  return { exporters, protocol };
}

function ratio(env: Env, name: string, problems: string[]): number {
  const raw = value(env, name);
  if (raw === undefined) return 1;
  const n = Number(raw);
  if (Number.isFinite(n) && n >= 0 && n <= 1) return n;
  problems.push(`${name}: "${raw}" is not a number from 0 to 1; recording every decision`);
  return 1;
}

const BLRP = {
  scheduledDelayMillis: 'OTEL_BLRP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BLRP_EXPORT_TIMEOUT',
  maxQueueSize: 'OTEL_BLRP_MAX_QUEUE_SIZE',
  maxExportBatchSize: 'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
} as const;

function batchOptions(env: Env, problems: string[]): BatchOptions {
  const out: { -readonly [K in keyof BatchOptions]: number } = {};
  for (const [key, name] of Object.entries(BLRP) as [keyof BatchOptions, string][]) {
    const raw = value(env, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n > 0) out[key] = n;
    else problems.push(`${name}: "${raw}" is not a positive integer; using the default`);
  }
  return out;
}

export function readOtelEnv(env: Env): OtelEnvConfig {
  const problems: string[] = [];
  const disabled = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  return {
    traces: disabled ? undefined : signal(env, 'TRACES', problems),
    logs: disabled ? undefined : signal(env, 'LOGS', problems),
    logBatch: batchOptions(env, problems),
    sampling: {
      allowed: ratio(env, SAMPLE_ENV.allowed, problems),
      audited: ratio(env, SAMPLE_ENV.audited, problems),
    },
    // Both signals fall back to OTEL_EXPORTER_OTLP_PROTOCOL; say its problem once.
    problems: [...new Set(problems)],
  };
}
