/**
 * The events log's metrics. `portcullis_events_dropped_total` is the one to alert on: it counts
 * decision events that never reached the log because the queue was full (issue item 6).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface EventMetrics {
  written(count: number): void;
  dropped(count: number): void;
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
  new Gauge({
    name: 'portcullis_events_queue_depth',
    help: 'Decision events waiting to be written to the events log.',
    registers: [registry],
    collect() {
      this.set(queueDepth());
    },
  });
  return { written: (n) => written.inc(n), dropped: (n) => dropped.inc(n) };
}
