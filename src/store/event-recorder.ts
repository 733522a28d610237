/**
 * Gets decision events into the log without slowing decisions: the decision channel subscriber
 * only appends the message to a bounded in-memory queue. Once per event-loop turn, after the
 * answers have gone out, the turn's messages become rows (the record serialized, see `EventRow`),
 * so decisions and requests are not kept alive for the batch: held until a batch, 10,000 a second
 * of them outlived the young generation and old-generation GC cost more than the writes
 * (BENCHMARKS.md, end-to-end Check). A timer (every `flushMs`, or as soon as `batchSize` rows are
 * waiting) hands rows to the sink in batches, which writes each batch in one transaction (on a
 * worker thread for a database on disk).
 *
 * The bound counts records queued and records handed over but not yet written. Beyond it a message
 * is dropped and counted; the next flush writes an `events_dropped` record with the count, and the
 * count is exported as `portcullis_events_dropped_total`. Events older than the retention are
 * pruned hourly, and rows beyond `maxRows` (the oldest) soon after the writes that put them there
 * (at most once every `trimEveryMs`), both a bounded number per statement so that the writer
 * thread takes batches in between. Both are counted by reason for
 * `portcullis_events_pruned_total`.
 */
import { subscribeDecisions, type DecisionMessage } from '../telemetry/decision-channel';
import { decisionEvent } from './decision-event';
import type { EventSink } from './event-sink';
import { eventRow, type EventRow } from './event-store';

export interface EventRecorderOptions {
  readonly sink: EventSink;
  /** Records held in memory (queued or being written) at most. */
  readonly queueSize: number;
  readonly retentionDays: number;
  /** Rows the log keeps at most (the newest); 0 or absent: no row bound. */
  readonly maxRows?: number;
  readonly trimEveryMs?: number;
  readonly batchSize?: number;
  readonly flushMs?: number;
  readonly pruneEveryMs?: number;
  readonly now?: () => number;
  /** Told about every write and drop, for metrics. */
  readonly onWritten?: (count: number) => void;
  readonly onDropped?: (count: number) => void;
  readonly onPruned?: (count: number, reason: PruneReason) => void;
  readonly onError?: (err: unknown) => void;
}

/** `age`: older than the retention; `size`: beyond the row bound. */
export type PruneReason = 'age' | 'size';

export interface EventRecorderStatus {
  /** Queued plus being written. */
  readonly queueDepth: number;
  readonly queueSize: number;
  readonly written: number;
  readonly dropped: number;
  /** 0: no row bound. */
  readonly maxRows: number;
  readonly pruned: Readonly<Record<PruneReason, number>>;
}

export interface EventRecorder {
  /** Subscribes to the decision channel; returns the unsubscribe function. */
  subscribe(): () => void;
  enqueue(message: DecisionMessage): void;
  /** Hands everything queued to the sink; returns how many records that was. */
  flush(): number;
  /** Resolves when everything handed to the sink so far is written (or failed). */
  flushed(): Promise<void>;
  /** Deletes events older than the retention, in bounded steps; resolves to how many went. */
  prune(): Promise<number>;
  /** Deletes the oldest events beyond the row bound, in bounded steps; resolves to how many went. */
  trim(): Promise<number>;
  status(): EventRecorderStatus;
  /** Unsubscribes, stops the timers, writes what is left and closes the sink. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const PRUNE_STEP = 5_000;

export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { sink, queueSize, retentionDays } = options;
  const batchSize = options.batchSize ?? 500;
  const now = options.now ?? Date.now;
  const maxRows = options.maxRows ?? 0;
  const trimEveryMs = options.trimEveryMs ?? 1_000;
  const pruned: Record<PruneReason, number> = { age: 0, size: 0 };
  let trimming: Promise<number> | undefined;
  let trimTimer: NodeJS.Timeout | undefined;
  let lastTrim = -Infinity;
  /** This turn's decisions, made into rows by `compact` before the turn ends. */
  const pending: { message: DecisionMessage; at: number }[] = [];
  const rows: EventRow[] = [];
  let compacting: NodeJS.Immediate | undefined;
  const writing = new Set<Promise<void>>();
  let inFlight = 0;
  let droppedSinceFlush = 0;
  let written = 0;
  let dropped = 0;
  let unsubscribe: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const report = (err: unknown): void => options.onError?.(err);
  const drop = (count: number): void => {
    droppedSinceFlush += count;
    dropped += count;
    options.onDropped?.(count);
  };

  function send(batch: EventRow[]): void {
    inFlight += batch.length;
    const done: Promise<void> = sink.write(batch).then(
      () => {
        written += batch.length;
        options.onWritten?.(batch.length);
        trimSoon();
      },
      (err: unknown) => {
        drop(batch.length);
        report(err);
      },
    );
    const tracked = done.finally(() => {
      inFlight -= batch.length;
      writing.delete(tracked);
    });
    writing.add(tracked);
  }

  /** The turn's messages into rows; a full batch goes to the sink at once. */
  function compact(): void {
    makeRows();
    if (rows.length >= batchSize) flush();
  }

  function makeRows(): void {
    if (compacting !== undefined) clearImmediate(compacting);
    compacting = undefined;
    for (const { message, at } of pending) {
      try {
        rows.push(eventRow(decisionEvent(message, at)));
      } catch (err) {
        drop(1);
        report(err);
      }
    }
    pending.length = 0;
  }

  function flush(): number {
    makeRows();
    let total = 0;
    while (rows.length > 0 || droppedSinceFlush > 0) {
      const batch = rows.splice(0, batchSize);
      if (droppedSinceFlush > 0) {
        batch.push(
          eventRow({
            type: 'events_dropped',
            timeMs: now(),
            data: { dropped: droppedSinceFlush, queue_size: queueSize },
          }),
        );
        droppedSinceFlush = 0;
      }
      send(batch);
      total += batch.length;
    }
    return total;
  }

  function enqueue(message: DecisionMessage): void {
    if (closing !== undefined) return;
    if (pending.length + rows.length + inFlight >= queueSize) {
      drop(1);
      return;
    }
    pending.push({ message, at: now() });
    compacting ??= setImmediate(compact);
  }

  /** Runs `step` until it deletes less than a full step (or the recorder closes); counts the rows. */
  async function inSteps(reason: PruneReason, step: () => Promise<number>): Promise<number> {
    let total = 0;
    try {
      for (;;) {
        const n = await step();
        total += n;
        pruned[reason] += n;
        if (n > 0) options.onPruned?.(n, reason);
        if (n < PRUNE_STEP || closing !== undefined) return total;
      }
    } catch (err) {
      report(err);
      return total;
    }
  }

  function prune(): Promise<number> {
    const before = now() - retentionDays * DAY_MS;
    return inSteps('age', () => sink.prune(before, PRUNE_STEP));
  }

  function trim(): Promise<number> {
    if (maxRows <= 0 || closing !== undefined) return trimming ?? Promise.resolve(0);
    trimming ??= inSteps('size', () => sink.trim(maxRows, PRUNE_STEP)).finally(() => {
      trimming = undefined;
    });
    return trimming;
  }

  /**
   * After a write: one trim, `trimEveryMs` after the previous one started (at once the first
   * time), and after a trim still running, so the last write of a burst is trimmed too.
   */
  function trimSoon(): void {
    if (maxRows <= 0 || closing !== undefined || trimTimer !== undefined) return;
    trimTimer = setTimeout(
      () => {
        trimTimer = undefined;
        lastTrim = Date.now();
        void (trimming ?? Promise.resolve(0)).then(trim);
      },
      Math.max(0, lastTrim + trimEveryMs - Date.now()),
    );
    trimTimer.unref();
  }

  const flushTimer = setInterval(flush, options.flushMs ?? 250);
  flushTimer.unref();
  const pruneTimer = setInterval(() => void prune(), options.pruneEveryMs ?? 3_600_000);
  pruneTimer.unref();
  // Also soon after start: a service that was down for days comes back within its retention, and
  // one restarted with a lower row bound within that.
  const firstPrune = setTimeout(() => {
    void prune().then(trim);
  }, 1_000);
  firstPrune.unref();

  const flushed = async (): Promise<void> => {
    while (writing.size > 0) await Promise.all([...writing]);
  };

  return {
    subscribe() {
      unsubscribe?.();
      unsubscribe = subscribeDecisions(enqueue, report);
      return unsubscribe;
    },
    enqueue,
    flush,
    flushed,
    prune,
    trim,
    status: () => ({
      queueDepth: pending.length + rows.length + inFlight,
      queueSize,
      written,
      dropped,
      maxRows,
      pruned: { age: pruned.age, size: pruned.size },
    }),
    close() {
      closing ??= (async () => {
        unsubscribe?.();
        clearInterval(flushTimer);
        clearInterval(pruneTimer);
        clearTimeout(firstPrune);
        clearTimeout(trimTimer);
        flush();
        await flushed();
        await trimming;
        await sink.close();
      })();
      return closing;
    },
  };
}
