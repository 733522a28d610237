/**
 * Opens everything the admin API keeps: the SQLite store (resources, events, tokens), the events
 * recorder subscribed to the decision channel, and the tokens file. `serve` builds it before the
 * first policy load, because that load reads the stored resources beside the files.
 */
import type { Registry } from 'prom-client';
import type { Decision } from '../engine/types';
import type { Decider } from '../decide/decider';
import { createAdminPolicy } from '../sources/admin-policy';
import { DEFAULT_EVENTS_MAX_ROWS } from '../config/serve-config';
import { mergePolicySet, type FileDocuments, type PolicySet } from '../sources/merged-policy';
import type { SnapshotStore } from '../sources/snapshot-store';
import { openAdminDatabase } from '../store/database';
import { createEventMetrics } from '../store/event-metrics';
import { createEventRecorder, type EventRecorder } from '../store/event-recorder';
import { createInlineEventSink, createWorkerEventSink } from '../store/event-sink';
import { createEventStore } from '../store/event-store';
import { createResourceStore } from '../store/resource-store';
import { createSerialQueue } from '../store/serial-queue';
import { createTokenStore } from '../store/token-store';
import type { Logger } from '../telemetry/logger';
import { createTokenRegistry } from './auth';
import type { AdminApiDeps } from './server';
import { readTokensFile } from './tokens-file';

export interface AdminStoreOptions {
  /** Undefined: in memory (nothing survives a restart). */
  readonly dataDir?: string;
  readonly tokensFile?: string;
  readonly eventsQueueSize?: number;
  readonly eventsRetentionDays?: number;
  /** 0: no row bound. */
  readonly eventsMaxRows?: number;
  readonly registry: Registry;
  readonly logger: Logger;
}

export interface AdminStore {
  readonly file: string;
  readonly recorder: EventRecorder;
  isOpen(): boolean;
  /** The snapshot store's `load`: the policy files as read (policy-files.ts) plus stored resources. */
  load(files: FileDocuments): PolicySet;
  api(deps: {
    snapshots: SnapshotStore;
    policyPaths: readonly string[];
    decider: Decider;
    decisionJson: (d: Decision) => Record<string, unknown>;
  }): AdminApiDeps;
  /** Writes queued events and closes the database. */
  close(): Promise<void>;
}

export function openAdminStore(options: AdminStoreOptions): AdminStore {
  const fileTokens = options.tokensFile === undefined ? [] : readTokensFile(options.tokensFile);
  const db = openAdminDatabase(options.dataDir);
  const resources = createResourceStore(db.policy);
  const events = createEventStore(db.events);
  const tokens = createTokenRegistry(fileTokens, createTokenStore(db.policy));
  const queue = createSerialQueue();
  const recorder = createEventRecorder({
    sink: db.file === ':memory:' ? createInlineEventSink(events) : createWorkerEventSink(db.file),
    queueSize: options.eventsQueueSize ?? 10_000,
    retentionDays: options.eventsRetentionDays ?? 7,
    maxRows: options.eventsMaxRows ?? DEFAULT_EVENTS_MAX_ROWS,
    onWritten: (n) => metrics.written(n),
    onDropped: (n) => metrics.dropped(n),
    onPruned: (n, reason) => metrics.pruned(n, reason),
    onError: (err) => options.logger.error({ err }, 'events log write failed'),
  });
  const metrics = createEventMetrics(options.registry, () => recorder.status().queueDepth);
  recorder.subscribe();
  if (fileTokens.length === 0 && tokens.list().length === 0) {
    options.logger.warn(
      'no admin API tokens are configured (--tokens FILE); every /api route answers 401 until there are',
    );
  }

  return {
    file: db.file,
    recorder,
    isOpen: () => db.open,
    load: (files) =>
      mergePolicySet(
        files,
        resources.list().map((r) => r.document),
      ),
    api(deps) {
      const policy = createAdminPolicy({
        store: resources,
        snapshots: deps.snapshots,
        queue,
        policyPaths: deps.policyPaths,
        onReloadFailed: (result) =>
          options.logger.error(
            { problems: result.ok ? 0 : result.issues.length },
            'an admin change was stored but the snapshot did not reload; the policy files changed meanwhile',
          ),
      });
      return {
        policy,
        snapshots: deps.snapshots,
        events,
        eventQueue: () => recorder.status(),
        tokens,
        ...(options.tokensFile === undefined ? {} : { tokensFile: options.tokensFile }),
        queue,
        decider: deps.decider,
        decisionJson: deps.decisionJson,
        store: { file: db.file, open: () => db.open },
        logger: options.logger,
      };
    },
    async close() {
      await recorder.close();
      db.close();
    },
  };
}
