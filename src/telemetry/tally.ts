/**
 * Counters and a histogram for the per-decision path. prom-client hashes the label object on every
 * `inc`/`observe` (about half a microsecond each, a third of a decision), so the hot path adds to
 * plain numbers in a slot found by a short string key, and prom-client sees the totals when it is
 * scraped. The text format, the registry and every other metric stay prom-client's own.
 */
import { Counter, Histogram } from 'prom-client';
import type { Aggregator, LabelValues, MetricType, MetricValueWithName, Registry } from 'prom-client';

export interface CountSlot {
  /** Increments not yet handed to prom-client. */
  n: number;
}

export interface TalliedCounter<T extends string> {
  get(key: string): CountSlot | undefined;
  /** Creates the slot for `key`; `labels` must be the same for every call with that key. */
  add(key: string, labels: LabelValues<T>): CountSlot;
  readonly counter: Counter<T>;
}

export function createTalliedCounter<T extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly T[] },
): TalliedCounter<T> {
  const slots = new Map<string, CountSlot & { readonly labels: LabelValues<T> }>();
  const counter = new Counter<T>({
    ...config,
    registers: [registry],
    collect() {
      for (const slot of slots.values()) {
        if (slot.n > 0) {
          this.inc(slot.labels, slot.n);
          slot.n = 0;
        }
      }
    },
  });
  return {
    counter,
    get: (key) => slots.get(key),
    add(key, labels) {
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = { n: 0, labels: { ...labels } };
        slots.set(key, slot);
        counter.inc(labels, 0);
      }
      return slot;
    },
  };
}

export interface HistogramSlot {
  /** Per bucket, not cumulative; the last entry is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export interface TalliedHistogram<T extends string> {
  /** The slot for `key`, created with `labels` the first time. */
  add(key: string, labels: LabelValues<T>): HistogramSlot;
  observe(slot: HistogramSlot, value: number): void;
}

interface Header {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly aggregator: Aggregator;
}

/**
 * A prom-client Histogram whose series come from slots. It overrides what the registry reads
 * (`get`, and `getForPromString` that Registry prefers) with the same value shape prom-client's own
 * Histogram returns: cumulative `_bucket` series with `le`, then `_sum` and `_count`.
 */
class SlotHistogram<T extends string> extends Histogram<T> {
  constructor(
    private readonly config: {
      name: string;
      help: string;
      labelNames: readonly T[];
      buckets: readonly number[];
    },
    readonly bounds: readonly number[],
    readonly slots: Map<string, HistogramSlot & { readonly labels: LabelValues<T> }>,
  ) {
    super({ ...config, buckets: [...config.buckets], registers: [] });
  }

  override async get() {
    // The fields prom-client's constructor set (its typings declare `type` as a numeric enum that
    // does not exist at run time; the value is the string 'histogram').
    const { name, help, type, aggregator } = this as unknown as Header;
    return { name, help, type, aggregator, collect: () => {}, values: this.series() };
  }

  async getForPromString() {
    return this.get();
  }

  private series(): MetricValueWithName<T>[] {
    const values: MetricValueWithName<T>[] = [];
    const { name } = this.config;
    const bucket = `${name}_bucket`;
    for (const slot of this.slots.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += slot.counts[i]!;
        values.push({ metricName: bucket, labels: { ...slot.labels, le: this.bounds[i] }, value: acc });
      }
      values.push({ metricName: bucket, labels: { ...slot.labels, le: '+Inf' }, value: slot.count });
      values.push({ metricName: `${name}_sum`, labels: slot.labels, value: slot.sum });
      values.push({ metricName: `${name}_count`, labels: slot.labels, value: slot.count });
    }
    return values;
  }
}

export function createTalliedHistogram<T extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly T[]; buckets: readonly number[] },
): TalliedHistogram<T> {
  const bounds = [...config.buckets].sort((a, b) => a - b);
  const slots = new Map<string, HistogramSlot & { readonly labels: LabelValues<T> }>();
  registry.registerMetric(new SlotHistogram(config, bounds, slots));
  return {
    add(key, labels) {
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = { counts: new Float64Array(bounds.length + 1), sum: 0, count: 0, labels: { ...labels } };
        slots.set(key, slot);
      }
      return slot;
    },
    observe(slot, value) {
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      slot.counts[i]! += 1;
      slot.sum += value;
      slot.count += 1;
    },
  };
}
