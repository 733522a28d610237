/**
 * The events log's metrics. `portcullis_events_dropped_total` is the one to alert on: it counts
 * decision events that never reached the log because the queue was full (issue item 6).
 * `portcullis_events_pruned_total` counts rows deleted by the retention (`age`) and by the row
 * bound (`size`); a steady `size` rate means the bound, not the retention, decides how far back
 * the log reaches.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PruneReason } from './event-recorder';

export interface EventMetrics {
  written(count: number): void;
  dropped(count: number): void;
  pruned(count: number, reason: PruneReason): void;
}

export function createEventMetrics(registry: Registry, queueDepth: () => number): EventMetrics {
  const written = new Counter({
    name: 'portcullis_events_written_total',
    help: 'Events written to the events log (decisions and dropped-event markers).',
    registers: [registry],
  });
  const dropped = new Counter({
    name: 'portcullis_events_dropped_total',
    help: 'Decision events dropped because the events queue was full or a write failed.',
    registers: [registry],
  });
  const pruned = new Counter({
    name: 'portcullis_events_pruned_total',
    help: 'Events deleted from the events log: older than the retention (age) or beyond the row bound (size).',
    labelNames: ['bound'],
    registers: [registry],
  });
  // Both series exist from the start, so a rate over them never starts from a missing series.
  pruned.inc({ bound: 'age' }, 0);
  pruned.inc({ bound: 'size' }, 0);
  new Gauge({
    name: 'portcullis_events_queue_depth',
    help: 'Decision events waiting to be written to the events log.',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  return {
    written: (n) => written.inc(n),
    dropped: (n) => dropped.inc(n),
    pruned: (n, reason) => pruned.inc({ bound: reason }, n),
  };
}
