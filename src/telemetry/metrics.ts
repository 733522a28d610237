/**
 * The metric catalogue: every metric Portcullis exports, in one place, each with one line of help.
 * Label values come from closed sets (LABEL_VALUES); anything outside a set is exported as `other`,
 * so no host name, IP or client-chosen string ever becomes a series: a client must not be able to
 * grow the metrics without bound.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { LAYERS, REASON_CODES, type Decision, type Surface } from '../engine/types';
import type { DnsEvent, DnsQueryOutcome } from '../dns/events';
import type { DecisionMessage } from './decision-channel';
import { createTalliedCounter, createTalliedHistogram, type CountSlot, type HistogramSlot } from './tally';

/** Compile-time check that `list` names every member of the union `U`. */
function every<U extends string>() {
  return <const L extends readonly U[]>(
    list: L & ([Exclude<U, L[number]>] extends [never] ? unknown : never),
  ) => list;
}

export const SURFACES = every<Surface>()(['check-http', 'check-l4', 'ext_proc', 'dns', 'dry-run', 'cli']);
/** Where a policy change came from. */
export const RELOAD_SOURCES = ['file', 'admin', 'kubernetes'] as const;
export type ReloadSource = (typeof RELOAD_SOURCES)[number];
/** Queues between the decision path and an exporter: OpenTelemetry records, the admin events log. */
export const EVENT_QUEUES = ['otel', 'events'] as const;
export type EventQueue = (typeof EVENT_QUEUES)[number];
export const GRPC_METHODS = ['Check', 'Process'] as const;
export type GrpcMethod = (typeof GRPC_METHODS)[number];
const DNS_OUTCOMES = every<DnsQueryOutcome>()(['answered', 'refused', 'servfail', 'formerr', 'dropped']);
const DNS_QTYPES = ['A', 'AAAA', 'CNAME', 'HTTPS', 'SVCB', 'MX', 'TXT', 'SRV', 'PTR', 'NS', 'SOA', 'ANY'];
const GRPC_CODES = Object.keys(GrpcStatus).filter((k) => Number.isNaN(Number(k)));

/** Every label and the values it may take (plus `other`). */
export const LABEL_VALUES: Readonly<Record<string, readonly string[]>> = {
  verdict: ['allow', 'deny'],
  reason: REASON_CODES,
  layer: LAYERS,
  mode: ['enforce', 'shadow'],
  surface: SURFACES,
  source: RELOAD_SOURCES,
  result: ['ok', 'error'],
  outcome: DNS_OUTCOMES,
  qtype: DNS_QTYPES,
  queue: EVENT_QUEUES,
  method: GRPC_METHODS,
  code: GRPC_CODES,
  /** Which bound of the events log pruned rows: the retention (`age`) or the row bound (`size`). */
  bound: ['age', 'size'],
};

function closed(label: string): (value: string) => string {
  const allowed = new Set(LABEL_VALUES[label]);
  return (value) => (allowed.has(value) ? value : 'other');
}
const asReason = closed('reason');
const asLayer = closed('layer');
const asSource = closed('source');
const asQtype = closed('qtype');
const asOutcome = closed('outcome');
const asMethod = closed('method');

const SURFACE_INDEX = new Map<string, number>(SURFACES.map((s, i) => [s, i]));
const OTHER_SURFACE = SURFACES.length;
const DNS_SURFACE = SURFACES.indexOf('dns');

/** Decisions take microseconds; a Check that waits for a name lookup takes milliseconds. */
export const DURATION_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

export interface Metrics {
  readonly registry: Registry;
  /** Per decision (hot path): decisions_total and the latency histogram. */
  recordDecision(message: DecisionMessage): void;
  setSnapshotVersion(version: number): void;
  recordReload(ok: boolean, source: ReloadSource): void;
  recordDnsEvent(event: DnsEvent): void;
  /** The resolver's binding cache, read when scraped. */
  trackDnsBindings(stats: () => { readonly agents: number; readonly bindings: number }): void;
  trackQueue(queue: EventQueue, depth: () => number): void;
  recordQueueDrop(queue: EventQueue, count?: number): void;
  /** One answered (or cancelled) gRPC call; `code` is the grpc status code. */
  recordGrpc(method: GrpcMethod, code: number): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const decisions = createTalliedCounter(registry, {
    name: 'portcullis_decisions_total',
    help: 'Decisions made, by verdict, reason code, deciding layer, enforcement mode and surface.',
    labelNames: ['verdict', 'reason', 'layer', 'mode', 'surface'] as const,
  });
  const durations = createTalliedHistogram(registry, {
    name: 'portcullis_decision_duration_seconds',
    help: 'Time from receiving a call to having its decision, by surface (dns: the whole query, upstream included).',
    labelNames: ['surface'] as const,
    buckets: DURATION_BUCKETS,
  });
  const snapshotVersion = new Gauge({
    name: 'portcullis_policy_snapshot_version',
    help: 'Version of the policy snapshot in force (0: none loaded).',
    registers,
  });
  const reloads = new Counter({
    name: 'portcullis_policy_reloads_total',
    help: 'Policy reload attempts, by source and result.',
    labelNames: ['source', 'result'] as const,
    registers,
  });
  const reloadErrors = new Counter({
    name: 'portcullis_policy_reload_errors_total',
    help: 'Policy reloads rejected (the last good snapshot stayed in force), by source.',
    labelNames: ['source'] as const,
    registers,
  });
  const dnsQueries = new Counter({
    name: 'portcullis_dns_queries_total',
    help: 'DNS queries received, by outcome and query type.',
    labelNames: ['outcome', 'qtype'] as const,
    registers,
  });
  const dnsStripped = new Counter({
    name: 'portcullis_dns_answers_stripped_total',
    help: 'Addresses removed from DNS answers because they point into guarded or denied ranges.',
    registers,
  });
  const dnsEncrypted = new Counter({
    name: 'portcullis_dns_encrypted_resolver_queries_total',
    help: 'Queries for known DoH/DoT resolver names (lookups through them bypass name bindings).',
    registers,
  });
  let bindingStats: (() => { readonly agents: number; readonly bindings: number }) | undefined;
  new Gauge({
    name: 'portcullis_dns_bindings',
    help: 'Name-to-address bindings held by the DNS resolver, all agents together.',
    registers,
    collect() {
      if (bindingStats) this.set(bindingStats().bindings);
    },
  });
  new Gauge({
    name: 'portcullis_dns_binding_agents',
    help: 'Agents (client addresses) the DNS resolver holds bindings for.',
    registers,
    collect() {
      if (bindingStats) this.set(bindingStats().agents);
    },
  });
  const queueDepths = new Map<EventQueue, () => number>();
  new Gauge({
    name: 'portcullis_event_queue_depth',
    help: 'Records waiting in a queue between the decision path and an exporter, by queue.',
    labelNames: ['queue'] as const,
    registers,
    collect() {
      for (const [queue, depth] of queueDepths) this.set({ queue }, depth());
    },
  });
  const queueDrops = new Counter({
    name: 'portcullis_event_queue_dropped_total',
    help: 'Records dropped because their queue was full, by queue.',
    labelNames: ['queue'] as const,
    registers,
  });
  const grpcRequests = createTalliedCounter(registry, {
    name: 'portcullis_grpc_requests_total',
    help: 'gRPC calls answered, by method and status code (Check denials are OK: the verdict is in the body).',
    labelNames: ['method', 'code'] as const,
  });

  // The hot path: reason → layer → [surface × verdict × mode], so it hashes only the interned
  // strings the engine already holds and builds no key (a tenth of the cost of one key string).
  const decisionSlots = new Map<string, Map<string, (CountSlot | undefined)[]>>();
  const durationSlots: (HistogramSlot | undefined)[] = [];
  const surfaceLabel = (s: number): string => SURFACES[s] ?? 'other';
  const decisionSlot = (d: Decision, s: number): CountSlot =>
    decisions.add(`${d.reasonCode}|${d.layer}|${s}|${d.verdict}|${d.enforced}`, {
      verdict: d.verdict === 'deny' ? 'deny' : 'allow',
      reason: asReason(d.reasonCode),
      layer: asLayer(d.layer),
      mode: d.enforced ? 'enforce' : 'shadow',
      surface: surfaceLabel(s),
    });
  const durationSlot = (s: number): HistogramSlot =>
    durations.add(surfaceLabel(s), { surface: surfaceLabel(s) });

  return {
    registry,
    recordDecision(m) {
      const d = m.decision;
      const s = SURFACE_INDEX.get(m.surface) ?? OTHER_SURFACE;
      let byLayer = decisionSlots.get(d.reasonCode);
      if (byLayer === undefined) decisionSlots.set(d.reasonCode, (byLayer = new Map()));
      let cells = byLayer.get(d.layer);
      if (cells === undefined) byLayer.set(d.layer, (cells = []));
      const i = s * 4 + (d.verdict === 'deny' ? 2 : 0) + (d.enforced ? 0 : 1);
      (cells[i] ??= decisionSlot(d, s)).n++;
      durations.observe((durationSlots[s] ??= durationSlot(s)), m.durationMs / 1000);
    },
    setSnapshotVersion: (v) => snapshotVersion.set(v),
    recordReload(ok, source) {
      reloads.inc({ source: asSource(source), result: ok ? 'ok' : 'error' });
      if (!ok) reloadErrors.inc({ source: asSource(source) });
    },
    recordDnsEvent(event) {
      if (event.type === 'query') {
        dnsQueries.inc({ outcome: asOutcome(event.outcome), qtype: asQtype(event.qtype) });
        if (event.flags.includes('encrypted_dns')) dnsEncrypted.inc();
        durations.observe(
          (durationSlots[DNS_SURFACE] ??= durationSlot(DNS_SURFACE)),
          event.durationMs / 1000,
        );
      } else if (event.type === 'dns_rebinding_blocked') {
        dnsStripped.inc();
      }
    },
    trackDnsBindings(stats) {
      bindingStats = stats;
    },
    trackQueue(queue, depth) {
      queueDepths.set(queue, depth);
    },
    recordQueueDrop(queue, count = 1) {
      queueDrops.inc({ queue }, count);
    },
    recordGrpc(method, code) {
      const key = `${method}|${code}`;
      const slot =
        grpcRequests.get(key) ??
        grpcRequests.add(key, { method: asMethod(method), code: GrpcStatus[code] ?? 'other' });
      slot.n++;
    },
  };
}
