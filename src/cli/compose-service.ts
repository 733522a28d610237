/**
 * The stores and policy sources `serve` runs on, wired together here and nowhere else: the SQLite
 * database and its stores (resources, events, tokens), the events recorder subscribed to the
 * decision channel, the policy sources in order (the policy files, then the admin store) and the
 * snapshot store over them. serve.ts builds the listeners on top; the admin server receives its
 * dependencies from `adminApi`.
 */
import type { Registry } from 'prom-client';
import type { AdminApiDeps } from '../admin/server';
import { createTokenRegistry } from '../admin/auth';
import { readTokensFile } from '../admin/tokens-file';
import {
  DEFAULT_EVENTS_MAX_ROWS,
  DEFAULT_RELOAD_EMPTY_GRACE_MS,
  DEFAULT_RELOAD_SETTLE_MS,
  type ServeConfig,
} from '../config/serve-config';
import type { Decider } from '../decide/decider';
import { createAdminPolicy } from '../sources/admin-policy';
import { createAdminSource } from '../sources/admin-store';
import { createFileSource } from '../sources/files';
import { createPolicyFiles } from '../sources/policy-files';
import type { PolicySource } from '../sources/policy-source';
import { createSnapshotStore, type SnapshotStore } from '../sources/snapshot-store';
import { openAdminDatabase } from '../store/database';
import { createEventMetrics } from '../store/event-metrics';
import { createEventRecorder } from '../store/event-recorder';
import { createInlineEventSink, createWorkerEventSink } from '../store/event-sink';
import { createEventStore } from '../store/event-store';
import { createResourceStore } from '../store/resource-store';
import { createSerialQueue } from '../store/serial-queue';
import { createTokenStore } from '../store/token-store';
import type { Logger } from '../telemetry/logger';

export interface ComposedService {
  readonly snapshots: SnapshotStore;
  /** In the order their documents are merged; a name defined twice stays with the earlier one. */
  readonly sources: readonly PolicySource[];
  /** The database is open (readiness). */
  isOpen(): boolean;
  /** What the admin API works with; the decider is the serving process's own. */
  adminApi(decider: Decider): AdminApiDeps;
  /** Writes queued events and closes the database. */
  close(): Promise<void>;
}

export async function composeService(
  config: ServeConfig,
  deps: { readonly registry: Registry; readonly logger: Logger },
): Promise<ComposedService> {
  const { logger } = deps;
  const fileTokens = config.tokensFile === undefined ? [] : readTokensFile(config.tokensFile);
  const db = openAdminDatabase(config.dataDir);
  const resources = createResourceStore(db.policy);
  const events = createEventStore(db.events);
  const tokens = createTokenRegistry(fileTokens, createTokenStore(db.policy));
  const queue = createSerialQueue();
  const recorder = createEventRecorder({
    sink: db.file === ':memory:' ? createInlineEventSink(events) : createWorkerEventSink(db.file),
    queueSize: config.eventsQueueSize ?? 10_000,
    retentionDays: config.eventsRetentionDays ?? 7,
    maxRows: config.eventsMaxRows ?? DEFAULT_EVENTS_MAX_ROWS,
    onWritten: (n) => eventMetrics.written(n),
    onDropped: (n) => eventMetrics.dropped(n),
    onPruned: (n, reason) => eventMetrics.pruned(n, reason),
    onError: (err) => logger.error({ err }, 'events log write failed'),
  });
  const eventMetrics = createEventMetrics(deps.registry, () => recorder.status().queueDepth);
  recorder.subscribe();
  const close = async (): Promise<void> => {
    await recorder.close();
    db.close();
  };

  try {
    if (fileTokens.length === 0 && (await tokens.list()).length === 0) {
      logger.warn(
        'no admin API tokens are configured (--tokens FILE); every /api route answers 401 until there are',
      );
    }
  } catch (err) {
    await close();
    throw err;
  }

  const files = createFileSource(
    config.policyPaths,
    createPolicyFiles(config.policyPaths, {
      settleMs: config.reloadSettleMs ?? DEFAULT_RELOAD_SETTLE_MS,
      emptyGraceMs: config.reloadEmptyGraceMs ?? DEFAULT_RELOAD_EMPTY_GRACE_MS,
      logger,
    }),
    {
      intervalMs: config.reloadIntervalMs,
      onError: (err) => logger.error({ err }, 'checking the policy files failed'),
    },
  );
  const admin = createAdminSource(resources);
  const sources = [files, admin];
  const snapshots = createSnapshotStore({ sources });
  const policy = createAdminPolicy({
    store: resources,
    source: admin,
    snapshots,
    queue,
    onReloadFailed: (result) =>
      logger.error(
        { problems: result.ok ? 0 : result.issues.length },
        'an admin change was stored but the snapshot did not reload; the policy files changed meanwhile',
      ),
  });

  return {
    snapshots,
    sources,
    isOpen: () => db.open,
    adminApi: (decider) => ({
      policy,
      snapshots,
      events,
      eventQueue: () => recorder.status(),
      tokens,
      ...(config.tokensFile === undefined ? {} : { tokensFile: config.tokensFile }),
      queue,
      decider,
      store: { file: db.file, open: () => db.open },
      logger,
    }),
    close,
  };
}
