/**
 * The SecretDiscoveryService (SDS), loaded from the trimmed files in `protos/` with the same loader
 * options as the other services (src/grpc/protos.ts), plus hand-written shapes of its messages.
 *
 * A Secret travels inside `google.protobuf.Any`. protobufjs encodes an Any given as
 * `{ '@type': URL, ...fields }` by looking the type up in the same root, and the Secret's file is
 * loaded here for exactly that: the service hands over plain objects, never bytes.
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

import { LOADER_OPTIONS } from '../protos';
import type { RpcStatus } from '../protos';

export const SECRET_DISCOVERY_SERVICE = 'envoy.service.secret.v3.SecretDiscoveryService';
export const SECRET_TYPE_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

const packageDefinition = protoLoader.loadSync(
  ['envoy/service/secret/v3/sds.proto', 'envoy/extensions/transport_sockets/tls/v3/secret.proto'],
  LOADER_OPTIONS,
);

function service(name: string): grpc.ServiceDefinition {
  const definition = packageDefinition[name];
  if (definition === undefined || 'format' in definition) throw new Error(`${name} is not a service`);
  return definition as unknown as grpc.ServiceDefinition;
}

export const secretDiscoveryServiceDefinition = service(SECRET_DISCOVERY_SERVICE);

// ---- envoy.config.core.v3 ---------------------------------------------------------------------

export interface Node {
  readonly id?: string;
  readonly cluster?: string;
}

export interface DataSource {
  readonly inline_bytes?: Buffer | Uint8Array;
  readonly inline_string?: string;
  readonly filename?: string;
  readonly environment_variable?: string;
}

// ---- envoy.extensions.transport_sockets.tls.v3 ------------------------------------------------

export interface TlsCertificate {
  readonly certificate_chain?: DataSource;
  readonly private_key?: DataSource;
}

export interface Secret {
  readonly name?: string;
  readonly tls_certificate?: TlsCertificate;
}

/** An Any as sent: protobufjs encodes the Secret fields under the type named by `@type`. */
export type SecretAny = Secret & { readonly '@type': typeof SECRET_TYPE_URL };

/** An Any as received (by a test client): the type URL and the encoded message. */
export interface ReceivedAny {
  readonly type_url?: string;
  readonly value?: Buffer;
}

// ---- envoy.service.discovery.v3 ---------------------------------------------------------------

export interface DiscoveryRequest {
  readonly version_info?: string;
  readonly node?: Node;
  readonly resource_names?: readonly string[];
  readonly type_url?: string;
  readonly response_nonce?: string;
  readonly error_detail?: RpcStatus;
}

export interface DiscoveryResponse<R = SecretAny> {
  readonly version_info?: string;
  readonly resources?: readonly R[];
  readonly type_url?: string;
  readonly nonce?: string;
}

export interface DeltaDiscoveryRequest {
  readonly node?: Node;
  readonly type_url?: string;
  readonly resource_names_subscribe?: readonly string[];
  readonly resource_names_unsubscribe?: readonly string[];
  readonly initial_resource_versions?: Readonly<Record<string, string>>;
  readonly response_nonce?: string;
  readonly error_detail?: RpcStatus;
}

export interface DeltaResource<R = SecretAny> {
  readonly name?: string;
  readonly version?: string;
  readonly resource?: R;
  /** Duration: seconds as a decimal string (`longs: String`) and nanos. */
  readonly ttl?: { readonly seconds?: string | number; readonly nanos?: number };
}

export interface DeltaDiscoveryResponse<R = SecretAny> {
  readonly system_version_info?: string;
  readonly resources?: readonly DeltaResource<R>[];
  readonly type_url?: string;
  readonly removed_resources?: readonly string[];
  readonly nonce?: string;
}
