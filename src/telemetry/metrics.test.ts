import { readFileSync } from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { DnsEvent } from '../dns/events';
import { parseIpLiteral } from '../policy/ip';
import type { Decision } from '../engine/types';
import { LABEL_VALUES, createMetrics, type Metrics } from './metrics';
import { decisionFixture, parsePrometheusText, sumSamples } from '../../test/support/telemetry';

const allow = decisionFixture({ verdict: 'allow', reasonCode: 'route_allowed', layer: 'gateway' });
const deny = decisionFixture();
const shadow = decisionFixture({ verdict: 'allow', enforced: false, reasonCode: 'gateway_default_deny' });

const scrape = async (m: Metrics) => parsePrometheusText(await m.registry.metrics());
const decide = (m: Metrics, decision: Decision, durationMs = 0.2, surface = 'check-http') =>
  m.recordDecision({ decision, request: undefined, surface, durationMs });

const client = { address: '10.9.8.7', port: 5353, agentKey: '10.9.8.7', transport: 'udp' as const };
const query = (outcome: 'answered' | 'refused', qtype: string, flags: 'encrypted_dns'[] = []): DnsEvent => ({
  type: 'query',
  client,
  name: 'exfil.example',
  qtype,
  outcome,
  durationMs: 3,
  flags,
});

describe('decision metrics', () => {
  it('counts each decision once, by verdict, reason, layer, mode and surface', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (let i = 0; i < 5; i++) decide(m, allow);
    for (let i = 0; i < 3; i++) decide(m, deny);
    decide(m, shadow, 0.2, 'check-l4');
    const first = await scrape(m);
    expect(sumSamples(first, 'portcullis_decisions_total')).toBe(9);
    expect(sumSamples(first, 'portcullis_decisions_total', { verdict: 'deny', reason: 'deny_policy' })).toBe(
      3,
    );
    expect(
      sumSamples(first, 'portcullis_decisions_total', {
        verdict: 'allow',
        reason: 'gateway_default_deny',
        mode: 'shadow',
        surface: 'check-l4',
      }),
    ).toBe(1);

    decide(m, deny);
    const second = await scrape(m);
    expect(sumSamples(second, 'portcullis_decisions_total', { verdict: 'deny' })).toBe(4);
  });

  it('puts latencies in the right buckets, per surface', async () => {
    const m = createMetrics({ defaultMetrics: false });
    decide(m, allow, 0.03);
    decide(m, allow, 2);
    decide(m, allow, 7000);
    const text = await scrape(m);
    const bucket = (le: string) =>
      sumSamples(text, 'portcullis_decision_duration_seconds_bucket', { surface: 'check-http', le });
    expect([bucket('0.00005'), bucket('0.001'), bucket('0.0025'), bucket('2.5'), bucket('+Inf')]).toEqual([
      1, 1, 2, 2, 3,
    ]);
    expect(sumSamples(text, 'portcullis_decision_duration_seconds_count', { surface: 'check-http' })).toBe(3);
    expect(sumSamples(text, 'portcullis_decision_duration_seconds_sum')).toBeCloseTo(7.00203, 6);
  });

  it('exports a surface outside the closed set as other', async () => {
    const m = createMetrics({ defaultMetrics: false });
    decide(m, allow, 0.1, 'api.example.com');
    const text = await scrape(m);
    expect(sumSamples(text, 'portcullis_decisions_total', { surface: 'other' })).toBe(1);
    expect(await m.registry.metrics()).not.toContain('api.example.com');
  });
});

describe('the rest of the catalogue', () => {
  it('counts DNS queries by outcome and type, stripped answers, encrypted-resolver queries and bindings', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.trackDnsBindings(() => ({ agents: 2, bindings: 7 }));
    m.recordDnsEvent(query('answered', 'A'));
    m.recordDnsEvent(query('refused', 'TYPE65534'));
    m.recordDnsEvent(query('answered', 'HTTPS', ['encrypted_dns']));
    m.recordDnsEvent({
      type: 'dns_rebinding_blocked',
      client,
      names: ['x.example'],
      ip: parseIpLiteral('169.254.169.254')!,
    });
    const text = await scrape(m);
    expect(sumSamples(text, 'portcullis_dns_queries_total', { outcome: 'answered', qtype: 'A' })).toBe(1);
    expect(sumSamples(text, 'portcullis_dns_queries_total', { outcome: 'refused', qtype: 'other' })).toBe(1);
    expect(sumSamples(text, 'portcullis_dns_encrypted_resolver_queries_total')).toBe(1);
    expect(sumSamples(text, 'portcullis_dns_answers_stripped_total')).toBe(1);
    expect(sumSamples(text, 'portcullis_dns_bindings')).toBe(7);
    expect(sumSamples(text, 'portcullis_dns_binding_agents')).toBe(2);
    expect(sumSamples(text, 'portcullis_decision_duration_seconds_count', { surface: 'dns' })).toBe(3);
  });

  it('reports reloads, the snapshot version, queue depth and drops, and gRPC calls by status', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordReload(true, 'file');
    m.recordReload(false, 'file');
    m.setSnapshotVersion(4);
    m.trackQueue('otel', () => 12);
    m.recordQueueDrop('otel', 3);
    m.recordGrpc('Check', status.OK);
    m.recordGrpc('Check', status.OK);
    m.recordGrpc('Check', status.CANCELLED);
    const text = await scrape(m);
    expect(sumSamples(text, 'portcullis_policy_reloads_total', { source: 'file', result: 'error' })).toBe(1);
    expect(sumSamples(text, 'portcullis_policy_reload_errors_total', { source: 'file' })).toBe(1);
    expect(sumSamples(text, 'portcullis_policy_snapshot_version')).toBe(4);
    expect(sumSamples(text, 'portcullis_event_queue_depth', { queue: 'otel' })).toBe(12);
    expect(sumSamples(text, 'portcullis_event_queue_dropped_total', { queue: 'otel' })).toBe(3);
    expect(sumSamples(text, 'portcullis_grpc_requests_total', { method: 'Check', code: 'OK' })).toBe(2);
    expect(sumSamples(text, 'portcullis_grpc_requests_total', { code: 'CANCELLED' })).toBe(1);
  });

  it('gives every label only values from its closed set (or other)', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const d of [allow, deny, shadow]) decide(m, d);
    decide(m, allow, 1, 'somewhere');
    m.recordDnsEvent(query('answered', 'TYPE99'));
    m.recordReload(false, 'file');
    m.recordQueueDrop('otel');
    m.recordGrpc('Check', 99);
    const text = await scrape(m);
    let checked = 0;
    for (const family of text.values()) {
      expect(family.help).toBeDefined();
      for (const sample of family.samples) {
        for (const [label, value] of Object.entries(sample.labels)) {
          checked++;
          if (label === 'le') continue;
          expect([...(LABEL_VALUES[label] ?? []), 'other']).toContain(value);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('is documented: docs/telemetry.md names every metric', async () => {
    const docs = readFileSync(path.join(__dirname, '../../docs/telemetry.md'), 'utf8');
    const names = (await createMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON()).map(
      (f) => f.name,
    );
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(docs).toContain(name);
  });
});
