/**
 * The `envoy.service.secret.v3.SecretDiscoveryService` (SDS) that hands Envoy a certificate for
 * each SNI it intercepts (docs/tls-interception.md). Envoy's on-demand certificate selector asks for
 * a secret named after the SNI; the answer is minted with the interception CA, only for a name the
 * policy lets through.
 *
 * - DeltaSecrets (delta-stream.ts) is what Envoy must use (`api_type: DELTA_GRPC`): a refused name is
 *   removed, which fails the waiting handshake at once.
 * - StreamSecrets (sotw-stream.ts, `api_type: GRPC`) works for allowed names, but a refused one can
 *   only be left unanswered: its handshake waits for transport_socket_connect_timeout.
 * - FetchSecrets answers once.
 *
 * Bounded: names per stream (`maxNamesPerStream`), open streams (`maxStreams`), requests waiting on
 * a stream, and the size of one request. `close()` ends every open stream (Envoy's never end by
 * themselves), as serve's shutdown needs.
 */
import * as grpc from '@grpc/grpc-js';

import { runDeltaStream, overBound } from './delta-stream';
import { resolveSecret } from './resolve-secret';
import { secretResource } from './secret-resource';
import { systemClock } from './sds-clock';
import { SECRET_DISCOVERY_SERVICE, SECRET_TYPE_URL, secretDiscoveryServiceDefinition } from './sds-protos';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  SecretAny,
} from './sds-protos';
import type { SdsCallContext, SecretDiscoveryOptions } from './service-types';
import { runSotwStream } from './sotw-stream';
import type { StreamEnv } from './stream-session';

export type {
  AuthorizeResult,
  SdsCallContext,
  SecretDiscoveryOptions,
  TlsSecretMaterial,
} from './service-types';
export type { SdsClock } from './sds-clock';

export const DEFAULT_MAX_NAMES_PER_STREAM = 10_000;
/**
 * Envoy opens one SDS stream per secret name: each on-demand name is its own subscription, and
 * every subscription that is not over ADS gets its own gRPC stream. So this also bounds how many
 * names all Envoys together hold at once; Envoy's `max_secrets` and `cache_idle_timeout` on the
 * selector should keep them below it.
 */
export const DEFAULT_MAX_STREAMS = 10_000;
/**
 * Largest request accepted. A subscription of 10,000 names of 253 characters is about 2.6 MB; the
 * server's own limit is off (src/grpc/server.ts), so this definition enforces one.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export interface SecretDiscoveryService {
  /** Full service name, for health registration. */
  readonly name: typeof SECRET_DISCOVERY_SERVICE;
  readonly definition: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** Ends every open stream and refuses new ones. */
  close(): void;
  /** Open streams, for metrics. */
  openStreams(): number;
}

export function createSecretDiscoveryService(options: SecretDiscoveryOptions): SecretDiscoveryService {
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const enders = new Set<() => void>();
  let closed = false;
  const onError = (err: unknown): void => {
    try {
      options.onError?.(err);
    } catch {
      // A failing error hook must not break a stream.
    }
  };
  const env: StreamEnv = {
    authorize: options.authorize,
    mint: options.mint,
    onRefused(name, reason, context) {
      try {
        options.onRefused?.(name, reason, context);
      } catch (err) {
        onError(err);
      }
    },
    onError,
    clock: options.clock ?? systemClock,
    maxNamesPerStream: options.maxNamesPerStream ?? DEFAULT_MAX_NAMES_PER_STREAM,
    register(end) {
      enders.add(end);
      return () => enders.delete(end);
    },
  };

  /** Admits a stream, or ends it at once with the reason. */
  function admit(call: grpc.ServerDuplexStream<unknown, unknown>): boolean {
    if (closed) {
      call.emit('error', {
        code: grpc.status.UNAVAILABLE,
        details: 'the secret discovery service is shutting down',
      });
      return false;
    }
    if (enders.size >= maxStreams) {
      call.emit('error', {
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: `${maxStreams} SDS streams are open, the most this server allows (Envoy opens one per certificate name: lower max_secrets or set cache_idle_timeout on its on-demand selector)`,
      });
      return false;
    }
    return true;
  }

  const implementation: grpc.UntypedServiceImplementation = {
    DeltaSecrets: ((call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => {
      if (admit(call)) runDeltaStream(call, env);
    }) as grpc.handleBidiStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse>,
    StreamSecrets: ((call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      if (admit(call)) runSotwStream(call, env);
    }) as grpc.handleBidiStreamingCall<DiscoveryRequest, DiscoveryResponse>,
    FetchSecrets: ((
      call: grpc.ServerUnaryCall<DiscoveryRequest, DiscoveryResponse>,
      callback: grpc.sendUnaryData<DiscoveryResponse>,
    ) => {
      void fetchSecrets(env, call.request, { metadata: call.metadata, node: call.request.node }).then(
        (response) => callback(null, response),
        (err: unknown) => {
          onError(err);
          callback({ code: grpc.status.INTERNAL, details: 'the secrets could not be fetched' });
        },
      );
    }) as grpc.handleUnaryCall<DiscoveryRequest, DiscoveryResponse>,
  };

  return {
    name: SECRET_DISCOVERY_SERVICE,
    definition: boundedDefinition(),
    implementation,
    close() {
      closed = true;
      for (const end of [...enders]) end();
    },
    openStreams: () => enders.size,
  };
}

/** FetchSecrets: the requested secrets once; refused names are left out. */
async function fetchSecrets(
  env: StreamEnv,
  request: DiscoveryRequest,
  context: SdsCallContext,
): Promise<DiscoveryResponse> {
  if (request.type_url !== undefined && request.type_url !== '' && request.type_url !== SECRET_TYPE_URL) {
    throw new Error(`FetchSecrets for ${request.type_url.slice(0, 200)}, which this service does not serve`);
  }
  const unique = [...new Set(request.resource_names ?? [])];
  const names = unique.slice(0, env.maxNamesPerStream);
  for (const name of unique.slice(env.maxNamesPerStream))
    env.onRefused(name, overBound(env.maxNamesPerStream), context);
  const outcomes = await Promise.all(names.map((name) => resolveSecret(env, name, context)));
  const resources: SecretAny[] = [];
  for (const outcome of outcomes) {
    if (outcome.kind === 'secret') resources.push(secretResource(outcome.name, outcome.material));
    else if (outcome.kind === 'refused') env.onRefused(outcome.name, outcome.reason, context);
    else env.onError(outcome.error);
  }
  const version = String(env.clock.now());
  return { version_info: version, resources, type_url: SECRET_TYPE_URL, nonce: version };
}

/** The loaded definition with a size bound on every request (the server's own limit is off). */
function boundedDefinition(): grpc.ServiceDefinition {
  const bounded: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, definition] of Object.entries(secretDiscoveryServiceDefinition)) {
    bounded[method] = {
      ...definition,
      requestDeserialize(bytes: Buffer) {
        if (bytes.length > MAX_REQUEST_BYTES) {
          throw new Error(
            `an SDS request of ${bytes.length} bytes is over the ${MAX_REQUEST_BYTES}-byte bound`,
          );
        }
        return definition.requestDeserialize(bytes);
      },
    };
  }
  return bounded as grpc.ServiceDefinition;
}
