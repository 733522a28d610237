/**
 * `grpc.health.v1.Health` (docs/envoy-contract.md §7). Envoy's active health check calls `Check`
 * with the configured `service_name` (often `""` or the Authorization service) and counts a host
 * healthy only on SERVING, so readiness is one switch the composition root flips once policy is
 * loaded and back off while draining.
 *
 * A named service is known only once the gRPC server registers it (src/grpc/server.ts calls
 * `register` for each service it adds): a health check must never report SERVING for a service
 * nothing answers. Unknown names get NOT_FOUND from `Check` and are left out of `List`, as
 * grpc.health.v1 specifies; `""` (the whole server) is always known.
 */
import type * as grpc from '@grpc/grpc-js';
import type { HealthCheckRequest, HealthCheckResponse, HealthListResponse, ServingStatus } from './protos';
import { PortcullisError } from '../errors/portcullis-error';
import { toGrpcError } from './grpc-error';

export interface HealthOptions {
  /** Named services known from the start; the gRPC server registers the ones it serves. */
  readonly services?: readonly string[];
  /** Not serving until told otherwise: an instance without policy must not attract traffic. */
  readonly serving?: boolean;
}

export interface HealthService {
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Makes `service` known: its status follows `setServing` from now on. */
  register(service: string): void;
  setServing(serving: boolean): void;
  isServing(): boolean;
  /** Ends every open Watch stream so they do not hold a graceful server shutdown open. */
  endWatches(): void;
}

interface Watcher {
  update(): void;
  end(): void;
}

export function createHealthService(options: HealthOptions = {}): HealthService {
  const services = new Set(['', ...(options.services ?? [])]);
  const watchers = new Set<Watcher>();
  let serving = options.serving ?? false;

  const statusOf = (service: string): ServingStatus =>
    services.has(service) ? (serving ? 'SERVING' : 'NOT_SERVING') : 'SERVICE_UNKNOWN';

  const check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse> = (call, callback) => {
    const service = call.request.service ?? '';
    if (!services.has(service)) {
      callback(toGrpcError(new PortcullisError('not_found', `unknown service "${service}"`)));
      return;
    }
    callback(null, { status: statusOf(service) });
  };

  const list: grpc.handleUnaryCall<unknown, HealthListResponse> = (_call, callback) => {
    const statuses: Record<string, HealthCheckResponse> = {};
    for (const service of services) statuses[service] = { status: statusOf(service) };
    callback(null, { statuses });
  };

  /**
   * Sends the current status, then each change. An unknown service gets SERVICE_UNKNOWN and the
   * stream stays open, as the health protocol specifies for Watch.
   */
  const watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse> = (call) => {
    const service = call.request.service ?? '';
    let last: ServingStatus | undefined;
    const watcher: Watcher = {
      update() {
        const status = statusOf(service);
        if (status === last || call.cancelled) return;
        last = status;
        call.write({ status });
      },
      end() {
        watchers.delete(watcher);
        if (!call.cancelled) call.end();
      },
    };
    watchers.add(watcher);
    const forget = (): void => {
      watchers.delete(watcher);
    };
    call.on('cancelled', forget);
    call.on('close', forget);
    call.on('error', forget);
    watcher.update();
  };

  return {
    implementation: { Check: check, List: list, Watch: watch },
    register(service) {
      if (services.has(service)) return;
      services.add(service);
      // A Watch opened before registration saw SERVICE_UNKNOWN; it now gets the real status.
      for (const watcher of watchers) watcher.update();
    },
    setServing(next) {
      serving = next;
      for (const watcher of watchers) watcher.update();
    },
    isServing: () => serving,
    endWatches() {
      for (const watcher of [...watchers]) watcher.end();
    },
  };
}
