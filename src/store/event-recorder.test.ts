import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decide } from '../engine/decide';
import { ANONYMOUS_AGENT } from '../engine/types';
import { publishDecision, type DecisionMessage } from '../telemetry/decision-channel';
import { request, snapshotFromYaml } from '../../test/support/policy';
import { openAdminDatabase } from './database';
import { createEventRecorder } from './event-recorder';
import { createInlineEventSink, createWorkerEventSink, type EventSink } from './event-sink';
import { createEventStore, eventRow } from './event-store';

const snapshot = snapshotFromYaml(`
apiVersion: egress.portcullis.dev/v1alpha1
kind: EgressDomainList
metadata: { name: lists }
spec: { allow: [allowed.example] }
`);
const message = (i: number): DecisionMessage => {
  const req = request({ connect: 'allowed.example:443' });
  return {
    decision: decide(snapshot, req, ANONYMOUS_AGENT, { id: `d-${i}` }),
    request: req,
    surface: 'check-http',
    durationMs: 1,
  };
};

function setup(
  queueSize: number,
  options: { retentionDays?: number; maxRows?: number; now?: () => number; sink?: EventSink } = {},
) {
  const db = openAdminDatabase(undefined);
  const store = createEventStore(db.events);
  const counts = { written: 0, dropped: 0 };
  const pruned: [number, string][] = [];
  const errors: unknown[] = [];
  const recorder = createEventRecorder({
    sink: options.sink ?? createInlineEventSink(store),
    queueSize,
    retentionDays: options.retentionDays ?? 7,
    ...(options.maxRows === undefined ? {} : { maxRows: options.maxRows }),
    batchSize: 4,
    flushMs: 60_000,
    now: options.now ?? (() => 10 * 86_400_000),
    onWritten: (n) => (counts.written += n),
    onDropped: (n) => (counts.dropped += n),
    onPruned: (n, reason) => pruned.push([n, reason]),
    onError: (err) => errors.push(err),
  });
  return {
    store,
    recorder,
    counts,
    pruned,
    errors,
    close: async () => {
      await recorder.close();
      db.close();
    },
  };
}

describe('createEventRecorder()', () => {
  it('queues decisions and writes them in batches on flush', async () => {
    const t = setup(100);
    for (let i = 0; i < 10; i++) t.recorder.enqueue(message(i));
    expect(t.recorder.status()).toMatchObject({ queueDepth: 10, written: 0 });
    expect(t.store.count()).toBe(0);
    expect(t.recorder.flush()).toBe(10);
    await t.recorder.flushed();
    expect(t.store.count()).toBe(10);
    expect(t.counts).toEqual({ written: 10, dropped: 0 });
    await t.close();
  });

  it('drops beyond the bound, and records and reports how many', async () => {
    const t = setup(3);
    for (let i = 0; i < 8; i++) t.recorder.enqueue(message(i));
    expect(t.recorder.status()).toMatchObject({ queueDepth: 3, dropped: 5 });
    t.recorder.flush();
    await t.recorder.flushed();
    expect(t.store.query({ limit: 10 }).map((e) => [e.type, e['dropped']])).toEqual([
      ['events_dropped', 5],
      ['proxy_domain_allowed', undefined],
      ['proxy_domain_allowed', undefined],
      ['proxy_domain_allowed', undefined],
    ]);
    expect(t.counts).toEqual({ written: 4, dropped: 5 });
    await t.close();
  });

  it('counts records being written against the bound', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow: EventSink = {
      write: () => gate,
      prune: async () => 0,
      trim: async () => 0,
      close: async () => undefined,
    };
    const t = setup(3, { sink: slow });
    for (let i = 0; i < 3; i++) t.recorder.enqueue(message(i));
    t.recorder.flush();
    t.recorder.enqueue(message(4));
    expect(t.recorder.status()).toMatchObject({ queueDepth: 3, dropped: 1 });
    release();
    await t.recorder.flushed();
    expect(t.recorder.status()).toMatchObject({ queueDepth: 0, written: 3 });
    await t.close();
  });

  it('counts a failed write as dropped and reports the error', async () => {
    const failing: EventSink = {
      write: () => Promise.reject(new Error('disk full')),
      prune: async () => 0,
      trim: async () => 0,
      close: async () => undefined,
    };
    const t = setup(10, { sink: failing });
    t.recorder.enqueue(message(1));
    t.recorder.flush();
    await t.recorder.flushed();
    expect([t.counts.dropped, String(t.errors[0])]).toEqual([1, 'Error: disk full']);
    await t.close();
  });

  it('flushes soon after a full batch is waiting, without the timer', async () => {
    const t = setup(100);
    for (let i = 0; i < 4; i++) t.recorder.enqueue(message(i));
    await new Promise((r) => setImmediate(r));
    await t.recorder.flushed();
    expect(t.store.count()).toBe(4);
    await t.close();
  });

  it('makes the record within the turn, so it does not keep the decision until the batch', async () => {
    const t = setup(100);
    const m = message(7);
    t.recorder.enqueue(m);
    await new Promise((r) => setImmediate(r));
    // What the record says was fixed when the turn ended; the decision is no longer read.
    (m.decision as { reason: string }).reason = 'changed after the turn';
    expect(t.store.count()).toBe(0);
    t.recorder.flush();
    await t.recorder.flushed();
    const [stored] = t.store.query({ limit: 1 });
    expect(stored?.['decision_id']).toBe('d-7');
    expect(stored?.['reason']).not.toBe('changed after the turn');
    await t.close();
  });

  it('subscribes to the decision channel, and writes what is left on close', async () => {
    const t = setup(100);
    t.recorder.subscribe();
    publishDecision(message(1));
    expect(t.recorder.status().queueDepth).toBe(1);
    await t.recorder.close();
    publishDecision(message(2));
    expect(t.store.count()).toBe(1);
    await t.close();
  });

  it('prunes events older than the retention', async () => {
    const day = 86_400_000;
    let now = 0;
    const t = setup(100, { retentionDays: 2, now: () => now });
    t.recorder.enqueue(message(1));
    now = 3 * day;
    t.recorder.enqueue(message(2));
    t.recorder.flush();
    await t.recorder.flushed();
    expect(await t.recorder.prune()).toBe(1);
    expect(t.store.query({ limit: 10 }).map((e) => e['decision_id'])).toEqual(['d-2']);
    expect(t.pruned).toEqual([[1, 'age']]);
    expect(t.recorder.status().pruned).toEqual({ age: 1, size: 0 });
    await t.close();
  });

  it('keeps at most the row bound, the newest, and counts what it pruned', async () => {
    const t = setup(100, { maxRows: 10 });
    for (let i = 0; i < 25; i++) t.recorder.enqueue(message(i));
    t.recorder.flush();
    await t.recorder.flushed();
    await t.recorder.trim();
    expect(t.store.count()).toBe(10);
    const kept = t.store.query({ limit: 100 }).map((e) => e['decision_id']);
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => `d-${24 - i}`));
    expect(t.recorder.status()).toMatchObject({ maxRows: 10, pruned: { age: 0, size: 15 } });
    expect(t.pruned.reduce((sum, [n, reason]) => sum + (reason === 'size' ? n : 0), 0)).toBe(15);
    expect(await t.recorder.trim()).toBe(0); // within the bound: nothing more goes
    await t.close();
  });

  it('trims on its own soon after a write goes over the bound', async () => {
    const t = setup(100, { maxRows: 3 });
    for (let i = 0; i < 8; i++) t.recorder.enqueue(message(i));
    t.recorder.flush();
    await t.recorder.flushed();
    for (let i = 0; i < 200 && t.recorder.status().pruned.size < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect([t.store.count(), t.recorder.status().pruned.size]).toEqual([3, 5]);
    await t.close();
  });

  it('deletes in bounded steps, never the whole excess in one statement', async () => {
    const steps: [number, number][] = [];
    let excess = 12_000;
    const sink: EventSink = {
      write: async () => undefined,
      prune: async () => 0,
      trim: async (keep, max) => {
        steps.push([keep, max]);
        const n = Math.min(excess, max);
        excess -= n;
        return n;
      },
      close: async () => undefined,
    };
    const t = setup(100, { maxRows: 1000, sink });
    expect(await t.recorder.trim()).toBe(12_000);
    expect(steps).toEqual([
      [1000, 5000],
      [1000, 5000],
      [1000, 5000],
    ]);
    expect(t.pruned).toEqual([
      [5000, 'size'],
      [5000, 'size'],
      [2000, 'size'],
    ]);
    await t.close();
  });

  it('has no row bound at 0', async () => {
    const t = setup(100, { maxRows: 0 });
    for (let i = 0; i < 8; i++) t.recorder.enqueue(message(i));
    t.recorder.flush();
    await t.recorder.flushed();
    expect(await t.recorder.trim()).toBe(0);
    expect(t.store.count()).toBe(8);
    await t.close();
  });
});

describe('createWorkerEventSink()', () => {
  it('writes and prunes on its own thread; the main connection reads the result', async () => {
    const db = openAdminDatabase(mkdtempSync(path.join(tmpdir(), 'portcullis-sink-')));
    const sink = createWorkerEventSink(db.file);
    try {
      await sink.write([
        eventRow({ type: 'a', timeMs: 1, data: { n: 1 } }),
        eventRow({ type: 'b', timeMs: 5, verdict: 'deny', agent: 'x', host: 'h.example', data: { n: 2 } }),
      ]);
      const store = createEventStore(db.events);
      expect(store.query({ verdict: 'deny', limit: 10 })).toEqual([
        { id: 2, time: '1970-01-01T00:00:00.005Z', type: 'b', n: 2 },
      ]);
      expect(await sink.prune(2, 10)).toBe(1);
      expect(store.count()).toBe(1);
      await sink.write([3, 4, 5].map((n) => eventRow({ type: 'c', timeMs: 10, data: { n } })));
      expect(await sink.trim(2, 10)).toBe(2);
      expect(store.query({ limit: 10 }).map((e) => e['n'])).toEqual([5, 4]);
    } finally {
      await sink.close();
      db.close();
    }
  });
});
