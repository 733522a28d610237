import { readOtelEnv, type Env } from './otel-env';

describe('readOtelEnv', () => {
  it.each<[string, Env, ReturnType<typeof readOtelEnv>['traces'], ReturnType<typeof readOtelEnv>['logs']]>([
    ['nothing set: off', {}, undefined, undefined],
    [
      'an endpoint turns both signals on, http/protobuf by default',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      { exporters: ['otlp'], protocol: 'http/protobuf' },
      { exporters: ['otlp'], protocol: 'http/protobuf' },
    ],
    [
      'a signal endpoint turns on that signal only',
      { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/v1/logs' },
      undefined,
      { exporters: ['otlp'], protocol: 'http/protobuf' },
    ],
    [
      'grpc for all, http/json for logs',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json',
      },
      { exporters: ['otlp'], protocol: 'grpc' },
      { exporters: ['otlp'], protocol: 'http/json' },
    ],
    [
      'OTEL_TRACES_EXPORTER=none turns traces off despite the endpoint',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' },
      undefined,
      { exporters: ['otlp'], protocol: 'http/protobuf' },
    ],
    [
      'an exporter list without an endpoint',
      { OTEL_TRACES_EXPORTER: 'console, otlp' },
      { exporters: ['console', 'otlp'], protocol: 'http/protobuf' },
      undefined,
    ],
    [
      'OTEL_SDK_DISABLED wins',
      { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
      undefined,
      undefined,
    ],
    ['an empty endpoint is unset', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, undefined, undefined],
  ])('%s', (_name, env, traces, logs) => {
    const config = readOtelEnv(env);
    expect(config.traces).toEqual(traces);
    expect(config.logs).toEqual(logs);
    expect(config.problems).toEqual([]);
  });

  it.each([
    [
      'an unknown protocol',
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' },
      'OTEL_EXPORTER_OTLP_PROTOCOL',
    ],
    ['an unknown exporter', { OTEL_LOGS_EXPORTER: 'zipkin' }, 'OTEL_LOGS_EXPORTER'],
    ['a sample ratio above 1', { PORTCULLIS_OTEL_SAMPLE_ALLOWED: '5' }, 'PORTCULLIS_OTEL_SAMPLE_ALLOWED'],
    ['a batch size that is not a number', { OTEL_BLRP_MAX_QUEUE_SIZE: 'lots' }, 'OTEL_BLRP_MAX_QUEUE_SIZE'],
  ])('reports %s and falls back', (_name, env, variable) => {
    const config = readOtelEnv(env);
    expect(config.problems).toHaveLength(1);
    expect(config.problems[0]).toContain(variable);
    expect(config.sampling).toEqual({ allowed: 1, audited: 1 });
  });

  it('reads the sample ratios and the log batch options', () => {
    const config = readOtelEnv({
      PORTCULLIS_OTEL_SAMPLE_ALLOWED: '0.01',
      PORTCULLIS_OTEL_SAMPLE_AUDITED: '0',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
    });
    expect(config.sampling).toEqual({ allowed: 0.01, audited: 0 });
    expect(config.logBatch).toEqual({ scheduledDelayMillis: 200 });
  });
});
