/**
 * gRPC clients built from Envoy's own upstream API protos (the copy in @grpc/grpc-js-xds), not
 * from the repository's trimmed `protos/`: what they encode and decode is what a real Envoy's
 * messages look like, so a test through them shows the trimmed copies did not drop or renumber
 * anything the service relies on. Loader options are the service's own (LOADER_OPTIONS) except
 * the include roots.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AUTHORIZATION_SERVICE, EXTERNAL_PROCESSOR_SERVICE, LOADER_OPTIONS } from '../../src/grpc/protos';
import { ENVOY_API_ROOTS } from './envoy-api';

export const UPSTREAM_LOADER_OPTIONS: protoLoader.Options = {
  ...LOADER_OPTIONS,
  includeDirs: [...ENVOY_API_ROOTS],
};

let definitions: protoLoader.PackageDefinition | undefined;

/** Loaded on first use: the upstream files pull in a few hundred messages. */
function upstreamDefinitions(): protoLoader.PackageDefinition {
  definitions ??= protoLoader.loadSync(
    ['envoy/service/auth/v3/external_auth.proto', 'envoy/service/ext_proc/v3/external_processor.proto'],
    UPSTREAM_LOADER_OPTIONS,
  );
  return definitions;
}

function upstreamService(name: string): grpc.ServiceDefinition {
  const definition = upstreamDefinitions()[name];
  if (definition === undefined || 'format' in definition)
    throw new Error(`${name} is not a service upstream`);
  return definition as unknown as grpc.ServiceDefinition;
}

/** A decoded message: upstream shapes are read by field name, so no hand-written types here. */
export type UpstreamMessage = Record<string, unknown>;

export interface UpstreamAuthorizationClient {
  check(
    request: UpstreamMessage,
    metadata?: Record<string, string>,
    deadlineMs?: number,
  ): Promise<UpstreamMessage>;
  close(): void;
}

function metadataOf(entries: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

/** `envoy.service.auth.v3.Authorization` on 127.0.0.1:`port`, as Envoy's ext_authz filters call it. */
export function createUpstreamAuthorizationClient(port: number): UpstreamAuthorizationClient {
  const Client = grpc.makeGenericClientConstructor(
    upstreamService(AUTHORIZATION_SERVICE),
    'UpstreamAuthorization',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const check = client['Check'] as (
    request: UpstreamMessage,
    metadata: grpc.Metadata,
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response: UpstreamMessage) => void,
  ) => void;
  return {
    check(request, metadata = {}, deadlineMs = 2000) {
      return new Promise((resolve, reject) =>
        check.call(
          client,
          request,
          metadataOf(metadata),
          { deadline: Date.now() + deadlineMs },
          (error, response) => (error ? reject(error) : resolve(response)),
        ),
      );
    },
    close: () => client.close(),
  };
}

export interface UpstreamExternalProcessorClient {
  /** Opens one Process stream (Envoy opens one per HTTP request) with the listener's metadata. */
  open(metadata?: Record<string, string>): grpc.ClientDuplexStream<UpstreamMessage, UpstreamMessage>;
  close(): void;
}

/** `envoy.service.ext_proc.v3.ExternalProcessor` on 127.0.0.1:`port`. */
export function createUpstreamExternalProcessorClient(port: number): UpstreamExternalProcessorClient {
  const Client = grpc.makeGenericClientConstructor(
    upstreamService(EXTERNAL_PROCESSOR_SERVICE),
    'UpstreamExternalProcessor',
  );
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const process = client['Process'] as (
    metadata: grpc.Metadata,
  ) => grpc.ClientDuplexStream<UpstreamMessage, UpstreamMessage>;
  return {
    open: (metadata = {}) => process.call(client, metadataOf(metadata)),
    close: () => client.close(),
  };
}
