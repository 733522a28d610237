/**
 * The gRPC server Envoy talks to: Authorization (always), ExternalProcessor (when given) and
 * Health on one h2c port (default 9191). Health learns from here which services are served, so it
 * never reports SERVING for one that is not (docs/envoy-contract.md §7).
 */
import * as grpc from '@grpc/grpc-js';
import type { HealthService } from './health';
import { encodeCheckResponse } from './authz/check-response-codec';
import { MAX_CHECK_REQUEST_BYTES, oversizedCheckRequest } from './authz/check-size';
import type { CheckRequest, CheckResponse, ProcessingRequest, ProcessingResponse } from './protos';
import {
  AUTHORIZATION_SERVICE,
  EXTERNAL_PROCESSOR_SERVICE,
  authorizationServiceDefinition,
  externalProcessorServiceDefinition,
  healthServiceDefinition,
} from './protos';

export interface GrpcServerParts {
  readonly authz: grpc.handleUnaryCall<CheckRequest, CheckResponse>;
  /**
   * Prefer the whole `HealthService`: then it learns which services this server registers, and
   * `shutdown` reports NOT_SERVING and ends Watch streams, which would otherwise hold `tryShutdown`
   * open for the full grace period. A bare implementation is served as it is.
   */
  readonly health: HealthService | grpc.UntypedServiceImplementation;
  readonly extproc?: grpc.handleBidiStreamingCall<ProcessingRequest, ProcessingResponse>;
  readonly options?: grpc.ServerOptions;
}

export interface GrpcServer {
  readonly server: grpc.Server;
  /** Resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /**
   * Reports NOT_SERVING, ends Watch streams, lets in-flight calls finish, and force-closes whatever
   * is left after `graceMs`.
   */
  shutdown(graceMs: number): Promise<void>;
}

export function createGrpcServer(parts: GrpcServerParts): GrpcServer {
  // channelz keeps per-call bookkeeping for a debugging service we do not expose: about 6% of the
  // per-request CPU under load (BENCHMARKS.md, end-to-end Check).
  const server = new grpc.Server({
    'grpc.enable_channelz': 0,
    ...parts.options,
    // grpc-js answers a message over this limit with RESOURCE_EXHAUSTED before any handler runs,
    // which Envoy resolves by its failure mode; the Check deserializer enforces the bound instead
    // and answers with a deny (authz/check-size.ts).
    'grpc.max_receive_message_length': -1,
  });
  const health = isHealthService(parts.health) ? parts.health : undefined;
  server.addService(tolerantCheckDefinition(), { Check: parts.authz });
  health?.register(AUTHORIZATION_SERVICE);
  server.addService(
    healthServiceDefinition,
    health?.implementation ?? (parts.health as grpc.UntypedServiceImplementation),
  );
  if (parts.extproc !== undefined) {
    server.addService(externalProcessorServiceDefinition, { Process: parts.extproc });
    health?.register(EXTERNAL_PROCESSOR_SERVICE);
  }

  let stopping: Promise<void> | undefined;
  return {
    server,
    listen(host, port) {
      const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => {
          if (err) reject(bindError(err, host, port));
          else resolve(bound);
        });
      });
    },
    shutdown(graceMs) {
      stopping ??= new Promise<void>((resolve) => {
        health?.setServing(false);
        health?.endWatches();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return stopping;
    },
  };
}

/**
 * grpc-js answers bytes it cannot decode with its own INTERNAL error, which Envoy treats through
 * `failure_mode_allow` rather than as a denial (docs/envoy-contract.md §1 item 2). Decoding failures
 * become an empty CheckRequest instead, which the handler denies as `invalid_request`. So does a
 * CheckRequest over MAX_CHECK_REQUEST_BYTES, without being decoded or copied: a marker carries its
 * size for the deny's reason.
 *
 * Answers are encoded by the hand-written `encodeCheckResponse`, which avoids protobufjs's
 * per-answer cost and hands anything outside its schema back to protobufjs.
 */
function tolerantCheckDefinition(): grpc.ServiceDefinition {
  const check = authorizationServiceDefinition.Check!;
  return {
    ...authorizationServiceDefinition,
    Check: {
      ...check,
      requestDeserialize: (bytes: Buffer): CheckRequest => {
        if (bytes.length > MAX_CHECK_REQUEST_BYTES) return oversizedCheckRequest(bytes);
        try {
          return check.requestDeserialize(bytes) as CheckRequest;
        } catch {
          return {};
        }
      },
      responseSerialize: encodeCheckResponse,
    },
  };
}

/**
 * grpc-js reports a failed bind as text only ("No address added out of total 1 resolved errors:
 * [listen EADDRINUSE: address already in use 127.0.0.1:9191]"): the system's error code is taken
 * back out of it, as Node's own listeners report it, so startup can say what went wrong.
 */
function bindError(err: Error, host: string, port: number): NodeJS.ErrnoException {
  const code = /\blisten (E[A-Z]+)\b/.exec(err.message)?.[1];
  const failure: NodeJS.ErrnoException = new Error(err.message, { cause: err });
  failure.syscall = 'listen';
  if (code !== undefined) failure.code = code;
  return Object.assign(failure, { address: host, port });
}

function isHealthService(value: GrpcServerParts['health']): value is HealthService {
  const candidate = value as Partial<HealthService>;
  return (
    typeof candidate.endWatches === 'function' &&
    typeof candidate.register === 'function' &&
    'implementation' in value
  );
}
