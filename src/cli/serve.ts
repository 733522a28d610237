/**
 * Builds the running service: gRPC (ext_authz Check + health), DNS, admin HTTP, metrics and
 * logging, on top of the stores, policy sources and snapshot store of compose-service.ts. With it,
 * the only module that knows all of them.
 */
import { randomUUID } from 'node:crypto';
import type { ServeConfig } from '../config/serve-config';
import type { PolicySource } from '../sources/policy-source';
import type { SnapshotStore, ReloadResult } from '../sources/snapshot-store';
import { formatIssue } from '../policy/validate';
import { decideInvalidRequest } from '../engine/decide';
import { createDecider } from '../decide/decider';
import { ANONYMOUS_AGENT, type EgressRequest } from '../engine/types';
import { resolveAgent } from '../identity/resolve-agent';
import { createNameResolver } from '../dns/name-resolver';
import { createHealthService } from '../grpc/health';
import { createAuthzHandler } from '../grpc/authz/service';
import { createGrpcServer } from '../grpc/server';
import { createAdminServer, type AdminServer } from '../admin/server';
import { createMetrics, type Metrics, type ReloadSource } from '../telemetry/metrics';
import { publishDecision } from '../telemetry/decision-channel';
import { instrumentUnary } from '../telemetry/grpc-metrics';
import { startTelemetry, type Telemetry, type TelemetryOptions } from '../telemetry/otel';
import type { Logger } from '../telemetry/logger';
import type { Snapshot } from '../compile/snapshot';
import { composeService, type ComposedService } from './compose-service';
import { startDnsService, type DnsService } from './dns-service';
import { createStartupSequence } from './startup-sequence';
import { PortcullisError } from '../errors/portcullis-error';

export interface RunningService {
  readonly grpcPort: number;
  /** Undefined when the DNS resolver is off. */
  readonly dnsPort: number | undefined;
  /** Undefined when the admin server is disabled. */
  readonly adminPort: number | undefined;
  readonly store: SnapshotStore;
  readonly metrics: Metrics;
  readonly telemetry: Telemetry;
  /** Health NOT_SERVING, let in-flight calls finish (up to the grace period), then close everything. */
  close(): Promise<void>;
}

function logReload(logger: Logger, result: ReloadResult): void {
  if (result.ok) {
    logger.info(
      { snapshotVersion: result.version, warnings: result.warnings.length },
      'policy snapshot loaded',
    );
    for (const w of result.warnings) logger.warn({ issue: w.code }, formatIssue(w));
  } else {
    logger.error(
      { keptVersion: result.keptVersion, problems: result.issues.length },
      'policy change rejected; the last good snapshot stays in force',
    );
    for (const i of result.issues) logger.error({ issue: i.code }, formatIssue(i));
  }
}

/**
 * The sources a reload is counted for (`portcullis_policy_reloads_total{source}`): those whose
 * changes it loaded; startup and explicit reloads read every source and count for the first, the
 * policy files.
 */
function reloadSources(result: ReloadResult, sources: readonly PolicySource[]): readonly ReloadSource[] {
  if (result.changed.length > 0) return result.changed;
  return sources.length > 0 ? [sources[0]!.kind] : [];
}

export async function startService(
  config: ServeConfig,
  logger: Logger,
  /** Telemetry options (tests inject in-memory exporters); the OTEL_* environment otherwise. */
  telemetryOptions: TelemetryOptions = {},
): Promise<RunningService> {
  const metrics = createMetrics();
  let adminStore: ComposedService;
  try {
    adminStore = await composeService(config, { registry: metrics.registry, logger });
  } catch (err) {
    throw new PortcullisError(
      'startup_failed',
      `admin store: ${err instanceof Error ? err.message : String(err)}`,
      {},
      { cause: err },
    );
  }
  const store = adminStore.snapshots;
  store.onReload((result) => {
    for (const source of reloadSources(result, adminStore.sources)) metrics.recordReload(result.ok, source);
    metrics.setSnapshotVersion(store.status().version);
    logReload(logger, result);
  });

  const first = await store.reload();
  if (!first.ok) {
    await adminStore.close();
    throw new PortcullisError(
      'invalid_policy',
      `policy in ${config.policyPaths.join(', ')} is invalid; not starting:\n${first.issues.map(formatIssue).join('\n')}`,
    );
  }

  let stopping = false;
  /** Who is calling, against the snapshot the decision will use. */
  const identify = (snapshot: Snapshot | undefined, request: EgressRequest) =>
    resolveAgent(snapshot?.agents, request);

  // All or nothing (docs/operations.md, "Startup"): every listener binds before health reports
  // SERVING, and one that cannot undoes everything started so far, so the process exits by itself.
  const startup = createStartupSequence({
    onUndoError: (err) => logger.error({ err }, 'error while undoing a failed start'),
  });
  startup.onAbort(() => adminStore.close());

  let dns: DnsService | undefined;
  if (config.dns) {
    const dnsStarting = startDnsService(config.dns, {
      snapshot: () => store.current(),
      agentAt: (address) =>
        identify(store.current(), {
          surface: 'dns',
          source: { address },
          destination: { protocol: 'udp' },
          context: {},
        }),
      lookupTimeoutMs: config.lookupTimeoutMs,
      logger,
      metrics,
    });
    const dnsTarget = { what: 'DNS', address: config.dns.address, port: config.dns.port, udp: true };
    const started = await startup.listen(dnsTarget, () => dnsStarting);
    startup.onAbort(() => started.close());
    dns = started;
    logger.info({ address: config.dns.address, port: dns.udpPort }, 'DNS listening (UDP and TCP)');
  }

  const telemetry = startTelemetry({ logger, metrics }, telemetryOptions);
  startup.onAbort(() => telemetry.shutdown());
  const health = createHealthService();

  // One resolver for decisions and for the DNS queries of agents and Envoy (when DNS runs), so the
  // addresses Envoy dials for a name are the ones its decision checked.
  const resolver =
    dns?.resolver ??
    createNameResolver({
      timeoutMs: config.lookupTimeoutMs,
      ...(config.lookupServers.length > 0 ? { servers: config.lookupServers } : {}),
    });
  const decider = createDecider({
    snapshots: store,
    resolver,
    bindingsFor: dns === undefined ? undefined : (address) => dns.bindingsFor(address),
  });
  const authz = createAuthzHandler({
    decide: (request) => decider.decide(request),
    decideInvalid(message) {
      return decideInvalidRequest(store.current()?.version ?? 0, ANONYMOUS_AGENT, randomUUID(), message);
    },
    decideError(err) {
      logger.error({ err }, 'internal error while deciding; denying');
      return decideInvalidRequest(
        store.current()?.version ?? 0,
        ANONYMOUS_AGENT,
        randomUUID(),
        'internal error; failing closed',
        'internal_error',
      );
    },
    // Metrics, the decision log line, OpenTelemetry records and the events log subscribe (telemetry/).
    onDecision: (decision, request, surface, durationMs, traceContext) =>
      publishDecision({ decision, request, surface, durationMs, ...(traceContext ? { traceContext } : {}) }),
  });

  const grpc = createGrpcServer({ authz: instrumentUnary(metrics, 'Check', authz), health });
  startup.onAbort(() => grpc.shutdown(0));
  const grpcPort = await startup.listen(
    { what: 'gRPC', address: config.grpcAddress, port: config.grpcPort },
    () => grpc.listen(config.grpcAddress, config.grpcPort),
  );

  let admin: AdminServer | undefined;
  let adminPort: number | undefined;
  const adminListen = config.adminPort;
  if (adminListen !== 'off') {
    admin = createAdminServer({
      status: () => store.status(),
      ready: () => !stopping && store.current() !== undefined && adminStore.isOpen(),
      registry: metrics.registry,
      api: adminStore.adminApi(decider),
    });
    const server = admin;
    startup.onAbort(() => server.close());
    adminPort = await startup.listen(
      { what: 'admin HTTP', address: config.adminAddress, port: adminListen },
      () => server.listen(config.adminAddress, adminListen),
    );
  }

  // Every listener is bound: only now may health checks see SERVING.
  health.setServing(true);
  logger.info({ address: config.grpcAddress, port: grpcPort }, 'gRPC listening (ext_authz Check, health)');
  if (adminPort !== undefined) {
    logger.info({ address: config.adminAddress, port: adminPort }, 'admin HTTP listening');
  }

  // Sources announce their changes (the policy files once settled) from now on.
  const unwatch = store.watch();

  let closing: Promise<void> | undefined;
  return {
    grpcPort,
    dnsPort: dns?.udpPort,
    adminPort,
    store,
    metrics,
    telemetry,
    close() {
      closing ??= (async () => {
        stopping = true;
        health.setServing(false);
        unwatch();
        await grpc.shutdown(config.shutdownGraceMs);
        await dns?.close();
        await admin?.close();
        await adminStore.close();
        await telemetry.shutdown();
        logger.info('stopped');
      })();
      return closing;
    },
  };
}
